"""The wells as the QC rules of :mod:`qpcr.qc` read them: their columns as arrays with each
well's replicate group numbered once (:class:`_Plate`), sample types sorted out once, the
vendor flags that ``exclude_flags`` names, and the wells' records that the events are made of."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from .config import AnalysisConfig
from .errors import ConfigError, did_you_mean
from .grouped import group_codes, records
from .schema import VENDOR_FLAGS

#: The wells' columns that the QC events read.
_EVENT_SOURCES = ("plate", "well", "sample", "target", "sample_type", "cq", "cq_used", "flags",
                  "excluded", "censored", "exclude_code", "exclude_reason")  # fmt: skip

#: The keys of a replicate group.
_KEYS = ("plate", "sample", "target")


class _Plate(NamedTuple):
    """The columns the rules read, as arrays, and each well's replicate group (plate × sample
    × target) numbered once for every rule."""

    cq: np.ndarray
    cq_used: np.ndarray
    nondetect: np.ndarray
    censored: np.ndarray
    group: npt.NDArray[np.intp]
    keyed: npt.NDArray[np.bool_]  # the well has every key (one missing: in no group)
    cq1: np.ndarray  # each well's single-copy Cq (``outlier_rule = "poisson"``; else empty)
    factor: np.ndarray  # each well's amplification factor E (as ``cq1``)

    @classmethod
    def of(cls, w: pd.DataFrame, state: tuple[np.ndarray, ...], config: AnalysisConfig) -> _Plate:
        """The arrays of the wells ``w`` and their non-detect ``state``
        (:func:`qpcr.censoring.nondetect_state`)."""
        from .lowcopy import single_copy_cqs

        keys = [w[k] for k in _KEYS if k in w]
        keyed = ~np.logical_or.reduce([pd.isna(k.to_numpy()) for k in keys], initial=False)
        cq1 = factor = np.empty(0)
        if config.outlier_rule == "poisson":  # each target's once
            target, names = pd.factorize(w["target"].to_numpy(), use_na_sentinel=False)
            cq1 = single_copy_cqs(names, config)[target]
            factor = amplification_factors(names, config)[target]
        nondetect, cq_used, censored = state
        return cls(w["cq"].to_numpy(dtype=float), cq_used, nondetect, censored,
                   group_codes(keys, len(w)), keyed, cq1, factor)  # fmt: skip

    def groups(self, at: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        """The replicate groups of the wells at positions ``at`` numbered 0, 1, … in order of
        first appearance among them (as :func:`qpcr.grouped.group_codes` numbers them)."""
        return pd.factorize(self.group[at])[0]


def amplification_factors(targets: Iterable[object], config: AnalysisConfig) -> np.ndarray:
    """The amplification factor E of each of ``targets`` when the QC rules run: its
    ``[efficiency]`` entry, else 2.0 (as the quantification reads the settings; efficiencies
    from standard curves are fitted after the QC, from the wells it kept).

    Parameters
    ----------
    targets
        Target names (e.g. the ``target`` column of the wells).
    config
        The settings (``efficiency``).

    Returns
    -------
    numpy.ndarray
        One E per target.

    Examples
    --------
    >>> amplification_factors(["MYC", "GAPDH"], AnalysisConfig(efficiency={"MYC": 1.85})).tolist()
    [1.85, 2.0]
    """
    return np.array([config.efficiency.get(str(t), 2.0) for t in targets], dtype=float)


def _bools(column: pd.Series, missing: bool | None) -> npt.NDArray[np.bool_]:
    """A column as booleans: ``astype(bool)``, a missing value read as ``missing`` first
    (None: as ``astype`` reads it); a boolean column as it is."""
    if column.dtype == bool:
        return column.to_numpy()
    return (column if missing is None else column.fillna(missing)).astype(bool).to_numpy()


def _among(values: np.ndarray) -> Callable[[Collection[str]], npt.NDArray[np.bool_]]:
    """``isin`` for one column asked several times: its distinct values sorted out once."""
    number, distinct = pd.factorize(values, use_na_sentinel=False)

    def among(names: Collection[str]) -> npt.NDArray[np.bool_]:
        return np.array([v in names for v in distinct], dtype=bool)[number]

    return among


def _sources(table: pd.DataFrame) -> list[str]:
    """The columns of the wells that the events read."""
    return [c for c in _EVENT_SOURCES if c in table]


def _rows(table: pd.DataFrame, masks: dict[str, np.ndarray]) -> dict[str, list[dict]]:
    """The records of the wells each mask selects (each an event's row, with ``at``: its
    position), all taken in one pass."""
    at = np.flatnonzero(np.logical_or.reduce(list(masks.values())))
    if not len(at):
        return {name: [] for name in masks}
    taken = dict(zip(at.tolist(), records(table, _sources(table), at), strict=True))
    for position, row in taken.items():
        row["at"] = position
    return {name: [taken[i] for i in np.flatnonzero(m).tolist()] for name, m in masks.items()}


def _wanted_flags(wanted: Sequence[str], where: str) -> list[str]:
    """The vendor flag codes ``exclude_flags`` names (upper case; '*' = every flag), checked;
    ``where``: where the setting was given, for an unknown code's error."""
    wanted = [code.upper() for code in wanted]
    unknown = [code for code in wanted if code != "*" and code not in VENDOR_FLAGS]
    if unknown:
        raise ConfigError(
            f"'{unknown[0]}' is not a vendor flag code; expected one of "
            f"{', '.join(VENDOR_FLAGS)}, or '*' for any flag",
            where=where,
            hint=did_you_mean(unknown[0], VENDOR_FLAGS),
        )
    return wanted


def _matching_flags(flags: pd.Series, wanted: list[str]) -> np.ndarray:
    """Per well, its flags that ``wanted`` names (';'-joined; '*' = every flag)."""
    if not wanted:
        return np.full(len(flags), "", dtype=object)
    return flags.map(
        lambda text: ";".join(f for f in text.split(";") if f and ("*" in wanted or f in wanted))
    ).to_numpy(dtype=object)
