"""``qpcr batch`` with one settings file over plates of different panels: an entry naming a
target a plate lacks applies to the plates that measure it (a note on the others), a misspelling
stays an error, and a name on no plate is an error of the batch; ``qpcr analyze`` of one plate
keeps refusing it.

Three generated plates (benchmarks/plates.py); the third lacks VEGFA (its wells removed from the
export and from its layout).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from qpcr.cli import app
from qpcr.config import from_mapping, load_config
from qpcr.pipeline import analyze
from qpcr.validate import on_plate

ROOT = Path(__file__).parents[1]
pytestmark = pytest.mark.skipif(
    not (ROOT / "examples" / "hypoxia_tocilizumab").is_dir(),
    reason="the bundled example (the plates' generator) is not in this checkout",
)
PANEL = "BMP2, TNFSF11, TNFRSF11B, TBP, RPL13A, GAPDH"  # the third plate's targets
#: Entries for VEGFA, which the third plate lacks.
VEGFA = """
[efficiency]
VEGFA = 1.95
[assay_single_copy_cq]
VEGFA = 34.0
"""
RATIO = '"VEGFA/BMP2" = ["VEGFA", "BMP2"]\n'  # appended to the plates' [ratios] table


@pytest.fixture(scope="module")
def panels(
    tmp_path_factory: pytest.TempPathFactory, write_plates: Callable[[Path, int], list[Path]]
) -> Path:
    """The three plates, their layouts and a manifest (runs.csv); analysis.toml is the
    benchmark's settings (with a [ratios] table last)."""
    folder = tmp_path_factory.mktemp("panels")
    write_plates(folder, 3)
    for name in ("plate0002.txt", "layout.csv"):
        lines = (folder / name).read_text(encoding="utf-8").splitlines(keepends=True)
        kept = "".join(line for line in lines if "VEGFA" not in line)
        (folder / name.replace("layout", "layout2")).write_text(kept, encoding="utf-8")
    rows = ["export,layout", "plate0000.txt,layout.csv", "plate0001.txt,layout.csv",
            "plate0002.txt,layout2.csv"]  # fmt: skip
    (folder / "runs.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def _settings(panels: Path, name: str, extra: str) -> Path:
    """The benchmark's settings with ``extra`` (a ratio line, or tables) appended."""
    path = panels / name
    path.write_text((panels / "analysis.toml").read_text(encoding="utf-8") + extra, "utf-8")
    return path


def _batch(panels: Path, toml: Path, out: str, *options: str) -> tuple[int, str]:
    """Run ``qpcr batch`` over the manifest; the exit code and stderr (rejoined)."""
    args = ["batch", "--manifest", str(panels / "runs.csv"), "--config", str(toml),
            "--out", str(panels / out), "--jobs", "1", *options]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, SystemExit | None), result.exception
    return result.exit_code, " ".join(result.stderr.split())


COLUMNS = ["target", "contrast", "fold_change", "ci_low", "ci_high", "p_value"]


def _same(gathered: pd.DataFrame, export: str, alone: pd.DataFrame) -> None:
    """A plate's rows of a batch table hold the numbers of the plate analysed alone."""
    rows = gathered.loc[gathered["export"] == export, COLUMNS].reset_index(drop=True)
    pd.testing.assert_frame_equal(rows, alone[COLUMNS].reset_index(drop=True), rtol=1e-12)


def test_entries_apply_where_their_target_is(panels: Path) -> None:
    toml = _settings(panels, "shared.toml", RATIO + VEGFA)
    code, stderr = _batch(panels, toml, "out_shared")
    # the entries plate0002 lacks are named at the end of the batch (not only in --reports)
    entries = [("[efficiency]", "efficiency of 'VEGFA'"),
               ("[assay_single_copy_cq]", "single-copy Cq of 'VEGFA'"),
               ("[ratios]", "ratio 'VEGFA/BMP2'")]  # fmt: skip
    out = panels / "out_shared"
    # and the plates whose analysis warned (efficiency 2.0 assumed for the targets [efficiency]
    # leaves out, on the plates where its VEGFA entry applied) are counted
    assert (code, stderr) == (0, " ".join([*(
        f"warning: {toml} {table}: {entry} applied to 2 of 3 plate(s); not on plate0002 (target "
        "absent; see settings_applied.csv)" for table, entry in entries),
        f"warning: 2 warning(s) on 2 of 3 plate(s) (plate0000, plate0001); see "
        f"{out / 'warnings.csv'}"]))  # fmt: skip
    said = pd.read_csv(out / "warnings.csv", keep_default_na=False)
    assert said[["export", "kind"]].values.tolist() == [
        ["plate0000", "warning"], ["plate0001", "warning"],
        ["plate0002", "note"], ["plate0002", "note"], ["plate0002", "note"]]  # fmt: skip
    reach = pd.read_csv(out / "settings_applied.csv", keep_default_na=False)
    assert reach.values.tolist() == [
        [f"{toml} [efficiency]", "efficiency of 'VEGFA'", 3, 2, "plate0002"],
        [f"{toml} [assay_single_copy_cq]", "single-copy Cq of 'VEGFA'", 3, 2, "plate0002"],
        [f"{toml} [ratios]", "ratio 'RANKL/OPG'", 3, 3, ""],
        [f"{toml} [ratios]", "ratio 'VEGFA/BMP2'", 3, 2, "plate0002"],
    ]
    assert pd.read_csv(out / "errors.csv").empty
    fold = pd.read_csv(out / "fold_changes.csv")
    ratios = pd.read_csv(out / "ratios.csv")
    targets = {"BMP2", "TNFSF11", "TNFRSF11B", "GAPDH"}  # the third plate's, references aside
    assert set(fold.loc[fold["export"] == "plate0002", "target"]) == targets
    assert set(fold.loc[fold["export"] == "plate0000", "target"]) == targets | {"VEGFA"}
    assert set(ratios.loc[ratios["export"] == "plate0002", "ratio"]) == {"RANKL/OPG"}
    assert set(ratios.loc[ratios["export"] == "plate0000", "ratio"]) == {"RANKL/OPG", "VEGFA/BMP2"}
    # plate0000 as `qpcr analyze` gives it with the same file: VEGFA's efficiency applied ...
    config = load_config(toml)
    alone = analyze([panels / "plate0000.txt"], panels / "layout.csv", config)
    _same(fold, "plate0000", alone.fold_changes)
    # ... and plate0002 as the file without the VEGFA entries gives it
    plain = load_config(panels / "analysis.toml")
    other = analyze([panels / "plate0002.txt"], panels / "layout2.csv", plain)
    _same(fold, "plate0002", other.fold_changes)
    assert alone.efficiency["VEGFA"] == 1.95


def test_the_plate_without_the_target_has_a_note(panels: Path) -> None:
    toml = _settings(panels, "shared_api.toml", RATIO + VEGFA)
    config = replace(load_config(toml), shared=True)
    out = analyze([panels / "plate0002.txt"], panels / "layout2.csv", config)
    assert out.notes[:3] == (
        f"{toml} [efficiency]: efficiency of 'VEGFA' not applied: VEGFA is not on this plate "
        "(it applies to the plates that measure it)",
        f"{toml} [assay_single_copy_cq]: single-copy Cq of 'VEGFA' not applied: VEGFA is not "
        "on this plate (it applies to the plates that measure it)",
        f"{toml} [ratios]: ratio 'VEGFA/BMP2' not applied: VEGFA is not on this plate (it "
        "applies to the plates that measure it)",
    )
    assert (out.config.efficiency, out.config.assay_single_copy_cq) == ({}, {})
    assert list(out.config.ratios) == ["RANKL/OPG"]
    assert "VEGFA" not in out.efficiency


def test_one_plate_alone_still_refuses_the_absent_target(panels: Path) -> None:
    toml = _settings(panels, "alone.toml", VEGFA)
    args = ["analyze", str(panels / "plate0002.txt"), "-l", str(panels / "layout2.csv"), "-c",
            str(toml), "-o", str(panels / "alone"), "--no-figures", "--no-workbook"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert " ".join(result.stderr.split()) == (
        f"error: {toml} [efficiency]: efficiency of 'VEGFA' names no target of the data; "
        f"expected one of {PANEL}"
    )


def test_a_misspelling_stays_an_error_on_the_plates_that_hold_the_target(panels: Path) -> None:
    toml = _settings(panels, "misspelt.toml", "[efficiency]\nVEGF = 1.95\n")
    code, stderr = _batch(panels, toml, "out_misspelt")
    assert code == 1
    errors = pd.read_csv(panels / "out_misspelt" / "errors.csv", keep_default_na=False)
    assert errors["export"].tolist() == ["plate0000", "plate0001", ""]
    assert errors["message"][0] == (
        f"{toml} [efficiency]: efficiency of 'VEGF' names no target of the data; expected one "
        "of BMP2, VEGFA, TNFSF11, TNFRSF11B, TBP, RPL13A, GAPDH. did you mean 'VEGFA'? If "
        "'VEGF' is a target of other plates, give this plate settings of its own (a manifest "
        "row's config)"
    )
    # the plate without VEGFA has no near spelling: analysed; VEGF then matched no plate
    assert errors["message"][2].startswith(
        f"{toml} [efficiency]: efficiency of 'VEGF' applied to none of the 1 plate(s) analysed"
    )
    fold = pd.read_csv(panels / "out_misspelt" / "fold_changes.csv")
    assert set(fold["export"]) == {"plate0002"}
    assert "error: 2 of 3 plate(s) failed" in stderr


def test_a_name_on_no_plate_is_an_error_of_the_batch(panels: Path) -> None:
    toml = _settings(panels, "nowhere.toml", "[assay_single_copy_cq]\nIL6 = 34.0\n")
    code, stderr = _batch(panels, toml, "out_nowhere", "--efficiency", "IL8=1.9")
    message = [
        "--efficiency: efficiency of 'IL8' applied to none of the 3 plate(s) analysed; expected "
        "its target(s) on at least one plate. Check the name against the targets of the plates "
        "(wells.csv), or remove it",
        f"{toml} [assay_single_copy_cq]: single-copy Cq of 'IL6' applied to none of the 3 "
        "plate(s) analysed; expected its target(s) on at least one plate. Check the name "
        "against the targets of the plates (wells.csv), or remove it",
    ]
    assert (code, stderr) == (1, " ".join(f"error: {m}" for m in message))
    errors = pd.read_csv(panels / "out_nowhere" / "errors.csv", keep_default_na=False)
    # the CSV guards a cell that starts with '-' (a formula to a spreadsheet) with a quote
    assert errors.values.tolist() == [["", f"'{message[0]}"], ["", message[1]]]
    fold = pd.read_csv(panels / "out_nowhere" / "fold_changes.csv")
    assert fold["export"].value_counts().to_dict() == {"plate0000": 15, "plate0001": 15,
                                                       "plate0002": 12}  # fmt: skip


def test_a_plate_without_its_reference_gene_fails_with_a_clear_message(panels: Path) -> None:
    toml = _settings(panels, "ref.toml", "")
    text = toml.read_text(encoding="utf-8").replace('"RPL13A"', '"RPL13A", "VEGFA"')
    toml.write_text(text, encoding="utf-8")
    code, _ = _batch(panels, toml, "out_ref")
    assert code == 1
    errors = pd.read_csv(panels / "out_ref" / "errors.csv")
    assert errors.values.tolist() == [[
        "plate0002",
        f"{toml} reference_genes: reference gene 'VEGFA' is not among the targets measured; "
        f"expected one of {PANEL}. A plate without its reference genes cannot be normalised. "
        "If 'VEGFA' is a target of other plates, give this plate settings of its own (a "
        "manifest row's config)",
    ]]  # fmt: skip
    fold = pd.read_csv(panels / "out_ref" / "fold_changes.csv")
    assert set(fold["export"]) == {"plate0000", "plate0001"}


def test_a_reference_gene_given_as_an_option_is_not_mended_by_a_rows_settings(
    panels: Path,
) -> None:
    """An option sets its setting on every plate over the plate's own settings: the plate
    given settings of its own still lacks VEGFA, so the hint names the option, not the row."""
    rows = ["export,layout,config", "plate0000.txt,layout.csv,", "plate0001.txt,layout.csv,",
            "plate0002.txt,layout2.csv,analysis.toml"]  # fmt: skip
    manifest = panels / "ref_rows.csv"
    manifest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    args = ["batch", "--manifest", str(manifest), "--config", str(panels / "analysis.toml"),
            "--out", str(panels / "out_ref_option"), "--jobs", "1",
            "--reference-genes", "TBP,VEGFA"]  # fmt: skip
    assert CliRunner().invoke(app, args).exit_code == 1
    errors = pd.read_csv(panels / "out_ref_option" / "errors.csv")
    assert errors.values.tolist() == [[
        "plate0002",
        "'--reference-genes: reference gene 'VEGFA' is not among the targets measured; expected "
        f"one of {PANEL}. A plate without its reference genes cannot be normalised. If 'VEGFA' "
        "is a target of other plates, give reference_genes in each plate's settings (a "
        "manifest row's config) rather than with --reference-genes, which applies to every "
        "plate",
    ]]  # fmt: skip


def test_a_near_name_that_the_settings_name_too_is_no_misspelling() -> None:
    """IL6 and IL8 are both assays of the panel: a plate measuring IL8 alone takes IL8's entry
    and leaves IL6's out; with IL6 the only entry, IL8 on the plate may be what was meant."""
    wells = pd.DataFrame({"sample": ["a", "a"], "sample_type": "unkn", "target": ["IL8", "ACTB"]})
    both = replace(from_mapping({"efficiency": {"IL6": 1.9, "IL8": 1.95}}), shared=True)
    applied, notes = on_plate(wells, both)
    assert applied.efficiency == {"IL8": 1.95}
    assert notes == ["settings [efficiency]: efficiency of 'IL6' not applied: IL6 is not on this "
                     "plate (it applies to the plates that measure it)"]  # fmt: skip
    alone = replace(both, efficiency={"IL6": 1.9})
    assert on_plate(wells, alone) == (alone, [])  # kept: check_names refuses it
    assert on_plate(wells, replace(both, shared=False)) == (both, [])  # one plate: unchanged


def test_a_rows_own_settings_are_checked_as_analyze_checks_them(panels: Path) -> None:
    """Settings a manifest row names serve that row's plate alone: an entry for a target the
    plate lacks refuses that plate, as `qpcr analyze` would, and the other plates are kept."""
    own = _settings(panels, "own.toml", VEGFA)
    rows = ["export,layout,config", "plate0000.txt,layout.csv,", "plate0001.txt,layout.csv,",
            "plate0002.txt,layout2.csv,own.toml"]  # fmt: skip
    manifest = panels / "own_rows.csv"
    manifest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    args = ["batch", "--manifest", str(manifest), "--config", str(panels / "analysis.toml"),
            "--out", str(panels / "out_own"), "--jobs", "1"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    errors = pd.read_csv(panels / "out_own" / "errors.csv", keep_default_na=False)
    assert errors.values.tolist() == [
        ["plate0002", f"{own} [efficiency]: efficiency of 'VEGFA' names no target of the data; "
         f"expected one of {PANEL}"],
    ]  # fmt: skip
    fold = pd.read_csv(panels / "out_own" / "fold_changes.csv")
    assert set(fold["export"]) == {"plate0000", "plate0001"}


def test_a_python_override_the_plate_lacks_is_named_and_hinted_as_an_override(
    panels: Path,
) -> None:
    """``run_batch(overrides=...)`` without ``origins``: the override sets reference_genes on
    every plate, over a plate's own settings too, so the hint does not send the user there
    alone (it used to say "give this plate settings of its own")."""
    from qpcr.batch import run_batch

    done = run_batch(manifest=panels / "runs.csv", out=panels / "out_api_override",
                     config=panels / "analysis.toml", jobs=1,
                     overrides={"reference_genes": ("TBP", "VEGFA")})  # fmt: skip
    assert done.failed == 1
    assert list(done.errors) == [(
        "plate0002",
        "overrides reference_genes: reference gene 'VEGFA' is not among the targets measured; "
        f"expected one of {PANEL}. A plate without its reference genes cannot be normalised. "
        "If 'VEGFA' is a target of other plates, give reference_genes in each plate's settings "
        "(a manifest row's config) rather than in the batch's overrides, which apply to every "
        "plate",
    )]  # fmt: skip


def test_one_settings_file_reached_two_ways_is_one_source(panels: Path) -> None:
    """``--config`` spelled another way than a manifest row's path to the same file: the
    entries are one source. VEGFA's entry applies on the rows' plates (0 and 1) and not on
    plate0002 (the --config plate); keyed by the path as written, the --config spelling
    applied to none of its 1 plate, a false error (exit 1)."""
    toml = _settings(panels, "twice.toml", VEGFA)
    (panels / "sub").mkdir(exist_ok=True)
    rows = ["export,layout,config", "plate0000.txt,layout.csv,twice.toml",
            "plate0001.txt,layout.csv,twice.toml", "plate0002.txt,layout2.csv,"]  # fmt: skip
    manifest = panels / "twice_rows.csv"
    manifest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    other = panels / "sub" / ".." / "twice.toml"
    args = ["batch", "--manifest", str(manifest), "--config", str(other),
            "--out", str(panels / "out_twice"), "--jobs", "1"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(panels / "out_twice" / "errors.csv").empty
    reach = pd.read_csv(panels / "out_twice" / "settings_applied.csv", keep_default_na=False)
    assert reach[["setting", "entry", "plates", "applied", "not_applied"]].values.tolist() == [
        [f"{toml} [efficiency]", "efficiency of 'VEGFA'", 3, 2, "plate0002"],
        [f"{toml} [assay_single_copy_cq]", "single-copy Cq of 'VEGFA'", 3, 2, "plate0002"],
        [f"{toml} [ratios]", "ratio 'RANKL/OPG'", 3, 3, ""],
    ]
