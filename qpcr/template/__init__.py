"""Bench-scientist workbook: an ``.xlsx`` template to fill in, and its reader.

Sheets (``write_template``):

* **Instructions**: what to fill, in which order, what the sample types mean.
* **Layout**: one plate-shaped grid per variable (``sample``, ``target``, ``sample_type``,
  ``quantity``, each factor, the replicate column); the variable name sits in the grid's
  top-left cell, column numbers to its right, row letters below it (the grid form
  :mod:`qpcr.layout` reads too). Drop-downs offer the targets, factor levels and sample types.
* **Cq**: one plate-shaped ``cq`` grid for typed Cq values (one target per well).
* **Paste**: room for the instrument's results table pasted as it comes; it is saved as TAB
  text and read by the same readers as export files (:func:`qpcr.io.read_run`).
* **Settings**: one row per analysis setting (the TOML keys of :mod:`qpcr.config`).
* **Lists** (hidden): the marker cell and the fixed vocabularies behind the drop-downs.

``read_template`` reads values only (python-calamine; macros never run, formulas are refused)
and returns the wells table joined with the layout, plus the settings as a TOML-shaped dict.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..config import AnalysisConfig, load_config
from ._common import MARKER
from .reader import TemplateContent, is_template, read_template, template_config
from .writer import write_template

__all__ = [
    "MARKER",
    "TemplateContent",
    "is_template",
    "read_template",
    "settings_for",
    "template_config",
    "write_template",
]


def settings_for(
    paths: Sequence[str | Path], config: str | Path | AnalysisConfig | None = None
) -> AnalysisConfig:
    """The settings of a run: ``config`` when given (a settings file or object), else the
    Settings sheet of a filled template among ``paths`` (:func:`template_config`), else the
    defaults. The one rule behind ``qpcr analyze``, ``export-rdml``, ``batch`` and
    :func:`qpcr.analyze`.

    Parameters
    ----------
    paths : sequence of str or Path
        The input files, templates or not.
    config : str, Path, AnalysisConfig or None
        A settings file (TOML) or settings object; None to look for a template.

    Returns
    -------
    AnalysisConfig
        The settings.

    Examples
    --------
    >>> from qpcr.config import AnalysisConfig
    >>> settings_for(["run.txt"]) == AnalysisConfig()  # no template, no settings: defaults
    True
    >>> settings_for(["run.txt"], AnalysisConfig(adjust="bh")).adjust
    'bh'
    """
    if isinstance(config, AnalysisConfig):
        return config
    if config is not None:
        return load_config(config)
    return template_config(paths) or AnalysisConfig()
