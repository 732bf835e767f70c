#!/usr/bin/env bash
# Hostile-input probes of the model runtime, tokenizers and the protein / news commands (issue 14):
# each case must end with exit 1 or 2 (or 0 where a documented policy applies) and a message naming the
# file, key or record; an exit >= 128 is a crash (a Swift trap or a signal).
#
# usage: scripts/probe/models-hostile.sh [BINARY]   (default .build/release/trellis; run from the repo root)
# Prints one line per probe and a summary; exits 1 when any probe crashed or missed its message.
set -u
BIN=${1:-.build/release/trellis}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
FIX=$(pwd)/Tests/Fixtures/models
W=$(mktemp -d "${TMPDIR:-/tmp}/trellis-probe.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"
export TRELLIS_MAX_ALLOCATION_GB=${TRELLIS_MAX_ALLOCATION_GB:-8}
ulimit -v 16000000 2>/dev/null || true     # an unchecked allocation dies here instead of swapping the machine

total=0; crashed=0; unclear=0
# probe NAME EXPECTED-REGEX [ok] -- command...   (ok: exit 0 is acceptable too)
probe() {
    local name=$1 want=$2 allow0=$3; shift 4
    total=$((total + 1))
    timeout 120 "$@" >"$W/out" 2>"$W/err"; local rc=$?
    local msg; msg=$(tr '\n' ' ' <"$W/err" | cut -c1-220)
    if [ $rc -ge 124 ]; then
        crashed=$((crashed + 1)); echo "CRASH  rc=$rc  $name: $msg"
    elif [ $rc -eq 0 ] && [ "$allow0" = ok ]; then
        echo "ok     rc=0    $name"
    elif [ $rc -ne 0 ] && grep -Eq -- "$want" "$W/err"; then
        echo "ok     rc=$rc    $name: $msg"
    else
        unclear=$((unclear + 1)); echo "UNCLEAR rc=$rc $name: $msg (wanted /$want/)"
    fi
}
# model NAME FIXTURE KEY VALUE: a copy of a fixture model with one config.json key replaced
model() {
    rm -rf "$1"; cp -r "$FIX/$2" "$1"
    [ -n "${3:-}" ] && sed -E -i "s/(\"$3\": *)[^,}]*/\1$4/" "$1/config.json"
    return 0
}
printf ">p1\nMKTAYIAKQR\n" > p.fa
printf ">long\n" > long.fa; head -c 300000 /dev/zero | tr '\0' 'A' >> long.fa; echo >> long.fa
echo "hello world" > t.txt

# 1. config.json validation, every family
model e1 esm2-tiny num_attention_heads 0;       probe "esm heads 0" "num_attention_heads = 0" no -- "$BIN" score e1 p.fa --output o.csv
model e2 esm2-tiny num_hidden_layers -3;        probe "esm layers -3" "num_hidden_layers = -3" no -- "$BIN" score e2 p.fa --output o.csv
model e3 esm2-tiny hidden_size 30;              probe "esm hidden % heads" "hidden_size = 30" no -- "$BIN" score e3 p.fa --output o.csv
model e4 esm2-tiny vocab_size 9000000;          probe "esm huge vocab" "word_embeddings.*vocab_size" no -- "$BIN" score e4 p.fa --output o.csv
model e5 esm2-tiny hidden_size 1000000000;      probe "esm huge hidden" "hidden_size = 1000000000" no -- "$BIN" score e5 p.fa --output o.csv
model e6 esm2-tiny layer_norm_eps 0;            probe "esm eps 0" "layer_norm_eps" no -- "$BIN" score e6 p.fa --output o.csv
model e7 esm2-tiny hidden_act '"swoosh"';       probe "esm activation" "hidden_act" no -- "$BIN" score e7 p.fa --output o.csv
model e8 esm2-tiny num_hidden_layers 900;       probe "esm more layers than stored" "num_hidden_layers = 900.*holds 2" no -- "$BIN" score e8 p.fa --output o.csv
model e9 esm2-tiny mask_token_id 99999999999;   probe "esm mask id" "mask_token_id" no -- "$BIN" score e9 p.fa --output o.csv
model e10 esm2-tiny vocab_size 1e300;           probe "esm vocab 1e300" "config.json" no -- "$BIN" score e10 p.fa --output o.csv
model b1 bert-tiny num_attention_heads 0;       probe "bert heads 0" "num_attention_heads = 0" no -- "$BIN" forward --model b1 --input t.txt --output o.safetensors
model b2 bert-tiny max_position_embeddings -1;  probe "bert positions -1" "max_position_embeddings = -1" no -- "$BIN" forward --model b2 --input t.txt --output o.safetensors
model b3 bert-tiny vocab_size 10000000;         probe "bert huge vocab" "word_embeddings.*vocab_size" no -- "$BIN" forward --model b3 --input t.txt --output o.safetensors
model b4 roberta-tiny intermediate_size 0;      probe "roberta ffn 0" "intermediate_size = 0" no -- "$BIN" forward --model b4 --input t.txt --output o.safetensors
model b5 bert-tiny pad_token_id 5000000000;     probe "bert pad id" "pad_token_id" no -- "$BIN" forward --model b5 --input t.txt --output o.safetensors
model g1 pglm-tiny num_attention_heads 0;       sed -i '/kv_channels/d' g1/config.json
                                                probe "pglm heads 0, no kv_channels" "num_attention_heads = 0" no -- "$BIN" score g1 p.fa --output o.csv
model g2 pglm-tiny multi_query_attention true;  sed -E -i 's/("multi_query_group_num": *)[0-9]+/\13/' g2/config.json
                                                probe "pglm groups 3 of 4 heads" "num_attention_heads = 4.*multi_query_group_num" no -- "$BIN" score g2 p.fa --output o.csv
model g3 pglm-tiny kv_channels 7;               probe "pglm odd rotary" "kv_channels = 7" no -- "$BIN" score g3 p.fa --output o.csv
model g4 pglm-tiny padded_vocab_size 10000000;  probe "pglm huge vocab" "word_embeddings.*padded_vocab_size" no -- "$BIN" score g4 p.fa --output o.csv
model g5 pglm-tiny num_layers 1024;             probe "pglm 1024 layers" "num_layers = 1024" no -- "$BIN" score g5 p.fa --output o.csv

# 2. lengths and allocations sized from input
probe "score 300k residues" "long.*300000 residues.*at most" no -- "$BIN" score "$FIX/esm2-tiny" long.fa --output o.csv
probe "generate max-length 2e9" "max_length" no -- "$BIN" generate "$FIX/pglm-tiny" --max-length 2000000000 --output g.faa
probe "embed truncation 1e8 (cut to the model)" "." ok -- "$BIN" embed "$FIX/esm2-tiny" p.fa e.safetensors --truncation 100000000
probe "forward 300k tokens" "300001 tokens|takes at most" no -- "$BIN" forward --model "$FIX/esm2-tiny" --input long.fa --output o.safetensors
probe "tokenize --threads 0" "--threads" no -- "$BIN" tokenize --tokenizer "$FIX/bert-tiny" --input t.txt --threads 0
probe "tokenize --threads -4" "--threads" no -- "$BIN" tokenize --tokenizer "$FIX/bert-tiny" --input t.txt --threads -4
printf 'row\tcol\tweight\n0\t2000000000\t1\n' > huge.tsv
probe "edge list index 2e9" "huge.tsv:2.*node index" no -- "$BIN" news-graph --edge-list huge.tsv --output g.tsv
probe "edge list --nodes 1e12" "nodes" no -- "$BIN" news-graph --edge-list huge.tsv --nodes 999999999999 --output g.tsv

# 3. numbers from JSON
mkdir -p tj; sed -E 's/("\[UNK\]": *)[0-9]+/\11e300/' "$FIX/bert-tiny/tokenizer.json" > tj/tokenizer.json
probe "tokenizer.json id 1e300" "tokenizer.json.*UNK" no -- "$BIN" tokenize --tokenizer tj/tokenizer.json --input t.txt
mkdir -p vj; sed -E 's/(: *)0([,}])/\11e300\2/' "$FIX/roberta-tiny/vocab.json" > vj/vocab.json; cp "$FIX/roberta-tiny/merges.txt" vj/
probe "vocab.json id 1e300" "vocab.json" no -- "$BIN" tokenize --tokenizer vj/vocab.json --input t.txt

# 4. garbage tokenizer files, paths, contacts, NaN weights
mkdir -p v1 v2 v3 v4
head -c 4096 /dev/urandom > v1/vocab.txt; : > v2/vocab.txt
printf '[PAD]\n[UNK]\nhello\nhello\n' > v3/vocab.txt; printf '[PAD]\nhello\nworld\n' > v4/vocab.txt
probe "vocab.txt binary" "vocab.txt.*(NUL|UTF-8)" no -- "$BIN" tokenize --tokenizer v1/vocab.txt --input t.txt
probe "vocab.txt empty" "vocab.txt.*empty" no -- "$BIN" tokenize --tokenizer v2/vocab.txt --input t.txt
probe "vocab.txt duplicate" "vocab.txt:4.*already on line 3" no -- "$BIN" tokenize --tokenizer v3/vocab.txt --input t.txt
probe "vocab.txt no [UNK]" "vocab.txt.*UNK" no -- "$BIN" tokenize --tokenizer v4/vocab.txt --input t.txt
model k1 esm2-tiny; head -c 2048 /dev/urandom > k1/vocab.txt
probe "esm garbage vocab.txt" "k1/vocab.txt" no -- "$BIN" score k1 p.fa --output o.csv
model k2 pglm-tiny; printf '\x0a\xff\xff\xff\xff\xff\xff\xff\xff\x7f' > k2/tokenizer.model
probe "pglm tokenizer.model huge varint" "tokenizer.model.*byte" no -- "$BIN" score k2 p.fa --output o.csv
model k3 pglm-tiny; printf 'A\nB\n\x00\x01garbage' > k3/tokenizer.model
probe "pglm tokenizer.model binary" "tokenizer.model" no -- "$BIN" score k3 p.fa --output o.csv
probe "model is a file" "p.fa: is a file.*config.json" no -- "$BIN" score p.fa p.fa --output o.csv
probe "hub id" "huggingface-cli download facebook/esm2_t6_8M_UR50D" no -- "$BIN" embed facebook/esm2_t6_8M_UR50D p.fa e.safetensors
mkdir -p nodir; probe "directory without config.json" "nodir: has no config.json" no -- "$BIN" score nodir p.fa --output o.csv
model c1 esm2-tiny; rm c1/config.json; mkdir c1/config.json
probe "config.json is a directory" "config.json: is a directory" no -- "$BIN" score c1 p.fa --output o.csv
probe "forward --contacts without head" "contact head.*--contacts" no -- "$BIN" forward --model "$FIX/bert-tiny" --input t.txt --output o.safetensors --contacts
probe "embed contacts, xTrimoPGLM" "contact" no -- "$BIN" embed "$FIX/pglm-tiny" p.fa e2.safetensors --include contacts
# special files in place of model and tokenizer files would be read forever
model z1 esm2-tiny; rm z1/config.json; ln -s /dev/zero z1/config.json
probe "config.json -> /dev/zero" "config.json: not a regular file" no -- "$BIN" score z1 p.fa --output o.csv
model z2 esm2-tiny; rm z2/vocab.txt; ln -s /dev/zero z2/vocab.txt
probe "vocab.txt -> /dev/zero" "vocab.txt.*not a regular file" no -- "$BIN" score z2 p.fa --output o.csv
mkdir -p z3; ln -sf /dev/zero z3/tokenizer.json
probe "tokenizer.json -> /dev/zero" "tokenizer.json.*not a regular file" no -- "$BIN" tokenize --tokenizer z3 --input t.txt
model z4 pglm-tiny-sharded; rm z4/model.safetensors.index.json; ln -s /dev/zero z4/model.safetensors.index.json
probe "index.json -> /dev/zero" "index.json" no -- "$BIN" score z4 p.fa --output o.csv
probe "generate temperature inf" "temperature" no -- "$BIN" generate "$FIX/pglm-tiny" --temperature inf --output g.faa
# NaN in lm_head.bias: patch the first value of that tensor in a copy of the checkpoint
model n1 esm2-tiny
hlen=$(od -An -t u8 -N 8 n1/model.safetensors | tr -d ' ')
start=$(head -c $((8 + hlen)) n1/model.safetensors | tail -c "$hlen" | grep -o '"esm.embeddings.word_embeddings.weight":{[^}]*}' | sed -E 's/.*data_offsets":\[([0-9]+),.*/\1/')
printf '\x00\x00\xc0\x7f' | dd of=n1/model.safetensors bs=1 seek=$((8 + hlen + start)) conv=notrunc status=none
probe "NaN weight" "word_embeddings.*non-finite" no -- "$BIN" embed n1 p.fa n.safetensors

echo "probes: $total, crashed (exit >= 124): $crashed, unclear or missing message: $unclear"
[ $crashed -eq 0 ] && [ $unclear -eq 0 ]
