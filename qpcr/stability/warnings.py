"""Warnings about the chosen reference genes: hypoxia-responsive genes and genes whose Cq
depends on a design factor (methods.md §4.4)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final, NamedTuple

import numpy as np
import pandas as pd

from qpcr.errors import ConfigError, InputError
from qpcr.grouped import moments
from qpcr.kept import Kept, content_key

__all__ = [
    "CANDIDATES_TO_TEST",
    "HYPOXIA_RESPONSIVE",
    "HYPOXIA_SOFT",
    "HYPOXIA_SOURCES",
    "reference_gene_warnings",
]

#: Known HIF/hypoxia-responsive genes: a hard warning when used as reference in a hypoxia design
#: (methods.md §4.4 item 1). GAPDH, PGK1, LDHA, ENO1 and ALDOA: Zhong & Simons 1999 (BBRC
#: 259:523), Semenza et al. 1996 (JBC 271:32529), Hu et al. 2003 (MCB 23:9361); the others are
#: well-known HIF targets.
HYPOXIA_RESPONSIVE: Final = (
    "GAPDH",
    "PGK1",
    "LDHA",
    "ENO1",
    "ALDOA",
    "TPI1",
    "PKM",
    "HK2",
    "SLC2A1",
    "VEGFA",
    "CA9",
    "BNIP3",
    "PDK1",
)

#: Genes that varied under hypoxia or are unsuitable for another reason: a soft warning
#: (methods.md §4.4 item 2). ACTB and PPIA: Zhong & Simons 1999, Foldager et al. 2009
#: (doi:10.1186/1471-2199-10-94); 18S rRNA is far more abundant than mRNA and is not an mRNA.
HYPOXIA_SOFT: Final = ("ACTB", "PPIA", "RN18S1")

#: Sources of the two lists, for reports.
HYPOXIA_SOURCES: Final = (
    "Zhong H, Simons JW. Biochem Biophys Res Commun 1999;259(3):523-526",
    "Caradec J et al. Br J Cancer 2010;102(6):1037-1043. doi:10.1038/sj.bjc.6605573",
    "Semenza GL et al. J Biol Chem 1996;271(51):32529-32537",
    "Hu C-J et al. Mol Cell Biol 2003;23(24):9361-9374",
    "Foldager CB et al. BMC Mol Biol 2009;10:94. doi:10.1186/1471-2199-10-94",
    "Pombo-Suarez M et al. BMC Mol Biol 2008;9:17. doi:10.1186/1471-2199-9-17",
)

#: Candidates worth *testing* (not assumed stable) in chondrocyte/hypoxia designs (§4.4 item 4).
CANDIDATES_TO_TEST: Final = ("TBP", "RPL13A", "RPLP0", "B2M", "YWHAZ", "HPRT1", "HMBS")

#: Common aliases, keyed by the upper-case alphanumeric form of the name.
_ALIASES: Final[dict[str, str]] = {
    "GAPD": "GAPDH",
    "PKM2": "PKM",
    "GLUT1": "SLC2A1",
    "VEGF": "VEGFA",
    "CAIX": "CA9",
    "BACTIN": "ACTB",
    "BETAACTIN": "ACTB",
    "CYCLOPHILINA": "PPIA",
    "18S": "RN18S1",
    "18SRRNA": "RN18S1",
    "RNA18S": "RN18S1",
    "RNA18S5": "RN18S1",
    "RNA18SN5": "RN18S1",
    "R18S": "RN18S1",
}

_OXYGEN: Final = re.compile(r"hypox|normox|anox|hyperox|oxygen|(?<![a-z0-9])p?o2(?![0-9])", re.I)


def _canonical(gene: str) -> str:
    key = re.sub(r"[^A-Z0-9]", "", str(gene).upper())
    return _ALIASES.get(key, key)


def reference_gene_warnings(
    samples: pd.DataFrame,
    reference_genes: Sequence[str],
    factors: Mapping[str, Sequence[str]],
    alpha: float = 0.05,
    max_effect: float = 0.5,
) -> list[dict[str, str]]:
    """Warnings about the chosen reference genes (methods.md §4.4).

    Rules
    -----
    ``hypoxia_responsive`` (severity ``warning``) / ``hypoxia_soft`` (``note``): a reference gene
    is on :data:`HYPOXIA_RESPONSIVE` / :data:`HYPOXIA_SOFT` and a factor looks like oxygen (its
    name or a level matches hypoxia/normoxia/O2/oxygen).
    ``reference_depends_on_factor`` (``warning``): an additive ANOVA of the gene's per-sample Cq
    on all factors (type II) gives p < ``alpha`` for a factor, or two levels of a factor differ
    by more than ``max_effect`` cycles in mean Cq. Factors that vary together in the gene's
    samples (confounded, e.g. every hypoxia sample also treated) cannot be told apart: they are
    tested jointly and get one warning that names them.

    Parameters
    ----------
    samples : DataFrame
        One row per biological sample × target: ``sample``, ``target``, ``cq_mean`` and the
        factor columns.
    reference_genes : sequence of str
        The reference genes in use.
    factors : mapping
        Factor column → its levels.
    alpha, max_effect : float
        Significance level and effect threshold (cycles).

    Returns
    -------
    list of dict
        One warning each, with ``rule``, ``target``, ``severity``, ``message``.

    Examples
    --------
    GAPDH and ACTB as reference genes in a normoxia/hypoxia design; GAPDH rises by 1.5 cycles:

    >>> import pandas as pd
    >>> cq = pd.DataFrame({"ACTB": [18.1, 18.3, 17.9, 18.6, 18.2, 18.4],
    ...                    "GAPDH": [20.0, 20.4, 19.8, 21.6, 21.9, 21.2],
    ...                    "TBP": [26.2, 26.5, 26.0, 26.6, 26.3, 26.4]},
    ...                   index=["c1", "c2", "c3", "h1", "h2", "h3"])
    >>> samples = cq.rename_axis(index="sample", columns="target").stack()
    >>> samples = samples.rename("cq_mean").reset_index()
    >>> samples["oxygen"] = samples["sample"].str[0].map({"c": "normoxia", "h": "hypoxia"})
    >>> found = reference_gene_warnings(samples, ["GAPDH", "ACTB"],
    ...                                 {"oxygen": ["normoxia", "hypoxia"]})
    >>> for w in found:
    ...     print(w["rule"], w["target"], w["severity"])
    hypoxia_responsive GAPDH warning
    reference_depends_on_factor GAPDH warning
    hypoxia_soft ACTB note
    >>> found[1]["message"][:72]
    'the Cq of reference gene GAPDH changes with oxygen (largest difference b'
    """
    where = "reference-gene check"
    needed = ["sample", "target", "cq_mean", *factors]
    missing = [c for c in needed if c not in samples.columns]
    if missing:
        raise InputError(
            f"columns {missing} missing; expected {needed}",
            where,
            "pass the per-sample table after technical-replicate aggregation",
        )
    refs = [str(g) for g in reference_genes]
    measured = [str(t) for t in pd.unique(samples["target"])]
    absent = [g for g in refs if g not in measured]
    if absent:
        raise ConfigError(
            f"reference genes {absent} were not measured; expected some of {measured}", where
        )
    oxygen = [
        f
        for f, lv in factors.items()
        if _OXYGEN.search(str(f)) or any(_OXYGEN.search(str(x)) for x in lv)
    ]
    pool = [t for t in measured if t in refs or _canonical(t) in CANDIDATES_TO_TEST]
    dependence = _factor_effects(samples, pool, list(factors))
    unstable = {t for t, eff in dependence.items() if _flagged(eff, alpha, max_effect)}
    listed = {*HYPOXIA_RESPONSIVE, *HYPOXIA_SOFT}
    stable = sorted(
        (t for t in pool if t not in unstable and _canonical(t) not in listed),
        key=lambda t: max((e.effect for e in dependence[t].values()), default=0.0),
    )

    def suggestion(gene: str) -> str:
        others = [t for t in stable if t != gene]
        if others:
            return f"Consider the measured candidates that did not vary: {', '.join(others)}."
        return (
            "No measured candidate looks stable; measure and test "
            f"{', '.join(CANDIDATES_TO_TEST)} with geNorm/NormFinder across all conditions."
        )

    out: list[dict[str, str]] = []
    for gene in refs:
        hypoxia = _hypoxia_warning(gene, oxygen, suggestion(gene)) if oxygen else None
        if hypoxia is not None:
            out.append(hypoxia)
        out.extend(_dependence_warnings(gene, dependence[gene], alpha, max_effect,
                                        suggestion(gene)))  # fmt: skip
    return out


def _dependence_warnings(
    gene: str, effects: dict[str, _Effect], alpha: float, max_effect: float, advice: str
) -> list[dict[str, str]]:
    """The ``reference_depends_on_factor`` warnings of a reference gene: one per factor its Cq
    changes with, or one per set of confounded factors (their effects cannot be separated in
    its samples: the joint test stands for all of them)."""
    out, seen = [], set()
    for factor, (p, effect, confounded) in effects.items():
        term = frozenset((factor, *confounded))
        if not (p < alpha or effect > max_effect) or term in seen:
            continue
        seen.add(term)
        change = (
            f"{factor} (largest difference between level means {effect:.2f} cycles, ANOVA "
            f"p = {p:.3g})"
        )
        if confounded:
            change = (
                f"{factor}, which varies together with {' and '.join(confounded)} in its "
                f"samples (confounded factors: their effects cannot be separated; largest "
                f"difference between {factor} level means {effect:.2f} cycles, joint ANOVA "
                f"p = {p:.3g})"
            )
        out.append(
            {
                "rule": "reference_depends_on_factor",
                "target": gene,
                "severity": "warning",
                "message": (
                    f"the Cq of reference gene {gene} changes with {change}; a reference must "
                    f"not respond to the treatment. {advice}"
                ),
            }
        )
    return out


def _hypoxia_warning(gene: str, oxygen: list[str], advice: str) -> dict[str, str] | None:
    """The hypoxia warning (or note) for a reference gene in a design with the oxygen factors
    ``oxygen``; None when the gene is on neither list."""
    canon = _canonical(gene)
    if canon in HYPOXIA_RESPONSIVE:
        return {
            "rule": "hypoxia_responsive",
            "target": gene,
            "severity": "warning",
            "message": (
                f"{gene} is a known hypoxia (HIF) target and the design has an oxygen "
                f"factor ({', '.join(oxygen)}); normalising to it can bias every "
                f"fold change under hypoxia. {advice}"
            ),
        }
    if canon in HYPOXIA_SOFT:
        return {
            "rule": "hypoxia_soft",
            "target": gene,
            "severity": "note",
            "message": (
                f"{gene} has been reported to vary under hypoxia (or is not an mRNA, "
                f"for 18S) and the design has an oxygen factor ({', '.join(oxygen)}); "
                f"check its stability. {advice}"
            ),
        }
    return None


class _Effect(NamedTuple):
    """A factor's effect on a target's Cq: the type II F test's p, the largest difference
    between its level means (cycles) and the factors it is confounded with (empty when its
    effect is separable; then p is the joint test's)."""

    p: float
    effect: float
    confounded: tuple[str, ...]


def _flagged(effects: dict[str, _Effect], alpha: float, max_effect: float) -> bool:
    return any(e.p < alpha or e.effect > max_effect for e in effects.values())


def _factor_effects(
    samples: pd.DataFrame, targets: Sequence[str], factors: list[str]
) -> dict[str, dict[str, _Effect]]:
    """The effect (p, max - min level mean in cycles, confounded factors) per factor of each
    target's per-sample Cq.

    p is the type II F test of the factor in the additive OLS model ``cq ~ Σ factors``
    (NaN when the model has no residual variance, residuals at rounding level included, or no
    degrees of freedom). What the models are (:func:`_designs`) depends on the targets, the
    factors' cells and which Cq are missing, not on the Cq: it is kept for the next table with
    that content (the plates of a batch share one layout).
    """
    cq = samples["cq_mean"].to_numpy(dtype=float, na_value=np.nan)
    complete = ~np.isnan(cq)  # the rows with a Cq
    cells = content_key(samples, ["target", *factors])
    key = None if cells is None else (cells, tuple(targets), tuple(factors), complete.tobytes())
    designs = _DESIGNS.get(key, lambda: _designs(samples, targets, factors, complete))
    return {name: {} if d is None else _effects(cq[d.at], d) for name, d in designs.items()}


class _Design(NamedTuple):
    """The additive model of one target's samples, known before their Cq: the rows it takes
    (positions), each factor's level numbers (0, 1, … in sorted order), the design matrix of
    every factor and its residual degrees of freedom, and per factor the design it is tested
    against, that design's degrees of freedom and the factors tested jointly with it."""

    at: np.ndarray
    levels: dict[str, np.ndarray]
    full: np.ndarray
    df_resid: int
    reduced: dict[str, tuple[np.ndarray, int, tuple[str, ...]]]


#: The models of the tables seen (:func:`_factor_effects`), by their content.
_DESIGNS = Kept[dict[str, _Design | None]](size=8)


def _designs(
    samples: pd.DataFrame, targets: Sequence[str], factors: list[str], complete: np.ndarray
) -> dict[str, _Design | None]:
    """Each target's model (None: fewer than 3 complete rows or no factor that varies). The
    table's columns are read once for every target: each target takes its rows with every
    value by position."""
    target = samples["target"].astype(str).to_numpy()
    complete = complete.copy()  # the rows with every value
    # each factor's values numbered once: as they are (distinct values; -1 missing), and as
    # text in sorted order (a target's levels keep that order: its dummy columns, the first
    # level left out, and its level means, in the order pandas' get_dummies and groupby give
    # them)
    raw, text = {}, {}
    for f in factors:
        raw[f], values = pd.factorize(samples[f].to_numpy())
        as_text = np.array([str(value) for value in values], dtype=object)  # as astype(str)
        rank = np.unique(as_text, return_inverse=True)[1]
        text[f] = np.append(rank, -1)[raw[f]]
        complete &= raw[f] >= 0
    out: dict[str, _Design | None] = {}
    for name in targets:
        at = np.flatnonzero(complete & (target == name))
        usable = [f for f in factors if len(np.unique(raw[f][at])) > 1]
        if not usable or len(at) < 3:
            out[name] = None
            continue
        levels = {f: np.unique(text[f][at], return_inverse=True)[1] for f in usable}
        out[name] = _design(at, levels)
    return out


def _design(at: np.ndarray, levels: dict[str, np.ndarray]) -> _Design:
    """The model of the rows ``at`` with factors of these ``levels``.

    A factor that varies together with others in these samples (aliased: its dummy columns lie
    in the span of the intercept and the others', e.g. every hypoxia sample also treated) has
    no degrees of freedom of its own in the type II test; it is then tested jointly with the
    factors it is confounded with (what the data can estimate), named in the design."""
    blocks = {f: (code[:, None] == np.arange(1, int(code.max()) + 1)).astype(float)
              for f, code in levels.items()}  # fmt: skip
    ones = np.ones((len(at), 1))
    zeros = np.zeros(len(at))

    def design(left_out: set[str]) -> tuple[np.ndarray, int]:  # the matrix and residual df
        x = np.hstack([ones, *(b for g, b in blocks.items() if g not in left_out)])
        return x, len(at) - int(np.linalg.lstsq(x, zeros, rcond=None)[2])  # rank: x's alone

    full, df_resid = design(set())
    reduced = {}
    for f in levels:
        partners: tuple[str, ...] = ()
        x, df_r = design({f})
        if df_r == df_resid and blocks[f].size:  # no degrees of freedom of its own: test it
            # with the factors it is confounded with (one level as text: nothing to test)
            partners = _determining(f, blocks)
            x, df_r = design({f, *partners})
            if df_r == df_resid:  # aliased with a combination of the others
                partners = tuple(g for g in levels if g != f)
                x, df_r = design(set(levels))
        reduced[f] = (x, df_r, partners)
    return _Design(at, levels, full, df_resid, reduced)


def _effects(y: np.ndarray, design: _Design) -> dict[str, _Effect]:
    """The effect of each factor of ``y`` (the Cq of ``design.at``) in the additive model
    ``design``: :func:`_factor_effects` for one target."""
    from ..stats.dist import f_sf

    def fit(x: np.ndarray) -> float:  # residual SS
        beta = np.linalg.lstsq(x, y, rcond=None)[0]
        return float(np.sum((y - x @ beta) ** 2))

    ssr, df_resid = fit(design.full), design.df_resid
    # residuals at rounding level (identical Cq values) are no variance: an F test of them
    # would give an arbitrary p
    noise = len(y) * (1e3 * np.finfo(float).eps * float(np.abs(y).max())) ** 2
    testable = df_resid > 0 and ssr > noise
    out = {}
    for f, (x, df_r, partners) in design.reduced.items():
        p = float("nan")
        if testable and df_r > df_resid:
            df_f = df_r - df_resid
            p = f_sf((fit(x) - ssr) / df_f / (ssr / df_resid), df_f, df_resid)
        level_means = moments(y, design.levels[f])[0]
        out[f] = _Effect(p, float(level_means.max() - level_means.min()), partners)
    return out


def _determining(factor: str, blocks: dict[str, np.ndarray]) -> tuple[str, ...]:
    """The other factors whose levels each determine the level of ``factor`` (its dummy
    columns lie in the span of the intercept and theirs)."""
    ones = np.ones((len(blocks[factor]), 1))

    def rank(*parts: np.ndarray) -> int:
        return int(np.linalg.matrix_rank(np.hstack([ones, *parts])))

    return tuple(g for g, b in blocks.items()
                 if g != factor and rank(b) == rank(b, blocks[factor]))  # fmt: skip
