#!/usr/bin/env bash
# Carousel against ONNX Runtime 1.32 running Carousel's own exported model (carousel export), side by side in one
# process per row: batch-1 sampling tokens/s (Carousel's stepper vs the step graph with I/O binding) and forward
# inference tokens/s at B = 32, T = 100 (vs the sequence graph), each side the best of 1 and 2 threads, as a markdown
# table with ratios (Carousel / ONNX Runtime). The exported logits are checked against Carousel's before timing.
# Run it on an otherwise quiet machine: timings under load are meaningless.
# Usage: bench/onnx_compare.sh [--cells "lstm gru rnn"] [--hidden "128 256 512 1024"] [--layers 2] [--threads "1 2"]
#                              [--batch 32] [--seq 100]
#                              [any other option of Carousel.OnnxBench, e.g. --sample 500 --rounds 3 --runs 5]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cells="lstm gru rnn"; sizes="128 256 512 1024"; layers=2; threads="1 2"; batch=32; seq=100; pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --cells) cells=$2; shift 2 ;;
    --hidden) sizes=$2; shift 2 ;;
    --layers) layers=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --seq) seq=$2; shift 2 ;;
    *) pass+=("$1" "$2"); shift 2 ;;
  esac
done

dotnet build "$here/Carousel.OnnxBench" -c Release -v quiet -nologo >/dev/null
bench="dotnet $here/Carousel.OnnxBench/bin/Release/net10.0/Carousel.OnnxBench.dll"
field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; $layers layers, V = 65; threads: best of \"$threads\" on each side (ONNX Runtime: intra-op, inter-op 1)"
echo
echo "| cell | hidden | sample tok/s carousel | sample tok/s ORT | ratio | infer tok/s carousel (B=$batch, T=$seq) | infer tok/s ORT | ratio |"
echo "|---|---|---|---|---|---|---|---|"
for cell in $cells; do
  for h in $sizes; do
    r=$($bench --cell "$cell" --hidden "$h" --layers "$layers" --threads "$threads" --batch "$batch" --seq "$seq" "${pass[@]}")
    printf '| %s | %s | %s (%st) | %s (%st) | %s× | %s (%st) | %s (%st) | %s× |\n' "$cell" "$h" \
      "$(field "$r" carousel_sample_tokens_per_s)" "$(field "$r" carousel_sample_threads)" \
      "$(field "$r" ort_sample_tokens_per_s)" "$(field "$r" ort_sample_threads)" "$(field "$r" sample_ratio)" \
      "$(field "$r" carousel_infer_tokens_per_s)" "$(field "$r" carousel_infer_threads)" \
      "$(field "$r" ort_infer_tokens_per_s)" "$(field "$r" ort_infer_threads)" "$(field "$r" infer_ratio)"
  done
done
