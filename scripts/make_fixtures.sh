#!/usr/bin/env bash
# Builds the committed test fixtures under Tests/Fixtures/ with the Python reference implementations
# (torch CPU, transformers 4.x, tokenizers, safetensors, numpy). Python is used only here, never by
# the product. Usage: scripts/make_fixtures.sh [area ...]   (areas = scripts/fixtures/*.py basenames)
# The venv is $TRELLIS_VENV (default .venv); torch comes from pip's find-links folder when one holds a
# CPU wheel, otherwise from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${TRELLIS_VENV:-.venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  wheel=$(ls /opt/wheels/torch-*cpu*.whl 2>/dev/null | head -1 || true)
  "$venv/bin/pip" install -q ${wheel:-torch} "transformers<5" tokenizers safetensors numpy
fi
areas=("$@")
if [ ${#areas[@]} -eq 0 ]; then
  for f in scripts/fixtures/*.py; do areas+=("$(basename "$f" .py)"); done
fi
for a in "${areas[@]}"; do
  echo "== fixtures: $a"
  "$venv/bin/python" "scripts/fixtures/$a.py" --out "Tests/Fixtures/$a"
done
