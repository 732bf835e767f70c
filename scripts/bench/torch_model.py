"""Torch CPU reference timings for `trellis bench model` (the Swift side prints the ratio).

    /work/venv/bin/python scripts/bench/torch_model.py [--threads N] [--quick]
        [--shape t6_8M,t12_35M,t30_150M,t33_650M] [--weights f32,bf16] [--batches 1,8] [--lengths 128,512]
        [--decode-shape 12x768,1B] [--decode-batches 1,4] [--new-tokens N] [--no-forward] [--no-decode]

Prints one JSON object per line on stdout (progress on stderr):
  {"bench":"info", "torch":…, "cpu_capability":"AVX512", "isa_env":{…}, "cpu_threads":…, "loadavg":[…]}
  {"bench":"forward","model":"t12_35M","dtype":"f32","batch":8,"length":512,"threads":2,"seconds":…,"tokens_per_s":…}
  {"bench":"decode","shape":"12x768","dtype":"bf16","threads":2,"prompt":32,"new_tokens":64,
   "seconds":…,"tokens_per_s":…,"prefill_seconds":…}

forward: transformers `EsmForMaskedLM` (default attention = SDPA) with random weights in the ESM-2 shapes,
all tokens real (no padding), torch.inference_mode, warm-up then best of N; seconds per batch.
decode: an xTrimoPGLM-shaped CLM (12x768: 12 layers, hidden 768, 12 heads × 64, GeGLU ffn 2048; 1B: 24 layers,
hidden 2048, 32 heads × 64, ffn 5461; vocab 128, 1-D RoPE), run by the fixtures' reference module
(scripts/fixtures/pglm_reference.py) with a simple KV cache: prefill a 32-token prompt, then --new-tokens greedy
steps of one token; tokens_per_s = steps / time of those steps (best of N). --decode-batches B decodes B
sequences together (each its own random 32-token prompt, one token each per step): tokens_per_s = B·steps / time.
Weights F32, or BF16 (torch computes in BF16 then; activations BF16, softmax F32).
The instruction set: ATEN_CPU_CAPABILITY / MKL_ENABLE_INSTRUCTIONS / ONEDNN_MAX_CPU_ISA from the environment
(Trellis sets them to AVX2 when its AVX-512 paths are forced off); the info line reports what torch uses.
Without --threads: every benchmark with all cores and with 1 thread.

--omp-wait (default auto): torch's OpenMP threads spin while waiting by default; on a machine shared with other
busy processes that makes multi-threaded torch 4-5× slower (measured here at load 13 on 2 cores: t12_35M,
batch 1, length 512, 2 threads: 8.2-9.7 s spinning vs 1.7-2.2 s passive). `auto` sets OMP_WAIT_POLICY=PASSIVE
when the 1-minute load average exceeds the core count, else leaves torch's default; `active`/`passive` force
it; an OMP_WAIT_POLICY already in the environment wins. The info line records the policy and the load.
`trellis bench model` always passes active or passive, decided once when it starts from the processes
running besides itself (after a minute of its own work the load average alone would exceed the core count
and make torch passive, and slower, on an otherwise idle machine).
"""
import argparse
import json
import os
import sys

from bench_timing import best_time

torch = None  # imported in main(), after OMP_WAIT_POLICY is settled
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.append(os.path.join(HERE, "..", "fixtures"))  # after site-packages: never shadow real packages

ESM_SHAPES = {
    "t6_8M": dict(num_hidden_layers=6, hidden_size=320, num_attention_heads=20, intermediate_size=1280),
    "t12_35M": dict(num_hidden_layers=12, hidden_size=480, num_attention_heads=20, intermediate_size=1920),
    "t30_150M": dict(num_hidden_layers=30, hidden_size=640, num_attention_heads=20, intermediate_size=2560),
    "t33_650M": dict(num_hidden_layers=33, hidden_size=1280, num_attention_heads=20, intermediate_size=5120),
}
PGLM_SHAPES = {
    "12x768": {"num_layers": 12, "hidden_size": 768, "num_attention_heads": 12, "kv_channels": 64,
               "ffn_hidden_size": 2048},
    "1B": {"num_layers": 24, "hidden_size": 2048, "num_attention_heads": 32, "kv_channels": 64,
           "ffn_hidden_size": 5461},
}
DTYPES = {"f32": "float32", "bf16": "bfloat16"}
ISA_ENV = ["ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS", "ONEDNN_MAX_CPU_ISA", "OPENBLAS_CORETYPE"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def emit(obj):
    print(json.dumps(obj), flush=True)


def esm_model(shape):
    from transformers import EsmConfig, EsmForMaskedLM
    cfg = EsmConfig(vocab_size=33, pad_token_id=1, mask_token_id=32, max_position_embeddings=1026,
                    position_embedding_type="rotary", token_dropout=True, emb_layer_norm_before=False,
                    hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, layer_norm_eps=1e-5,
                    **ESM_SHAPES[shape])
    torch.manual_seed(0)
    return EsmForMaskedLM(cfg).eval()


def bench_forward(args, threads):
    for name, dname in [(m, d) for m in args.models for d in args.weights]:
        model = esm_model(name).to(getattr(torch, DTYPES[dname]))
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
                s = best_time(run, reps)
                emit({"bench": "forward", "model": name, "dtype": dname, "batch": batch, "length": length, "threads": threads,
                      "seconds": round(s, 5), "tokens_per_s": round(batch * length / s, 1)})


def pglm_model(shape, dtype):
    import pglm_reference as P
    cfg = {"padded_vocab_size": 128, "layernorm_epsilon": 1e-5, "glu_activation": "geglu",
           "deepnorm": True, "add_bias_linear": True, "add_qkv_bias": True, "multi_query_attention": False,
           "multi_query_group_num": 1, "rotary_embedding_2d": False}
    cfg.update(PGLM_SHAPES[shape])
    torch.manual_seed(0)
    model = P.ProteinGLM(cfg, tied=False).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.02)
    return model.to(dtype)


def bench_decode(args, threads):
    import pglm_reference as P
    prompt_len = 32
    for shape, dname in [(s, d) for s in args.decode_shapes for d in args.weights]:
        new = args.new_tokens or (16 if shape == "1B" else 64)
        dtype = getattr(torch, DTYPES[dname])
        model = pglm_model(shape, dtype)
        for batch in args.decode_batches:
            g = torch.Generator().manual_seed(2)
            prompt = torch.cat([torch.tensor([[P.GMASK, P.SOP, P.EOS]] * batch),
                                torch.randint(1, 26, (batch, prompt_len - 3), generator=g)], dim=1)
            pos = torch.arange(prompt_len)[None].expand(batch, -1)
            allowed = torch.ones(prompt_len, prompt_len, dtype=torch.bool).tril()[None].expand(batch, -1, -1)
            state = {}

            def prefill():
                with torch.inference_mode():
                    logits, _, past = model(prompt, pos, pos, allowed)
                state["past"], state["next"] = past, torch.argmax(logits[:, -1, :36], dim=-1)[:, None]

            def decode():
                past, nxt = state["past"], state["next"]
                with torch.inference_mode():
                    for step in range(new):
                        p = torch.full((batch, 1), prompt_len + step)
                        logits, _, past = model(nxt, p, p, None, past)
                        nxt = torch.argmax(logits[:, -1, :36], dim=-1)[:, None]
            reps = 1 if args.quick else 3
            pre = best_time(prefill, reps)
            best = best_time(decode, reps, setup=prefill)
            emit({"bench": "decode", "shape": shape, "model": "pglm_" + shape, "dtype": dname, "threads": threads,
                  "batch": batch, "prompt": prompt_len, "new_tokens": new, "seconds": round(best, 5),
                  "tokens_per_s": round(batch * new / best, 1), "prefill_seconds": round(pre, 5)})
        del model


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=0, help="only this thread count (default: all cores, then 1)")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions; skip batch>1 at length>128")
    ap.add_argument("--shape", "--models", dest="models", default="t6_8M,t12_35M")
    ap.add_argument("--weights", default=None, help="f32,bf16 (default: forward f32, decode f32,bf16)")
    ap.add_argument("--decode-shape", default="12x768")
    ap.add_argument("--new-tokens", type=int, default=0, help="decode steps (default 64; 16 for 1B)")
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--decode-batches", default="1", help="sequences decoded together (default 1)")
    ap.add_argument("--lengths", default="128,512")
    ap.add_argument("--no-forward", action="store_true")
    ap.add_argument("--no-decode", action="store_true")
    ap.add_argument("--omp-wait", choices=["auto", "active", "passive"], default="auto")
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    load = list(os.getloadavg())
    if "OMP_WAIT_POLICY" not in os.environ:
        if args.omp_wait == "passive" or (args.omp_wait == "auto" and load[0] > cores):
            os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
        elif args.omp_wait == "active":
            os.environ["OMP_WAIT_POLICY"] = "ACTIVE"
    global torch
    import torch  # after OMP_WAIT_POLICY: OpenMP reads it once, at start-up
    args.models = [m for m in args.models.split(",") if m]
    args.batches = [int(x) for x in args.batches.split(",") if x]
    args.lengths = [int(x) for x in args.lengths.split(",") if x]
    args.decode_shapes = [m for m in args.decode_shape.split(",") if m]
    args.decode_batches = [int(x) for x in args.decode_batches.split(",") if x]
    for m in args.models:
        if m not in ESM_SHAPES:
            ap.error(f"unknown shape {m!r}; expected one of {', '.join(ESM_SHAPES)}")
    for m in args.decode_shapes:
        if m not in PGLM_SHAPES:
            ap.error(f"unknown decode shape {m!r}; expected one of {', '.join(PGLM_SHAPES)}")
    forward_weights = (args.weights or "f32").split(",")
    decode_weights = (args.weights or "f32,bf16").split(",")
    for w in set(forward_weights + decode_weights):
        if w not in DTYPES:
            ap.error(f"unknown weights {w!r}; expected f32 or bf16")
    thread_list = [args.threads] if args.threads > 0 else sorted({cores, 1}, reverse=True)
    emit({"bench": "info", "torch": torch.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability(),
          "isa_env": {k: os.environ[k] for k in ISA_ENV if k in os.environ}, "cpu_threads": cores, "loadavg": load,
          "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default (active spin)")})
    for threads in thread_list:
        torch.set_num_threads(threads)
        log(f"torch_model: {threads} thread(s)")
        if not args.no_forward:
            args.weights = forward_weights
            bench_forward(args, threads)
        if not args.no_decode:
            args.weights = decode_weights
            bench_decode(args, threads)


if __name__ == "__main__":
    main()
