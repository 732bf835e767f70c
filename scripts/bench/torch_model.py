"""Torch CPU reference timings for `trellis bench model` (the Swift side prints the ratio).

    /work/venv/bin/python scripts/bench/torch_model.py [--threads N] [--quick]
        [--models t6_8M,t12_35M] [--batches 1,8] [--lengths 128,512] [--no-forward] [--no-decode]

Prints one JSON object per line on stdout (progress on stderr):
  {"bench":"info", "torch":…, "cpu_threads":…, "loadavg":[…]}
  {"bench":"forward","model":"t12_35M","batch":8,"length":512,"threads":2,"seconds":…,"tokens_per_s":…}
  {"bench":"decode","model":"pglm_12x768","dtype":"bf16","threads":2,"prompt":32,"new_tokens":64,
   "seconds":…,"tokens_per_s":…,"prefill_seconds":…}

forward: transformers `EsmForMaskedLM` (default attention = SDPA) with random weights in the ESM-2 shapes,
all tokens real (no padding), torch.inference_mode, warm-up then best of N; seconds per batch.
decode: an xTrimoPGLM-shaped CLM (12 layers, hidden 768, 12 heads × 64, GeGLU ffn 2048, vocab 128, 1-D RoPE),
run by the fixtures' reference module (scripts/fixtures/pglm_reference.py) with a simple KV cache: prefill a
32-token prompt, then 64 greedy steps of one token; tokens_per_s = 64 / time of those steps (best of N).
Weights F32, or BF16 (torch computes in BF16 then; activations BF16, softmax F32).
Without --threads: every benchmark with all cores and with 1 thread.
"""
import argparse
import json
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))

ESM_SHAPES = {
    "t6_8M": dict(num_hidden_layers=6, hidden_size=320, num_attention_heads=20, intermediate_size=1280),
    "t12_35M": dict(num_hidden_layers=12, hidden_size=480, num_attention_heads=20, intermediate_size=1920),
}
PGLM_SHAPE = {"num_layers": 12, "hidden_size": 768, "num_attention_heads": 12, "kv_channels": 64,
              "ffn_hidden_size": 2048}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def emit(obj):
    print(json.dumps(obj), flush=True)


def best_time(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def esm_model(shape):
    from transformers import EsmConfig, EsmForMaskedLM
    cfg = EsmConfig(vocab_size=33, pad_token_id=1, mask_token_id=32, max_position_embeddings=1026,
                    position_embedding_type="rotary", token_dropout=True, emb_layer_norm_before=False,
                    hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, layer_norm_eps=1e-5,
                    **ESM_SHAPES[shape])
    torch.manual_seed(0)
    return EsmForMaskedLM(cfg).eval()


def bench_forward(args, threads):
    for name in args.models:
        model = esm_model(name)
        for length in args.lengths:
            for batch in args.batches:
                if args.quick and batch > 1 and length > 128:
                    continue
                g = torch.Generator().manual_seed(1)
                ids = torch.randint(4, 24, (batch, length), generator=g)
                ids[:, 0], ids[:, -1] = 0, 2
                am = torch.ones_like(ids)

                def run():
                    with torch.inference_mode():
                        model(input_ids=ids, attention_mask=am)
                reps = 2 if args.quick else (3 if batch * length >= 4096 else 5)
                s = best_time(run, 1, reps)
                emit({"bench": "forward", "model": name, "batch": batch, "length": length, "threads": threads,
                      "seconds": round(s, 5), "tokens_per_s": round(batch * length / s, 1)})


def pglm_model(dtype):
    import pglm_reference as P
    cfg = {"num_layers": 12, "padded_vocab_size": 128, "layernorm_epsilon": 1e-5, "glu_activation": "geglu",
           "deepnorm": True, "add_bias_linear": True, "add_qkv_bias": True, "multi_query_attention": False,
           "multi_query_group_num": 1, "rotary_embedding_2d": False}
    cfg.update(PGLM_SHAPE)
    torch.manual_seed(0)
    model = P.ProteinGLM(cfg, tied=False).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.02)
    return model.to(dtype)


def bench_decode(args, threads):
    import pglm_reference as P
    prompt_len, new = 32, 64
    for dname, dtype in (("f32", torch.float32), ("bf16", torch.bfloat16)):
        model = pglm_model(dtype)
        g = torch.Generator().manual_seed(2)
        prompt = torch.cat([torch.tensor([[P.GMASK, P.SOP, P.EOS]]),
                            torch.randint(1, 26, (1, prompt_len - 3), generator=g)], dim=1)
        pos = torch.arange(prompt_len)[None]
        allowed = torch.ones(prompt_len, prompt_len, dtype=torch.bool).tril()[None]
        state = {}

        def prefill():
            with torch.inference_mode():
                logits, _, past = model(prompt, pos, pos, allowed)
            state["past"], state["next"] = past, int(torch.argmax(logits[0, -1, :36]))

        def decode():
            past, nxt = state["past"], state["next"]
            with torch.inference_mode():
                for step in range(new):
                    p = torch.tensor([[prompt_len + step]])
                    logits, _, past = model(torch.tensor([[nxt]]), p, p, None, past)
                    nxt = int(torch.argmax(logits[0, -1, :36]))
        reps = 1 if args.quick else 3
        pre = best_time(prefill, 1, reps)
        best = float("inf")
        for _ in range(reps + 1):  # first round is the warm-up
            prefill()
            t0 = time.perf_counter()
            decode()
            best = min(best, time.perf_counter() - t0)
        emit({"bench": "decode", "model": "pglm_12x768", "dtype": dname, "threads": threads, "batch": 1,
              "prompt": prompt_len, "new_tokens": new, "seconds": round(best, 5),
              "tokens_per_s": round(new / best, 1), "prefill_seconds": round(pre, 5)})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=0, help="only this thread count (default: all cores, then 1)")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions; skip batch>1 at length>128")
    ap.add_argument("--models", default="t6_8M,t12_35M")
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--lengths", default="128,512")
    ap.add_argument("--no-forward", action="store_true")
    ap.add_argument("--no-decode", action="store_true")
    args = ap.parse_args()
    args.models = [m for m in args.models.split(",") if m]
    args.batches = [int(x) for x in args.batches.split(",") if x]
    args.lengths = [int(x) for x in args.lengths.split(",") if x]
    for m in args.models:
        if m not in ESM_SHAPES:
            ap.error(f"unknown model {m!r}; expected one of {', '.join(ESM_SHAPES)}")
    cores = os.cpu_count() or 1
    thread_list = [args.threads] if args.threads > 0 else sorted({cores, 1}, reverse=True)
    emit({"bench": "info", "torch": torch.__version__, "cpu_threads": cores, "loadavg": list(os.getloadavg())})
    for threads in thread_list:
        torch.set_num_threads(threads)
        log(f"torch_model: {threads} thread(s)")
        if not args.no_forward:
            bench_forward(args, threads)
        if not args.no_decode:
            bench_decode(args, threads)


if __name__ == "__main__":
    main()
