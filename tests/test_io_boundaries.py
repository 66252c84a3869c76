"""Readers talk to each other through public names: no module of ``qpcr/io`` imports another
module's private name or calls ``module._name`` (a private module's helpers, ``thermo/_common``,
serve the modules of their own package); and what the curve reader needs of the other readers,
what an export holds, is what their sniffers return."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from qpcr.io import agilent, read_run, roche, runfiles
from qpcr.io.curves import read_curves
from qpcr.io.registry import FileSample, open_export

IO = Path(__file__).resolve().parent.parent / "qpcr" / "io"


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_calls(source: str) -> list[str]:
    """``from X import _name`` and ``X._name`` of a module's ``source`` that reach into another
    module, except imports from a private module of the same package."""
    tree = ast.parse(source)
    modules: set[str] = set()  # names bound to modules: `from . import roche`, `import x as y`
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source_module = node.module or ""
            own_helper = node.level == 1 and _private(source_module.split(".")[0])
            for alias in node.names:
                if not node.module:
                    modules.add(alias.asname or alias.name)
                elif _private(alias.name) and not own_helper:
                    found.append(f"line {node.lineno}: from {source_module} import {alias.name}")
        elif isinstance(node, ast.Import):
            modules |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and _private(node.attr)
        ):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_the_check_finds_both_kinds_of_private_call() -> None:
    source = (
        "from . import roche\nfrom .registry import _open, open_export\n"
        "from ._common import _table\nfrom .._tabular import _split\n"
        "roche._kind(x)\nroche.sniff(x)\nself._kind(x)\n"
    )
    assert private_calls(source) == [
        "line 2: from registry import _open",
        "line 4: from _tabular import _split",
        "line 5: roche._kind",
    ]


@pytest.mark.parametrize("module", sorted(IO.rglob("*.py")), ids=lambda p: p.name)
def test_no_reader_calls_another_modules_private_names(module: Path) -> None:
    assert private_calls(module.read_text(encoding="utf-8")) == []


#: A head of each export the curve reader picks by what its format's sniffer says it holds.
RAW_EXPORTS = {
    "lc480_raw.txt": (
        roche,
        "raw",
        "Raw Data \t\tExperiment - x (Run on LCS480 1.5.0.39)\n"
        "SamplePos\tSampleName\tProg#\tSeg#\tCycle#\tTime\tTemp\t465-510\n"
        "A1\tSample 1\t2\t2\t1\t100\t60\t1.5\nA1\tSample 1\t2\t2\t2\t200\t60\t2.5\n",
    ),
    "lc480_cp.txt": (
        roche,
        "cp",
        "Experiment: demo  Selected Filter: FAM (465-510)\n"
        "Include\tColor\tPos\tName\tCp\tConcentration\tStandard\tStatus\n"
        "True\t255\tA1\ts1\t24.1\t\t\t\n",
    ),
    "mxpro_raw.txt": (
        agilent,
        "raw",
        "run.mxp\nSegment\tRamp/Plateau\tRamp/Plateau #\tWell\tDye\tCycle #\tFluorescence\t"
        "Temperature\n2\tPlateau\t1\tB1\tFAM\t1\t100\t60\n2\tPlateau\t1\tB1\tFAM\t2\t200\t60\n",
    ),
    "mxpro_table.txt": (agilent, "table", "General:Well\tGeneral:Target Name\nA1\tGAPDH\n"),
    "run.rex": (runfiles, "rex", "<Experiment>\n  <RexHeader>REX 1.0</RexHeader>\n"),
}


@pytest.mark.parametrize("name", sorted(RAW_EXPORTS))
def test_sniffers_say_what_the_export_holds(name: str, tmp_path: Path) -> None:
    module, holds, text = RAW_EXPORTS[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert module.sniff(FileSample(path)) == holds
    claim = open_export(path)[1]
    assert (claim.format.name, claim.sniffed) == (module.NAME, holds)


@pytest.mark.parametrize("format", [None, "roche"])
def test_raw_lc480_curves_are_read_whether_detected_or_named(
    format: str | None, tmp_path: Path
) -> None:
    path = tmp_path / "lc480_raw.txt"
    path.write_text(RAW_EXPORTS["lc480_raw.txt"][2], encoding="utf-8")
    curves = read_curves(path, format)
    assert curves["fluorescence"].tolist() == [1.5, 2.5]
    assert curves["kind"].eq("amplification").all()


def test_open_export_then_claim_read_is_read_run(tmp_path: Path) -> None:
    path = tmp_path / "run.csv"
    path.write_text("well,sample,target,cq\nA1,s1,GAPDH,18.1\nA2,s1,MYC,25.5\n", encoding="utf-8")
    sample, claim = open_export(path)
    assert claim.format.name == "tidy"
    assert claim.read(path, sample).wells.equals(read_run(path).wells)
    assert open_export(path, "tidy")[1].sniffed is None  # a named format is not sniffed
