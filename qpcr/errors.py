"""Exception and warning hierarchy.

User mistakes raise :class:`InputError` or :class:`AnalysisError` subclasses; the CLI prints their
message and exits with code 1. Anything else is a bug and keeps its traceback, including the
:class:`InternalError` subclasses qpcr raises when it catches a bug of its own or of code that
extends it (a format registered twice, a reader returning an invalid table).

Every exception stores its fields and builds its text in ``__str__``; all fields are passed to
``Exception.__init__`` so instances survive pickling (process pools).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "AmbiguousFormatError",
    "AnalysisError",
    "AssumptionWarning",
    "ConfigError",
    "DesignError",
    "DuplicateRegistrationError",
    "ExportParseError",
    "FormatWarning",
    "InputError",
    "InternalError",
    "LayoutError",
    "LayoutMismatchError",
    "MissingControlError",
    "QpcrError",
    "QpcrWarning",
    "ReaderOutputError",
    "UnrecognizedFormatError",
    "did_you_mean",
    "listed",
]


class QpcrError(Exception):
    """Base of all errors qpcr raises on purpose.

    Message shape: ``<where>: <what is wrong>; expected <what>[. <hint>]``.
    """

    def __init__(self, message: str, where: str = "", hint: str = "") -> None:
        super().__init__(message, where, hint)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text = f"{text}. {self.hint}"
        return text


class InputError(QpcrError, ValueError):
    """The user can fix it: a file, a setting or an option is wrong."""


class UnrecognizedFormatError(InputError):
    """No reader claimed the file."""


class AmbiguousFormatError(InputError):
    """More than one reader claimed the file."""


class ExportParseError(InputError):
    """An export file was recognised but a part of it cannot be read."""


class LayoutError(InputError):
    """A plate layout file cannot be read."""


class LayoutMismatchError(InputError):
    """Layout and export do not fit together (wells, targets, plate size)."""


class ConfigError(InputError):
    """An analysis setting is invalid (unknown gene, factor level, value out of range)."""


class AnalysisError(QpcrError):
    """Valid input, impossible analysis."""


class MissingControlError(AnalysisError):
    """The control (calibrator) group is absent."""


class DesignError(AnalysisError):
    """The design does not support the requested analysis (too few biological replicates...)."""


class InternalError(QpcrError, RuntimeError):
    """A bug in qpcr or in code that extends it, not something the user can fix."""


class DuplicateRegistrationError(InternalError):
    """A format name was registered twice."""


class ReaderOutputError(InternalError):
    """A reader returned something other than a valid :class:`~qpcr.io.Export` (a bug in that
    reader, not a problem of the file)."""


class QpcrWarning(UserWarning):
    """Base of qpcr's warnings."""


class FormatWarning(QpcrWarning):
    """Something in an input file was guessed or repaired."""


class AssumptionWarning(QpcrWarning):
    """A method's assumption is doubtful (e.g. |E - 2| > 0.1 with ΔΔCq)."""


def listed(items: Iterable[object], limit: int = 12) -> str:
    """Names for a message: the first ``limit`` joined by commas, then how many more.

    Parameters
    ----------
    items
        The names (shown as text, in order).
    limit
        How many to show.

    Returns
    -------
    str
        ``"A1, A2 ... and 3 more"``.

    Examples
    --------
    >>> listed(["A1", "A2", "A3", "A4", "A5"], limit=2)
    'A1, A2 ... and 3 more'
    >>> listed(["GAPDH"])
    'GAPDH'
    """
    names = list(map(str, items))
    more = len(names) - limit
    return ", ".join(names[:limit]) + (f" ... and {more} more" if more > 0 else "")


def did_you_mean(word: str, options: Iterable[object], otherwise: str = "") -> str:
    """The hint for a name that was not found: ``did you mean 'X'?`` for the nearest of
    ``options``, else ``otherwise``.

    Parameters
    ----------
    word
        The name that was not found.
    options
        The names it could have meant (compared as text, duplicates dropped).
    otherwise
        The hint when none is close (:func:`difflib.get_close_matches`).

    Returns
    -------
    str
        The hint ('' when none is close and ``otherwise`` is empty).

    Examples
    --------
    >>> did_you_mean("GAPHD", ["GAPDH", "MYC"])
    "did you mean 'GAPDH'?"
    >>> did_you_mean("XYZ", ["GAPDH", "MYC"]), did_you_mean("XYZ", ["GAPDH"], "known: GAPDH")
    ('', 'known: GAPDH')

    A name that differs only in case is the nearest (difflib finds 'myc' far from 'MYC'):

    >>> did_you_mean("myc", ["GAPDH", "MYC"])
    "did you mean 'MYC'?"
    """
    names = list(dict.fromkeys(map(str, options)))
    same = [name for name in names if name.casefold() == word.casefold()]
    close = same or difflib.get_close_matches(word, names, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return otherwise
