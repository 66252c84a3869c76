"""Regular expressions compiled when first used.

A module-level ``re.compile`` runs at import, 30–250 µs a pattern, whether or not the run ever
uses the pattern: the readers of every format are imported to sniff a file, and most of their
patterns serve other formats or rarer layouts. :func:`lazy_pattern` defers the compiling to the
pattern's first use.
"""

from __future__ import annotations

import re
from typing import Any, cast

__all__ = ["lazy_pattern"]


class _LazyPattern:
    """Stands for the compiled pattern: the first use of an attribute (``match``, ``search``,
    ``pattern`` …) compiles it and keeps that attribute of the compiled pattern on the instance,
    so later uses find it directly, at the compiled pattern's own speed."""

    def __init__(self, pattern: str | bytes, flags: int) -> None:
        self._source: tuple[Any, int] = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        if name == "_source":  # not set yet (a copy made without __init__)
            raise AttributeError(name)
        value = getattr(re.compile(*self._source), name)
        setattr(self, name, value)
        return value

    def __repr__(self) -> str:
        return f"lazy_pattern({re.compile(*self._source)!r})"


def lazy_pattern(pattern: str | bytes, flags: int = 0) -> re.Pattern[Any]:
    """A pattern used like ``re.compile(pattern, flags)``'s, compiled on its first use.

    Use its methods and attributes (``match``, ``fullmatch``, ``search``, ``sub``, ``split``,
    ``findall``, ``finditer``, ``pattern``, ``flags``, ``groups``); hand ``re`` functions
    (``re.sub(p, ...)``) or ``isinstance`` the compiled pattern instead.

    Parameters
    ----------
    pattern
        The regular expression (text or bytes).
    flags
        The ``re`` flags.

    Returns
    -------
    re.Pattern
        An object whose methods and attributes are the compiled pattern's (typed as the
        compiled pattern).

    Examples
    --------
    >>> suffix = lazy_pattern(r"[\\s._-]*(layout|results?)$", re.IGNORECASE)
    >>> suffix.sub("", "plate 3 Results"), suffix.search("plate.txt") is None
    ('plate 3', True)
    >>> suffix.match is suffix.match  # kept after the first use
    True
    """
    return cast(re.Pattern[Any], _LazyPattern(pattern, flags))
