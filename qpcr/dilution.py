"""An assay's single-copy Cq measured on a limiting dilution (``[assay_single_copy_cq]``).

A limiting dilution holds a few template copies per well at each level: a well draws
``N ~ Poisson(λ)`` copies and reads ``Cq = Cq₁ − log_E N + ε`` when ``N ≥ 1``, nothing when
``N = 0``. At each level ``j`` (``n`` wells, ``k`` non-detects, the amplified wells' mean Cq
``C̄`` and SD ``s``) the non-detects give the copies per well and the amplified wells then give
Cq₁:

    λ̂ = −ln(k/n),      Cq₁ⱼ = C̄ + m(λ̂),      m(λ) = E[log_E N | N ≥ 1]  (exact sum),

``λ̂`` the maximum-likelihood estimate of λ from ``P(non-detect) = e^(−λ)``. ``m(λ)`` is the
mean of ``log_E N`` over the wells that amplified, not ``log_E λ``: it is 0.51 cycles above
``log₂ λ`` at one copy per well (the wells that amplified hold at least one copy) and −0.13 at
six (Jensen), so ``C̄ + log_E λ̂`` would be biased by as much. The levels are combined by their
inverse variances (delta method, the binomial variance of ``k``):

    Var(Cq₁ⱼ) = s²/(n − k) + m′(λ̂)² (1 − p)/(n p),   p = k/n,

and the confidence interval is normal around the weighted mean. A level where every well or
no well amplified gives no ``λ̂`` and is left out; levels of about 0.5 to 3 copies per well
(60 % to 5 % non-detects) carry the information, with 24 or more wells each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SingleCopyCq", "mean_log_copies", "single_copy_cq"]

#: Sample types that are not dilution levels (no-template and no-RT controls).
_CONTROLS = frozenset({"ntc", "nac", "nrt"})
#: ``cq_status`` values of wells whose Cq is unknown, not absent: neither amplified nor empty.
_UNKNOWN = frozenset({"omitted", "missing", "invalid"})


@dataclass(frozen=True)
class SingleCopyCq:
    """An assay's single-copy Cq from a limiting dilution (:func:`single_copy_cq`).

    ``estimate``, ``se``, ``ci_low`` and ``ci_high`` in cycles (the interval at the level
    ``1 − alpha``); ``levels`` one row per dilution level: ``level``, ``wells``,
    ``nondetects``, ``copies`` (λ̂), ``cq_mean`` (amplified wells), ``single_copy_cq`` and its
    ``se`` (NaN where the level was not used), ``used``.
    """

    target: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    levels: pd.DataFrame


def mean_log_copies(copies: float, efficiency: float = 2.0) -> float:
    """``m(λ) = E[log_E N | N ≥ 1]`` for ``N ~ Poisson(λ)``: the mean of ``log_E N`` over
    the wells that amplified (module docstring).

    Parameters
    ----------
    copies
        λ, the mean copies per well (> 0).
    efficiency
        Amplification factor E.

    Returns
    -------
    float
        ``m(λ)`` in cycles.

    Examples
    --------
    At one copy per well the wells that amplify hold 1.58 copies on average, and m(1) = 0.51
    cycles above log2 1 = 0; at six copies m is 0.13 below log2 6 = 2.585:

    >>> round(mean_log_copies(1.0), 3), round(mean_log_copies(6.0), 3)
    (0.507, 2.451)
    """
    from scipy import special

    k = np.arange(1.0, math.ceil(copies + 12.0 * math.sqrt(copies) + 30.0))
    p = np.exp(k * math.log(copies) - copies - special.gammaln(k + 1.0))
    return float(p @ np.log(k)) / float(p.sum()) / math.log(efficiency)


def single_copy_cq(
    wells: pd.DataFrame,
    target: str | None = None,
    *,
    level: str = "sample",
    efficiency: float = 2.0,
    nondetect_limit: float = 40.0,
    alpha: float = 0.05,
) -> SingleCopyCq:
    """An assay's single-copy Cq Cq₁ from a limiting-dilution plate (module docstring), for
    ``[assay_single_copy_cq]``.

    Parameters
    ----------
    wells
        Wells of the dilution (e.g. :func:`qpcr.read_export`): ``target``, ``cq`` (NaN for a
        non-detect), the ``level`` column; when present ``cq_status`` (``undetermined``; the
        ``omitted``, ``missing`` and ``invalid`` wells are left out, as are wells flagged
        ``omitted``) and ``sample_type`` (no-template and no-RT controls are left out).
    target
        The assay; may be omitted when the wells hold one target.
    level
        The column naming each dilution level (one level per value).
    efficiency
        Amplification factor E of the assay (2.0 = 100 %).
    nondetect_limit
        A Cq at or beyond it is a non-detect (cycles).
    alpha
        The interval is at confidence ``1 − alpha``.

    Returns
    -------
    SingleCopyCq
        The estimate, its standard error and interval, and the levels.

    Raises
    ------
    InputError
        The target is not in the wells (or, omitted, several are), the level, target or cq
        column is missing, a Cq is text that is neither a number nor a non-detect word, or no
        level has both amplified wells (two at least) and non-detects.

    Examples
    --------
    Two levels of 32 wells: 12 and 4 non-detects (λ̂ = 0.98 and 2.08 copies per well), the
    amplified wells at a mean Cq of 34.65 and 34.12:

    >>> import pandas as pd
    >>> cq = ([None] * 12 + [34.2, 35.1] * 10) + ([None] * 4 + [33.6, 34.64] * 14)
    >>> wells = pd.DataFrame({"target": "RANKL", "sample": ["1:8"] * 32 + ["1:4"] * 32,
    ...                       "cq": cq})
    >>> found = single_copy_cq(wells)
    >>> round(found.estimate, 2), round(found.ci_low, 2), round(found.ci_high, 2)
    (35.15, 34.89, 35.41)
    >>> found.levels[["level", "nondetects", "copies", "single_copy_cq"]].round(3)
      level  nondetects  copies  single_copy_cq
    0   1:8          12   0.981          35.147
    1   1:4           4   2.079          35.158
    """
    import pandas as pd
    from scipy import special

    where = "single-copy Cq"
    if level not in wells:
        raise InputError(f"no column '{level}'; expected the column naming each dilution level",
                         where=where, hint="Pass level=COLUMN")  # fmt: skip
    for name in ("target", "cq"):
        if name not in wells:
            raise InputError(f"no column '{name}'; expected the wells' target and cq columns",
                             where=where, hint="Read the plate with qpcr.read_export")  # fmt: skip
    rows = _level_wells(wells)
    target = _target(rows, target, where)
    rows = rows[rows["target"].astype(str).eq(target)]
    cq = _cq_values(rows["cq"], where)
    blank = cq.isna() | (cq >= nondetect_limit)
    if "cq_status" in rows:
        blank |= rows["cq_status"].astype(str).eq("undetermined")
    table = pd.DataFrame({"level": rows[level].to_numpy(), "cq": cq.where(~blank).to_numpy(),
                          "blank": blank.to_numpy()})  # fmt: skip
    levels = table.groupby("level", sort=False).agg(
        wells=("blank", "size"), nondetects=("blank", "sum"), cq_mean=("cq", "mean"),
        cq_sd=("cq", "std"),
    ).reset_index()  # fmt: skip
    levels["nondetects"] = levels["nondetects"].astype(int)
    amplified = levels["wells"] - levels["nondetects"]
    levels["used"] = (levels["nondetects"] > 0) & (amplified >= 2)
    if not levels["used"].any():
        raise InputError(
            f"no dilution level of {target} has both non-detects and two amplified wells; "
            "expected levels of about 0.5 to 3 copies per well",
            where=where,
            hint="Dilute until 5 % to 60 % of the wells of a level are non-detects",
        )
    n, k = levels["wells"].to_numpy(float), levels["nondetects"].to_numpy(float)
    used, share = levels["used"].to_numpy(bool), k / n
    with np.errstate(divide="ignore"):
        lam = -np.log(share)
    levels["copies"] = lam
    at = lam[used]
    m, slope = np.full(len(lam), np.nan), np.full(len(lam), np.nan)
    m[used] = [mean_log_copies(x, efficiency) for x in at]
    slope[used] = [(mean_log_copies(1.001 * x, efficiency) - mean_log_copies(0.999 * x, efficiency))
                   / (0.002 * x) for x in at]  # fmt: skip
    with np.errstate(divide="ignore", invalid="ignore"):
        var = levels["cq_sd"].to_numpy(float) ** 2 / (n - k) + slope**2 * (1 - share) / (n * share)
    levels["single_copy_cq"] = levels["cq_mean"].to_numpy(float) + m
    levels["se"] = np.sqrt(var)
    weight = 1.0 / var[used]
    estimate = float((levels["single_copy_cq"].to_numpy()[used] * weight).sum() / weight.sum())
    se = 1.0 / math.sqrt(float(weight.sum()))
    z = float(special.ndtri(1.0 - alpha / 2.0))
    columns = ["level", "wells", "nondetects", "copies", "cq_mean", "single_copy_cq", "se", "used"]
    return SingleCopyCq(target, estimate, se, estimate - z * se, estimate + z * se,
                        levels[columns])  # fmt: skip


def _level_wells(wells: pd.DataFrame) -> pd.DataFrame:
    """The wells that count at their level: no controls (``sample_type``), and no well whose
    Cq is unknown for another reason than a non-detect (omitted by the instrument's user,
    invalid): counted as non-detects, they would lower the copies per well."""
    import pandas as pd

    keep = pd.Series(True, index=wells.index)
    if "sample_type" in wells:
        keep &= ~wells["sample_type"].astype(str).isin(_CONTROLS)
    if "cq_status" in wells:
        keep &= ~wells["cq_status"].astype(str).isin(_UNKNOWN)
    if "omitted" in wells:
        keep &= ~wells["omitted"].fillna(False).astype(bool)
    return wells[keep]


def _cq_values(cells: pd.Series, where: str) -> pd.Series:
    """The Cq values as numbers, NaN for a non-detect (empty, NaN or a word such as
    'Undetermined'); other text is refused, since read as a non-detect it would change the
    copies per well (a decimal comma, '34,2', is no non-detect)."""
    import pandas as pd

    from .schema import NON_DETECT_TOKENS

    cq = pd.to_numeric(cells, errors="coerce").astype(float)
    words = cells[cq.isna() & cells.notna()].astype(str).str.strip()
    odd = words[~(words.eq("") | words.str.lower().isin(NON_DETECT_TOKENS))]
    if len(odd):
        raise InputError(
            f"Cq {odd.iloc[0]!r} is not a number; expected numbers, with NaN or a word such as "
            "'Undetermined' for a non-detect",
            where=where,
            hint="Convert the column to numbers (decimal comma?), or read the plate with "
            "qpcr.read_export",
        )
    return cq


def _target(wells: pd.DataFrame, target: str | None, where: str) -> str:
    """The assay: ``target`` when the wells hold it, the only target when omitted."""
    names = list(dict.fromkeys(wells["target"].astype(str)))
    if target is None:
        if len(names) != 1:
            raise InputError(
                f"the wells hold {len(names)} targets ({', '.join(names[:6])}); expected one",
                where=where,
                hint="Name the assay: single_copy_cq(wells, target=NAME)",
            )
        return names[0]
    if target not in names:
        raise InputError(
            f"target '{target}' is not in the wells; expected one of {', '.join(names[:12])}",
            where=where,
            hint=did_you_mean(target, names),
        )
    return target
