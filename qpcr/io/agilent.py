"""Agilent (Stratagene) MxPro / AriaMx exports: recognised, not read yet.

No public MxPro "Text Report" or AriaMx results file was found to fix the layout, so this
format only recognises what real files show and refuses them with a clear message:

* the MxPro raw-fluorescence export (line 1 the ``.mxp`` project path, line 2 ``Segment
  Ramp/Plateau Ramp/Plateau # Well Dye Cycle # Fluorescence Temperature``);
* an MxPro table whose header cells are ``<Section>:<Column>`` (``General:Well``,
  ``General:Target Name`` ...) but which holds no Ct column.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ExportParseError
from ..regex import lazy_pattern
from ._tabular import norm_header
from .registry import Export, ExportFormat, FileSample, register

NAME = "agilent"
_SECTION_CELL = lazy_pattern(r"^[a-z][a-z ]*:[^:]+$")
_HINT = (
    "In MxPro open the analysis, choose Results > Text Report (or export the 'Results' table "
    "with the Ct column) and pass that file; it is not supported yet, so meanwhile convert it "
    "to a tidy table with columns well, sample, target, Cq"
)


def _kind(lines: list[str]) -> str | None:
    """``raw`` (raw fluorescence), ``table`` (Section:Column table without Ct) or None."""
    lines = [line for line in lines if line.strip()]
    if len(lines) >= 2:
        second = [norm_header(c) for c in lines[1].split("\t")]
        if lines[0].strip().lower().endswith(".mxp") and second[:2] == ["segment", "ramp/plateau"]:
            return "raw"
    if lines:
        cells = [norm_header(c) for c in lines[0].split("\t") if c.strip()]
        if (
            len(cells) >= 2
            and all(_SECTION_CELL.match(c) for c in cells)
            and "general:well" in cells
            and not any(c.split(":", 1)[1].startswith(("ct", "cq")) for c in cells)
        ):
            return "table"
    return None


def sniff(sample: FileSample) -> str | None:
    r"""MxPro raw-fluorescence export or an MxPro ``Section:Column`` table without Ct: which it is.

    Parameters
    ----------
    sample
        The file's head.

    Returns
    -------
    str or None
        ``raw`` (raw fluorescence; its curves are :func:`qpcr.io.raw_curves.read_mxpro`'s) or
        ``table`` (both are refused by :func:`read`), or None.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "mxpro.txt"
    >>> _ = path.write_text("General:Well\tGeneral:Target Name\nA1\tGAPDH\n")
    >>> sniff(FileSample(path))
    'table'
    >>> folder.cleanup()
    """
    return _kind(sample.lines) if sample.kind == "text" else None


def read(path: Path, sample: FileSample) -> Export:
    r"""Refuse the file with a message saying what it is and what to export instead.

    Parameters
    ----------
    path
        The export.
    sample
        The file's head.

    Raises
    ------
    ExportParseError
        Always.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "mxpro.txt"
    >>> _ = path.write_text("General:Well\tGeneral:Target Name\nA1\tGAPDH\n")
    >>> read(path, FileSample(path))
    Traceback (most recent call last):
    ...
    qpcr.errors.ExportParseError: ...mxpro.txt row 1: this is an MxPro table with ...
    >>> folder.cleanup()
    """
    kind = _kind(sample.lines)
    what = {
        "raw": "this is an MxPro raw fluorescence export (one row per well, dye and cycle), "
        "which holds no Ct values (qpcr.read_curves reads its curves)",
        "table": "this is an MxPro table with 'Section:Column' headers but no Ct column",
    }.get(kind or "", "not an MxPro export")
    raise ExportParseError(
        f"{what}; expected the MxPro 'Text Report' / results table with Ct values",
        where=f"{path} row {2 if kind == 'raw' else 1}",
        hint=_HINT,
    )


register(
    ExportFormat(
        name=NAME,
        description="Agilent MxPro (Mx3000P/Mx3005P) exports: recognised and refused "
        "(results reader not available yet)",
        signature="line 1 a '.mxp' path and line 2 'Segment<TAB>Ramp/Plateau ...', or "
        "'General:Well' style headers without a Ct column",
        sniff=sniff,
        read=read,
    )
)
