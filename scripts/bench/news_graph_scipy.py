#!/usr/bin/env python3
"""Reference timing for `trellis bench news-graph`: the Prompt-and-Align news proximity graph built with
scipy.sparse, vectorised (the authors' Process/adj_matrix_fewshot.py uses Python loops that would take
hours on 10 million records; the maths here is theirs: active users with >= t records, one dummy user per
uncovered article, float32 B with repeated reposts summed, A = B^T B, degrees raised to -1/2 in float64 and
rounded to float32, A_T = (A D) ^T D ^T).

Usage: news_graph_scipy.py --news NEWS.npy --users USERS.npy --nodes N [--min-user-records 5] [--repeat 3]
Prints one JSON line: {"seconds": best wall, "all": [...], "cpu_seconds": best CPU, "nnz": ..., "active_users": ..., "dummy_users": ...,
"weight_sum": ...}. Exits with status 3 when numpy or scipy is missing.
"""
import argparse, json, sys, time

try:
    import numpy as np
    import scipy.sparse as sp
except ImportError as e:  # the caller prints "reference unavailable"
    print(json.dumps({"error": f"missing module: {e.name}"}))
    sys.exit(3)


def build(news, users, n, t):
    counts = np.bincount(users)
    active = counts[users] >= t
    active_users, row = np.unique(users[active], return_inverse=True)
    covered = np.zeros(n, dtype=bool)
    covered[news[active]] = True
    dummies = np.flatnonzero(~covered)
    rows = np.concatenate([row, len(active_users) + np.arange(len(dummies))])
    cols = np.concatenate([news[active], dummies])
    b = sp.csc_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                      shape=(len(active_users) + len(dummies), n), dtype=np.float32)
    a = b.transpose().dot(b)
    deg = np.asarray(a.sum(1), dtype=np.float64).ravel()
    with np.errstate(divide="ignore"):
        d = np.power(deg, -0.5)
    d[np.isinf(d)] = 0.0
    dm = sp.diags(d.astype(np.float32))
    a = a.dot(dm).transpose().dot(dm).transpose().tocsr()
    return a, len(active_users), len(dummies)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--news", required=True)
    p.add_argument("--users", required=True)
    p.add_argument("--nodes", type=int, required=True)
    p.add_argument("--min-user-records", type=int, default=5)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    news = np.load(args.news).astype(np.int64)
    users = np.load(args.users).astype(np.int64)
    times, cpu = [], []
    for _ in range(args.repeat):
        a = None
        t0, c0 = time.perf_counter(), time.process_time()
        a, active, dummies = build(news, users, args.nodes, args.min_user_records)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    print(json.dumps({"seconds": min(times), "all": times, "cpu_seconds": min(cpu), "nnz": int(a.nnz), "active_users": int(active),
                      "dummy_users": int(dummies), "weight_sum": float(a.sum(dtype=np.float64)),
                      "scipy": sp.__name__ and __import__("scipy").__version__}))


if __name__ == "__main__":
    main()
