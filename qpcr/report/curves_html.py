"""The curve sections of report.html: amplification curves per amplicon (log10 of the
baseline-corrected fluorescence against cycle, with the amplicon's threshold) when the run
called Cq from raw curves, and the melt peaks per target (each well's main-peak Tm against
the target's consensus Tm ± TM_TOLERANCE, primer-dimers marked) when the results carry a melt
table. Each chart is an inline SVG written here (no plotting library, no external resource)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .safe import escape_html

if TYPE_CHECKING:
    from ..results import Results

__all__ = ["curve_sections"]

#: Chart size and plot margins (left, right, top, bottom), in SVG units.
_W, _H, _M = 460, 270, (52, 12, 26, 38)


def curve_sections(results: Results) -> list[tuple[str, str, str]]:
    """(anchor, title, body) of the curve sections the results carry: ``amplification``
    (with ``results.curve_calls``), ``melt-curves`` (−dF/dT of every melt curve, with
    ``results.melt_derivative`` and a melt table) and ``melt`` (with a non-empty
    ``tables["melt"]``).

    Parameters
    ----------
    results
        A finished analysis.

    Returns
    -------
    list of tuple of str
        The sections the results carry; each body holds one ``<figure>`` per plate × target.

    Examples
    --------
    >>> from dataclasses import replace
    >>> import pandas as pd
    >>> results = example_results()
    >>> curve_sections(results)
    []
    >>> melt = pd.DataFrame({"plate": "p1", "well": ["A1", "A2", "H1"], "target": "MYC",
    ...     "tm": [84.0, 84.3, 76.0], "primer_dimer": [False, False, True],
    ...     "target_tm": 84.1})
    >>> [(anchor, body.count("<circle")) for anchor, _, body in
    ...  curve_sections(replace(results, tables={**results.tables, "melt": melt}))]
    [('melt', 3)]
    """
    out = []
    calls = results.curve_calls
    if calls is not None and len(calls.table):
        amplicons = calls.table[["plate", "target"]].drop_duplicates().itertuples(index=False)
        body = "".join(_amplification(results, str(p), str(t)) for p, t in amplicons)
        out.append(("amplification", "Amplification curves", f'<div class="charts">{body}</div>'))
    melt, derivative = results.tables.get("melt"), results.melt_derivative
    if melt is not None and len(melt) and derivative is not None and len(derivative):
        targets = derivative[["plate", "target"]].drop_duplicates().itertuples(index=False)
        body = "".join(_melt_curves(derivative, melt, str(p), str(t)) for p, t in targets)
        out.append(("melt-curves", "Melt curves", f'<div class="charts">{body}</div>'))
    if melt is not None and len(melt):
        targets = melt[["plate", "target"]].drop_duplicates().itertuples(index=False)
        body = "".join(_melt(melt, str(p), str(t)) for p, t in targets)
        out.append(("melt", "Melt peaks", f'<div class="charts">{body}</div>'))
    return out


def _scale(lo: float, hi: float, a: float, b: float) -> tuple[float, float]:
    """Slope and offset mapping [lo, hi] onto [a, b]."""
    k = (b - a) / (hi - lo) if hi > lo else 0.0
    return k, a - k * lo


def _frame(title: str, xlabel: str, ylabel: str, xticks: list[tuple[float, str]],
           yticks: list[tuple[float, str]]) -> str:  # fmt: skip
    """Axes box, ticks (positions already in SVG units), labels and title."""
    left, right, top, bottom = _M
    x1, y1 = _W - right, _H - bottom
    parts = [f'<rect x="{left}" y="{top}" width="{x1 - left}" height="{y1 - top}" fill="none" '
             'stroke="#888"/>']  # fmt: skip
    for x, text in xticks:
        parts.append(f'<line x1="{x:.1f}" y1="{y1}" x2="{x:.1f}" y2="{y1 + 4}" stroke="#888"/>'
                     f'<text x="{x:.1f}" y="{y1 + 15}" text-anchor="middle">{text}</text>'
                     )  # fmt: skip
    for y, text in yticks:
        parts.append(f'<line x1="{left - 4}" y1="{y:.1f}" x2="{left}" y2="{y:.1f}" '
                     f'stroke="#888"/><text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f"{text}</text>")  # fmt: skip
    parts.append(f'<text x="{(left + x1) / 2}" y="{_H - 4}" text-anchor="middle">'
                 f"{escape_html(xlabel)}</text>"
                 f'<text transform="translate(12 {(top + y1) / 2}) rotate(-90)" '
                 f'text-anchor="middle">{escape_html(ylabel)}</text>'
                 f'<text x="{left}" y="16" font-weight="600">'
                 f"{escape_html(title)}</text>")  # fmt: skip
    return "".join(parts)


def _svg(kind: str, plate: str, target: str, body: str, label: str) -> str:
    """One chart as a figure with its data attributes and an accessible name."""
    return (f'<figure class="fig curve" data-figure="{kind}" data-plate="{escape_html(plate)}" '
            f'data-target="{escape_html(target)}"><svg xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {_W} {_H}" width="{_W}" height="{_H}" role="img" '
            f'aria-label="{escape_html(label)}" font-size="11" font-family="sans-serif">'
            f"{body}</svg></figure>")  # fmt: skip


def _polyline(well: str, points: str, colour: str) -> str:
    """One well's curve through ``points`` (SVG units)."""
    return (f'<polyline data-well="{escape_html(well)}" points="{points}" fill="none" '
            f'stroke="{colour}" stroke-width="1"/>')  # fmt: skip


def _consensus_line(x: float) -> str:
    """The dashed vertical line at a target's consensus Tm (``x`` in SVG units)."""
    return (f'<line class="consensus" x1="{x:.1f}" x2="{x:.1f}" y1="{_M[2]}" '
            f'y2="{_H - _M[3]}" stroke="#000" stroke-dasharray="5 3"/>')  # fmt: skip


def _tm_title(plate: str, target: str, consensus: float) -> str:
    """A melt chart's title: the target, and its consensus Tm where it has one."""
    return f"{plate} · {target}" + (f": Tm {consensus:.1f} °C" if np.isfinite(consensus) else "")


def _amplification(results: Results, plate: str, target: str) -> str:
    """The log-scale amplification chart of one amplicon: called curves in colour, the others
    grey, the threshold dashed."""
    from .figures import OKABE_ITO  # here: a page without curves needs no figures module

    calls = results.curve_calls
    assert calls is not None  # curve_sections draws this only with calls
    table = calls.table
    rows = np.flatnonzero((table["plate"].eq(plate) & table["target"].eq(target)).to_numpy())
    threshold = float(table["threshold"].iloc[rows[0]])
    with np.errstate(all="ignore"):
        logs = np.log10(np.where(calls.corrected[rows] > 0, calls.corrected[rows], np.nan))
    top = np.nanmax(logs) if np.isfinite(logs).any() else 0.0
    low = math.log10(threshold / 30) if threshold > 0 else top - 4
    top = max(top, low + 1)
    left, right, top_m, bottom = _M
    kx, bx = _scale(float(calls.cycles[0]), float(calls.cycles[-1]), left, _W - right)
    ky, by = _scale(math.floor(low), math.ceil(top), _H - bottom, top_m)
    lines = []
    called = table["cq"].iloc[rows].notna().to_numpy()
    wells = table["well"].iloc[rows].astype(str).to_numpy()
    for k, y in enumerate(logs):
        keep = np.isfinite(y) & (y >= math.floor(low))
        points = " ".join(f"{kx * c + bx:.1f},{ky * v + by:.1f}"
                          for c, v in zip(calls.cycles[keep], y[keep], strict=True))  # fmt: skip
        colour = OKABE_ITO[k % len(OKABE_ITO)] if called[k] else "#999999"
        lines.append(_polyline(wells[k], points, colour))
    if threshold > 0:
        y = ky * math.log10(threshold) + by
        lines.append(f'<line class="threshold" x1="{left}" x2="{_W - right}" y1="{y:.1f}" '
                     f'y2="{y:.1f}" stroke="#000" stroke-dasharray="5 3"/>')  # fmt: skip
    last = int(calls.cycles[-1])
    xticks = [
        (kx * c + bx, str(c))
        for c in range(0, last + 1, 10 if last > 20 else 5)
        if c >= calls.cycles[0]
    ]
    yticks = [(ky * d + by, f"1e{d}") for d in range(math.floor(low), math.ceil(top) + 1)]
    frame = _frame(f"{plate} · {target}", "cycle", "fluorescence − baseline (log)", xticks,
                   yticks)  # fmt: skip
    label = (f"Amplification curves of {target} on {plate}: {int(called.sum())} of "
             f"{len(rows)} wells got a Cq; threshold {threshold:.3g}")  # fmt: skip
    return _svg("amplification", plate, target, frame + "".join(lines), label)


def _melt(melt: pd.DataFrame, plate: str, target: str) -> str:
    """The melt-peak chart of one target: each well's main-peak Tm (a dot; primer-dimer wells
    in vermillion) along the temperature axis, the consensus Tm dashed within its shaded
    ± TM_TOLERANCE band; wells without a peak are counted in the caption."""
    from ..melt import TM_TOLERANCE  # a run without melt curves does not load the module

    part = melt[melt["plate"].eq(plate) & melt["target"].eq(target)]
    tm = part["tm"].to_numpy(float)
    peaked = part[np.isfinite(tm)]
    consensus = float(part["target_tm"].iloc[0]) if "target_tm" in part else float("nan")
    span = [*peaked["tm"], *([consensus] if np.isfinite(consensus) else [])]
    lo, hi = (math.floor(min(span) - 4), math.ceil(max(span) + 4)) if span else (60, 95)
    left, right, top, bottom = _M
    kx, bx = _scale(lo, hi, left, _W - right)
    n = max(len(peaked), 1)
    parts = []
    if np.isfinite(consensus):
        a, b = kx * (consensus - TM_TOLERANCE) + bx, kx * (consensus + TM_TOLERANCE) + bx
        parts.append(f'<rect x="{a:.1f}" y="{top}" width="{b - a:.1f}" height="{_H - bottom - top}"'
                     ' fill="#0072b2" fill-opacity="0.12"/>'
                     + _consensus_line(kx * consensus + bx))  # fmt: skip
    for k, r in enumerate(peaked.itertuples(index=False)):
        y = top + 8 + (_H - bottom - top - 16) * (k + 0.5) / n
        colour = "#D55E00" if bool(r.primer_dimer) else "#0072B2"
        parts.append(f'<circle data-well="{escape_html(str(r.well))}" cx="{kx * r.tm + bx:.1f}" '
                     f'cy="{y:.1f}" r="3.5" fill="{colour}"><title>{escape_html(str(r.well))}: '
                     f"{r.tm:.1f} °C</title></circle>")  # fmt: skip
    step = 2 if hi - lo <= 16 else 5
    xticks = [(kx * t + bx, str(t)) for t in range(lo, hi + 1) if t % step == 0]
    title = _tm_title(plate, target, consensus)
    frame = _frame(title, "main-peak Tm (°C)", "wells", xticks, [])
    missing = len(part) - len(peaked)
    dimers = int(part["primer_dimer"].sum())
    label = (f"Melt peaks of {target} on {plate}: {len(peaked)} wells with a peak, "
             f"{missing} without; {dimers} with a primer-dimer")  # fmt: skip
    return _svg("melt", plate, target, frame + "".join(parts), label)


def _melt_curves(derivative: pd.DataFrame, melt: pd.DataFrame, plate: str, target: str) -> str:
    """The −dF/dT curves of one target's wells against temperature: primer-dimer wells in
    vermillion, wells without a peak grey, the others blue; the consensus Tm dashed."""
    part = derivative[derivative["plate"].eq(plate) & derivative["target"].eq(target)]
    peaks = melt[melt["plate"].astype(str).eq(plate) & melt["target"].astype(str).eq(target)]
    peaks = peaks.set_index(peaks["well"].astype(str))
    t, d = part["temperature"].to_numpy(float), part["derivative"].to_numpy(float)
    finite = np.isfinite(t) & np.isfinite(d)
    if not finite.any():
        return ""
    lo, hi = math.floor(t[finite].min()), math.ceil(t[finite].max())
    top = max(float(d[finite].max()), 1e-12)
    left, right, top_m, bottom = _M
    kx, bx = _scale(lo, hi, left, _W - right)
    ky, by = _scale(0.0, top * 1.05, _H - bottom, top_m)
    lines = []
    for well, rows in part.groupby(part["well"].astype(str), sort=False):
        x, y = rows["temperature"].to_numpy(float), rows["derivative"].to_numpy(float)
        keep = np.isfinite(x) & np.isfinite(y)
        points = " ".join(f"{kx * a + bx:.1f},{ky * max(b, 0.0) + by:.1f}"
                          for a, b in zip(x[keep], y[keep], strict=True))  # fmt: skip
        row = peaks.loc[well] if well in peaks.index else None
        if isinstance(row, pd.DataFrame):  # two reporters in one well: the first
            row = row.iloc[0]
        colour = ("#999999" if row is None or not np.isfinite(float(row["tm"])) else
                  "#D55E00" if bool(row["primer_dimer"]) else "#0072B2")  # fmt: skip
        lines.append(_polyline(well, points, colour))
    consensus = float(peaks["target_tm"].iloc[0]) if len(peaks) else float("nan")
    if np.isfinite(consensus):
        lines.append(_consensus_line(kx * consensus + bx))
    step = 5 if hi - lo <= 40 else 10
    xticks = [(kx * v + bx, str(v)) for v in range(lo, hi + 1) if v % step == 0]
    title = _tm_title(plate, target, consensus)
    frame = _frame(title, "temperature (°C)", "−dF/dT", xticks, [])
    wells = part["well"].nunique()
    label = f"Melt curves (−dF/dT) of {target} on {plate}: {wells} wells"
    return _svg("melt-curves", plate, target, frame + "".join(lines), label)
