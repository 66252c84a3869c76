"""Curve figures: per plate × target, the baseline-corrected amplification curves on a linear
and a log scale, with the amplicon's threshold and the span of the windows of linearity; and
the melt derivative curves with each well's Tm and the target's consensus Tm."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..atomic import atomic_write
from ..report.canvas import new_figure, save_figure, settle_layout
from ..report.figures import OKABE_ITO

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from . import CurveCalls

__all__ = ["amplification_figure", "melt_figure", "write_curve_figures"]


def amplification_figure(calls: CurveCalls, plate: str, target: str) -> Figure:
    """The curves of one amplicon: linear (left) and log10 (right) baseline-corrected
    fluorescence against cycle, each curve's window of linearity drawn thick, the threshold as
    a dashed line and the curves without a Cq in grey.

    Parameters
    ----------
    calls
        What :func:`qpcr.calling.call_cq` returned.
    plate, target
        The amplicon.

    Returns
    -------
    matplotlib.figure.Figure
        On its own Agg canvas.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from qpcr.calling import call_cq
    >>> cycles = np.arange(1, 41.0)
    >>> signal = 1e-6 * 1.9**cycles
    >>> curves = pd.DataFrame({"plate": "p1", "well": "A1", "sample": "s", "target": "MYC",
    ...     "reporter": "", "cycle": cycles, "kind": "amplification",
    ...     "fluorescence": 100 + signal / (1 + (signal / 5) ** 4) ** 0.25})
    >>> fig = amplification_figure(call_cq(curves), "p1", "MYC")
    >>> [ax.get_yscale() for ax in fig.axes], fig.axes[0].get_title()
    (['linear', 'log'], 'p1 · MYC: linear')
    """
    table = calls.table
    chosen = (table["plate"] == plate).to_numpy() & (table["target"] == target).to_numpy()
    rows = np.flatnonzero(chosen)
    part = table.iloc[rows]
    threshold = float(part["threshold"].iloc[0]) if len(part) else np.nan
    fig, axes = new_figure(1, 2, (9.0, 3.6))
    for ax, scale in zip(axes[0], ("linear", "log"), strict=True):
        label: str | None = "window of linearity"
        called = part["cq"].notna().to_numpy()
        starts, ends = part["window_start"].to_numpy(float), part["window_end"].to_numpy(float)
        for k, i in enumerate(rows):
            y = calls.corrected[i]
            if scale == "log":
                y = np.where(y > 0, y, np.nan)
            colour = OKABE_ITO[k % len(OKABE_ITO)] if called[k] else "#999999"
            ax.plot(calls.cycles, y, color=colour, lw=0.8 if called[k] else 0.6)
            inside = (calls.cycles >= starts[k]) & (calls.cycles <= ends[k])
            if called[k] and inside.any():
                ax.plot(calls.cycles[inside], y[inside], color=colour, lw=2.4, alpha=0.6,
                        label=label)  # fmt: skip
                label = None
        if np.isfinite(threshold):
            ax.axhline(threshold, color="black", ls="--", lw=0.8, label="threshold")
        ax.set_yscale(scale)
        if scale == "log":
            top = np.nanmax(calls.corrected[rows]) if len(rows) else 1.0
            ax.set_ylim(bottom=threshold / 30 if np.isfinite(threshold) else top / 1e4)
        ax.set_xlabel("cycle")
        ax.set_ylabel("fluorescence − baseline")
        ax.set_title(f"{_caption(plate, target)}: {scale}")
    if axes[0][0].get_legend_handles_labels()[0]:
        axes[0][0].legend(loc="upper left", fontsize="small", frameon=False)
    settle_layout(fig)
    return fig


def melt_figure(derivative: pd.DataFrame, melt: pd.DataFrame, plate: str, target: str) -> Figure:
    """The melt curves of one target on one plate: −dF/dT against temperature, a dot at each
    well's main-peak Tm, the target's consensus Tm as a dashed line; wells without a peak grey.

    Parameters
    ----------
    derivative
        What :func:`qpcr.melt.melt_derivative` returned.
    melt
        What :func:`qpcr.melt.melt_peaks` returned (the same curves).
    plate, target
        The target.

    Returns
    -------
    matplotlib.figure.Figure
        On its own Agg canvas.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from qpcr.melt import melt_derivative, melt_peaks
    >>> t = np.arange(65.0, 95.0, 0.2)
    >>> curves = pd.DataFrame({"plate": "p1", "well": "A1", "target": "MYC", "reporter": "",
    ...     "sample": "s", "kind": "melt", "temperature": t, "derivative": np.nan,
    ...     "fluorescence": 100 / (1 + np.exp((t - 84.0) / 0.5))})
    >>> fig = melt_figure(melt_derivative(curves), melt_peaks(curves), "p1", "MYC")
    >>> fig.axes[0].get_title(), fig.axes[0].get_xlabel()
    ('p1 · MYC: melt', 'temperature (°C)')
    """
    fig, axes = new_figure(1, 1, (5.4, 3.6))
    ax = axes[0][0]
    mine = derivative[(derivative["plate"] == plate) & (derivative["target"] == target)]
    peaks = melt[(melt["plate"] == plate) & (melt["target"] == target)]
    tms = peaks.set_index(["well", "reporter"])["tm"]
    label: str | None = "Tm"
    for k, ((well, reporter), curve) in enumerate(mine.groupby(["well", "reporter"], sort=False)):
        tm = tms.get((well, reporter), np.nan)
        colour = OKABE_ITO[k % len(OKABE_ITO)] if np.isfinite(tm) else "#999999"
        x, y = curve["temperature"].to_numpy(float), curve["derivative"].to_numpy(float)
        ax.plot(x, y, color=colour, lw=0.8)
        if np.isfinite(tm):
            ax.plot([tm], [np.interp(tm, x, y)], "o", color=colour, ms=3.5, label=label)
            label = None
    consensus = peaks["target_tm"].dropna()
    if len(consensus):
        ax.axvline(float(consensus.iloc[0]), color="black", ls="--", lw=0.8,
                   label=f"target Tm {float(consensus.iloc[0]):.1f} °C")  # fmt: skip
    ax.set_xlabel("temperature (°C)")
    ax.set_ylabel("−dF/dT")
    ax.set_title(f"{_caption(plate, target)}: melt")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", fontsize="small", frameon=False)
    settle_layout(fig)
    return fig


def _caption(plate: str, target: str) -> str:
    """A figure's title before its kind: plate and target, or the plate alone for curves whose
    file names no target (plain curve tables)."""
    return f"{plate} · {target}" if target else plate


def write_curve_figures(
    calls: CurveCalls | None, folder: Path, formats: tuple[str, ...] = ("png",),
    melt: pd.DataFrame | None = None, derivative: pd.DataFrame | None = None,
) -> list[Path]:  # fmt: skip
    """Save one amplification figure per plate × target into ``folder``, and one melt figure
    per plate × target of ``melt`` when given with its ``derivative``.

    Parameters
    ----------
    calls
        What :func:`qpcr.calling.call_cq` returned; None for melt curves only.
    folder
        Created if needed; files ``amplification_<plate>_<target>.<format>`` (characters other
        than letters, digits, ``.``, ``-`` and ``_`` become ``_``; without ``_<target>`` for
        curves that name no target).
    formats
        Any of png, svg, pdf.
    melt, derivative
        What :func:`qpcr.melt.melt_peaks` and :func:`qpcr.melt.melt_derivative` returned;
        files ``melt_<plate>_<target>.<format>``.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np, pandas as pd
    >>> from qpcr.calling import call_cq
    >>> cycles = np.arange(1, 41.0)
    >>> signal = 1e-6 * 1.9**cycles
    >>> curves = pd.DataFrame({"plate": "p1", "well": "A1", "sample": "s", "target": "MYC 2",
    ...     "reporter": "", "cycle": cycles, "kind": "amplification",
    ...     "fluorescence": 100 + signal / (1 + (signal / 5) ** 4) ** 0.25})
    >>> folder = tempfile.TemporaryDirectory()
    >>> [p.name for p in write_curve_figures(call_cq(curves), Path(folder.name), ("svg",))]
    ['amplification_p1_MYC_2.svg']
    >>> folder.cleanup()
    """
    folder.mkdir(parents=True, exist_ok=True)
    figures = {}
    if calls is not None:
        for plate, target in calls.table[["plate", "target"]].drop_duplicates().itertuples(
                index=False):  # fmt: skip
            name = "_".join(filter(None, ("amplification", plate, target)))
            figures[name] = partial(amplification_figure, calls, plate, target)
    if melt is not None and derivative is not None:
        for plate, target in melt[["plate", "target"]].drop_duplicates().itertuples(index=False):
            name = "_".join(filter(None, ("melt", plate, target)))
            figures[name] = partial(melt_figure, derivative, melt, plate, target)
    written = []
    for name, draw in figures.items():
        fig = draw()
        stem = re.sub(r"[^A-Za-z0-9._-]", "_", name)
        for fmt in formats:
            written.append(atomic_write(folder / f"{stem}.{fmt}", partial(save_figure, fig, fmt)))
    return written
