#!/usr/bin/env python3
"""Reference throughput of the Hugging Face `tokenizers` package for `trellis bench tokenize`.

Usage: python scripts/bench/tokenizers_bench.py --corpus TEXTS.jsonl --tokenizer NAME=tokenizer.json ... [--repeat R]
Prints one JSON object: {NAME: {"tokens": n, "cold_1t": s, "best_1t": s, "best_batch": s, "threads": t}}.
Single-threaded figures use `Tokenizer.encode` in a loop; `best_batch` uses `encode_batch` with the Rayon
threads given by RAYON_NUM_THREADS (the caller runs this script once with RAYON_NUM_THREADS=1 and once with
all cores). Truncation and padding stored in tokenizer.json are switched off.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != HERE]
from tokenizers import Tokenizer  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--tokenizer", action="append", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    texts = [json.loads(l)["text"] for l in open(a.corpus, encoding="utf-8")]
    out = {}
    for spec in a.tokenizer:
        name, path = spec.split("=", 1)
        tok = Tokenizer.from_file(path)
        tok.no_truncation()
        tok.no_padding()
        t0 = time.perf_counter()
        n = sum(len(tok.encode(t).ids) for t in texts)
        cold = time.perf_counter() - t0
        best = cold
        for _ in range(a.repeat - 1):
            t0 = time.perf_counter()
            for t in texts:
                tok.encode(t)
            best = min(best, time.perf_counter() - t0)
        batch = float("inf")
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            tok.encode_batch(texts)
            batch = min(batch, time.perf_counter() - t0)
        out[name] = {"tokens": n, "cold_1t": cold, "best_1t": best, "best_batch": batch,
                     "threads": os.environ.get("RAYON_NUM_THREADS", str(os.cpu_count()))}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
