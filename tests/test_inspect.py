"""`qpcr.inspect` summaries and the `qpcr inspect` / `qpcr formats` commands."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from qpcr.cli import app
from qpcr.inspect import formats_table, summarise
from qpcr.io import formats

DATA = Path(__file__).parent / "data"
SYNTHETIC = DATA / "exports" / "rdml" / "rdml_v1_3_synthetic_excl_multirun.xml"
STEPONE = DATA / "exports" / "rdml" / "rdml_v1_0_stepone_std.rdml"


def test_summary_counts_of_the_synthetic_rdml() -> None:
    summary = summarise(SYNTHETIC)
    assert summary["format"] == "rdml"
    assert summary["description"].startswith("RDML 1.0-1.4")
    assert summary["plates"] == ["Exp A/Run 1", "Exp B/Run 1"]
    assert summary["wells"] == 6  # A1, A2, B1, H12 on plate A; B1, P24 on plate B
    assert summary["reactions"] == 9
    assert summary["targets"] == ["GAPDH", "MYC"]
    assert summary["samples"] == ["ctrl-1", "std-10", "std-100", "treat-1", "water"]
    assert summary["sample_types"] == {"ntc": 3, "std": 2, "unkn": 4}
    assert summary["non_detects"] == 3
    assert summary["omitted"] == 2
    assert summary["cq_status"] == {"ok": 6, "undetermined": 3}
    assert summary["tables"] == {"amplification": 3, "melt": 2}
    assert summary["instrument"] == "Synthetic cycler"
    assert summary["run_date"] == "2026-11-20T09:30:00"
    assert summary["plate_size"] == 384
    json.dumps(summary)  # JSON types only


def test_summary_of_a_single_plate_stepone_file() -> None:
    summary = summarise(STEPONE, format="rdml")
    assert summary["plates"] == []
    assert summary["wells"] == summary["reactions"] == 24
    assert summary["sample_types"] == {"ntc": 3, "std": 15, "unkn": 6}
    assert summary["plate_size"] == 48


def test_formats_table_lists_every_registered_format() -> None:
    table = formats_table()
    assert [row["name"] for row in table] == [f.name for f in formats()]
    rdml = next(row for row in table if row["name"] == "rdml")
    assert "http://www.rdml.org" in rdml["signature"]
    assert all(row["description"] and row["signature"] for row in table)


def test_cli_inspect_json_and_table() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["inspect", "--json", str(SYNTHETIC), str(STEPONE)])
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.stdout)
    assert [s["reactions"] for s in parsed] == [9, 24]
    table = runner.invoke(app, ["inspect", str(SYNTHETIC)])
    assert table.exit_code == 0
    assert "Exp A/Run 1" in table.stdout
    assert "non_detects" in table.stdout


def test_cli_inspect_user_error_exits_1() -> None:
    result = CliRunner().invoke(app, ["inspect", str(DATA / "invalid" / "entity_bomb.xml")])
    assert result.exit_code == 1
    assert "document type declaration" in result.stderr


def test_cli_formats() -> None:
    result = CliRunner().invoke(app, ["formats"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for fmt in formats():
        assert fmt.name in result.stdout


def test_a_raw_curve_export_is_summarised_by_its_curves(tmp_path: Path) -> None:
    """An export with curves but no Cq (here the qpcR batsch1 wide table), which qpcr analyze
    calls Cq from, is described by its curves instead of refused as 'no Cq'; a file with
    neither is still refused with the reader's message."""
    wide = DATA / "exports" / "curve_table" / "curve_table_qpcr_batsch1_wide.csv"
    summary = summarise(wide)
    header = wide.read_text().splitlines()[0].split(",")
    cycles = len(wide.read_text().splitlines()) - 1
    assert summary["format"] == "curves"
    assert summary["wells"] == len(header) - 1
    assert summary["curves"] == f"amplification: {len(header) - 1} wells, cycles 1–{cycles}"
    result = CliRunner().invoke(app, ["inspect", str(wide), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["wells"] == len(header) - 1
    empty = tmp_path / "melt_only.csv"
    empty.write_text("well,temperature,fluorescence\nA1,60,1.0\nA1,61,0.9\n")
    result = CliRunner().invoke(app, ["inspect", str(empty)])
    assert result.exit_code == 1
    assert "raw curves" in result.output
