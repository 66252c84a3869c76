"""The QC stage's fast paths held to the formulations they replace (issue 14): each test
computes the plain formulation here and asks for equality to the last bit."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from qpcr.outliers import _exact_cq_sd


def _plain_cq_sd(copies: float, log_e: float) -> float:
    """The SD of log_E N over N ~ Poisson(λ) given N ≥ 1, summed over freshly made terms."""
    from scipy import special

    k = np.arange(1.0, math.ceil(copies + 12.0 * math.sqrt(copies) + 30.0))
    p = np.exp(k * math.log(copies) - copies - special.gammaln(k + 1.0))
    p /= p.sum()
    x = np.log(k) / log_e
    mean = float(p @ x)
    return math.sqrt(float(p @ (x - mean) ** 2))


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.floats(1e-6, 2000.0), st.integers(1, 2000).map(float)),
    st.sampled_from([2.0, 1.9, 1.75]),
)
def test_exact_cq_sd_from_shared_terms_equals_fresh_sum(copies: float, efficiency: float) -> None:
    log_e = math.log(efficiency)
    assert _exact_cq_sd.__wrapped__(copies, log_e) == _plain_cq_sd(copies, log_e)
