#!/usr/bin/env bash
# The clockwork RNN (Koutník et al. 2014) next to the Elman RNN and the LSTM at about equal parameter counts:
#   1. waveform generation (task waveform, 320 steps, no input): normalised MSE after a fixed budget, 5 seeds;
#   2. the adding problem (task train adding), a small budget, 3 seeds.
# Prints one JSON line per run (the `task train --json` summary) and a table of mean ± sd per model.
# Usage: bench/clockwork.sh [waveform|adding|all]   (CAROUSEL=path/to/Carousel.Cli to use a built CLI)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
which=${1:-all}
if [ -z "${CAROUSEL:-}" ]; then
  dotnet build "$root/src/Carousel.Cli" -c Release -v quiet -nologo >/dev/null
  CAROUSEL="dotnet $root/src/Carousel.Cli/bin/Release/net10.0/Carousel.Cli.dll"
fi
carousel="nice -n 10 $CAROUSEL"

# Free parameters (recurrent layer + 1 linear output), input 1 (waveform) or 2 (adding):
#   clockwork H=48, 8 modules of 6, periods 1..128: W_ih 48·In + W_hh 48² − 6²·28 masked + 2·48 biases + 49 output
#   Elman H=37: 37·In + 37² + 2·37 + 38;  LSTM H=18: 4·18·In + 4·18² + 8·18 + 19
models=(
  "clockwork --hidden 48 --clock-periods 1,2,4,8,16,32,64,128"
  "rnn --hidden 37"
  "lstm --hidden 18"
)

table() { # reads JSON lines, prints cell, runs, mean ± sd of the field $1
  python3 -c '
import json, sys, statistics as st
field = sys.argv[1]; rows = {}
for line in sys.stdin:
    r = json.loads(line); rows.setdefault((r["cell"], r["hidden"]), []).append(r[field])
for (cell, hidden), v in rows.items():
    sd = st.stdev(v) if len(v) > 1 else 0.0
    print(f"{cell:10} H={hidden:<3} runs {len(v)}  {field} mean {st.mean(v):.4g} ± {sd:.2g}  (min {min(v):.4g}, max {max(v):.4g})")
' "$1"
}

if [ "$which" = waveform ] || [ "$which" = all ]; then
  out=$(mktemp -d)
  for seed in 1 2 3 4 5; do   # one stream of runs per seed, side by side (each run is single-threaded)
    (for m in "${models[@]}"; do
      $carousel task train waveform --cell $m --batch 1 --lr 0.003 --max-steps 5000 --eval-every 1000 --threads 1 --seed "$seed" --json || true   # exit 1 = not solved
    done > "$out/$seed.jsonl") &
  done
  wait
  cat "$out"/*.jsonl
  cat "$out"/*.jsonl | table test_nmse
fi

if [ "$which" = adding ] || [ "$which" = all ]; then
  out=$(mktemp -d)
  for seed in 1 2 3; do
    (for m in "${models[@]}"; do
      $carousel task train adding --length 100 --cell $m --max-sequences 64000 --eval-every 100 --threads 1 --seed "$seed" --json || true   # exit 1 = not solved
    done > "$out/$seed.jsonl") &
  done
  wait
  cat "$out"/*.jsonl > "$out/all"
  python3 - "$out/all" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(f"{r['cell']:10} H={r['hidden']:<3} seed {r['seed']}  solved {r['solved']}  after {r['sequences']:,} sequences  "
          f"test wrong {r['test_wrong']}/{r['test_checked']}  train loss {r['train_loss']}")
PY
fi
