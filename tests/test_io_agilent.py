"""Agilent MxPro exports: recognised and refused with what to export instead."""

from __future__ import annotations

from pathlib import Path

import pytest
from _vendor_io import EXPORTS

from qpcr.errors import ExportParseError
from qpcr.io import agilent, detect, read_run
from qpcr.io.registry import FileSample

FOLDER = EXPORTS / "agilent"


def test_raw_fluorescence_export_is_refused() -> None:
    path = FOLDER / "agilent_mxpro_raw_fluorescence.txt"
    assert detect(path).name == "agilent"
    with pytest.raises(ExportParseError, match="MxPro raw fluorescence export") as info:
        read_run(path)
    assert info.value.where == f"{path} row 2"
    assert "Text Report" in str(info.value)


def test_section_column_table_without_ct_is_refused() -> None:
    path = FOLDER / "agilent_mxpro_sample_table_no_cq.txt"
    assert detect(path).name == "agilent"
    with pytest.raises(ExportParseError, match="no Ct column"):
        read_run(path)


@pytest.mark.parametrize(
    "text",
    [
        # an MxPro table that has a Ct column is a results table: not refused here
        "General:Well\tGeneral:Dye\tAmplification Plots:Ct (dR)\n1\tFAM\t22.1\n",
        # a path on line 1 without the raw header
        "C:\\runs\\x.mxp\nWell\tCt\n",
        "",
    ],
)
def test_sniffer_negatives(tmp_path: Path, text: str) -> None:
    path = tmp_path / "x.txt"
    path.write_text(text or " ")
    assert not agilent.sniff(FileSample(path))
