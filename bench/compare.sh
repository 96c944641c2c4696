#!/usr/bin/env bash
# Carousel against PyTorch and ONNX Runtime on this machine, side by side in one run, for a 2-layer char model
# (batch 32, sequence 100): training tokens/s (PyTorch), batch-1 sampling tokens/s (PyTorch, ONNX Runtime; Carousel
# with float32 and with bfloat16 weights) and batched forward-only inference tokens/s at B × T (ONNX Runtime), as a
# markdown table with ratios (Carousel's figure over the other's).
# Needs: apt-get install -y python3-torch libopenblas0-pthread   (PyTorch's bar: ../shared/bench/torch_best.sh;
#        ONNX Runtime's: ../shared/bench/ort/ort_best.sh, which exports PyTorch's model and runs it with the NuGet package)
# Usage: bench/compare.sh [--cells "lstm gru rnn"] [--hidden "128 256 512 1024"] [--threads N] [--no-ort]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
torch_best=${TORCH_BEST:-$root/../shared/bench/torch_best.sh}
ort_best=${ORT_BEST:-$root/../shared/bench/ort/ort_best.sh}
cells="lstm gru rnn"; sizes="128 256 512 1024"; threads=2; ort=1
while [ $# -gt 0 ]; do
  case "$1" in
    --cells) cells=$2; shift 2 ;;
    --hidden) sizes=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --no-ort) ort=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$torch_best" ] || [ -f "$torch_best" ] || { echo "PyTorch bench script not found at $torch_best" >&2; exit 1; }
[ "$ort" = 0 ] || [ -f "$ort_best" ] || { echo "ONNX Runtime bench script not found at $ort_best (or pass --no-ort)" >&2; exit 1; }

dotnet build "$root/src/Carousel.Cli" -c Release -v quiet -nologo >/dev/null
carousel="dotnet $root/src/Carousel.Cli/bin/Release/net10.0/Carousel.Cli.dll"
field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; carousel --threads $threads; PyTorch: torch_best.sh, ONNX Runtime: ort_best.sh (each the best of its thread settings)"
echo
echo "| cell | hidden | train tok/s carousel | pytorch | ratio | carousel GFLOP/s | sample tok/s carousel | pytorch | ratio | onnx runtime | ratio | sample bf16 carousel | ratio pytorch | ratio ort | infer tok/s carousel | onnx runtime | ratio |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
ratio() { if [ "$2" = "-" ]; then echo "-"; else printf '%.2f×' "$(echo "$1 / $2" | bc -l)"; fi; }
for cell in $cells; do
  for h in $sizes; do
    steps=20; [ "$h" -ge 1024 ] && steps=5
    # torch_best.sh reports the best of three runs; ours is the best of three sampling rounds (500 tokens each, as
    # PyTorch's): at 50k tokens/s a round lasts 10 ms, short enough for one kernel hiccup on the second core to halve it.
    ours=$($carousel bench --cell "$cell" --hidden "$h" --layers 2 --batch 32 --seq 100 --steps "$steps" --threads "$threads" --sample-rounds 3 --infer --json)
    ours16=$($carousel bench --cell "$cell" --hidden "$h" --layers 2 --batch 32 --seq 100 --steps 1 --threads "$threads" --sample-rounds 3 --weights bf16 --json)
    theirs=$(bash "$torch_best" --cell "$cell" --hidden "$h" --layers 2 --batch 32 --seq 100 --steps "$steps")
    if [ "$ort" = 1 ]; then onnx=$(bash "$ort_best" --cell "$cell" --hidden "$h" 2>/dev/null); os_ort=$(field "$onnx" sample_tokens_per_s); oi_ort=$(field "$onnx" infer_tokens_per_s)
    else os_ort=-; oi_ort=-; fi
    ot=$(field "$ours" train_tokens_per_s); tt=$(field "$theirs" train_tokens_per_s)
    os=$(field "$ours" sample_tokens_per_s); ts=$(field "$theirs" sample_tokens_per_s)
    os16=$(field "$ours16" sample_tokens_per_s); oi=$(field "$ours" infer_tokens_per_s)
    gf=$(field "$ours" train_gflops)
    echo "| $cell | $h | $ot | $tt | $(ratio "$ot" "$tt") | $gf | $os | $ts | $(ratio "$os" "$ts") | $os_ort | $(ratio "$os" "$os_ort") | $os16 | $(ratio "$os16" "$ts") | $(ratio "$os16" "$os_ort") | $oi | $oi_ort | $(ratio "$oi" "$oi_ort") |"
  done
done
