"""Statistics on the log2 expression scale: two-group tests, factorial designs, p-value adjustment.

Every function takes a response on the **log2 expression scale** (higher = more expression:
y = −ΔCq with E = 2, or y = log2 NRQ with gene-specific efficiencies), one value per
**biological** sample. An estimate "treated − control" is therefore a log2 fold change,
fold change = 2**estimate, and confidence intervals are computed on log2 and back-transformed
(they are asymmetric on the fold-change scale). Technical replicates are never n, and tests are
never computed on fold-change values (methods.md §3.1, §3.7).

Modules: :mod:`~qpcr.stats.tests` (two-group tests), :mod:`~qpcr.stats.permutation`,
:mod:`~qpcr.stats.adjust` (multiple testing), :mod:`~qpcr.stats.linear` (factorial ANOVA and
contrasts by least squares on numpy), :mod:`~qpcr.stats.mixed` (the REML random-intercept
model for incomplete donors) and :mod:`~qpcr.stats.dist` (t and F tail areas from
``scipy.special``). Neither statsmodels nor ``scipy.stats`` is imported, except ``scipy.stats``
inside the exact rank tests and ``scipy.optimize`` when a mixed model is fitted.
"""

from ._common import _t_ci as _t_ci  # the t interval, for qpcr.calibrator
from .adjust import ADJUST, ADJUST_METHODS_TEXT, Adjust, adjust_pvalues
from .linear import CONTRAST_METHODS, ContrastMethod, factorial_anova, factorial_contrasts
from .permutation import permutation_test
from .tests import TEST_LABELS, TEST_METHODS_TEXT, TESTS, TWO_GROUP_TESTS, Test, two_group_test

__all__ = [
    "ADJUST",
    "ADJUST_METHODS_TEXT",
    "CONTRAST_METHODS",
    "TESTS",
    "TEST_LABELS",
    "TEST_METHODS_TEXT",
    "TWO_GROUP_TESTS",
    "Adjust",
    "ContrastMethod",
    "Test",
    "adjust_pvalues",
    "factorial_anova",
    "factorial_contrasts",
    "permutation_test",
    "two_group_test",
]
