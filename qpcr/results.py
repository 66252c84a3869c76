"""The results of an analysis (:class:`Results`) and the input files it read
(:class:`InputFile`).

This module imports no part of the engine, so the reports (:mod:`qpcr.report`) can take a
:class:`Results` without importing the analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from .io.registry import RunInfo
    from .settings import AnalysisConfig

__all__ = ["InputFile", "Results"]


def _empty_frame() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame()


@dataclass(frozen=True)
class InputFile:
    """An input file with its SHA-256 and what was read from it."""

    path: str
    sha256: str
    role: str
    format: str = ""
    instrument: str | None = None


@dataclass(frozen=True)
class Results:
    """Every table of an analysis (the CLI writes each to a file).

    ``config`` is the settings as given. The values derived during the run live beside it:
    ``efficiency`` (the settings' efficiencies plus those taken from standard curves) and
    ``reference_genes`` (the settings' reference genes, or the pair chosen for ``["auto"]``);
    :meth:`resolved_config` composes the two views. ``groups``: each target's mean log2
    relative quantity per group with its CI (``mean_log2``, ``ci_low_log2``,
    ``ci_high_log2``; :func:`qpcr.groups.group_summary`), what the figures draw; empty
    without comparisons.
    """

    wells: pd.DataFrame
    replicates: pd.DataFrame
    samples: pd.DataFrame
    fold_changes: pd.DataFrame
    ratios: pd.DataFrame
    ratio_samples: pd.DataFrame
    qc: pd.DataFrame
    config: AnalysisConfig
    factors: tuple[str, ...]
    targets: tuple[str, ...]
    inputs: tuple[InputFile, ...]
    runs: tuple[RunInfo, ...]
    warnings: tuple[str, ...] = ()
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    efficiency: dict[str, float] = field(default_factory=dict)
    reference_genes: tuple[str, ...] = ()
    groups: pd.DataFrame = field(default_factory=lambda: _empty_frame())

    def resolved_config(self) -> AnalysisConfig:
        """The settings with the derived efficiencies and reference genes filled in (what
        ``provenance.json`` records as the settings used).

        Returns
        -------
        AnalysisConfig
            A copy of ``config``; ``config`` itself is left as given.
        """
        return replace(self.config, efficiency=self.efficiency,
                       reference_genes=self.reference_genes)  # fmt: skip
