"""Reference-gene stability: geNorm, NormFinder, BestKeeper and hypoxia warnings (methods.md §4).

Input of the three algorithms is a wide table of Cq values, one row per biological sample (after
technical-replicate aggregation) and one column per candidate gene. Genes are turned into log2
relative quantities ``y = -Cq · log2(E)`` (E = amplification factor, default 2); any per-gene
offset (e.g. ``min Cq``) cancels in every statistic used here.

Consensus rank (``stability_table``): genes are ordered by geNorm's stepwise exclusion (the gene
excluded last is most stable); the last two genes, which geNorm cannot rank against each other,
are ordered by NormFinder's stability ρ (lower first). Genes are therefore ranked 1..k without
ties.

Modules: :mod:`~qpcr.stability.genorm`, :mod:`~qpcr.stability.normfinder`,
:mod:`~qpcr.stability.bestkeeper`, :mod:`~qpcr.stability.table` (the wide Cq table and the
consensus table) and :mod:`~qpcr.stability.warnings` (reference-gene warnings, hypoxia lists).
"""

from .bestkeeper import bestkeeper
from .genorm import GenormResult, best_pair, genorm
from .normfinder import NormfinderResult, normfinder
from .table import cq_matrix, stability_table
from .warnings import (
    CANDIDATES_TO_TEST,
    HYPOXIA_RESPONSIVE,
    HYPOXIA_SOFT,
    HYPOXIA_SOURCES,
    reference_gene_warnings,
)

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
