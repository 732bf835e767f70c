// The fused attention's score + online-softmax step on AVX-512 (see the header for the contract).
#include "CKernelsAVX512.h"

#if defined(__x86_64__)
#include <immintrin.h>

// e^x for x ≤ 0: lane for lane Tensors.vexpNonPositive (same constants, same FMAs, same order).
static inline __attribute__((always_inline)) __m512 exp_nonpositive(__m512 x) {
    const __m512 lo = _mm512_set1_ps(-87.33654f), magic = _mm512_set1_ps(12582912.0f);
    // vmaxps returns its first operand when it is greater, else the second: NaN stays x, as in Swift's vmax.
    const __m512 xc = _mm512_max_ps(lo, x);
    const __m512 tn = _mm512_fmadd_ps(xc, _mm512_set1_ps(1.44269504f), magic);
    const __m512 n = _mm512_sub_ps(tn, magic);
    __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(-0.693359375f), xc);
    r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.1219444e-4f), r);
    __m512 p = _mm512_set1_ps(0.008290303f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.041897923f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.16667636f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.4999915f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.9999997f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    const __m512i bits = _mm512_add_epi32(_mm512_castps_si512(p), _mm512_slli_epi32(_mm512_castps_si512(tn), 23));
    const __mmask16 below = _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ);
    return _mm512_mask_blend_ps(below, _mm512_castsi512_ps(bits), _mm512_setzero_ps());
}

// Largest lane of a running maximum that holds no NaN (so any order gives the same value).
static inline __attribute__((always_inline)) float lane_max(__m512 v) {
    __m256 h8 = _mm256_max_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 h4 = _mm_max_ps(_mm256_castps256_ps128(h8), _mm256_extractf128_ps(h8, 1));
    __m128 h2 = _mm_max_ps(h4, _mm_movehl_ps(h4, h4));
    __m128 h1 = _mm_max_ss(h2, _mm_shuffle_ps(h2, h2, 1));
    return _mm_cvtss_f32(h1);
}

// Swift's Float max(a, b): b when b ≥ a, else a (a is never NaN here).
static inline float max_f(float a, float b) { return b >= a ? b : a; }

int trellis_attention_open_block(const float *const *q, const float *kT, long d, float scale, float *m, float *l,
                                 float *c, float *const *p) {
    // Named accumulators: with an array, clang kept the tile in memory and stored it after every FMA.
#define ROW_ACC(r) __m512 a##r##0 = _mm512_setzero_ps(), a##r##1 = a##r##0, a##r##2 = a##r##0, a##r##3 = a##r##0;
    ROW_ACC(0) ROW_ACC(1) ROW_ACC(2) ROW_ACC(3) ROW_ACC(4) ROW_ACC(5)
    const float *q0 = q[0], *q1 = q[1], *q2 = q[2], *q3 = q[3], *q4 = q[4], *q5 = q[5];
    const float *kp = kT;
    for (long x = 0; x < d; x++) {
        const __m512 k0 = _mm512_loadu_ps(kp), k1 = _mm512_loadu_ps(kp + 16);
        const __m512 k2 = _mm512_loadu_ps(kp + 32), k3 = _mm512_loadu_ps(kp + 48);
#define ROW_FMA(r) { const __m512 b = _mm512_set1_ps(q##r[x]); \
        a##r##0 = _mm512_fmadd_ps(b, k0, a##r##0); a##r##1 = _mm512_fmadd_ps(b, k1, a##r##1); \
        a##r##2 = _mm512_fmadd_ps(b, k2, a##r##2); a##r##3 = _mm512_fmadd_ps(b, k3, a##r##3); }
        ROW_FMA(0) ROW_FMA(1) ROW_FMA(2) ROW_FMA(3) ROW_FMA(4) ROW_FMA(5)
        kp += 64;
    }
    __m512 acc[6][4] = {{a00, a01, a02, a03}, {a10, a11, a12, a13}, {a20, a21, a22, a23},
                        {a30, a31, a32, a33}, {a40, a41, a42, a43}, {a50, a51, a52, a53}};
#undef ROW_ACC
#undef ROW_FMA
    const __m512 s = _mm512_set1_ps(scale);
    float mx[6];
    int finite = 1;
    for (int r = 0; r < 6; r++) {
        __m512 v = _mm512_set1_ps(-__builtin_inff());
        for (int j = 0; j < 4; j++) {
            acc[r][j] = _mm512_mul_ps(acc[r][j], s);
            v = _mm512_max_ps(acc[r][j], v);   // new lane when greater, as the AVX2 path's vmax
        }
        mx[r] = max_f(m[r], lane_max(v));
        finite &= mx[r] != -__builtin_inff();
    }
    if (!finite) {
        for (int r = 0; r < 6; r++)
            for (int j = 0; j < 4; j++) _mm512_storeu_ps(p[r] + 16 * j, acc[r][j]);
        return 0;
    }
    float old[16] = {0};
    for (int r = 0; r < 6; r++) old[r] = m[r] - mx[r];
    float f[16];
    _mm512_storeu_ps(f, exp_nonpositive(_mm512_loadu_ps(old)));
    for (int r = 0; r < 6; r++) {
        const __m512 mv = _mm512_set1_ps(mx[r]);
        __m256 sum = _mm256_setzero_ps();
        for (int j = 0; j < 4; j++) {
            const __m512 e = exp_nonpositive(_mm512_sub_ps(acc[r][j], mv));
            _mm512_storeu_ps(p[r] + 16 * j, e);
            sum = _mm256_add_ps(sum, _mm512_castps512_ps256(e));
            sum = _mm256_add_ps(sum, _mm512_extractf32x8_ps(e, 1));
        }
        const __m128 a = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
        const __m128 b = _mm_add_ps(a, _mm_movehl_ps(a, a));
        const float total = _mm_cvtss_f32(b) + _mm_cvtss_f32(_mm_shuffle_ps(b, b, 1));
        m[r] = mx[r];
        const float scaled = l[r] * f[r];
        l[r] = scaled + total;
        c[r] = f[r];
    }
    return 1;
}

#endif
