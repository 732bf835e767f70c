#!/usr/bin/env bash
# Builds the committed test fixtures with the Python reference implementations (torch CPU,
# transformers 4.x, tokenizers, safetensors, numpy). Python is used only here and by the optional
# benchmark references, never by the product.
#   scripts/make_fixtures.sh [area ...]     areas: see the table below (default: all, in order)
# The venv is $TRELLIS_VENV (default .venv); torch comes from pip's find-links folder when it holds a
# CPU wheel, otherwise from PyPI. Areas that read ../shared take it from $TRELLIS_SHARED (default ../shared).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${TRELLIS_VENV:-.venv}
shared=${TRELLIS_SHARED:-../shared}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  wheel=$(ls /opt/wheels/torch-*cpu*.whl 2>/dev/null | head -1 || true)
  "$venv/bin/pip" install -q ${wheel:-torch} "transformers<5" tokenizers safetensors numpy scipy
fi
py="$venv/bin/python"

# area -> command (order matters: protein and training read the model fixtures).
declare -A cmd=(
  [dataio]="$py scripts/fixtures/dataio.py --out Tests/Fixtures/dataio"
  [safetensors]="$py scripts/fixtures/safetensors_files.py --out Tests/Fixtures/safetensors"
  [tokenizers]="$py scripts/fixtures/tokenizer_cases.py --out Tests/Fixtures/tokenizers"
  [models]="$py scripts/fixtures/models.py --out Tests/Fixtures/models"
  [protein]="$py scripts/fixtures/protein.py --out Tests/Fixtures/protein"
  [training]="$py scripts/fixtures/training.py --out Tests/Fixtures/training"
  [prompt]="$py scripts/fixtures/prompt_align.py --out Tests/Fixtures/prompt"
  [news-samples]="$py scripts/fixtures/news_samples.py --data $shared/data/news/fang --out samples/news"
)
order=(dataio safetensors tokenizers models protein training prompt news-samples)
areas=("$@")
[ ${#areas[@]} -gt 0 ] || areas=("${order[@]}")
for a in "${areas[@]}"; do
  [ -n "${cmd[$a]:-}" ] || { echo "unknown fixture area '$a' (known: ${order[*]})" >&2; exit 2; }
  script=$(echo "${cmd[$a]}" | awk '{print $2}')
  if [ ! -f "$script" ]; then echo "== fixtures: $a (skipped: $script not present)"; continue; fi
  echo "== fixtures: $a"
  TRELLIS_SHARED="$shared" ${cmd[$a]}
done
