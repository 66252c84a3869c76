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

    Returns
    -------
    DataFrame indexed by gene with columns ``n, gm, am, min, max, sd, cv, r, p``.
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
