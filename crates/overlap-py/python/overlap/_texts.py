"""Texts handed to the engine: a list of ``str`` as is, a pyarrow string array by its buffers."""

from __future__ import annotations

from typing import Any, Sequence, Union

Texts = Union[Sequence[str], Any]


def prepare(texts: Texts) -> Any:
    """What ``overlap._native`` accepts: a list of ``str``, or the buffers of an Arrow string array
    (read in place by the engine, without a Python object per text)."""
    if isinstance(texts, list):
        return texts
    mod = type(texts).__module__
    if mod.startswith("pyarrow"):
        return _arrow_buffers(texts)
    if mod.startswith("pandas"):
        return list(texts)
    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be a list of str, not a single string")
    return list(texts)


def _arrow_buffers(arr: Any) -> Any:
    import pyarrow as pa

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    is_view = getattr(pa.types, "is_string_view", lambda t: False)
    if pa.types.is_dictionary(arr.type) or is_view(arr.type):
        arr = arr.cast(pa.large_string())
    if pa.types.is_string(arr.type):
        large = False
    elif pa.types.is_large_string(arr.type):
        large = True
    else:
        raise TypeError(f"an Arrow array of texts must be string or large_string, got {arr.type}")
    validity, offsets, data = arr.buffers()

    def addr(buf: Any) -> "tuple[int, int]":
        return (0, 0) if buf is None else (buf.address, buf.size)

    return (arr, *addr(offsets), *addr(data), *addr(validity), arr.offset, len(arr), large)
