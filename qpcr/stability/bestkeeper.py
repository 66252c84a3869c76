"""BestKeeper (Pfaffl et al. 2004): descriptive statistics of raw Cq per candidate gene."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from qpcr.errors import ConfigError, InputError

from ._common import _log2_quantities

__all__ = ["bestkeeper"]


def bestkeeper(cq: pd.DataFrame, index_genes: Sequence[str] | None = None) -> pd.DataFrame:
    """BestKeeper descriptive statistics (Pfaffl et al. 2004) on raw Cq.

    Per gene: ``gm`` geometric mean, ``am`` arithmetic mean, ``min``, ``max``, ``sd`` = mean
    absolute deviation Σ|x - x̄|/n (Excel AVEDEV, cycles), ``cv`` = 100·sd/am (%), and Pearson
    ``r``/``p`` against the BestKeeper index (per-sample geometric mean of the Cq of
    ``index_genes``, default all genes). Genes with sd > 1 cycle are considered inconsistent.

    Parameters
    ----------
    cq : DataFrame
        Cq, samples as rows, candidate genes (≥ 2) as columns, no missing values.
    index_genes : sequence of str, optional
        Genes of the BestKeeper index (default all genes).

    Returns
    -------
    DataFrame
        Indexed by gene with columns ``n, gm, am, min, max, sd, cv, r, p``.

    Examples
    --------
    >>> import pandas as pd
    >>> cq = pd.DataFrame({"ACTB": [18.1, 18.3, 17.9, 18.6, 18.2, 18.4],
    ...                    "GAPDH": [20.0, 20.4, 19.8, 21.6, 21.9, 21.2],
    ...                    "TBP": [26.2, 26.5, 26.0, 26.6, 26.3, 26.4],
    ...                    "HPRT1": [24.9, 25.3, 24.8, 25.5, 25.0, 25.2]},
    ...                   index=["c1", "c2", "c3", "h1", "h2", "h3"])
    >>> bestkeeper(cq)[["n", "gm", "sd", "cv", "r"]].round(3)
           n      gm     sd     cv      r
    ACTB   6  18.249  0.183  1.005  0.907
    GAPDH  6  20.801  0.750  3.603  0.928
    TBP    6  26.333  0.167  0.633  0.854
    HPRT1  6  25.116  0.217  0.863  0.814
    """
    from ..stats.dist import pearson

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
