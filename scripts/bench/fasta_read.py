"""Reference for `trellis bench fasta`: a naive Python FASTA reader (the usual loop over lines building
id / description / sequence), timed on the same files. Prints one JSON object per file:
{"file": ..., "records": N, "residues": N, "seconds": best-of-runs}.

Usage: python scripts/bench/fasta_read.py [--runs 3] FILE...   (.gz via gzip; .zst via `zstandard`, else `zstd -dc`)
"""
import argparse
import gzip
import io
import json
import subprocess
import sys
import time


def open_text(path):
    if path.endswith(".gz"):
        return gzip.open(path, "rt")
    if path.endswith(".zst"):
        try:
            import zstandard
            return io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(open(path, "rb")))
        except ImportError:  # no binding: decompress with the zstd tool through a pipe
            proc = subprocess.Popen(["zstd", "-dcq", path], stdout=subprocess.PIPE)
            return io.TextIOWrapper(proc.stdout)
    return open(path, "rt")


def read_fasta(path):
    records = residues = 0
    header, chunks = None, []
    with open_text(path) as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line.startswith(">"):
                if header is not None:
                    residues += len("".join(chunks))
                    records += 1
                head = line[1:].split(None, 1)
                header, chunks = (head[0] if head else "", head[1] if len(head) > 1 else ""), []
            elif line and not line.startswith(";"):
                chunks.append(line.strip())
    if header is not None:
        residues += len("".join(chunks))
        records += 1
    return records, residues


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    for path in args.files:
        best = None
        try:
            for _ in range(args.runs):
                t = time.perf_counter()
                records, residues = read_fasta(path)
                dt = time.perf_counter() - t
                best = dt if best is None else min(best, dt)
        except ImportError as e:
            print(json.dumps({"file": path, "skipped": str(e)}))
            continue
        print(json.dumps({"file": path, "records": records, "residues": residues, "seconds": best}))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
