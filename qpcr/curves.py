"""Standard curves: fits, amplification efficiencies with confidence intervals, quantities.

A standard curve is the ordinary least-squares line ``Cq = a + b·log10(N0)`` through *every*
replicate well (methods §2.5). E is the amplification factor per cycle (2.0 = 100 %):

* ``E = 10^(−1/b)``; efficiency % = ``100·(E − 1)``.
* ``SE_b = s_res / sqrt(Σ(x − x̄)²)`` with ``s_res = sqrt(SS_res / (n − 2))``.
* ``CI_E = [10^(−1/b_lo), 10^(−1/b_hi)]`` from ``CI_b = b ± t_{1−α/2, n−2}·SE_b`` (the map
  b ↦ E is monotone on b < 0, so the interval is mapped, not built as E ± ...). When CI_b contains
  0 the data do not show that Cq falls with input and CI_E is reported as ``[0, inf]``.
* ``SE_E = E·ln(10)·SE_b / b²`` (delta method, for error propagation).

All functions are pure: arrays or DataFrames in, DataFrames, dicts or dataclasses out. The
acceptance checks, user efficiencies and fallbacks are :mod:`qpcr.efficiency` (its names are
importable from here too).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .efficiency import (
    MIN_R_SQUARED,
    curve_problems,
    curve_warnings,
    efficiency_bias,
    efficiency_checks,
    parse_efficiency,
)
from .errors import AnalysisError, ConfigError, InputError

__all__ = [
    "MIN_R_SQUARED",
    "StandardCurve",
    "curve_problems",
    "curve_warnings",
    "efficiency_bias",
    "efficiency_checks",
    "fit_standard_curve",
    "interpolate_quantity",
    "livak_validation",
    "parse_efficiency",
    "pooled_efficiency",
    "standard_curves",
]

#: Columns of :func:`standard_curves` after the group keys.
CURVE_COLUMNS = (
    "slope",
    "intercept",
    "r_squared",
    "efficiency",
    "efficiency_ci_low",
    "efficiency_ci_high",
    "n_points",
    "n_levels",
    "se_efficiency",
    "replicates_per_level",
    "log10_range",
    "note",
)

#: Decimals used to decide that two log10 quantities are the same dilution level.
_LEVEL_DECIMALS = 9


@dataclass(frozen=True)
class StandardCurve:
    """Result of :func:`fit_standard_curve` (Cq = intercept + slope·log10 quantity).

    ``efficiency`` is the amplification factor ``10^(−1/slope)``; ``efficiency_ci_low/high`` the
    mapped ``1 − alpha`` confidence interval of the slope; ``se_efficiency`` the delta-method SE.
    ``replicates_per_level`` is the smallest number of wells at any dilution level;
    ``log10_min``/``log10_max`` the range of log10 quantities covered.
    """

    slope: float
    intercept: float
    r_squared: float
    efficiency: float
    efficiency_ci_low: float
    efficiency_ci_high: float
    se_slope: float
    slope_ci_low: float
    slope_ci_high: float
    se_efficiency: float
    n_points: int
    n_levels: int
    replicates_per_level: int
    log10_min: float
    log10_max: float
    alpha: float = 0.05

    @property
    def efficiency_percent(self) -> float:
        """Efficiency in percent, ``100·(E − 1)``."""
        return 100.0 * (self.efficiency - 1.0)

    @property
    def log10_range(self) -> float:
        """Span of the dilution series in log10 units."""
        return self.log10_max - self.log10_min


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ConfigError(
            f"alpha {alpha!r} is outside (0, 1)",
            where="standard curve",
            hint="Use e.g. 0.05 for a 95 % confidence interval",
        )


def _fit_groups(
    points: pd.DataFrame, keys: list[str], alpha: float, extra_params: pd.Series | None = None
) -> pd.DataFrame:
    """OLS of ``y`` on ``x`` in every group of ``points`` (columns ``x``, ``y`` and ``keys``).

    ``extra_params`` (per group, default 0) adds fitted parameters beyond slope and intercept
    (per-plate intercepts of a pooled fit) to the residual degrees of freedom ``n − 2 − extra``.
    Returns one row per group with the slope statistics and the efficiency columns.
    """
    from .stats.dist import t_ppf

    grouped = points.groupby(keys, sort=True, dropna=False)
    dx = points["x"] - grouped["x"].transform("mean")
    dy = points["y"] - grouped["y"].transform("mean")
    work = points[keys].assign(sxx=dx * dx, sxy=dx * dy, syy=dy * dy)
    by = work.groupby(keys, sort=True, dropna=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        row_slope = by["sxy"].transform("sum") / by["sxx"].transform("sum")
        work["ss_res"] = (dy - dx * row_slope) ** 2
        sums = work.groupby(keys, sort=True, dropna=False)[["sxx", "sxy", "syy", "ss_res"]].sum()
        means = grouped[["x", "y"]].mean()
        n = grouped.size()
        slope = sums["sxy"] / sums["sxx"]
        extra = 0 if extra_params is None else extra_params.reindex(sums.index)
        df = n - 2 - extra
        se_b = np.sqrt(sums["ss_res"] / df) / np.sqrt(sums["sxx"])
        t = t_ppf(1.0 - alpha / 2.0, df)
        b_lo, b_hi = slope - t * se_b, slope + t * se_b
        efficiency = 10.0 ** (-1.0 / slope)
        crosses = (b_lo < 0) & (b_hi >= 0)
        ci_low = np.where(crosses, 0.0, 10.0 ** (-1.0 / b_lo))
        ci_high = np.where(crosses, np.inf, 10.0 ** (-1.0 / b_hi))
        r_squared = 1.0 - sums["ss_res"] / sums["syy"]
    out = pd.DataFrame(
        {
            "slope": slope,
            "intercept": means["y"] - slope * means["x"],
            "r_squared": r_squared,
            "efficiency": efficiency,
            "efficiency_ci_low": ci_low,
            "efficiency_ci_high": ci_high,
            "se_slope": se_b,
            "slope_ci_low": b_lo,
            "slope_ci_high": b_hi,
            "se_efficiency": efficiency * math.log(10.0) * se_b / slope**2,
            "n_points": n,
        },
        index=sums.index,
    )
    levels = points.assign(level=points["x"].round(_LEVEL_DECIMALS))
    per_level = levels.groupby([*keys, "level"], dropna=False).size()
    level_stats = per_level.groupby(level=list(range(len(keys))), dropna=False).agg(["size", "min"])
    level_stats.index = sums.index
    out["n_levels"] = level_stats["size"]
    out["replicates_per_level"] = level_stats["min"]
    out["log10_min"] = grouped["x"].min()
    out["log10_max"] = grouped["x"].max()
    return out


def fit_standard_curve(
    log10_quantity: Sequence[float] | np.ndarray,
    cq: Sequence[float] | np.ndarray,
    alpha: float = 0.05,
) -> StandardCurve:
    """Fit ``Cq = a + b·log10(N0)`` through all replicate wells (methods §2.5).

    Parameters
    ----------
    log10_quantity, cq
        One value per well (replicates are separate points, never means); cycles for ``cq``.
    alpha
        ``1 − alpha`` is the confidence level of the slope and efficiency intervals.

    Returns
    -------
    StandardCurve
        Slope, intercept, R², efficiency E with its CI and SE, counts and the log10 range.

    Raises
    ------
    InputError
        Non-finite or mismatched input.
    AnalysisError
        Fewer than 3 points or 2 dilution levels.

    Examples
    --------
    Worked example T07 of docs/methods.md (one well per tenfold dilution):

    >>> curve = fit_standard_curve([5, 4, 3, 2, 1], [15.10, 18.45, 21.80, 25.10, 28.50])
    >>> round(curve.slope, 3), round(curve.efficiency, 4), round(curve.efficiency_percent, 1)
    (-3.345, 1.9905, 99.0)
    >>> round(curve.efficiency_ci_low, 4), round(curve.efficiency_ci_high, 4)
    (1.9806, 2.0005)
    """
    _check_alpha(alpha)
    x = np.asarray(log10_quantity, dtype=float)
    y = np.asarray(cq, dtype=float)
    where = "standard curve"
    if x.shape != y.shape or x.ndim != 1:
        raise InputError(
            f"{x.size} log10 quantities but {y.size} Cq values",
            where=where,
            hint="Give one quantity per Cq",
        )
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise InputError(
            "non-finite quantity or Cq (NaN/inf); expected finite numbers",
            where=where,
            hint="Drop non-detects and standards without a quantity before fitting",
        )
    n_levels = np.unique(x.round(_LEVEL_DECIMALS)).size
    if x.size < 3 or n_levels < 2:
        raise AnalysisError(
            f"{x.size} points at {n_levels} dilution level(s); expected at least 3 points at "
            "2 or more levels",
            where=where,
            hint="A standard curve needs a dilution series (MIQE: at least 5 levels)",
        )
    row = _fit_groups(pd.DataFrame({"x": x, "y": y, "g": 0}), ["g"], alpha).iloc[0]
    return StandardCurve(
        slope=float(row["slope"]),
        intercept=float(row["intercept"]),
        r_squared=float(row["r_squared"]),
        efficiency=float(row["efficiency"]),
        efficiency_ci_low=float(row["efficiency_ci_low"]),
        efficiency_ci_high=float(row["efficiency_ci_high"]),
        se_slope=float(row["se_slope"]),
        slope_ci_low=float(row["slope_ci_low"]),
        slope_ci_high=float(row["slope_ci_high"]),
        se_efficiency=float(row["se_efficiency"]),
        n_points=int(row["n_points"]),
        n_levels=int(row["n_levels"]),
        replicates_per_level=int(row["replicates_per_level"]),
        log10_min=float(row["log10_min"]),
        log10_max=float(row["log10_max"]),
        alpha=alpha,
    )


def _standard_points(wells: pd.DataFrame, keys: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All ``std`` rows (with group keys) and the usable points among them (columns x, y)."""
    missing = [c for c in ("sample_type", "cq", "cq_status", "quantity") if c not in wells.columns]
    missing += [k for k in keys if k not in wells.columns and k != "plate"]
    if missing:
        raise InputError(
            f"wells table lacks column(s) {missing}",
            where="standard curves",
            hint="Standards need sample_type 'std' and a quantity column",
        )
    std = wells.loc[wells["sample_type"] == "std"].copy()
    if "plate" in keys and "plate" not in std.columns:
        std["plate"] = ""
    quantity = pd.to_numeric(std["quantity"], errors="coerce").astype(float)
    usable = (
        np.isfinite(quantity)
        & (quantity > 0)
        & (std["cq_status"] == "ok")
        & np.isfinite(std["cq"].astype(float))
    )
    for flag in ("excluded", "omitted"):
        if flag in std.columns:
            usable &= ~std[flag].fillna(False).astype(bool)
    points = std.loc[usable, keys].copy()
    points["x"] = np.log10(quantity[usable])
    points["y"] = std.loc[usable, "cq"].astype(float)
    return std, points


def standard_curves(
    wells: pd.DataFrame,
    *,
    group: Sequence[str] = ("plate", "target"),
    alpha: float = 0.05,
    min_levels: int = 3,
) -> pd.DataFrame:
    """One standard curve per ``group`` (default plate × target) from the wells table.

    Points are rows with ``sample_type == "std"``, a finite ``quantity`` > 0, ``cq_status ==
    "ok"``, and neither ``excluded`` nor ``omitted`` set (when those columns exist). A missing
    ``plate`` column counts as one plate ``""``.

    Returns the group columns then :data:`CURVE_COLUMNS`: ``slope`` (cycles per log10 unit),
    ``intercept`` (Cq at quantity 1), ``r_squared``, ``efficiency`` (factor) with its ``1 −
    alpha`` CI, ``n_points`` (wells), ``n_levels``, ``se_efficiency`` (delta method),
    ``replicates_per_level`` (smallest count at a level), ``log10_range`` (span in log10 units)
    and ``note``. Groups with fewer than ``min_levels`` usable levels keep a row with NaN
    statistics and the reason in ``note`` (``note`` is ``""`` for fitted curves).

    Parameters
    ----------
    wells
        Wells table with ``sample_type``, ``quantity``, ``cq``, ``cq_status`` and the
        ``group`` columns.
    group
        Columns with one curve per combination.
    alpha
        ``1 − alpha`` is the confidence level of the efficiency interval.
    min_levels
        Fewest usable dilution levels a curve is fitted with.

    Returns
    -------
    pandas.DataFrame
        One row per group, columns as above.

    Examples
    --------
    Duplicate wells at three tenfold dilutions of one plate:

    >>> import pandas as pd
    >>> wells = pd.DataFrame({"plate": "p1", "target": "MYC", "sample_type": "std",
    ...     "cq_status": "ok", "quantity": [1000, 1000, 100, 100, 10, 10],
    ...     "cq": [20.0, 20.1, 23.3, 23.4, 26.7, 26.6]})
    >>> curves = standard_curves(wells)
    >>> curves[["plate", "target", "slope", "efficiency", "n_points", "n_levels"]].round(3)
      plate target  slope  efficiency  n_points  n_levels
    0    p1    MYC   -3.3       2.009         6         3
    """
    _check_alpha(alpha)
    keys = list(group)
    std, points = _standard_points(wells, keys)
    columns = [*keys, *CURVE_COLUMNS]
    if std.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    all_groups = std.groupby(keys, sort=True, dropna=False).size().rename("n_std")
    fitted = pd.DataFrame(index=all_groups.index)
    if not points.empty:
        fitted = fitted.join(_fit_groups(points, keys, alpha))
    out = fitted.join(all_groups).reset_index()
    for column in ("n_points", "n_levels", "replicates_per_level"):
        out[column] = out.get(column, pd.Series(np.nan, index=out.index)).fillna(0).astype(int)
    short = out["n_levels"] < min_levels
    stats_cols = [
        "slope",
        "intercept",
        "r_squared",
        "efficiency",
        "efficiency_ci_low",
        "efficiency_ci_high",
        "se_efficiency",
    ]
    for column in [*stats_cols, "log10_min", "log10_max"]:
        if column not in out.columns:
            out[column] = np.nan
    out.loc[short, stats_cols] = np.nan
    out["log10_range"] = out["log10_max"] - out["log10_min"]
    out["note"] = np.where(
        short,
        "skipped: "
        + out["n_levels"].astype(str)
        + f" usable dilution level(s) (< {min_levels}) among "
        + out["n_std"].astype(str)
        + " standard well(s)",
        "",
    )
    return out[columns]


def interpolate_quantity(
    cq: float | Sequence[float] | np.ndarray, slope: float, intercept: float
) -> np.ndarray:
    """Quantity read off a standard curve: ``N0 = 10^((Cq − a)/b)`` (units of the standards).

    Parameters
    ----------
    cq
        Cq value(s); NaN gives NaN.
    slope, intercept
        The curve's ``b`` and ``a`` (:func:`standard_curves`).

    Returns
    -------
    numpy.ndarray
        One quantity per Cq.

    Raises
    ------
    AnalysisError
        The slope is not finite and negative, or the intercept is not finite.

    Examples
    --------
    >>> interpolate_quantity([20.0, 23.3, float("nan")], slope=-3.3, intercept=30.0).round(1)
    array([1072.3,  107.2,    nan])
    """
    if not (np.isfinite(slope) and slope < 0 and np.isfinite(intercept)):
        raise AnalysisError(
            f"standard curve slope {slope!r}, intercept {intercept!r}; expected a finite "
            "negative slope",
            where="interpolation",
            hint="Check the standards: Cq must fall as the quantity rises",
        )
    return 10.0 ** ((np.asarray(cq, dtype=float) - intercept) / slope)


def pooled_efficiency(
    wells: pd.DataFrame,
    *,
    target: str = "target",
    plate: str = "plate",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """One efficiency per target from the standards of all plates (common slope).

    The model is ``Cq = a_plate + b·log10(N0)``: one intercept per plate (plates differ in
    threshold and baseline), one slope shared by all plates (efficiency is a property of the
    assay). The slope is ``b = Σ_p Sxy_p / Σ_p Sxx_p`` (sums of cross-products centred within
    each plate) and its SE uses ``n − P − 1`` residual degrees of freedom for P plates.
    The points are selected as in :func:`standard_curves`.

    Parameters
    ----------
    wells
        Wells table as for :func:`standard_curves`.
    target, plate
        Names of the target and plate columns.
    alpha
        ``1 − alpha`` is the confidence level of the efficiency interval.

    Returns
    -------
    pandas.DataFrame
        ``target, slope, efficiency, efficiency_ci_low, efficiency_ci_high, se_efficiency,
        r_squared`` (within-plate R²), ``n_points``, ``n_plates``.

    Examples
    --------
    The same dilution series on two plates, the second 0.5 cycles later throughout: the
    plates' intercepts differ, the common slope is that of each plate.

    >>> import pandas as pd
    >>> one = pd.DataFrame({"plate": "p1", "target": "MYC", "sample_type": "std",
    ...     "cq_status": "ok", "quantity": [1000, 1000, 100, 100, 10, 10],
    ...     "cq": [20.0, 20.1, 23.3, 23.4, 26.7, 26.6]})
    >>> two = one.assign(plate="p2", cq=one["cq"] + 0.5)
    >>> pooled = pooled_efficiency(pd.concat([one, two]))
    >>> pooled[["target", "slope", "efficiency", "n_points", "n_plates"]].round(3)
      target  slope  efficiency  n_points  n_plates
    0    MYC   -3.3       2.009        12         2
    """
    _check_alpha(alpha)
    _, points = _standard_points(wells.rename(columns={plate: "plate", target: "target"}),
                                 ["plate", "target"])  # fmt: skip
    columns = ["target", "slope", "efficiency", "efficiency_ci_low", "efficiency_ci_high",
               "se_efficiency", "r_squared", "n_points", "n_plates"]  # fmt: skip
    if points.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    # centring within each plate removes the plate intercepts; the slope is then common
    by_plate = points.groupby(["target", "plate"], dropna=False)
    centred = pd.DataFrame(
        {
            "x": points["x"] - by_plate["x"].transform("mean"),
            "y": points["y"] - by_plate["y"].transform("mean"),
            "target": points["target"],
        }
    )
    n_plates = points.groupby("target", dropna=False)["plate"].nunique()
    fit = _fit_groups(centred, ["target"], alpha, extra_params=n_plates - 1)
    fit["n_plates"] = n_plates
    out = fit.reset_index()
    return out[columns].rename(columns={"target": target})


def livak_validation(
    log10_input: Sequence[float] | np.ndarray,
    target_cq: Sequence[float] | np.ndarray,
    ref_cq: Sequence[float] | np.ndarray,
    *,
    max_abs_slope: float = 0.1,
    alpha: float = 0.05,
) -> dict[str, float | bool]:
    """Livak & Schmittgen's check that target and reference have equal efficiencies (§2.2).

    Regresses ``ΔCq = Cq_target − Cq_ref`` on log10 input; the assay passes when
    ``|slope| < max_abs_slope`` (0.1, ABI User Bulletin #2). Also fits both standard curves.

    Parameters
    ----------
    log10_input
        log10 of the input amount of each dilution point.
    target_cq, ref_cq
        Cq of the target and of the reference at each point.
    max_abs_slope
        Largest ``|slope|`` of ΔCq on log10 input that passes.
    alpha
        ``1 − alpha`` is the confidence level of the slope interval.

    Returns
    -------
    dict
        ``slope``, ``se_slope``, ``intercept``, ``ci_low``/``ci_high`` (slope CI),
        ``passed``, ``max_abs_slope``, ``n``, ``efficiency_target``, ``efficiency_ref``.

    Examples
    --------
    >>> result = livak_validation([3, 2, 1, 0], [20.0, 23.3, 26.7, 30.0],
    ...                           [15.0, 18.35, 21.7, 25.0])
    >>> result["passed"], round(result["slope"], 3), round(result["efficiency_target"], 3)
    (True, -0.005, 1.993)
    """
    x = np.asarray(log10_input, dtype=float)
    target = np.asarray(target_cq, dtype=float)
    ref = np.asarray(ref_cq, dtype=float)
    if not x.shape == target.shape == ref.shape:
        raise InputError(
            f"{x.size} inputs, {target.size} target Cq, {ref.size} reference Cq",
            where="Livak validation",
            hint="Give one target and one reference Cq per dilution point",
        )
    delta = fit_standard_curve(x, target - ref, alpha)
    return {
        "slope": delta.slope,
        "se_slope": delta.se_slope,
        "intercept": delta.intercept,
        "ci_low": delta.slope_ci_low,
        "ci_high": delta.slope_ci_high,
        "passed": bool(abs(delta.slope) < max_abs_slope),
        "max_abs_slope": max_abs_slope,
        "n": delta.n_points,
        "efficiency_target": fit_standard_curve(x, target, alpha).efficiency,
        "efficiency_ref": fit_standard_curve(x, ref, alpha).efficiency,
    }
