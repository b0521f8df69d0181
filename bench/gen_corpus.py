#!/usr/bin/env python3
"""Build a large corpus with planted near-duplicates at known word-level edit rates.

    python3 bench/gen_corpus.py --docs 100000 [--name gen-100k] [--seed 1] [--planted 0.15]

Writes bench/out/<name>.jsonl.gz ({id, text}), bench/out/<name>.planted.tsv.gz, one line per planted
pair: `copy_id  source_id  rate  edits  words` (rate 0 = exact copy; words: of the source), and
bench/out/<name>.meta.json (the parameters). Deterministic for a given seed and
set of shared corpora.

Documents:
- every real document of reuters21578, 20newsgroups and bbc-news (about 40k; they keep their natural
  duplicates, which are not counted as planted);
- synthetic originals up to (1 - planted) of the total: 3 to 25 sentences drawn at random from the
  sentence pool of the real documents (so word statistics are realistic and originals are distinct);
- planted copies, a `planted` fraction of the total, split evenly over the rates 0 (exact copy), 1%, 2%,
  3%, 5%, 10% and 20%. A copy takes a distinct source document and applies `round(rate * words)` (randomly
  rounded) word edits, each a substitution, an insertion or a deletion with equal probability; new words
  come from the pool's vocabulary. Words are whitespace-separated and the edited text is re-joined with
  single spaces (which changes no token).
- template clusters (`--templates K --template-size N`, default none): K texts of about 200 words
  (sentences from the pool), each repeated N times with one word replaced by a word unique to the copy
  (calendar and product pages of a crawl). They count towards the synthetic originals; their members
  are listed in bench/out/<name>.templates.tsv.gz (`doc_id  template`).
Documents are shuffled, so copies do not sit next to their sources.

With `--stream` (for 3M to 10M+ documents, whose texts do not fit in Python's memory) the corpus is
written as it is generated, in bounded memory: each position draws its kind (real, synthetic,
template member, planted copy) in proportion to what is left of each, so the counts are exact; a copy
takes its source at random from a window of the last 200,000 originals (it lands up to a few hundred
thousand documents after it), and template members are spread through the whole corpus. Same truth
files and rates; a different (but equally deterministic) corpus than without `--stream`.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchenv  # noqa: E402

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402

SOURCES = ["reuters21578.jsonl.gz", "20newsgroups.jsonl.gz", "bbc-news.jsonl.gz"]
RATES = [0.0, 0.01, 0.02, 0.03, 0.05, 0.10, 0.20]
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n\s*\n")


def load_sources() -> tuple[list[tuple[str, str]], list[str]]:
    docs = []
    for name in SOURCES:
        path = benchenv.DATA / name
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                if rec.get("text", "").strip():
                    docs.append((str(rec["id"]), rec["text"]))
    sentences = []
    for _, text in docs:
        for s in _SENTENCE_END.split(text):
            s = " ".join(s.split())
            if s.count(" ") >= 3:
                sentences.append(s)
    return docs, sentences


def edit(words: list[str], rate: float, vocab: list[str], rng: random.Random) -> tuple[list[str], int]:
    target = rate * len(words)
    n = int(target) + (rng.random() < target - int(target))
    words = list(words)
    for _ in range(n):
        op = rng.randrange(3)
        if op == 0 and words:  # substitution
            words[rng.randrange(len(words))] = rng.choice(vocab)
        elif op == 1 or not words:  # insertion
            words.insert(rng.randrange(len(words) + 1), rng.choice(vocab))
        else:  # deletion
            if len(words) > 1:
                del words[rng.randrange(len(words))]
    return words, n


def meta(docs: int, seed: int, planted: float, templates: int = 0, template_size: int = 0) -> dict:
    """What determines a generated corpus (scale.py regenerates when it differs)."""
    m = {"docs": docs, "seed": seed, "planted": planted, "rates": RATES, "sources": SOURCES}
    if templates:
        m["templates"] = templates
        m["template_size"] = template_size
    return m


def write_truth(name: str, planted: list, template_members: list, a) -> None:
    truth_path = benchenv.OUT / f"{name}.planted.tsv.gz"
    with gzip.open(truth_path, "wt", encoding="utf-8") as f:
        f.write("copy_id\tsource_id\trate\tedits\twords\n")
        for row in planted:
            f.write("\t".join(map(str, row)) + "\n")
    if template_members:
        with gzip.open(benchenv.OUT / f"{name}.templates.tsv.gz", "wt", encoding="utf-8") as f:
            f.write("doc_id\ttemplate\n")
            for doc_id, t in template_members:
                f.write(f"{doc_id}\t{t}\n")
    meta_path = benchenv.OUT / f"{name}.meta.json"
    m = meta(a.docs, a.seed, a.planted, a.templates, a.template_size)
    if a.stream:
        m["stream"] = True
    meta_path.write_text(json.dumps(m, indent=1))


WINDOW = 200_000


def stream(a, name: str, rng: random.Random, real: list, sentences: list, vocab: list) -> None:
    """Write the corpus as it is generated (see `--stream` in the module doc)."""
    t0 = time.perf_counter()
    n_planted = int(a.docs * a.planted)
    n_originals = a.docs - n_planted
    if n_originals < len(real):
        real = rng.sample(real, n_originals)
    rng.shuffle(real)
    n_template = min(a.templates * a.template_size, max(0, n_originals - len(real)))
    templates = []
    for t in range(a.templates):
        words: list[str] = []
        while len(words) < 200:
            words.extend(rng.choice(sentences).split())
        templates.append(words)
    t_left = [min(a.template_size, max(0, n_template - t * a.template_size)) for t in range(a.templates)]
    left = {"real": len(real), "syn": n_originals - len(real) - n_template, "tpl": n_template, "copy": n_planted}
    kinds = list(left)
    window: list[tuple[str, str]] = []
    planted = []
    template_members = []
    n_syn = n_copy = 0
    corpus_path = benchenv.OUT / f"{name}.jsonl.gz"
    dumps = json.dumps
    with gzip.open(corpus_path, "wt", encoding="utf-8", compresslevel=a.level) as f:
        for i in range(a.docs):
            total = sum(left.values())
            r = rng.random() * total
            for kind in kinds:
                r -= left[kind]
                if r < 0 and left[kind] > 0:
                    break
            else:
                kind = next(k for k in kinds if left[k] > 0)
            if kind == "copy" and not window:
                kind = next(k for k in ("real", "syn", "tpl") if left[k] > 0)
            left[kind] -= 1
            if kind == "real":
                doc_id, text = real[len(real) - left["real"] - 1]
            elif kind == "syn":
                doc_id = f"syn:{n_syn}"
                n_syn += 1
                text = " ".join(rng.choices(sentences, k=rng.randint(3, 25)))
            elif kind == "tpl":
                r = rng.random() * sum(t_left)
                for t, n in enumerate(t_left):
                    r -= n
                    if r < 0 and n > 0:
                        break
                m = a.template_size - t_left[t]
                t_left[t] -= 1
                w = list(templates[t])
                w[rng.randrange(len(w))] = f"t{t}u{m}"
                doc_id, text = f"tpl:{t}:{m}", " ".join(w)
                template_members.append((doc_id, t))
            else:
                rate = RATES[n_copy % len(RATES)]
                src_id, src = window[rng.randrange(len(window))]
                doc_id = f"copy:{n_copy}"
                n_copy += 1
                if rate == 0.0:
                    text, n_edits, n_words = src, 0, len(src.split())
                else:
                    words = src.split()
                    new_words, n_edits = edit(words, rate, vocab, rng)
                    text, n_words = " ".join(new_words), len(words)
                planted.append((doc_id, src_id, rate, n_edits, n_words))
            if kind in ("real", "syn"):
                # Template members are not sources of planted copies: their copies would be members too.
                if len(window) < WINDOW:
                    window.append((doc_id, text))
                else:
                    window[rng.randrange(WINDOW)] = (doc_id, text)
            f.write(dumps({"id": doc_id, "text": text}, ensure_ascii=False))
            f.write("\n")
            if i and i % 1_000_000 == 0:
                benchenv.log(f"{i} documents ({time.perf_counter() - t0:.0f} s)")
    write_truth(name, planted, template_members, a)
    benchenv.log(
        f"wrote {benchenv.rel(corpus_path)} ({a.docs} documents, {corpus_path.stat().st_size / 2**20:.0f} MiB), "
        f"{len(planted)} planted pairs, {len(template_members)} template members in {time.perf_counter() - t0:.1f} s"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, required=True, help="total documents")
    ap.add_argument("--name", help="output name (default gen-<docs>)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--planted", type=float, default=0.15, help="fraction of documents that are planted copies")
    ap.add_argument("--level", type=int, default=1, help="gzip level (default 1: fast)")
    ap.add_argument("--templates", type=int, default=0, help="template clusters to plant (default 0)")
    ap.add_argument("--template-size", type=int, default=20000, help="documents per template cluster")
    ap.add_argument("--stream", action="store_true", help="write while generating, in bounded memory (for 3M+)")
    a = ap.parse_args()
    name = a.name or f"gen-{a.docs}"
    benchenv.OUT.mkdir(parents=True, exist_ok=True)
    rng = random.Random(a.seed)
    t0 = time.perf_counter()
    real, sentences = load_sources()
    vocab = sorted({w for s in sentences[:: max(1, len(sentences) // 200_000)] for w in s.split()})
    benchenv.log(f"{len(real)} real documents, {len(sentences)} sentences, {len(vocab)} vocabulary words ({time.perf_counter() - t0:.1f} s)")
    if a.stream:
        stream(a, name, rng, real, sentences, vocab)
        return

    n_planted = int(a.docs * a.planted)
    n_originals = a.docs - n_planted
    if n_originals < len(real):
        real = rng.sample(real, n_originals)
    originals: list[tuple[str, str]] = list(real)
    template_members: list[tuple[str, int]] = []
    n_template_docs = min(a.templates * a.template_size, max(0, n_originals - len(real)))
    for t in range(a.templates):
        words: list[str] = []
        while len(words) < 200:
            words.extend(rng.choice(sentences).split())
        for m in range(a.template_size):
            if len(template_members) >= n_template_docs:
                break
            w = list(words)
            w[rng.randrange(len(w))] = f"t{t}u{m}"
            doc_id = f"tpl:{t}:{m}"
            originals.append((doc_id, " ".join(w)))
            template_members.append((doc_id, t))
    for k in range(n_originals - len(real) - len(template_members)):
        n_sent = rng.randint(3, 25)
        originals.append((f"syn:{k}", " ".join(rng.choices(sentences, k=n_sent))))
    del sentences

    # Template members are not sources of planted copies: their copies would be template members too.
    candidates = [i for i, (d, _) in enumerate(originals) if not d.startswith("tpl:")]
    sources = rng.sample(candidates, min(n_planted, len(candidates)))
    planted = []
    copies = []
    for k, src in enumerate(sources):
        rate = RATES[k % len(RATES)]
        src_id, text = originals[src]
        copy_id = f"copy:{k}"
        if rate == 0.0:
            new_text, n_edits, n_words = text, 0, len(text.split())
        else:
            words = text.split()
            new_words, n_edits = edit(words, rate, vocab, rng)
            new_text, n_words = " ".join(new_words), len(words)
        copies.append((copy_id, new_text))
        planted.append((copy_id, src_id, rate, n_edits, n_words))
    docs = originals + copies
    del originals, copies
    rng.shuffle(docs)
    t1 = time.perf_counter()

    corpus_path = benchenv.OUT / f"{name}.jsonl.gz"
    with gzip.open(corpus_path, "wt", encoding="utf-8", compresslevel=a.level) as f:
        for doc_id, text in docs:
            f.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False))
            f.write("\n")
    truth_path = benchenv.OUT / f"{name}.planted.tsv.gz"
    write_truth(name, planted, template_members, a)
    t2 = time.perf_counter()
    benchenv.log(
        f"wrote {benchenv.rel(corpus_path)} ({len(docs)} documents, {corpus_path.stat().st_size / 2**20:.0f} MiB) and "
        f"{benchenv.rel(truth_path)} ({len(planted)} planted pairs); generate {t1 - t0:.1f} s, write {t2 - t1:.1f} s"
    )


if __name__ == "__main__":
    main()
