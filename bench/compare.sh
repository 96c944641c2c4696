#!/usr/bin/env bash
# Carousel against PyTorch on this machine, side by side in one run: training and batch-1 sampling
# tokens/s for a 2-layer char model (batch 32, sequence 100), as a markdown table with ratios.
# Needs: apt-get install -y python3-torch libopenblas0-pthread   (PyTorch's bar: ../shared/bench/torch_best.sh)
# Usage: bench/compare.sh [--cells "lstm gru rnn"] [--hidden "128 256 512 1024"] [--threads N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
torch_best=${TORCH_BEST:-$root/../shared/bench/torch_best.sh}
cells="lstm gru rnn"; sizes="128 256 512 1024"; threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --cells) cells=$2; shift 2 ;;
    --hidden) sizes=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$torch_best" ] || [ -f "$torch_best" ] || { echo "PyTorch bench script not found at $torch_best" >&2; exit 1; }

dotnet build "$root/src/Carousel.Cli" -c Release -v quiet -nologo >/dev/null
carousel="dotnet $root/src/Carousel.Cli/bin/Release/net10.0/Carousel.Cli.dll"
field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; carousel --threads $threads; PyTorch: torch_best.sh (best of its thread settings)"
echo
echo "| cell | hidden | train tok/s carousel | train tok/s pytorch | ratio | carousel GFLOP/s | sample tok/s carousel | sample tok/s pytorch | ratio |"
echo "|---|---|---|---|---|---|---|---|---|"
for cell in $cells; do
  for h in $sizes; do
    steps=20; [ "$h" -ge 1024 ] && steps=5
    # torch_best.sh reports the best of three runs; ours is the best of three sampling rounds (500 tokens each, as
    # PyTorch's): at 50k tokens/s a round lasts 10 ms, short enough for one kernel hiccup on the second core to halve it.
    ours=$($carousel bench --cell "$cell" --hidden "$h" --layers 2 --batch 32 --seq 100 --steps "$steps" --threads "$threads" --sample-rounds 3 --json)
    theirs=$(bash "$torch_best" --cell "$cell" --hidden "$h" --layers 2 --batch 32 --seq 100 --steps "$steps")
    ot=$(field "$ours" train_tokens_per_s); tt=$(field "$theirs" train_tokens_per_s)
    os=$(field "$ours" sample_tokens_per_s); ts=$(field "$theirs" sample_tokens_per_s)
    gf=$(field "$ours" train_gflops)
    printf '| %s | %s | %s | %s | %.2f× | %s | %s | %s | %.2f× |\n' "$cell" "$h" "$ot" "$tt" \
      "$(echo "$ot / $tt" | bc -l)" "$gf" "$os" "$ts" "$(echo "$os / $ts" | bc -l)"
  done
done
