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
    """The opened workbook when the file is a filled-in template, else None."""
    if sample.kind != "zip" or not set(sample.sheet_names) >= _SHEETS:
        return None
    return _template_book(sample.path)


def read(path: Path, sample: FileSample, sniffed: Any = None) -> Export:
    """The template's wells (Layout joined) and run information (``sniffed``: the workbook
    the sniffer opened; None when the format was named)."""
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
