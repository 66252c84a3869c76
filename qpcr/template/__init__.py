"""Bench-scientist workbook: an ``.xlsx`` template to fill in, and its reader."""

from .reader import *  # noqa: F403
from .reader import __all__ as __all__
