#!/usr/bin/env python3
"""overlap's Rust forward pass of all-MiniLM-L6-v2 against an independent reference.

    models/.venv/bin/python bench/check_transformer.py [--limit 300] [--binary target/release/overlap]
                                                       [--model models/all-minilm-l6-v2]

The reference is sentence-transformers' pipeline written out in numpy, float64: Hugging Face
`tokenizers` (truncation to max_seq_length 256, [CLS]/[SEP] added), the BERT forward pass of
scripts/distill_static.py (exact GELU by math.erf), mean pooling over every token, unit length.
(torch and sentence-transformers are not installed for this: the PyPI torch wheel brings gigabytes
of CUDA libraries.) The first --limit sentences of STS-news (both sides of its pairs, in file order)
go through `overlap embed --transformer` and the reference; the script prints the largest
1 - cos(overlap, reference) over sentences and the largest difference of pair cosines (text1 vs
text2), and exits 1 when either is above 1e-4. Needs numpy and tokenizers (models/.venv after
`models/.venv/bin/pip install tokenizers==0.23.3`).
"""

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
import distill_static as d  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=str(REPO / "target" / "release" / "overlap"))
    ap.add_argument("--model", default=str(REPO / "models" / "all-minilm-l6-v2"))
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--limit", type=int, default=300, help="sentences (an even number: whole pairs)")
    args = ap.parse_args()

    with gzip.open(Path(args.data) / "sts-news.jsonl.gz", "rt", encoding="utf-8") as f:
        pairs = [json.loads(line) for line in f if line.strip()]
    texts = []
    for p in pairs:
        if len(texts) >= args.limit:
            break
        texts += [p["text1"], p["text2"]]

    with tempfile.TemporaryDirectory() as td:
        corpus = Path(td) / "s.jsonl"
        corpus.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts)))
        out = Path(td) / "e.jsonl"
        cmd = [args.binary, "embed", str(corpus), "--out", str(out), "--transformer", "--quiet",
               "--transformer-model", args.model]
        subprocess.run(cmd, check=True)
        ours = {int(r["id"]): np.array(r["embedding"], dtype=np.float64) for r in map(json.loads, out.open())}

    model = Path(args.model)
    max_len = json.load(open(model / "sentence_bert_config.json"))["max_seq_length"]
    tok = Tokenizer.from_file(str(model / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_len)
    bert = d.Bert(d.read_safetensors(str(model / "model.safetensors")), json.load(open(model / "config.json")))
    ref = []
    for t in texts:
        h = bert.forward(np.array([tok.encode(t).ids]))[0].mean(axis=0)
        ref.append(h / np.linalg.norm(h))

    def cos(u, v):
        return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))

    sent = max(1 - cos(ours[i], ref[i]) for i in range(len(texts)))
    pair = max(abs(cos(ours[i], ours[i + 1]) - cos(ref[i], ref[i + 1])) for i in range(0, len(texts) - 1, 2))
    coord = max(float(np.abs(ours[i] - ref[i]).max()) for i in range(len(texts)))
    print(json.dumps({
        "sentences": len(texts),
        "max_1_minus_cos_vs_reference": sent,
        "max_pair_cosine_difference": pair,
        "max_coordinate_difference": coord,
    }, indent=2))
    sys.exit(0 if sent <= 1e-4 and pair <= 1e-4 else 1)


if __name__ == "__main__":
    main()
