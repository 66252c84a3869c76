"""The vocabularies of the choice settings that a module implements: one ``Literal`` each.

They live here, apart from the modules that implement them (which import them from here), so
that :mod:`qpcr.settings` resolves every setting's type, and a command's ``--help`` lists the
choices, without importing numpy or pandas. A choice no module implements is a ``Literal``
written on its field in :mod:`qpcr.settings`.
"""

from typing import Literal

__all__ = ["Adjust", "ContrastMethod", "Estimate", "OutlierRule", "Policy", "Test"]

#: The ``test`` setting: how a group is compared with its control (``auto`` and ``paired`` are
#: resolved per comparison in :mod:`qpcr.groups`; the others run in
#: :func:`qpcr.stats.two_group_test`).
Test = Literal["auto", "welch", "paired", "student", "mann-whitney", "permutation"]

#: The ``adjust`` setting: multiple-testing adjustment (:func:`qpcr.stats.adjust_pvalues`).
Adjust = Literal["holm", "bh", "bonferroni", "none"]

#: The ``factorial_method`` setting: the error model of factorial contrasts
#: (:func:`qpcr.stats.factorial_contrasts`).
ContrastMethod = Literal["rcbd", "paired", "welch"]

#: The ``nondetect_policy`` setting: what a non-detect's Cq becomes (:mod:`qpcr.censoring`).
Policy = Literal["censor", "exclude", "substitute"]

#: The ``outlier_rule`` setting: how technical-replicate outliers are found
#: (:mod:`qpcr.outliers`, where it is ``Method``).
OutlierRule = Literal["range", "poisson", "mad", "grubbs", "none"]

#: ``low_copy_estimate``: the Cq of a low-copy replicate group from its copies per well
#: (``poisson``), the mean of its Cq values (``mean_cq``), or ``poisson`` for the targets
#: whose single-copy Cq was measured and ``mean_cq`` for the others (``auto``)
#: (:mod:`qpcr.lowcopy`).
Estimate = Literal["auto", "poisson", "mean_cq"]
