"""Native instrument run files: recognised by content and refused with what to export instead.

* ``.eds`` (Applied Biosystems QuantStudio / StepOne / 7500 / ViiA 7): zip with ``apldbio/``
  members;
* ``.pcrd`` / ``.pltd`` (Bio-Rad CFX): zip whose entries are encrypted (flag bit 0);
* ``.rex`` (Qiagen Rotor-Gene): XML ``<Experiment><RexHeader>REX ...``;
* ``.ixo`` (Roche LightCycler 480): XML or zip naming the LightCycler 480 (``LCS480``)
  [unverified: no public ``.ixo`` was available].

``.lc96p`` (LightCycler 96) holds RDML and is left to the RDML reader.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import UnrecognizedFormatError
from ..regex import lazy_pattern
from .registry import Export, ExportFormat, FileSample, register

NAME = "runfile"

#: kind -> (software, what to export)
_RUN_FILES = {
    "eds": (
        "Applied Biosystems QuantStudio / StepOne / 7500 / ViiA 7 (.eds)",
        "QuantStudio / Design & Analysis software",
        "the Results table (File > Export, Results, as .txt, .csv or .xlsx)",
    ),
    "pcrd": (
        "Bio-Rad CFX (.pcrd run or .pltd plate file, an encrypted zip)",
        "CFX Maestro / CFX Manager",
        "'Quantification Cq Results' (Export > Export All Data Sheets, CSV or xlsx)",
    ),
    "rex": (
        "Qiagen Rotor-Gene (.rex)",
        "the Rotor-Gene Q software",
        "the analysed data (File > Save As > Excel Analysed Data Sheet)",
    ),
    "ixo": (
        "Roche LightCycler 480 (.ixo)",
        "the LightCycler 480 software",
        "the Abs Quant results as text (Export > text, 'Include Color Pos Name Cp ...')",
    ),
}
_REX = lazy_pattern(r"<Experiment>\s*<RexHeader>\s*REX", re.IGNORECASE)
_LC480 = lazy_pattern(r"LCS480|LightCycler\s*480|LC480", re.IGNORECASE)


def _kind(sample: FileSample) -> str | None:
    """Which run file ``sample`` is (a key of ``_RUN_FILES``), or None."""
    if sample.kind == "zip":
        names = sample.zip_names
        flags = int.from_bytes(sample.head[6:8], "little")
        if flags & 0x1:
            return "pcrd"
        if any(n.replace("\\", "/").lower().startswith("apldbio/") for n in names):
            return "eds"
        if any(_LC480.search(n) for n in names) and not any(
            n.lower().endswith(".rdml") or n.lower() == "rdml_data.xml" for n in names
        ):
            return "ixo"
        return None
    text = sample.text.lstrip("\ufeff \n")
    if not text.startswith("<"):
        return None
    if _REX.search(text):
        return "rex"
    if "<rdml" not in text[:2000].lower() and _LC480.search(text[:8000]):
        return "ixo"
    return None


def sniff(sample: FileSample) -> str | None:
    """A native .eds, .pcrd/.pltd, .rex or .ixo run file: which it is.

    Parameters
    ----------
    sample
        The file's head.

    Returns
    -------
    str or None
        ``eds``, ``pcrd``, ``rex`` or ``ixo`` for a run file (refused by :func:`read`; the
        curves of a ``rex`` are :func:`qpcr.io.rex_curves.read_rex`'s), or None.

    Examples
    --------
    >>> import tempfile, zipfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.eds"
    >>> with zipfile.ZipFile(path, "w") as archive:
    ...     archive.writestr("apldbio/sds/experiment.xml", "<Experiment/>")
    >>> sniff(FileSample(path))
    'eds'
    >>> folder.cleanup()
    """
    return _kind(sample)


def read(path: Path, sample: FileSample) -> Export:
    """Always raises: run files hold no exported results this tool reads.

    Parameters
    ----------
    path
        The run file.
    sample
        The file's head.

    Raises
    ------
    UnrecognizedFormatError
        Always, naming the software and what to export from it.

    Examples
    --------
    >>> import tempfile, zipfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.eds"
    >>> with zipfile.ZipFile(path, "w") as archive:
    ...     archive.writestr("apldbio/sds/experiment.xml", "<Experiment/>")
    >>> read(path, FileSample(path))
    Traceback (most recent call last):
    ...
    qpcr.errors.UnrecognizedFormatError: ...run.eds: this is a native run file of Applied ...
    >>> folder.cleanup()
    """
    kind = _kind(sample)
    if kind is None:
        raise UnrecognizedFormatError(
            "not a known instrument run file", where=str(path), hint="Pass an exported table"
        )
    what, software, export = _RUN_FILES[kind]
    curves = " (qpcr.read_curves reads its raw curves)" if kind == "rex" else ""
    raise UnrecognizedFormatError(
        f"this is a native run file of {what}, which this tool cannot analyse{curves}; "
        "expected an exported results table",
        where=str(path),
        hint=f"Export {export} from {software} first",
    )


register(
    ExportFormat(
        name=NAME,
        description="Native run files (.eds, .pcrd/.pltd, .rex, .ixo): recognised and refused",
        signature="zip with 'apldbio/' members (.eds) or encrypted entries (.pcrd); XML "
        "'<Experiment><RexHeader>REX' (.rex); XML/zip naming LCS480 (.ixo)",
        sniff=sniff,
        read=read,
    )
)
