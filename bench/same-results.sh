#!/usr/bin/env bash
# Tiny runs of every train verb, one line each: the verb and a SHA-256 over the trained weights (tensor names, shapes
# and bytes of DIR/model.safetensors, the best model; for the char model the final weights; metadata left out), or over the JSON summary for the verbs that keep no weights
# (task train, longlag; their timing fields removed). Run it with two builds and diff the outputs: a refactoring that
# must not change any number passes when the two listings are equal.
#
#   bench/same-results.sh [path/to/Carousel.Cli.dll] > after.txt
#
# Reads its data from ../shared/data beside the checkout.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cli="${1:-$root/src/Carousel.Cli/bin/Release/net10.0/Carousel.Cli.dll}"
[ -f "$cli" ] || { echo "error: no CLI at $cli (build with: dotnet build -c Release)" >&2; exit 1; }
data="$root/../shared/data"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"

head -c 30000 "$data/tinyshakespeare.txt" > text.txt
head -n 300 "$data/names/female.txt" > female.txt
head -n 300 "$data/names/male.txt" > male.txt
head -n 400 "$data/cmudict/g2p-train.tsv" > g2p-train.tsv
head -n 60 "$data/cmudict/g2p-dev.tsv" > g2p-dev.tsv

run() { dotnet "$cli" "$@" > log.txt 2>&1 || { echo "error: carousel $* failed:" >&2; cat log.txt >&2; exit 1; }; }

# SHA-256 over the weights in a safetensors file (names, dtypes, shapes, bytes, in name order).
weights() {
python3 - "$1" <<'PY'
import hashlib, json, struct, sys
data = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', data[:8])[0]
header = json.loads(data[8:8 + n]); body = data[8 + n:]
h = hashlib.sha256()
skip = ('optimizer.', 'run.', 'carried.')  # optimizer state and a run's carried state are not weights
for name in sorted(k for k in header if k != '__metadata__' and not k.startswith(skip)):
    e = header[name]; a, b = e['data_offsets']
    h.update(f"{name}|{e['dtype']}|{e['shape']}|".encode()); h.update(body[a:b])
print(h.hexdigest())
PY
}

# A character model's final weights: where the run stands (last.safetensors), or, from builds that kept only the
# latest model, checkpoint.safetensors.
final() { if [ -f "$1/last.safetensors" ]; then echo "$1/last.safetensors"; else echo "$1/checkpoint.safetensors"; fi; }

# SHA-256 over JSON with the fields that measure time removed.
summary() {
python3 -c '
import hashlib, json, sys
def strip(v):
    if isinstance(v, dict): return {k: strip(x) for k, x in v.items() if k not in ("seconds", "elapsed_s", "sequences_per_second")}
    if isinstance(v, list): return [strip(x) for x in v]
    return v
text = sys.stdin.read().strip()
values = [json.loads(l) for l in text.splitlines()] if not text.startswith("[") else json.loads(text)
print(hashlib.sha256(json.dumps(strip(values), sort_keys=True).encode()).hexdigest())'
}

run train --text text.txt --out char-lstm --hidden 32 --layers 2 --seq-length 20 --batch-size 8 --steps 30 --eval-every 10 --dropout 0.1 --threads 1
echo "train lstm random-windows dropout   $(weights "$(final char-lstm)")"
run train --text text.txt --out char-gru --cell gru --hidden 24 --layers 1 --seq-length 16 --batch-size 4 --steps 25 --eval-every 10 --batching stream --optimizer rmsprop --lr 0.01 --threads 2
echo "train gru stream rmsprop            $(weights "$(final char-gru)")"
run train --text text.txt --out char-rnn --cell rnn --hidden 16 --layers 2 --seq-length 12 --batch-size 4 --steps 20 --eval-every 10 --optimizer nesterov --lr 0.05 --clip-by-value --grad-clip 1 --schedule step --decay-after 5 --decay-every 5
echo "train rnn nesterov step-schedule    $(weights "$(final char-rnn)")"
run classify train --train-lines female=female.txt --train-lines male=male.txt --out classify --hidden 16 --layers 2 --bidirectional --dropout 0.2 --epochs 2 --batch-size 16 --pool max
echo "classify train bilstm max dropout   $(weights classify/model.safetensors)"
run classify train --train-lines female=female.txt --train-lines male=male.txt --out classify-gru --cell gru --hidden 12 --epochs 2 --batch-size 32 --pool mean --schedule cosine --warmup 3
echo "classify train gru mean cosine      $(weights classify-gru/model.safetensors)"
run tag train --truecase text.txt --out tag --hidden 16 --layers 1 --bidirectional --steps 20 --eval-every 10 --dev-fraction 0.1 --batch-size 8 --max-length 64
echo "tag train truecase bilstm           $(weights tag/model.safetensors)"
run generate train --train-lines female=female.txt --train-lines male=male.txt --out generate --hidden 16 --layers 2 --dropout 0.1 --epochs 2 --batch-size 16
echo "generate train lstm 2 layers        $(weights generate/model.safetensors)"
run seq2seq train --train g2p-train.tsv --dev g2p-dev.tsv --out seq2seq --hidden 16 --decoder-hidden 24 --embedding 8 --epochs 2 --batch-size 32 --dropout 0.1
echo "seq2seq train attention             $(weights seq2seq/model.safetensors)"
run seq2seq train --train g2p-train.tsv --dev g2p-dev.tsv --out seq2seq-plain --cell gru --unidirectional --no-attention --hidden 16 --decoder-hidden 16 --embedding 8 --epochs 1 --batch-size 32
echo "seq2seq train gru no attention      $(weights seq2seq-plain/model.safetensors)"
for task in adding temporal-order reber copy; do
  length=(); [ "$task" = adding ] && length=(--length 22); [ "$task" = copy ] && length=(--length 3)
  echo "task train $task bptt$(printf '%*s' $((19 - ${#task})) '')$(dotnet "$cli" task train "$task" "${length[@]}" --hidden 8 --max-steps 30 --eval-every 10 --json | summary)"
done
echo "task train adding rtrl             $(dotnet "$cli" task train adding --length 22 --learner rtrl --hidden 4 --max-steps 10 --eval-every 5 --batch 8 --json | summary)"
run longlag --cells rnn,lstm,gru --lengths 22,30 --max-steps 20 --hidden 8 --eval-every 10 --keep-going --out longlag.json
echo "longlag rnn,lstm,gru                $(summary < longlag.json)"
