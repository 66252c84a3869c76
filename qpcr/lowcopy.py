"""The Cq of a low-copy replicate group estimated from its copies per well (Poisson sampling).

At a few template copies per well a well holds ``N ~ Poisson(λ)`` copies and reads
``Cq = Cq₁ − log_E N + ε`` (``ε``: pipetting noise of SD σ), or nothing when ``N = 0``. The mean
of the Cq values estimates ``Cq₁ − E[log_E N | N ≥ 1]``, which is not ``Cq₁ − log_E λ``: the
difference depends on λ (about −0.16 log2 units at 4 copies, −0.13 at 6, −0.08 at 10), so a
fold change between groups at different copy numbers carries the difference as a bias whatever
the replicate QC (docs/validation.md).

Under ``low_copy_estimate = "poisson"`` (with ``outlier_rule = "poisson"``, which recognises
the low-copy groups and their zero-copy wells) the replicate groups of a low-copy target (one
with a group whose median Cq implies at most :data:`qpcr.qc.LOW_COPIES` copies per well) that
have no censored well are estimated on the linear scale instead. The choice is made
per target, not per group: a group chosen by its own Cq values would be chosen by its own
sampling noise (a group at 16 copies per well enters when its wells drew few copies), and the
fold changes of a target compare like with like only when all its groups are estimated alike
(in a simulation of triplicates at 4 and 16 copies per well, choosing per group left a fold
change bias of −0.08, per target none). Each amplified well gives its copies
``N̂ᵢ = E^(Cq₁ − Cqᵢ)``, each zero-copy well (``exclude_code = "zero_copy"``) gives ``N̂ᵢ = 0``;
with ``T = Σ N̂ᵢ`` over the ``n`` wells,

    λ̂ = (T + ½) / n,      Cq̂ = Cq₁ − log_E λ̂,      Var(Cq̂) = 1/(n λ̂ ln²E) + σ²/n.

Why this estimator: ``T`` is Poisson(nλ) (the counts add), so ``T/n`` is the maximum-likelihood
estimate of λ from the counts and its log has bias ``−1/(2nλ) + O(λ⁻²)``. Adding half a count
removes the first-order term: for ``X ~ Poisson(μ)``, ``E[ln(X + c)] = ln μ + (c − ½)/μ +
(c − c²/2 − 5/12)/μ² + O(μ⁻³)`` (expand ``ln(1 + u)`` to fourth order with the Poisson central
moments μ, μ, 3μ² + μ), so ``c = ½`` leaves ``−1/(24 μ²)``: −0.0017 log2 units at 2 copies per
well in triplicate, against −0.13 for the mean Cq at 6 copies. Pipetting noise multiplies each
``N̂ᵢ`` by ``E^(−ε)``, which shifts ``ln λ̂`` by a constant (``σ² ln²E / 2``, plus
``−σ² ln²E / (2n)`` from its variance) that cancels in every fold change. A wrong ``Cq₁`` scales
every ``N̂ᵢ`` by the same factor, which cancels in fold changes too, up to the ½ (then no
longer exactly half a count). The likelihood of the Cq values themselves (a Poisson mixture of
normal densities) would need Cq₁ and σ exactly, and its estimate of ``log λ`` keeps the
first-order bias of ``T/n``. The variance is the delta method on ``Var(T) = nλ`` plus the
pipetting term; at high copy numbers it tends to ``σ²/n``.

The estimate is only as good as ``Cq₁`` is known: a wrong ``Cq₁`` cancels in fold changes,
but it decides which targets count as low copy and which non-detects are zero-copy wells. So
the default, ``low_copy_estimate = "auto"``, estimates from copies only the targets whose
single-copy Cq was measured on the assay (listed under ``[assay_single_copy_cq]``, e.g. by
:func:`qpcr.dilution.single_copy_cq` from a limiting dilution) and keeps the mean Cq of the
others, whose ``Cq₁`` is only the assumed ``single_copy_cq``: analyses that list no assay, as
every published data set, average Cq as their publications did.

Technical replicates still are not the n of a test: the estimate replaces the group's mean Cq
(``cq_mean``, and ``cq_se`` its standard error), and the comparisons go on over biological
replicates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .vocabularies import Estimate

if TYPE_CHECKING:
    import pandas as pd

    from .config import AnalysisConfig

__all__ = [
    "Estimate",
    "estimated_targets",
    "low_copy_replicates",
    "methods_text",
    "poisson_cq",
    "single_copy_cqs",
    "unused_warnings",
]


def single_copy_cqs(targets: Iterable[object], config: AnalysisConfig) -> np.ndarray:
    """Cq₁ of each of ``targets``: its ``[assay_single_copy_cq]`` entry, else
    ``single_copy_cq``.

    Parameters
    ----------
    targets
        Target names (e.g. the ``target`` column of the wells).
    config
        The settings (``single_copy_cq``, ``assay_single_copy_cq``).

    Returns
    -------
    numpy.ndarray
        One Cq₁ per target (cycles).

    Examples
    --------
    >>> from qpcr.config import AnalysisConfig
    >>> config = AnalysisConfig(assay_single_copy_cq={"TNFSF11": 33.6})
    >>> single_copy_cqs(["TNFSF11", "MYC"], config).tolist()
    [33.6, 35.0]
    """
    table, assumed = config.assay_single_copy_cq, config.single_copy_cq
    return np.array([table.get(str(t), assumed) for t in targets], dtype=float)


def estimated_targets(targets: Iterable[str], config: AnalysisConfig) -> list[str]:
    """The ones of ``targets`` whose low-copy groups ``low_copy_estimate`` estimates from
    their copies (all under ``poisson``, those with a measured single-copy Cq under ``auto``,
    none under ``mean_cq`` or another outlier rule).

    Parameters
    ----------
    targets
        Target names.
    config
        The settings (``low_copy_estimate``, ``outlier_rule``, ``assay_single_copy_cq``).

    Returns
    -------
    list of str
        Those targets, in the order given.

    Examples
    --------
    >>> from qpcr.config import AnalysisConfig
    >>> measured = {"TNFSF11": 33.6}
    >>> estimated_targets(["TNFSF11", "BMP2"], AnalysisConfig(assay_single_copy_cq=measured))
    ['TNFSF11']
    >>> estimated_targets(["TNFSF11", "BMP2"], AnalysisConfig(low_copy_estimate="poisson"))
    ['TNFSF11', 'BMP2']
    """
    if config.outlier_rule != "poisson" or config.low_copy_estimate == "mean_cq":
        return []
    every = config.low_copy_estimate == "poisson"
    return [t for t in targets if every or t in config.assay_single_copy_cq]


def methods_text(low_targets: Sequence[str], config: AnalysisConfig) -> str:
    """The methods text on the low-copy targets of a run: which took the Cq of their copies,
    which kept the mean Cq, and why ('' when none was low copy or the estimate is off).

    Parameters
    ----------
    low_targets
        The targets with a replicate group at most :data:`qpcr.qc.LOW_COPIES` copies per well
        (those with a ``low_copy`` note).
    config
        The settings.

    Returns
    -------
    str
        One or two sentences.

    Examples
    --------
    >>> from qpcr.config import AnalysisConfig
    >>> config = AnalysisConfig(assay_single_copy_cq={"TNFSF11": 33.6})
    >>> print(methods_text(["TNFSF11", "BMP2"], config))  # doctest: +NORMALIZE_WHITESPACE
    The replicate groups of TNFSF11, a target with groups at most 10 template copies per well
    (2^(Cq₁ − Cq), single-copy Cq Cq₁ = 33.6 cycles, measured), that had no censored well were
    given the Cq of their mean copies per well, Cq₁ − log_E((Σ E^(Cq₁ − Cq) + ½)/n) over their
    amplified and zero-copy wells, which Poisson sampling leaves unbiased where the mean Cq is
    not. BMP2, also at most 10 copies per well, kept the mean Cq of its replicates:
    its single-copy Cq was not measured (assumed 35 cycles), and the estimate from copies is
    used only for assays whose single-copy Cq is given under assay_single_copy_cq.
    """
    from .qc import LOW_COPIES

    if config.outlier_rule != "poisson" or config.low_copy_estimate == "mean_cq":
        return ""
    estimated = estimated_targets(low_targets, config)
    kept = [t for t in low_targets if t not in estimated]
    out = []
    if estimated:
        table = config.assay_single_copy_cq
        given = [(t, table.get(t, config.single_copy_cq), "measured" if t in table else "assumed")
                 for t in estimated]  # fmt: skip
        each = "; ".join(f"{t} {q:g} cycles, {how}" for t, q, how in given)
        cq1 = f" = {given[0][1]:g} cycles, {given[0][2]}" if len(given) == 1 else f": {each}"
        noun = "a target with groups" if len(estimated) == 1 else "targets with groups"
        out.append(
            f"The replicate groups of {_names(estimated)}, {noun} at most {LOW_COPIES:g} template "
            f"copies per well (2^(Cq₁ − Cq), single-copy Cq Cq₁{cq1}), that had no censored "
            "well were given the Cq of their mean copies per well, Cq₁ − log_E((Σ E^(Cq₁ − Cq) "
            "+ ½)/n) over their amplified and zero-copy wells, which Poisson sampling leaves "
            "unbiased where the mean Cq is not."
        )
    if kept:
        its, was = ("its", "was") if len(kept) == 1 else ("their", "were")
        also = "also " if estimated else ""
        out.append(
            f"{_names(kept)}, {also}at most {LOW_COPIES:g} copies per well, kept the mean Cq of "
            f"{its} replicates: {its} single-copy Cq {was} not measured (assumed "
            f"{config.single_copy_cq:g} cycles), and the estimate from copies is used only for "
            "assays whose single-copy Cq is given under assay_single_copy_cq."
        )
    return " ".join(out)


def unused_warnings(config: AnalysisConfig) -> list[str]:
    """A warning when low-copy settings were given that the outlier rule leaves unused: Cq₁
    and the estimate from copies serve only ``outlier_rule = "poisson"``.

    Parameters
    ----------
    config
        The settings (``outlier_rule``, ``low_copy_estimate``, ``assay_single_copy_cq``).

    Returns
    -------
    list of str
        One warning, or none.

    Examples
    --------
    >>> from qpcr.config import AnalysisConfig
    >>> unused_warnings(AnalysisConfig(outlier_rule="range", assay_single_copy_cq={"A": 33.5}))
    ["settings: [assay_single_copy_cq] has no effect under outlier_rule = 'range' (the \
low-copy rules need 'poisson'); every replicate group keeps its mean Cq"]
    >>> unused_warnings(AnalysisConfig(assay_single_copy_cq={"A": 33.5}))
    []
    """
    if config.outlier_rule == "poisson":
        return []
    given = ["low_copy_estimate = 'poisson'"] if config.low_copy_estimate == "poisson" else []
    given += ["[assay_single_copy_cq]"] if config.assay_single_copy_cq else []
    if not given:
        return []
    verb = "has" if len(given) == 1 else "have"
    return [
        f"{config.source or 'settings'}: {' and '.join(given)} {verb} no effect under "
        f"outlier_rule = '{config.outlier_rule}' (the low-copy rules need 'poisson'); every "
        "replicate group keeps its mean Cq"
    ]


def _names(targets: Sequence[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    return targets[0] if len(targets) == 1 else f"{', '.join(targets[:-1])} and {targets[-1]}"


def poisson_cq(
    copies: Any,
    wells: Any,
    single_copy_cq: Any = 35.0,
    efficiency: Any = 2.0,
    pipetting_sd: float = 0.08,
) -> tuple[Any, Any]:
    """The Cq a replicate group's copies imply, and its standard error (module docstring).

    Parameters
    ----------
    copies
        ``T``: the copies of the group's wells added up, each amplified well
        ``E^(Cq₁ − Cq)``, each zero-copy well 0 (scalar or array, one value per group).
    wells
        ``n``: the wells behind ``copies``, amplified and zero-copy (≥ 1).
    single_copy_cq
        Cq₁, the Cq of a well holding one copy (cycles; one per group, or one for all).
    efficiency
        Amplification factor E per group (2.0 = 100 %).
    pipetting_sd
        σ, the pipetting SD of a well (cycles).

    Returns
    -------
    cq : float or numpy.ndarray
        ``Cq₁ − log_E((T + ½)/n)`` (cycles).
    se : float or numpy.ndarray
        ``√(1/(n λ̂ ln²E) + σ²/n)`` (cycles).

    Examples
    --------
    Three wells at Cq 33 and 34 and an empty one (E = 2, Cq₁ = 35): T = 2² + 2¹ + 0 = 6,
    λ̂ = 6.5/3 = 2.167 copies, Cq̂ = 35 − log2 2.167 = 33.885, against a mean Cq of 33.5
    over the two wells that amplified:

    >>> cq, se = poisson_cq(6.0, 3)
    >>> round(cq, 3), round(se, 3)
    (33.885, 0.568)
    """
    n = np.asarray(wells, dtype=float)
    log_e = np.log(np.asarray(efficiency, dtype=float))
    lam = (np.asarray(copies, dtype=float) + 0.5) / n
    cq = single_copy_cq - np.log(lam) / log_e
    se = np.sqrt(1.0 / (n * lam * log_e**2) + pipetting_sd**2 / n)
    if np.ndim(cq) == 0:
        return float(cq), float(se)
    return cq, se


def low_copy_replicates(
    replicates: pd.DataFrame,
    wells: pd.DataFrame,
    config: AnalysisConfig,
    efficiency: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """``replicates`` with ``cq_mean`` and ``cq_se`` of its low-copy groups estimated from
    their copies per well (:func:`poisson_cq`), for the targets :func:`estimated_targets`
    names (``outlier_rule = "poisson"``; ``low_copy_estimate = "poisson"``: every target,
    ``"auto"``: those with a measured single-copy Cq).

    A group (the ``plate``, ``sample``, ``target`` columns of ``replicates``) of such a target
    is estimated when the target is low copy, that is, the median of the measured Cq values of
    some group of the target implies at most :data:`qpcr.qc.LOW_COPIES` copies per well
    (``E^(Cq₁ − median)`` with the target's Cq₁ from :func:`single_copy_cqs` and its E from
    ``efficiency``, as the QC's ``low_copy`` note), and none of its used wells is censored.
    Its amplified wells and its zero-copy wells count; wells excluded for any other reason do
    not. Every other group keeps its mean Cq.

    Parameters
    ----------
    replicates
        Replicate groups (:func:`qpcr.quant.summarise_replicates`).
    wells
        The wells after QC (``cq_used``, ``censored``, ``excluded``, ``exclude_code``).
    config
        The settings (``low_copy_estimate``, ``outlier_rule``, ``single_copy_cq``,
        ``assay_single_copy_cq``, ``pipetting_sd``).
    efficiency
        Amplification factor E per target (2.0 where not given).

    Returns
    -------
    pandas.DataFrame
        A copy of ``replicates``, the low-copy groups' ``cq_mean`` and ``cq_se`` replaced.

    Examples
    --------
    Wells at Cq 33 and 34 and a zero-copy well, beside a high-copy group that keeps its mean:

    >>> import pandas as pd
    >>> from qpcr.config import AnalysisConfig
    >>> from qpcr.quant import summarise_replicates
    >>> wells = pd.DataFrame({"sample": "s1", "target": ["LOW"] * 3 + ["HIGH"] * 2,
    ...     "cq_used": [33.0, 34.0, None, 22.0, 22.2], "censored": False,
    ...     "excluded": [False, False, True, False, False],
    ...     "exclude_code": ["", "", "zero_copy", "", ""]})
    >>> reps = summarise_replicates(wells)
    >>> config = AnalysisConfig(low_copy_estimate="poisson")
    >>> low_copy_replicates(reps, wells, config)[["target", "n_used", "cq_mean"]]
      target  n_used    cq_mean
    0    LOW       2  33.884523
    1   HIGH       2  22.100000
    """
    if replicates.empty or not estimated_targets(wells["target"].unique(), config):
        return replicates
    import pandas as pd

    from .outliers import implied_copies
    from .qc import LOW_COPIES

    keys = [k for k in ("plate", "sample", "target") if k in replicates and k in wells]
    used = ~wells["excluded"].astype(bool)
    censored = used & wells["censored"].astype(bool)
    cq = wells["cq_used"].astype(float).where(used & ~censored)
    e = wells["target"].map(lambda t: (efficiency or {}).get(t, 2.0)).astype(float)
    cq1 = single_copy_cqs(wells["target"], config)
    frame = pd.DataFrame({
        "cq": cq, "copies": np.power(e, cq1 - cq), "cq1": cq1,
        "empty": wells["exclude_code"].eq("zero_copy"), "censored": censored, "e": e,
    })  # fmt: skip
    agg = frame.groupby([wells[k] for k in keys], sort=False, dropna=False).agg(
        median=("cq", "median"), total=("copies", "sum"), detected=("copies", "count"),
        empty=("empty", "sum"), censored=("censored", "sum"), e=("e", "first"),
        cq1=("cq1", "first"),
    )  # fmt: skip
    copies = pd.Series(implied_copies(agg["median"].to_numpy(), agg["cq1"].to_numpy(),
                                      agg["e"].to_numpy()), index=agg.index)  # fmt: skip
    target = copies.le(LOW_COPIES).groupby(level="target", sort=False).transform("any")
    chosen = agg.index.get_level_values("target").isin(
        estimated_targets(agg.index.unique("target"), config)
    )
    low = agg[target & chosen & (agg["detected"] > 0) & (agg["censored"] == 0)]
    if low.empty:
        return replicates
    est_cq, est_se = poisson_cq(low["total"], low["detected"] + low["empty"],
                                low["cq1"], low["e"], config.pipetting_sd)  # fmt: skip
    estimate = pd.DataFrame({"_cq": est_cq, "_se": est_se}, index=low.index).reset_index()
    out = replicates.merge(estimate, on=keys, how="left")
    hit = out["_cq"].notna()
    out.loc[hit, "cq_mean"] = out.loc[hit, "_cq"]
    out.loc[hit, "cq_se"] = out.loc[hit, "_se"]
    return out.drop(columns=["_cq", "_se"])
