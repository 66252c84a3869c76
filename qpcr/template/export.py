"""The filled template as a registered export format (``template``).

Imported by :func:`qpcr.io.formats` (listed in ``qpcr.io.registry._FORMAT_MODULES``), so that
:func:`qpcr.io.read_run` reads a filled template like any other export. The sniffer opens a
workbook that has the template's sheets and checks its marker cell; it hands the opened
workbook to the reader, which returns the wells with the Layout columns already joined (as
:func:`qpcr.template.read_template`). The settings are read by
:func:`qpcr.template.template_config`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..io.registry import Export, ExportFormat, FileSample, register
from .reader import _read, _template_book

_SHEETS = {"Layout", "Settings", "Lists"}


def sniff(sample: FileSample) -> Any:
    """The opened workbook when the file is a filled-in template, else None.

    Parameters
    ----------
    sample
        The file's head.

    Returns
    -------
    object or None
        The opened workbook (handed to :func:`read`), or None for any other file.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import openpyxl
    >>> from qpcr.template import write_template
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "plate.xlsx"
    >>> write_template(path, plate=48)
    >>> sniff(FileSample(path)) is not None
    True
    >>> other = Path(folder.name) / "other.xlsx"
    >>> openpyxl.Workbook().save(other)
    >>> sniff(FileSample(other)) is None
    True
    >>> folder.cleanup()
    """
    if sample.kind != "zip" or not set(sample.sheet_names) >= _SHEETS:
        return None
    return _template_book(sample.path)


def read(path: Path, sample: FileSample, sniffed: Any = None) -> Export:
    """The template's wells (Layout joined) and run information (``sniffed``: the workbook
    the sniffer opened; None when the format was named).

    Parameters
    ----------
    path
        The filled template.
    sample
        The file's head.
    sniffed
        What :func:`sniff` returned, or None to open the workbook here.

    Returns
    -------
    Export
        The wells with the Layout columns joined, and the run information.

    Raises
    ------
    InputError, LayoutError, ConfigError
        As :func:`qpcr.template.read_template`.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import openpyxl
    >>> import pandas as pd
    >>> from qpcr.template import write_template
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "plate.xlsx"
    >>> layout = pd.DataFrame({
    ...     "well": ["A1", "A2", "B1", "B2"], "sample": ["ctrl", "ctrl", "treated", "treated"],
    ...     "target": ["GAPDH", "MYC"] * 2, "sample_type": "unkn", "donor": "d1",
    ... })
    >>> write_template(path, layout=layout, reference_genes=["GAPDH"])
    >>> book = openpyxl.load_workbook(path)  # Cq values typed on the Cq grid, as a user would
    >>> for cell, cq in {"B5": 18.2, "C5": 24.1, "B6": 18.3, "C6": 22.0}.items():
    ...     book["Cq"][cell] = cq
    >>> book.save(path)
    >>> sample = FileSample(path)
    >>> export = read(path, sample, sniff(sample))
    >>> export.wells[["well", "sample", "target", "cq", "donor"]]
      well   sample target    cq donor
    0   A1     ctrl  GAPDH  18.2    d1
    1   A2     ctrl    MYC  24.1    d1
    2   B1  treated  GAPDH  18.3    d1
    3   B2  treated    MYC  22.0    d1
    >>> export.info.format, export.info.software
    ('template', 'qpcr template')
    >>> folder.cleanup()
    """
    content = _read(Path(path), sniffed if sniffed is not None else _template_book(Path(path)))
    assert content.info is not None  # _read always sets it
    return Export(wells=content.wells, info=content.info)


register(
    ExportFormat(
        name="template",
        description="qpcr bench-scientist workbook (qpcr template), filled in",
        signature="workbook with sheets Layout, Settings and Lists, 'qpcr template' in Lists!A1",
        sniff=sniff,
        read=read,
    )
)
