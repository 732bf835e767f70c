"""Torch CPU reference for `trellis bench train`: BertForMaskedLM 4×256 (4 heads, FFN 1024), batch 16 × 128,
forward + backward + clip + AdamW step; prints {"seconds_per_step": best} as JSON."""
import argparse
import json

import torch
from transformers import BertConfig, BertForMaskedLM

from bench_timing import best_time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=30522, hidden_size=256, num_hidden_layers=4, num_attention_heads=4,
                     intermediate_size=1024, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model = BertForMaskedLM(cfg)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    b, t = 16, 128
    ids = torch.randint(1000, 21000, (b, t))
    labels = torch.full((b, t), -100)
    pick = torch.rand(b, t) < 0.15
    pick[:, 0] = False
    labels[pick] = ids[pick]
    ids[pick] = 103

    def step():
        opt.zero_grad()
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    best = best_time(step, a.steps)
    print(json.dumps({"seconds_per_step": best, "tokens_per_s": b * t / best}))


if __name__ == "__main__":
    main()
