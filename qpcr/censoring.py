"""Non-detects and the detection limit (methods §2.9).

A non-detect is a reaction that did not cross the threshold within the cycle limit L: its Cq is
only known to be ≥ L (right-censored). Replacing it by L and treating it as a measurement biases
Cq downwards (expression upwards; McCall et al. 2014), so the default is to keep it as a bound.
"""

from __future__ import annotations

from typing import get_args

import numpy as np
import pandas as pd

from .errors import ConfigError, InputError
from .vocabularies import Policy

__all__ = ["POLICIES", "apply_nondetect_policy", "nondetect_state"]

POLICIES: tuple[Policy, ...] = get_args(Policy)
#: The label written to the ``nd_policy`` column.
POLICY_LABELS: dict[Policy, str] = {
    "censor": "censor",
    "exclude": "exclude",
    "substitute": "substitute (sensitivity analysis)",
}
#: Methods-text wording ("undetermined (non-detect) wells were ..."); ``{limit}``: the cycle limit.
POLICY_METHODS_TEXT: dict[Policy, str] = {
    "censor": "set to the cycle limit {limit:g} and flagged (results involving them are bounds)",
    "exclude": "excluded",
    "substitute": "substituted by {limit:g} as a sensitivity analysis",
}


def apply_nondetect_policy(
    wells: pd.DataFrame, policy: Policy = "censor", limit: float = 40.0
) -> pd.DataFrame:
    """Return a copy of ``wells`` with the Cq to analyse and the non-detect state.

    A row is a non-detect when ``cq_status == "undetermined"`` or its Cq is ≥ ``limit``.

    Parameters
    ----------
    wells
        The wells table; needs ``cq`` and ``cq_status``.
    policy
        What a non-detect's Cq becomes (the ``nondetect_policy`` setting):

        - ``censor`` (default): ``limit``, with ``censored=True``: the value is a lower bound of
          Cq, so quantities and fold changes built on it are bounds ("≤ x-fold"/"≥ x-fold").
        - ``substitute``: ``limit`` treated as a measurement (``censored=False``); allowed only
          as a labelled sensitivity analysis (McCall et al. 2014).
        - ``exclude``: NaN (the non-detect is dropped; biased, kept for comparison).
    limit
        The cycle limit L (cycles).

    Returns
    -------
    pandas.DataFrame
        ``wells`` with the added columns ``nondetect`` (bool: the row is a non-detect),
        ``cq_used`` (float, cycles: ``cq`` for detected rows with ``cq_status == "ok"``; NaN for
        ``missing``/``omitted``/``invalid``; for non-detects as ``policy`` says), ``censored``
        (bool: ``cq_used`` is a right-censoring point, not a measurement) and ``nd_policy``
        (str: the policy label, e.g. ``"substitute (sensitivity analysis)"``).

    Raises
    ------
    ConfigError
        An unknown ``policy``, or a ``limit`` that is not a positive number.
    InputError
        ``wells`` lacks ``cq`` or ``cq_status``.

    Examples
    --------
    >>> import pandas as pd
    >>> wells = pd.DataFrame({"well": ["A1", "A2", "A3"], "cq": [24.1, None, 41.2],
    ...                       "cq_status": ["ok", "undetermined", "ok"]})
    >>> apply_nondetect_policy(wells)
      well    cq     cq_status  nondetect  cq_used  censored nd_policy
    0   A1  24.1            ok      False     24.1     False    censor
    1   A2   NaN  undetermined       True     40.0      True    censor
    2   A3  41.2            ok       True     40.0      True    censor
    >>> apply_nondetect_policy(wells, "exclude")[["well", "cq_used", "censored"]]
      well  cq_used  censored
    0   A1     24.1     False
    1   A2      NaN     False
    2   A3      NaN     False
    """
    nondetect, cq_used, censored = nondetect_state(wells, policy, limit)
    return wells.assign(nondetect=nondetect, cq_used=cq_used, censored=censored,
                        nd_policy=POLICY_LABELS[policy])  # fmt: skip


def nondetect_state(
    wells: pd.DataFrame, policy: Policy = "censor", limit: float = 40.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The columns :func:`apply_nondetect_policy` adds, as arrays (no table built).

    Parameters
    ----------
    wells, policy, limit
        As :func:`apply_nondetect_policy`.

    Returns
    -------
    tuple of numpy.ndarray
        ``(nondetect, cq_used, censored)``, one entry per row.

    Raises
    ------
    ConfigError, InputError
        As :func:`apply_nondetect_policy`.

    Examples
    --------
    >>> import pandas as pd
    >>> wells = pd.DataFrame({"cq": [24.1, None], "cq_status": ["ok", "undetermined"]})
    >>> nondetect_state(wells)
    (array([False,  True]), array([24.1, 40. ]), array([False,  True]))
    """
    if policy not in POLICIES:
        raise ConfigError(
            f"non-detect policy {policy!r}; expected one of {', '.join(POLICIES)}",
            where="non-detects",
        )
    if not (np.isfinite(limit) and limit > 0):
        raise ConfigError(f"cycle limit {limit!r}; expected a positive number", where="non-detects")
    missing = [c for c in ("cq", "cq_status") if c not in wells.columns]
    if missing:
        raise InputError(f"wells table lacks column(s) {missing}", where="non-detects")
    column = wells["cq"]
    if column.dtype == np.float64:  # numbers already: to_numeric would give them back
        cq = column.to_numpy()
    else:
        cq = pd.to_numeric(column, errors="coerce").astype(float).to_numpy()
    # the statuses as cells (missing: ''), compared without a pandas call per status
    status = wells["cq_status"].to_numpy(dtype=object, na_value="")
    ok = (status == "ok") & ~np.isnan(cq)
    beyond = ok & (cq >= limit)
    nondetect = (status == "undetermined") | beyond
    cq_used = np.where(ok & ~beyond, cq, np.nan)
    if policy != "exclude":
        cq_used = np.where(nondetect, float(limit), cq_used)
    return nondetect, cq_used, nondetect & (policy == "censor")
