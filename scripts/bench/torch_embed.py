"""Torch CPU reference for `trellis bench embed`: fair-esm extract.py-style embedding of a FASTA file.

    /work/venv/bin/python scripts/bench/torch_embed.py --fasta FILE [--shape t12_35M] [--threads N] [--limit N]

An ESM-2-shaped model (--shape: t6_8M, t12_35M (default), t30_150M, t33_650M; transformers EsmModel without
pooler, random weights, F32, default attention) embeds every record as extract.py does: residues upper-cased, a trailing
'*' stripped, truncated to 1022, sequences sorted by length and batched with toks_per_batch 4096
(extract.py's get_batch_indices, one extra token per sequence), <cls> + residues + <eos> right-padded,
torch.inference_mode; the mean of the last layer over the residues is kept (include mean).
Prints one JSON line: residues, seconds (model construction excluded), residues_per_s, peak_rss_mb (this
process's own ru_maxrss, model construction included), torch version and the ATen CPU capability.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch

TOKENS = ["<cls>", "<pad>", "<eos>", "<unk>"] + list("LAGVSERTIDPKQNFYMHWCXBUZO.-") + ["<null_1>", "<mask>"]
INDEX = {t: i for i, t in enumerate(TOKENS)}
SHAPES = {
    "t6_8M": (6, 320, 1280),
    "t12_35M": (12, 480, 1920),
    "t30_150M": (30, 640, 2560),
    "t33_650M": (33, 1280, 5120),
}
ISA_ENV = ["ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS", "ONEDNN_MAX_CPU_ISA", "OPENBLAS_CORETYPE"]


def read_fasta(path, limit):
    out, label, seq = [], None, []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith(">"):
                if label is not None:
                    out.append((label, "".join(seq)))
                label, seq = line[1:].strip(), []
            elif line:
                seq.append(line)
    if label is not None:
        out.append((label, "".join(seq)))
    out = [(l, s.upper().rstrip("*")) for l, s in out if s]
    return out[:limit] if limit else out


def batches(sizes, toks_per_batch, extra=1):
    order = sorted(range(len(sizes)), key=lambda i: sizes[i])
    out, buf, max_len = [], [], 0
    for i in order:
        sz = sizes[i] + extra
        if max(sz, max_len) * (len(buf) + 1) > toks_per_batch and buf:
            out.append(buf)
            buf, max_len = [], 0
        max_len = max(max_len, sz)
        buf.append(i)
    if buf:
        out.append(buf)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fasta", required=True)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--shape", default="t12_35M", choices=sorted(SHAPES))
    ap.add_argument("--truncation", type=int, default=1022)
    ap.add_argument("--toks-per-batch", type=int, default=4096)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from transformers import EsmConfig, EsmModel
    layers, hidden, ffn = SHAPES[args.shape]
    cfg = EsmConfig(vocab_size=33, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=20,
                    intermediate_size=ffn, max_position_embeddings=1026, position_embedding_type="rotary",
                    emb_layer_norm_before=False, token_dropout=True, pad_token_id=1, mask_token_id=32,
                    hidden_act="gelu", layer_norm_eps=1e-5)
    torch.manual_seed(0)
    model = EsmModel(cfg, add_pooling_layer=False).eval()
    records = read_fasta(args.fasta, args.limit)
    seqs = [s[:args.truncation] for _, s in records]
    start = time.time()
    residues = 0
    means = {}
    with torch.inference_mode():
        for b in batches([len(r[1]) for r in records], args.toks_per_batch):
            toks = [[0] + [INDEX.get(c, 3) for c in seqs[i]] + [2] for i in b]
            T = max(len(t) for t in toks)
            ids = torch.tensor([t + [1] * (T - len(t)) for t in toks])
            am = (ids != 1).long()
            # extract.py keeps only the requested layers: the last one here (no all-layer hidden states).
            last = model(input_ids=ids, attention_mask=am).last_hidden_state
            for k, i in enumerate(b):
                n = len(seqs[i])
                means[records[i][0]] = last[k, 1:n + 1].mean(0).clone()
                residues += n
            print(f"{residues} residues", file=sys.stderr, flush=True)
    seconds = time.time() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"bench": "torch_embed", "sequences": len(records), "residues": residues, "seconds": seconds,
                      "residues_per_s": residues / seconds, "peak_rss_mb": peak, "threads": args.threads,
                      "shape": args.shape, "torch": torch.__version__,
                      "cpu_capability": torch.backends.cpu.get_cpu_capability(),
                      "isa_env": {k: os.environ[k] for k in ISA_ENV if k in os.environ}}), flush=True)


if __name__ == "__main__":
    main()
