"""NormFinder (Andersen, Jensen & Ørntoft 2004), clean-room from methods.md §4.2."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from qpcr.errors import DesignError

from ._common import _group_labels, _log2_quantities

__all__ = ["NormfinderResult", "normfinder"]


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

    Returns
    -------
    NormfinderResult
        ρ per gene, the variance components and the scored pairs.

    Examples
    --------
    Three normoxic and three hypoxic samples; GAPDH rises under hypoxia:

    >>> import pandas as pd
    >>> cq = pd.DataFrame({"ACTB": [18.1, 18.3, 17.9, 18.6, 18.2, 18.4],
    ...                    "GAPDH": [20.0, 20.4, 19.8, 21.6, 21.9, 21.2],
    ...                    "TBP": [26.2, 26.5, 26.0, 26.6, 26.3, 26.4],
    ...                    "HPRT1": [24.9, 25.3, 24.8, 25.5, 25.0, 25.2]},
    ...                   index=["c1", "c2", "c3", "h1", "h2", "h3"])
    >>> result = normfinder(cq, groups=["normoxia"] * 3 + ["hypoxia"] * 3)
    >>> result.stability.round(3).to_dict()
    {'ACTB': 0.193, 'GAPDH': 0.605, 'TBP': 0.202, 'HPRT1': 0.234}
    >>> result.best_pair, round(result.best_pair_stability, 3)
    (('ACTB', 'TBP'), 0.251)
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
        return _ungrouped(values, genes, levels)

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


def _ungrouped(values: np.ndarray, genes: list[str], levels: list[object]) -> NormfinderResult:
    """NormFinder without groups: ρ_i = σ_i; pairs among the genes with σ < min σ + 0.1."""
    k = len(genes)
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
