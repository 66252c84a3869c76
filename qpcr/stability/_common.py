"""Input checks shared by the stability algorithms: Cq table → log2 quantities, group labels."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from qpcr.config import parse_efficiency
from qpcr.errors import DesignError, InputError


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
