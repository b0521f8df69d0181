"""The exceptions the package raises for bad input."""

from __future__ import annotations

from typing import Optional


class InputError(Exception):
    """A bad input record or input file, as the CLI reports it (exit code 1).

    Attributes:
        file: the input as named (``None`` when the problem is not in one file).
        line: the 1-based line of a JSON Lines record (``None`` for a text file or a whole input).
        reason: what is wrong, as in ``summary.json``'s ``skipped_by_reason``: ``malformed_json``,
            ``invalid_utf8``, ``missing_field``, ``bad_field_type``, ``unsupported_format``,
            ``duplicate_id``, ``too_large``, ``truncated``; or ``not_found``, ``no_input``.
        id: the record's id, when it could be read.

    Example:
        >>> import overlap
        >>> try:
        ...     overlap.dedup(["no/such/file.jsonl"], "out")
        ... except overlap.InputError as e:
        ...     print(e.reason, e.file)
        not_found no/such/file.jsonl
    """

    def __init__(
        self,
        message: str,
        file: Optional[str] = None,
        line: Optional[int] = None,
        reason: Optional[str] = None,
        id: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        self.reason = reason
        self.id = id
