"""Reference-gene stability: geNorm, NormFinder, BestKeeper and hypoxia warnings (methods.md §4).

Input of the three algorithms is a wide table of Cq values, one row per biological sample (after
technical-replicate aggregation) and one column per candidate gene. Genes are turned into log2
relative quantities ``y = -Cq · log2(E)`` (E = amplification factor, default 2); any per-gene
offset (e.g. ``min Cq``) cancels in every statistic used here.

Consensus rank (``stability_table``): genes are ordered by geNorm's stepwise exclusion (the gene
excluded last is most stable); the last two genes, which geNorm cannot rank against each other,
are ordered by NormFinder's stability ρ (lower first). Genes are therefore ranked 1..k without
ties.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Final, cast

import numpy as np
import pandas as pd

from qpcr.config import parse_efficiency
from qpcr.errors import ConfigError, DesignError, InputError

__all__ = [
    "CANDIDATES_TO_TEST",
    "HYPOXIA_RESPONSIVE",
    "HYPOXIA_SOFT",
    "HYPOXIA_SOURCES",
    "GenormResult",
    "NormfinderResult",
    "best_pair",
    "bestkeeper",
    "cq_matrix",
    "genorm",
    "normfinder",
    "reference_gene_warnings",
    "stability_table",
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


# --------------------------------------------------------------------------------------------
# input checks


def _log2_quantities(
    cq: pd.DataFrame, efficiency: Mapping[str, float] | None, min_genes: int, where: str
) -> pd.DataFrame:
    """Validate a samples × genes Cq table and return ``y = -Cq·log2(E)`` (log2 quantities)."""
    if not isinstance(cq, pd.DataFrame):
        raise InputError(
            f"got {type(cq).__name__}",
            where,
            "pass a DataFrame with samples as rows, genes as columns",
        )
    if cq.columns.duplicated().any():
        dup = sorted(map(str, cq.columns[cq.columns.duplicated()]))
        raise InputError(f"duplicated gene columns {dup}; expected one column per gene", where)
    if cq.shape[1] < min_genes:
        raise DesignError(
            f"{cq.shape[1]} candidate gene(s); expected at least {min_genes}",
            where,
            "measure more candidate reference genes (ideally 8 or more)",
        )
    if cq.shape[0] < 3:
        raise DesignError(
            f"{cq.shape[0]} sample(s); expected at least 3",
            where,
            "stability needs samples from all experimental conditions",
        )
    try:
        values = cq.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"non-numeric Cq values ({exc}); expected numbers", where) from exc
    bad = ~np.isfinite(values)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DesignError(
            f"sample {cq.index[r]!r}, gene {cq.columns[c]!r}: no Cq value "
            f"({int(bad.sum())} missing in total); expected a Cq for every sample × candidate",
            where,
            "drop the sample or the gene, or impute non-detects before the stability analysis",
        )
    efficiency = efficiency or {}
    log2e = np.log2(
        [
            parse_efficiency(efficiency.get(str(g), 2.0), where=f"{where}, efficiency of {g}")
            for g in cq.columns
        ]
    )
    return pd.DataFrame(-values * log2e, index=cq.index, columns=[str(g) for g in cq.columns])


def cq_matrix(
    samples: pd.DataFrame, candidates: Sequence[str], group: str | None = None
) -> tuple[pd.DataFrame, pd.Series | None, list[str]]:
    """Wide samples × candidates Cq table from a per-sample long table.

    ``samples`` has one row per biological sample × target with ``sample``, ``target``,
    ``cq_mean`` (technical replicates already averaged) and, when ``group`` is given, that
    column. Samples lacking a Cq for any candidate are dropped (returned third, by name).

    Returns
    -------
    (cq, groups, dropped): ``cq`` has samples as rows and the candidates as columns in the
    given order; ``groups`` is the group label per sample (None without ``group``).
    """
    where = "stability candidates"
    cands = list(dict.fromkeys(str(c) for c in candidates))
    measured = [str(t) for t in pd.unique(samples["target"])]
    unknown = [c for c in cands if c not in measured]
    if unknown:
        raise ConfigError(
            f"candidate gene(s) {unknown} were not measured; expected some of {measured}",
            where,
            "check the spelling of the candidate genes",
        )
    if group is not None and group not in samples.columns:
        factors = [c for c in samples.columns if c not in ("sample", "target", "cq_mean")]
        raise ConfigError(
            f"group factor {group!r} is not a column; expected one of {factors}",
            f"{where} (group)",
            "give the factor in the layout or the export",
        )
    rows = samples[samples["target"].astype(str).isin(cands)]
    wide = rows.pivot_table(
        index="sample", columns="target", values="cq_mean", aggfunc="mean", dropna=False, sort=False
    )
    wide = wide.reindex(columns=cands)
    wide.columns = pd.Index(cands)
    incomplete = wide.isna().any(axis=1)
    dropped = [str(s) for s in wide.index[incomplete]]
    cq = wide.loc[~incomplete]
    if group is None:
        return cq, None, dropped
    labels = rows.groupby("sample", sort=False)[group].agg(lambda v: sorted(set(map(str, v))))
    clash = labels[labels.map(len) > 1]
    if len(clash):
        raise InputError(
            f"sample {clash.index[0]!r} has several {group} levels {clash.iloc[0]}; "
            "expected one level per sample",
            f"{where} (group {group})",
            "fix the layout so each sample has one level",
        )
    return cq, labels.map(lambda v: v[0]).reindex(cq.index), dropped


# --------------------------------------------------------------------------------------------
# geNorm


@dataclass(frozen=True)
class GenormResult:
    """Result of :func:`genorm`.

    Attributes
    ----------
    m : Series
        Stability M of every gene within the full candidate set (lower is more stable).
    pairwise_sd : DataFrame
        Genes × genes matrix of V_jk = SD_s(log2(a_j/a_k)).
    steps : DataFrame
        ``step, genes_left, excluded, mean_m``: one row per exclusion round (the last row has the
        final two genes and no ``excluded`` gene).
    m_steps : DataFrame
        M of each gene (columns) at each step (rows, indexed by ``step``); NaN once excluded.
    pairwise : DataFrame
        ``n, v``: pairwise variation V_{n/n+1} of the normalisation factors NF_n, NF_{n+1}.
    ranking : DataFrame
        ``target, rank, m``: best first; the two most stable genes share rank 1; ``m`` is the M
        of the gene in the round it was excluded (final round for the last two).
    cutoff : float
        Cutoff for V_{n/n+1}.
    n_recommended : int | None
        First n with V_{n/n+1} < cutoff, None when no V is below it.
    """

    m: pd.Series
    pairwise_sd: pd.DataFrame
    steps: pd.DataFrame
    m_steps: pd.DataFrame
    pairwise: pd.DataFrame
    ranking: pd.DataFrame
    cutoff: float
    n_recommended: int | None

    @property
    def order(self) -> list[str]:
        """Genes best first (the first two are tied)."""
        return list(self.ranking["target"])

    @property
    def best_pair(self) -> tuple[str, str]:
        """The two genes left at the end of the stepwise exclusion."""
        first, second = self.order[:2]
        return first, second

    @property
    def recommended(self) -> list[str]:
        """The ``n_recommended`` most stable genes (all genes when no V is below the cutoff)."""
        n = self.n_recommended if self.n_recommended is not None else len(self.order)
        return self.order[:n]


def genorm(
    cq: pd.DataFrame,
    efficiency: Mapping[str, float] | None = None,
    cutoff: float = 0.15,
) -> GenormResult:
    """geNorm (Vandesompele et al. 2002) on a samples × genes Cq table.

    With ``y_sj = -Cq_sj·log2(E_j)``: ``V_jk = SD_s(y_j - y_k)`` (n - 1 denominator),
    ``M_j = Σ_{k≠j} V_jk / (n_genes - 1)``. The gene with the highest M is removed and M is
    recomputed until two genes remain. ``log2 NF_n(s)`` = mean of y over the n most stable genes
    and ``V_{n/n+1} = SD_s(log2 NF_n - log2 NF_{n+1})``. Units: log2 (1 = two-fold).

    Parameters
    ----------
    cq : DataFrame
        Cq, samples as rows, candidate genes (≥ 3) as columns, no missing values.
    efficiency : mapping, optional
        Amplification factor per gene (default 2; genes that are not candidates are ignored).
    cutoff : float
        Pairwise-variation cutoff for the recommended number of genes (default 0.15).
    """
    y = _log2_quantities(cq, efficiency, 3, "geNorm input")
    genes = [str(g) for g in y.columns]
    values = y.to_numpy()
    diff = values[:, :, None] - values[:, None, :]
    vjk = diff.std(axis=0, ddof=1)
    k = len(genes)

    alive = np.ones(k, dtype=bool)
    m_rows, excluded_order, m_at_exclusion = [], [], {}
    step_rows: list[tuple[int, int, str | None, float]] = []
    for step in range(1, k):
        sub = vjk[np.ix_(alive, alive)]
        m_alive = sub.sum(axis=1) / (alive.sum() - 1)
        m_full = np.full(k, np.nan)
        m_full[alive] = m_alive
        m_rows.append(m_full)
        left = int(alive.sum())
        if left == 2:
            step_rows.append((step, left, None, float(m_alive.mean())))
            for idx in np.flatnonzero(alive):
                m_at_exclusion[genes[idx]] = float(m_full[idx])
            break
        worst = int(np.flatnonzero(alive)[np.argmax(m_alive)])
        step_rows.append((step, left, genes[worst], float(m_alive.mean())))
        excluded_order.append(genes[worst])
        m_at_exclusion[genes[worst]] = float(m_full[worst])
        alive[worst] = False

    final_two = [genes[i] for i in np.flatnonzero(alive)]
    order = final_two + excluded_order[::-1]
    steps = pd.DataFrame(step_rows, columns=["step", "genes_left", "excluded", "mean_m"])
    m_steps = pd.DataFrame(m_rows, columns=genes, index=pd.Index(steps["step"], name="step"))

    ranked = y[order].to_numpy()
    log_nf = np.cumsum(ranked, axis=1) / np.arange(1, k + 1)
    ns = np.arange(2, k)
    v = (log_nf[:, ns - 1] - log_nf[:, ns]).std(axis=0, ddof=1)
    pairwise = pd.DataFrame({"n": ns, "v": v})
    below = ns[v < cutoff]
    ranking = pd.DataFrame(
        {
            "target": order,
            "rank": [1, 1, *range(3, k + 1)],
            "m": [m_at_exclusion[g] for g in order],
        }
    )
    return GenormResult(
        m=pd.Series(m_rows[0], index=genes, name="m"),
        pairwise_sd=pd.DataFrame(vjk, index=genes, columns=genes),
        steps=steps,
        m_steps=m_steps,
        pairwise=pairwise,
        ranking=ranking,
        cutoff=float(cutoff),
        n_recommended=int(below[0]) if below.size else None,
    )


def best_pair(cq: pd.DataFrame, efficiency: Mapping[str, float] | None = None) -> tuple[str, str]:
    """The best geNorm pair (the two genes left after stepwise exclusion), for the setting
    ``reference_genes = ["auto"]``.

    With exactly two candidates they are returned as given (geNorm cannot rank them).
    """
    if isinstance(cq, pd.DataFrame) and cq.shape[1] == 2:
        _log2_quantities(cq, efficiency, 2, "reference selection")
        first, second = map(str, cq.columns)
        return first, second
    return genorm(cq, efficiency).best_pair


# --------------------------------------------------------------------------------------------
# NormFinder


@dataclass(frozen=True)
class NormfinderResult:
    """Result of :func:`normfinder`.

    Attributes
    ----------
    stability : Series
        ρ per gene (lower is more stable). Without groups: the intragroup SD σ_i.
    sigma2 : DataFrame
        Intragroup variance σ²_ig, genes × groups (log2² units).
    d : DataFrame
        Intergroup difference d_ig, genes × groups (log2 units); zeros without groups.
    gamma2 : float
        Between-group variance γ² (NaN without groups).
    pairs : DataFrame
        ``gene1, gene2, stability, compensating`` for the pairs of candidate genes, most stable
        first. ``compensating`` is True when the pair's mean intergroup term
        ``mean_g|d̃_i + d̃_j|`` is smaller than that of either gene alone: the pair looks stable
        because the two genes' group differences cancel, not because each gene is stable.
    grouped : bool
        Whether group labels were used.
    """

    stability: pd.Series
    sigma2: pd.DataFrame
    d: pd.DataFrame
    gamma2: float
    pairs: pd.DataFrame
    grouped: bool

    @property
    def best_pair(self) -> tuple[str, str]:
        """Most stable pair of genes."""
        if self.pairs.empty:
            raise DesignError(
                "no gene pair was scored; expected at least 4 genes for a pair without groups",
                "NormFinder best pair",
                "add candidate genes or give group labels",
            )
        row = self.pairs.iloc[0]
        return str(row["gene1"]), str(row["gene2"])

    @property
    def best_pair_stability(self) -> float:
        """Stability of :attr:`best_pair`."""
        _ = self.best_pair
        return float(self.pairs["stability"].iloc[0])


def _intragroup_variance(y: np.ndarray) -> np.ndarray:
    """σ² per gene for one group; ``y`` is samples × genes (log2).

    ``a_i = Σ_s (y_is - ȳ_i - ȳ_s + ȳ)² / (n - 1)``, ``σ²_i = (a_i - Σa/(k² - k)) / (1 - 2/k)``;
    negative values are replaced by ``min_{j≠i} Var_s(y_i - y_j) / 4``.
    """
    n, k = y.shape
    resid = y - y.mean(axis=0) - y.mean(axis=1, keepdims=True) + y.mean()
    a = (resid**2).sum(axis=0) / (n - 1)
    s2 = (a - a.sum() / (k * k - k)) / (1 - 2 / k)
    if (s2 < 0).any():
        pair_var = (y[:, :, None] - y[:, None, :]).var(axis=0, ddof=1)
        np.fill_diagonal(pair_var, np.inf)
        s2 = np.where(s2 < 0, pair_var.min(axis=1) / 4, s2)
    return s2


def normfinder(
    cq: pd.DataFrame,
    groups: Sequence[object] | pd.Series | None = None,
    efficiency: Mapping[str, float] | None = None,
    pair_limit: float = 0.25,
) -> NormfinderResult:
    """NormFinder (Andersen, Jensen & Ørntoft 2004), clean-room from methods.md §4.2.

    On ``y = -Cq·log2(E)``: σ²_ig per group (see :func:`_intragroup_variance`); the double-centred
    group means ``d_ig = ȳ_ig - ȳ_i· - ȳ_·g + ȳ_··``; ``γ² = max(0, Σd²/((G-1)(k-1)) -
    Σ(σ²_ig/n_g)/(kG))``; shrunken ``d̃ = d·γ²/(γ² + σ²/n)``, ``ṽ = σ²/n + γ²(σ²/n)/(γ² + σ²/n)``;
    ``ρ_i = mean_g(|d̃_ig| + sqrt(ṽ_ig))``. A pair scores
    ``mean_g(|d̃_i + d̃_j|·sqrt(k/(k-2))/2 + sqrt(ṽ_i + ṽ_j)/2)``. As in the authors' program,
    pairs are formed only among the genes with ρ < ``pair_limit`` (at least the four best), so two
    unstable genes whose group differences happen to cancel are not proposed.

    Without groups (or with one group) ρ_i = σ_i, and a pair is scored by the σ of the average of
    the two genes computed among the other k - 2 genes plus that average; pairs are formed among
    the genes with σ < min σ + 0.1 (at least the two best), and only when k ≥ 4.

    Parameters
    ----------
    cq : DataFrame
        Cq, samples × genes (≥ 3 genes), no missing values.
    groups : sequence, optional
        Group label per sample (row order). Groups are sorted by label.
    efficiency : mapping, optional
        Amplification factor per gene (default 2).
    pair_limit : float
        Stability limit of the genes that may form the best pair (default 0.25).
    """
    where = "NormFinder input"
    y = _log2_quantities(cq, efficiency, 3, where)
    genes = [str(g) for g in y.columns]
    k = len(genes)
    labels = _group_labels(groups, y.index, where)
    levels = sorted(pd.unique(labels), key=str)
    values = y.to_numpy()
    for level in levels:
        size = int((labels == level).sum())
        if size < 2:
            raise DesignError(
                f"group {level!r} has {size} sample; expected at least 2 per group",
                where,
                "merge small groups or run NormFinder without groups",
            )
    if len(levels) < 2:
        s2 = _intragroup_variance(values)
        sigma = np.sqrt(s2)
        pool = np.flatnonzero(sigma < sigma.min() + 0.1)
        if pool.size < 2:
            pool = np.argsort(sigma, kind="stable")[:2]
        rows = []
        for i, j in combinations(sorted(pool) if k > 3 else [], 2):
            rest = np.delete(values, [i, j], axis=1)
            merged = np.column_stack([rest, values[:, [i, j]].mean(axis=1)])
            rows.append((genes[i], genes[j], float(np.sqrt(_intragroup_variance(merged)[-1]))))
        pairs = pd.DataFrame(rows, columns=["gene1", "gene2", "stability"])
        group_name = str(levels[0]) if levels else "all"
        return NormfinderResult(
            stability=pd.Series(sigma, index=genes, name="stability"),
            sigma2=pd.DataFrame({group_name: s2}, index=genes),
            d=pd.DataFrame({group_name: np.zeros(k)}, index=genes),
            gamma2=float("nan"),
            pairs=pairs.assign(compensating=False).sort_values(
                "stability", kind="stable", ignore_index=True
            ),
            grouped=False,
        )

    n_g = np.array([(labels == lv).sum() for lv in levels], dtype=float)
    s2 = np.column_stack([_intragroup_variance(values[labels == lv]) for lv in levels])
    means = np.column_stack([values[labels == lv].mean(axis=0) for lv in levels])
    d = means - means.mean(axis=1, keepdims=True) - means.mean(axis=0) + means.mean()
    n_groups = len(levels)
    vd = s2 / n_g
    gamma2 = max(0.0, (d**2).sum() / ((n_groups - 1) * (k - 1)) - vd.sum() / (k * n_groups))
    denom = gamma2 + vd
    shrink = np.divide(gamma2, denom, out=np.zeros_like(denom), where=denom > 0)
    d_new = d * shrink
    v_new = vd + vd * shrink
    rho = (np.abs(d_new) + np.sqrt(v_new)).mean(axis=1)
    pool = np.flatnonzero(rho < pair_limit)
    if pool.size < 4:
        pool = np.flatnonzero(rho <= np.sort(rho)[min(3, k - 1)])
    first, second = np.array(list(combinations(pool, 2))).T
    between = np.abs(d_new[first] + d_new[second])
    score = between * np.sqrt(k / (k - 2)) / 2 + np.sqrt(v_new[first] + v_new[second]) / 2
    alone = np.minimum(np.abs(d_new[first]).mean(axis=1), np.abs(d_new[second]).mean(axis=1))
    pairs = pd.DataFrame(
        {
            "gene1": [genes[i] for i in first],
            "gene2": [genes[j] for j in second],
            "stability": score.mean(axis=1),
            "compensating": between.mean(axis=1) < alone,
        }
    )
    cols = [str(lv) for lv in levels]
    return NormfinderResult(
        stability=pd.Series(rho, index=genes, name="stability"),
        sigma2=pd.DataFrame(s2, index=genes, columns=cols),
        d=pd.DataFrame(d, index=genes, columns=cols),
        gamma2=float(gamma2),
        pairs=pairs.sort_values("stability", kind="stable", ignore_index=True),
        grouped=True,
    )


def _group_labels(groups: object, index: pd.Index, where: str) -> np.ndarray:
    """Group label per sample as an array (one group when ``groups`` is None)."""
    if groups is None:
        return np.zeros(len(index), dtype=int)
    if isinstance(groups, pd.Series):
        labels = groups.reindex(index)
    elif isinstance(groups, Iterable):
        labels = pd.Series(list(groups))
    else:
        raise TypeError(f"groups must be a Series or a sequence of labels, not {type(groups)}")
    if len(labels) != len(index):
        raise InputError(
            f"{len(labels)} group labels for {len(index)} samples; expected one per sample", where
        )
    if labels.isna().any():
        missing = list(index[labels.isna().to_numpy()])[:5]
        raise InputError(f"no group label for samples {missing}; expected a label each", where)
    return labels.astype(str).to_numpy()


# --------------------------------------------------------------------------------------------
# BestKeeper


def bestkeeper(cq: pd.DataFrame, index_genes: Sequence[str] | None = None) -> pd.DataFrame:
    """BestKeeper descriptive statistics (Pfaffl et al. 2004) on raw Cq.

    Per gene: ``gm`` geometric mean, ``am`` arithmetic mean, ``min``, ``max``, ``sd`` = mean
    absolute deviation Σ|x - x̄|/n (Excel AVEDEV, cycles), ``cv`` = 100·sd/am (%), and Pearson
    ``r``/``p`` against the BestKeeper index (per-sample geometric mean of the Cq of
    ``index_genes``, default all genes). Genes with sd > 1 cycle are considered inconsistent.

    Returns
    -------
    DataFrame indexed by gene with columns ``n, gm, am, min, max, sd, cv, r, p``.
    """
    from .stats.dist import pearson

    _log2_quantities(cq, None, 2, "BestKeeper input")
    x = cq.astype(float)
    x.columns = [str(c) for c in x.columns]
    if (x <= 0).any().any():
        raise InputError("Cq values ≤ 0; expected positive Cq", "BestKeeper input")
    idx_genes = list(x.columns) if index_genes is None else [str(g) for g in index_genes]
    unknown = sorted(set(idx_genes) - set(x.columns))
    if unknown:
        raise ConfigError(
            f"index genes {unknown} are not columns; expected some of {list(x.columns)}",
            "BestKeeper input",
        )
    index = np.exp(np.log(x[idx_genes]).mean(axis=1)).to_numpy()
    am = x.mean()
    tests = [pearson(x[g].to_numpy(), index) for g in x.columns]
    return pd.DataFrame(
        {
            "n": x.count(),
            "gm": np.exp(np.log(x).mean()),
            "am": am,
            "min": x.min(),
            "max": x.max(),
            "sd": (x - am).abs().mean(),
            "cv": 100 * (x - am).abs().mean() / am,
            "r": [r for r, _ in tests],
            "p": [p for _, p in tests],
        }
    )


# --------------------------------------------------------------------------------------------
# consensus table


def stability_table(
    cq: pd.DataFrame,
    groups: Sequence[object] | pd.Series | None = None,
    efficiency: Mapping[str, float] | None = None,
    cutoff: float = 0.15,
    warnings: Sequence[Mapping[str, str]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``reference_genes.csv`` table and the geNorm steps table.

    A gene that a warning of :func:`reference_gene_warnings` says not to use (severity
    ``warning``) is never ``recommended``: geNorm's recommended number of genes is filled
    from the next genes of the consensus rank without such a warning. ``warnings`` are those
    of the same output (all candidates); by default they are computed here with ``groups`` as
    the one factor (named after the Series, else ``group``); without groups there are none.

    Returns
    -------
    genes : DataFrame
        ``target, rank, genorm_m`` (M within the full candidate set), ``genorm_rank`` (1, 1, 3,
        …), ``normfinder_stability``, ``bestkeeper_sd``, ``bestkeeper_cv``, ``bestkeeper_r``,
        ``bestkeeper_p``, ``recommended`` (geNorm's recommended number of genes, best first,
        skipping genes with a warning), ``warning`` (those warnings' messages, "" for none).
        ``rank`` is the consensus: geNorm exclusion order with NormFinder ρ breaking the final
        tie. Best first.
    steps : DataFrame
        ``step, genes_left, excluded, mean_m, pairwise, v`` where ``v`` is V_{n/n+1} with
        n + 1 = ``genes_left`` (label in ``pairwise``, e.g. ``V2/3``); NaN on the last row.
    """
    gn = genorm(cq, efficiency, cutoff)
    nf = normfinder(cq, groups, efficiency)
    bk = bestkeeper(cq)
    first, second = gn.best_pair
    order = gn.order
    if nf.stability[second] < nf.stability[first]:
        order = [second, first, *order[2:]]
    table = pd.DataFrame({"target": order, "rank": np.arange(1, len(order) + 1)})
    table["genorm_m"] = gn.m.reindex(order).to_numpy()
    table["genorm_rank"] = gn.ranking.set_index("target")["rank"].reindex(order).to_numpy()
    table["normfinder_stability"] = nf.stability.reindex(order).to_numpy()
    for col in ("sd", "cv", "r", "p"):
        table[f"bestkeeper_{col}"] = bk[col].reindex(order).to_numpy()
    if warnings is None:
        warnings = _group_warnings(cq, groups)
    against: dict[str, list[str]] = {}
    for w in warnings:
        if w["severity"] == "warning":
            against.setdefault(str(w["target"]), []).append(w["message"])
    usable = [g for g in order if g not in against]
    table["recommended"] = table["target"].isin(usable[: len(gn.recommended)])
    table["warning"] = [" ".join(against.get(g, [])) for g in order]

    pw = gn.pairwise.assign(
        genes_left=gn.pairwise["n"] + 1,
        pairwise=[f"V{n}/{n + 1}" for n in gn.pairwise["n"]],
    )
    steps = gn.steps.merge(pw[["genes_left", "pairwise", "v"]], on="genes_left", how="left")
    return table, steps


def _group_warnings(cq: pd.DataFrame, groups: object) -> list[dict[str, str]]:
    """:func:`reference_gene_warnings` for every candidate, ``groups`` as the one factor."""
    if groups is None:
        return []
    labels = _group_labels(groups, cq.index, "stability groups")
    name = str(getattr(groups, "name", None) or "group")
    stacked = cast(pd.Series, cq.rename_axis(index="sample", columns="target").stack())
    stacked = stacked.rename("cq_mean")
    samples = stacked.reset_index()
    samples[name] = samples["sample"].map(dict(zip(cq.index, labels, strict=True)))
    return reference_gene_warnings(samples, list(cq.columns), {name: sorted(set(labels))})


# --------------------------------------------------------------------------------------------
# warnings


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
    by more than ``max_effect`` cycles in mean Cq.

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
    list of dict with ``rule``, ``target``, ``severity``, ``message``.
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
    dependence = {t: _factor_effects(samples, t, list(factors)) for t in pool}
    unstable = {t for t, eff in dependence.items() if _flagged(eff, alpha, max_effect)}
    listed = {*HYPOXIA_RESPONSIVE, *HYPOXIA_SOFT}
    stable = sorted(
        (t for t in pool if t not in unstable and _canonical(t) not in listed),
        key=lambda t: max((e for _, e in dependence[t].values()), default=0.0),
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
        canon = _canonical(gene)
        if oxygen and canon in HYPOXIA_RESPONSIVE:
            out.append(
                {
                    "rule": "hypoxia_responsive",
                    "target": gene,
                    "severity": "warning",
                    "message": (
                        f"{gene} is a known hypoxia (HIF) target and the design has an oxygen "
                        f"factor ({', '.join(oxygen)}); normalising to it can bias every "
                        f"fold change under hypoxia. {suggestion(gene)}"
                    ),
                }
            )
        elif oxygen and canon in HYPOXIA_SOFT:
            out.append(
                {
                    "rule": "hypoxia_soft",
                    "target": gene,
                    "severity": "note",
                    "message": (
                        f"{gene} has been reported to vary under hypoxia (or is not an mRNA, "
                        f"for 18S) and the design has an oxygen factor ({', '.join(oxygen)}); "
                        f"check its stability. {suggestion(gene)}"
                    ),
                }
            )
        for factor, (p, effect) in dependence[gene].items():
            if p < alpha or effect > max_effect:
                out.append(
                    {
                        "rule": "reference_depends_on_factor",
                        "target": gene,
                        "severity": "warning",
                        "message": (
                            f"the Cq of reference gene {gene} changes with {factor} (largest "
                            f"difference between level means {effect:.2f} cycles, ANOVA "
                            f"p = {p:.3g}); a reference must not respond to the treatment. "
                            f"{suggestion(gene)}"
                        ),
                    }
                )
    return out


def _flagged(effects: dict[str, tuple[float, float]], alpha: float, max_effect: float) -> bool:
    return any(p < alpha or e > max_effect for p, e in effects.values())


def _factor_effects(
    samples: pd.DataFrame, target: str, factors: list[str]
) -> dict[str, tuple[float, float]]:
    """(p, max - min level mean in cycles) per factor for one target's per-sample Cq.

    p is the type II F test of the factor in the additive OLS model ``cq ~ Σ factors``
    (NaN when the model has no residual variance, residuals at rounding level included, or no
    degrees of freedom).
    """
    from .stats.dist import f_sf

    data = samples.loc[samples["target"].astype(str) == target, ["cq_mean", *factors]].dropna()
    usable = [f for f in factors if data[f].nunique() > 1]
    if not usable or len(data) < 3:
        return {}
    blocks = {
        f: pd.get_dummies(data[f].astype(str), drop_first=True, dtype=float).to_numpy()
        for f in usable
    }
    y = data["cq_mean"].to_numpy(dtype=float)
    ones = np.ones((len(y), 1))

    def fit(parts: list[np.ndarray]) -> tuple[float, int]:  # residual SS and df
        x = np.hstack([ones, *parts])
        beta, _, rank, _ = np.linalg.lstsq(x, y, rcond=None)
        return float(np.sum((y - x @ beta) ** 2)), len(y) - int(rank)

    ssr, df_resid = fit(list(blocks.values()))
    # residuals at rounding level (identical Cq values) are no variance: an F test of them
    # would give an arbitrary p
    noise = len(y) * (1e3 * np.finfo(float).eps * float(np.abs(y).max())) ** 2
    testable = df_resid > 0 and ssr > noise
    out = {}
    for f in usable:
        p = float("nan")
        if testable:
            ssr_r, df_r = fit([b for g, b in blocks.items() if g != f])
            df_f = df_r - df_resid
            p = f_sf((ssr_r - ssr) / df_f / (ssr / df_resid), df_f, df_resid)
        level_means = data.groupby(data[f].astype(str))["cq_mean"].mean()
        out[f] = (p, float(level_means.max() - level_means.min()))
    return out
