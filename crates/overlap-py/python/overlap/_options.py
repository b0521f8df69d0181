"""How the front end hands keyword options to the engine, in one place.

The public functions keep their explicit keyword arguments (they are the API and what ``help()``
shows); each passes them on as one JSON object with the CLI's option names, where ``None`` means the
engine's default. The engine refuses an unknown name, so every call sends exactly its own arguments.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

PathLike = Union[str, "os.PathLike[str]"]

# The sketch and LSH options shared by every dedup front end (jobs, Deduplicator, Index, Spark).
SKETCH = (
    "threshold",
    "ngram",
    "num_perm",
    "seed",
    "scheme",
    "bands",
    "rows",
    "fn_weight",
    "nfkc",
    "case_fold",
)

# The options that choose the LSH bands and rows (with ``verify``, :func:`overlap.lsh_params`'s).
LSH = ("threshold", "num_perm", "bands", "rows", "fn_weight")

# How a record is read.
RECORDS = ("id_field", "text_field", "max_record_bytes")

# Options that take a path (sent as str).
_PATHS = frozenset({"tmp_dir"})


def paths(inputs: Union[PathLike, Sequence[PathLike]]) -> List[str]:
    """One path or a sequence of them, as a list of ``str``."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    return [os.fspath(p) for p in inputs]


def ids(values: Iterable[Union[str, int]]) -> List[str]:
    """Document ids as ``str`` (an int id is its decimal digits)."""
    return [i if isinstance(i, str) else str(i) for i in values]


def to_json(options: Optional[Mapping[str, Any]] = None, **more: Any) -> str:
    """``options`` and ``more`` as the engine's JSON object, ``None`` values left out."""
    merged = {**(options or {}), **more}
    return json.dumps({k: v for k, v in merged.items() if v is not None})


def of_call(args: Dict[str, Any], *positional: str, spread: Optional[str] = None) -> Dict[str, Any]:
    """The keyword options of a call, from the ``locals()`` its function takes before it binds
    anything else: every argument but those named in ``positional``, a path as ``str``, and the
    ``**`` dict named ``spread`` (if any) merged in."""
    opts = {k: v for k, v in args.items() if k not in positional and k != spread}
    for k in _PATHS.intersection(opts):
        if opts[k] is not None:
            opts[k] = os.fspath(opts[k])
    if spread is not None:
        opts.update(args[spread])
    return opts


def pick(options: Mapping[str, Any], names: Iterable[str]) -> Dict[str, Any]:
    """The options named in ``names``, in that order."""
    return {k: options[k] for k in names}
