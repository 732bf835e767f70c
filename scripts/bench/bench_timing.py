"""The one timing rule of the reference runners: warm-up calls, then the best of `reps` timed calls."""
import time


def best_time(fn, reps, warmup=1, setup=None):
    """Best wall time of `fn()` over `reps` calls after `warmup` untimed rounds; `setup()`, when given,
    runs untimed before every round (e.g. the prefill a decode step needs)."""
    best = float("inf")
    for round_ in range(warmup + reps):
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        fn()
        if round_ >= warmup:
            best = min(best, time.perf_counter() - t0)
    return best
