#!/usr/bin/env bash
# NARX vs Elman vs LSTM on long-lag tasks (Lin, Horne, Tiňo & Giles 1996: output delays shorten the gradient's paths,
# so NARX latches information longer than an Elman net). Every (model, seed) is trained at each T, shortest first, by
# `carousel task train` with the same seeds, sizes, optimizer and sequence budget; once a (model, seed) fails at some T,
# its longer T count as failed without running (a lag it cannot bridge does not get easier when it grows).
# Writes one JSON line per run to OUT (default narx-latch.jsonl) and prints, per task, model and T: seeds solved and the
# mean ± sd of the training sequences the solved ones needed.
# Usage: TASK=latch LENGTHS="10 20 40 80" SEEDS="1 2 3 4 5" MODELS="rnn jordan narx lstm" MAX_SEQUENCES=20000 HIDDEN=8 \
#        bench/narx_latch.sh [OUT]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${1:-narx-latch.jsonl}
task=${TASK:-latch}
lengths=${LENGTHS:-10 20 40 80}
seeds=${SEEDS:-1 2 3 4 5}
models=${MODELS:-rnn jordan narx lstm}
max_sequences=${MAX_SEQUENCES:-20000}
hidden=${HIDDEN:-8}
# CAROUSEL_DLL: a built Carousel.Cli.dll to run (a copy, so that building meanwhile does not change a sweep midway)
if [[ -z ${CAROUSEL_DLL:-} ]]; then
  dotnet build "$root/src/Carousel.Cli" -c Release -v quiet -nologo >/dev/null
  CAROUSEL_DLL=$root/src/Carousel.Cli/bin/Release/net10.0/Carousel.Cli.dll
fi
carousel="nice -n 10 dotnet $CAROUSEL_DLL"
: > "$out"
# Seed-major: every model gets seed 1 before any gets seed 2, so a sweep cut short is still a fair comparison.
for seed in $seeds; do
  for model in $models; do
    failed=""
    for T in $lengths; do
      if [[ -n $failed ]]; then
        echo "{\"task\":\"$task\",\"length\":$T,\"cell\":\"$model\",\"seed\":$seed,\"solved\":false,\"skipped\":true}" >> "$out"
        continue
      fi
      # exit 1 = not solved: recorded, not an error
      $carousel task train "$task" --length "$T" --cell "$model" --hidden "$hidden" --seed "$seed" \
        --max-sequences "$max_sequences" --threads 1 --json ${EXTRA:-} >> "$out" || [[ $? == 1 ]]
      tail -n 1 "$out" | jq -e .solved >/dev/null || failed=yes
    done
  done
done
jq -rs 'group_by([.task, .cell, .length]) | .[] |
  (map(select(.solved)) | map(.sequences)) as $s |
  ($s | length) as $n |
  (if $n > 0 then ($s | add / $n) else null end) as $mean |
  (if $n > 1 then (($s | map(. - $mean | . * .) | add) / ($n - 1) | sqrt) else null end) as $sd |
  [.[0].task, .[0].cell, .[0].length, "\($n)/\(length)", (if $mean then ($mean | round) else "–" end), (if $sd then ($sd | round) else "–" end)] | @tsv' "$out" |
  sort -t$'\t' -k1,1 -k2,2 -k3,3n | (echo -e "task\tmodel\tT\tsolved\tmean sequences\tsd"; cat)
