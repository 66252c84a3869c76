"""Genotyping results tables (``Allele1 Ct``, ``Allele2 Ct``): one row per well × allele.

A QuantStudio / ViiA 7 genotyping run exports one row per well with the SNP assay, both
alleles' Ct and the genotype call. The wells table wants one row per well × target, so each
allele becomes a target ``<assay>-<allele name>`` (``CYP19_2-Allele 1``, as Design & Analysis
names them) whose reporter is the allele's dye from ``[Sample Setup]``; the call stays on both
rows.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ...errors import ExportParseError
from .._tabular import as_text, norm_header
from ._common import _Table

__all__ = ["allele_rows", "is_genotyping"]

_ALLELES = ("allele1", "allele2")


def _column(data: pd.DataFrame, name: str) -> Any:
    return next((c for c in data.columns if norm_header(c).replace(" ", "") == name), None)


def _well_keys(data: pd.DataFrame) -> list[str]:
    """Each row's well as written (``Well Position``, else ``Well``), to match two tables."""
    column = _column(data, "wellposition")
    column = column if column is not None else _column(data, "well")
    return [as_text(v) for v in data[column]] if column is not None else [""] * len(data)


def is_genotyping(table: _Table) -> bool:
    """Whether a results table holds allele Cts instead of a target and a Cq column.

    Parameters
    ----------
    table : _Table
        A results table.

    Returns
    -------
    bool
        True when it has ``Allele1 Ct`` and ``Allele2 Ct`` columns.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame(columns=["Well", "SNP Assay Name", "Allele1 Ct", "Allele2 Ct"])
    >>> is_genotyping(_Table(data, "run.txt [Results]", 3, "line", []))
    True
    """
    return all(_column(table.data, f"{a}ct") is not None for a in _ALLELES)


def allele_rows(table: _Table, setup: pd.DataFrame | None) -> _Table:
    """The genotyping table as one row per well × allele, in the column names of an expression
    table (``Target Name``, ``Reporter``, ``CT``; ``Well``, ``Sample Name``, ``Task``, ``Omit``
    and ``Call`` as exported).

    Parameters
    ----------
    table : _Table
        A results table for which :func:`is_genotyping` holds.
    setup : DataFrame, optional
        The ``[Sample Setup]`` table (``Allele1 Name``, ``Allele1 Reporter`` ... per well), or
        None: the alleles are then named ``Allele 1`` / ``Allele 2`` with no reporter.

    Returns
    -------
    _Table
        The long table; its locations point at the original rows.

    Raises
    ------
    ExportParseError
        No ``SNP Assay Name`` column, or a row that ends before an allele Ct.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"Well": ["1"], "Well Position": ["A1"], "Sample Name": ["s1"],
    ...                      "SNP Assay Name": ["CYP19_2"], "Task": ["UNKNOWN"],
    ...                      "Call": ["Heterozygous Allele 1/Allele 2"],
    ...                      "Allele1 Ct": ["25.846"], "Allele2 Ct": ["24.544"]})
    >>> long = allele_rows(_Table(data, "run.txt [Results]", 3, "line", [8]), None)
    >>> long.data[["Well Position", "Target Name", "Reporter", "CT"]]
      Well Position      Target Name Reporter      CT
    0            A1  CYP19_2-Allele 1           25.846
    1            A1  CYP19_2-Allele 2           24.544
    >>> long.at(1, "CT")
    "run.txt [Results] line 3 column 'CT'"
    """
    data = table.data
    assay = _column(data, "snpassayname")
    if assay is None:
        raise ExportParseError(
            f"the genotyping table has no 'SNP Assay Name' column (found "
            f"{', '.join(str(c) for c in data.columns if str(c).strip())})",
            where=table.where,
            hint="Export the genotyping results with their assay names",
        )
    cts = [_column(data, f"{a}ct") for a in _ALLELES]
    last = max(list(data.columns).index(c) for c in cts)
    short = next((i for i, n in enumerate(table.lengths) if n <= last), None)
    if short is not None:
        raise ExportParseError(
            f"the row has {table.lengths[short]} cells and ends before the allele Ct columns; "
            "expected a complete row",
            where=table.at(short),
            hint="The file looks truncated; export it again",
        )
    names = _allele_setup(setup)
    kept = [c for c in data.columns if c not in (*cts, assay)]
    frames = []
    keys = _well_keys(data)
    for k, (allele, ct) in enumerate(zip(_ALLELES, cts, strict=True)):
        part = data[kept].copy()
        default = (f"Allele {k + 1}", "")
        name, reporter = zip(*(names.get((w, allele), default) for w in keys), strict=True)
        part["Target Name"] = [f"{as_text(a)}-{n}" for a, n in zip(data[assay], name, strict=True)]
        part["Reporter"] = list(reporter)
        part["CT"] = data[ct]
        part["_row"] = range(len(data))
        frames.append(part)
    long = pd.concat(frames).sort_values("_row", kind="stable")
    source = long.pop("_row").tolist()
    return _Table(long.reset_index(drop=True), table.where, table.first_row, table.unit,
                  [len(long.columns)] * len(long), source)  # fmt: skip


def _allele_setup(setup: pd.DataFrame | None) -> dict[tuple[str, str], tuple[str, str]]:
    """(well key, allele) → (allele name, reporter) from ``[Sample Setup]``."""
    if setup is None:
        return {}
    found = {}
    for allele in _ALLELES:
        name, reporter = _column(setup, f"{allele}name"), _column(setup, f"{allele}reporter")
        if name is None:
            continue
        for key, n, r in zip(
            _well_keys(setup),
            setup[name],
            setup[reporter] if reporter is not None else [""] * len(setup),
            strict=True,
        ):
            found[(key, allele)] = (as_text(n), as_text(r))
    return found
