"""Torch CPU reference for `trellis bench train --model pglm-tiny`: the same pre-LN xTrimoPGLM layers (5×128,
4 heads, per-head [q|k|v] with bias, 2-D rotate_half RoPE, GeGLU 2·384 → 384, final LayerNorm, untied head over
a 128-entry vocabulary), forward + cross-entropy over the selected rows + backward + clip + AdamW, on the batch
shapes and masks Trellis timed (read from --batches, a JSON list of {"batch", "length", "lengths", "prefixes",
"selected"}). Every batch runs once after one warm-up step; prints {"wall_seconds", "cpu_seconds"} as JSON."""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

H, HEADS, D, FFN, LAYERS, VOCAB = 128, 4, 32, 384, 5, 128


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = torch.nn.LayerNorm(H), torch.nn.LayerNorm(H)
        self.qkv = torch.nn.Linear(H, 3 * H)
        self.dense = torch.nn.Linear(H, H, bias=False)
        self.up = torch.nn.Linear(H, 2 * FFN, bias=False)
        self.down = torch.nn.Linear(FFN, H, bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        qkv = self.qkv(self.ln1(x)).view(b, t, HEADS, 3 * D).transpose(1, 2)   # [B, heads, T, 3d]
        q, k, v = qkv.split(D, dim=-1)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        x = x + self.dense(ctx.transpose(1, 2).reshape(b, t, H))
        a, g = self.up(self.ln2(x)).chunk(2, dim=-1)
        return x + self.down(a * F.gelu(g))


def rope(x, cos, sin):
    """rotate_half RoPE on each half of the head: positions on the first, block positions on the second."""
    out = []
    for half, (c, s) in zip(x.split(D // 2, dim=-1), zip(cos, sin)):
        h1, h2 = half.chunk(2, dim=-1)
        out.append(half * c + torch.cat((-h2, h1), dim=-1) * s)
    return torch.cat(out, dim=-1)


def tables(pos):
    """cos/sin [B, 1, T, d/2] of positions [B, T] for a rotary dimension of d/2."""
    dim = D // 2
    inv = 1.0 / (10000 ** (torch.arange(0, dim, 2).float() / dim))
    ang = pos.float()[..., None] * inv
    ang = torch.cat((ang, ang), dim=-1)[:, None]
    return ang.cos(), ang.sin()


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(VOCAB, H)
        self.layers = torch.nn.ModuleList(Layer() for _ in range(LAYERS))
        self.ln = torch.nn.LayerNorm(H)
        self.head = torch.nn.Linear(H, VOCAB, bias=False)

    def forward(self, ids, pos, blk, mask, rows):
        c1, s1 = tables(pos)
        c2, s2 = tables(blk)
        x = self.emb(ids)
        for layer in self.layers:
            x = layer(x, (c1, c2), (s1, s2), mask)
        return self.head(self.ln(x).reshape(-1, H)[rows])


def make_batch(spec, gen):
    b, t = spec["batch"], spec["length"]
    ids = torch.randint(1, 21, (b, t), generator=gen)
    pos = torch.arange(t).repeat(b, 1)
    blk = torch.zeros(b, t, dtype=torch.long)
    i, j = torch.arange(t)[:, None], torch.arange(t)[None, :]
    masks = [(j < n) & ((j < p) | (j <= i)) for n, p in zip(spec["lengths"], spec["prefixes"])]
    mask = torch.stack(masks)[:, None]   # [B, 1, T, T]
    rows = torch.randperm(b * t, generator=gen)[: spec["selected"]]
    targets = torch.randint(1, 21, (len(rows),), generator=gen)
    return ids, pos, blk, mask, rows, targets


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batches", required=True)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    with open(a.batches) as f:
        batches = [make_batch(s, gen) for s in json.load(f)]
    model = Model()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)

    def step(batch):
        ids, pos, blk, mask, rows, targets = batch
        opt.zero_grad()
        loss = F.cross_entropy(model(ids, pos, blk, mask, rows), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    step(batches[0])   # warm-up
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for batch in batches:
        step(batch)
    print(json.dumps({"wall_seconds": time.perf_counter() - wall0, "cpu_seconds": time.process_time() - cpu0,
                      "steps": len(batches), "threads": a.threads}))


if __name__ == "__main__":
    main()
