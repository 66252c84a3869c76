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

    from .calling import CurveCalls
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
    ``amplification curves``, ``setting`` or ``assumed``; ``method`` says it in one line
    (with the curve's slope, R² and CI); ``se``: the standard error of E, when one standard
    curve or the amplification curves gave it."""

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
    without comparisons. ``curve_calls``: the Cq, efficiencies and corrected curves called
    from raw amplification curves (:func:`qpcr.call_cq`) when the run called Cq itself; its
    table is also ``tables["curves"]`` (``curves.csv``), and the melt peaks of an export with
    melt curves are ``tables["melt"]`` (``melt.csv``). ``curves``: the exports' raw curves
    (:func:`qpcr.read_curves`: amplification and melt readings; None without any), and
    ``melt_derivative`` their −dF/dT (:func:`qpcr.melt.melt_analysis`, computed with the melt
    table; None without melt curves), which report.html draws.
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
    curve_calls: CurveCalls | None = None
    curves: pd.DataFrame | None = None
    melt_derivative: pd.DataFrame | None = None

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

    def _repr_html_(self) -> str:
        """A compact summary for notebooks: what was analysed, then the fold-change table."""
        from html import escape

        serious = int(self.qc["severity"].ne("info").sum()) if "severity" in self.qc else 0
        facts = [
            f"{len(self.wells)} wells",
            f"targets {', '.join(self.targets) or 'none'}",
            f"factors {', '.join(self.factors) or 'none'}",
            f"reference genes {', '.join(self.reference_genes) or 'none'}",
            f"{len(self.warnings)} warning(s)",
            f"{serious} QC event(s) to review",
        ]
        head = f"<p><b>qpcr results</b>: {escape('; '.join(facts))}</p>"
        if self.fold_changes.empty:
            return head + "<p>No fold changes: set reference genes and a control group.</p>"
        shown = [c for c in ("contrast", "target", "fold_change", "ci_low", "ci_high", "p_adj",
                             "bound", "note") if c in self.fold_changes]  # fmt: skip
        table = self.fold_changes[shown].to_html(
            index=False, na_rep="", border=0, float_format=lambda v: f"{v:.4g}"
        )
        return head + table

    def to_long(self) -> pd.DataFrame:
        """Every quantity as one row: the tidy long form (``results_long.csv``) that R's
        ``readr::read_csv`` and ggplot2 take without reshaping.

        Returns
        -------
        pandas.DataFrame
            ``contrast``, ``target``, the design factors and the replicate column, ``sample``,
            ``measure`` (``fold_change``, ``ratio``, ``ratio_fold_change``,
            ``relative_quantity``), ``value``, ``ci_low``, ``ci_high``, ``p_value``, ``p_adj``,
            ``p_role`` (as in fold_changes and ratios: which p is the comparison's primary
            result; '' where there is no p), ``comparison`` (the comparison in words, as in
            fold_changes and ratios).

        Examples
        --------
        ``example_results()`` is a small analysis (see the repository's ``conftest.py``):

        >>> long = example_results().to_long()
        >>> long["measure"].value_counts().to_dict()
        {'relative_quantity': 12, 'fold_change': 2, 'ratio': 2, 'ratio_fold_change': 1}
        >>> columns = ["contrast", "target", "measure", "value", "ci_low", "p_adj", "p_role"]
        >>> print(long[long["measure"].eq("fold_change")][columns].round(4).to_string(index=False))
                         contrast target     measure  value  ci_low  p_adj  p_role
        oxygen=hypoxia vs control    MYC fold_change 3.9086  2.7365 0.0026 primary
        oxygen=hypoxia vs control  HIF1A fold_change 3.6469  2.5048 0.0027 primary

        MYC: ΔCq normoxia 6.0, 6.2, 5.9 and hypoxia 4.1, 4.3, 3.8, so 2^(6.0333 − 4.0667) =
        3.9086.
        """
        import pandas as pd

        from .schema import conform

        replicate = self.config.replicate
        design = [*self.factors, *([replicate] if replicate else [])]
        wide = {"fold_changes": self.fold_changes, "ratios": self.ratios, "samples": self.samples}
        parts = [_long_part(wide[table], measure, design)
                 for measure, (table, value, *_) in _MEASURES.items()
                 if value in wide[table]]  # fmt: skip
        long = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        return conform("results_long", long, self.factors, replicate)

    def efficiency_sources(self) -> dict[str, EfficiencySource]:
        """Each target's efficiency and its source: the ``[efficiency]`` setting, the standard
        curve(s) or the amplification curves of the run (``efficiency_source``), or E = 2
        assumed.

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
            elif target in self.efficiency and self.config.efficiency_source == "curves":
                out[target] = _amplification_source(
                    target, self.efficiency[target], self.curve_calls
                )
            elif target in self.efficiency:
                out[target] = _curve_source(target, self.efficiency[target], curves)
            else:
                out[target] = EfficiencySource(2.0, "assumed", "assumed E = 2 (100 %)")
        return out


#: The long table's measures: measure → (wide table, value, ci_low, ci_high, p, p_adj columns).
_MEASURES = {
    "fold_change": ("fold_changes", "fold_change", "ci_low", "ci_high", "p_value", "p_adj"),
    "ratio": ("ratios", "value", "value_ci_low", "value_ci_high", "", ""),
    "ratio_fold_change": ("ratios", "fold_change", "ci_low", "ci_high", "p_value", "p_adj"),
    "relative_quantity": ("samples", "rel_quantity", "", "", "", ""),
}


def _long_part(frame: pd.DataFrame, measure: str, design: list[str]) -> pd.DataFrame:
    """The rows of one measure of a wide table, in the long table's columns."""
    import pandas as pd

    _, value, *bounds = _MEASURES[measure]
    if measure == "ratio_fold_change":
        frame = frame[frame["contrast"].ne("control")]
    nan = pd.Series(float("nan"), index=frame.index)
    text = pd.Series("", index=frame.index, dtype=object)
    columns = {
        "contrast": frame.get("contrast", text),
        "target": frame["ratio"] if "ratio" in frame else frame["target"],
        **{c: frame.get(c, text) for c in design},
        "sample": frame.get("sample", text) if measure == "relative_quantity" else text,
        "measure": measure,
        "value": frame[value],
    }
    for name, column in zip(("ci_low", "ci_high", "p_value", "p_adj"), bounds, strict=True):
        columns[name] = frame[column] if column else nan
    columns["p_role"] = frame.get("p_role", text) if bounds[-1] else text
    columns["comparison"] = frame.get("comparison", text)
    return pd.DataFrame(columns)


def _amplification_source(target: str, e: float, calls: CurveCalls | None) -> EfficiencySource:
    """A target's efficiency from its amplification curves: its amplicons' mean."""
    from .calling.wells import target_efficiencies

    method = "amplification curves (LinRegPCR): mean efficiency of the amplicon's reactions"
    rows = [] if calls is None else target_efficiencies(calls.amplicons).to_dict("records")
    row = next((r for r in rows if r["target"] == target), None)
    if row is None:
        return EfficiencySource(e, "amplification curves", method)
    plates = f", {int(row['plates'])} plates" if row["plates"] > 1 else ""
    method += f" ({int(row['n'])} reactions{plates}), SE {row['efficiency_se']:.4f}"
    return EfficiencySource(e, "amplification curves", method, float(row["efficiency_se"]))


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
