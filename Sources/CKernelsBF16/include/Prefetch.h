// A software prefetch the Swift kernels can call (Swift has no prefetch intrinsic): inlined at each call.
#ifndef TRELLIS_PREFETCH_H
#define TRELLIS_PREFETCH_H

/// Asks for the cache line holding `p` in L1, to be written (prefetchw where the CPU has it, else prefetcht0).
static inline __attribute__((always_inline)) void trellis_prefetch_write(const void *p) { __builtin_prefetch(p, 1, 3); }

#endif
