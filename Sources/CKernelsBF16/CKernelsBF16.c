// AVX512_BF16 GEMM: an 8×48 register tile (24 zmm accumulators, three B vectors, one A broadcast), each
// vdpbf16ps adding two bf16 products per lane into F32. The tile is specialised per row count (1…8) and
// panel count (1…3) so every accumulator stays in a register.
#include "CKernelsBF16.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <stddef.h>

// K block (pairs): three 48-column micro-panels of 128 pairs are 24 KB, inside a 32–48 KB L1d.
#define KC_PAIRS 128
// Rows of A swept against one B micro-panel, and columns of B per block (kept in L2).
#define MC_ROWS 96
#define NC_COLS 768

enum { OUT_STORE = 0, OUT_BIAS = 1, OUT_ADD = 2 };

static inline long min_l(long a, long b) { return a < b ? a : b; }

void trellis_bf16_round_rows(const float *x, long rows, long k, long ldx, uint32_t *dst, long kp) {
    const __m512i half = _mm512_set1_epi32(0x7FFF), one = _mm512_set1_epi32(1), quiet = _mm512_set1_epi32(0x40);
    for (long i = 0; i < rows; i++) {
        const float *s = x + i * ldx;
        uint16_t *d = (uint16_t *)(dst + i * kp);
        long j = 0;
        for (; j + 16 <= k; j += 16) {
            __m512i u = _mm512_loadu_si512((const void *)(s + j));
            __m512i top = _mm512_srli_epi32(u, 16);
            // u + 0x7FFF + lowest kept bit rounds to nearest, ties to even (as BFloat16.bits(from:)).
            __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, half), _mm512_and_si512(top, one)), 16);
            __m512 f = _mm512_castsi512_ps(u);
            __mmask16 nan = _mm512_cmp_ps_mask(f, f, _CMP_UNORD_Q);
            r = _mm512_mask_mov_epi32(r, nan, _mm512_or_si512(top, quiet));
            _mm256_storeu_si256((__m256i *)(d + j), _mm512_cvtepi32_epi16(r));
        }
        for (; j < k; j++) {
            uint32_t u;
            __builtin_memcpy(&u, s + j, 4);
            float f = s[j];
            d[j] = f != f ? (uint16_t)((u >> 16) | 0x40) : (uint16_t)((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
        }
        if (k & 1) d[k] = 0;
    }
}

// C[R, 16P] (rows `ldc` apart) from `kc` pairs of x (R rows `ldx` apart) and P panels (`pstride` apart).
static inline __attribute__((always_inline))
void tile(const int R, const int P, long kc, const uint32_t *x, long ldx, const uint32_t *b, long pstride,
          float *c, long ldc, int mode, const float *bias) {
    __m512 acc[8][3];
    // A later K block adds to C, whose tile rows lie `ldc` apart and, for large products, out in L3: asked
    // for now, they arrive during the loop instead of stalling the stores at its end (+5–8 % at M = 2048,
    // ESM-2 650M's projections, one thread on Zen 4).
    if (mode == OUT_ADD)
        for (int r = 0; r < R; r++)
            for (int p = 0; p < P; p++) _mm_prefetch((const char *)(c + r * ldc + p * 16), _MM_HINT_T0);
    for (int r = 0; r < R; r++)
        for (int p = 0; p < P; p++) acc[r][p] = _mm512_setzero_ps();
    for (long q = 0; q < kc; q++) {
        __m512bh bv[3];
        for (int p = 0; p < P; p++) bv[p] = (__m512bh)_mm512_loadu_si512((const void *)(b + p * pstride + q * 16));
        for (int r = 0; r < R; r++) {
            __m512bh av = (__m512bh)_mm512_set1_epi32((int)x[r * ldx + q]);
            for (int p = 0; p < P; p++) acc[r][p] = _mm512_dpbf16_ps(acc[r][p], av, bv[p]);
        }
    }
    for (int r = 0; r < R; r++) {
        for (int p = 0; p < P; p++) {
            float *cp = c + r * ldc + p * 16;
            __m512 v = acc[r][p];
            if (mode == OUT_BIAS) v = _mm512_add_ps(v, _mm512_loadu_ps(bias + p * 16));
            else if (mode == OUT_ADD) v = _mm512_add_ps(_mm512_loadu_ps(cp), v);
            _mm512_storeu_ps(cp, v);
        }
    }
}

#define TILE_P(R) \
    static void tile##R(int P, long kc, const uint32_t *x, long ldx, const uint32_t *b, long pstride, float *c, \
                        long ldc, int mode, const float *bias) { \
        if (P == 3) tile(R, 3, kc, x, ldx, b, pstride, c, ldc, mode, bias); \
        else if (P == 2) tile(R, 2, kc, x, ldx, b, pstride, c, ldc, mode, bias); \
        else tile(R, 1, kc, x, ldx, b, pstride, c, ldc, mode, bias); \
    }
TILE_P(1) TILE_P(2) TILE_P(3) TILE_P(4) TILE_P(5) TILE_P(6) TILE_P(7) TILE_P(8)

static void tile_any(int R, int P, long kc, const uint32_t *x, long ldx, const uint32_t *b, long pstride, float *c,
                     long ldc, int mode, const float *bias) {
    switch (R) {
    case 8: tile8(P, kc, x, ldx, b, pstride, c, ldc, mode, bias); break;
    case 7: tile7(P, kc, x, ldx, b, pstride, c, ldc, mode, bias); break;
    case 6: tile6(P, kc, x, ldx, b, pstride, c, ldc, mode, bias); break;
    case 5: tile5(P, kc, x, ldx, b, pstride, c, ldc, mode, bias); break;
    case 4: tile4(P, kc, x, ldx, b, pstride, c, ldc, mode, bias); break;
    case 3: tile3(P, kc, x, ldx, b, pstride, c, ldc, mode, bias); break;
    case 2: tile2(P, kc, x, ldx, b, pstride, c, ldc, mode, bias); break;
    default: tile1(P, kc, x, ldx, b, pstride, c, ldc, mode, bias); break;
    }
}

// C[ir..<ir+R, jr..<jr+ncols] for K block `qc` of `kc` pairs: one tile call, the last partial panel through a
// tile buffer and folded exactly as a whole panel is.
static void block(int R, long ncols, long qc, long kc, const uint32_t *x, long ldx, long ir, long jr,
                  const uint32_t *w, long pstride, const float *bias, float *out, long ldo) {
    const int P = (int)((ncols + 15) / 16);
    const int mode = qc > 0 ? OUT_ADD : (bias ? OUT_BIAS : OUT_STORE);
    const uint32_t *bp = w + (jr / 16) * pstride + qc * 16, *xp = x + ir * ldx + qc;
    if (ncols == 16L * P) {
        tile_any(R, P, kc, xp, ldx, bp, pstride, out + ir * ldo + jr, ldo, mode, bias ? bias + jr : NULL);
        return;
    }
    float tmp[8 * 48];
    tile_any(R, P, kc, xp, ldx, bp, pstride, tmp, 48, OUT_STORE, NULL);
    for (int r = 0; r < R; r++) {
        float *o = out + (ir + r) * ldo + jr;
        for (long j = 0; j < ncols; j++) {
            const float t = tmp[r * 48 + j];
            o[j] = mode == OUT_STORE ? t : mode == OUT_BIAS ? t + bias[jr + j] : o[j] + t;
        }
    }
}

void trellis_bf16_linear_tile(const uint32_t *x, long ldx, long r0, long r1, long c0, long c1,
                              const uint32_t *w, long kp, const float *bias, float *out, long ldo) {
    const long pstride = kp * 16;
    if (r1 - r0 <= 8) {
        // Few rows (decoding): the weights are read once whatever the order, so each pair of panels is swept
        // down all of K, two sequential streams per thread. Three or more panels in flight read DRAM slower:
        // a C copy over the 1B-class decode shapes, 2 threads, Zen 5 KVM guest, in-process alternation:
        // 48-column groups block by block 26-28 GB/s, down K 29-38, 32 columns (this) 36-54, 16 the same as
        // 32; the real 1B BF16 decode, alternating per token: 9-18 % less time, 8 of 8.
        for (long jr = c0; jr < c1; jr += 32)
            for (long qc = 0; qc < kp; qc += KC_PAIRS)
                block((int)(r1 - r0), min_l(32, c1 - jr), qc, min_l(KC_PAIRS, kp - qc), x, ldx, r0, jr, w, pstride,
                      bias, out, ldo);
        return;
    }
    for (long jc = c0; jc < c1; jc += NC_COLS) {
        const long jend = min_l(jc + NC_COLS, c1);
        for (long qc = 0; qc < kp; qc += KC_PAIRS) {
            const long kc = min_l(KC_PAIRS, kp - qc);
            for (long ic = r0; ic < r1; ic += MC_ROWS) {
                const long iend = min_l(ic + MC_ROWS, r1);
                for (long jr = jc; jr < jend; jr += 48)
                    for (long ir = ic; ir < iend; ir += 8)
                        block((int)min_l(8, iend - ir), min_l(48, jend - jr), qc, kc, x, ldx, ir, jr, w, pstride,
                              bias, out, ldo);
            }
        }
    }
}

#endif
