"""Header text as the readers compare it: :func:`norm_header` folds a cell (NFKC, Cyrillic
and Greek look-alikes, spaces, case), :func:`fold_text` a whole head to look for a word in it
at once."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold_text", "norm_header"]

#: Cyrillic and Greek homoglyphs seen in instrument headers, mapped to Latin.
_HOMOGLYPHS = str.maketrans(
    {"т": "t", "Т": "T", "С": "C", "с": "c", "о": "o", "О": "O", "р": "p", "Р": "P",
     "а": "a", "А": "A", "е": "e", "Е": "E", "∆": "Δ", "\u00a0": " "}
)  # fmt: skip

_SPACES = re.compile(r"\s+")


def norm_header(value: object) -> str:
    r"""Lower-case, homoglyph-free, single-spaced header text.

    Parameters
    ----------
    value
        A header cell.

    Returns
    -------
    str
        The normalised header.

    Examples
    --------
    >>> norm_header("  Cт\u00a0 Mean ")  # a Cyrillic т and a no-break space
    'ct mean'
    """
    text = str(value)
    if not text.isascii():  # NFKC and the homoglyph table leave ASCII as it is
        text = unicodedata.normalize("NFKC", text).translate(_HOMOGLYPHS)
    return _SPACES.sub(" ", text).strip().lower()


def fold_text(text: str) -> str:
    r"""Text folded to look for a word of :func:`norm_header`'s in it at once.

    A word of ASCII letters that :func:`norm_header` finds in a cell of ``text`` is in
    ``fold_text(text)``: both apply NFKC (which maps each cell of delimited text as it maps the
    whole text, the delimiters being ASCII) and lower case, and the homoglyph table's letters
    are mapped after lower case here (one ``str.replace`` each: ``str.translate`` looks up
    every character of a long head).

    Parameters
    ----------
    text
        Any text.

    Returns
    -------
    str
        The text after NFKC, lower case and the homoglyph table's letters, when it is not
        ASCII; lower-cased otherwise.

    Examples
    --------
    >>> fold_text("ЕXCEL;Cт\u00a0Mean")  # a Cyrillic Е and т
    'excel;ct mean'
    """
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKC", text).lower()
    for glyph, letter in _LOWER_HOMOGLYPHS:
        if glyph in text:
            text = text.replace(glyph, letter)
    return text


#: The homoglyph table's letters after lower case (:func:`fold_text`).
_LOWER_HOMOGLYPHS = tuple(
    {chr(k).lower(): v.lower() for k, v in _HOMOGLYPHS.items() if v.isalpha()}.items()
)
