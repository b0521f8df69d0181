"""overlap: find the text documents share, from Python.

The same engine as the ``overlap`` command-line tool, with the same defaults and the same outputs:

- :func:`dedup`, :func:`reuse`, :func:`sketch` run the corpus jobs on files and return ``summary.json``;
- :func:`align` aligns two texts (passages with ``str`` offsets);
- :func:`signatures`, :func:`exact_keys`, :func:`band_keys` sketch texts in memory (a list of ``str``
  or a pyarrow string array), on the worker threads, without the GIL;
- :class:`Deduplicator` deduplicates a stream of documents in memory, batch by batch;
- ``python -m overlap.spark dedup ...`` runs dedup on Spark (see :mod:`overlap.spark`).

Example:
    >>> import overlap
    >>> texts = ["The cat sat on the mat today.", "the cat sat on the mat today!", "Other words."]
    >>> overlap.exact_keys(texts)[0] == overlap.exact_keys(texts)[1]
    True
    >>> overlap.signatures(texts).shape
    (3, 128)
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native
from ._errors import InputError
from ._index import *  # noqa: F401,F403  (Index and its errors)
from . import _options
from ._options import PathLike
from ._texts import Texts, prepare

__all__ = [
    "InputError",
    "Deduplicator",
    "dedup",
    "reuse",
    "sketch",
    "align",
    "signatures",
    "exact_keys",
    "band_keys",
    "lsh_params",
    "__version__",
]

__version__: str = _native.version()


def dedup(
    inputs: Union[PathLike, Sequence[PathLike]],
    out: PathLike,
    *,
    threshold: float = 0.8,
    ngram: int = 5,
    num_perm: int = 128,
    seed: int = 1,
    scheme: str = "one-permutation",
    verify: bool = True,
    bands: Optional[int] = None,
    rows: Optional[int] = None,
    fn_weight: Optional[float] = None,
    nfkc: bool = True,
    case_fold: bool = True,
    id_field: str = "id",
    text_field: str = "text",
    format: Optional[str] = None,
    on_error: str = "fail",
    max_record_bytes: int = 64 << 20,
    write_deduped: bool = True,
    clusters: str = "components",
    output_format: str = "jsonl",
    compression_level: Optional[int] = None,
    fix_encoding: bool = False,
    memory: Optional[str] = None,
    tmp_dir: Optional[PathLike] = None,
    threads: Optional[int] = None,
) -> Dict[str, Any]:
    """Remove exact and near-duplicate documents from a corpus, as ``overlap dedup`` does.

    Reads the inputs (JSON Lines, optionally .gz/.zst, Parquet, text files, directories), writes
    ``clusters.jsonl``, ``pairs.jsonl``, the deduplicated corpus and ``summary.json`` into ``out``,
    and returns the summary. Every option is the CLI's of the same name (``--clusters guarded``,
    ``--output-format parquet``, ``--memory 512MiB``, ...); ``threads=None`` uses one worker per
    core, ``memory=None`` the CLI's default budget (results depend on neither).

    Raises:
        InputError: a bad record (with ``on_error="fail"``) or a missing input.
        ValueError: an option out of range.

    Example:
        >>> s = overlap.dedup(["corpus.jsonl.gz"], "out/corpus")  # doctest: +SKIP
        >>> s["documents"]["kept"], s["pairs"]["near"]  # doctest: +SKIP
        (18371, 397)
    """
    options = _options.of_call(locals(), "inputs", "out")
    summary = _native.dedup(_options.paths(inputs), os.fspath(out), _options.to_json(options))
    return json.loads(summary)


def reuse(
    inputs: Union[PathLike, Sequence[PathLike]],
    out: PathLike,
    *,
    source_field: Optional[str] = None,
    date_field: Optional[str] = None,
    anchor_ngram: int = 4,
    min_shared_anchors: int = 3,
    max_df: int = 200,
    rare_word_docs: int = 50,
    signature_docs: int = 3,
    boilerplate_inline_words: int = 8,
    id_field: str = "id",
    text_field: str = "text",
    format: Optional[str] = None,
    on_error: str = "fail",
    max_record_bytes: int = 64 << 20,
    memory: Optional[str] = None,
    tmp_dir: Optional[PathLike] = None,
    threads: Optional[int] = None,
    **align_options: Any,
) -> Dict[str, Any]:
    """Find the documents of a corpus that share passages, as ``overlap reuse`` does.

    Writes ``pairs.jsonl``, ``stories.jsonl``, ``boilerplate.jsonl`` and ``summary.json`` into
    ``out`` and returns the summary. ``align_options`` are :func:`align`'s tuning options.
    ``signature_docs`` and ``boilerplate_inline_words`` are ``--signature-docs`` and
    ``--boilerplate-inline-words``: a short line closing that many posts of one source is a
    signature line (0: none), and boilerplate shorter than that many words is masked only where it
    fills its lines (0: everywhere).

    Example:
        >>> s = overlap.reuse(["news.jsonl.gz"], "out/news", source_field="source")  # doctest: +SKIP
        >>> s["pairs"]["related"]  # doctest: +SKIP
        1204
    """
    options = _options.of_call(locals(), "inputs", "out", spread="align_options")
    summary = _native.reuse(_options.paths(inputs), os.fspath(out), _options.to_json(options))
    return json.loads(summary)


def sketch(
    inputs: Union[PathLike, Sequence[PathLike]],
    out: PathLike,
    *,
    num_perm: int = 128,
    ngram: int = 5,
    seed: int = 1,
    scheme: str = "one-permutation",
    nfkc: bool = True,
    case_fold: bool = True,
    id_field: str = "id",
    text_field: str = "text",
    format: Optional[str] = None,
    on_error: str = "fail",
    max_record_bytes: int = 64 << 20,
    threads: Optional[int] = None,
) -> Dict[str, Any]:
    """Write every document's exact key and MinHash signature to ``out``, as ``overlap sketch``
    does (one JSON line ``{"id", "exact", "signature"}`` per document; .gz/.zst compress), and
    return the run's statistics (``overlap sketch --json``).

    Example:
        >>> stats = overlap.sketch(["corpus.jsonl.gz"], "sigs.jsonl.gz")  # doctest: +SKIP
        >>> stats["documents"]  # doctest: +SKIP
        19043
    """
    options = _options.of_call(locals(), "inputs", "out")
    stats = _native.sketch(_options.paths(inputs), os.fspath(out), _options.to_json(options))
    return json.loads(stats)


def align(a: str, b: str, **options: Any) -> Dict[str, Any]:
    """The passages two texts share, as ``overlap align --json`` prints them.

    Returns ``{"related", "score", "coverage_a", "coverage_b", "passages"}``; each passage is
    ``{"a": [start, end], "b": [start, end], "score", "kind"}`` with half-open character (code
    point) offsets, so ``a[start:end]`` is the passage's text. Options (the CLI's tuning flags):
    ``reworded_dice``, ``reworded_containment``, ``min_shared_words``, ``context_dice``,
    ``context_containment``, ``related_score``, ``related_words``, and ``anchor_ngram``,
    ``min_run``, ``min_passage_words``, ``min_shared_rare_words``, ``min_context_words``,
    ``min_related_words``, ``nfkc``, ``case_fold``.

    Example:
        >>> a = "Prices rose sharply on Monday as traders bought oil futures across the market."
        >>> r = overlap.align(a, "Yesterday: " + a)
        >>> p = r["passages"][0]
        >>> a[p["a"][0]:p["a"][1]] == a
        True
    """
    if not isinstance(a, str) or not isinstance(b, str):
        raise TypeError("align takes two str")
    return json.loads(_native.align(a, b, json.dumps(options)))


def _sketch(texts: Texts, options: Dict[str, Any], **more: Any) -> Tuple[List[str], List[int], Any, Any]:
    return _native.sketch_texts(prepare(texts), _options.to_json(options, **more))


def signatures(
    texts: Texts,
    *,
    num_perm: int = 128,
    ngram: int = 5,
    seed: int = 1,
    scheme: str = "one-permutation",
    nfkc: bool = True,
    case_fold: bool = True,
    threads: Optional[int] = None,
) -> np.ndarray:
    """MinHash signatures of ``texts``: a ``uint32`` array of shape ``(len(texts), num_perm)``,
    the values ``overlap sketch`` writes for the same texts and options.

    ``texts`` is a list of ``str`` or a pyarrow ``string``/``large_string`` array (read in place;
    a null is the empty text). Runs on the worker threads with the GIL released.

    Example:
        >>> sig = overlap.signatures(["a b c d e f", "a b c d e g"], num_perm=64)
        >>> sig.shape, sig.dtype
        ((2, 64), dtype('uint32'))
    """
    _, _, sigs, _ = _sketch(texts, _options.of_call(locals(), "texts"), bands_out=False)
    return np.frombuffer(sigs, dtype="<u4").reshape(-1, num_perm)


def exact_keys(
    texts: Texts,
    *,
    nfkc: bool = True,
    case_fold: bool = True,
    threads: Optional[int] = None,
) -> List[str]:
    """The exact key of each text: 32 hex digits of the xxh3-128 hash of its normalized words,
    as in ``overlap sketch``'s ``exact`` field. Equal keys are exact duplicates.

    Example:
        >>> k = overlap.exact_keys(["Hello, World!", "hello world", "hello there"])
        >>> k[0] == k[1], k[0] == k[2]
        (True, False)
    """
    keys, _, _, _ = _sketch(texts, _options.of_call(locals(), "texts"), signatures=False, bands_out=False)
    return keys


def band_keys(
    texts: Texts,
    *,
    threshold: float = 0.8,
    num_perm: int = 128,
    ngram: int = 5,
    seed: int = 1,
    scheme: str = "one-permutation",
    bands: Optional[int] = None,
    rows: Optional[int] = None,
    fn_weight: Optional[float] = None,
    nfkc: bool = True,
    case_fold: bool = True,
    threads: Optional[int] = None,
) -> np.ndarray:
    """The LSH band keys ``overlap dedup`` uses: a ``uint64`` array of shape
    ``(len(texts), bands)``, with bands and rows chosen for ``threshold`` as the CLI chooses them
    (see :func:`lsh_params`). Two documents are candidates when they share a key in some band.

    Example:
        >>> keys = overlap.band_keys(["a b c d e f", "a b c d e f"])
        >>> keys.shape, bool((keys[0] == keys[1]).all())
        ((2, 17), True)
    """
    options = _options.of_call(locals(), "texts")
    _, _, _, keys = _sketch(texts, options, signatures=False)
    b, _ = lsh_params(**_options.pick(options, _options.LSH))
    return np.frombuffer(keys, dtype="<u8").reshape(-1, b)


def lsh_params(
    *,
    threshold: float = 0.8,
    num_perm: int = 128,
    bands: Optional[int] = None,
    rows: Optional[int] = None,
    fn_weight: Optional[float] = None,
    verify: bool = True,
) -> Tuple[int, int]:
    """The ``(bands, rows)`` that ``overlap dedup`` uses for these options.

    Example:
        >>> overlap.lsh_params()
        (17, 7)
    """
    p = json.loads(_native.dedup_parameters(_options.to_json(_options.of_call(locals()))))
    return p["bands"], p["rows"]


class Deduplicator:
    """Streaming dedup in memory: add documents batch by batch, learn at once which earlier
    document each new one duplicates.

    Exact duplicates (same normalized text) and near duplicates (true Jaccard of word n-gram sets
    >= ``threshold``, candidates from the CLI's LSH) are found as ``overlap dedup`` finds them:
    after any sequence of batches, :meth:`clusters` and :meth:`pairs` are the lines of the
    ``clusters.jsonl`` and ``pairs.jsonl`` that ``overlap dedup`` writes for the same documents in
    the same order. Options are ``overlap dedup``'s.

    Clusters are connected components (as in the CLI): a later document can join two clusters, so
    a document answered ``None`` (kept) may be removed by a later batch; :meth:`clusters` always
    gives the current state. Like the CLI, a bucket of more than 64 documents sharing a band key
    (a template repeated with small changes) links its later members to its first 8 only; the
    answers of :meth:`add`, given before a bucket is known to be that large, can count on pairs the
    CLI does not compare, so a final cluster can be finer than the answers said (each answer is
    still an earlier document reached through verified duplicates). Empty documents (no word) are
    each their own cluster, flagged ``"empty": True``.

    Example:
        >>> d = overlap.Deduplicator(threshold=0.8)
        >>> d.add(["a", "b"], ["the cat sat on the warm mat by the door", "something else entirely"])
        [None, None]
        >>> d.add(["c"], ["The cat sat on the warm mat, by the door!"])
        ['a']
        >>> d.clusters()[2]
        {'id': 'c', 'cluster': 'a', 'kept': False, 'reason': 'exact'}
    """

    def __init__(
        self,
        threshold: float = 0.8,
        *,
        ngram: int = 5,
        num_perm: int = 128,
        seed: int = 1,
        scheme: str = "one-permutation",
        bands: Optional[int] = None,
        rows: Optional[int] = None,
        fn_weight: Optional[float] = None,
        nfkc: bool = True,
        case_fold: bool = True,
        threads: Optional[int] = None,
    ) -> None:
        self._inner = _native.Deduplicator(_options.to_json(_options.of_call(locals(), "self")))

    def add(self, ids: Sequence[Union[str, int]], texts: Texts) -> List[Optional[str]]:
        """Add documents, in order. For each, the id of the first document of the cluster it is in
        (an earlier document, of an earlier batch or of this one), or ``None`` when it is the first.

        Raises:
            InputError: an id used before (``reason="duplicate_id"``, ``line`` its 1-based
                position in the batch); nothing of the batch is added then.
            ValueError: ``ids`` and ``texts`` of different lengths.
        """
        return self._inner.add(_options.ids(ids), prepare(texts))

    def __len__(self) -> int:
        return len(self._inner)

    def clusters(self) -> List[Dict[str, Any]]:
        """One row per document, in the order added: ``{"id", "cluster", "kept", "reason"}``, and
        ``"empty": True`` for a document without a word, as in ``clusters.jsonl``."""
        rows = []
        for i, c, k, r, e in self._inner.clusters():
            row: Dict[str, Any] = {"id": i, "cluster": c, "kept": k, "reason": r}
            if e:
                row["empty"] = True
            rows.append(row)
        return rows

    def pairs(self) -> List[Dict[str, Any]]:
        """Every duplicate edge: ``{"a", "b", "jaccard", "kind"}``, as in ``pairs.jsonl``."""
        return [{"a": a, "b": b, "jaccard": j, "kind": k} for a, b, j, k in self._inner.pairs()]

    @property
    def candidates(self) -> int:
        """Candidate pairs in all, as ``overlap dedup`` counts them (``pairs.candidates`` in
        ``summary.json``) for the documents added so far."""
        return self._inner.candidates()

    @property
    def verified_on_arrival(self) -> int:
        """The comparisons made so far on arrival: the candidates, plus, where an LSH bucket grew
        past 64 documents after some of them arrived, the pairs the CLI would not compare there."""
        return self._inner.verified_on_arrival()

    @property
    def lsh(self) -> Tuple[int, int]:
        """The ``(bands, rows)`` in use."""
        return self._inner.lsh()
