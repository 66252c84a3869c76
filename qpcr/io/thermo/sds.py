"""Applied Biosystems SDS 2.x (7900HT) results text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import ExportParseError
from .._tabular import CQ_HEADERS, as_text, find_header_row, norm_header, read_text, split_rows
from ..registry import Export, ExportFormat, FileSample, RunInfo, register
from ._common import SDS, _pairs, _table, _text_kind, _wells

__all__ = ["read_sds", "sniff_sds"]


def sniff_sds(sample: FileSample) -> bool:
    r"""SDS 2.x: first line ``SDS 2.<version><TAB>AQ Results``.

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
    >>> path = Path(folder.name) / "results.txt"
    >>> rows = [["SDS 2.3", "AQ Results"], ["Filename", "plate_1.sds"],
    ...         ["Run DateTime", "Tue Mar 03 10:15:22 2009"], [],
    ...         ["Well", "Sample Name", "Detector Name", "Reporter", "Task", "Ct"],
    ...         ["1", "s1", "GAPDH", "VIC", "Unknown", "18.52"],
    ...         ["2", "s1", "MYC", "FAM", "Unknown", "25.10"],
    ...         ["384", "NTC", "MYC", "FAM", "NTC", "Undetermined"]]
    >>> _ = path.write_text("\n".join("\t".join(row) for row in rows) + "\n")
    >>> sniff_sds(FileSample(path))
    True
    >>> folder.cleanup()
    """
    return sample.kind == "text" and _text_kind(sample) == SDS


def read_sds(path: Path, sample: FileSample | None = None) -> Export:
    r"""Read an SDS 2.x (7900HT) results text: ``Well`` index, ``Detector Name``, ``Ct``.

    A ``Well`` index above 96 puts the wells on a 384-well plate.

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
    >>> path = Path(folder.name) / "results.txt"
    >>> rows = [["SDS 2.3", "AQ Results"], ["Filename", "plate_1.sds"],
    ...         ["Run DateTime", "Tue Mar 03 10:15:22 2009"], [],
    ...         ["Well", "Sample Name", "Detector Name", "Reporter", "Task", "Ct"],
    ...         ["1", "s1", "GAPDH", "VIC", "Unknown", "18.52"],
    ...         ["2", "s1", "MYC", "FAM", "Unknown", "25.10"],
    ...         ["384", "NTC", "MYC", "FAM", "NTC", "Undetermined"]]
    >>> _ = path.write_text("\n".join("\t".join(row) for row in rows) + "\n")
    >>> export = read_sds(path)
    >>> export.wells[["well", "sample", "target", "sample_type", "cq", "cq_status"]]
      well sample target sample_type     cq     cq_status
    0   A1     s1  GAPDH        unkn  18.52            ok
    1   A2     s1    MYC        unkn  25.10            ok
    2  P24    NTC    MYC         ntc    NaN  undetermined
    >>> export.info.software, export.info.run_date, export.info.plate_size
    ('SDS 2.3', 'Tue Mar 03 10:15:22 2009', 384)
    >>> folder.cleanup()
    """
    text = read_text(path)
    rows: list[list[Any]] = split_rows(text, "\t")
    header = find_header_row(rows, {"well"}, CQ_HEADERS)
    if header is None:
        raise ExportParseError(
            "no results table; expected a row with 'Well', 'Detector Name' and 'Ct'",
            where=str(path),
            hint="Export the AQ results table from SDS",
        )
    keys, original = _pairs(rows[1:header])
    version = as_text(rows[0][0]) if rows and rows[0] else "SDS 2.x"
    table = _table(rows, header, str(path), header + 2, "line")
    wells, size, _ = _wells(table, None, sample.decimal if sample else None)
    column = next((c for c in table.data.columns if norm_header(c) == "filename"), None)
    files = [as_text(v) for v in table.data[column]] if column is not None else []
    if len(set(files)) > 1:  # an RQ study of several plates (cards): wells repeat per plate
        wells.insert(0, "plate", files)
    info = RunInfo(
        path=str(path),
        format=SDS,
        instrument="7900HT",
        software=version,
        run_date=keys.get("run datetime") or None,
        plate_size=size,
        extra=original,
    )
    return Export(wells=wells, info=info)


register(
    ExportFormat(
        name=SDS,
        description="Applied Biosystems SDS 2.x (7900HT) results text",
        signature="first line 'SDS 2.x<TAB>AQ Results'",
        sniff=sniff_sds,
        read=read_sds,
    )
)
