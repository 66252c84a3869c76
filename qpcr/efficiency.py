"""Which amplification efficiency a target gets: user values, curve acceptance and fallbacks.

:func:`parse_efficiency` reads a user's efficiency (factor or percent); :func:`curve_warnings`
holds a :func:`~qpcr.curves.standard_curves` table to the acceptance rules of methods §2.5;
:func:`curve_problems` says why a curve gives no efficiency, and :func:`efficiency_checks`
which efficiency each target falls back to then (the ``[efficiency]`` setting, the pooled
curves of the other plates, or E = 2). :func:`amplification_agreement` holds a standard
curve's efficiency against the one its amplicon's amplification curves give.
:func:`efficiency_bias` is the error of assuming E.
The fitting itself is :mod:`qpcr.curves`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import ConfigError
from .regex import lazy_pattern

__all__ = [
    "AGREEMENT_TOLERANCE",
    "MIN_R_SQUARED",
    "amplification_agreement",
    "curve_problems",
    "curve_warnings",
    "efficiency_bias",
    "efficiency_checks",
    "parse_efficiency",
]

#: Acceptance limit of a standard curve's R² (below it the curve gives no efficiency).
MIN_R_SQUARED = 0.98

#: Efficiencies closer than this never disagree (:func:`amplification_agreement`): on
#: noise-free curves both CIs shrink to nothing, and a difference of 1 % in efficiency is
#: below what either method resolves on a real plate.
AGREEMENT_TOLERANCE = 0.01

_PERCENT_RE = lazy_pattern(r"^\s*([+-]?\d+(?:[.,]\d*)?)\s*%\s*$")


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
    is rejected.

    Parameters
    ----------
    value
        The user's efficiency: a number or text (``"1,95"`` with a decimal comma is read too).
    unit
        ``"factor"``, ``"percent"`` or None (a number is a factor, ``"95 %"`` a percentage).
    where
        Where the value stands (settings file and key), for the error message.
    min_e, max_e
        Accepted range of the factor E.

    Returns
    -------
    float
        The amplification factor E (2.0 = 100 %).

    Raises
    ------
    ConfigError
        Unreadable, or E outside ``[min_e, max_e]`` (with a hint when the value looks like a
        percentage or a fraction).

    Examples
    --------
    >>> parse_efficiency(1.95), parse_efficiency("95 %"), parse_efficiency(95, unit="percent")
    (1.95, 1.95, 1.95)
    >>> parse_efficiency(95)
    Traceback (most recent call last):
    ...
    qpcr.errors.ConfigError: efficiency: efficiency 95 gives E = 95; ... write '95 %'
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
    ``e_true``: ``e_assumed^ΔCq / e_true^ΔCq − 1``.

    Parameters
    ----------
    delta_cq
        The Cq difference(s) the fold change comes from.
    e_true
        The true amplification factor(s).
    e_assumed
        The factor the fold change was computed with.

    Returns
    -------
    float or numpy.ndarray
        The relative error as a fraction (a float for scalar input).

    Examples
    --------
    Worked example T05 of docs/methods.md: ΔCq 5 computed with E = 2 when E is 1.9.

    >>> round(efficiency_bias(5.0, 1.9), 4)
    0.2924
    """
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
    """Acceptance checks on a :func:`~qpcr.curves.standard_curves` table (methods §2.5; all
    configurable).

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

    Parameters
    ----------
    curves
        A :func:`~qpcr.curves.standard_curves` table.
    e_range
        Accepted range of the efficiency factor E.
    min_r2, min_levels, min_log10_range, livak_tolerance
        Thresholds of the rules above.

    Returns
    -------
    list of dict
        One dict per finding: ``rule, plate, target, severity, value, threshold, message``.

    Examples
    --------
    Three dilution levels spanning two log10 units:

    >>> import pandas as pd
    >>> from qpcr.curves import standard_curves
    >>> wells = pd.DataFrame({"plate": "p1", "target": "MYC", "sample_type": "std",
    ...     "cq_status": "ok", "quantity": [1000, 1000, 100, 100, 10, 10],
    ...     "cq": [20.0, 20.1, 23.3, 23.4, 26.7, 26.6]})
    >>> for warning in curve_warnings(standard_curves(wells)):
    ...     print(warning["rule"], warning["severity"], "|", warning["message"])
    few_levels info | MYC on plate p1: 3 dilution levels; 5 are recommended
    narrow_range info | MYC on plate p1: dilution series spans 2.00 log10 units; 3 are recommended
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
    """Why each curve of a :func:`~qpcr.curves.standard_curves` table cannot give an efficiency.

    A curve is not used when it was skipped (fewer usable dilution levels than needed, its
    ``note``), when its slope is not negative (Cq does not fall with input: no efficiency,
    no interpolation) or when its R² is below ``min_r2``.

    Parameters
    ----------
    curves
        A :func:`~qpcr.curves.standard_curves` table.
    min_r2
        Lowest R² of a usable curve.

    Returns
    -------
    pandas.Series
        One string per row (same index): the reason, or ``""`` for a usable curve.

    Examples
    --------
    Two plates of the same dilution series; on the second the lowest level scatters:

    >>> import pandas as pd
    >>> from qpcr.curves import standard_curves
    >>> wells = pd.DataFrame({"plate": ["p1"] * 6 + ["p2"] * 6, "target": "MYC",
    ...     "sample_type": "std", "cq_status": "ok", "quantity": [1000, 1000, 100, 100, 10, 10] * 2,
    ...     "cq": [20.0, 20.1, 23.3, 23.4, 26.7, 26.6, 20.0, 20.1, 23.3, 23.4, 27.9, 25.2]})
    >>> curve_problems(standard_curves(wells)).tolist()
    ['', 'R² 0.9203 below 0.98']
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

    Parameters
    ----------
    curves
        A :func:`~qpcr.curves.standard_curves` table.
    targets
        The analysed targets (curves of other targets are not checked).
    setting
        The user's efficiencies (the ``[efficiency]`` setting), by target.
    used
        The efficiencies the analysis uses (setting or curve), by target.

    Returns
    -------
    list of dict
        Dicts shaped as those of :func:`curve_warnings`.

    Examples
    --------
    A setting of E = 1.9 against a curve whose 95 % CI is 1.974–2.047:

    >>> import pandas as pd
    >>> from qpcr.curves import standard_curves
    >>> wells = pd.DataFrame({"plate": "p1", "target": "MYC", "sample_type": "std",
    ...     "cq_status": "ok", "quantity": [1000, 1000, 100, 100, 10, 10],
    ...     "cq": [20.0, 20.1, 23.3, 23.4, 26.7, 26.6]})
    >>> [found] = efficiency_checks(standard_curves(wells), ["MYC"], {"MYC": 1.9}, {"MYC": 1.9})
    >>> found["rule"], found["value"], round(found["threshold"], 3)
    ('setting_outside_ci', 1.9, 1.974)
    >>> print(found["message"])
    MYC on plate p1: the [efficiency] setting E = 1.900 lies outside the standard curve's 95 % CI
    1.974–2.047 (curve E = 2.009); the setting is used
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


def amplification_agreement(
    curves: pd.DataFrame, amplicons: pd.DataFrame, alpha: float = 0.05
) -> list[dict[str, object]]:
    """Standard curves whose efficiency disagrees with the amplification curves' on the same
    plate: their confidence intervals do not overlap, and the two differ by more than
    :data:`AGREEMENT_TOLERANCE`.

    Parameters
    ----------
    curves
        A :func:`~qpcr.curves.standard_curves` table (curves that give no efficiency are
        skipped).
    amplicons
        Per plate × target, ``efficiency``, ``efficiency_se`` and ``n`` (the reactions
        averaged), as :func:`qpcr.call_cq` returns them; their CI is E ± t(1 − alpha/2,
        n − 1) · SE.
    alpha
        1 − the amplicon CI's level.

    Returns
    -------
    list of dict
        Dicts shaped as those of :func:`curve_warnings` (rule ``amplification_disagrees``).

    Examples
    --------
    A standard curve with E 2.009 (95 % CI 1.974–2.047) against 12 reactions averaging 1.90
    (SE 0.01, CI 1.878–1.922):

    >>> from qpcr.curves import standard_curves
    >>> wells = pd.DataFrame({"plate": "p1", "target": "MYC", "sample_type": "std",
    ...     "cq_status": "ok", "quantity": [1000, 1000, 100, 100, 10, 10],
    ...     "cq": [20.0, 20.1, 23.3, 23.4, 26.7, 26.6]})
    >>> amplicons = pd.DataFrame({"plate": ["p1"], "target": ["MYC"], "efficiency": [1.90],
    ...                           "efficiency_se": [0.01], "n": [12]})
    >>> [found] = amplification_agreement(standard_curves(wells), amplicons)
    >>> print(found["message"])
    MYC on plate p1: the standard curve's E = 2.009 (95 % CI 1.974–2.047) and the amplification
    curves' E = 1.900 (95 % CI 1.878–1.922, 12 reactions) disagree
    >>> amplification_agreement(standard_curves(wells), amplicons.assign(efficiency=1.98))
    []
    """
    from .stats.dist import t_ppf

    fitted = curves[curve_problems(curves).eq("")] if len(curves) else curves
    both = fitted.merge(amplicons, on=["plate", "target"], suffixes=("", "_amp"))
    both = both[both["n"].ge(2) & both["efficiency_se"].notna()]
    out: list[dict[str, object]] = []
    for row in both.to_dict("records"):
        half = float(t_ppf(1 - alpha / 2, row["n"] - 1)) * row["efficiency_se"]
        low, high = row["efficiency_amp"] - half, row["efficiency_amp"] + half
        overlap = low <= row["efficiency_ci_high"] and row["efficiency_ci_low"] <= high
        if overlap or abs(row["efficiency_amp"] - row["efficiency"]) <= AGREEMENT_TOLERANCE:
            continue
        level = f"{100 * (1 - alpha):g} %"
        message = (
            f"{row['target']} on plate {row['plate']}: the standard curve's E = "
            f"{row['efficiency']:.3f} (95 % CI {row['efficiency_ci_low']:.3f}–"
            f"{row['efficiency_ci_high']:.3f}) and the amplification curves' E = "
            f"{row['efficiency_amp']:.3f} ({level} CI {low:.3f}–{high:.3f}, {row['n']} "
            "reactions) disagree"
        )
        out.append({"rule": "amplification_disagrees", "plate": row["plate"],
                    "target": row["target"], "severity": "warning",
                    "value": row["efficiency_amp"], "threshold": row["efficiency"],
                    "message": message})  # fmt: skip
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
