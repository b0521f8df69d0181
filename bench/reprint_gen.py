#!/usr/bin/env python3
"""Generate a reprint-style corpus with known ground truth (stdlib only, deterministic per seed).

    python3 bench/reprint_gen.py --seed 1 --stories 150 --out bench/out/reprint-s1

Writes OUT/corpus.jsonl (or .jsonl.gz with --gzip; records {id, source, date, text}, shuffled) and
OUT/truth.json, and prints a summary.

WHAT IS SIMULATED
-----------------
Source stories are real articles (BBC News 2004-05 and long Reuters-21578 stories, read from
<repo>/../shared/data). Before use, the candidate articles are filtered so that no two of them share a
word 10-gram (removes the corpora's own duplicates and re-issues), then split into *story* articles and
a reserved pool (host articles for partial reuse, inserted paragraphs, "Read more" headlines); every
reserved paragraph is used at most once, so unrelated documents share no passage by accident.

Eight fictional outlets (the `source` field) each have a house style (quotes, dashes, "%" vs
"per cent", "$1bn" vs "$1 billion", UK/US spelling, "Mr" vs "Mr.", non-breaking spaces, CRLF line
ends, mojibake repair, paragraph separators) and boilerplate: headers, cookie notices, bylines,
datelines, "Read more:"/"Related:" link lines between paragraphs (some links repeat across the outlet's
documents), advertisement markers, mid-article and closing donation appeals (with variants),
newsletter and social lines, copyright lines; one wire credit sentence is shared by three outlets.
Some boilerplate holds characters outside the BMP (emoji), so offsets must be code points.

Source paragraphs are cut into news-style paragraphs of 1-3 sentences. Each story is published first
by an origin outlet (earliest date); 1/3 of the stories stay single. It may then be republished:
  syndicate  another outlet copies the body unchanged (maybe truncated at the end)
  light      house restyling + light edits in ~40% of sentences (number/date formats, punctuation,
             case, name transliterations, contractions, a phrase swap); a paragraph dropped, swapped
             or inserted now and then
  heavy      60-90% of the sentences reworded (synonym and phrase tables, reporting-clause and
             adverbial moves, "but" -> "although", passive voice, tense, quotes turned into reported
             speech, dropped/inserted adverbs and modifiers, dropped relative clauses, appositives and
             parentheses, sentence splits and merges), quotations usually kept; paragraphs reordered,
             dropped, re-split one sentence per paragraph; unrelated paragraphs, invented news formulae
             and sub-headings inserted
  rewrite    every sentence reworded, edits composed twice, more sentences merged, split and dropped:
             a rewrite of the story from the same material (the hardest reprints)
  partial    an otherwise new article (a reserved article) quotes 1-3 paragraphs of the story,
             verbatim or lightly edited, sometimes with an attribution lead-in; rarely a "roundup"
             quotes a second story too
  update     the same outlet re-issues its story with a new lead, light edits and its own boilerplate
A reprint copies either the origin or an earlier reprint (chains), so two reprints of one story are
related through their common material too. Stories are drawn in topic groups (same BBC section, high
word-vector cosine) so different stories on one topic share vocabulary but no passage; "brief"
stories (the first 1-2 source paragraphs) make the outlet boilerplate a large part of some documents.

TRUTH (truth.json)
------------------
Every sentence of an origin story has an id; every derived sentence keeps the ids it came from. For
two documents X, Y, the units carrying common ids form *true passages*: pairs of character spans
(half-open, code-point offsets into the original texts) [x0, x1) and [y0, y1), adjacent ones merged
when they are contiguous in both documents (only whitespace between) and of the same kind; kind
"verbatim" when the two spans are equal strings, else "reworded". Boilerplate is never part of a
passage. `sim` is the word-sequence similarity of the two spans (difflib ratio over lowercased words).

PAIR DIFFICULTY CLASSES (computed from the true passages of the pair, in this order)
-------------------------------------------------------------------------------------
  cov_X  = characters of X's non-boilerplate text inside the pair's passages / X's non-boilerplate
           characters (likewise cov_Y)
  vfrac  = verbatim passage characters / all passage characters (both sides counted)
  msim   = character-weighted mean `sim` of all the passages (verbatim ones count 1)
  rsim   = the same over the reworded passages only (reported, not used)
  weak       the passages hold fewer than 15 words on the smaller side: listed in `weak_pairs`, not
             a true pair; evaluations neither reward nor penalise predicting it
  partial    min(cov_X, cov_Y) < 0.4: the shared text is a minor part of at least one document
  verbatim   vfrac >= 0.9
  light      msim >= 0.9: the shared text keeps nearly all its words in order (house restyling,
             format changes, a few substituted words)
  heavy      otherwise
Two documents of one story with no common unit are listed in `same_story_no_text` (not a pair).

truth.json fields: generator (parameters), class_definitions, documents {id: {source, date, story,
mode, parent, category, base_article, length, content_chars, boilerplate: [[s, e], ...]}}, stories
{label: {origin, docs, base_article, topic_group}}, pairs [{a, b, class, coverage_a, coverage_b,
content_coverage_a, content_coverage_b, vfrac, msim, rsim, words, passages: [{a: [s, e], b: [s, e],
kind, sim}]}]
(a is the earlier document), weak_pairs, same_story_no_text, topic_groups [[story labels]],
roundups {doc id: [story labels]}, incidental_pairs [{a, b, example}]: documents of different stories
that still share a run of >= 12 words outside boilerplate (rare: two source articles stating one fact
in nearly the same words); evaluations ignore them like weak pairs.

Story label of a document: the story whose text it reuses (a partial-reuse article belongs to the
story it quotes; a roundup to the first of the two stories it quotes). The origin of a story is its first document.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import math
import random
import re
import sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"

GEN_VERSION = 1
WORD_RE = re.compile(r"\w+")

# =========================================================================== data loading


def read_jsonl(path):
    op = gzip.open if str(path).endswith(".gz") else open
    with op(path, "rt", encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)


LOWER_WORDS = set()  # words seen more often in lower case than capitalised mid-sentence (set when loading)
SMALL_WORDS = {"a", "an", "the", "of", "in", "on", "at", "to", "for", "and", "or", "by", "with", "as", "vs"}


COMMON3 = {"new", "not", "set", "cut", "buy", "net", "say", "see", "two", "six", "ten", "may", "can", "has",
           "had", "was", "are", "its", "off", "out", "low", "top", "oil", "gas", "tax", "pay", "end", "bid", "ask",
           "win", "get", "put", "his", "her", "all", "big", "but", "now", "old", "one", "own", "sea", "war",
           "law", "job", "aid", "air", "car", "due", "key", "few", "far", "rate", "up", "no", "be", "is", "it",
           "he", "we", "us"}


WIRE_WORDS = {"mln", "dlrs", "pct", "cts", "shr", "qtr", "bln", "vs", "avg", "oper", "rev", "revs"}


def titlecase(s):
    """Wire headlines are upper case: title-case them, keeping acronyms (IMF, U.S.) and dropping tickers."""
    s = re.sub(r"\s*<[^>]*>", "", s).strip()

    def fix(w, first):
        lw = w.lower()
        if not first and lw in SMALL_WORDS:
            return lw
        if w.isupper() and len(w) <= 3 and lw not in COMMON3 and lw not in LOWER_WORDS and lw not in WIRE_WORDS:
            return w
        return lw[:1].upper() + lw[1:]
    out = []
    for i, tok in enumerate(s.split()):
        if re.fullmatch(r"(?:[A-Z]\.)+[A-Z]?\.?", tok):
            out.append(tok)
        else:
            out.append(re.sub(r"[A-Za-z]+", lambda m: m.group().lower() if m.start() and tok[m.start() - 1] in "'’"
                              and len(m.group()) <= 2 else fix(m.group(), i == 0 and m.start() == 0), tok))
    return " ".join(out)


class Article:
    __slots__ = ("id", "title", "paras", "category", "corpus")

    def __init__(self, id, title, paras, category, corpus):
        self.id, self.title, self.paras, self.category, self.corpus = id, title, paras, category, corpus


_ARTICLES = {}


def load_articles(data_dir: Path, reuters: bool):
    key = (str(data_dir), reuters)
    if key not in _ARTICLES:
        _ARTICLES[key] = _load_articles(Path(data_dir), reuters)
    return _ARTICLES[key]


def _load_articles(data_dir: Path, reuters: bool):
    arts = []
    for r in read_jsonl(data_dir / "bbc-news.jsonl.gz"):
        cat = r["id"].split(":", 1)[1].split("/")[0]
        paras = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", r["text"])]
        paras = [p for p in paras if p]
        if len(paras) >= 3:
            arts.append(Article(r["id"], r["title"].strip(), paras, cat, "bbc"))
    low, cap = Counter(), Counter()
    for a in arts:
        for p in a.paras:
            for m in re.finditer(r"(?<=[a-z,;] )([A-Za-z]+)", p):
                w = m.group(1)
                (low if w.islower() else cap)[w.lower()] += 1
    LOWER_WORDS.clear()
    LOWER_WORDS.update(w for w, c in low.items() if c > 2 * cap.get(w, 0))
    if reuters:
        for r in read_jsonl(data_dir / "reuters21578.jsonl.gz"):
            t = r["text"]
            if len(t) < 1500:
                continue
            t = re.sub(r"\s*\bReuters?\s*$", "", t.rstrip())
            t = t.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
            paras = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n {2,}|\n\s*\n", t)]
            paras = [p for p in paras if p]
            if len(paras) < 5:
                continue
            body = " ".join(paras)
            digits = sum(c.isdigit() for c in body) / max(1, len(body))
            if digits > 0.06 or body.count("<") > 3 or re.search(r"\.\.\.|\s{3,}", body):
                continue
            words = WORD_RE.findall(body)
            if len(words) / max(1, len(split_sentences(body))) > 45:  # tables / run-ons
                continue
            title = titlecase(r.get("title") or "")
            if not title:
                continue
            arts.append(Article(r["id"], title, paras, "wire", "reuters"))
    return arts


def ngrams(words, n):
    return (" ".join(words[i:i + n]) for i in range(len(words) - n + 1))


def clean_pool(arts, rng, n=10):
    """Greedy: keep articles sharing no word n-gram with an already kept one (random order)."""
    order = list(range(len(arts)))
    rng.shuffle(order)
    seen = set()
    kept = []
    for i in order:
        a = arts[i]
        words = WORD_RE.findall((a.title + " " + " ".join(a.paras)).lower())
        grams = set(ngrams(words, n))
        if grams & seen:
            continue
        seen |= grams
        kept.append(a)
    return kept


# =========================================================================== sentences

ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "st", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "inc", "ltd", "co", "corp", "no", "vs", "gov", "sen", "rep", "gen",
    "lt", "col", "jr", "sr", "etc", "dept", "mt", "capt", "sgt", "rev", "messrs", "ft", "bros", "cos",
}


def split_sentences(p):
    out = []
    start = 0
    for m in re.finditer(r"[.!?][\"'”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])", p):
        dot = m.start()
        before = re.search(r"([\w.]+)$", p[start:dot])
        w = before.group(1).lower() if before else ""
        if p[dot] == "." and (w in ABBREV or len(w.replace(".", "")) == 1 or re.fullmatch(r"(\w\.)+\w", w)):
            continue
        end = m.end()
        seg = p[start:end].rstrip()
        if seg:
            out.append(seg)
        start = end
    tail = p[start:].strip()
    if tail:
        out.append(tail)
    return out


# =========================================================================== text transforms

QUOTED_RE = re.compile(r"[\"“][^\"“”]*[\"”]")


def outside_quotes(text, fn):
    """Apply fn to the parts of text outside quotation marks."""
    out, last = [], 0
    for m in QUOTED_RE.finditer(text):
        out.append(fn(text[last:m.start()]))
        out.append(m.group())
        last = m.end()
    out.append(fn(text[last:]))
    return "".join(out)


def cap_first(s):
    return s[:1].upper() + s[1:] if s else s


COMMON_START = {"the", "a", "an", "it", "he", "she", "they", "we", "this", "that", "these", "those",
                "its", "his", "her", "their", "our", "there", "some", "many", "most", "such", "one",
                "all", "both", "each", "no", "not", "but", "and", "in", "on", "at", "for", "by",
                "after", "before", "during", "since", "last", "earlier", "later", "however",
                "meanwhile", "analysts", "officials", "shares", "sales", "profits", "figures"}


def lower_first(s):
    m = re.match(r"(\w+)", s)
    if m and not m.group(1).isupper() and (m.group(1).lower() in COMMON_START or m.group(1).lower() in LOWER_WORDS):
        return s[:1].lower() + s[1:]
    return s


def match_case(src, rep):
    if src.isupper() and len(src) > 1:
        return rep.upper()
    if src[:1].isupper():
        return rep[:1].upper() + rep[1:]
    return rep


# ---- house style ---------------------------------------------------------------------------

def to_curly(s):
    s = re.sub(r'(^|[\s(\[{—–-])"', lambda m: m.group(1) + "“", s)
    s = s.replace('"', "”")
    s = re.sub(r"(^|[\s(\[{—–-])'", lambda m: m.group(1) + "‘", s)
    return s.replace("'", "’")


def to_straight(s):
    return s.translate({0x201C: '"', 0x201D: '"', 0x2018: "'", 0x2019: "'"})


UK_US = [
    ("organis", "organiz"), ("realis", "realiz"), ("recognis", "recogniz"), ("criticis", "criticiz"),
    ("privatis", "privatiz"), ("apologis", "apologiz"), ("emphasis", "emphasiz"), ("authoris", "authoriz"),
    ("minimis", "minimiz"), ("maximis", "maximiz"), ("characteris", "characteriz"), ("finalis", "finaliz"),
    ("prioritis", "prioritiz"), ("summaris", "summariz"), ("stabilis", "stabiliz"), ("legalis", "legaliz"),
    ("modernis", "moderniz"), ("capitalis", "capitaliz"), ("nationalis", "nationaliz"), ("subsidis", "subsidiz"),
    ("mobilis", "mobiliz"), ("globalis", "globaliz"), ("digitis", "digitiz"), ("utilis", "utiliz"),
]
UK_US_WORDS = {
    "favour": "favor", "favoured": "favored", "favourite": "favorite", "colour": "color", "colours": "colors",
    "behaviour": "behavior", "honour": "honor", "neighbour": "neighbor", "neighbours": "neighbors",
    "rumour": "rumor", "rumours": "rumors", "harbour": "harbor", "labour": "labor", "centre": "center",
    "centres": "centers", "theatre": "theater", "programme": "program", "programmes": "programs",
    "defence": "defense", "licence": "license", "travelled": "traveled", "travelling": "traveling",
    "cancelled": "canceled", "modelling": "modeling", "catalogue": "catalog", "analyse": "analyze",
    "analysed": "analyzed", "cheque": "check", "tyre": "tire", "aluminium": "aluminum", "grey": "gray",
    "jewellery": "jewelry", "whilst": "while", "amongst": "among", "towards": "toward", "fulfil": "fulfill",
    "enrolment": "enrollment", "judgement": "judgment", "offence": "offense", "pyjamas": "pajamas",
    "sceptical": "skeptical", "manoeuvre": "maneuver", "paediatric": "pediatric", "storey": "story",
    "metres": "meters", "metre": "meter", "kilometres": "kilometers", "litres": "liters", "fibre": "fiber",
    "labelled": "labeled", "counselling": "counseling", "fuelled": "fueled", "signalled": "signaled",
}


def spelling(s, to):
    def word_fn(m):
        w = m.group()
        lw = w.lower()
        if to == "us":
            if lw in UK_US_WORDS and w[:1].islower():
                return match_case(w, UK_US_WORDS[lw])
            for a, b in UK_US:
                if lw.startswith(a) and lw[len(a):] in ("e", "ed", "es", "ing", "ation", "ations"):
                    return match_case(w, b + lw[len(a):])
        else:
            rev = {v: k for k, v in UK_US_WORDS.items()}
            if lw in rev and w[:1].islower():
                return match_case(w, rev[lw])
            for a, b in UK_US:
                if lw.startswith(b) and lw[len(b):] in ("e", "ed", "es", "ing", "ation", "ations"):
                    return match_case(w, a + lw[len(b):])
        return w
    return re.sub(r"[A-Za-z]+", word_fn, s)


def percent_style(s, style):
    rep = {"%": "%", "per cent": " per cent", "percent": " percent", "pct": " pct"}[style]
    return re.sub(r"(?<=\d)(?:%|\s(?:per cent|percent|pct)\b)", rep, s)


CUR = r"(?:\$|£|€|Â£)"


def money_style(s, style):
    if style == "long":
        s = re.sub(r"(" + CUR + r")(\d+(?:\.\d+)?)bn\b", r"\1\2 billion", s)
        s = re.sub(r"(" + CUR + r")(\d+(?:\.\d+)?)m\b", r"\1\2 million", s)
    elif style == "short":
        s = re.sub(r"(" + CUR + r")(\d+(?:\.\d+)?) billion\b", r"\1\2bn", s)
        s = re.sub(r"(" + CUR + r")(\d+(?:\.\d+)?) million\b", r"\1\2m", s)
    return s


def wire_expand(s):
    s = re.sub(r"(\d(?:[\d.,]*\d)?) (mln|billion|bln) dlrs\b",
               lambda m: "$" + m.group(1) + (" million" if m.group(2) == "mln" else " billion"), s)
    s = re.sub(r"\bmln\b", "million", s)
    s = re.sub(r"\bbln\b", "billion", s)
    s = re.sub(r"\bdlrs\b", "dollars", s)
    s = re.sub(r"(?<=\d) pct\b", " percent", s)
    return s


def us_dots(s, dots):
    if dots:
        s = re.sub(r"\bUS(?=$|[\s,;:'’)])", "U.S.", s)
        s = re.sub(r"U\.S\.\.$", "U.S.", s)
        s = re.sub(r"\bUK(?=$|[\s,;:'’)])", "U.K.", s)
        s = re.sub(r"U\.K\.\.$", "U.K.", s)
    else:
        s = re.sub(r"\bU\.S\.(?=\s*$)", "US.", s)
        s = re.sub(r"\bU\.S\.", "US", s)
        s = re.sub(r"\bU\.K\.(?=\s*$)", "UK.", s)
        s = re.sub(r"\bU\.K\.", "UK", s)
    return s


def house_style(s, st):
    if not st:
        return s
    if st.get("mojibake") == "fix":
        s = s.replace("Â£", "£").replace("Â", "")
    if st.get("wire"):
        s = wire_expand(s)
    q = st.get("quotes")
    if q == "curly":
        s = to_curly(to_straight(s))
    elif q == "straight":
        s = to_straight(s)
    d = st.get("dash")
    if d:
        s = re.sub(r" (?:-|–|—|--) ", d, s)
    if st.get("percent"):
        s = percent_style(s, st["percent"])
    if st.get("money"):
        s = money_style(s, st["money"])
    if st.get("spelling"):
        s = spelling(s, st["spelling"])
    if st.get("mr") == "dot":
        s = re.sub(r"\b(Mr|Mrs|Ms|Dr)(?= [A-Z])", r"\1.", s)
    elif st.get("mr") == "nodot":
        s = re.sub(r"\b(Mr|Mrs|Ms|Dr)\.(?= [A-Z])", r"\1", s)
    if "usdots" in st:
        s = us_dots(s, st["usdots"])
    if st.get("nbsp"):
        s = re.sub(r"\b(Mr|Mrs|Ms|Dr)(\.?) (?=[A-Z])", "\\1\\2\u00a0", s)
        s = re.sub(r"(?<=\d) (?=(?:per cent|percent|million|billion|km|kg)\b)", "\u00a0", s)
    return s


# ---- light edits ---------------------------------------------------------------------------

NUM_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
MON_ABBR = {"January": "Jan.", "February": "Feb.", "March": "March", "April": "April", "May": "May",
            "June": "June", "July": "July", "August": "Aug.", "September": "Sept.", "October": "Oct.",
            "November": "Nov.", "December": "Dec."}
LIGHT_PHRASES = [
    ("in a bid to", "in an attempt to"), ("said that", "said"), ("more than", "over"),
    ("as well as", "and"), ("following", "after"), ("despite", "in spite of"), ("around", "about"),
    ("a number of", "several"), ("in order to", "to"), ("at the moment", "currently"),
    ("on Monday", "Monday"), ("on Tuesday", "Tuesday"), ("on Wednesday", "Wednesday"),
    ("on Thursday", "Thursday"), ("on Friday", "Friday"), ("the firm", "the company"),
    ("chief executive", "CEO"), ("per year", "a year"), ("so far", "to date"), ("told the BBC", "said"),
    ("whether", "if"), ("among", "amongst"), ("until", "till"), ("however", "though"),
    ("told reporters", "said"), ("the government", "the Government"), ("prime minister", "Prime Minister"),
]
NAME_VARIANTS = [
    ("Sergei", "Sergey"), ("Gaddafi", "Qaddafi"), ("Mohammed", "Muhammad"), ("Mikhail", "Mikhael"),
    ("Yasser", "Yasir"), ("Tchaikovsky", "Chaikovsky"), ("Khodorkovsky", "Khodorkovskiy"),
    ("Yukos", "YUKOS"), ("Al-Qaeda", "al-Qaida"), ("al-Qaeda", "al-Qaida"), ("Kiev", "Kyiv"),
    ("Peking", "Beijing"), ("Bombay", "Mumbai"), ("Viktor", "Victor"), ("Aleksandr", "Alexander"),
]
CONTRACTIONS = [("do not", "don't"), ("does not", "doesn't"), ("did not", "didn't"), ("is not", "isn't"),
                ("will not", "won't"), ("cannot", "can't"), ("it is", "it's"), ("we are", "we're"),
                ("they are", "they're"), ("would not", "wouldn't"), ("could not", "couldn't"),
                ("has not", "hasn't"), ("have not", "haven't"), ("was not", "wasn't")]
CASE_WORDS = ["Government", "Prime Minister", "Chancellor", "Parliament", "Minister", "President",
              "Chairman", "Chief Executive", "Cabinet", "Secretary", "Opposition", "Treasury"]


def _sub_one(rng, s, pattern, repl, flags=0):
    ms = list(re.finditer(pattern, s, flags))
    if not ms:
        return s
    m = rng.choice(ms)
    r = repl(m) if callable(repl) else m.expand(repl)
    return s[:m.start()] + r + s[m.end():]


def le_numbers(rng, s):
    ops = []
    if re.search(r"\b(?:one|two|three|four|five|six|seven|eight|nine)\b", s):
        ops.append(lambda s: _sub_one(rng, s, r"\b(one|two|three|four|five|six|seven|eight|nine)\b(?= [a-z])",
                                      lambda m: str(NUM_WORDS.index(m.group(1)))))
    if re.search(r"(?<![\d.,])[2-9](?= [a-z])", s):
        ops.append(lambda s: _sub_one(rng, s, r"(?<![\d.,$£€])([2-9])(?= [a-z])", lambda m: NUM_WORDS[int(m.group(1))]))
    if re.search(r"\b\d{1,3},\d{3}\b", s):
        ops.append(lambda s: _sub_one(rng, s, r"\b(\d{1,3}),(\d{3})\b", r"\1\2"))
    if re.search(r"\b\d{4,6}\b", s):
        ops.append(lambda s: _sub_one(rng, s, r"\b(?<![.,])(\d{1,3})(\d{3})\b(?![.,]\d)",
                                      lambda m: m.group(1) + "," + m.group(2) if not (1900 <= int(m.group()) <= 2099) else m.group()))
    if re.search(r"\d(?:%| per ?cent| pct)", s):
        ops.append(lambda s: percent_style(s, rng.choice(["%", "per cent", "percent"])))
    if re.search(CUR + r"\d", s):
        ops.append(lambda s: money_style(s, rng.choice(["long", "short"])))
    mon = "|".join(MONTHS)
    if re.search(r"\b(?:%s) \d{1,2}\b" % mon, s):
        ops.append(lambda s: _sub_one(rng, s, r"\b(%s) (\d{1,2})\b" % mon,
                                      lambda m: rng.choice([MON_ABBR[m.group(1)] + " " + m.group(2),
                                                            m.group(2) + " " + m.group(1)])))
    if re.search(r"\b\d{1,2} (?:%s)\b" % mon, s):
        ops.append(lambda s: _sub_one(rng, s, r"\b(\d{1,2}) (%s)\b" % mon, r"\2 \1"))
    if not ops:
        return s
    return rng.choice(ops)(s)


def le_phrase(rng, s):
    cands = [(a, b) for a, b in LIGHT_PHRASES if re.search(r"\b%s\b" % re.escape(a), s, re.I)]
    cands += [(b, a) for a, b in LIGHT_PHRASES
              if " " in b and re.search(r"\b%s\b" % re.escape(b), s, re.I)]
    if not cands:
        return s
    a, b = rng.choice(cands)
    return _sub_one(rng, s, r"\b%s\b" % re.escape(a), lambda m: match_case(m.group(), b), re.I)


def le_case(rng, s):
    cands = [w for w in CASE_WORDS if re.search(r"(?<!^)(?<![.!?] )\b%s\b" % w, s)]
    low = [w for w in CASE_WORDS if re.search(r"\b%s\b" % w.lower(), s)]
    if cands and (not low or rng.random() < 0.6):
        w = rng.choice(cands)
        return _sub_one(rng, s, r"(?<!^)\b%s\b" % w, w.lower())
    if low:
        w = rng.choice(low)
        return _sub_one(rng, s, r"\b%s\b" % w.lower(), w)
    return s


def le_punct(rng, s):
    ops = []
    if re.search(r", (?:and|but|which|who|while) ", s):
        ops.append(lambda s: _sub_one(rng, s, r", (and|but|which|who|while) ", r" \1 "))
    if re.search(r"\w (?:and|but) [a-z]", s) and len(s) > 60:
        ops.append(lambda s: _sub_one(rng, s, r"(\w) (but) ([a-z])", r"\1, \2 \3"))
    if re.search(r" (?:-|–|—|--) ", s):
        ops.append(lambda s: _sub_one(rng, s, r" (?:-|–|—|--) ", lambda m: rng.choice([", ", " -- ", " — ", " – "])))
    if re.search(r"\bsaid:", s):
        ops.append(lambda s: s.replace("said:", "said,", 1))
    if re.search(r"\b(said|says) [\"“]", s):
        ops.append(lambda s: re.sub(r"\b(said|says) ([\"“])", r"\1: \2", s, count=1))
    if re.search(r"\b(said|says|believes|thinks) (?!that\b)(?=(?:the|it|he|she|they|a|there|this)\b)", s):
        ops.append(lambda s: re.sub(r"\b(said|says|believes|thinks) (?!that\b)(?=(?:the|it|he|she|they|a|there|this)\b)",
                                    r"\1 that ", s, count=1))
    if not ops:
        return s
    return rng.choice(ops)(s)


def le_names(rng, s):
    cands = [(a, b) for a, b in NAME_VARIANTS if re.search(r"\b%s\b" % re.escape(a), s)]
    cands += [(b, a) for a, b in NAME_VARIANTS if re.search(r"\b%s\b" % re.escape(b), s)]
    ops = []
    if cands:
        a, b = rng.choice(cands)
        ops.append(lambda s: re.sub(r"\b%s\b" % re.escape(a), b, s))
    if re.search(r"\b(?:Mr|Mrs|Ms|Dr)\.? [A-Z]", s):
        ops.append(lambda s: _sub_one(rng, s, r"\b(?:Mr|Mrs|Ms|Dr)\.? (?=[A-Z])", ""))
    if re.search(r"\bUS\b|\bU\.S\.", s):
        ops.append(lambda s: us_dots(s, "U.S." not in s))
    if not ops:
        return s
    return rng.choice(ops)(s)


def le_contract(rng, s):
    cands = [(a, b) for a, b in CONTRACTIONS if re.search(r"\b%s\b" % re.escape(a), s, re.I)]
    cands += [(b, a) for a, b in CONTRACTIONS if re.search(r"\b%s\b" % re.escape(b), s, re.I)]
    if not cands:
        return s
    a, b = rng.choice(cands)
    return _sub_one(rng, s, r"\b%s\b" % re.escape(a), lambda m: match_case(m.group(), b), re.I)


LIGHT_OPS = [le_numbers, le_numbers, le_phrase, le_phrase, le_case, le_punct, le_punct, le_names,
             le_contract]


def light_edit(rng, s, n=None):
    """1-2 small changes (kept only when they change the text)."""
    n = n or (1 if rng.random() < 0.65 else 2)
    out = s
    tries = 0
    done = 0
    while done < n and tries < 10:
        tries += 1
        t = rng.choice(LIGHT_OPS)(rng, out)
        if t != out and t.strip():
            out = t
            done += 1
    return out


# ---- heavy rewording ------------------------------------------------------------------------

SYNONYMS_TEXT = """
said|stated|noted|remarked
says|states|notes
told|informed
tell|inform
added|went on to say|continued
rise|increase|climb
rises|increases|climbs
rose|increased|climbed|jumped
rising|increasing|climbing
fall|drop|decline
falls|drops|declines
fell|dropped|declined|slipped
falling|dropping|declining
big|large|major
biggest|largest
large|big|sizeable
largest|biggest
company|firm|group
companies|firms|groups
firm|company|business
profit|earnings
profits|earnings
buy|acquire|purchase
bought|acquired|purchased
plan|proposal|scheme
plans|proposals|intentions
planned|intended
government|administration
help|assist
helped|assisted
helping|assisting
show|reveal|indicate
shows|reveals|indicates
showed|revealed|indicated
expected|anticipated|predicted
expect|anticipate
expects|anticipates
important|significant|key
because of|owing to|due to
because|as|since
announced|unveiled|revealed
unveiled|launched|presented
started|began|launched
start|begin|launch
began|started
ended|finished|concluded
warned|cautioned
warn|caution
claimed|alleged|asserted
claims|allegations
want|wish
wanted|wished
think|believe
thinks|believes
need|require
needs|requires
needed|required
try|attempt
tried|attempted
move|step|decision
step|move|measure
chance|opportunity
problem|issue|difficulty
problems|issues|difficulties
issue|matter|question
people|individuals|citizens
country|nation
countries|nations
nation|country
region|area
area|region
world|globe
international|global
global|worldwide|international
foreign|overseas
domestic|home
local|regional
jobs|posts|positions
workers|employees|staff
staff|employees|workforce
employees|staff|workers
boss|chief|head
chief executive|boss|head
chairman|chair
quickly|rapidly|swiftly
recently|lately
currently|presently
more than|over|in excess of
less than|under|fewer than
according to|as per|citing
in a bid to|in an attempt to|seeking to
as well as|along with
despite|in spite of|notwithstanding
following|after
before|ahead of|prior to
during|throughout|in the course of
major|significant|key
top|leading|senior
latest|most recent|newest
previous|earlier|prior
several|a number of|various
many|numerous|a lot of
huge|massive|enormous
strong|robust|solid
weak|poor|feeble
poor|weak
difficult|hard|tough
easy|simple
allow|permit|enable
allowed|permitted
decided|chose|opted
agreed|consented
deal|agreement|accord
deals|agreements
talks|negotiations|discussions
report|study
figures|data|statistics
officials|authorities
spokesman|spokesperson|representative
spokeswoman|spokesperson|representative
statement|announcement
attack|assault
increase|rise|boost
increased|raised|boosted
boost|lift|strengthen
reduce|cut|lower
reduced|cut|lowered
cuts|reductions
slashed|cut
customers|clients|consumers
consumers|shoppers
prices|costs
money|funds|cash
cash|money
spending|expenditure|outlay
investment|funding
funding|financing
debt|borrowing
bank|lender
banks|lenders
takeover|acquisition
merger|tie-up
stake|holding
investors|shareholders
shareholders|investors
analysts|experts|observers
experts|specialists|analysts
economists|analysts
revenue|turnover|sales
revenues|sales
sales|revenues
quarter|three-month period
forecasts|predictions|projections
estimated|projected
unemployment|joblessness
inflation|price growth
interest rates|borrowing costs
surge|soar|jump
surged|soared|jumped
jumped|leapt|rose
slumped|plunged|tumbled
won|secured|clinched
win|secure|clinch
victory|win|triumph
defeat|loss
beat|defeated
match|game|fixture
game|contest
team|side|squad
club|team
clubs|teams
players|athletes
striker|forward
injury|knock
injured|hurt
fans|supporters
coach|manager
season|campaign
film|movie
films|movies
actor|performer
actress|performer
director|filmmaker
band|group
singer|vocalist
audience|viewers
viewers|audiences
series|show
album|record
award|prize
awards|prizes
best|finest|top
internet|web
online|on the internet
website|site
mobile|cell
users|customers
phone|handset
phones|handsets
computer|PC
computers|PCs
devices|gadgets
device|gadget
technology|tech
software|programs
developed|created|built
make|create
made|created
making|creating
create|generate
find|discover
found|discovered
give|provide
gave|provided
provide|supply|offer
offer|provide
offered|provided
get|obtain|receive
got|received|obtained
keep|retain|maintain
kept|retained
saw|witnessed
seen|witnessed
seems|appears
seemed|appeared
face|confront
faces|confronts
faced|confronted
asked|requested
reached|attained|hit
remain|stay
remained|stayed
remains|stays
continue|carry on
continued|carried on
include|comprise|contain
includes|comprises|contains
included|comprised
believe|think
earlier|previously
next|coming
significant|considerable|substantial
substantial|significant|considerable
serious|grave
direct|straightforward|candid
proposal|offer|plan
freeing|releasing
pressed|urged|pushed
urged|called on|pressed
called for|urged|demanded
accept|agree to
reaction|response
attention|interest
purported|alleged
seized|captured|taken
troops|forces|soldiers
war|conflict
allies|partners
impose|introduce
sweeping|wide-ranging|broad
isolate|sideline
objective|goal|aim
aims|seeks
parts|areas|regions
territory|land
however|but
also|additionally
although|though|even though
likely|probable
unlikely|improbable
able|in a position
criticised|condemned|attacked
criticized|condemned|attacked
criticism|condemnation
insisted|maintained|argued
argued|contended
admitted|acknowledged|conceded
denied|rejected
confirmed|verified
suggested|indicated|hinted
suggests|indicates
believed|thought
shares|stock
stock|shares
economy|economic output
growth|expansion
demand|appetite
rate|level
levels|rates
fears|concerns|worries
concerns|worries|fears
worries|concerns
concern|worry
threat|danger
hopes|expectations
hope|expect
risk|danger
likely to|set to
set to|poised to|due to
due to|because of|owing to
massive|huge|vast
key|crucial|central
main|principal|chief
mainly|largely|chiefly
largely|mainly|mostly
current|present
recent|latest
launch|introduce|roll out
launched|introduced|rolled out
rival|competitor
rivals|competitors
bid|offer
election|poll|vote
voters|the electorate
campaign|drive
party|movement
leader|head
MPs|lawmakers|legislators
bill|legislation
law|legislation
laws|rules|regulations
rules|regulations
court|tribunal
police|officers
arrested|detained
children|youngsters
students|pupils
doctors|physicians
study|research|survey
research|study
researchers|scientists
scientists|researchers
survey|poll|study
very|extremely|highly
good|positive|favourable
high|elevated
sharply|steeply|markedly
slightly|marginally|a little
nearly|almost|close to
almost|nearly
long|lengthy
quick|fast|rapid
slow|sluggish
growing|increasing|mounting
increasing|growing|rising
rich|wealthy
cheap|inexpensive|low-cost
expensive|costly|pricey
clear|evident
clearly|evidently
similar|comparable
whole|entire
entire|whole
annual|yearly
total|overall
overall|total
often|frequently
usually|typically
especially|particularly
particularly|especially
soon|shortly
later|subsequently
again|once more
must|have to
could|might
speak|talk
spoke|talked
change|shift
changes|shifts|alterations
changed|altered|shifted
improve|enhance|boost
improved|enhanced
decline|fall|drop
gains|advances
results|figures
support|backing
backing|support
policy|strategy
strategy|approach
scheme|plan
meeting|gathering
met|held talks with
described|portrayed
"""


PHRASES = [
    (r"\babout (?=\d)", ["around ", "roughly ", "some "]),
    (r"\bas much as\b", ["up to"]),
    (r"\bin the (?:fourth|final) quarter\b", ["in the October-December period", "in the last three months of the year"]),
    (r"\bin the first quarter\b", ["in the January-March period", "in the first three months of the year"]),
    (r"\bcame into force\b", ["took effect"]),
    (r"\bis considering\b", ["is weighing", "is mulling"]),
    (r"\bon the other hand\b", ["by contrast"]),
    (r"\bat least\b", ["no fewer than", "a minimum of"]),
    (r"\bas a result\b", ["consequently", "as a consequence"]),
    (r"\bin addition\b", ["additionally", "also"]),
    (r"\bin order to\b", ["to", "so as to"]),
    (r"\blast year\b", ["a year earlier", "in the previous year", "the year before"]),
    (r"\bthis year\b", ["in the current year", "so far this year"]),
    (r"\bnext year\b", ["in the coming year"]),
    (r"\bearlier this (?:week|month|year)\b", ["recently"]),
    (r"\bsaid in a statement\b", ["announced", "said in a written statement"]),
    (r"\bthe (?:company|firm)'s\b", ["its"]),
    (r"\bfor the first time\b", ["for the first time ever", "for the first occasion"]),
    (r"\bis due to\b", ["is scheduled to", "is set to"]),
    (r"\bhas been\b", ["had been", "was"]),
    (r"\btook place\b", ["happened", "was held"]),
    (r"\bthere (?:is|was) no\b", ["there was not any"]),
    (r"\bwould not\b", ["wouldn't", "would refuse to"]),
    (r"\bstepped down\b", ["resigned", "quit"]),
    (r"\bset up\b", ["established", "created"]),
    (r"\bturned down\b", ["rejected"]),
    (r"\bpointed out\b", ["noted", "observed"]),
    (r"\bcarried out\b", ["conducted", "performed"]),
    (r"\bgo ahead\b", ["proceed"]),
    (r"\bwent ahead\b", ["proceeded"]),
    (r"\bon (?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b", [""]),
]

DROP_MODIFIERS = ["new", "sharp", "fierce", "major", "big", "key", "significant", "strong", "huge", "recent",
                  "latest", "further", "additional", "top", "senior", "full", "overall", "former", "leading",
                  "important", "serious", "substantial", "growing", "current", "local", "national", "official"]


def build_synonyms():
    table = {}
    for line in SYNONYMS_TEXT.strip().splitlines():
        parts = [p.strip() for p in line.split("|") if p.strip()]
        if len(parts) >= 2:
            table.setdefault(parts[0].lower(), parts[1:])
    return table


SYNONYMS = build_synonyms()
SYN_RE = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(SYNONYMS, key=len, reverse=True)) + r")\b",
                    re.I)


def syn_swap(rng, s, rate, protect_quotes=True):
    def fn(part):
        def rep(m):
            w = m.group()
            if w.isupper() and len(w) > 1 and w.lower() not in ("mps",):
                return w
            if w[:1].isupper() and m.start() > 0 and part[:m.start()].rstrip()[-1:] not in (".", "!", "?", ":", '"', "“", ""):
                return w  # a capitalised word mid-sentence: probably a name
            if rng.random() >= rate:
                return w
            return match_case(w, rng.choice(SYNONYMS[w.lower()]))
        return SYN_RE.sub(rep, part)
    return outside_quotes(s, fn) if protect_quotes else fn(s)


WHO = r"(?P<who>(?:[Tt]he |[Aa] |[Aa]n |Mr\.? |Mrs\.? |Ms\.? |Dr\.? )?[A-Z][\w'’.\-]*(?: [A-Za-z][\w'’.\-]*){0,5}?)"
VERB = r"(?P<verb>said|says|added|told reporters|told the BBC|explained|stated|noted|claimed|argued|warned|insisted)"


def hv_quote_first(rng, s):
    m = re.match(r'^(?P<q>["“])(?P<quote>[^"“”]+?),?(?P<qe>["”]),? ' + WHO + " " + VERB + r"\.$", s)
    if not m:
        m = re.match(r'^(?P<q>["“])(?P<quote>[^"“”]+?),?(?P<qe>["”]),? ' + VERB + " " + WHO + r"\.$", s)
    if not m:
        return None
    quote = m.group("quote").rstrip()
    if quote[-1:] not in ".!?":
        quote += "."
    who = cap_first(m.group("who"))
    return f'{who} {m.group("verb")}: {m.group("q")}{quote}{m.group("qe")}'


def hv_quote_last(rng, s):
    m = re.match("^" + WHO + " " + VERB + r'[:,] (?P<q>["“])(?P<quote>[^"“”]+?)(?P<p>[.!?])(?P<qe>["”])$', s)
    if not m:
        return None
    p = "," if m.group("p") == "." else m.group("p")
    who = lower_first(m.group("who"))
    verb = m.group("verb")
    if rng.random() < 0.5 and " " not in who and verb in ("said", "says", "added"):
        return f'{m.group("q")}{m.group("quote")}{p}{m.group("qe")} {verb} {who}.'
    return f'{m.group("q")}{m.group("quote")}{p}{m.group("qe")} {who} {verb}.'


def hv_reported_front(rng, s):
    m = re.match(r'^(?P<body>[^"“”]{25,}?), ' + WHO + " " + VERB + r"\.$", s)
    if not m:
        return None
    return f'{cap_first(m.group("who"))} {m.group("verb")} {lower_first(m.group("body"))}.'


def hv_reported_back(rng, s):
    m = re.match("^" + WHO + r" (?P<verb>said|says|believes|thinks|added) (?:that )?(?P<body>[^\"“”]{25,})\.$", s)
    if not m:
        return None
    who = lower_first(m.group("who"))
    return f'{cap_first(m.group("body"))}, {who} {m.group("verb")}.'


ADV_LEAD = r"(?:On|In|At|During|Last|Earlier|Later|Since|After|Before|By|Following|Despite|Under|For|Within|Over)"


def hv_adverbial_to_end(rng, s):
    m = re.match(r"^(?P<adv>" + ADV_LEAD + r" [^,\"“”]{2,45}), (?P<rest>[^\"“”]{20,}?)(?P<p>[.!?])$", s)
    if not m:
        return None
    return f'{cap_first(m.group("rest"))} {lower_first(m.group("adv"))}{m.group("p")}'


TIME_TAIL = (r"(?:on|last|earlier this|later this|next|this|on Monday and|by the end of) "
             r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|week|month|year|weekend|summer|autumn|spring|winter)"
             r"|in (?:January|February|March|April|May|June|July|August|September|October|November|December|\d{4})"
             r"|(?:earlier|later) (?:today|this week)|last (?:year|month|week)")


def hv_time_to_front(rng, s):
    m = re.match(r'^(?P<rest>[^"“”]{20,}?) (?P<adv>' + TIME_TAIL + r")\.$", s)
    if not m:
        return None
    return f'{cap_first(m.group("adv"))}, {lower_first(m.group("rest"))}.'


def hv_conj_front(rng, s):
    m = re.match(r'^(?P<a>[^"“”]{15,}?), (?P<c>but|while|after|because|as|although) (?P<b>[^"“”]{10,})\.$', s)
    if not m:
        return None
    c = m.group("c")
    a, b = lower_first(m.group("a")), m.group("b")
    if c == "but":
        return f"Although {a}, {b}."
    return f"{cap_first(c)} {b}, {a}."


PASSIVE_VERBS = ("acquired|bought|rejected|approved|criticised|criticized|announced|launched|won|signed|blocked|"
                 "backed|sold|released|published|introduced|beat|defeated|ordered|closed|opened|raised|cut|"
                 "received|reported|confirmed|denied|named|appointed|sacked|fined|banned|passed")


def hv_passive(rng, s):
    m = re.search(r"\b(?P<subj>(?:[Tt]he|[Ii]ts|[Hh]is|[Hh]er|[Tt]heir) [a-z]+) (?P<verb>" + PASSIVE_VERBS +
                  r") (?P<obj>(?:the|a|an|its|their|his|her) [a-z]+(?: [a-z]+)?)\b", s)
    if not m:
        return None
    obj = m.group("obj")
    aux = "were" if obj.endswith("s") and not obj.endswith("ss") else "was"
    at_start = m.start() == 0
    new = f'{cap_first(obj) if at_start else obj} {aux} {m.group("verb")} by {m.group("subj").lower()}'
    return s[:m.start()] + new + s[m.end():]


def hv_tense(rng, s):
    pairs = [(r"\bsaid\b", "says"), (r"\bsays\b", "said"), (r"\bhas been\b", "was"), (r"\bhave been\b", "were"),
             (r"\bwill\b", "would"), (r"\bis expected to\b", "is likely to"), (r"\bhas\b", "had"),
             (r"\bis planning\b", "plans"), (r"\bplans to\b", "is planning to"), (r"\bannounced\b", "has announced")]
    rng.shuffle(pairs)
    for pat, rep in pairs:
        t = outside_quotes(s, lambda part: re.sub(pat, rep, part, count=1))
        if t != s:
            return t
    return None


DROP_ADV = r"\b(?:also|still|just|already|currently|recently|now|really|even|very|further|only|reportedly) "
INS_ADV = ["reportedly", "also", "now", "recently", "officially", "previously", "still", "further", "publicly"]


def hv_adverb(rng, s):
    if rng.random() < 0.5 and re.search(DROP_ADV, s):
        t = outside_quotes(s, lambda part: re.sub(DROP_ADV, "", part, count=1))
        if t != s:
            return t
    m = None
    cands = [mm for mm in re.finditer(r"\b(said|announced|added|warned|confirmed|is|was|has|had|will|would|could)\b", s)]
    cands = [mm for mm in cands if not _inside_quote(s, mm.start())]
    if not cands:
        return None
    m = rng.choice(cands)
    adv = rng.choice(INS_ADV)
    if m.group(1) in ("said", "announced", "added", "warned", "confirmed"):
        return s[:m.start()] + adv + " " + s[m.start():]
    return s[:m.end()] + " " + adv + s[m.end():]


def _inside_quote(s, pos):
    for m in QUOTED_RE.finditer(s):
        if m.start() <= pos < m.end():
            return True
    return False


def hv_drop_clause(rng, s):
    m = re.search(r", (?:which|who) [^,\"“”]{5,70},", s)
    if not m or _inside_quote(s, m.start()):
        return None
    return s[:m.start()] + " " + s[m.end():].lstrip()


PRONOUN_SHIFT = [(r"\bwe\b", "they"), (r"\bWe\b", "they"), (r"\bour\b", "their"), (r"\bOur\b", "their"),
                 (r"\bus\b", "them"), (r"\bI\b", "he"), (r"\bmy\b", "his"), (r"\bMy\b", "his"), (r"\bme\b", "him"),
                 (r"\bam\b", "was"), (r"\bare\b", "were"), (r"\bis\b", "was"), (r"\bwill\b", "would"),
                 (r"\bcan\b", "could"), (r"\bhave\b", "had"), (r"\bhas\b", "had"), (r"\bI'm\b", "he was"),
                 (r"\bwe're\b", "they were"), (r"\bit's\b", "it was"), (r"\bdon't\b", "did not"),
                 (r"\bdoesn't\b", "did not"), (r"\bcan't\b", "could not"), (r"\bwon't\b", "would not")]


def _indirect(quote):
    q = to_straight(quote).strip().rstrip(",.")
    for pat, rep in PRONOUN_SHIFT:
        q = re.sub(pat, rep, q)
    return lower_first(q)


def hv_indirect(rng, s):
    """Direct quotation to reported speech: '"We are ready," he said.' -> 'He said they were ready.'"""
    m = re.match(r'^["“](?P<quote>[^"“”]{10,}?)[,.]?["”],? ' + WHO + " " + VERB + r"\.$", s)
    if not m:
        m = re.match(r'^["“](?P<quote>[^"“”]{10,}?)[,.]?["”],? ' + VERB + " " + WHO + r"\.$", s)
    if not m:
        m = re.match("^" + WHO + " " + VERB + r'[:,] ["“](?P<quote>[^"“”]{10,}?)[.!?]?["”]$', s)
    if not m:
        return None
    verb = m.group("verb")
    verb = "said" if verb in ("told reporters", "told the BBC") or rng.random() < 0.4 else verb
    that = " that" if rng.random() < 0.5 else ""
    return f'{cap_first(m.group("who"))} {verb}{that} {_indirect(m.group("quote"))}.'


def hv_drop_appositive(rng, s):
    cands = [m for m in re.finditer(r", [^,\"“”]{8,70},", s) if not _inside_quote(s, m.start())
             and not re.match(r", (?:and|but|or|said|says|he|she|they|it)\b", m.group())]
    if not cands:
        return None
    m = rng.choice(cands)
    return s[:m.start()] + s[m.end() - 1:].replace(",", "", 1)


def hv_phrase(rng, s, rate):
    def fn(part):
        for pat, reps in PHRASES:
            if rng.random() < rate:
                part = re.sub(pat, lambda m: match_case(m.group(), rng.choice(reps)) if reps[0] else "", part, count=1)
        return part
    return outside_quotes(s, fn)


def hv_drop_modifier(rng, s):
    pat = r"\b(?:%s) (?=[a-z]{3,})" % "|".join(DROP_MODIFIERS)
    cands = [m for m in re.finditer(pat, s) if not _inside_quote(s, m.start())]
    if not cands:
        return None
    m = rng.choice(cands)
    return s[:m.start()] + s[m.end():]


def hv_drop_paren(rng, s):
    m = re.search(r" \([^()]{1,40}\)", s)
    if not m or _inside_quote(s, m.start()):
        return None
    return s[:m.start()] + s[m.end():]


def hv_swap_coord(rng, s):
    cands = [m for m in re.finditer(r"\b([a-z]{4,}) and ([a-z]{4,})\b", s)
             if not _inside_quote(s, m.start()) and m.group(1) not in FUNCTION_WORDS
             and m.group(2) not in FUNCTION_WORDS and not m.group(1).endswith("ly") and not m.group(2).endswith("ly")]
    if not cands:
        return None
    m = rng.choice(cands)
    return s[:m.start()] + m.group(2) + " and " + m.group(1) + s[m.end():]


def hv_according(rng, s):
    m = re.match("^" + WHO + r" (?:said|says|reported|believes|thinks|estimated|estimates) (?:that )?(?P<body>[^\"“”]{25,})\.$", s)
    if not m:
        return None
    return f'According to {lower_first(m.group("who"))}, {m.group("body")}.'


def hv_lead_phrase_to_end(rng, s):
    m = re.match(r'^(?P<lead>(?:In|On|At|After|Before|During|Since|Despite|Although|While|When|With|Without|Under|'
                 r'Over|Late|Earlier|Last|For|As|Unlike|Like|Following|Amid|Through|Until|Once|If|Because|Within|'
                 r'Across|Apart from|Along with|Together with|By) [^,"“”]{4,60}), (?P<rest>[^"“”]{25,}?)(?P<p>[.!?])$', s)
    if not m:
        return None
    return f'{cap_first(m.group("rest"))}, {lower_first(m.group("lead"))}{m.group("p")}'


def hv_tail_phrase_to_front(rng, s):
    m = re.match(r'^(?P<rest>[^"“”]{25,}?) (?P<pp>(?:in|at|on|for|from|with|during|after|over|under|across|since|amid) '
                 r'[^,"“”]{6,45})\.$', s)
    if not m:
        return None
    return f'{cap_first(m.group("pp"))}, {lower_first(m.group("rest"))}.'


FUNCTION_WORDS = {"that", "this", "these", "those", "them", "they", "their", "there", "then", "than", "have",
                  "been", "were", "will", "would", "could", "should", "with", "from", "into", "about", "also",
                  "more", "most", "much", "many", "some", "such", "what", "when", "where", "which", "while",
                  "who", "whom", "whose", "said", "says", "just", "only", "very", "even", "still", "over",
                  "under", "both", "each", "other", "between", "after", "before", "here", "does", "done",
                  "make", "made", "being", "having", "your", "ours", "his", "hers", "its", "not", "nor"}

STRUCT_OPS = [hv_quote_first, hv_quote_last, hv_reported_front, hv_reported_back, hv_adverbial_to_end,
              hv_time_to_front, hv_conj_front, hv_passive, hv_drop_clause, hv_according, hv_lead_phrase_to_end,
              hv_tail_phrase_to_front]
MINOR_OPS = [hv_drop_modifier, hv_drop_paren, hv_swap_coord, hv_adverb, hv_tense, hv_drop_appositive]


def heavy_edit(rng, s, strength=None):
    """Reword a sentence. strength in [0, 1] (random when None) scales how much changes: structural
    moves where a pattern applies, phrase paraphrases, synonyms (quotations usually kept), dropped
    modifiers and parentheses, swapped coordinations, adverbs, tense."""
    if strength is None:
        strength = rng.random() ** 0.7
    out = s
    if rng.random() < 0.35 * strength:
        out = hv_indirect(rng, out) or out
    ops = STRUCT_OPS[:]
    rng.shuffle(ops)
    n_struct = 1 + (rng.random() < strength) + (rng.random() < strength * 0.5)
    for op in ops:
        if n_struct == 0:
            break
        t = op(rng, out)
        if t and t != out:
            out = t
            n_struct -= 1
    protect = rng.random() < 0.9 - 0.4 * strength
    out = hv_phrase(rng, out, 0.3 + 0.6 * strength)
    out = syn_swap(rng, out, 0.35 + 0.6 * strength, protect_quotes=protect)
    minors = MINOR_OPS[:]
    rng.shuffle(minors)
    for op in minors[:1 + int(3 * strength * rng.random() + 0.5)]:
        out = op(rng, out) or out
    if rng.random() < 0.25:
        out = light_edit(rng, out, 1)
    if out == s:
        out = syn_swap(rng, out, 1.0, protect_quotes=False)
    if out == s:
        out = rng.choice(["Meanwhile, ", "Notably, ", "Separately, ", "Also, "]) + lower_first(s)
    out = re.sub(r"\s+([,.;:])", r"\1", re.sub(r" {2,}", " ", out)).strip()
    out = re.sub(r"^([a-z])", lambda m: m.group(1).upper(), out)
    return out


def split_sentence(rng, s):
    m = re.search(r"; (?=[a-z])", s)
    if m and not _inside_quote(s, m.start()):
        return [s[:m.start()] + ".", cap_first(s[m.end():])]
    m = re.search(r", (?:and|but) (?=(?:he|she|they|it|the|this|we|its|his|her|there)\b)", s)
    if m and m.start() > 30 and not _inside_quote(s, m.start()):
        rest = s[m.end():]
        conj = s[m.start() + 2:m.end()].strip()
        return [s[:m.start()] + ".", (cap_first(conj) + " " + rest) if rng.random() < 0.3 else cap_first(rest)]
    return None


def merge_sentences(rng, a, b):
    if a[-1:] != "." or len(a) + len(b) > 260 or a[-2:-1] in "\"”" or re.match(r'["“]', b):
        return None
    glue = rng.choice([", and ", "; ", ", while "])
    return a[:-1] + glue + lower_first(b)


# =========================================================================== documents

class Seg:
    """A piece of a document: story text (ids = origin sentence ids it derives from), new material
    (ids empty, boiler False) or boilerplate (boiler True). pre = text joining it to the previous
    piece of its paragraph."""
    __slots__ = ("text", "ids", "boiler", "pre")

    def __init__(self, text, ids=frozenset(), boiler=False, pre=" "):
        self.text, self.ids, self.boiler, self.pre = text, frozenset(ids), boiler, pre

    def copy(self, **kw):
        s = Seg(self.text, self.ids, self.boiler, self.pre)
        for k, v in kw.items():
            setattr(s, k, v)
        return s


class Content:
    """Story content of a document: headline segment + body paragraphs of segments."""

    def __init__(self, headline, paras):
        self.headline = headline
        self.paras = paras

    def copy(self):
        return Content(self.headline.copy() if self.headline else None, [[s.copy() for s in p] for p in self.paras])

    def segs(self):
        return [s for p in self.paras for s in p]


class Doc:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def render(paras, sep):
    """paras: list of list of Seg. Returns text and [(seg, start, end)]."""
    parts, spans, pos = [], [], 0
    for pi, para in enumerate(paras):
        if pi:
            parts.append(sep)
            pos += len(sep)
        for si, seg in enumerate(para):
            if si:
                parts.append(seg.pre)
                pos += len(seg.pre)
            spans.append((seg, pos, pos + len(seg.text)))
            parts.append(seg.text)
            pos += len(seg.text)
    return "".join(parts), spans


# =========================================================================== outlets

FIRST = ["Anna", "James", "Priya", "Tom", "Lucy", "David", "Sofia", "Mark", "Helen", "Omar", "Claire",
         "Daniel", "Grace", "Ravi", "Emma", "Peter", "Nadia", "Chris", "Julia", "Ben", "Fatima", "Liam",
         "Marta", "Hugo", "Irene", "Kofi", "Sarah", "Paul", "Mei", "Tariq"]
LAST = ["Holloway", "Brennan", "Okafor", "Lindqvist", "Marsh", "Devlin", "Castellano", "Whitfield",
        "Nakamura", "Farrell", "Osei", "Kowalski", "Pemberton", "Ramos", "Achterberg", "Quinlan",
        "Sutherland", "Varga", "Eriksen", "Moreau", "Haddad", "Fenwick", "Iyer", "Blackwood"]
CITIES = ["LONDON", "NEW YORK", "WASHINGTON", "BRUSSELS", "PARIS", "TOKYO", "FRANKFURT", "MOSCOW",
          "BEIJING", "SYDNEY", "MADRID", "ROME", "GENEVA", "DUBLIN", "TORONTO", "SINGAPORE"]
SECTIONS = {"business": ["Business", "Economy", "Markets"], "politics": ["Politics", "UK Politics", "World"],
            "tech": ["Technology", "Tech", "Science & Tech"], "sports": ["Sport", "Sports", "Football"],
            "entertainment": ["Entertainment", "Culture", "Arts"], "wire": ["World", "Markets", "Business"]}
SUBHEADS = ["What happens next", "Background", "Market reaction", "Reaction", "Analysis", "The details",
            "Why it matters", "Looking ahead", "The numbers", "Context", "Key points", "A closer look",
            "{E} responds", "What {E} said", "The view from {E}", "{E} under pressure"]

WIRE_LINE = "This material may not be published, broadcast, rewritten or redistributed."

OUTLETS = [
    {
        "key": "meridian-post", "name": "The Meridian Post", "sep": "\n\n", "w_origin": 4, "w_reprint": 2,
        "headline": True,
        "style": {"quotes": "curly", "dash": " – ", "percent": "%", "money": "short", "spelling": "uk",
                  "mojibake": "fix", "mr": "nodot", "usdots": False},
        "header": [(1.0, "The Meridian Post \u00b7 {section}")],
        "byline": (0.8, "By {author} \u00b7 {date_long}"),
        "readmore": (0.12, "Read more: {title}", 0.5),
        "appeal_pos": "bottom", "appeal_p": 0.9,
        "appeals": [
            "Support The Meridian Post\nIndependent journalism costs money, and we have never put our reporting "
            "behind a paywall. Every day our correspondents travel to the places where the news is happening, so "
            "that you do not have to rely on rumour or press releases. If you value what we do, please consider "
            "making a contribution today. Even a small amount helps to keep our newsroom open, our reporters in "
            "the field and our journalism free for everyone to read. It takes less than a minute to set up a "
            "monthly gift, and you can cancel at any time.\nSupport us from \u00a31 \u2192",
            "Support The Meridian Post\nIndependent journalism costs money, and we have never put our reporting "
            "behind a paywall. This year more readers than ever have chosen to back our work, and every one of "
            "them makes a difference. If you value what we do, please consider making a contribution today. Even "
            "a small amount helps to keep our newsroom open, our reporters in the field and our journalism free "
            "for everyone to read.\nSupport us from \u00a31 \u2192",
        ],
        "footer": [(0.9, "\u00a9 {year} The Meridian Post Ltd. All rights reserved. Registered in England and Wales."),
                   (0.4, "Topics: {section} | {section2}")],
    },
    {
        "key": "harbor-chronicle", "name": "Harbor City Chronicle", "sep": "\n", "w_origin": 3, "w_reprint": 3,
        "headline": True,
        "style": {"quotes": "straight", "dash": " -- ", "percent": "percent", "money": "long", "spelling": "us",
                  "mojibake": "fix", "mr": "dot", "usdots": True, "wire": True},
        "header": [(0.7, "HARBOR CITY CHRONICLE | {section_upper}")],
        "byline": (0.9, "By {author}, Staff Writer\nPublished {date_us} | Updated {time_us}"),
        "readmore": (0.2, "READ MORE: {title}", 0.6),
        "ads": (0.1, "Advertisement"),
        "appeal_pos": None,
        "footer": [(0.85, "Sign up for the Chronicle's Morning Briefing and get the day's most important stories "
                          "delivered to your inbox before breakfast. It's free, and you can unsubscribe at any time."),
                   (0.9, "Copyright \u00a9 {year} Harbor City Chronicle. " + WIRE_LINE)],
    },
    {
        "key": "continental-wire", "name": "Continental Wire", "sep": "\n\n", "w_origin": 6, "w_reprint": 1,
        "headline": True,
        "style": {"quotes": "straight", "dash": " - ", "percent": "%", "money": "short", "spelling": "uk",
                  "mojibake": "fix", "mr": "nodot", "usdots": False},
        "dateline": "{city}, {mon_day} (Continental Wire) - ",
        "footer": [(0.95, "(Reporting by {author}; additional reporting by {author2}; Editing by {author3})"),
                   (0.8, "Our Standards: The Continental Wire Editorial Principles. " + WIRE_LINE)],
    },
    {
        "key": "global-affairs", "name": "Global Affairs Today", "sep": "\n", "w_origin": 2, "w_reprint": 4,
        "headline": True, "one_per_para": 0.7,
        "style": {"quotes": "straight", "dash": " -- ", "percent": "%", "money": "long", "spelling": "us",
                  "mojibake": "fix", "mr": "nodot", "usdots": True},
        "readmore": (0.35, "Read more: {title}", 0.4),
        "footer": [(0.8, "You can share this story on social media:"),
                   (0.5, "Follow Global Affairs Today on Telegram \U0001F4E2 and X for breaking updates.")],
    },
    {
        "key": "independent-observer", "name": "The Independent Observer", "sep": "\n", "w_origin": 3,
        "w_reprint": 2, "headline": False,
        "style": {"quotes": "curly", "dash": " \u2014 ", "percent": "%", "money": "short", "spelling": "uk",
                  "mojibake": "keep", "mr": "nodot"},
        "header": [(0.9, "\U0001F4F0 The Independent Observer \u2014 news without fear or favour"),
                   (0.6, "{date_long}")],
        "appeal_pos": "mid", "appeal_p": 0.85,
        "appeals": [
            "A Message from The Independent Observer:\nDear readers,\nWe are facing unprecedented pressure. Our "
            "reporters have been denied accreditation, our website has been blocked in two countries, and our "
            "advertisers have been warned to stay away. These actions are direct attempts to silence independent "
            "journalism. We refuse to be silenced. But to continue our work, we need your help. Your support, no "
            "matter how small, makes a world of difference. If you can, please support us monthly starting from "
            "just $2. It's quick to set up, and every contribution makes a significant impact.\nRemind me later.",
            "A Message from The Independent Observer:\nDear readers,\nWe are facing unprecedented pressure. "
            "These actions are direct attempts to silence independent journalism, and they will not stop us. "
            "Your support, no matter how small, makes a world of difference. If you can, please support us "
            "monthly starting from just $2. It's quick to set up, and every contribution makes a significant "
            "impact.\nRemind me later.",
        ],
        "footer": [(0.5, "The Independent Observer is a reader-funded newsroom. Tips: tips@observer.example")],
    },
    {
        "key": "daily-briefing", "name": "Daily Briefing Online", "sep": "\n\n", "w_origin": 2, "w_reprint": 4,
        "headline": True,
        "style": {"quotes": "curly", "dash": " - ", "percent": "per cent", "money": "long", "spelling": "uk",
                  "mojibake": "fix", "mr": "nodot", "nbsp": True},
        "header": [(0.75, "We use cookies to improve your experience on our site and to show you relevant "
                          "advertising. By continuing to browse you agree to our use of cookies. Find out more "
                          "in our privacy policy.")],
        "byline": (0.6, "{author} | {date_long}, {time_uk}"),
        "ads": (0.25, "ADVERTISEMENT"),
        "readmore": (0.12, "Related: {title}", 0.7),
        "footer": [(0.7, "Share this article: Facebook \u00b7 Twitter \u00b7 WhatsApp \u00b7 Email"),
                   (0.6, "More from Daily Briefing Online: {title}")],
    },
    {
        "key": "northern-star", "name": "Northern Star Gazette", "sep": "\r\n\r\n", "w_origin": 3, "w_reprint": 2,
        "headline": True,
        "style": {"quotes": "straight", "dash": " - ", "percent": "per cent", "money": "short", "spelling": "uk",
                  "mojibake": "keep", "mr": "nodot"},
        "byline": (0.7, "Northern Star Gazette reporter {author}"),
        "readmore": (0.1, "See also - {title}", 0.6),
        "appeal_pos": "bottom", "appeal_p": 0.6,
        "appeals": [
            "The Gazette has served readers across the region for more than a century. Local reporting like this "
            "depends on subscribers. For less than the price of a coffee a week you can read every story, every "
            "edition, on every device, and help us hold the powerful to account in our towns and cities.",
        ],
        "footer": [(0.9, "Northern Star Gazette. " + WIRE_LINE)],
    },
    {
        "key": "lakeside-courier", "name": "Lakeside Courier", "sep": "\n\n", "w_origin": 1, "w_reprint": 3,
        "headline": True,
        "style": {"quotes": "curly", "dash": " \u2014 ", "percent": "percent", "money": "long", "spelling": "us",
                  "mojibake": "fix", "mr": "dot", "usdots": True, "wire": True},
        "byline": (0.5, "Posted {date_us} by {author}"),
        "credit": (0.7, "This article originally appeared in {origin_name} and is republished with permission."),
        "footer": [(0.8, "Comments are moderated. Please keep the conversation civil and on topic."),
                   (0.7, "\u00a9 {year} Lakeside Courier Media Group")],
    },
]
OUTLET_BY_KEY = {o["key"]: o for o in OUTLETS}

STOCK_SENTENCES = [  # news formulae, at most 6 fixed words: with an entity of at most 2 words and a
    # neighbouring connective of at most 2, unrelated documents share at most ~10 words through them
    "{E} declined to comment.",
    "{E} did not immediately respond.",
    "It was unclear how {E} would respond.",
    "Analysts say this could affect {E}.",
    "The move comes as {E} faces pressure.",
    "Terms agreed with {E} were not disclosed.",
    "{E} is expected to say more soon.",
    "A spokesperson for {E} declined to comment.",
    "Observers are watching {E} closely.",
    "{E} remains at the centre of the debate.",
    "Critics of {E} questioned the timing.",
    "Supporters of {E} welcomed the news.",
]
ATTRIBUTIONS = ["As {name} reported,", "According to {name},", "{name} reported that", "In a report,",
                "Writing earlier this week, {name} noted:", "As first reported by {name}:"]


# =========================================================================== generator


def entities(content):
    cnt = Counter()
    for seg in content.segs():
        for m in re.finditer(r"(?<=[a-z,] )([A-Z][a-z]+(?: [A-Z][a-z]+){0,2})", seg.text):
            e = m.group(1)
            if e.split()[0] not in ("The", "A", "An", "Mr", "Mrs", "Ms", "Dr", "But", "And", "He", "She", "It",
                                    "They", "We", "I", "In", "On", "At", "This", "That", "There"):
                cnt[e] += 1
    return [" ".join(e.split()[-2:]) for e, _ in cnt.most_common(8)] or ["the company"]


class Generator:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.docs = []
        self.stories = {}
        self.used_ids = set()
        self.roundups = {}
        self.filler_grams = set()

    # ------------------------------------------------------------------ pools
    def prepare(self):
        rng = self.rng
        arts = load_articles(Path(self.args.data), self.args.reuters_frac > 0)
        pool = clean_pool(arts, rng)
        bbc = [a for a in pool if a.corpus == "bbc"]
        reu = [a for a in pool if a.corpus == "reuters"]
        rng.shuffle(bbc)
        rng.shuffle(reu)
        n = self.args.stories
        n_reu = min(len(reu) // 2, int(round(n * self.args.reuters_frac)))
        n_bbc = n - n_reu
        # topic groups: seeds + nearest neighbours in the same section
        self.vectors = {}
        story_arts, groups = [], []
        avail = defaultdict(list)
        for a in bbc:
            avail[a.category].append(a)
        for a in reu:
            avail["wire"].append(a)
        want = {"bbc": n_bbc, "reuters": n_reu}
        cats_bbc = sorted(c for c in avail if c != "wire")
        while want["bbc"] > 0 or want["reuters"] > 0:
            corpus = "reuters" if (want["reuters"] > 0 and (want["bbc"] <= 0 or rng.random() < n_reu / max(1, n))) else "bbc"
            cat = "wire" if corpus == "reuters" else rng.choice(cats_bbc)
            lst = avail[cat]
            if len(lst) < 40:
                if corpus == "bbc" and all(len(avail[c]) < 40 for c in cats_bbc):
                    raise SystemExit("not enough source articles for that many stories")
                if corpus == "reuters":
                    want["reuters"] = 0
                continue
            seed_art = lst.pop()
            size = min(want[corpus], rng.choice([1, 1, 2, 2, 3, 3, 4]))
            grp = [seed_art]
            if size > 1:
                v0 = self.vec(seed_art)
                scored = sorted(((self.cos(v0, self.vec(b)), i) for i, b in enumerate(lst[:600])), reverse=True)
                pick = [i for s, i in scored[:size - 1] if s > 0.12]
                for i in sorted(pick, reverse=True):
                    grp.append(lst.pop(i))
            want[corpus] -= len(grp)
            groups.append(grp)
            story_arts.extend(grp)
        self.groups = groups
        # reserved pool: hosts (whole articles) and filler paragraphs, by category
        self.hosts = defaultdict(list)
        self.filler = defaultdict(list)
        self.titles = []
        for cat, lst in sorted(avail.items()):
            for i, a in enumerate(lst):
                if i % 3 == 0:
                    self.hosts[cat].append(a)
                else:
                    self.filler[cat].extend(p for p in a.paras[1:] if 80 <= len(p) <= 600)
                    self.titles.append(a.title)
            rng.shuffle(self.filler[cat])
        rng.shuffle(self.titles)
        # per-outlet "trending" links that repeat across the outlet's pages
        self.trending = {o["key"]: [self.titles.pop() for _ in range(10)] for o in OUTLETS}

    def vec(self, a):
        v = self.vectors.get(a.id)
        if v is None:
            words = [w for w in WORD_RE.findall(" ".join(a.paras).lower()) if len(w) > 3 and not w.isdigit()]
            v = Counter(words)
            self.vectors[a.id] = v
        return v

    @staticmethod
    def cos(u, v):
        if len(u) > len(v):
            u, v = v, u
        dot = sum(c * v.get(w, 0) for w, c in u.items())
        nu = math.sqrt(sum(c * c for c in u.values()))
        nv = math.sqrt(sum(c * c for c in v.values()))
        return dot / (nu * nv) if nu and nv else 0.0

    def pop_filler(self, cat):
        """An unused paragraph of a reserved article; it shares no word 10-gram with the fillers used
        before (some articles repeat a line in many paragraphs)."""
        for c in [cat] + [c for c in sorted(self.filler) if c != cat]:
            while self.filler[c]:
                p = self.filler[c].pop()
                grams = set(ngrams(WORD_RE.findall(p.lower()), 10))
                if grams & self.filler_grams:
                    continue
                self.filler_grams |= grams
                return p
        raise SystemExit("filler pool exhausted")

    def pop_host(self, cat):
        for c in [cat] + [c for c in sorted(self.hosts) if c != cat]:
            if self.hosts[c]:
                return self.hosts[c].pop()
        raise SystemExit("host pool exhausted")

    def new_id(self):
        while True:
            i = "d%06x" % self.rng.getrandbits(24)
            if i not in self.used_ids:
                self.used_ids.add(i)
                return i

    # ------------------------------------------------------------------ content ops
    def restyle(self, content, style):
        c = content.copy()
        if c.headline:
            c.headline.text = house_style(c.headline.text, style)
        for p in c.paras:
            for s in p:
                if not s.boiler:
                    s.text = house_style(s.text, style)
        return c

    def chunk(self, sents):
        """News paragraphs are short: cut long source paragraphs into runs of 1-3 sentences."""
        out = []
        i = 0
        while i < len(sents):
            k = self.rng.choices([1, 2, 3], [35, 40, 25])[0]
            out.append(sents[i:i + k])
            i += k
        return out

    def new_para(self, cat, style):
        sents = split_sentences(self.pop_filler(cat))
        if len(sents) > 3:
            i = self.rng.randrange(0, len(sents) - 2)
            sents = sents[i:i + self.rng.choice([1, 2, 3])]
        return [Seg(house_style(s, style)) for s in sents]

    def invented(self, ents, style):
        e = self.rng.choice(ents)
        return Seg(house_style(self.rng.choice(STOCK_SENTENCES).replace("{E}", e), style))

    def subhead(self, ents):
        t = self.rng.choice(SUBHEADS)
        return [Seg(t.replace("{E}", self.rng.choice(ents).split()[-1]))]

    def op_syndicate(self, parent, outlet):
        rng = self.rng
        c = parent.content.copy()
        if len(c.paras) > 4 and rng.random() < 0.4:
            c.paras = c.paras[:len(c.paras) - rng.choice([1, 1, 2])]
        if c.headline and rng.random() < 0.3:
            c.headline.text = light_edit(rng, c.headline.text)
        return c

    def op_light(self, parent, outlet, cat):
        rng = self.rng
        c = self.restyle(parent.content, outlet["style"])
        p_edit = rng.uniform(0.25, 0.55)
        for p in c.paras:
            for s in p:
                if s.ids and rng.random() < p_edit:
                    s.text = light_edit(rng, s.text)
        if c.headline and rng.random() < 0.5:
            c.headline.text = light_edit(rng, c.headline.text)
        if len(c.paras) > 4 and rng.random() < 0.3:
            del c.paras[rng.randrange(1, len(c.paras))]
        if len(c.paras) > 3 and rng.random() < 0.2:
            i = rng.randrange(1, len(c.paras) - 1)
            c.paras[i], c.paras[i + 1] = c.paras[i + 1], c.paras[i]
        if rng.random() < 0.3:
            c.paras.insert(rng.randrange(1, len(c.paras) + 1), self.new_para(cat, outlet["style"]))
        return c

    def op_heavy(self, parent, outlet, cat, rewrite=False):
        rng = self.rng
        c = self.restyle(parent.content, outlet["style"])
        ents = entities(c)
        if rewrite:  # every sentence reworded, edits composed, more merged and dropped sentences
            p_keep, p_light, lo = 0.0, 0.0, 0.6
            p_drop, p_merge, p_split = 0.15, 0.3, 0.36
        else:
            p_keep, p_light = rng.uniform(0.1, 0.4), rng.uniform(0.05, 0.15)
            lo = rng.uniform(0.2, 0.6)  # how hard this outlet rewrites
            p_drop, p_merge, p_split = 0.07, 0.13, 0.2
        passes = 2 if rewrite else 1

        def reword(t, strength=None):
            for _ in range(passes if rng.random() < 0.7 else 1):
                t = heavy_edit(rng, t, strength)
            return t
        new_paras = []
        for p in c.paras:
            out = []
            i = 0
            while i < len(p):
                s = p[i]
                if not s.ids:
                    out.append(s)
                    i += 1
                    continue
                r = rng.random()
                if r < p_drop and len(p) > 1:  # drop sentence
                    i += 1
                    continue
                if r < p_merge and i + 1 < len(p) and p[i + 1].ids:
                    m = merge_sentences(rng, s.text, p[i + 1].text)
                    if m:
                        out.append(Seg(reword(m) if rewrite or rng.random() < 0.5 else m, s.ids | p[i + 1].ids))
                        i += 2
                        continue
                if r < p_split:
                    parts = split_sentence(rng, s.text)
                    if parts:
                        for k, t in enumerate(parts):
                            out.append(Seg(reword(t) if rewrite or rng.random() < 0.5 else t, s.ids))
                        i += 1
                        continue
                r = rng.random()
                if r < p_keep:
                    pass
                elif r < p_keep + p_light:
                    s.text = light_edit(rng, s.text)
                else:
                    s.text = reword(s.text, lo + (1 - lo) * rng.random())
                out.append(s)
                i += 1
            if rng.random() < 0.12:
                out.append(self.invented(ents, outlet["style"]))
            if out:
                new_paras.append(out)
        paras = new_paras
        # drop paragraphs
        if len(paras) > 3:
            paras = [p for k, p in enumerate(paras) if k == 0 or rng.random() > 0.15]
        # reorder
        if len(paras) > 3 and rng.random() < 0.75:
            for _ in range(rng.choice([1, 2, 3])):
                i = rng.randrange(1, len(paras))
                p = paras.pop(i)
                paras.insert(rng.randrange(0 if rng.random() < 0.2 else 1, len(paras) + 1), p)
        # re-paragraph
        one = outlet.get("one_per_para", 0.3)
        r = rng.random()
        if r < one:
            paras = [[s.copy(pre=" ")] for p in paras for s in p]
        elif r < one + 0.2:
            flat = [s for p in paras for s in p]
            paras, cur = [], []
            for s in flat:
                cur.append(s)
                if len(cur) >= rng.choice([1, 2, 2, 3]):
                    paras.append(cur)
                    cur = []
            if cur:
                paras.append(cur)
        # inserted material
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
            paras.insert(rng.randrange(1, len(paras) + 1), self.new_para(cat, outlet["style"]))
        if rng.random() < 0.35:
            paras.insert(rng.randrange(1, len(paras) + 1), [self.invented(ents, outlet["style"])])
        if rng.random() < 0.3 and len(paras) > 4:
            for _ in range(rng.choice([1, 2])):
                paras.insert(rng.randrange(2, len(paras)), self.subhead(ents))
        c.paras = paras
        if c.headline:
            if rng.random() < 0.75:
                c.headline.text = heavy_edit(rng, c.headline.text)
            elif rng.random() < 0.5:
                c.headline = Seg(titlecase(rng.choice(ents)) + ": " + rng.choice(
                    ["what we know", "the latest", "new details emerge", "a closer look", "reaction"]))
        return c

    def quote_block(self, src_content, outlet, verbatim):
        rng = self.rng
        paras = [p for p in src_content.paras if any(s.ids for s in p)]
        if not paras:
            return []
        k = min(len(paras), rng.choice([1, 1, 2, 2, 3]))
        if rng.random() < 0.6:
            i = rng.randrange(0, len(paras) - k + 1)
            chosen = paras[i:i + k]
        else:
            chosen = [paras[i] for i in sorted(rng.sample(range(len(paras)), k))]
        out = []
        for p in chosen:
            p = [s.copy() for s in p if s.ids]
            if len(p) > 2 and rng.random() < 0.3:
                p = p[:rng.randrange(1, len(p))]
            if not verbatim:
                for s in p:
                    s.text = house_style(s.text, outlet["style"])
                    if rng.random() < 0.35:
                        s.text = light_edit(rng, s.text)
            out.append(p)
        return out

    def op_partial(self, parent, outlet, cat, extra_parent=None):
        rng = self.rng
        host = self.pop_host(cat if rng.random() < 0.6 else rng.choice(sorted(self.hosts)))
        body = [[Seg(house_style(s, outlet["style"])) for s in chunk]
                for p in host.paras for chunk in self.chunk(split_sentences(p))]
        body = body[:rng.randrange(4, 16)]
        for src in [parent] + ([extra_parent] if extra_parent else []):
            verbatim = rng.random() < 0.55
            block = self.quote_block(src.content, outlet, verbatim)
            if block and rng.random() < 0.5:
                lead = rng.choice(ATTRIBUTIONS).replace("{name}", OUTLET_BY_KEY[src.source]["name"])
                block[0] = [Seg(lead)] + block[0]
            pos = rng.randrange(1, len(body) + 1)
            body[pos:pos] = block
        headline = Seg(house_style(host.title, outlet["style"]))
        return Content(headline, body)

    def op_update(self, parent, outlet, cat):
        rng = self.rng
        c = parent.content.copy()
        ents = entities(c)
        lead = self.new_para(cat, outlet["style"])
        if rng.random() < 0.5:
            lead = [self.invented(ents, outlet["style"])] + lead[:1]
        c.paras.insert(0, lead)
        segs = [s for s in c.segs() if s.ids]
        for s in rng.sample(segs, min(len(segs), rng.choice([1, 2, 3]))):
            s.text = light_edit(rng, s.text)
        if rng.random() < 0.5:
            c.paras.append(self.new_para(cat, outlet["style"]))
        if c.headline:
            c.headline.text = (("UPDATE 1-" if outlet["key"] == "continental-wire" else "Updated: ") + c.headline.text
                               if rng.random() < 0.5 else light_edit(rng, c.headline.text))
        return c

    # ------------------------------------------------------------------ boilerplate
    def fill(self, tpl, ctx):
        rng = self.rng
        d = ctx["date"]
        vals = {
            "section": ctx["section"], "section2": ctx["section2"], "section_upper": ctx["section"].upper(),
            "author": ctx["author"], "author2": rng.choice(FIRST) + " " + rng.choice(LAST),
            "author3": rng.choice(FIRST) + " " + rng.choice(LAST),
            "date_long": f"{d.day} {MONTHS[d.month - 1]} {d.year}",
            "date_us": f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
            "time_us": d.strftime("%I:%M %p").lstrip("0") + " ET",
            "time_uk": d.strftime("%H:%M") + " GMT",
            "year": str(d.year), "city": ctx["city"], "mon_day": f"{MONTHS[d.month - 1][:3]} {d.day}",
            "origin_name": ctx.get("origin_name", ""),
        }
        if "{title}" in tpl:
            vals["title"] = ctx["pick_title"]()
        out = tpl
        for k, v in vals.items():
            out = out.replace("{" + k + "}", v)
        return out

    def boiler_para(self, text):
        return [Seg(line, boiler=True) for line in text.split("\n")]

    def wrap(self, doc, outlet):
        """Lay out the document: boilerplate around and inside the story content."""
        rng = self.rng
        c = doc.content
        ctx = {
            "date": doc.dt, "section": rng.choice(SECTIONS[doc.category]),
            "section2": rng.choice(sum(SECTIONS.values(), [])),
            "author": rng.choice(FIRST[:12] if outlet["key"] in ("meridian-post", "northern-star") else FIRST) + " "
            + rng.choice(LAST), "city": rng.choice(CITIES), "origin_name": doc.origin_name,
        }
        trending = self.trending[outlet["key"]]

        def pick_title():
            if rng.random() < (outlet.get("readmore") or (0, 0, 0.5))[2]:
                return rng.choice(trending)
            return self.titles.pop() if self.titles else rng.choice(trending)
        ctx["pick_title"] = pick_title
        sep = outlet["sep"]
        lines = []  # list of paragraphs; each is a list of Seg
        for p, tpl in outlet.get("header", []):
            if rng.random() < p:
                lines.extend(self._as_paras(self.fill(tpl, ctx), sep))
        if c.headline and outlet.get("headline", True):
            lines.append([c.headline.copy()])
        if outlet.get("byline") and rng.random() < outlet["byline"][0]:
            lines.extend(self._as_paras(self.fill(outlet["byline"][1], ctx), sep))
        body = [list(p) for p in c.paras]
        if outlet.get("dateline") and body and doc.mode in ("origin", "update"):
            body[0] = [Seg(self.fill(outlet["dateline"], ctx), boiler=True)] + [s.copy() for s in body[0]]
            body[0][1].pre = ""
        if outlet.get("credit") and doc.mode in ("syndicate", "light") and rng.random() < outlet["credit"][0]:
            body.append(self.boiler_para(self.fill(outlet["credit"][1], ctx)))
        mid_at = None
        if outlet.get("appeal_pos") == "mid" and rng.random() < outlet["appeal_p"] and len(body) > 3:
            mid_at = rng.randrange(2, min(len(body), 6))
        n_read = 0
        for i, p in enumerate(body):
            lines.append(p)
            if i == len(body) - 1:
                break
            if mid_at == i + 1:
                lines.extend(self._as_paras(self._appeal(outlet), sep))
            rm = outlet.get("readmore")
            if rm and i > 0 and n_read < 3 and rng.random() < rm[0]:
                lines.append(self.boiler_para(self.fill(rm[1], ctx)))
                n_read += 1
            ad = outlet.get("ads")
            if ad and rng.random() < ad[0]:
                lines.append(self.boiler_para(ad[1]))
        if outlet.get("appeal_pos") == "bottom" and rng.random() < outlet["appeal_p"]:
            lines.extend(self._as_paras(self._appeal(outlet), sep))
        for p, tpl in outlet.get("footer", []):
            if rng.random() < p:
                lines.extend(self._as_paras(self.fill(tpl, ctx), sep))
        return lines

    def _appeal(self, outlet):
        ap = outlet["appeals"]
        return ap[0] if len(ap) == 1 or self.rng.random() < 0.7 else self.rng.choice(ap[1:])

    def _as_paras(self, text, sep):
        return [[Seg(line, boiler=True)] for line in text.split("\n")]

    # ------------------------------------------------------------------ stories
    def make_doc(self, story, content, outlet, dt, mode, parent, cat, base, origin_name=""):
        d = Doc(id=self.new_id(), source=outlet["key"], dt=dt, story=story, mode=mode,
                parent=parent.id if parent else None, category=cat, base=base, content=content,
                origin_name=origin_name)
        paras = self.wrap(d, outlet)
        d.text, d.spans = render(paras, outlet["sep"])
        d.date = dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.docs.append(d)
        return d

    def generate(self):
        rng = self.rng
        self.prepare()
        base_time = datetime(2022, 1, 3, tzinfo=timezone.utc)
        origin_w = [o["w_origin"] for o in OUTLETS]
        n_stories = sum(len(g) for g in self.groups)
        story_no = 0
        self.topic_groups = []
        story_docs = {}
        pending_roundups = []
        for g in self.groups:
            labels = []
            for art in g:
                story_no += 1
                label = "s%04d" % story_no
                labels.append(label)
                cat = art.category
                outlet = rng.choices(OUTLETS, origin_w)[0]
                dt = base_time + timedelta(days=rng.uniform(0, 330), minutes=rng.randrange(0, 1440))
                paras = art.paras
                if rng.random() < 0.12:
                    paras = paras[:rng.choice([1, 2])]
                sid = 0
                body = []
                for p in paras:
                    for chunk in self.chunk(split_sentences(p)):
                        segs = []
                        for s in chunk:
                            sid += 1
                            segs.append(Seg(s, {(label, sid)}))
                        body.append(segs)
                content = Content(Seg(art.title, {(label, 0)}), body)
                content = self.restyle(content, outlet["style"])
                if outlet.get("one_per_para") and rng.random() < outlet["one_per_para"]:
                    content.paras = [[s.copy(pre=" ")] for p in content.paras for s in p]
                origin = self.make_doc(label, content, outlet, dt, "origin", None, cat, art.id)
                docs = [origin]
                n_rep = rng.choices([0, 1, 2, 3, 4, 5, 6, 8], [34, 20, 15, 11, 8, 6, 4, 2])[0]
                for _ in range(n_rep):
                    mode = rng.choices(["syndicate", "light", "heavy", "rewrite", "partial", "update"],
                                       [18, 24, 25, 9, 18, 6])[0]
                    if mode == "update":
                        cands = [d for d in docs if d.mode in ("origin", "syndicate", "light", "heavy", "rewrite")]
                        parent = rng.choice(cands)
                        outlet_r = OUTLET_BY_KEY[parent.source]
                        if any(d.mode == "update" and d.source == parent.source for d in docs):
                            mode = "light"
                    if mode != "update":
                        cands = [d for d in docs if d.mode != "partial"]
                        parent = origin if rng.random() < 0.7 else rng.choice(cands)
                        used = {d.source for d in docs if d.mode != "partial"}
                        choices = [o for o in OUTLETS if o["key"] not in used or mode == "partial"]
                        choices = [o for o in choices if o["key"] != parent.source] or OUTLETS
                        outlet_r = rng.choices(choices, [o["w_reprint"] for o in choices])[0]
                    if mode == "partial":
                        delta = timedelta(days=rng.uniform(0.5, 25))
                    else:
                        delta = timedelta(hours=rng.uniform(0.5, 96))
                    dt_r = parent.dt + delta
                    origin_name = OUTLET_BY_KEY[parent.source]["name"]
                    if mode == "syndicate":
                        c = self.op_syndicate(parent, outlet_r)
                    elif mode == "light":
                        c = self.op_light(parent, outlet_r, cat)
                    elif mode in ("heavy", "rewrite"):
                        c = self.op_heavy(parent, outlet_r, cat, rewrite=mode == "rewrite")
                    elif mode == "update":
                        c = self.op_update(parent, outlet_r, cat)
                    else:
                        if story_docs and rng.random() < 0.12:
                            pending_roundups.append((label, parent, outlet_r, cat))
                            continue
                        c = self.op_partial(parent, outlet_r, cat)
                    d = self.make_doc(label, c, outlet_r, dt_r, mode, parent, cat, art.id, origin_name)
                    docs.append(d)
                story_docs[label] = docs
                self.stories[label] = {"origin": origin.id, "base_article": art.id, "topic_group": len(self.topic_groups)}
            self.topic_groups.append(labels)
        # roundups: quote two stories
        for label, parent, outlet_r, cat in pending_roundups:
            other_label = rng.choice(sorted(l for l in story_docs if l != label))
            other = rng.choice([d for d in story_docs[other_label] if d.mode != "partial"])
            c = self.op_partial(parent, outlet_r, cat, extra_parent=other)
            dt_r = max(parent.dt, other.dt) + timedelta(days=rng.uniform(0.5, 10))
            d = self.make_doc(label, c, outlet_r, dt_r, "partial", parent, cat, self.stories[label]["base_article"],
                              OUTLET_BY_KEY[parent.source]["name"])
            story_docs[label].append(d)
            self.roundups[d.id] = [label, other_label]
        self.story_docs = story_docs
        return self.docs

    # ------------------------------------------------------------------ truth
    def truth(self):
        docs = self.docs
        by_id = {d.id: d for d in docs}
        units = {}
        for d in docs:
            us = [(seg.ids, s, e) for seg, s, e in d.spans if seg.ids and not seg.boiler]
            units[d.id] = us
            d.boilerplate = boiler_spans(d)
            d.content_chars = sum(e - s for seg, s, e in d.spans if not seg.boiler)
        inv = defaultdict(set)
        for d in docs:
            for ids, _, _ in units[d.id]:
                for i in ids:
                    inv[i].add(d.id)
        cand = set()
        for i, ds in inv.items():
            ds = sorted(ds)
            for x in range(len(ds)):
                for y in range(x + 1, len(ds)):
                    cand.add((ds[x], ds[y]))
        pairs, weak = [], []
        for a, b in sorted(cand):
            X, Y = by_id[a], by_id[b]
            if (Y.dt, Y.id) < (X.dt, X.id):
                X, Y = Y, X
            ps = pair_passages(X.text, units[X.id], Y.text, units[Y.id])
            if not ps:
                continue
            rec = classify(X, Y, ps)
            (weak if rec["class"] == "weak" else pairs).append(rec)
        pairs.sort(key=lambda r: (r["a"], r["b"]))
        weak.sort(key=lambda r: (r["a"], r["b"]))
        paired = {(r["a"], r["b"]) for r in pairs} | {(r["b"], r["a"]) for r in pairs}
        paired |= {(r["a"], r["b"]) for r in weak} | {(r["b"], r["a"]) for r in weak}
        no_text = []
        for label, ds in sorted(self.story_docs.items()):
            ids = sorted(d.id for d in ds)
            for x in range(len(ids)):
                for y in range(x + 1, len(ids)):
                    if (ids[x], ids[y]) not in paired:
                        no_text.append([ids[x], ids[y]])
        documents = {}
        for d in sorted(docs, key=lambda d: d.id):
            documents[d.id] = {
                "source": d.source, "date": d.date, "story": d.story, "mode": d.mode, "parent": d.parent,
                "category": d.category, "base_article": d.base, "length": len(d.text),
                "content_chars": d.content_chars, "boilerplate": d.boilerplate,
            }
        stories = {}
        for label, info in sorted(self.stories.items()):
            stories[label] = dict(info, docs=sorted(d.id for d in self.story_docs[label]))
        truth = {
            "generator": {"script": "bench/reprint_gen.py", "version": GEN_VERSION, "seed": self.args.seed,
                          "stories": self.args.stories, "reuters_frac": self.args.reuters_frac},
            "class_definitions": CLASS_DEFS,
            "documents": documents,
            "stories": stories,
            "pairs": pairs,
            "weak_pairs": weak,
            "same_story_no_text": no_text,
            "topic_groups": self.topic_groups,
            "roundups": self.roundups,
        }
        # rare natural overlaps (two source articles stating one fact in ~9 words that edits lengthen):
        # listed so that evaluations ignore these pairs, like weak pairs
        truth["incidental_pairs"] = [{"a": a, "b": b, "example": g}
                                     for a, b, g in leak_check({d.id: d.text for d in docs}, truth)]
        return truth


CLASS_DEFS = {
    "weak": "passages hold < 15 words on the smaller side; not a true pair, ignored by the evaluation",
    "partial": "min(cov_a, cov_b) < 0.4 with cov_x = x's non-boilerplate chars inside passages / x's non-boilerplate chars",
    "verbatim": "not partial; verbatim passage chars >= 90% of passage chars",
    "light": "not partial/verbatim; msim (char-weighted word similarity of all passages, verbatim = 1) >= 0.9",
    "heavy": "otherwise",
}


def boiler_spans(d):
    out = []
    for seg, s, e in d.spans:
        if not seg.boiler:
            continue
        if out and d.text[out[-1][1]:s].strip() == "":
            out[-1][1] = e
        else:
            out.append([s, e])
    return out


def words_of(t):
    return WORD_RE.findall(t.lower())


def similarity(x, y):
    wx, wy = words_of(x), words_of(y)
    if not wx and not wy:
        return 1.0
    return difflib.SequenceMatcher(None, wx, wy, autojunk=False).ratio()


def _runs(text, idxs, us):
    """Split sorted unit indices into runs contiguous in the text (whitespace-only gaps)."""
    runs = []
    for i in idxs:
        if runs and i == runs[-1][-1] + 1 and text[us[runs[-1][-1]][2]:us[i][1]].strip() == "":
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def pair_passages(tx, ux, ty, uy):
    """True passages between two documents from their units [(ids, start, end)] in text order."""
    ids_y = set().union(*[u[0] for u in uy]) if uy else set()
    parent = {}

    def find(n):
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
    first = {}
    for side, us in (("x", ux), ("y", uy)):
        for k, (ids, _, _) in enumerate(us):
            node = (side, k)
            for i in ids:
                if i in ids_y or side == "y":
                    parent.setdefault(node, node)
                    if i in first:
                        union(first[i], node)
                    else:
                        first[i] = node
    comps = defaultdict(lambda: ([], []))
    for node in parent:
        r = find(node)
        comps[r][0 if node[0] == "x" else 1].append(node[1])
    raw = []
    for xs, ys in comps.values():
        if not xs or not ys:
            continue
        for rx in _runs(tx, sorted(xs), ux):
            for ry in _runs(ty, sorted(ys), uy):
                a = (ux[rx[0]][1], ux[rx[-1]][2])
                b = (uy[ry[0]][1], uy[ry[-1]][2])
                kind = "verbatim" if tx[a[0]:a[1]] == ty[b[0]:b[1]] else "reworded"
                raw.append([a, b, kind])
    raw.sort(key=lambda p: (p[0], p[1]))
    merged = []
    for p in raw:
        if merged:
            q = merged[-1]
            gx, gy = tx[q[0][1]:p[0][0]], ty[q[1][1]:p[1][0]]
            if (q[2] == p[2] and p[0][0] >= q[0][1] and p[1][0] >= q[1][1] and gx.strip() == "" and gy.strip() == ""
                    and (p[2] == "reworded" or gx == gy)):
                q[0] = (q[0][0], p[0][1])
                q[1] = (q[1][0], p[1][1])
                continue
        merged.append(list(p))
    out = []
    for a, b, kind in merged:
        sim = 1.0 if kind == "verbatim" else similarity(tx[a[0]:a[1]], ty[b[0]:b[1]])
        out.append({"a": list(a), "b": list(b), "kind": kind, "sim": round(sim, 4)})
    return out


LIGHT_MSIM = 0.9


def classify(X, Y, ps):
    ax = sum(p["a"][1] - p["a"][0] for p in ps)
    by = sum(p["b"][1] - p["b"][0] for p in ps)
    cov_x = min(1.0, ax / max(1, X.content_chars))
    cov_y = min(1.0, by / max(1, Y.content_chars))
    tot = ax + by
    ver = sum((p["a"][1] - p["a"][0]) + (p["b"][1] - p["b"][0]) for p in ps if p["kind"] == "verbatim")
    vfrac = ver / tot if tot else 0.0
    rw = [(p, (p["a"][1] - p["a"][0]) + (p["b"][1] - p["b"][0])) for p in ps if p["kind"] == "reworded"]
    rsim = sum(p["sim"] * w for p, w in rw) / sum(w for _, w in rw) if rw else 1.0
    allw = [(p, (p["a"][1] - p["a"][0]) + (p["b"][1] - p["b"][0])) for p in ps]
    msim = sum(p["sim"] * w for p, w in allw) / sum(w for _, w in allw)
    nwords = min(sum(len(words_of(X.text[p["a"][0]:p["a"][1]])) for p in ps),
                 sum(len(words_of(Y.text[p["b"][0]:p["b"][1]])) for p in ps))
    if nwords < 15:
        cls = "weak"
    elif min(cov_x, cov_y) < 0.4:
        cls = "partial"
    elif vfrac >= 0.9:
        cls = "verbatim"
    elif msim >= LIGHT_MSIM:
        cls = "light"
    else:
        cls = "heavy"
    return {
        "a": X.id, "b": Y.id, "class": cls,
        "coverage_a": round(sum(p["a"][1] - p["a"][0] for p in ps) / max(1, len(X.text)), 4),
        "coverage_b": round(sum(p["b"][1] - p["b"][0] for p in ps) / max(1, len(Y.text)), 4),
        "content_coverage_a": round(cov_x, 4), "content_coverage_b": round(cov_y, 4),
        "vfrac": round(vfrac, 4), "rsim": round(rsim, 4), "msim": round(msim, 4), "words": nwords,
        "passages": ps,
    }


# =========================================================================== checks


def leak_check(docs_text, truth, n=12):
    """Word n-grams shared, outside boilerplate, by two documents that are not a (weak) true pair.
    Source articles share no 10-gram and invented stock sentences at most 11 words, so n=12 must
    find nothing.
    Returns a list of (a, b, example n-gram)."""
    related = set()
    for r in truth["pairs"] + truth["weak_pairs"] + truth.get("incidental_pairs", []):
        related.add((r["a"], r["b"]))
        related.add((r["b"], r["a"]))
    index = defaultdict(set)
    for did, text in docs_text.items():
        bp = truth["documents"][did]["boilerplate"]
        keep = []
        last = 0
        for s, e in bp:
            keep.append(text[last:s])
            last = e
        keep.append(text[last:])
        words = []
        for part in keep:
            words.append(WORD_RE.findall(part.lower()))
        for ws in words:
            for g in ngrams(ws, n):
                index[g].add(did)
    leaks = {}
    for g, ds in index.items():
        if len(ds) < 2:
            continue
        ds = sorted(ds)
        for x in range(len(ds)):
            for y in range(x + 1, len(ds)):
                if (ds[x], ds[y]) not in related:
                    leaks.setdefault((ds[x], ds[y]), g)
    return sorted((a, b, g) for (a, b), g in leaks.items())


def check_truth(docs_text, truth):
    """Invariants; returns a list of problems (empty when fine)."""
    problems = []
    for did, info in truth["documents"].items():
        n = len(docs_text[did])
        if info["length"] != n:
            problems.append(f"{did}: length {info['length']} != {n}")
        for s, e in info["boilerplate"]:
            if not (0 <= s < e <= n):
                problems.append(f"{did}: boilerplate span {s},{e} outside text")
    for r in truth["pairs"] + truth["weak_pairs"]:
        ta, tb = docs_text[r["a"]], docs_text[r["b"]]
        for p in r["passages"]:
            (a0, a1), (b0, b1) = p["a"], p["b"]
            if not (0 <= a0 < a1 <= len(ta) and 0 <= b0 < b1 <= len(tb)):
                problems.append(f"{r['a']}/{r['b']}: span outside text")
                continue
            if p["kind"] == "verbatim" and ta[a0:a1] != tb[b0:b1]:
                problems.append(f"{r['a']}/{r['b']}: verbatim passage texts differ")
            if p["kind"] == "reworded" and ta[a0:a1] == tb[b0:b1]:
                problems.append(f"{r['a']}/{r['b']}: reworded passage texts equal")
            for side, (s, e) in (("a", (a0, a1)), ("b", (b0, b1))):
                for bs, be in truth["documents"][r[side]]["boilerplate"]:
                    if s < be and bs < e:
                        problems.append(f"{r[side]}: passage overlaps boilerplate")
    for label, st in truth["stories"].items():
        o = truth["documents"][st["origin"]]
        for d in st["docs"]:
            if d != st["origin"] and truth["documents"][d]["date"] <= o["date"]:
                problems.append(f"{d}: not later than its story origin")
    return problems


# =========================================================================== main


def summary(truth):
    cls = Counter(r["class"] for r in truth["pairs"])
    modes = Counter(d["mode"] for d in truth["documents"].values())
    src = Counter(d["source"] for d in truth["documents"].values())
    kinds = Counter(p["kind"] for r in truth["pairs"] for p in r["passages"])
    lines = [
        f"documents {len(truth['documents'])}  stories {len(truth['stories'])}  "
        f"multi-document stories {sum(1 for s in truth['stories'].values() if len(s['docs']) > 1)}",
        "modes: " + ", ".join(f"{k} {v}" for k, v in sorted(modes.items())),
        "sources: " + ", ".join(f"{k} {v}" for k, v in sorted(src.items())),
        f"true pairs {len(truth['pairs'])}: " + ", ".join(f"{k} {cls[k]}" for k in ("verbatim", "light", "heavy", "partial")),
        f"weak pairs {len(truth['weak_pairs'])}  same-story pairs without shared text {len(truth['same_story_no_text'])}  "
        f"incidental pairs {len(truth.get('incidental_pairs', []))}",
        "passages: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())),
    ]
    return "\n".join(lines)


def write_outputs(gen, truth, out: Path, gz: bool):
    out.mkdir(parents=True, exist_ok=True)
    docs = list(gen.docs)
    gen.rng.shuffle(docs)
    name = "corpus.jsonl.gz" if gz else "corpus.jsonl"
    for stale in ("corpus.jsonl", "corpus.jsonl.gz"):
        if stale != name and (out / stale).exists():
            (out / stale).unlink()
    lines = "".join(json.dumps({"id": d.id, "source": d.source, "date": d.date, "text": d.text},
                               ensure_ascii=False) + "\n" for d in docs)
    if gz:
        with gzip.GzipFile(out / name, "wb", mtime=0) as f:
            f.write(lines.encode("utf-8"))
    else:
        (out / name).write_text(lines, encoding="utf-8")
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out / name


def generate(seed=1, stories=150, reuters_frac=0.25, data=DEFAULT_DATA):
    """Library entry point: returns (generator, truth)."""
    args = argparse.Namespace(seed=seed, stories=stories, reuters_frac=reuters_frac, data=str(data))
    gen = Generator(args)
    gen.generate()
    truth = gen.truth()
    return gen, truth


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stories", type=int, default=150, help="number of stories (origin documents)")
    ap.add_argument("--reuters-frac", type=float, default=0.25, help="fraction of stories from Reuters-21578")
    ap.add_argument("--data", default=str(DEFAULT_DATA), help="shared data directory (default <repo>/../shared/data)")
    ap.add_argument("--out", default=None, help="output directory (default bench/out/reprint-s<seed>)")
    ap.add_argument("--gzip", action="store_true", help="write corpus.jsonl.gz instead of corpus.jsonl")
    ap.add_argument("--check", action="store_true", help="verify the truth's invariants after writing")
    args = ap.parse_args(argv)
    out = Path(args.out) if args.out else HERE / "out" / f"reprint-s{args.seed}"
    gen, truth = generate(args.seed, args.stories, args.reuters_frac, args.data)
    path = write_outputs(gen, truth, out, args.gzip)
    print(f"wrote {path} and {out / 'truth.json'}")
    print(summary(truth))
    if args.check:
        texts = {d.id: d.text for d in gen.docs}
        probs = check_truth(texts, truth)
        inc = truth["incidental_pairs"]
        print(f"invariant problems: {len(probs)}; incidental pairs (different stories sharing a 12-gram outside "
              f"boilerplate, ignored by the evaluation): {len(inc)}")
        for p in probs[:10]:
            print("  ", p)
        for r in inc[:10]:
            print(f"   incidental {r['a']} {r['b']}: {r['example']}")
        if probs:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
