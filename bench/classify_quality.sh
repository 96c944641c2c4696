#!/usr/bin/env bash
# The sequence classifier and the conditioned generator on the shared data sets (../shared/data):
#   1. SpamAssassin spam/ham: first 3,000 bytes of each raw mail (headers included), biGRU 64, max pooling;
#   2. first names → gender: names in both lists dropped, seeded 90/10 split, biLSTM 64, max pooling;
#   3. names conditioned on gender: LSTM 128 from tanh(W·onehot + b), then 1,000 names per gender judged by (2).
# Writes into runs/ (or $1) and prints the reports. Step 1 took 42 min on 2 cores shared with other jobs; the rest 3 min.
# Usage: bench/classify_quality.sh [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
data=${DATA:-$root/../shared/data}
out=${1:-$root/runs}
dotnet build "$root/src/Carousel.Cli" -c Release -v quiet -nologo >/dev/null
carousel="nice -n 5 dotnet $root/src/Carousel.Cli/bin/Release/net10.0/Carousel.Cli.dll"
names=(--train-lines "female=$data/names/female.txt" --train-lines "male=$data/names/male.txt")
known=(--known-lines "female=$data/names/female.txt" --known-lines "male=$data/names/male.txt")

$carousel classify train --train "$data/spamassassin/train.jsonl.gz" --dev "$data/spamassassin/dev.jsonl.gz" --out "$out/spam" \
  --level bytes --max-length 3000 --cell gru --hidden 64 --bidirectional --pool max --embedding 24 \
  --epochs 8 --batch-size 32 --lr 3e-3 --threads 1 --seed 1
$carousel classify eval "$out/spam" --data "$data/spamassassin/dev.jsonl.gz"

$carousel classify train "${names[@]}" --drop-conflicts --dev-fraction 0.1 --out "$out/names" \
  --cell lstm --hidden 64 --bidirectional --pool max --embedding 16 --epochs 15 --batch-size 32 --lr 3e-3 --threads 1 --seed 1

$carousel generate train "${names[@]}" --out "$out/names-by-gender" \
  --cell lstm --hidden 128 --embedding 32 --epochs 20 --batch-size 32 --lr 3e-3 --threads 1 --seed 1
for t in 0.5 0.8 1.0; do
  echo "temperature $t"
  $carousel generate eval "$out/names-by-gender" --count 1000 --temperature "$t" --seed 1 --judge "$out/names" "${known[@]}"
done
