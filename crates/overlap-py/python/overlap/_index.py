"""The persistent index from Python: the same redb file ``overlap index`` and ``overlap serve`` use.

:class:`Index` is thin over the engine: every answer is the JSON line the CLI writes for the same
document (``index add``: ``{"id", "duplicate_of", "jaccard", "kind"}``; ``index query``: the same
plus ``matches`` and ``total_matches``, and ``passages``/``reuse`` when asked), parsed into dicts.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Sequence, Union

from . import _native, _options
from ._options import PathLike
from ._texts import Texts, prepare

__all__ = [
    "Index",
    "OverlapIndexError",
    "DocumentExistsError",
    "DocumentNotFoundError",
    "IndexLockedError",
    "IndexFormatError",
    "IndexReadOnlyError",
]

class OverlapIndexError(Exception):
    """Base class of the index's own errors. ``id`` names the document when there is one."""

    def __init__(self, message: str, id: Optional[str] = None) -> None:
        super().__init__(message)
        self.id = id


class DocumentExistsError(OverlapIndexError):
    """An added id is already indexed (with ``on_existing="error"``), or a batch names an id twice.
    Nothing of the batch was added."""


class DocumentNotFoundError(OverlapIndexError, KeyError):
    """A removed id is not in the index. Nothing was removed."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class IndexLockedError(OverlapIndexError):
    """Another process (``overlap index add``, ``overlap serve``, another ``Index``) holds the file."""


class IndexFormatError(OverlapIndexError):
    """No index in the folder, a format written by a newer overlap, a corrupt file, or ``create``
    on a folder that is not empty."""


class IndexReadOnlyError(OverlapIndexError):
    """A write on an index opened with ``read_only=True``."""


class Index:
    """A persistent, crash-safe index: "have we seen this document before?".

    ``Index(path)`` opens an existing index (made by ``overlap index create`` or
    :meth:`Index.create`); ``read_only=True`` lets several readers share it, but not with a writer.
    Parameters are fixed at creation and read from the file. Each :meth:`add` is one durable,
    all-or-nothing transaction, answered only after its commit, with the answers ``overlap index
    add`` gives for the same documents; :meth:`query` answers as ``overlap index query`` without
    adding anything.

    Raises (besides ``ValueError`` for bad arguments and ``OSError`` for storage failures):
    :class:`DocumentExistsError`, :class:`DocumentNotFoundError`, :class:`IndexLockedError`,
    :class:`IndexFormatError`, :class:`IndexReadOnlyError`, all subclasses of
    :class:`OverlapIndexError`.

    Example:
        >>> import overlap, tempfile, os
        >>> ix = overlap.Index.create(os.path.join(tempfile.mkdtemp(), "ix"))
        >>> ix.add(["a", "b"], ["the cat sat on the warm mat by the door", "something else entirely"])[1]
        {'id': 'b', 'duplicate_of': None, 'jaccard': None, 'kind': 'unique'}
        >>> ix.add(["c"], ["The cat sat on the warm mat, by the door!"])
        [{'id': 'c', 'duplicate_of': 'a', 'jaccard': 1.0, 'kind': 'exact'}]
        >>> ix.query(["the cat sat on the warm mat by the door"])[0]["total_matches"]
        2
        >>> ix.stats()["documents"]
        3
    """

    def __init__(self, path: PathLike, *, read_only: bool = False) -> None:
        self._inner = _native.Index.open(os.fspath(path), read_only)
        self.path = os.fspath(path)

    @classmethod
    def create(
        cls,
        path: PathLike,
        *,
        threshold: float = 0.8,
        ngram: int = 5,
        num_perm: int = 128,
        seed: int = 1,
        scheme: str = "one-permutation",
        bands: Optional[int] = None,
        rows: Optional[int] = None,
        fn_weight: Optional[float] = None,
        nfkc: bool = True,
        case_fold: bool = True,
        store_text: bool = False,
    ) -> "Index":
        """Create an index in ``path`` (a new or empty folder), as ``overlap index create`` does,
        and open it for writing. ``store_text`` keeps the texts (needed for ``passages`` and
        ``reuse`` in :meth:`query`)."""
        options = _options.of_call(locals(), "cls", "path", "store_text")
        self = cls.__new__(cls)
        self._inner = _native.Index.create(os.fspath(path), _options.to_json(options), store_text)
        self.path = os.fspath(path)
        return self

    def add(
        self, ids: Sequence[Union[str, int]], texts: Texts, *, on_existing: str = "error"
    ) -> List[Dict[str, Any]]:
        """Add one batch, in order, in one durable transaction. For each document the ``index
        add`` answer: ``{"id", "duplicate_of", "jaccard", "kind"}`` with ``kind`` ``exact``,
        ``near``, ``unique`` (or ``existing`` when skipped). ``duplicate_of`` may be an earlier
        document of this batch. ``on_existing``: ``"error"`` (the batch fails, nothing is added),
        ``"skip"`` or ``"replace"``. ``texts`` is a list of ``str`` or a pyarrow string array."""
        return json.loads(self._inner.add(_options.ids(ids), prepare(texts), on_existing))

    def query(
        self,
        texts: Texts,
        *,
        limit: int = 10,
        passages: int = 0,
        reuse: int = 0,
    ) -> List[Dict[str, Any]]:
        """What adding each text would answer, against the committed state, without adding it:
        ``{"duplicate_of", "jaccard", "kind", "matches", "total_matches"}`` per text (the ``index
        query`` line without its ``id``). ``limit``: matches listed (0: all). ``passages=N``
        aligns the N best matches (``"passages"``); ``reuse=N`` adds up to N documents that share
        passages without being duplicates (``"reuse"``); both need ``store_text``."""
        if isinstance(texts, str):
            raise TypeError("query takes a list of texts (or a pyarrow string array), not one str")
        return json.loads(self._inner.query(prepare(texts), limit, passages, reuse))

    def remove(self, ids: Sequence[Union[str, int]]) -> None:
        """Remove documents in one transaction; an unknown id removes nothing
        (:class:`DocumentNotFoundError`)."""
        self._inner.remove(_options.ids(ids))

    def get(self, id: Union[str, int]) -> Optional[Dict[str, Any]]:
        """What ``overlap index get`` prints for ``id``, or ``None`` when it is not indexed."""
        info = self._inner.get(id if isinstance(id, str) else str(id))
        return None if info is None else json.loads(info)

    def stats(self) -> Dict[str, Any]:
        """``overlap index stats --json``: counts, sizes per table, parameters."""
        return json.loads(self._inner.stats())

    def check(self) -> Dict[str, Any]:
        """``overlap index check``: every invariant verified; ``problem_count`` 0 when sound."""
        return json.loads(self._inner.check())

    @property
    def parameters(self) -> Dict[str, Any]:
        """The parameters fixed at creation."""
        return json.loads(self._inner.parameters())

    def __len__(self) -> int:
        return int(self.stats()["documents"])

    def close(self) -> None:
        """Release the file so that another process can open it (also on ``with`` exit)."""
        self._inner.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
