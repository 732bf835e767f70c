// AVX-512 kernels that Swift cannot express well (its SIMD16 compares and half extracts are scalarised).
// Compiled for AVX-512 F/BW/DQ/VL; call only after Tensors.CPU has found AVX-512 at run time.
// Compiled with -ffp-contract=off: every multiply-add here is an explicit FMA or explicitly not one, so the
// bits match the Swift kernels they stand beside.
#ifndef TRELLIS_CKERNELS_AVX512_H
#define TRELLIS_CKERNELS_AVX512_H

/// One 64-key block of the fused attention's online softmax for six query rows that all see every key of
/// the block with no bias. Scores s = scale · (q[r] · kT[:, j]) (an FMA chain over the head dimension in
/// order, from a packed Kᵀ block `[d, 64]`), kept in registers; per row the new running maximum
/// m' = max(m[r], max_j s), the factor c[r] = e^(m[r] − m') for the earlier sum and context, P = e^(s − m')
/// written to p[r][0..<64], and l[r] = l[r]·c[r] + Σ P, the sum taken in eight lanes over the groups of eight
/// keys in key order and then folded 4+4, 2+2, 1+1. These are the operations of Tensors.FlashAttention's
/// score tile and softmaxStepPair, so the bits are the same.
/// Returns 0, with p[r] holding the plain scores and m, l, c untouched, when a row's maximum is −∞ (every
/// score −∞ or NaN); 1 when the step is done.
int trellis_attention_open_block(const float *const *q, const float *kT, long d, float scale, float *m, float *l,
                                 float *c, float *const *p);

#endif
