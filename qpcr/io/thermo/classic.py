"""Classic Applied Biosystems exports: ``* Key = Value`` header and ``[Section]`` blocks (text),
or a workbook ``Results`` sheet (7500, StepOne, ViiA 7, QuantStudio 6/7/12K Flex)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ...errors import ExportParseError
from .._tabular import norm_header, read_text, sniff_delimiter, split_rows
from ..registry import Export, ExportFormat, FileSample, register
from ._common import (
    _SECTION,
    CLASSIC,
    _curves,
    _footer,
    _info,
    _plate_size,
    _Table,
    _table,
    _text_kind,
    _wells,
)
from ._keyed import _read_workbook, _sheet_kind
from .genotyping import allele_rows, is_genotyping

__all__ = ["read_classic", "sniff_classic"]


def _sections(lines: list[str]) -> dict[str, tuple[int, list[str]]]:
    """Section name (lower case) → (0-based line index of the marker, body lines)."""
    marks = [(i, m.group(1).strip().lower()) for i, line in enumerate(lines)
             if "[" in line and (m := _SECTION.match(line))]  # fmt: skip
    found: dict[str, tuple[int, list[str]]] = {}
    for k, (i, name) in enumerate(marks):
        end = marks[k + 1][0] if k + 1 < len(marks) else len(lines)
        found.setdefault(name, (i, lines[i + 1 : end]))
    return found


def _section_table(
    path: Path, name: str, section: tuple[int, list[str]]
) -> tuple[_Table, list[list[Any]]]:
    """The table at the top of a section and all the section's rows (for the footer)."""
    start, body = section
    skip = next((k for k, line in enumerate(body) if line.strip()), len(body))
    body = body[skip:]
    rows: list[list[Any]] = split_rows("\n".join(body), sniff_delimiter(body[:50]))
    where = f"{path} [{name}]"
    if not rows:
        raise ExportParseError(
            "the section is empty; expected a header row and data rows",
            where=where,
            hint="Export the results again",
        )
    # 1-based line of the first data row: marker + skipped blank lines + header
    return _table(rows, 0, where, start + skip + 3, "line"), rows


def read_classic_text(path: Path, decimal: str | None = None) -> Export:
    """Read a classic text export: ``* Key = Value`` header, ``[Results]`` (up to the first
    blank line; ``Key = Value`` footer lines go to ``info.extra``; a genotyping table becomes
    one row per well × allele), and the optional ``[Amplification Data]`` and
    ``[Melt Curve Raw Data]`` sections."""
    lines = read_text(path).split("\n")
    sections = _sections(lines)
    header_end = min((i for i, _ in sections.values()), default=len(lines))
    keys: dict[str, str] = {}
    original: dict[str, str] = {}
    for line in lines[:header_end]:
        text = line.strip()
        if text.startswith("*") and "=" in text:
            key, _, value = text.lstrip("*").partition("=")
            keys.setdefault(norm_header(key), value.strip())
            original.setdefault(key.strip(), value.strip())
    if "results" not in sections:
        raise ExportParseError(
            f"no [Results] section (sections found: "
            f"{', '.join(f'[{s}]' for s in sections) or 'none'}); expected the results table",
            where=str(path),
            hint="Export again with the 'Results' box ticked",
        )
    results, rows = _section_table(path, "Results", sections["results"])
    footer = _footer(rows, len(results.data) + 1, "=")
    if is_genotyping(results):
        setup = sections.get("sample setup")
        setup_table = _section_table(path, "Sample Setup", setup)[0].data if setup else None
        results = allele_rows(results, setup_table)
    wells, size, mark = _wells(results, _plate_size(keys), decimal)
    original |= footer
    tables: dict[str, pd.DataFrame] = {}
    for name, kind in (("amplification data", "amplification"), ("melt curve raw data", "melt")):
        if name in sections and any(line.strip() for line in sections[name][1]):
            curve_table, _ = _section_table(path, name.title(), sections[name])
            curve = _curves(curve_table, size, wells, kind, mark)
            if curve is not None:
                tables[kind] = curve
    info = _info(path, CLASSIC, keys, original, size, "Applied Biosystems software (classic)")
    return Export(wells=wells, info=info, tables=tables)


def sniff_classic(sample: FileSample) -> bool:
    r"""Classic text, or a workbook whose ``Results`` sheet has the classic column set.

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
    >>> path = Path(folder.name) / "run.txt"
    >>> rows = [["Well", "Well Position", "Sample Name", "Target Name", "Task", "Reporter", "CT"],
    ...         ["1", "A1", "s1", "GAPDH", "UNKNOWN", "VIC", "18.52"],
    ...         ["2", "A2", "s1", "MYC", "UNKNOWN", "FAM", "25.10"],
    ...         ["3", "A3", "NTC", "MYC", "NTC", "FAM", "Undetermined"]]
    >>> table = "\n".join("\t".join(row) for row in rows)
    >>> _ = path.write_text(f"* Block Type = 96-Well Block (0.2mL)\n\n[Results]\n{table}\n")
    >>> from qpcr.io.thermo import sniff_da_v1
    >>> sniff_classic(FileSample(path)), sniff_da_v1(FileSample(path))
    (True, False)
    >>> folder.cleanup()
    """
    if sample.kind == "text":
        return _text_kind(sample) == CLASSIC
    return _sheet_kind(sample) == CLASSIC


def read_classic(path: Path, sample: FileSample | None = None) -> Export:
    r"""Read a classic export: ``[Results]`` text or a workbook's ``Results`` sheet.

    Wells come from ``Well Position`` (or ``Well`` when it holds ``A1``, or the 1-based
    ``Well`` index on the plate given by ``Block Type``).

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
    >>> path = Path(folder.name) / "run.txt"
    >>> rows = [["Well", "Well Position", "Sample Name", "Target Name", "Task", "Reporter", "CT"],
    ...         ["1", "A1", "s1", "GAPDH", "UNKNOWN", "VIC", "18.52"],
    ...         ["2", "A2", "s1", "MYC", "UNKNOWN", "FAM", "25.10"],
    ...         ["3", "A3", "NTC", "MYC", "NTC", "FAM", "Undetermined"]]
    >>> table = "\n".join("\t".join(row) for row in rows)
    >>> _ = path.write_text(f"* Block Type = 96-Well Block (0.2mL)\n\n[Results]\n{table}\n")
    >>> export = read_classic(path)
    >>> export.wells[["well", "sample", "target", "sample_type", "cq", "cq_status"]]
      well sample target sample_type     cq     cq_status
    0   A1     s1  GAPDH        unkn  18.52            ok
    1   A2     s1    MYC        unkn  25.10            ok
    2   A3    NTC    MYC         ntc    NaN  undetermined
    >>> export.info.format, export.info.plate_size
    ('thermo_classic', 96)
    >>> folder.cleanup()
    """
    sample = sample or FileSample(path)
    if sample.kind == "text":
        return read_classic_text(path, sample.decimal)
    return _read_workbook(path, sample, CLASSIC)


register(
    ExportFormat(
        name=CLASSIC,
        description="Thermo/ABI classic results (7500, StepOne, ViiA 7, QuantStudio 6/7/12K Flex)",
        signature="text with '* Key = Value' lines or a [Results] section; or a workbook "
        "'Results' sheet with Sample Name/Target Name/CT and no Amp Status",
        sniff=sniff_classic,
        read=read_classic,
    )
)
