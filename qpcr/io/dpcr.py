"""Digital PCR exports (QuantStudio Absolute Q, QIAGEN QIAcuity): recognised and refused.

Digital PCR counts positive partitions and reports copies per µL; it has no Cq, so there is
nothing for a ΔΔCq analysis to read. These files are recognised from their header (a
concentration in copies or cp per µL beside partition or positive counts) so that the user
learns why, in one line, instead of "not a supported export".
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ExportParseError
from ._tabular import norm_header, split_rows
from .registry import Export, ExportFormat, FileSample, register

NAME = "dpcr"


def _header(sample: FileSample) -> list[str]:
    """The normalised cells of the first line that is not blank or Excel's ``sep=`` line."""
    lines = [line for line in sample.lines[:5] if line.strip()]
    lines = [line for line in lines if not line.lower().startswith("sep=")][:1]
    rows = split_rows(lines[0]) if lines else []
    return [norm_header(cell) for cell in rows[0]] if rows else []


def _instrument(cells: list[str]) -> str | None:
    """``QuantStudio Absolute Q`` or ``QIAcuity`` when the header is a digital PCR one."""
    concentration = any("cp/" in c or "copies/" in c for c in cells)
    if concentration and "positives" in cells:
        return "QuantStudio Absolute Q"
    if concentration and any(c.startswith("partitions") for c in cells):
        return "QIAcuity"
    return None


def sniff(sample: FileSample) -> bool:
    r"""A digital PCR results table: copies per µL beside partition or positive counts.

    Parameters
    ----------
    sample
        The file's head.

    Returns
    -------
    bool
        True for an Absolute Q or QIAcuity export (refused by :func:`read`).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "dpcr.csv"
    >>> _ = path.write_text("sep=,\nWell,Target,Concentration (copies/µL),Partitions (valid)\n"
    ...                     "A1,5p,86.32,25485\n", encoding="utf-8")
    >>> sniff(FileSample(path))
    True
    >>> folder.cleanup()
    """
    return sample.kind == "text" and _instrument(_header(sample)) is not None


def read(path: Path, sample: FileSample) -> Export:
    r"""Refuse a digital PCR export, saying why in one line.

    Parameters
    ----------
    path
        The export.
    sample
        The file's head.

    Raises
    ------
    ExportParseError
        Always: digital PCR results have no Cq.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "dpcr.csv"
    >>> _ = path.write_text("Well,Dye,Target,Conc. cp/uL,Positives\nA1,VIC,Gene A,3.85,34\n")
    >>> read(path, FileSample(path))
    Traceback (most recent call last):
    ...
    qpcr.errors.ExportParseError: ...dpcr.csv: digital PCR results have no Cq (a QuantStudio ...
    >>> folder.cleanup()
    """
    instrument = _instrument(_header(sample)) or "digital PCR"
    raise ExportParseError(
        f"digital PCR results have no Cq (a {instrument} export: copies/µL from partition "
        "counts); expected a real-time qPCR export with Cq values",
        where=str(path),
        hint="qpcr quantifies from Cq (ΔΔCq); read digital PCR concentrations in the "
        "instrument's software",
    )


register(
    ExportFormat(
        name=NAME,
        description="Digital PCR results (QuantStudio Absolute Q, QIAcuity): recognised and "
        "refused, they have no Cq",
        signature="a header with a concentration in copies or cp per µL and 'Positives' or "
        "'Partitions' counts",
        sniff=sniff,
        read=read,
    )
)
