#!/usr/bin/env bash
# Reference for `trellis bench engine`: times Snakemake running N independent trivial jobs
# (`echo i > out/i.txt`, plus the `all` target) with --cores JOBS, and the same with 1 job to measure start-up.
# Creates a venv with `pip install snakemake` on first use (PyPI must be reachable).
# Prints one JSON line: {"snakemake": "<version>", "n": N, "jobs": JOBS, "seconds_n": .., "seconds_1": ..}
# Usage: scripts/bench/snakemake_bench.sh [N=1000] [JOBS=2]
set -euo pipefail
N="${1:-1000}"
JOBS="${2:-2}"
VENV="${TRELLIS_BENCH_VENV:-$HOME/.cache/trellis/snakemake-venv}"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/snakemake" ]; then
  echo "snakemake_bench: creating $VENV and installing snakemake from PyPI…" >&2
  "$PYTHON" -m venv "$VENV" >&2
  "$VENV/bin/pip" install --quiet snakemake >&2
fi
VERSION="$("$VENV/bin/snakemake" --version)"

run() {  # run N: prints wall seconds
  local n="$1" dir
  dir="$(mktemp -d)"
  echo "N = $n" > "$dir/Snakefile"
  cat >> "$dir/Snakefile" <<'SNAKE'
rule all:
    input: expand("out/{i}.txt", i=range(N))
rule step:
    output: "out/{i}.txt"
    shell: "echo {wildcards.i} > {output}"
SNAKE
  local start end
  start=$(date +%s.%N)
  (cd "$dir" && "$VENV/bin/snakemake" all --cores "$JOBS" --quiet rules >"$dir/stderr.txt" 2>&1) \
    || { cat "$dir/stderr.txt" >&2; rm -rf "$dir"; exit 1; }
  end=$(date +%s.%N)
  rm -rf "$dir"
  echo "$end - $start" | bc -l
}

S1="$(run 1)"
SN="$(run "$N")"
printf '{"snakemake": "%s", "n": %d, "jobs": %d, "seconds_n": %.3f, "seconds_1": %.3f}\n' "$VERSION" "$N" "$JOBS" "$SN" "$S1"
