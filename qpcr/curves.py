"""Standard curves, amplification efficiencies with confidence intervals, and efficiency checks.

A standard curve is the ordinary least-squares line ``Cq = a + b·log10(N0)`` through *every*
replicate well (methods §2.5). E is the amplification factor per cycle (2.0 = 100 %):

* ``E = 10^(−1/b)``; efficiency % = ``100·(E − 1)``.
* ``SE_b = s_res / sqrt(Σ(x − x̄)²)`` with ``s_res = sqrt(SS_res / (n − 2))``.
* ``CI_E = [10^(−1/b_lo), 10^(−1/b_hi)]`` from ``CI_b = b ± t_{1−α/2, n−2}·SE_b`` (the map
  b ↦ E is monotone on b < 0, so the interval is mapped, not built as E ± ...). When CI_b contains
  0 the data do not show that Cq falls with input and CI_E is reported as ``[0, inf]``.
* ``SE_E = E·ln(10)·SE_b / b²`` (delta method, for error propagation).

All functions are pure: arrays or DataFrames in, DataFrames, dicts or dataclasses out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

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

#: Acceptance limit of a standard curve's R² (below it the curve gives no efficiency).
MIN_R_SQUARED = 0.98


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

    Raises :class:`InputError` for non-finite or mismatched input and :class:`AnalysisError`
    for fewer than 3 points or 2 dilution levels.
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

    NaN Cq gives NaN. Raises :class:`AnalysisError` when the slope is not finite and negative.
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

    Returns ``target, slope, efficiency, efficiency_ci_low, efficiency_ci_high, se_efficiency,
    r_squared`` (within-plate R²), ``n_points``, ``n_plates``.
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

    Returns ``slope``, ``se_slope``, ``intercept``, ``ci_low``/``ci_high`` (slope CI), ``passed``,
    ``max_abs_slope``, ``n``, ``efficiency_target``, ``efficiency_ref``.
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


_PERCENT_RE = re.compile(r"^\s*([+-]?\d+(?:[.,]\d*)?)\s*%\s*$")


def parse_efficiency(
    value: float | str,
    unit: str | None = None,
    *,
    where: str = "efficiency",
    min_e: float = 1.0,
    max_e: float = 2.2,
) -> float:
    """Amplification factor E from a user value.

    ``1.95`` (a factor), ``"95 %"``/``"95%"`` (percent, E = 1 + p/100), or a number with
    ``unit="percent"`` or ``unit="factor"``. A bare number is a factor, so ``95`` without a unit
    is rejected. Raises :class:`ConfigError` (located at ``where``) unless
    ``min_e ≤ E ≤ max_e`` (default 1–2.2).
    """
    if unit not in (None, "factor", "percent"):
        raise ConfigError(
            f"unit {unit!r}; expected 'factor' or 'percent'",
            where=where,
            hint="E.g. unit='percent'",
        )
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(
            f"{value!r} is not a number; expected a factor like 1.95 or a percentage like '95 %'",
            where=where,
        )
    percent = unit == "percent"
    if isinstance(value, str):
        match = _PERCENT_RE.match(value)
        if match:
            if unit == "factor":
                raise ConfigError(
                    f"'{value}' is a percentage but unit='factor' was given", where=where
                )
            number, percent = float(match.group(1).replace(",", ".")), True
        else:
            try:
                number = float(value.strip().replace(",", "."))
            except ValueError:
                raise ConfigError(
                    f"cannot read efficiency '{value}'; expected a factor like 1.95 or a "
                    "percentage like '95 %'",
                    where=where,
                ) from None
    else:
        number = float(value)
    e = 1.0 + number / 100.0 if percent else number
    if not (np.isfinite(e) and min_e <= e <= max_e):
        hint = f"An amplification factor lies in [{min_e}, {max_e}] (2.0 = 100 %)"
        if not percent and 10 <= number <= 120:
            hint = f"If {number:g} is a percentage write '{number:g} %'"
        elif not percent and 0 < number < 1:
            hint = f"If {number:g} is a fraction, the factor is {1 + number:g}"
        raise ConfigError(
            f"efficiency {value!r} gives E = {e:g}; expected {min_e} ≤ E ≤ {max_e}",
            where=where,
            hint=hint,
        )
    return e


def efficiency_bias(
    delta_cq: float | np.ndarray, e_true: float | np.ndarray, e_assumed: float = 2.0
) -> float | np.ndarray:
    """Relative error of a fold change computed with ``e_assumed`` when the true factor is
    ``e_true``: ``e_assumed^ΔCq / e_true^ΔCq − 1`` (fraction; T05: ΔCq 5, E 1.9 → +0.2924)."""
    result = np.power(e_assumed, delta_cq) / np.power(e_true, delta_cq) - 1.0
    return float(result) if np.ndim(result) == 0 else result


def curve_warnings(
    curves: pd.DataFrame,
    e_range: tuple[float, float] = (1.8, 2.2),
    min_r2: float = MIN_R_SQUARED,
    *,
    min_levels: int = 5,
    min_log10_range: float = 3.0,
    livak_tolerance: float = 0.1,
) -> list[dict[str, object]]:
    """Acceptance checks on a :func:`standard_curves` table (methods §2.5; all configurable).

    Rules (``rule``: ``severity``):

    * ``skipped`` (warning): the group has no curve (``note``).
    * ``slope_not_negative`` (error): Cq does not fall with input; E is meaningless.
    * ``efficiency_range`` (warning): E outside ``e_range`` (default 1.8–2.2, i.e. 80–120 %).
    * ``r_squared`` (warning): R² < ``min_r2``.
    * ``single_replicate`` (warning): one well per dilution (Svec et al. 2015: the efficiency CI
      can then be ±42.5 %; use 3–4 replicates per level).
    * ``few_levels`` / ``narrow_range`` (info): < ``min_levels`` levels or < ``min_log10_range``
      log10 units.
    * ``livak_assumption`` (info): |E − 2| > ``livak_tolerance``; 2^−ΔΔCq would be biased.

    Each warning is a dict with ``rule, plate, target, severity, value, threshold, message``.
    """
    out: list[dict[str, object]] = []
    lo, hi = e_range
    for row in curves.to_dict("records"):
        found: list[tuple[str, str, object, object, str]] = []
        if row.get("note"):
            found.append(("skipped", "warning", row["n_levels"], None, f"no curve ({row['note']})"))
        elif not row["slope"] < 0:
            message = (
                f"slope {row['slope']:.4g} is not negative; expected Cq to fall with input "
                "(the curve is not used)"
            )
            found.append(("slope_not_negative", "error", row["slope"], 0.0, message))
        else:
            found.extend(
                _curve_rules(row, lo, hi, min_r2, min_levels, min_log10_range, livak_tolerance)
            )
        plate, target = row.get("plate", ""), row.get("target", "")
        name = f"{target}" + (f" on plate {plate}" if plate not in ("", None) else "")
        out.extend(
            {
                "rule": rule,
                "plate": plate,
                "target": target,
                "severity": severity,
                "value": value,
                "threshold": threshold,
                "message": f"{name}: {message}",
            }
            for rule, severity, value, threshold, message in found
        )
    return out


def curve_problems(curves: pd.DataFrame, min_r2: float = MIN_R_SQUARED) -> pd.Series:
    """Why each curve of a :func:`standard_curves` table cannot give an efficiency.

    A curve is not used when it was skipped (fewer usable dilution levels than needed, its
    ``note``), when its slope is not negative (Cq does not fall with input: no efficiency,
    no interpolation) or when its R² is below ``min_r2``. Returns one string per row (same
    index): the reason, or ``""`` for a usable curve.
    """
    reasons = []
    for row in curves.to_dict("records"):
        slope, r2 = float(row["slope"]), float(row["r_squared"])
        if row["note"]:
            reasons.append(str(row["note"]))
        elif not slope < 0:
            reasons.append(f"slope {slope:.4g} is not negative")
        elif not r2 >= min_r2:
            reasons.append(f"R² {r2:.4f} below {min_r2}")
        else:
            reasons.append("")
    return pd.Series(reasons, index=curves.index, dtype=object)


def efficiency_checks(
    curves: pd.DataFrame,
    targets: Sequence[str],
    setting: Mapping[str, float],
    used: Mapping[str, float],
) -> list[dict[str, object]]:
    """Which efficiency each analysed target gets where its plate has a standard curve.

    * ``fallback`` (warning): the curve is not used (:func:`curve_problems`); the target falls
      back to the ``[efficiency]`` setting, else to the curves of the other plates (pooled),
      else to E = 2. The message names the source and its E.
    * ``setting_outside_ci`` (warning): the ``[efficiency]`` setting lies outside the usable
      curve's confidence interval (95 % in the analysis); the message names both values.

    ``setting`` holds the user's efficiencies, ``used`` those the analysis uses (setting or
    curve). Dicts shaped as those of :func:`curve_warnings`.
    """
    out: list[dict[str, object]] = []
    problems = curve_problems(curves)
    for row, problem in zip(curves.to_dict("records"), problems, strict=True):
        target, plate = row["target"], row.get("plate", "")
        if target not in targets:
            continue
        name = f"{target}" + (f" on plate {plate}" if plate not in ("", None) else "")
        if problem:
            if target in setting:
                source = f"the [efficiency] setting, E = {setting[target]:.3f}"
            elif target in used:
                source = f"the standard curves of the other plates, E = {used[target]:.3f}"
            else:
                source = "none: E = 2 (100 %) assumed"
            message = f"{name}: standard curve not used ({problem}); efficiency from {source}"
            out.append({"rule": "fallback", "plate": plate, "target": target,
                        "severity": "warning", "value": used.get(target, 2.0),
                        "threshold": np.nan, "message": message})  # fmt: skip
        elif target in setting:
            e, lo, hi = setting[target], row["efficiency_ci_low"], row["efficiency_ci_high"]
            if not lo <= e <= hi:
                message = (
                    f"{name}: the [efficiency] setting E = {e:.3f} lies outside the standard "
                    f"curve's 95 % CI {lo:.3f}–{hi:.3f} (curve E = {row['efficiency']:.3f}); "
                    "the setting is used"
                )
                out.append({"rule": "setting_outside_ci", "plate": plate, "target": target,
                            "severity": "warning", "value": e,
                            "threshold": lo if e < lo else hi, "message": message})  # fmt: skip
    return out


def _curve_rules(
    row: dict, lo: float, hi: float, min_r2: float, min_levels: int, min_span: float, tol: float
) -> list[tuple[str, str, object, object, str]]:
    """The acceptance rules of :func:`curve_warnings` for one fitted curve."""
    e, r2, reps = row["efficiency"], row["r_squared"], row["replicates_per_level"]
    levels, span = row["n_levels"], row["log10_range"]
    found: list[tuple[str, str, object, object, str]] = []
    if not lo <= e <= hi:
        message = f"efficiency {e:.4f} ({100 * (e - 1):.1f} %) outside {lo}-{hi}"
        found.append(("efficiency_range", "warning", e, lo if e < lo else hi, message))
    if not r2 >= min_r2:
        found.append(("r_squared", "warning", r2, min_r2, f"R² {r2:.4f} below {min_r2}"))
    if reps < 2:
        message = (
            "one replicate per dilution; the efficiency CI can be very wide (Svec et al. 2015); "
            "use 3-4 replicates per level"
        )
        found.append(("single_replicate", "warning", reps, 2, message))
    if levels < min_levels:
        message = f"{levels} dilution levels; {min_levels} are recommended"
        found.append(("few_levels", "info", levels, min_levels, message))
    if span < min_span:
        message = f"dilution series spans {span:.2f} log10 units; {min_span:g} are recommended"
        found.append(("narrow_range", "info", span, min_span, message))
    if abs(e - 2.0) > tol:
        message = (
            f"E = {e:.3f} differs from 2 by more than {tol}; 2^-ΔΔCq assuming E = 2 misstates "
            f"a 5-cycle difference by {100 * efficiency_bias(5.0, e):+.1f} %"
        )
        found.append(("livak_assumption", "info", e, 2.0 + math.copysign(tol, e - 2.0), message))
    return found
