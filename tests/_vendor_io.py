"""Helpers shared by the vendor reader tests (Bio-Rad, Thermo, Roche, Rotor-Gene, Agilent, run
files): fixture paths, exports read from the shared folder, golden CSVs."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qpcr.schema import check_wells

DATA = Path(__file__).parent / "data"
EXPORTS = DATA / "exports"
EXPECTED = DATA / "expected"
NUMERIC = ("cq", "quantity")

#: The read-only folder beside the checkout (``../shared``); ``QPCR_SHARED`` points elsewhere.
SHARED = Path(os.environ.get("QPCR_SHARED") or Path(__file__).parents[1].parent / "shared")

#: Exports whose source states no licence, so the project does not redistribute them: the name
#: the tests (and the golden CSV in ``tests/data/expected``) use → the file in SHARED.
NOT_REDISTRIBUTED = {
    "biorad/biorad_cfx_connect_atpsynthase_hsp70-Quantification-Cq-Results.csv": (
        "exports/biorad-cfx/sam_2024-03-25_06-10-54_Connect-Quantification-Cq-Results.csv"
    ),
    "biorad/biorad_cfx_connect_viperin-Quantification-Cq-Results.csv": (
        "exports/biorad-cfx/sam_2025-06-03_16-25-01_Connect-VIPERIN-Quantification-Cq-Results.csv"
    ),
    "biorad/biorad_cfx_connect_atpsynthase-Quantification-Amplification_Results.csv": (
        "exports/biorad-cfx/"
        "sam_2024-03-25_06-10-54_Connect-Quantification-Amplification_Results-ATPsynthase.csv"
    ),
    "biorad/biorad_maestro5_cact-Quantification-Cq_Results.csv": (
        "exports/biorad-cfx/sam_2023-12-10_07-50-37_Connect-Quantification-Cq_Results.csv"
    ),
    "biorad/biorad_maestro5_cact - Run Information.csv": (
        "exports/biorad-cfx/sam_2023-12-10_07-50-37_Connect - Run Information.csv"
    ),
    "biorad/biorad_maestro5_cact_backslash_zip-Quantification-Cq-Results.xlsx": (
        "exports/biorad-cfx/sam_2023-12-10_07-50-37_Connect-Quantification-Cq-Results.xlsx"
    ),
    "biorad/biorad_cfx_connect_3targets_dilutions-Quantification-Cq-Results.csv": (
        "exports/biorad-cfx/sam_2023-11-19_08-35-30_Connect-Quantification-Cq-Results.csv"
    ),
    "thermo/thermo_classic_qs6_96_sybr.xls": (
        "exports/abi-quantstudio-classic/2015-01-13 143837 - 0d sph - neural check.xls"
    ),
}


def export_file(name: str) -> Path:
    """The export ``<folder>/<file>``: from ``tests/data/exports``, or for an export the project
    does not redistribute (:data:`NOT_REDISTRIBUTED`) from the shared folder; the test is skipped
    when that copy is absent."""
    if name not in NOT_REDISTRIBUTED:
        return EXPORTS / name
    path = SHARED / NOT_REDISTRIBUTED[name]
    if not path.is_file():
        pytest.skip(f"{name} states no licence, so it is read from {path}, which is absent")
    return path


def golden_path(export: Path) -> Path:
    """``tests/data/expected/<folder>/<export name, dots as _>.csv`` for an export (named as in
    ``tests/data/exports``, also when it is read from the shared folder)."""
    return EXPECTED / export.parent.name / f"{export.name.replace('.', '_')}.csv"


def as_golden(wells: pd.DataFrame) -> pd.DataFrame:
    """The wells table as it reads back from CSV (text cells, numbers as float)."""
    buffer = io.StringIO()
    wells.to_csv(buffer, index=False)
    buffer.seek(0)
    return read_golden(buffer)


def read_golden(source: Path | io.StringIO) -> pd.DataFrame:
    """A golden CSV with every column as text except ``cq`` and ``quantity`` (floats)."""
    table = pd.read_csv(source, dtype=str, keep_default_na=False)
    for col in NUMERIC:
        if col in table:
            table[col] = pd.to_numeric(table[col].replace("", np.nan))
    return table


def assert_matches_golden(wells: pd.DataFrame, export: Path) -> None:
    """The reader's wells equal the golden CSV (numbers to 1e-9)."""
    assert check_wells(wells) == []
    expected = read_golden(golden_path(export))
    pd.testing.assert_frame_equal(as_golden(wells), expected, check_exact=False, rtol=0, atol=1e-9)


def cq_or_nan(text: str, decimal: str = ".") -> float:
    """Independent Cq parse for the tests: a number, else NaN."""
    text = text.strip()
    if decimal == ",":
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return float("nan")
    return value if value > 0 else float("nan")
