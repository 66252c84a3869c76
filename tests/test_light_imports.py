"""Nothing heavy on the way to a table: importing the pipeline, and an analysis that returns its
tables, import neither statsmodels nor scipy.stats (nor matplotlib, openpyxl and xlsxwriter), and
``import qpcr.stats`` (the settings vocabularies) not even scipy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parents[1] / "examples" / "hypoxia_tocilizumab"
HEAVY = ("statsmodels", "scipy.stats", "matplotlib", "openpyxl", "xlsxwriter")


def _loaded_after(
    code: str, watched: tuple[str, ...] = (*HEAVY, "scipy", "scipy.special", "scipy.optimize")
) -> list[str]:
    """The modules of ``watched`` (HEAVY and scipy) that a fresh interpreter holds after
    running ``code``."""
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(m for m in sys.modules if m in "
    script += f"{watched!r})))"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def _program(argv: list[str]) -> str:
    """Code that runs ``qpcr`` as the program with ``argv`` and checks it exits 0."""
    return (
        f"import runpy\nsys.argv = {argv!r}\n"
        "try:\n    runpy.run_module('qpcr', run_name='__main__')\nexcept SystemExit as exc:\n"
        "    assert not exc.code, exc.code"
    )


def test_importing_the_pipeline_and_the_stats_is_light() -> None:
    assert _loaded_after("import qpcr.pipeline, qpcr.stats, qpcr.config") == []


@pytest.mark.skipif(not EXAMPLE.is_dir(), reason="the bundled example is not in this checkout")
def test_an_analysis_that_returns_tables_imports_nothing_heavy() -> None:
    code = (
        "import qpcr\n"
        "from qpcr.config import load_config\n"
        f"ex = {str(EXAMPLE)!r}\n"
        "r = qpcr.analyze([ex + '/quantstudio_384_results.txt'],"
        " ex + '/quantstudio_384_layout.csv', load_config(ex + '/analysis.toml'))\n"
        "assert not r.tables['anova'].empty and r.tables['contrasts']['p_value'].notna().any()"
    )
    loaded = _loaded_after(code)
    assert not set(loaded) & set(HEAVY), loaded
    assert "scipy.special" in loaded  # the t and F tails: p-values were computed
    assert "scipy.optimize" not in loaded  # every donor complete: no mixed model to fit


@pytest.mark.skipif(not EXAMPLE.is_dir(), reason="the bundled example is not in this checkout")
def test_an_export_without_curves_does_not_import_the_curve_readers() -> None:
    code = (
        "import qpcr\n"
        f"ex = {str(EXAMPLE)!r}\n"
        "wells = qpcr.read_wells([ex + '/quantstudio_384_results.txt'])\n"
        "assert wells.curves is None and len(wells.table) > 0"
    )
    assert _loaded_after(code, ("qpcr.io.curves", "qpcr.io.thermo")) == ["qpcr.io.thermo"]


def test_package_versions_are_read_without_importlib_metadata() -> None:
    from importlib import metadata

    from qpcr.report.tables import _PACKAGES, versions

    found = versions()
    for name in _PACKAGES:
        try:
            assert found[name] == metadata.version(name), name
        except metadata.PackageNotFoundError:
            assert found[name] == "not installed", name
    code = "from qpcr.report.tables import versions\nassert versions()['numpy']"
    assert _loaded_after(code, ("importlib.metadata", "email", "email.parser")) == []


@pytest.mark.skipif(not EXAMPLE.is_dir(), reason="the bundled example is not in this checkout")
def test_reading_a_text_export_imports_neither_html_nor_an_xml_parser() -> None:
    export = EXAMPLE / "quantstudio_384_results.txt"
    code = f"from qpcr.io import read_run\nread_run({str(export)!r})"
    watched = ("html", "html.entities", "xml.etree.ElementTree", "xml.parsers.expat")
    assert _loaded_after(code, watched) == []


@pytest.mark.skipif(not EXAMPLE.is_dir(), reason="the bundled example is not in this checkout")
def test_the_command_to_tables_imports_only_what_tables_need(tmp_path: Path) -> None:
    """``qpcr analyze --no-figures --no-workbook --quiet``: no figures, workbook, terminal
    tables or RDML writer (report.html, which it writes, draws no figure either)."""
    argv = ["qpcr", "analyze", str(EXAMPLE / "quantstudio_384_results.txt"), "--layout",
            str(EXAMPLE / "quantstudio_384_layout.csv"), "--config",
            str(EXAMPLE / "analysis.toml"), "--out", str(tmp_path / "out"), "--no-figures",
            "--no-workbook", "--quiet"]  # fmt: skip
    code = _program(argv)
    unneeded = ("qpcr.report.figures", "qpcr.report.workbook", "qpcr.report.summary",
                "qpcr.io.rdml_write", "rich", "rich.console")  # fmt: skip
    assert _loaded_after(code, (*HEAVY, *unneeded)) == []
    assert (tmp_path / "out" / "report.html").is_file()


@pytest.mark.skipif(not EXAMPLE.is_dir(), reason="the bundled example is not in this checkout")
def test_a_quiet_batch_does_not_import_the_terminal_library(tmp_path: Path) -> None:
    """``qpcr batch --quiet`` shows no progress bar and, when every plate succeeds without an
    entry left out, prints nothing: rich (~30 ms of imports before the workers start) stays
    out."""
    argv = ["qpcr", "batch", str(EXAMPLE / "quantstudio_384_results.txt"), "--layout",
            str(EXAMPLE / "quantstudio_384_layout.csv"), "--config",
            str(EXAMPLE / "analysis.toml"), "--out", str(tmp_path / "out"), "--quiet",
            "--jobs", "1"]  # fmt: skip
    code = _program(argv)
    assert _loaded_after(code, ("rich", "rich.console", "rich.progress")) == []
    assert (tmp_path / "out" / "fold_changes.csv").is_file()
