"""Helpers shared by the two-group tests and the factorial contrasts: cleaning the values,
the empty result row, the t interval and note joining."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from qpcr.errors import DesignError

from .dist import t_ppf

#: A standard error below this many log2 units (cycles) is the floating-point rounding of a
#: zero variance, not a spread: Cq values carry two or three decimals, so any real spread is
#: orders of magnitude larger. Below it a comparison gets no test, in every table alike (a
#: p-value of 1e-33 from rounding would be a silent wrong answer).
NEGLIGIBLE_SE = 1e-9


def _as_values(values: Any, name: str) -> np.ndarray:
    """One-dimensional float array from a sequence/Series; reject anything else."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DesignError(
            f"{name} holds non-numeric values ({exc})",
            where=f"{name} values",
            hint="expected numbers on the log2 scale (−ΔCq or log2 NRQ)",
        ) from None
    if arr.ndim != 1:
        raise DesignError(
            f"{name} has shape {arr.shape}",
            where=f"{name} values",
            hint="expected one value per biological sample (a 1-D sequence of log2 values)",
        )
    return arr


def _paired_values(control: Any, treated: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """Align control and treated by block; drop pairs with a NaN (returns how many).

    Two Series are aligned on their index (the block, e.g. donor); anything else is aligned by
    position and must have equal length. A block that appears twice is a technical replicate
    counted as n and is refused.
    """
    if isinstance(control, pd.Series) and isinstance(treated, pd.Series):
        for name, s in (("control", control), ("treated", treated)):
            dup = s.index[s.index.duplicated()].unique().tolist()
            if dup:
                raise DesignError(
                    f"block(s) {dup} appear more than once in the {name} group",
                    where="two_group_test(paired=True)",
                    hint="expected one value per block (donor) and group; average technical "
                    "replicates first, they are not biological replicates",
                )
        both = pd.concat([control.rename("c"), treated.rename("t")], axis=1)
        c, t = both["c"].to_numpy(float), both["t"].to_numpy(float)
    else:
        c, t = _as_values(control, "control"), _as_values(treated, "treated")
        if c.size != t.size:
            raise DesignError(
                f"paired test got {c.size} control and {t.size} treated values",
                where="two_group_test(paired=True)",
                hint="expected equal-length arrays aligned by block (donor); pass two pandas "
                "Series indexed by donor to align them by label",
            )
    keep = ~(np.isnan(c) | np.isnan(t))
    return c[keep], t[keep], int((~keep).sum())


def _groups(control: Any, treated: Any, paired: bool) -> tuple[np.ndarray, np.ndarray, str]:
    """Clean value arrays and a note on dropped incomplete pairs (paired) or NaN values."""
    if paired:
        c, t, n_drop = _paired_values(control, treated)
        return c, t, f"{n_drop} incomplete pair(s) dropped" if n_drop else ""
    c, t = _as_values(control, "control"), _as_values(treated, "treated")
    return c[~np.isnan(c)], t[~np.isnan(t)], ""


def _t_ci(estimate: float, se: float, df: float, alpha: float) -> tuple[float, float]:
    """Two-sided (1 − alpha) t interval estimate ± t_{1−alpha/2, df}·se."""
    if not (np.isfinite(se) and np.isfinite(df) and df > 0):
        return math.nan, math.nan
    half = t_ppf(1 - alpha / 2, df) * se
    return estimate - half, estimate + half


def _result(test: str, n: int, n_ref: int, estimate: float, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "test": test,
        "n": n,
        "n_ref": n_ref,
        "estimate": estimate,
        "se": math.nan,
        "df": math.nan,
        "statistic": math.nan,
        "p_value": math.nan,
        "ci_low": math.nan,
        "ci_high": math.nan,
        "note": "",
    }
    out.update(fields)
    return out


def _too_few(c: np.ndarray, t: np.ndarray, paired: bool, min_n: int) -> str:
    """Note explaining why no p-value can be given, or '' when there are enough values."""
    need = max(min_n, 2)
    if paired and c.size < need:
        return f"fewer than {need} complete pairs (blocks with both groups)"
    if c.size < need:
        return f"fewer than {need} biological replicates in the control group"
    if t.size < need:
        return f"fewer than {need} biological replicates in the treated group"
    return ""


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)
