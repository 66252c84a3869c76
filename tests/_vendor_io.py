"""Helpers shared by the vendor reader tests (Bio-Rad, Roche, Rotor-Gene, Agilent, run files)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from qpcr.schema import check_wells

DATA = Path(__file__).parent / "data"
EXPORTS = DATA / "exports"
EXPECTED = DATA / "expected"
NUMERIC = ("cq", "quantity")


def golden_path(export: Path) -> Path:
    """``tests/data/expected/<folder>/<export name, dots as _>.csv`` for an export."""
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
