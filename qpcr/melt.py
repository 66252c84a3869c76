"""Melt curves: −dF/dT, its peaks, and what they say about each well and target.

All wells are handled at once: the curves become one matrix (a row per curve, readings sorted by
temperature, padded with NaN), and every step is a numpy operation on that matrix.

−dF/dT
    The instrument's derivative when the export carries it for every reading of a curve.
    Otherwise the slope of the least-squares line through the readings within ±h points of
    each reading, on the measured temperatures, with ``h = max(1, round(WINDOW / (2·step)))``
    and ``step`` the curve's median temperature step: the line spans about :data:`WINDOW`
    (1 °C). This is the Savitzky–Golay first derivative, which also smooths the curve.
Peaks
    Local maxima of −dF/dT. A peak's *prominence* is its height above the higher of its two
    bases, a base being the lowest −dF/dT between the peak and the nearest higher reading (or
    the curve's end) on that side. A peak counts when its prominence is at least
    :data:`MIN_PROMINENCE` (10 %) of the largest prominence among the curves of the same plate ×
    target × reporter, and at least :data:`NOISE_FACTOR` (5) times the curve's noise (the
    robust SD of −dF/dT about the mean of its two neighbours). ``tm`` is the top of the parabola
    through the peak's reading and its two neighbours; ``peak_height`` is −dF/dT at the peak's
    reading; ``peak_area`` is the area between −dF/dT and the straight line joining the two
    bases. The *main* peak is the most prominent.
Per target
    The consensus Tm (``target_tm``) of a plate × target × reporter is the median main-peak Tm
    of its wells whose main peak has at least :data:`CONSENSUS_SHARE` (25 %) of the largest
    main-peak prominence, control wells left out when their sample types are given. A main
    peak more than :data:`TM_TOLERANCE` (1 °C) from it is ``tm_off``; a peak more than
    :data:`DIMER_GAP` (3 °C) below it is a primer-dimer.
NTC rule (:func:`ntc_melt_events`)
    A no-template control with a peak within :data:`TM_TOLERANCE` of the product's Tm is
    contamination; one whose peaks all lie at primer-dimer Tm is not.
"""

from __future__ import annotations

import warnings
from typing import Any, Final

import numpy as np
import pandas as pd

from .schema.melt import MELT

__all__ = [
    "CONSENSUS_SHARE",
    "DIMER_GAP",
    "MIN_PROMINENCE",
    "NOISE_FACTOR",
    "TM_TOLERANCE",
    "WINDOW",
    "melt_analysis",
    "melt_derivative",
    "melt_peaks",
    "melt_qc_events",
    "ntc_melt_events",
]

#: Temperature span (°C) of the line whose slope is −dF/dT.
WINDOW: Final = 1.0
#: A peak's least prominence, as a share of the largest of its plate × target × reporter.
MIN_PROMINENCE: Final = 0.1
#: A peak's least prominence, in multiples of its curve's noise.
NOISE_FACTOR: Final = 5.0
#: Main peaks taking part in the consensus Tm: at least this share of the largest.
CONSENSUS_SHARE: Final = 0.25
#: How far (°C) a main peak may lie from the consensus Tm and still be the product.
TM_TOLERANCE: Final = 1.0
#: How far (°C) below the consensus Tm a peak is a primer-dimer.
DIMER_GAP: Final = 3.0
#: What identifies one melt curve.
_KEYS: Final = ["plate", "well", "target", "reporter"]
#: Severity of each per-well melt code as a QC event.
_SEVERITY: Final = {
    "melt_no_peak": "info", "melt_multiple_peaks": "warn", "melt_tm_off": "warn",
    "melt_primer_dimer": "info",
}  # fmt: skip
#: The columns of a QC event before its message (qc.csv's rules).
_EVENT_COLUMNS: Final = [
    "plate", "well", "sample", "target", "code", "severity", "value", "threshold",
]  # fmt: skip
#: Sample types whose wells take no part in a target's consensus Tm.
_CONTROLS: Final = ("ntc", "nac", "nrt", "ntp", "opt")


def _matrix(melt: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """The melt rows as matrices: the curves' keys (with ``sample``), temperature, fluorescence
    and exported derivative, one row per curve sorted by temperature, NaN-padded."""
    melt = melt[melt["temperature"].notna()].sort_values([*_KEYS, "temperature"], kind="stable")
    grouped = melt.groupby(_KEYS, sort=False)
    row = grouped.ngroup().to_numpy()
    col = grouped.cumcount().to_numpy()
    keys = grouped["sample"].first().reset_index()
    shape = (len(keys), int(col.max()) + 1 if len(col) else 0)
    out = []
    for name in ("temperature", "fluorescence", "derivative"):
        values = np.full(shape, np.nan)
        values[row, col] = melt[name].to_numpy(dtype=float)
        out.append(values)
    return keys, out[0], out[1], out[2]


def _row_median(values: np.ndarray) -> np.ndarray:
    """Median of each row's finite values; NaN for a row without any (no warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(values, axis=1) if values.shape[1] else np.full(len(values), np.nan)


def _shift(values: np.ndarray, d: int) -> np.ndarray:
    """``values`` moved ``d`` columns left (``out[:, j] = values[:, j + d]``), NaN-filled."""
    out = np.full_like(values, np.nan)
    if d >= 0:
        out[:, : max(values.shape[1] - d, 0)] = values[:, d:]
    else:
        out[:, -d:] = values[:, :d]
    return out


def _slope(t: np.ndarray, f: np.ndarray) -> np.ndarray:
    """−dF/dT of every reading: the negated slope of the least-squares line through the
    readings within ±h points, h per curve from its median step (see the module docstring)."""
    step = _row_median(np.abs(np.diff(t, axis=1)))
    with np.errstate(all="ignore"):
        half = np.where(step > 0, np.round(WINDOW / (2 * step)), 1)
    half = np.maximum(np.nan_to_num(half, nan=1), 1).astype(int)[:, None]
    sums = np.zeros((5, *t.shape))
    for d in range(-int(half.max(initial=1)), int(half.max(initial=1)) + 1):
        ts, fs = _shift(t, d), _shift(f, d)
        use = (abs(d) <= half) & ~np.isnan(ts) & ~np.isnan(fs)
        ts, fs = np.where(use, ts - t, 0.0), np.where(use, fs, 0.0)  # centred: no cancellation
        sums += np.stack([use, ts, fs, ts * ts, ts * fs])
    n, st, sf, stt, stf = sums
    with np.errstate(all="ignore"):
        slope = (n * stf - st * sf) / (n * stt - st * st)
    return np.where((n >= 2) & ~np.isnan(f) & np.isfinite(slope), -slope, np.nan)


def _derivative(t: np.ndarray, f: np.ndarray, exported: np.ndarray) -> np.ndarray:
    """The exported derivative where a curve has it at every reading, else :func:`_slope`."""
    valid = ~np.isnan(t)
    whole = (np.isnan(exported) <= ~valid).all(axis=1) & valid.any(axis=1)
    return np.where(whole[:, None], exported, _slope(t, f))


def melt_derivative(curves: pd.DataFrame) -> pd.DataFrame:
    """−dF/dT of every melt reading (the module docstring says how).

    Parameters
    ----------
    curves
        A tidy curves table (:func:`qpcr.read_curves`); amplification rows are ignored.

    Returns
    -------
    pandas.DataFrame
        ``plate, well, target, reporter, sample, temperature, derivative``, one row per melt
        reading, sorted by curve and temperature.

    Examples
    --------
    >>> import pandas as pd
    >>> curves = pd.DataFrame({"plate": "p", "well": "A1", "target": "MYC", "reporter": "",
    ...     "sample": "s1", "kind": "melt", "temperature": [80.0, 80.5, 81.0, 81.5],
    ...     "fluorescence": [10.0, 9.0, 7.0, 6.5], "derivative": float("nan")})
    >>> melt_derivative(curves)["derivative"].round(2).tolist()
    [2.0, 3.0, 2.5, 1.0]
    """
    return _readings(*_melt(curves))


def _melt(curves: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The melt curves of a tidy curves table as matrices (:func:`_matrix`): keys,
    temperature and −dF/dT (:func:`_derivative`)."""
    keys, t, f, exported = _matrix(curves[curves["kind"] == "melt"])
    return keys, t, _derivative(t, f, exported)


def _readings(keys: pd.DataFrame, t: np.ndarray, d: np.ndarray) -> pd.DataFrame:
    """The table of :func:`melt_derivative` from the matrices of :func:`_melt`."""
    valid = ~np.isnan(t)
    rows = keys.loc[np.nonzero(valid)[0]].reset_index(drop=True)
    return rows.assign(temperature=t[valid], derivative=d[valid])


def _bases(d: np.ndarray, r: np.ndarray, c: np.ndarray, way: int) -> tuple[np.ndarray, ...]:
    """Value and column of each peak's base on one side (``way`` −1: left, +1: right): the
    lowest −dF/dT before the first higher reading or the curve's end."""
    height = d[r, c]
    low, at = height.copy(), c.copy()
    active = np.ones(len(c), dtype=bool)
    for step in range(1, d.shape[1]):
        j = c + way * step
        inside = (j >= 0) & (j < d.shape[1])
        v = np.where(inside, d[r, np.clip(j, 0, d.shape[1] - 1)], np.nan)
        active &= ~np.isnan(v) & ~(v > height)
        if not active.any():
            break
        lower = active & (v < low)
        low, at = np.where(lower, v, low), np.where(lower, j, at)
    return low, at


def _vertex(t: np.ndarray, d: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Temperature of the top of the parabola through each peak and its two neighbours (the
    peak's own temperature where the three give no downward parabola)."""
    x1, y1 = t[r, c], d[r, c]
    u0, y0 = t[r, c - 1] - x1, d[r, c - 1] - y1
    u2, y2 = t[r, c + 1] - x1, d[r, c + 1] - y1
    with np.errstate(all="ignore"):
        det = u0 * u2 * (u0 - u2)
        a = (y0 * u2 - y2 * u0) / det
        b = (y2 * u0 * u0 - y0 * u2 * u2) / det
        top = -b / (2 * a)
    good = np.isfinite(top) & (a < 0)
    return x1 + np.where(good, np.clip(top, np.minimum(u0, u2), np.maximum(u0, u2)), 0.0)


def _peaks(group: np.ndarray, t: np.ndarray, d: np.ndarray) -> pd.DataFrame:
    """Every counted peak: ``curve`` (row of ``t`` and ``d``), ``tm``, ``height``, ``area``,
    ``prominence`` (the thresholds of the module docstring applied; ``group``: each curve's
    plate × target × reporter, :func:`_groups`)."""
    left, right = _shift(d, -1), _shift(d, 1)
    r, c = np.nonzero((d > left) & (d >= right) & (d > 0))
    low_l, at_l = _bases(d, r, c, -1)
    low_r, at_r = _bases(d, r, c, 1)
    prominence = d[r, c] - np.maximum(low_l, low_r)
    noise = 1.4826 * _row_median(np.abs(d - (left + right) / 2)) / np.sqrt(1.5)
    largest = pd.Series(prominence).groupby(group[r]).max()
    keep = (prominence >= MIN_PROMINENCE * largest.reindex(group[r]).to_numpy()) & (
        prominence >= NOISE_FACTOR * np.nan_to_num(noise[r])
    )
    r, c, at_l, at_r = r[keep], c[keep], at_l[keep], at_r[keep]
    steps = (d[:, 1:] + d[:, :-1]) / 2 * np.diff(t, axis=1)
    integral = np.concatenate([np.zeros((len(d), 1)), np.nancumsum(steps, axis=1)], axis=1)
    chord = (d[r, at_l] + d[r, at_r]) / 2 * (t[r, at_r] - t[r, at_l])
    return pd.DataFrame(
        {
            "curve": r,
            "tm": _vertex(t, d, r, c),
            "height": d[r, c],
            "area": integral[r, at_r] - integral[r, at_l] - chord,
            "prominence": prominence[keep],
        }
    )


def _groups(keys: pd.DataFrame) -> np.ndarray:
    """Each curve's plate × target × reporter as a number (the curves' peaks and consensus Tm
    are judged within it)."""
    return keys.groupby(["plate", "target", "reporter"], sort=False).ngroup().to_numpy()


def _consensus(group: np.ndarray, main: pd.DataFrame, controls: np.ndarray) -> pd.Series:
    """Consensus Tm per curve (see the module docstring): NaN where its group has none."""
    main = main.assign(group=group[main["curve"]])
    tallest = main.groupby("group")["prominence"].transform("max")
    voters = main[(main["prominence"] >= CONSENSUS_SHARE * tallest) & ~controls[main["curve"]]]
    return pd.Series(group).map(voters.groupby("group")["tm"].median())


def melt_peaks(curves: pd.DataFrame, wells: pd.DataFrame | None = None) -> pd.DataFrame:
    """The melt table: per melt curve its products, main Tm, primer-dimer flag and QC codes
    (the module docstring says how; the columns are :data:`qpcr.schema.melt.MELT`).

    Parameters
    ----------
    curves
        A tidy curves table (:func:`qpcr.read_curves`); amplification rows are ignored.
    wells
        Optional wells table (``well``, ``target``, ``sample_type``, and ``plate`` where the
        curves have several): its control wells take no part in the consensus Tm.

    Returns
    -------
    pandas.DataFrame
        One row per melt curve, the columns of ``melt.csv``; no rows without melt curves.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> t = np.arange(65.0, 95.0, 0.2)
    >>> def curve(well, tm):  # a product melting at tm: F falls as a logistic step
    ...     return pd.DataFrame({"plate": "p", "well": well, "target": "MYC", "reporter": "",
    ...         "sample": "", "kind": "melt", "temperature": t, "derivative": np.nan,
    ...         "fluorescence": 100 / (1 + np.exp((t - tm) / 0.5))})
    >>> curves = pd.concat([curve("A1", 84.0), curve("A2", 84.1), curve("A3", 76.0)])
    >>> melt = melt_peaks(curves)
    >>> melt[["well", "tm", "n_peaks", "primer_dimer", "target_tm", "qc"]].round(1)
      well    tm  n_peaks  primer_dimer  target_tm                                 qc
    0   A1  84.0        1         False       84.0
    1   A2  84.1        1         False       84.0
    2   A3  76.0        1          True       84.0  melt_primer_dimer
    """
    return _table(*_melt(curves), wells)


def melt_analysis(
    curves: pd.DataFrame, wells: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The melt table and −dF/dT of every melt reading, the derivative computed once: what
    :func:`melt_peaks` and :func:`melt_derivative` return, for a caller that needs both (the
    melt figures of ``qpcr curves`` and report.html).

    Parameters
    ----------
    curves, wells
        As for :func:`melt_peaks`.

    Returns
    -------
    tuple of pandas.DataFrame
        ``melt_peaks(curves, wells)`` and ``melt_derivative(curves)``.

    Examples
    --------
    >>> import pandas as pd
    >>> curves = pd.DataFrame({"plate": "p", "well": "A1", "target": "MYC", "reporter": "",
    ...     "sample": "s1", "kind": "melt", "temperature": [80.0, 80.5, 81.0, 81.5],
    ...     "fluorescence": [10.0, 9.0, 7.0, 6.5], "derivative": float("nan")})
    >>> melt, derivative = melt_analysis(curves)
    >>> melt["well"].tolist(), derivative["derivative"].round(2).tolist()
    (['A1'], [2.0, 3.0, 2.5, 1.0])
    """
    keys, t, d = _melt(curves)
    return _table(keys, t, d, wells), _readings(keys, t, d)


def _table(
    keys: pd.DataFrame, t: np.ndarray, d: np.ndarray, wells: pd.DataFrame | None
) -> pd.DataFrame:
    """The table of :func:`melt_peaks` from the matrices of :func:`_melt`."""
    group = _groups(keys)
    peaks = _peaks(group, t, d)
    controls = np.zeros(len(keys), dtype=bool)
    if wells is not None:
        on = [k for k in ("plate", "well", "target") if k in wells]
        types = wells.drop_duplicates(on).set_index(on)["sample_type"]
        index = pd.MultiIndex.from_frame(keys[on]) if len(on) > 1 else keys[on[0]]
        controls = types.reindex(index).isin(_CONTROLS).to_numpy()
    main = peaks.sort_values("prominence", ascending=False).drop_duplicates("curve")
    main = main.set_index("curve").reindex(range(len(keys)))
    target_tm = _consensus(group, main.dropna().reset_index(), controls).to_numpy()
    below = peaks["tm"].to_numpy() < target_tm[peaks["curve"]] - DIMER_GAP
    near = np.abs(peaks["tm"].to_numpy() - target_tm[peaks["curve"]]) <= TM_TOLERANCE
    n_peaks = np.bincount(peaks["curve"], minlength=len(keys))
    dimer = np.bincount(peaks["curve"], weights=below, minlength=len(keys)) > 0
    product = np.bincount(peaks["curve"], weights=near, minlength=len(keys)) > 0
    tm = main["tm"].to_numpy()
    off = np.abs(tm - target_tm) > TM_TOLERANCE
    main_dimer = tm < target_tm - DIMER_GAP
    codes = [
        np.where(n_peaks == 0, "melt_no_peak", ""),
        np.where(n_peaks > 1, "melt_multiple_peaks", ""),
        np.where(off & ~main_dimer, "melt_tm_off", ""),
        np.where(dimer, "melt_primer_dimer", ""),
    ]
    qc = [";".join(c for c in row if c) for row in zip(*codes, strict=True)]
    out = keys.assign(
        tm=tm, peak_height=main["height"].to_numpy(), n_peaks=n_peaks, primer_dimer=dimer,
        peak_area=main["area"].to_numpy(), target_tm=target_tm, tm_off=off,
        product_peak=product, qc=qc,
    )  # fmt: skip
    return out[MELT.names()]


def ntc_melt_events(melt: pd.DataFrame, wells: pd.DataFrame) -> pd.DataFrame:
    """The melt half of the NTC rule: a no-template control (``ntc``, ``nac``) whose melt shows
    its target's product is contamination (``ntc_melt_product``, warn); one whose peaks all
    lie at primer-dimer Tm is not (``ntc_primer_dimer``, info).

    Parameters
    ----------
    melt
        What :func:`melt_peaks` returned.
    wells
        The wells table: ``well``, ``target``, ``sample_type`` (and ``plate`` where the melt
        table has several plates).

    Returns
    -------
    pandas.DataFrame
        QC events in the columns of ``qc.csv``'s rules (``plate, well, sample, target, code,
        severity, value, threshold, message``): ``value`` the well's main Tm, ``threshold``
        the target's consensus Tm.

    Examples
    --------
    >>> import pandas as pd
    >>> melt = pd.DataFrame({"plate": "p", "well": ["A1", "H1", "H2"], "sample": "",
    ...     "target": "MYC", "tm": [84.0, 84.2, 75.0], "n_peaks": 1,
    ...     "primer_dimer": [False, False, True], "target_tm": 84.0,
    ...     "product_peak": [True, True, False]})
    >>> wells = pd.DataFrame({"well": ["A1", "H1", "H2"], "target": "MYC",
    ...                       "sample_type": ["unkn", "ntc", "ntc"]})
    >>> ntc_melt_events(melt, wells)[["well", "code", "severity", "value"]]
      well              code severity  value
    0   H1  ntc_melt_product     warn   84.2
    1   H2  ntc_primer_dimer     info   75.0
    """
    on = [k for k in ("plate", "well", "target") if k in wells]
    types = wells.drop_duplicates(on)[[*on, "sample_type"]]
    ntc = melt.merge(types, on=on, how="inner")
    ntc = ntc[ntc["sample_type"].isin(["ntc", "nac"])]
    product = ntc["product_peak"].astype(bool)
    dimer = ntc["primer_dimer"].astype(bool) & ~product
    events = ntc[product | dimer].assign(
        code=np.where(product, "ntc_melt_product", "ntc_primer_dimer")[product | dimer],
        severity=np.where(product, "warn", "info")[product | dimer],
        value=lambda e: e["tm"],
        threshold=lambda e: e["target_tm"],
    )
    events["message"] = [
        f"NTC well {e.well} shows a melt peak at the product Tm of {e.target} "
        f"({e.target_tm:.1f} °C): contamination"
        if e.code == "ntc_melt_product"
        else f"NTC well {e.well} melts only below the product Tm of {e.target} "
        f"({e.target_tm:.1f} °C), at {e.tm:.1f} °C: primer-dimer, not contamination"
        for e in events.itertuples()
    ]
    return events[[*_EVENT_COLUMNS, "message"]].reset_index(drop=True)


def melt_qc_events(melt: pd.DataFrame) -> pd.DataFrame:
    """The per-well melt QC codes of a melt table as QC events (one per well and code), in the
    columns of ``qc.csv``'s rules: ``melt_multiple_peaks`` and ``melt_tm_off`` warn,
    ``melt_no_peak`` and ``melt_primer_dimer`` inform.

    Parameters
    ----------
    melt
        What :func:`melt_peaks` returned.

    Returns
    -------
    pandas.DataFrame
        ``plate, well, sample, target, code, severity, value, threshold, message``: ``value``
        the well's main Tm, ``threshold`` the target's consensus Tm.

    Examples
    --------
    >>> import pandas as pd
    >>> melt = pd.DataFrame({"plate": "p", "well": ["A1", "A2"], "sample": "s1",
    ...     "target": "MYC", "tm": [84.0, 86.5], "n_peaks": [1, 2], "target_tm": 84.0,
    ...     "qc": ["", "melt_multiple_peaks;melt_tm_off"]})
    >>> melt_qc_events(melt)[["well", "code", "severity", "value"]]
      well                 code severity  value
    0   A2  melt_multiple_peaks     warn   86.5
    1   A2          melt_tm_off     warn   86.5
    """
    rows = melt.assign(code=melt["qc"].str.split(";")).explode("code")
    events = rows[rows["code"].fillna("") != ""].assign(
        severity=lambda e: e["code"].map(_SEVERITY),
        value=lambda e: e["tm"],
        threshold=lambda e: e["target_tm"],
    )
    events["message"] = [_sentence(e) for e in events.itertuples()]
    return events[[*_EVENT_COLUMNS, "message"]].reset_index(drop=True)


def _sentence(e: Any) -> str:
    """The message of one per-well melt event (a row of :func:`melt_qc_events`)."""
    where = f"well {e.well} ({e.target or 'no target'})"
    return {
        "melt_no_peak": f"{where}: no melt peak",
        "melt_multiple_peaks": f"{where}: {e.n_peaks} melt peaks, the main at {e.tm:.1f} °C",
        "melt_tm_off": f"{where}: main melt peak at {e.tm:.1f} °C, {e.tm - e.target_tm:+.1f} °C "
        f"from the target's {e.target_tm:.1f} °C",
        "melt_primer_dimer": f"{where}: a melt peak more than {DIMER_GAP:g} °C below the "
        f"target's {e.target_tm:.1f} °C (primer-dimer)",
    }[e.code]
