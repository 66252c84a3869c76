"""Figures (matplotlib, Agg backend). Builders return a Figure and never show it.

Fold changes are drawn on a log2 axis labelled in fold change: each biological replicate is a
point (its log2 value minus the control group's mean), each group has its mean and 95 % CI.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from ..grouped import records
from ..groups import _group_order, biological_units, group_label, group_order, level_texts
from ..labels import primary_view
from .canvas import draw_png, new_figure, save_figure, settle_layout
from .tables import atomic_write

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..results import Results


__all__ = [
    "FIGURE_FORMATS",
    "OKABE_ITO",
    "fold_change_figure",
    "fold_tick_label",
    "ratio_figure",
    "stability_figure",
    "standard_curve_figure",
    "write_figures",
]


#: Okabe & Ito's palette: told apart with any common colour-vision deficiency.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442",
             "#999999")  # fmt: skip


def fold_tick_label(t: int) -> str:
    """The label of the log2 tick ``t`` as a readable fold change.

    Parameters
    ----------
    t
        The log2 value.

    Returns
    -------
    str
        ``2**t`` as a whole number, a short decimal (0.5, 0.25, 0.125) or a fraction.

    Examples
    --------
    >>> [fold_tick_label(t) for t in (-6, -3, -2, -1, 0, 1, 2, 10)]
    ['1/64', '0.125', '0.25', '0.5', '1', '2', '4', '1024']
    """
    if t >= 0:
        return str(2**t)
    return f"{2.0**t:g}" if t >= -3 else f"1/{2**-t}"


def _fc_ticks(ax: Any, low: float, high: float) -> None:
    """Ticks at whole log2 steps (at most about 8), labelled as fold changes."""
    lo, hi = math.floor(min(low, -1)), math.ceil(max(high, 1))
    step = max(1, math.ceil((hi - lo) / 8))
    ticks = [t for t in range(lo, hi + 1) if t % step == 0]
    ax.set_yticks(ticks)
    ax.set_yticklabels([fold_tick_label(t) for t in ticks])
    ax.axhline(0, color="0.6", lw=0.8, zorder=0)


def _stars(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def _wrap(levels: list[str], width: int) -> str:
    """A group's tick label: each level wrapped to ``width`` characters, one under another."""
    return "\n".join(textwrap.fill(level, width, break_long_words=True) for level in levels)


class _Units(NamedTuple):
    """A panel's biological replicates (the rows of one target or ratio of
    :func:`qpcr.groups.biological_units`)."""

    levels: list[tuple[str, ...]]  # each one's group: its factors' levels as text
    values: np.ndarray  # its log2 value
    names: np.ndarray  # its name as text
    groups: list[dict[str, str]]  # :func:`qpcr.groups.group_order` of these rows


_NO_UNITS = _Units([], np.array([]), np.array([], dtype=object), [])


def _units_by_item(
    units: pd.DataFrame, value: str, item: str, factors: list[str], control: dict[str, str]
) -> dict[Any, _Units]:
    """Each item's (target's or ratio's) rows of ``units`` (``value``: the log2 column), the
    table read once for every panel instead of a row selection per panel."""
    texts = [level_texts(units[f]) for f in factors]
    levels = list(zip(*texts, strict=True))
    values = units[value].to_numpy(dtype=float)
    names = units["unit"].astype(str).to_numpy()
    items = units[item].to_numpy()
    out = {}
    for key in dict.fromkeys(items.tolist()):
        rows = np.flatnonzero(items == key)
        picked = [[column[i] for i in rows] for column in texts]
        groups = _group_order(picked, factors, control, len(rows))
        out[key] = _Units([levels[i] for i in rows], values[rows], names[rows], groups)
    return out


def _by_item(table: pd.DataFrame, item: str, columns: list[str]) -> dict[Any, list[dict]]:
    """The records (:func:`qpcr.grouped.records`) of ``columns`` of each item's rows of
    ``table``, in order, the table read once."""
    out: dict[Any, list[dict]] = {}
    for r in records(table, list(dict.fromkeys([item, *columns]))):
        out.setdefault(r[item], []).append(r)
    return out


def _mean(values: np.ndarray) -> float:
    """``pd.Series(values).mean()``: the sum with each NaN as 0 over the count of the others;
    NaN when there are none."""
    missing = np.isnan(values)
    count = len(values) - int(missing.sum())
    return float(np.where(missing, 0.0, values).sum() / count) if count else np.nan


def _panel(
    ax: Any,
    units: _Units,
    factors: list[str],
    control: dict[str, str],
    intervals: dict[tuple[str, ...], tuple[float, float, float, float]],
    paired: bool,
    extra: dict[tuple[str, ...], str] | None = None,
) -> bool:
    """Points per biological replicate (log2 value − control mean), joined by replicate when
    the comparisons were ``paired``, and per group the estimate with its CI and significance
    stars from ``intervals`` (group levels → log2 estimate, low, high, adjusted p).
    ``extra`` adds a line under a group's label. Returns whether replicates were joined."""
    groups = units.groups
    keys = [tuple(g[f] for f in factors) for g in groups]
    at = {k: x for x, k in enumerate(keys)}
    levels = units.levels
    ctrl = tuple(control[f] for f in factors)
    base = _mean(units.values[np.array([level == ctrl for level in levels], dtype=bool)])
    relative = units.values - base
    unit = units.names
    names = sorted(set(unit.tolist()))
    offsets = dict(zip(names, np.linspace(-0.16, 0.16, len(names)) if len(names) > 1 else [0.0],
                       strict=True))  # fmt: skip
    extent = [0.0]
    grey = []  # unpaired: every replicate's points, one after another, in one grey scatter
    for i, name in enumerate(names):
        found = sorted((at[levels[j]] + offsets[name], relative[j])
                       for j in np.flatnonzero(unit == name)
                       if levels[j] in at and np.isfinite(relative[j]))  # fmt: skip
        xs = np.array([x for x, _ in found], dtype=float)
        ys = np.array([y for _, y in found], dtype=float)
        extent += list(ys)
        if not paired:
            grey.append((xs, ys))
            continue
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        if len(xs) > 1:
            ax.plot(xs, ys, color=colour, lw=0.9, alpha=0.7, zorder=2)
        ax.scatter(xs, ys, s=16, color=colour, zorder=3, label=name)
    if grey:
        xs, ys = (np.concatenate(column) for column in zip(*grey, strict=True))
        ax.scatter(xs, ys, s=16, color="0.45", zorder=3)
    marks = []  # (x, estimate, low, high): one errorbar call draws every group's
    for x, key in enumerate(keys):
        est, low, high, p = intervals.get(key, (np.nan,) * 4)
        if np.isfinite(est):
            marks.append((x + 0.34, est, low, high))  # a NaN CI draws no bar and no caps
            extent += [v for v in (low, high) if np.isfinite(v)]
        if _stars(p):
            top = max([v for v in (high, est) if np.isfinite(v)] + extent[:1])
            ax.text(x + 0.34, top + 0.12, _stars(p), ha="center", va="bottom", fontsize=9)
            extent.append(top + 0.6)
    if marks:
        xs, est, low, high = np.array(marks).T
        ax.errorbar(xs, est, yerr=[est - low, high - est], fmt="D", color="black", capsize=3,
                    ms=5, lw=1.4, zorder=4)  # fmt: skip
    slot = ax.get_position().width * ax.figure.get_figwidth() / max(1, len(groups))
    width = max(6, int(slot * 72 / 4.8))  # characters of 8 pt text in a group's slot
    labels = [_wrap(list(g.values()), width) for g in groups]
    labels = [lab + (f"\n{extra[k]}" if extra and k in extra else "")
              for lab, k in zip(labels, keys, strict=True)]  # fmt: skip
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(labels, fontsize=8)
    _fc_ticks(ax, min(extent), max(extent))
    ax.set_xlim(-0.6, len(groups) - 0.3)
    return paired


#: The columns of a comparison's record (:func:`_by_item`) a panel reads.
_COMPARISON = ["contrast", "test", "value", "fold_change", "ci_low", "ci_high", "p_adj"]


def _intervals(
    comparisons: list[dict], summary: list[dict], factors: list[str], control: dict[str, str]
) -> dict[tuple[str, ...], tuple[float, float, float, float]]:
    """log2 estimate, CI and adjusted p per group: the comparison with the control for each
    group, and the control group's own mean ± t-interval (centred on 0, no p); from a panel's
    records of the comparisons (``_COMPARISON`` and the factors) and of the group summary
    (the factors, ``mean_log2`` and ``ci_low_log2``)."""
    out = {}
    for r in comparisons:
        if not _versus_control(r):
            continue
        key = tuple(str(r[f]) for f in factors)
        with np.errstate(divide="ignore"):  # an unbounded interval (0, inf): no error bar
            est, low, high = np.log2([r["fold_change"], r["ci_low"], r["ci_high"]])
        out[key] = (est, low, high, float(r.get("p_adj", np.nan)))
    key = tuple(control[f] for f in factors)
    for r in summary:
        if tuple(str(r[f]) for f in factors) == key:  # the first row of the control group
            half = r["mean_log2"] - r["ci_low_log2"]
            out[key] = (0.0, -half, half, np.nan)
            break
    return out


def _caption(results: Results, table: pd.DataFrame, what: str, paired: bool) -> str:
    """What the points, bars and stars are, with the test and adjustment named."""
    tests = ", ".join(str(t) for t in dict.fromkeys(table["test"].dropna()) if str(t))
    joined = f", joined by {results.config.replicate}" if paired else ""
    return (
        f"{what} vs {group_label(results.config.control)}. Points: biological replicates"
        f"{joined}; black: estimate and its {100 * (1 - results.config.alpha):g} % CI; "
        f"* adjusted p < 0.05, ** < 0.01, *** < 0.001 ({tests}; {results.config.adjust})"
    )


def _grid(n: int, groups: int) -> tuple[int, int, tuple[float, float]]:
    """Columns, rows and figure size for ``n`` panels of ``groups`` groups each."""
    ncols = min(3, max(1, n))
    nrows = math.ceil(n / ncols)
    panel = max(3.6, 0.95 * groups + 1.0)
    return ncols, nrows, (panel * ncols, 3.4 * nrows + 0.6)


def _versus_control(comparison: dict) -> bool:
    """Whether a comparison's record is a group's comparison with the control group."""
    contrast = comparison.get("contrast")
    return isinstance(contrast, str) and contrast.endswith(" vs control")


def _paired(comparisons: list[dict]) -> bool:
    """Whether a comparison's test paired the biological replicates (the records' ``test``)."""
    from ..stats import TEST_LABELS

    return any(TEST_LABELS.get(str(r.get("test"))) is True for r in comparisons)


def fold_change_figure(results: Results) -> Figure:
    """One panel per target: fold change against the control group (log2 axis).

    Parameters
    ----------
    results
        A finished analysis with fold changes.

    Returns
    -------
    matplotlib.figure.Figure
        The figure: each biological replicate a point (joined by replicate when the
        comparisons are paired), each group its fold change and CI, with stars from the
        adjusted p-values.

    Examples
    --------
    ``example_results()`` is a small analysis (MYC and HIF1A against GAPDH, hypoxia against
    normoxia; see the repository's ``conftest.py``):

    >>> fig = fold_change_figure(example_results())
    >>> [ax.get_title() for ax in fig.axes]
    ['MYC', 'HIF1A']
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['0.5', '1', '2', '4', '8', '16']
    """
    factors = list(results.factors)
    targets = [t for t in results.targets if t not in results.reference_genes]
    units = biological_units(results.samples, "log2_rq", "target", factors,
                             results.config.replicate)  # fmt: skip
    summary, ctrl = results.groups, results.config.control
    ngroups = len(group_order(units, factors, ctrl)) if len(units) else 1
    ncols, nrows, size = _grid(len(targets), ngroups)
    fig, axes = new_figure(nrows, ncols, size, len(targets))
    paired = False
    primary = primary_view(results, "fold_changes")  # the stars follow the primary p-values
    panels = _units_by_item(units, "log2_rq", "target", factors, ctrl)
    comparisons = _by_item(primary, "target", [*factors, *_COMPARISON])
    summaries = _by_item(summary, "target", [*factors, "mean_log2", "ci_low_log2"])
    for ax, target in zip(axes.flat, targets, strict=False):
        comps = comparisons.get(target, [])
        intervals = _intervals(comps, summaries.get(target, []), factors, ctrl)
        mine = panels.get(target, _NO_UNITS)
        paired |= _panel(ax, mine, factors, ctrl, intervals, _paired(comps))
        ax.set_title(target, fontsize=10)
    for ax in axes[:, 0]:
        ax.set_ylabel("fold change vs control")
    if paired:
        axes[0, 0].legend(title=results.config.replicate, fontsize=7, title_fontsize=7,
                          frameon=False, loc="best")  # fmt: skip
    refs = ", ".join(results.reference_genes)
    caption = _caption(results, primary, f"Fold change (normalised to {refs})", paired)
    fig.suptitle(textwrap.fill(caption, width=int(size[0] * 14)), fontsize=8)
    settle_layout(fig)
    return fig


def ratio_figure(results: Results) -> Figure | None:
    """One panel per ratio (e.g. RANKL/OPG): its fold change per group against the control
    group, with each group's geometric-mean ratio under its label.

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
    >>> [t.get_text().splitlines() for t in fig.axes[0].get_xticklabels()]
    [['normoxia', 'ratio 3.82'], ['hypoxia', 'ratio 4.09']]
    """
    if results.ratio_samples.empty:
        return None
    factors = list(results.factors)
    units = biological_units(results.ratio_samples, "log2_ratio", "ratio", factors,
                             results.config.replicate)  # fmt: skip
    comps = primary_view(results, "ratios")  # the stars follow the primary p-values
    control = comps[comps["contrast"].eq("control")]  # its geometric mean and CI, in log2
    summary = control.assign(
        mean_log2=np.log2(control["value"]), ci_low_log2=np.log2(control["value_ci_low"])
    )
    names = list(dict.fromkeys(units["ratio"]))
    ctrl = results.config.control
    ngroups = len(group_order(units, factors, ctrl))
    ncols, nrows, size = _grid(len(names), ngroups)
    fig, axes = new_figure(nrows, ncols, size, len(names))
    paired = False
    panels = _units_by_item(units, "log2_ratio", "ratio", factors, ctrl)
    comparisons = _by_item(comps, "ratio", [*factors, *_COMPARISON])
    summaries = _by_item(summary, "ratio", [*factors, "mean_log2", "ci_low_log2"])
    for ax, name in zip(axes.flat, names, strict=False):
        mine_comps = comparisons.get(name, [])
        values = {tuple(str(r[f]) for f in factors): f"ratio {r['value']:.3g}"
                  for r in mine_comps
                  if r.get("contrast") == "control" or _versus_control(r)}  # fmt: skip
        intervals = _intervals(mine_comps, summaries.get(name, []), factors, ctrl)
        paired |= _panel(ax, panels[name], factors, ctrl, intervals, _paired(mine_comps), values)
        ax.set_title(f"{name} ratio", fontsize=10)
        ax.set_ylabel("fold change of the ratio")
    caption = _caption(results, comps, "Ratio per group (geometric mean) and its fold change",
                       paired)  # fmt: skip
    fig.suptitle(textwrap.fill(caption, width=int(size[0] * 14)), fontsize=8)
    settle_layout(fig)
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
    fig, axes = new_figure(nrows, ncols, (3.8 * ncols, 3.2 * nrows), len(fitted))
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
    settle_layout(fig)
    return fig


#: Figure file formats :func:`write_figures` can write (PNG at 300 dpi; SVG and PDF are vector).
FIGURE_FORMATS = ("png", "svg", "pdf")


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
    # Each PNG is compressed and written by a worker thread (zlib releases the GIL) while the
    # figure's SVG and the next figure draw; leaving the block waits for it, also on an error.
    with ThreadPoolExecutor(1) as worker:
        pending = []
        for name, fig in _figures(results).items():
            if fig is None:
                continue
            if "png" in formats:
                write = partial(_write_encoded, encode=draw_png(fig))
                pending.append(worker.submit(atomic_write, folder / f"{name}.png", write))
            svg = b""  # drawn once for both the SVG file and the HTML report
            if svgs is not None or "svg" in formats:
                buffer = io.BytesIO()
                save_figure(fig, "svg", buffer)
                svg = buffer.getvalue()
            for fmt in formats:
                path = folder / f"{name}.{fmt}"
                if fmt != "png":
                    atomic_write(path, partial(Path.write_bytes, data=svg) if fmt == "svg"
                                 else partial(save_figure, fig, fmt))  # fmt: skip
                out.append(path)
            if svgs is not None:
                svgs[name] = svg.decode("utf-8")
    for job in pending:
        job.result()  # a failed PNG write raises here (the first figure's first)
    return out


def _write_encoded(path: Path, encode: Callable[[], bytes]) -> None:
    """Write the bytes ``encode()`` returns to ``path``."""
    path.write_bytes(encode())


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
    fig, axes = new_figure(1, 3, (11, 3.6))
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
    settle_layout(fig)
    return fig
