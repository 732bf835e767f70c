#!/usr/bin/env bash
# Fails when the release binary's GEMM or elementwise kernels call `fmaf` (the symptom of a build
# without AVX2+FMA target flags, ~100x slower) or contain no 256-bit FMA instructions at all.
set -euo pipefail
bin=${1:-.build/release/trellis}
arch=$(uname -m)
if [ "$arch" != "x86_64" ]; then echo "check-vector-code: $arch, nothing to check"; exit 0; fi
command -v objdump >/dev/null || { echo "check-vector-code: objdump missing (apt-get install binutils)"; exit 1; }
dis=$(mktemp); trap 'rm -f "$dis"' EXIT
objdump -d --no-show-raw-insn "$bin" > "$dis"
# Kernel symbols live in the Tensors module and its AVX-512 companion: Swift mangles them as
# $s7Tensors… and $s13TensorsAVX512… (the length prefix keeps the two apart).
fail=0
kernels=$(awk '/^[0-9a-f]+ <\$s(7Tensors|13TensorsAVX512).*>:$/ {print $2}' "$dis" | wc -l)
bad=$(awk '
  /^[0-9a-f]+ <.*>:$/ { fn=$2; inK = (fn ~ /^<\$s(7Tensors|13TensorsAVX512)/) }
  inK && /call.*<fmaf?(@plt)?>/ { print fn; }' "$dis" | sort -u)
if [ -n "$bad" ]; then
  echo "check-vector-code: FAIL: Tensors kernels call fmaf (build without AVX2/FMA flags?):"
  echo "$bad" | head -20
  fail=1
fi
fmas=$(awk '/^[0-9a-f]+ <.*>:$/ { inK = ($2 ~ /^<\$s7Tensors/) } inK && /vfmadd[0-9]+ps.*%ymm/ {n++} END {print n+0}' "$dis")
if [ "$fmas" -eq 0 ]; then
  echo "check-vector-code: FAIL: no 256-bit vfmadd*ps in the Tensors kernels ($kernels functions)"
  fail=1
fi
# The AVX-512 kernel (run only on CPUs that have it) must be real zmm code too.
zfmas=$(awk '/^[0-9a-f]+ <.*>:$/ { inK = ($2 ~ /^<\$s13TensorsAVX512/) } inK && /vfmadd[0-9]+ps.*%zmm/ {n++} END {print n+0}' "$dis")
if [ "$zfmas" -eq 0 ]; then
  echo "check-vector-code: FAIL: no 512-bit vfmadd*ps in the TensorsAVX512 kernel"
  fail=1
fi
[ $fail -eq 0 ] && echo "check-vector-code: ok ($fmas ymm FMA instructions in Tensors, $zfmas zmm FMA instructions in TensorsAVX512, $kernels functions, no fmaf calls)"
exit $fail
