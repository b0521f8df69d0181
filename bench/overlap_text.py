"""A Python port of overlap's tokenizer, normalization and shingling.

It reproduces, for the benchmarks and the ground truth, exactly the shingle sets that overlap builds
(crates/overlap/src/text/{tokenize,normalize,shingle}.rs):

- a word is a maximal run of letters, digits, `_` and combining marks (letters and digits: Rust's
  `char::is_alphanumeric`, i.e. Unicode Alphabetic or General_Category N*);
- `'` or `’` between two letters, `.` between two digits, `.` between two letters when the piece before
  it (letters/digits since the token start or the last joiner, marks not counted) has at most two
  characters (`U.S`, `Ph.D`, `e.g`, but `language.It` splits), and `,` between two digits stay inside
  the word; the "letter before" is the last letter/digit, skipping combining marks;
- each ideograph, hiragana or katakana code point (fixed ranges) is a word of its own;
- every token is normalized on its own: ASCII tokens are lowercased; other tokens get NFKC, the
  apostrophes `’ ‘ ʼ` become `'`, then lowercase with `ß`/`ẞ` -> `ss` and `ς` -> `σ`;
- the normalized text is the tokens joined by single spaces; the exact key is xxh3-128 of it;
- a shingle is `n` consecutive tokens joined by single spaces, hashed with xxh3-64; a document with
  fewer than `n` (but at least one) tokens has one shingle: all of its tokens.

ASCII documents take a fast path on the standard `re` module; others use the `regex` module, which
knows the Unicode properties (Alphabetic, N, M) that the Rust tokenizer asks `char` about. Known
source of rare differences: the Unicode versions of Python's `unicodedata`/`regex` and Rust's std may
differ for recently added characters. `validate()` counts mismatching exact keys against overlap.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata

import regex
import xxhash

# --- tokenizer ------------------------------------------------------------------------------------

_ASCII_TOKEN = re.compile(
    r"[A-Za-z0-9_]+"
    r"(?:(?:(?<=[A-Za-z])'(?=[A-Za-z])"
    r"|(?<=[A-Za-z])(?<![A-Za-z0-9_]{3})\.(?=[A-Za-z])"
    r"|(?<=[0-9])[.,](?=[0-9]))[A-Za-z0-9_]+)*"
)

_IDEO = (
    r"\u3040-\u30FF\u31F0-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\uFF66-\uFF9F"
    r"\U00020000-\U0003FFFF"
)
# Word: alphanumeric (Alphabetic or N*) or '_', not an ideograph.
_W = rf"[[\p{{Alphabetic}}\p{{N}}_]--[{_IDEO}]]"
# Letters and digits that a joiner may follow or precede (never ideographs: those are not Word).
_A = rf"[\p{{Alphabetic}}--[{_IDEO}]]"
_N = rf"[\p{{N}}--[{_IDEO}]]"
# Combining marks that are not themselves Word characters (Rust: is_combining_mark, after the Word test).
_M = rf"[\p{{M}}--[\p{{Alphabetic}}\p{{N}}_{_IDEO}]]"
_UNICODE_TOKEN = regex.compile(
    rf"[{_IDEO}]"
    rf"|{_W}(?:{_W}|{_M}"
    rf"|(?<={_A}{_M}*)['\u2019](?={_A})"
    # `.` between letters only after a piece of at most two letters/digits since the token start or the
    # last joiner (marks do not count): the run of word characters and marks before it holds <= 2 words.
    rf"|(?<=(?<!{_W}|{_M}){_M}*(?:{_W}{_M}*)?{_A}{_M}*)\.(?={_A})"
    rf"|(?<={_N}{_M}*)[.,](?={_N}))*",
    regex.VERSION1,
)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def _normalize_token(tok: str) -> str:
    if tok.isascii():
        return tok.lower()
    tok = unicodedata.normalize("NFKC", tok).translate(_APOSTROPHES).lower()
    # Rust maps ß/ẞ to "ss" and ς to σ; Python's lower() turns ẞ into ß and a final Σ into ς.
    if "ß" in tok:
        tok = tok.replace("ß", "ss")
    if "ς" in tok:
        tok = tok.replace("ς", "σ")
    return tok


def tokens(text: str) -> list[str]:
    """The normalized tokens of `text`, in order."""
    if text.isascii():
        return _ASCII_TOKEN.findall(text.lower())
    return [_normalize_token(t) for t in _UNICODE_TOKEN.findall(text)]


# Lowercasing an ASCII text before matching is safe: the ASCII rules do not depend on case.


def normalized_text(text: str) -> str:
    return " ".join(tokens(text))


def exact_key(toks: list[str]) -> str:
    """xxh3-128 of the normalized text, as 32 hex digits (overlap sketch's `exact`)."""
    return xxhash.xxh3_128_hexdigest(" ".join(toks).encode("utf-8"))


def shingle_strings(toks: list[str], n: int = 5) -> list[str]:
    """The word n-grams of `toks` as strings (tokens joined by single spaces), in text order."""
    if not toks:
        return []
    if len(toks) < n:
        return [" ".join(toks)]
    return list(map(" ".join, zip(*(toks[i:] for i in range(n)))))


_xxh64 = xxhash.xxh3_64_intdigest


def shingle_hash_set(shingles: list[str]) -> set[int]:
    """overlap's shingle set: xxh3-64 of each shingle's UTF-8 bytes."""
    return {_xxh64(s.encode("utf-8")) for s in shingles}


# --- corpus reading -------------------------------------------------------------------------------


def read_corpus(path: str) -> tuple[list[str], list[str]]:
    """Ids and texts of a .jsonl(.gz) corpus with `id` and `text` fields."""
    ids, texts = [], []
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            ids.append(str(rec["id"]))
            texts.append(rec["text"])
    return ids, texts
