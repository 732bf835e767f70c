// BF16 GEMM kernels using AVX512_BF16 (vdpbf16ps). Every function here is compiled for AVX-512 F/BW/VL +
// BF16 and must only be called after Tensors.CPU has found `avx512_bf16` at run time. (Prefetch.h, included
// below, is the exception: its inline helper compiles in the caller's module and runs on any x86-64.)
#ifndef TRELLIS_CKERNELS_BF16_H
#define TRELLIS_CKERNELS_BF16_H

#include <stdint.h>
#include "Prefetch.h"

/// Rounds `rows` rows of F32 `x` (`k` values each, rows `ldx` floats apart) to bfloat16, nearest even
/// (NaN stays a quiet NaN), into `dst`: rows of `kp` = ceil(k/2) UInt32 pairs, the low half holding the
/// even k, a zero filling the last pair's high half when `k` is odd.
void trellis_bf16_round_rows(const float *x, long rows, long k, long ldx, uint32_t *dst, long kp);

/// out[r0..<r1, c0..<c1] = x · Wᵀ (+ bias[column]) over all `kp` k-pairs, with `x` bf16 pairs
/// `[rows, kp]` (rows `ldx` pairs apart) and W packed as 16-column panels of pairs `[P, kp, 16]`
/// (panel p holds columns 16p..<16p+16; each UInt32 = W[col, 2q] | W[col, 2q+1] << 16).
/// `c0` is a multiple of 16. Each output is one vdpbf16ps chain per K block of 128 pairs, the first
/// block stored (+ bias), later blocks added in turn: independent of the row and column range.
void trellis_bf16_linear_tile(const uint32_t *x, long ldx, long r0, long r1, long c0, long c1,
                              const uint32_t *w, long kp, const float *bias, float *out, long ldo);

#endif
