"""geNorm (Vandesompele et al. 2002): pairwise variation M, stepwise exclusion, V_{n/n+1}."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._common import _log2_quantities

__all__ = ["GenormResult", "best_pair", "genorm"]


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
        ``step, genes_left, excluded_gene, mean_m``: one row per exclusion round (the last row
        has the final two genes and no ``excluded_gene``).
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

    Returns
    -------
    GenormResult
        M per gene, the exclusion steps, the pairwise variations and the ranking.

    Examples
    --------
    Four candidates over six samples; GAPDH moves in the last three:

    >>> import pandas as pd
    >>> cq = pd.DataFrame({"ACTB": [18.1, 18.3, 17.9, 18.6, 18.2, 18.4],
    ...                    "GAPDH": [20.0, 20.4, 19.8, 21.6, 21.9, 21.2],
    ...                    "TBP": [26.2, 26.5, 26.0, 26.6, 26.3, 26.4],
    ...                    "HPRT1": [24.9, 25.3, 24.8, 25.5, 25.0, 25.2]},
    ...                   index=["c1", "c2", "c3", "h1", "h2", "h3"])
    >>> result = genorm(cq)
    >>> result.ranking.round(3)
      target  rank      m
    0   ACTB     1  0.075
    1    TBP     1  0.075
    2  HPRT1     3  0.078
    3  GAPDH     4  0.749
    >>> result.pairwise.round(3)
       n      v
    0  2  0.023
    1  3  0.187
    >>> result.n_recommended, result.recommended
    (2, ['ACTB', 'TBP'])
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
    steps = pd.DataFrame(step_rows, columns=["step", "genes_left", "excluded_gene", "mean_m"])
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

    Parameters
    ----------
    cq : DataFrame
        Cq, samples as rows, candidate genes (≥ 2) as columns, no missing values.
    efficiency : mapping, optional
        Amplification factor per gene (default 2).

    Returns
    -------
    tuple of str
        The two genes.

    Examples
    --------
    >>> import pandas as pd
    >>> cq = pd.DataFrame({"ACTB": [18.1, 18.3, 17.9, 18.6, 18.2, 18.4],
    ...                    "GAPDH": [20.0, 20.4, 19.8, 21.6, 21.9, 21.2],
    ...                    "TBP": [26.2, 26.5, 26.0, 26.6, 26.3, 26.4],
    ...                    "HPRT1": [24.9, 25.3, 24.8, 25.5, 25.0, 25.2]},
    ...                   index=["c1", "c2", "c3", "h1", "h2", "h3"])
    >>> best_pair(cq)
    ('ACTB', 'TBP')
    >>> best_pair(cq[["GAPDH", "TBP"]])
    ('GAPDH', 'TBP')
    """
    if isinstance(cq, pd.DataFrame) and cq.shape[1] == 2:
        _log2_quantities(cq, efficiency, 2, "reference selection")
        first, second = map(str, cq.columns)
        return first, second
    return genorm(cq, efficiency).best_pair
