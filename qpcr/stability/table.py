"""The consensus stability table (``reference_genes.csv``) and its input, the wide Cq table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

import numpy as np
import pandas as pd

from qpcr.errors import ConfigError, InputError

from ._common import _group_labels
from .bestkeeper import bestkeeper
from .genorm import genorm
from .normfinder import normfinder
from .warnings import reference_gene_warnings

__all__ = ["cq_matrix", "stability_table"]


def cq_matrix(
    samples: pd.DataFrame, candidates: Sequence[str], group: str | None = None
) -> tuple[pd.DataFrame, pd.Series | None, list[str]]:
    """Wide samples × candidates Cq table from a per-sample long table.

    ``samples`` has one row per biological sample × target with ``sample``, ``target``,
    ``cq_mean`` (technical replicates already averaged) and, when ``group`` is given, that
    column. Samples lacking a Cq for any candidate are dropped (returned third, by name).

    Parameters
    ----------
    samples : DataFrame
        The per-sample long table.
    candidates : sequence of str
        The candidate genes (all measured), in the order of the columns wanted.
    group : str, optional
        Factor column whose level per sample is returned as the groups.

    Returns
    -------
    cq : DataFrame
        Samples as rows and the candidates as columns in the given order.
    groups : Series or None
        The group label per sample (None without ``group``).
    dropped : list of str
        The samples left out for a missing Cq.

    Examples
    --------
    Sample c3 has no TBP Cq and is dropped:

    >>> import pandas as pd
    >>> samples = pd.DataFrame({
    ...     "sample": ["c1", "c1", "c2", "c2", "c3", "c3", "h1", "h1"],
    ...     "target": ["ACTB", "TBP"] * 4,
    ...     "cq_mean": [18.1, 26.2, 18.3, 26.5, 17.9, None, 18.6, 26.6],
    ...     "oxygen": ["normoxia"] * 6 + ["hypoxia"] * 2})
    >>> cq, groups, dropped = cq_matrix(samples, ["TBP", "ACTB"], group="oxygen")
    >>> cq
             TBP  ACTB
    sample
    c1      26.2  18.1
    c2      26.5  18.3
    h1      26.6  18.6
    >>> groups.to_dict(), dropped
    ({'c1': 'normoxia', 'c2': 'normoxia', 'h1': 'hypoxia'}, ['c3'])
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

    Parameters
    ----------
    cq : DataFrame
        Cq, samples as rows, candidate genes (≥ 3) as columns, no missing values.
    groups : sequence or Series, optional
        Group label per sample, for NormFinder and the default warnings.
    efficiency : mapping, optional
        Amplification factor per gene (default 2).
    cutoff : float
        geNorm's pairwise-variation cutoff (default 0.15).
    warnings : sequence of dict, optional
        Warnings of :func:`reference_gene_warnings` (default: computed from ``groups``).

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
        ``step, genes_left, excluded_gene, excluded`` (its earlier name, deprecated), ``mean_m,
        pairwise, v`` where ``v`` is V_{n/n+1} with
        n + 1 = ``genes_left`` (label in ``pairwise``, e.g. ``V2/3``); NaN on the last row.

    Examples
    --------
    GAPDH rises under hypoxia and is a known hypoxia target, so it is never recommended:

    >>> import pandas as pd
    >>> cq = pd.DataFrame({"ACTB": [18.1, 18.3, 17.9, 18.6, 18.2, 18.4],
    ...                    "GAPDH": [20.0, 20.4, 19.8, 21.6, 21.9, 21.2],
    ...                    "TBP": [26.2, 26.5, 26.0, 26.6, 26.3, 26.4],
    ...                    "HPRT1": [24.9, 25.3, 24.8, 25.5, 25.0, 25.2]},
    ...                   index=["c1", "c2", "c3", "h1", "h2", "h3"])
    >>> oxygen = pd.Series(["normoxia"] * 3 + ["hypoxia"] * 3, index=cq.index, name="oxygen")
    >>> genes, steps = stability_table(cq, oxygen)
    >>> genes[["target", "rank", "genorm_rank", "normfinder_stability", "recommended"]].round(3)
      target  rank  genorm_rank  normfinder_stability  recommended
    0   ACTB     1            1                 0.193         True
    1    TBP     2            1                 0.202         True
    2  HPRT1     3            3                 0.234        False
    3  GAPDH     4            4                 0.605        False
    >>> steps[["step", "excluded_gene", "pairwise", "v"]].round(3)
       step excluded_gene pairwise      v
    0     1    GAPDH     V3/4  0.187
    1     2    HPRT1     V2/3  0.023
    2     3      NaN      NaN    NaN
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
    # the column's earlier name, kept for one release
    steps.insert(list(steps.columns).index("excluded_gene") + 1, "excluded", steps["excluded_gene"])
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
