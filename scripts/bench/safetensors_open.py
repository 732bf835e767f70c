#!/usr/bin/env python3
"""Reference for `trellis bench safetensors`: Python safetensors open and read-all times for one file.

Usage: python scripts/bench/safetensors_open.py FILE REPEAT
Prints one JSON object: {"open_ms": median, "read_ms": median, "tensors": n} (read = numpy load_file).
"""
import json
import statistics
import sys
import time

sys.path.pop(0)  # keep scripts/bench off the import path
from safetensors import safe_open  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402


def main():
    path, repeat = sys.argv[1], int(sys.argv[2])
    opens, reads, n = [], [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        with safe_open(path, "np") as f:
            n = len(list(f.keys()))
        opens.append((time.perf_counter() - t) * 1e3)
    for _ in range(max(1, repeat // 10)):
        t = time.perf_counter()
        load_file(path)
        reads.append((time.perf_counter() - t) * 1e3)
    print(json.dumps({"open_ms": statistics.median(opens), "read_ms": statistics.median(reads), "tensors": n}))


if __name__ == "__main__":
    main()
