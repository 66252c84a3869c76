"""Automated checks of reference plates against a TOML specification (``qpcr check``)."""

from .spec import *  # noqa: F403
from .spec import __all__ as __all__
