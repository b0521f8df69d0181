#!/usr/bin/env python3
"""overlap's own WordPiece tokenizer and pooling against Hugging Face `tokenizers` on real corpora.

    models/.venv/bin/pip install tokenizers==0.23.3      # once
    models/.venv/bin/python bench/check_tokenizer.py ../shared/data/reuters21578.jsonl.gz [CORPUS.jsonl[.gz]...]

For every document, `overlap embed` gives a vector; the script recomputes it from the token ids that
`tokenizers` gives for the model's tokenizer.json (no special tokens, [UNK] dropped, rows summed, unit
length) and reports how many differ by more than 1e-5 in any coordinate.
"""

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from eval_sts import tokenizer_check  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpora", nargs="+")
    ap.add_argument("--binary", default=str(REPO / "target" / "release" / "overlap"))
    ap.add_argument("--model", default=None)
    args = ap.parse_args()
    for corpus in args.corpora:
        opener = gzip.open if corpus.endswith(".gz") else open
        with opener(corpus, "rt", encoding="utf-8") as f:
            texts = {}
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    texts[str(r["id"])] = r["text"]
        with tempfile.TemporaryDirectory() as td:
            out = Path(td) / "e.jsonl"
            cmd = [args.binary, "embed", corpus, "--out", str(out), "--quiet", "--on-error", "skip"]
            if args.model:
                cmd += ["--model", args.model]
            subprocess.run(cmd, check=True)
            ids, vecs = [], []
            for line in out.open(encoding="utf-8"):
                r = json.loads(line)
                ids.append(r["id"])
                vecs.append(r["embedding"])
        print(corpus, tokenizer_check([texts[i] for i in ids], vecs, args.model).replace("sentences", "documents"))


if __name__ == "__main__":
    main()
