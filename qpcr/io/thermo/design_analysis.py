"""QuantStudio Design & Analysis exports: v1 (``Block Type,...`` CSV or workbook) and v2
(workbook)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .._tabular import read_text, sniff_delimiter, split_rows
from ..registry import Export, ExportFormat, FileSample, register
from ._common import DA_V1, DA_V2, _text_kind
from ._keyed import _read_keyed, _read_workbook, _sheet_kind

__all__ = ["read_da_v1", "read_da_v2", "sniff_da_v1", "sniff_da_v2"]


def sniff_da_v1(sample: FileSample) -> bool:
    r"""D&A v1: ``Block Type,...`` CSV, or a classic-like workbook with ``Amp Status``.

    Parameters
    ----------
    sample : FileSample
        The head of the file.

    Returns
    -------
    bool
        Whether the file has this layout.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from qpcr.io.registry import FileSample
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.csv"
    >>> rows = [["Block Type", "96-Well 0.2-mL Block"], ["File Name", "run.eds"],
    ...         ["Instrument Type", "QuantStudio 3 System"], [],
    ...         ["Well", "Well Position", "Omit", "Sample Name", "Target Name", "Task",
    ...          "Reporter", "CT", "Amp Status"],
    ...         ["1", "A1", "false", "s1", "GAPDH", "UNKNOWN", "VIC", "18.52", "AMP"],
    ...         ["2", "A2", "false", "s1", "MYC", "UNKNOWN", "FAM", "25.10", "AMP"],
    ...         ["3", "A3", "false", "NTC", "MYC", "NTC", "FAM", "38.90", "NO_AMP"]]
    >>> _ = path.write_text("\n".join(",".join(row) for row in rows) + "\n")
    >>> from qpcr.io.thermo import sniff_classic
    >>> sniff_da_v1(FileSample(path)), sniff_classic(FileSample(path))
    (True, False)
    >>> folder.cleanup()
    """
    if sample.kind == "text":
        return _text_kind(sample) == DA_V1
    return _sheet_kind(sample) == DA_V1


def sniff_da_v2(sample: FileSample) -> bool:
    """D&A v2 workbook (``Software Name and Version`` key or ``Sample/Target/Cq`` table).

    Parameters
    ----------
    sample : FileSample
        The head of the file.

    Returns
    -------
    bool
        Whether the file has this layout.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from qpcr.io.registry import FileSample
    >>> folder = tempfile.TemporaryDirectory()
    >>> import openpyxl
    >>> path = Path(folder.name) / "run.xlsx"
    >>> book = openpyxl.Workbook()
    >>> sheet = book.active
    >>> sheet.title = "Results"
    >>> for row in [["Block Type", "96-Well 0.2-mL Block"],
    ...             ["Instrument Type", "QuantStudio 3 System"],
    ...             ["Software Name and Version", "Design & Analysis Software v2.6.0"], [],
    ...             ["Well", "Well Position", "Omit", "Sample", "Target", "Task", "Reporter", "Cq"],
    ...             [1, "A1", False, 200.0, "GAPDH", "STANDARD", "VIC", 18.52],
    ...             [2, "A2", False, "s1", "GAPDH", "UNKNOWN", "VIC", 21.3]]:
    ...     sheet.append(row)
    >>> book.save(path)
    >>> sniff_da_v2(FileSample(path)), sniff_da_v1(FileSample(path))
    (True, False)
    >>> folder.cleanup()
    """
    return sample.kind != "text" and _sheet_kind(sample) == DA_V2


def read_da_v1(path: Path, sample: FileSample | None = None) -> Export:
    r"""Read a Design & Analysis v1 export (``Block Type,...`` CSV or workbook).

    A well whose ``Amp Status`` is ``NO_AMP`` is undetermined whatever its Cq.

    Parameters
    ----------
    path : Path
        The export.
    sample : FileSample, optional
        Its head, as the sniffer saw it (with the decimal mark the user gave).

    Returns
    -------
    Export
        The wells table, run metadata and any curve tables.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from qpcr.io.registry import FileSample
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.csv"
    >>> rows = [["Block Type", "96-Well 0.2-mL Block"], ["File Name", "run.eds"],
    ...         ["Instrument Type", "QuantStudio 3 System"], [],
    ...         ["Well", "Well Position", "Omit", "Sample Name", "Target Name", "Task",
    ...          "Reporter", "CT", "Amp Status"],
    ...         ["1", "A1", "false", "s1", "GAPDH", "UNKNOWN", "VIC", "18.52", "AMP"],
    ...         ["2", "A2", "false", "s1", "MYC", "UNKNOWN", "FAM", "25.10", "AMP"],
    ...         ["3", "A3", "false", "NTC", "MYC", "NTC", "FAM", "38.90", "NO_AMP"]]
    >>> _ = path.write_text("\n".join(",".join(row) for row in rows) + "\n")
    >>> export = read_da_v1(path)
    >>> export.wells[["well", "sample", "target", "sample_type", "cq", "cq_status"]]
      well sample target sample_type     cq     cq_status
    0   A1     s1  GAPDH        unkn  18.52            ok
    1   A2     s1    MYC        unkn  25.10            ok
    2   A3    NTC    MYC         ntc    NaN  undetermined
    >>> export.info.software
    'QuantStudio Design & Analysis v1'
    >>> folder.cleanup()
    """
    sample = sample or FileSample(path)
    if sample.kind != "text":
        return _read_workbook(path, sample, DA_V1)
    text = read_text(path)
    rows: list[list[Any]] = split_rows(text, sniff_delimiter(text.split("\n")[:50]))
    return _read_keyed(path, rows, str(path), DA_V1, "line", {}, sample.decimal)


def read_da_v2(path: Path, sample: FileSample | None = None) -> Export:
    """Read a Design & Analysis v2 workbook (``Results`` sheet; sample ``200.0`` → ``200``).

    Parameters
    ----------
    path : Path
        The export.
    sample : FileSample, optional
        Its head, as the sniffer saw it (with the decimal mark the user gave).

    Returns
    -------
    Export
        The wells table, run metadata and any curve tables.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from qpcr.io.registry import FileSample
    >>> folder = tempfile.TemporaryDirectory()
    >>> import openpyxl
    >>> path = Path(folder.name) / "run.xlsx"
    >>> book = openpyxl.Workbook()
    >>> sheet = book.active
    >>> sheet.title = "Results"
    >>> for row in [["Block Type", "96-Well 0.2-mL Block"],
    ...             ["Instrument Type", "QuantStudio 3 System"],
    ...             ["Software Name and Version", "Design & Analysis Software v2.6.0"], [],
    ...             ["Well", "Well Position", "Omit", "Sample", "Target", "Task", "Reporter", "Cq"],
    ...             [1, "A1", False, 200.0, "GAPDH", "STANDARD", "VIC", 18.52],
    ...             [2, "A2", False, "s1", "GAPDH", "UNKNOWN", "VIC", 21.3]]:
    ...     sheet.append(row)
    >>> book.save(path)
    >>> export = read_da_v2(path)
    >>> export.wells[["well", "sample", "target", "sample_type", "cq", "cq_status"]]
      well sample target sample_type     cq cq_status
    0   A1    200  GAPDH         std  18.52        ok
    1   A2     s1  GAPDH        unkn  21.30        ok
    >>> export.info.software
    'Design & Analysis Software v2.6.0'
    >>> folder.cleanup()
    """
    return _read_workbook(path, sample or FileSample(path), DA_V2)


register(
    ExportFormat(
        name=DA_V1,
        description="Thermo QuantStudio Design & Analysis v1 (CSV or workbook)",
        signature="CSV whose first cell is 'Block Type'; or a classic-like 'Results' sheet "
        "with an 'Amp Status' column",
        sniff=sniff_da_v1,
        read=read_da_v1,
    )
)
register(
    ExportFormat(
        name=DA_V2,
        description="Thermo QuantStudio Design & Analysis v2 workbook",
        signature="'Results' sheet with 'Software Name and Version' or Sample/Target/Cq columns",
        sniff=sniff_da_v2,
        read=read_da_v2,
    )
)
