"""Torch CPU reference timings for `trellis bench attention` (the Swift side prints the ratios).

    /work/venv/bin/python scripts/bench/torch_attention.py --threads N --shapes B,L,HEADS,D[;…] [--reps R]

For each shape: q, k, v random [B, HEADS, L, D] F32 (views of one fused [B, L, 3·HEADS·D] projection, as ESM's
is), all keys real, torch.inference_mode, warm-up then best of R; output transposed back to [B, L, HEADS·D]:
  sdpa:  torch.nn.functional.scaled_dot_product_attention (what transformers' ESM-2 runs by default)
  eager: softmax(q·kᵀ·scale)·v with the [B, HEADS, L, L] probabilities (transformers' eager attention,
         what `output_attentions` / contact prediction runs)
Prints one JSON object per line: {"bench":"attention","batch":…,"length":…,"heads":…,"dim":…,
"sdpa_seconds":…,"eager_seconds":…}.
"""
import argparse
import json

import torch

from bench_timing import best_time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--shapes", required=True)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for text in a.shapes.split(";"):
        b, length, heads, d = (int(x) for x in text.split(","))
        g = torch.Generator().manual_seed(1)
        qkv = torch.randn(b, length, 3, heads, d, generator=g)
        q, k, v = (qkv[:, :, i].transpose(1, 2) for i in range(3))
        scale = d ** -0.5

        def sdpa():
            with torch.inference_mode():
                torch.nn.functional.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, length, heads * d)

        def eager():
            with torch.inference_mode():
                p = torch.softmax(torch.matmul(q * scale, k.transpose(-1, -2)), dim=-1)
                torch.matmul(p, v).transpose(1, 2).reshape(b, length, heads * d)
        print(json.dumps({"bench": "attention", "batch": b, "length": length, "heads": heads, "dim": d,
                          "sdpa_seconds": best_time(sdpa, a.reps), "eager_seconds": best_time(eager, a.reps)}),
              flush=True)


if __name__ == "__main__":
    main()
