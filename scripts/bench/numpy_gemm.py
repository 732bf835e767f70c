#!/usr/bin/env python3
"""Reference for `trellis bench gemm`: times numpy's sgemm (x @ w.T, float32) for the given shapes.

Usage: numpy_gemm.py --shapes M,K,N [M,K,N ...] [--min-seconds S] [--reps R] [--cpu-time]
Prints one JSON object per shape: {"m":..,"k":..,"n":..,"threads":..,"gflops":..,"blas":..}.
The thread count is whatever OPENBLAS_NUM_THREADS / OMP_NUM_THREADS say; the caller sets them.
"""
import argparse
import json
import os
import time

import numpy as np


def blas_name():
    try:
        cfg = np.show_config(mode="dicts")
        return cfg["Build Dependencies"]["blas"].get("name", "?")
    except Exception:
        return "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", nargs="+", required=True)
    ap.add_argument("--min-seconds", type=float, default=0.15)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--cpu-time", action="store_true",
                    help="time each run with the calling thread's CPU clock (1 BLAS thread only)")
    args = ap.parse_args()
    threads = int(os.environ.get("OPENBLAS_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "0")) or 0)
    rng = np.random.default_rng(0)
    blas = blas_name()
    for shape in args.shapes:
        m, k, n = (int(v) for v in shape.split(","))
        x = rng.uniform(-1, 1, (m, k)).astype(np.float32)
        w = rng.uniform(-1, 1, (n, k)).astype(np.float32)
        out = np.empty((m, n), dtype=np.float32)
        w0 = time.perf_counter()
        np.matmul(x, w.T, out=out)  # warm-up
        once = time.perf_counter() - w0
        # A run is as many calls as take ~50 us, as on the Trellis side (clock resolution at tiny shapes).
        calls = max(1, min(10000, int(50e-6 / max(once, 1e-9))))
        best = float("inf")
        reps = 0
        start = time.perf_counter()
        while reps < args.reps or time.perf_counter() - start < args.min_seconds:
            clock = time.thread_time if args.cpu_time else time.perf_counter
            t0 = clock()
            for _ in range(calls):
                np.matmul(x, w.T, out=out)
            best = min(best, (clock() - t0) / calls)
            reps += 1
        print(json.dumps({"m": m, "k": k, "n": n, "threads": threads,
                          "gflops": round(2.0 * m * k * n / best / 1e9, 2), "blas": blas}), flush=True)


if __name__ == "__main__":
    main()
