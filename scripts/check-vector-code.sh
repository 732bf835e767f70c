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
tensors='^<[$]s7Tensors' avx512='^<[$]s13TensorsAVX512'
# The functions of a module (a regex on the mangled name) holding an instruction that matches a regex.
functions_with() {
  MOD="$1" RE="$2" awk '/^[0-9a-f]+ <.*>:$/ { fn = $2; inK = (fn ~ ENVIRON["MOD"]) }
    inK && $0 ~ ENVIRON["RE"] { print fn }' "$dis" | sort -u
}
# How many instructions of a module match a regex.
count_in() { MOD="$1" RE="$2" awk '/^[0-9a-f]+ <.*>:$/ { inK = ($2 ~ ENVIRON["MOD"]) }
    inK && $0 ~ ENVIRON["RE"] { n++ } END { print n + 0 }' "$dis"; }
# A failed check: its message, then the first offending functions (when there is a list).
failed() { echo "check-vector-code: FAIL: $1"; if [ -n "${2:-}" ]; then echo "$2" | head -20; fi; fail=1; }

kernels=$(awk '/^[0-9a-f]+ <\$s(7Tensors|13TensorsAVX512).*>:$/ {print $2}' "$dis" | wc -l)
bad=$(functions_with "$tensors|$avx512" 'call.*<fmaf?(@plt)?>')
[ -z "$bad" ] || failed "Tensors kernels call fmaf (build without AVX2/FMA flags?):" "$bad"
fmas=$(count_in "$tensors" 'vfmadd[0-9]+ps.*%ymm')
[ "$fmas" -ne 0 ] || failed "no 256-bit vfmadd*ps in the Tensors kernels ($kernels functions)"
# Tensors itself must run on any x86-64-v3 CPU: no AVX-512 (zmm, ymm16-31, masks, embedded broadcasts)
# outside the TensorsAVX512 module, which is only entered after a run-time CPU check.
evex=$(functions_with "$tensors" '%zmm|%ymm(1[6-9]|2[0-9]|3[01])|%k[1-7]|\{1to')
[ -z "$evex" ] || failed "AVX-512 instructions in Tensors (must stay x86-64-v3):" "$evex"
# The AVX-512 kernel (run only on CPUs that have it) must be real zmm code too.
zfmas=$(count_in "$avx512" 'vfmadd[0-9]+ps.*%zmm')
[ "$zfmas" -ne 0 ] || failed "no 512-bit vfmadd*ps in the TensorsAVX512 kernel"
[ $fail -eq 0 ] && echo "check-vector-code: ok ($fmas ymm FMA instructions in Tensors, $zfmas zmm FMA instructions in TensorsAVX512, $kernels functions, no fmaf calls)"
exit $fail
