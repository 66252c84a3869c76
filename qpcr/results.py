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

__all__ = ["EfficiencySource", "InputFile", "Results"]


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
class EfficiencySource:
    """The efficiency a target got and where it came from: ``kind`` is ``standard curve``,
    ``setting`` or ``assumed``; ``method`` says it in one line (with the curve's slope, R² and
    CI); ``se``: the curve's standard error of E, when one curve gave it."""

    efficiency: float
    kind: str
    method: str
    se: float | None = None


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

    def efficiency_sources(self) -> dict[str, EfficiencySource]:
        """Each target's efficiency and its source: the ``[efficiency]`` setting, the standard
        curve(s) of the run, or E = 2 assumed.

        Returns
        -------
        dict of str to EfficiencySource
            Keyed by target, in the order of ``targets``.

        Examples
        --------
        ``example_results()`` gives no efficiency and has no standards:

        >>> example_results().efficiency_sources()["MYC"]
        EfficiencySource(efficiency=2.0, kind='assumed', method='assumed E = 2 (100 %)', se=None)
        """
        curves = self.tables.get("standard_curves")
        out = {}
        for target in self.targets:
            if target in self.config.efficiency:
                e = self.config.efficiency[target]
                out[target] = EfficiencySource(e, "setting", "given in the [efficiency] setting")
            elif target in self.efficiency:
                out[target] = _curve_source(target, self.efficiency[target], curves)
            else:
                out[target] = EfficiencySource(2.0, "assumed", "assumed E = 2 (100 %)")
        return out


def _curve_source(target: str, e: float, curves: pd.DataFrame | None) -> EfficiencySource:
    """A target's efficiency from the standard curve(s): the one curve that gave ``e``, else the
    curves of several plates pooled (a common slope)."""
    rows = curves[curves["target"].eq(target)] if curves is not None and len(curves) else None
    if rows is None or rows.empty:
        return EfficiencySource(e, "standard curve", "standard curves")
    same = rows[(rows["efficiency"] - e).abs() < 1e-9]
    if len(same) != 1:
        return EfficiencySource(e, "standard curve", f"standard curves of {len(rows)} plates, "
                                "pooled (common slope)")  # fmt: skip
    r = same.iloc[0]
    ci = f"[{r['efficiency_ci_low']:.3f}, {r['efficiency_ci_high']:.3f}]"
    levels = f"{int(r['n_levels'])} levels over {r['log10_range']:.1f} log10"
    method = (
        f"standard curve: slope {r['slope']:.4f}, R² {r['r_squared']:.4f}, {levels}, E 95 % CI {ci}"
    )
    se = float(r.get("se_efficiency", float("nan")))
    return EfficiencySource(e, "standard curve", method, None if se != se else se)
