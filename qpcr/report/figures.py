"""Figures (matplotlib, Agg backend). Builders return a Figure and never show it.

Fold changes are drawn on a log2 axis labelled in fold change: each biological replicate is a
point (its log2 value minus the control group's mean), each group has its mean and 95 % CI.
"""

from __future__ import annotations

import io
import math
import textwrap
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..groups import biological_units, group_label, group_order
from .tables import atomic_write

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..results import Results


__all__ = [
    "FIGURE_FORMATS",
    "fold_change_figure",
    "ratio_figure",
    "stability_figure",
    "standard_curve_figure",
    "write_figures",
]


def _figure(nrows: int, ncols: int, figsize: tuple[float, float]) -> tuple[Figure, Any]:
    """A figure on its own Agg canvas (no pyplot state) and its grid of axes."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    matplotlib.rcParams["svg.hashsalt"] = "qpcr"
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def _fc_ticks(ax, low: float, high: float) -> None:
    lo, hi = math.floor(min(low, -1)), math.ceil(max(high, 1))
    ticks = list(range(lo, hi + 1))
    ax.set_yticks(ticks)
    ax.set_yticklabels([f"{2.0**t:g}" for t in ticks])
    ax.axhline(0, color="0.6", lw=0.8, zorder=0)


def _panel(
    ax,
    units: pd.DataFrame,
    value: str,
    factors: list[str],
    control: dict[str, str],
    intervals: dict[tuple[str, ...], tuple[float, float, float]],
    title: str,
) -> None:
    """Points per biological replicate (log2 value − control mean) and, per group, the
    estimate with its CI from ``intervals`` (group levels → log2 estimate, low, high)."""
    groups = group_order(units, factors, control)
    ctrl = units
    for f in factors:
        ctrl = ctrl[ctrl[f].astype(str) == control[f]]
    base = ctrl[value].mean()
    extent = [0.0]
    for x, g in enumerate(groups):
        part = units
        for f in factors:
            part = part[part[f].astype(str) == g[f]]
        y = part[value].dropna().to_numpy() - base
        if y.size:
            jitter = np.linspace(-0.12, 0.12, y.size) if y.size > 1 else np.zeros(1)
            ax.scatter(x + jitter, y, s=18, color="0.35", zorder=3)
            extent += [y.min(), y.max()]
        est, low, high = intervals.get(tuple(g[f] for f in factors), (np.nan, np.nan, np.nan))
        if np.isfinite(est):
            err = [[est - low], [high - est]] if np.isfinite(low) else None
            ax.errorbar(x + 0.28, est, yerr=err, fmt="o", color="C0", capsize=4, ms=6)
            extent += [v for v in (low, high) if np.isfinite(v)]
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(["\n".join(g.values()) for g in groups], fontsize=8)
    ax.set_title(title, fontsize=10)
    _fc_ticks(ax, min(extent), max(extent))
    ax.set_xlim(-0.6, len(groups) - 0.4)


def _intervals(
    comparisons: pd.DataFrame, summary: pd.DataFrame, factors: list[str], control: dict[str, str]
) -> dict[tuple[str, ...], tuple[float, float, float]]:
    """log2 estimate and CI per group: the comparison with the control for each group, and the
    control group's own mean ± t-interval (centred on 0)."""
    out = {}
    for r in comparisons[comparisons["contrast"].str.endswith(" vs control")].to_dict("records"):
        key = tuple(str(r[f]) for f in factors)
        out[key] = tuple(np.log2([r["fold_change"], r["ci_low"], r["ci_high"]]))
    ctrl = summary
    for f in factors:
        ctrl = ctrl[ctrl[f].astype(str) == control[f]]
    if len(ctrl):
        row = ctrl.iloc[0]
        half = row["mean_log2"] - row["ci_low_log2"]
        out[tuple(control[f] for f in factors)] = (0.0, -half, half)
    return out


def fold_change_figure(results: Results) -> Figure:
    """One panel per target: fold change against the control group (log2 axis).

    Parameters
    ----------
    results
        A finished analysis with fold changes.

    Returns
    -------
    matplotlib.figure.Figure
        The figure: each biological replicate a point, each group its mean and 95 % CI.

    Examples
    --------
    ``example_results()`` is a small analysis (MYC and HIF1A against GAPDH, hypoxia against
    normoxia; see the repository's ``conftest.py``):

    >>> fig = fold_change_figure(example_results())
    >>> [ax.get_title() for ax in fig.axes]
    ['MYC', 'HIF1A']
    """
    factors = list(results.factors)
    replicate = results.config.replicate
    targets = [t for t in results.targets if t not in results.reference_genes]
    units = biological_units(results.samples, "log2_rq", "target", factors, replicate)
    summary = results.groups
    ncols = min(3, max(1, len(targets)))
    nrows = math.ceil(len(targets) / ncols)
    fig, axes = _figure(nrows, ncols, (3.6 * ncols, 3.2 * nrows))
    for ax, target in zip(axes.flat, targets, strict=False):
        ctrl = results.config.control
        comps = results.fold_changes[results.fold_changes["target"] == target]
        intervals = _intervals(comps, summary[summary["target"] == target], factors, ctrl)
        _panel(ax, units[units["target"] == target], "log2_rq", factors, ctrl, intervals, target)
    for ax in list(axes.flat)[len(targets) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("fold change vs control")
    refs = ", ".join(results.reference_genes)
    title = (
        f"Fold change vs {group_label(results.config.control)} (normalised to {refs}); "
        "points: biological replicates; bars: fold change and its 95 % CI"
    )
    fig.suptitle(textwrap.fill(title, width=int(40 * ncols)), fontsize=9)
    fig.tight_layout()
    return fig


def ratio_figure(results: Results) -> Figure | None:
    """One panel per ratio (e.g. RANKL/OPG): per-group ratio relative to the control group.

    Parameters
    ----------
    results
        A finished analysis.

    Returns
    -------
    matplotlib.figure.Figure or None
        The figure; None when the analysis has no ratios.

    Examples
    --------
    >>> fig = ratio_figure(example_results())
    >>> [ax.get_title() for ax in fig.axes]
    ['MYC/HIF1A ratio']
    """
    if results.ratio_samples.empty:
        return None
    factors = list(results.factors)
    units = biological_units(results.ratio_samples, "log2_ratio", "ratio", factors,
                             results.config.replicate)  # fmt: skip
    comps = results.ratios
    control = comps[comps["contrast"].eq("control")]  # its geometric mean and CI, in log2
    summary = control.assign(
        mean_log2=np.log2(control["value"]), ci_low_log2=np.log2(control["value_ci_low"])
    )
    names = list(dict.fromkeys(units["ratio"]))
    fig, axes = _figure(1, len(names), (4.2 * len(names), 3.4))
    for ax, name in zip(axes.flat, names, strict=True):
        ctrl = results.config.control
        intervals = _intervals(comps[comps["ratio"] == name],
                               summary[summary["ratio"] == name], factors, ctrl)  # fmt: skip
        _panel(ax, units[units["ratio"] == name], "log2_ratio", factors, ctrl, intervals,
               f"{name} ratio")  # fmt: skip
        ax.set_ylabel("ratio relative to control")
    fig.tight_layout()
    return fig


def standard_curve_figure(wells: pd.DataFrame, curves: pd.DataFrame) -> Figure:
    """One panel per plate × target: standard wells (Cq against log10 quantity) and the fit.

    Parameters
    ----------
    wells
        The wells table (standards have ``exclude_code`` ``standard`` and a ``quantity``).
    curves
        The ``standard_curves`` table; curves with a ``note`` (not fitted) are left out.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, with slope, efficiency and R² in each panel's title.

    Examples
    --------
    >>> import pandas as pd
    >>> wells = pd.DataFrame({"plate": "p1", "target": "MYC", "exclude_code": "standard",
    ...                       "quantity": [1e2, 1e3, 1e4, 1e5], "cq": [30.1, 26.8, 23.4, 20.1]})
    >>> curves = pd.DataFrame({"plate": ["p1"], "target": ["MYC"], "slope": [-3.33],
    ...                        "intercept": [36.77], "efficiency": [1.997], "r_squared": [0.9999],
    ...                        "note": [""]})
    >>> fig = standard_curve_figure(wells, curves)
    >>> print(fig.axes[0].get_title())
    MYC (p1)
    E = 1.997, R² = 0.9999
    """
    fitted = curves[curves["note"].eq("")]
    n = max(1, len(fitted))
    ncols = min(3, n)
    nrows = math.ceil(n / ncols)
    fig, axes = _figure(nrows, ncols, (3.8 * ncols, 3.2 * nrows))
    std = wells[wells["exclude_code"].eq("standard")]
    for ax, curve in zip(axes.flat, fitted.to_dict("records"), strict=False):
        points = std[(std["target"] == curve["target"])
                     & (std.get("plate", "") == curve.get("plate", ""))]  # fmt: skip
        x = np.log10(points["quantity"].astype(float))
        ax.scatter(x, points["cq"], s=14, color="0.3")
        grid = np.linspace(x.min(), x.max(), 20)
        ax.plot(grid, curve["intercept"] + curve["slope"] * grid, color="C0")
        ax.set_title(f"{curve['target']} ({curve.get('plate', '')})\nE = {curve['efficiency']:.3f},"
                     f" R² = {curve['r_squared']:.4f}", fontsize=9)  # fmt: skip
        ax.set_xlabel("log10 quantity")
        ax.set_ylabel("Cq")
    for ax in list(axes.flat)[len(fitted) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


#: Figure file formats :func:`write_figures` can write (PNG at 300 dpi; SVG and PDF are vector).
FIGURE_FORMATS = ("png", "svg", "pdf")


def _save(fig: Figure, fmt: str, path: Path | io.BytesIO) -> None:
    """Save without a creation date or software stamp, so equal figures give equal files."""
    metadata = {"png": {"Software": None}, "svg": {"Date": None},
                "pdf": {"CreationDate": None, "Producer": None}}[fmt]  # fmt: skip
    fig.savefig(path, format=fmt, dpi=300, metadata=metadata)


def _figures(results: Results) -> dict[str, Figure | None]:
    """Each figure of the analysis by file name (None when it has no table to draw)."""
    tables = results.tables
    return {
        "fold_changes": None if results.fold_changes.empty else fold_change_figure(results),
        "ratios": None if results.fold_changes.empty else ratio_figure(results),
        "standard_curves": standard_curve_figure(results.wells, tables["standard_curves"])
        if "standard_curves" in tables
        else None,
        "reference_genes": stability_figure(tables["reference_genes"], tables["genorm_steps"])
        if "reference_genes" in tables
        else None,
    }


def write_figures(
    results: Results,
    folder: Path,
    formats: tuple[str, ...] = ("png",),
    svgs: dict[str, str] | None = None,
) -> list[Path]:
    """Save the figures into ``folder``, one file per figure and format.

    Parameters
    ----------
    results
        A finished analysis.
    folder
        Where the files go (created if needed).
    formats
        Any of :data:`FIGURE_FORMATS`; PNG is drawn at 300 dpi.
    svgs
        When given, each figure's SVG text is also stored in it under the figure's name (for
        the HTML report), whether or not SVG files are written.

    Returns
    -------
    list of pathlib.Path
        The files written: ``fold_changes``, ``ratios``, ``standard_curves`` and
        ``reference_genes``, each when the analysis has its table, in each format.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> svgs = {}
    >>> paths = write_figures(example_results(), Path(folder.name), ("png", "pdf"), svgs)
    >>> [path.name for path in paths]
    ['fold_changes.png', 'fold_changes.pdf', 'ratios.png', 'ratios.pdf']
    >>> list(svgs), svgs["ratios"].count("<svg")
    (['fold_changes', 'ratios'], 1)
    >>> folder.cleanup()
    """
    out = []
    for name, fig in _figures(results).items():
        if fig is None:
            continue
        for fmt in formats:
            path = folder / f"{name}.{fmt}"
            atomic_write(path, partial(_save, fig, fmt))
            out.append(path)
        if svgs is not None:
            buffer = io.BytesIO()
            _save(fig, "svg", buffer)
            svgs[name] = buffer.getvalue().decode("utf-8")
    return out


def stability_figure(genes: pd.DataFrame, steps: pd.DataFrame, cutoff: float = 0.15) -> Figure:
    """Reference-gene stability from :func:`qpcr.stability.stability_table`'s two tables.

    Parameters
    ----------
    genes
        The ``reference_genes`` table (``target``, ``normfinder_stability``).
    steps
        The ``genorm_steps`` table (``genes_left``, ``mean_m``, ``pairwise``, ``v``).
    cutoff
        The pairwise-variation cutoff drawn as a line.

    Returns
    -------
    matplotlib.figure.Figure
        geNorm mean M per exclusion step, pairwise variation V_{n/n+1} against its cutoff, and
        NormFinder stability per gene (lower is better).

    Examples
    --------
    >>> import pandas as pd
    >>> genes = pd.DataFrame({"target": ["GAPDH", "ACTB", "B2M"],
    ...                       "normfinder_stability": [0.12, 0.18, 0.35]})
    >>> steps = pd.DataFrame({"genes_left": [3, 2], "mean_m": [0.42, 0.31],
    ...                       "pairwise": ["V2/3", None], "v": [0.08, None]})
    >>> fig = stability_figure(genes, steps)
    >>> [ax.get_title() for ax in fig.axes]
    ['geNorm stepwise exclusion', 'geNorm pairwise variation (cutoff 0.15)', 'NormFinder']
    """
    fig, axes = _figure(1, 3, (11, 3.6))
    ax_m, ax_v, ax_rho = axes[0]
    ax_m.plot(steps["genes_left"], steps["mean_m"], marker="o", color="C0")
    ax_m.invert_xaxis()
    ax_m.set_xlabel("genes left")
    ax_m.set_ylabel("mean geNorm M")
    ax_m.set_title("geNorm stepwise exclusion")
    pw = steps.dropna(subset=["v"]).sort_values("genes_left")
    ax_v.bar(list(pw["pairwise"]), pw["v"], color="0.5")
    ax_v.axhline(cutoff, color="C3", ls="--", lw=1)
    ax_v.set_ylabel("pairwise variation V")
    ax_v.set_title(f"geNorm pairwise variation (cutoff {cutoff:g})")
    ax_v.tick_params(axis="x", rotation=45)
    rho = genes.set_index("target")["normfinder_stability"].sort_values(ascending=False)
    ax_rho.barh(list(rho.index), rho.to_numpy(), color="C2")
    ax_rho.set_xlabel("NormFinder stability (lower is better)")
    ax_rho.set_title("NormFinder")
    fig.tight_layout()
    return fig
