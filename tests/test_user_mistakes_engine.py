"""Issue 11 (engine side): input mistakes a lab really makes give the correct result or a
one-line error, never a confident wrong answer.

Each case builds its input, then asserts either hand-computed numbers or the exact error (exit
code 1 through the CLI, one line naming the place, no traceback).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from qpcr.config import AnalysisConfig, Contrast, load_config
from qpcr.errors import ConfigError
from qpcr.factorial import factorial_tables
from qpcr.groups import compare_groups
from qpcr.pipeline import analyze
from qpcr.stability import genorm, stability_table

runner = CliRunner()
DATA = Path(__file__).parent / "data"
LC96 = DATA / "exports" / "rdml" / "rdml_v1_1_lc96_bactxy.rdml"
DONORS = ("D1", "D2", "D3")
OXYGEN = ("normoxia", "hypoxia")
TREATMENT = ("vehicle", "tocilizumab")

SETTINGS = """
reference_genes = ["REF"]
replicate = "donor"
[control]
oxygen = "normoxia"
treatment = "vehicle"
"""
CONTRAST = """
[[contrasts]]
name = "tocilizumab under hypoxia"
numerator = {{ oxygen = "hypoxia", treatment = "{num}" }}
denominator = {{ oxygen = "hypoxia", treatment = "{den}" }}
"""


def _tidy(tmp_path: Path, rows: list[dict], name: str = "plate.csv") -> Path:
    """Write rows as a tidy table; wells are numbered per plate (A1, A2, … on 384 wells)."""
    frame = pd.DataFrame(rows)
    plates = frame["plate"].fillna("") if "plate" in frame else pd.Series("", index=frame.index)
    i = frame.groupby(plates, sort=False).cumcount()
    frame.insert(0, "well", ["ABCDEFGHIJKLMNOP"[n // 24] + str(n % 24 + 1) for n in i])
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def _factorial_rows(
    cq: Callable[[str, str, str, int], list[object]],
    targets: tuple[str, ...] = ("T", "REF"),
) -> list[dict]:
    """3 donors × oxygen × treatment; ``cq(target, oxygen, treatment, donor index)`` gives the
    replicate Cq values (numbers or "Undetermined")."""
    rows = []
    for d, donor in enumerate(DONORS):
        for ox in OXYGEN:
            for tr in TREATMENT:
                for target in targets:
                    rows += [
                        {"sample": f"{donor} {ox} {tr}", "target": target, "cq": value,
                         "sample_type": "unkn", "oxygen": ox, "treatment": tr, "donor": donor}
                        for value in cq(target, ox, tr, d)
                    ]  # fmt: skip
    return rows


def _design_cq(target: str, ox: str, tr: str, d: int) -> list[object]:
    """REF 20 + donor offset; T and T2 respond to hypoxia and tocilizumab with a little
    donor × condition scatter (so that the factorial models have residual variance)."""
    base = 0.3 * d
    if target == "REF":
        return [20.0 + base] * 2
    scatter = 0.1 * ((d + 2 * OXYGEN.index(ox) + TREATMENT.index(tr)) % 3 - 1)
    shift = -1.0 * (ox == "hypoxia") - 0.5 * (tr == "tocilizumab")
    return [25.0 + (target == "T2") + base + shift + scatter] * 2


def _settings(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _cli_error(args: list[str]) -> str:
    """Run ``qpcr`` expecting a user error: exit code 1, one line on stderr, no traceback."""
    result = runner.invoke(app_(), args)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # no uncaught error
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return " ".join(result.stderr.split())


def app_():
    from qpcr.cli import app

    return app


def _analyze_cli(tmp_path: Path, settings: str) -> list[str]:
    plate = _tidy(tmp_path, _factorial_rows(_design_cq))
    toml = _settings(tmp_path, settings)
    return ["analyze", str(plate), "-c", str(toml), "-o", str(tmp_path / "out")]


# ------------------------------------------------------------------ item 5: every name checked


@pytest.mark.parametrize("side", ["numerator", "denominator"])
def test_contrast_level_typo_is_refused_on_either_side(tmp_path: Path, side: str) -> None:
    """A typo in the numerator was reported as n = 0, 'not detected in the compared group'."""
    num, den = ("tocilizumb", "vehicle") if side == "numerator" else ("tocilizumab", "vehicl")
    typo = num if side == "numerator" else den
    args = _analyze_cli(tmp_path, SETTINGS + CONTRAST.format(num=num, den=den))
    message = _cli_error(args)
    assert f"[[contrasts]] 'tocilizumab under hypoxia' {side}: level '{typo}' of factor " in (
        message
    )
    assert "'treatment' is not in the data; expected one of vehicle, tocilizumab." in message
    assert message.endswith(f"did you mean '{TREATMENT[side == 'numerator']}'?")


def test_compare_groups_checks_the_numerator_too() -> None:
    """The API: the numerator's level was overwritten by the denominator's in the check."""
    values = pd.DataFrame({"target": "T", "treatment": ["vehicle", "drug"] * 2,
                           "sample": list("abcd"), "log2_rq": [0.0, 1.0, 0.2, 1.2]})  # fmt: skip
    contrast = Contrast("drug vs vehicle", {"treatment": "drgu"}, {"treatment": "vehicle"})
    with pytest.raises(ConfigError, match=r"contrasts 'drug vs vehicle' numerator: level 'drgu'"):
        compare_groups(values, value="log2_rq", item="target", factors=["treatment"],
                       control={"treatment": "vehicle"}, contrasts=[contrast])  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('[efficiency]\nBMP22 = 1.9\n', "[efficiency]: efficiency of 'BMP22' names no target of "
         "the data; expected one of T, REF"),
        ('[ratios]\n"T/X" = ["T", "T22"]\n', "[ratios]: target 'T22' of ratio 'T/X' is not among "
         "the targets measured; expected one of T, T2, REF. did you mean 'T2'?"),
        ('candidate_genes = ["RFE", "T2", "T"]\n', "candidate_genes: candidate gene 'RFE' is not "
         "among the targets measured; expected one of T, T2, REF. did you mean 'REF'?"),
        ('irc_samples = ["D1 normoxia vehicl"]\n', "irc_samples: inter-run calibrator 'D1 "
         "normoxia vehicl' is not a sample name of the data"),
    ],
)  # fmt: skip
def test_unknown_names_in_settings_are_refused(tmp_path: Path, extra: str, expected: str) -> None:
    targets = ("T", "REF") if "BMP22" in extra else ("T", "T2", "REF")
    plate = _tidy(tmp_path, _factorial_rows(_design_cq, targets))
    toml = _settings(tmp_path, SETTINGS + extra if extra.startswith("[") else extra + SETTINGS)
    message = _cli_error(["analyze", str(plate), "-c", str(toml), "-o", str(tmp_path / "o")])
    assert expected in message
    assert not (tmp_path / "o" / "fold_changes.csv").exists()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"reference_genes": ("REFF",)}, "settings reference_genes: reference gene 'REFF' is "
         "not among the targets measured; expected one of T, REF. did you mean 'REF'?"),
        ({"control": {"oxygen": "normoxia", "treatmnt": "vehicle"}}, "settings [control]: "
         "factor 'treatmnt' is not in the data; expected one of oxygen, treatment. did you "
         "mean 'treatment'?"),
        ({"control": {"oxygen": "normoxic", "treatment": "vehicle"}}, "settings [control]: "
         "level 'normoxic' of factor 'oxygen' is not in the data; expected one of normoxia, "
         "hypoxia. did you mean 'normoxia'?"),
        ({"replicate": "donr"}, "settings replicate: replicate column 'donr' is not in the "
         "data; expected one of oxygen, treatment, donor. did you mean 'donor'?"),
    ],
)  # fmt: skip
def test_unknown_names_name_the_setting(tmp_path: Path, overrides: dict, expected: str) -> None:
    config = AnalysisConfig(
        reference_genes=("REF",), replicate="donor",
        control={"oxygen": "normoxia", "treatment": "vehicle"},
    ).with_overrides(**overrides)  # fmt: skip
    with pytest.raises(ConfigError) as info:
        analyze([_tidy(tmp_path, _factorial_rows(_design_cq))], config=config)
    assert str(info.value) == expected


def test_design_sample_named_as_calibrator_is_refused(tmp_path: Path) -> None:
    """It used to end in a TypeError in compare._check_levels (the sample lost its design
    values); a calibrator inside the design is ambiguous, so it is refused with a hint."""
    plate = _tidy(tmp_path, _factorial_rows(_design_cq))
    toml = _settings(tmp_path, 'irc_samples = ["D1 normoxia vehicle"]\n' + SETTINGS)
    message = _cli_error(["analyze", str(plate), "-c", str(toml), "-o", str(tmp_path / "o")])
    assert message == (
        f"error: {toml} irc_samples: inter-run calibrator 'D1 normoxia vehicle' is also a "
        "sample of the design; expected a calibrator outside the compared groups. Measure a "
        "separate calibrator sample on every plate, or remove it from irc_samples (one plate "
        "needs none)"
    )


def test_calibrator_on_a_single_plate_is_left_out(tmp_path: Path) -> None:
    """A separate calibrator sample on one plate calibrates nothing: it is left out (with a
    note) instead of crashing the comparison; the fold changes are those without it."""
    rows = _factorial_rows(_design_cq)
    plain = analyze([_tidy(tmp_path, rows, "a.csv")], config=load_config(
        _settings(tmp_path, SETTINGS)))  # fmt: skip
    rows += [{"sample": "IRC1", "target": target, "cq": 22.0, "sample_type": "unkn"}
             for target in ("T", "REF") for _ in range(2)]  # fmt: skip
    toml = _settings(tmp_path, 'irc_samples = ["IRC1"]\n' + SETTINGS)
    out = analyze([_tidy(tmp_path, rows, "b.csv")], config=load_config(toml))
    assert "inter-run calibrator(s) IRC1 not used: one plate" in out.notes
    assert "IRC1" not in set(out.samples["sample"])
    columns = ["contrast", "log2_fold_change", "p_value"]
    pd.testing.assert_frame_equal(out.fold_changes[columns], plain.fold_changes[columns])


def test_unused_alias_is_a_warning_not_a_silent_no_op(tmp_path: Path) -> None:
    plate = _tidy(tmp_path, _factorial_rows(_design_cq))
    config = load_config(_settings(tmp_path, 'aliases = { RANKL = "TNFSF11" }\n' + SETTINGS))
    out = analyze([plate], config=config)
    assert any("[aliases]: 'RANKL' renames no target of the exports" in w for w in out.warnings)
    # the analysis itself is unaffected: T is 2^1 up under hypoxia (vehicle), as built
    fc = out.fold_changes.set_index("contrast")
    row = fc.loc["oxygen=hypoxia, treatment=vehicle vs control"]
    # per donor d: 1 − (scatter(hypoxia) − scatter(normoxia)) = 1 − 0.1·((d + 2) % 3 − d % 3)
    # = 0.8, 1.1, 1.1 for d = 0, 1, 2: mean 1.0
    assert row["log2_fold_change"] == pytest.approx(1.0, abs=1e-12)


def test_alias_that_applies_renames(tmp_path: Path) -> None:
    plate = _tidy(tmp_path, _factorial_rows(_design_cq, ("RANKL", "REF")))
    config = load_config(_settings(tmp_path, 'aliases = { RANKL = "T" }\n' + SETTINGS))
    out = analyze([plate], config=config)
    assert out.targets == ("T", "REF")
    assert not any("[aliases]" in w for w in out.warnings)


def test_efficiency_table_misplaced_in_toml_is_a_message_not_a_crash(tmp_path: Path) -> None:
    """A key written after the [efficiency] header belongs to that table: a list where an
    efficiency is expected used to end in a TypeError traceback."""
    plate = _tidy(tmp_path, _factorial_rows(_design_cq))
    toml = _settings(tmp_path, '[efficiency]\nT = 1.9\nreference_genes = ["REF"]\n')
    message = _cli_error(["analyze", str(plate), "-c", str(toml), "-o", str(tmp_path / "o")])
    assert message == (
        f"error: {toml} [efficiency] reference_genes: ['REF'] is not a number; expected a "
        "factor like 1.95 or a percentage like '95 %'"
    )


def test_no_settings_refuses_instead_of_writing_empty_tables(tmp_path: Path) -> None:
    plate = _tidy(tmp_path, _factorial_rows(_design_cq))
    message = _cli_error(["analyze", str(plate), "-o", str(tmp_path / "o")])
    assert message == (
        "error: settings reference_genes: no reference gene is set, and no standard wells "
        "with quantities make it an absolute quantification. Choose one or more housekeeping "
        'genes among T, REF (--reference-genes GENE,... or reference_genes = ["..."]), or mark '
        "a dilution series as sample type 'std' with its quantities"
    )
    assert not (tmp_path / "o" / "fold_changes.csv").exists()


def test_standards_without_quantities_do_not_make_it_absolute(tmp_path: Path) -> None:
    rows = _factorial_rows(_design_cq)
    rows += [{"sample": "STD", "target": "T", "cq": 20.0, "sample_type": "std"}] * 3
    message = _cli_error(["analyze", str(_tidy(tmp_path, rows)), "-o", str(tmp_path / "o")])
    assert "no reference gene is set, and no standard wells with quantities" in message


def test_standards_too_few_levels_for_a_curve_are_refused_without_references(
    tmp_path: Path,
) -> None:
    """The Thermo 7500 example: c-myc standards at 2 dilution levels give no curve, no reference
    gene is set; the run used to finish with header-only tables and one 'skipped' warning."""
    export = DATA / "exports" / "thermo" / "thermo_classic_7500_96_synthetic.txt"
    message = _cli_error(["analyze", str(export), "-o", str(tmp_path / "o")])
    assert message == (
        "error: settings reference_genes: no reference gene is set, and the standards give no "
        "standard curve to read quantities off (c-myc: skipped: 2 usable dilution level(s) "
        "(< 3) among 4 standard well(s)). For fold changes choose one or more housekeeping "
        "genes among c-myc, GAPDH; for absolute quantification a target needs standards at 3 "
        "or more dilution levels"
    )


def test_absolute_quantification_says_so(tmp_path: Path) -> None:
    """No reference genes with a usable standard curve: the run is absolute and says so; the
    unknowns are read off the curve, 10^((Cq − 35)/−3.5)."""
    rows = (
        _standards("T", SLOPE, 0.03)
        + [{"sample": "U1", "target": "T", "cq": 28.0, "sample_type": "unkn"}] * 2
    )
    out = analyze([_tidy(tmp_path, rows)])
    assert out.notes[0].startswith("no reference genes given: absolute quantification")
    quantities = out.tables["quantities"]
    assert quantities["quantity"].tolist() == pytest.approx([10**2], rel=1e-12)
    assert quantities["upper_bound"].tolist() == [False]
    assert out.fold_changes.empty


# ------------------------------------------------- items 7 and 9: standard curves, efficiencies

SLOPE = -3.5
E_CURVE = 10 ** (-1 / SLOPE)  # 1.930697728883…


def _standards(target: str, slope: float, spread: float, plate: str = "") -> list[dict]:
    """5 dilution levels (10 … 1e5) × 3 replicates on Cq = 35 + slope·log10(q), replicates
    at −spread, 0, +spread (so the fitted slope is exactly ``slope``)."""
    return [
        {"plate": plate, "sample": f"STD{x}", "target": target, "sample_type": "std",
         "quantity": 10.0**x, "cq": 35.0 + slope * x + spread * (r - 1),
         "donor": "", "treatment": ""}
        for x in range(1, 6)
        for r in range(3)
    ]  # fmt: skip


def _two_groups(plate: str = "") -> list[dict]:
    """3 donors × ctrl/drug; REF at 20, T at 28 (ctrl) and 27 (drug): 1 cycle up."""
    return [
        {"plate": plate, "sample": f"{donor}-{tr}", "target": target,
         "cq": 20.0 if target == "REF" else 28.0 - (tr == "drug"), "sample_type": "unkn",
         "donor": donor, "treatment": tr}
        for donor in DONORS for tr in ("ctrl", "drug") for target in ("T", "REF") for _ in range(2)
    ]  # fmt: skip


CURVE_CONFIG = AnalysisConfig(
    reference_genes=("REF",), replicate="donor", control={"treatment": "ctrl"}, test="welch"
)


def _drug_fc(results) -> float:
    fc = results.fold_changes
    return float(fc.loc[fc["target"] == "T", "fold_change"].iloc[0])


def test_curve_efficiency_is_used_when_the_curve_is_good(tmp_path: Path) -> None:
    path = _tidy(tmp_path, _two_groups() + _standards("T", SLOPE, 0.03))
    out = analyze([path], config=CURVE_CONFIG)
    assert out.efficiency["T"] == pytest.approx(E_CURVE, abs=1e-12)
    # T is 1 cycle lower with the drug, REF unchanged: FC = E^1
    assert _drug_fc(out) == pytest.approx(E_CURVE, abs=1e-12)
    # no QC event at all leaves an empty, untyped column
    assert not out.qc["rule"].astype("string").str.contains("fallback|outside-ci").any()


def test_efficiency_setting_outside_the_curve_ci_is_a_qc_warning(tmp_path: Path) -> None:
    path = _tidy(tmp_path, _two_groups() + _standards("T", SLOPE, 0.03))
    out = analyze([path], config=CURVE_CONFIG.with_overrides(efficiency={"T": 2.0}))
    curve = out.tables["standard_curves"].iloc[0]
    lo, hi = curve["efficiency_ci_low"], curve["efficiency_ci_high"]
    assert lo < E_CURVE < hi < 2.0
    event = out.qc[out.qc["code"] == "standard_curve_setting_outside_ci"]
    assert len(event) == 1
    assert event["severity"].iloc[0] == "warn"
    assert event["message"].iloc[0] == (
        f"T on plate plate: the [efficiency] setting E = 2.000 lies outside the standard "
        f"curve's 95 % CI {lo:.3f}–{hi:.3f} (curve E = 1.931); the setting is used"
    )
    assert _drug_fc(out) == pytest.approx(2.0, abs=1e-12)  # the setting wins


def test_efficiency_setting_inside_the_curve_ci_passes(tmp_path: Path) -> None:
    path = _tidy(tmp_path, _two_groups() + _standards("T", SLOPE, 0.03))
    out = analyze([path], config=CURVE_CONFIG.with_overrides(efficiency={"T": 1.93}))
    assert not out.qc["code"].eq("standard_curve_setting_outside_ci").any()
    assert _drug_fc(out) == pytest.approx(1.93, abs=1e-12)


def test_curve_with_low_r_squared_falls_back_to_e_2(tmp_path: Path) -> None:
    """Replicates at ±1 cycle: R² = 1 − 10/(3.5²·30 + 10) = 0.97351 < 0.98. The curve's
    E = 1.9307 used to enter the fold change; now E = 2 is assumed, and the QC table says so."""
    path = _tidy(tmp_path, _two_groups() + _standards("T", SLOPE, 1.0))
    out = analyze([path], config=CURVE_CONFIG)
    assert out.tables["standard_curves"]["r_squared"].iloc[0] == pytest.approx(
        1 - 10 / (3.5**2 * 30 + 10), abs=1e-12
    )
    event = out.qc[out.qc["rule"] == "standard-curve-fallback"]
    assert event["message"].tolist() == [
        "T on plate plate: standard curve not used (R² 0.9735 below 0.98); efficiency from "
        "none: E = 2 (100 %) assumed"
    ]
    assert "T" not in out.efficiency
    assert _drug_fc(out) == pytest.approx(2.0, abs=1e-12)


def test_bad_curve_falls_back_to_the_setting(tmp_path: Path) -> None:
    path = _tidy(tmp_path, _two_groups() + _standards("T", 0.4, 0.03))
    out = analyze([path], config=CURVE_CONFIG.with_overrides(efficiency={"T": 1.9}))
    event = out.qc[out.qc["rule"] == "standard-curve-fallback"]
    assert event["message"].tolist() == [
        "T on plate plate: standard curve not used (slope 0.4 is not negative); efficiency "
        "from the [efficiency] setting, E = 1.900"
    ]
    assert _drug_fc(out) == pytest.approx(1.9, abs=1e-12)


def test_bad_curve_on_one_plate_falls_back_to_the_other_plates(tmp_path: Path) -> None:
    """Plate P1 holds the samples and a curve whose Cq rises with input; plate P2 a good curve
    (slope −3.5). The analysis used to stop; now T takes the pooled curve of P2."""
    rows = _two_groups("P1") + _standards("T", 0.4, 0.03, "P1") + _standards("T", SLOPE, 0.03, "P2")
    out = analyze([_tidy(tmp_path, rows)], config=CURVE_CONFIG)
    event = out.qc[out.qc["rule"] == "standard-curve-fallback"]
    assert event["message"].tolist() == [
        "T on plate P1: standard curve not used (slope 0.4 is not negative); efficiency from "
        "the standard curves of the other plates, E = 1.931"
    ]
    assert out.efficiency["T"] == pytest.approx(E_CURVE, abs=1e-12)
    assert _drug_fc(out) == pytest.approx(E_CURVE, abs=1e-12)


def test_lc96_positive_control_curve_warns_instead_of_aborting(tmp_path: Path) -> None:
    """The Cy5 positive control's Cq rises with input (slope +0.392): it gets a QC event and no
    quantities; the three other curves give theirs, and non-detects give upper bounds."""
    result = runner.invoke(app_(), ["analyze", str(LC96), "-o", str(tmp_path / "o"), "-q"])
    assert result.exit_code == 0, result.output
    qc = pd.read_csv(tmp_path / "o" / "qc.csv")
    slope = qc[qc["rule"] == "standard-curve-slope-not-negative"]
    assert slope["target"].tolist() == ["Cy5@IPC"]
    quantities = pd.read_csv(tmp_path / "o" / "quantities.csv")
    assert "Cy5@IPC" not in set(quantities["target"])
    assert set(quantities["target"]) == {"FAM@bACT", "Hex@X", "Texas Red@Y"}
    curves = pd.read_csv(tmp_path / "o" / "standard_curves.csv").set_index("target")
    for row in quantities.to_dict("records"):
        a, b = curves.loc[row["target"], ["intercept", "slope"]]
        assert row["quantity"] == pytest.approx(10 ** ((row["cq_mean"] - a) / b), rel=1e-12)
        # a mean at the limit (40, a non-detect) is a lower bound of Cq: an upper-bound quantity
        assert row["upper_bound"] == (row["cq_mean"] == 40.0)
    assert quantities["upper_bound"].sum() == 6  # Hex@X and Texas Red@Y, 3 samples each


def test_terminal_marks_quantities_from_non_detects_as_upper_bounds() -> None:
    from qpcr import analyze
    from qpcr.report.summary import display_tables

    results = analyze([LC96])
    shown = display_tables(results)["Quantities read off the standard curves"]
    table = results.tables["quantities"]
    marked = shown["quantity"].str.startswith("≤ ")
    assert marked.tolist() == table["upper_bound"].tolist()
    assert marked.sum() == 6
    assert "upper_bound" not in shown


# ----------------------------------------------- §2.9: "not detected" only when all are ND


def test_one_non_detect_per_donor_gives_a_bounded_fold_change(tmp_path: Path) -> None:
    """Each drug sample has T at 36, 36 and one non-detect (kept at 40): the mean Cq 37.3333 is
    a lower bound, so FC = 2^−(37.3333 − 37) = 2^(−1/3) is an upper bound. It used to be
    reported as 'not detected in the compared group', without a number."""
    rows = [
        {"sample": f"{donor}-{tr}", "target": target, "donor": donor, "treatment": tr,
         "cq": value, "sample_type": "unkn"}
        for donor in DONORS for tr in ("ctrl", "drug")
        for target, values in (("REF", [20.0] * 3),
                               ("T", [37.0] * 3 if tr == "ctrl" else [36.0, 36.0, "Undetermined"]))
        for value in values
    ]  # fmt: skip
    out = analyze([_tidy(tmp_path, rows)], config=CURVE_CONFIG)
    row = out.fold_changes.set_index("target").loc["T"]
    assert row["fold_change"] == pytest.approx(2 ** (-1 / 3), abs=1e-12)
    assert row["bound"] == "≤"
    assert "an upper bound" in row["note"]
    assert not out.samples["not_detected"].any()


def test_compare_groups_not_detected_needs_every_well_non_detect() -> None:
    values = pd.DataFrame({
        "target": "T", "treatment": ["ctrl"] * 3 + ["drug"] * 3, "sample": list("abcdef"),
        "log2_rq": [0.0, 0.1, -0.1, 1.0, 1.2, 0.8], "upper_bound": [False] * 3 + [True] * 3,
    })  # fmt: skip
    common = dict(value="log2_rq", item="target", factors=["treatment"],
                  control={"treatment": "ctrl"})  # fmt: skip
    bounded = compare_groups(values, **common).iloc[0]
    assert bounded["log2_fold_change"] == pytest.approx(1.0, abs=1e-12)
    assert bounded["bound"] == "≤"
    nd = compare_groups(values.assign(not_detected=values["upper_bound"]), **common).iloc[0]
    assert math.isnan(nd["fold_change"])
    assert nd["note"] == "not detected in the compared group"


def test_group_without_values_is_not_called_not_detected(tmp_path: Path) -> None:
    """Every drug sample's reference is undetermined: no ΔCq, which is not a non-detect of T."""
    rows = [
        {"sample": f"{donor}-{tr}", "target": target, "donor": donor, "treatment": tr,
         "cq": "Undetermined" if (target, tr) == ("REF", "drug") else 20.0 + (target == "T"),
         "sample_type": "unkn"}
        for donor in DONORS for tr in ("ctrl", "drug") for target in ("T", "REF") for _ in range(2)
    ]  # fmt: skip
    out = analyze([_tidy(tmp_path, rows)], config=CURVE_CONFIG)
    row = out.fold_changes.set_index("target").loc["T"]
    assert math.isnan(row["fold_change"])
    assert row["note"] == "no usable value in the compared group"


# ------------------------------------------------------ item 12: warnings and recommendations


def test_warned_gene_is_never_recommended() -> None:
    """geNorm recommends GAPDH among its genes; a warning says not to use it, so the next clean
    gene of the consensus rank takes its place."""
    rng = np.random.default_rng(0)
    base = rng.normal(0, 1, 8)
    cq = pd.DataFrame({
        "GAPDH": 18 + base, "REF_A": 22 + base + 0.01 * rng.normal(size=8),
        "REF_B": 25 + base + 0.3 * rng.normal(size=8),
        "REF_C": 24 + base + 0.6 * rng.normal(size=8),
    }, index=[f"s{i}" for i in range(8)])  # fmt: skip
    plain, _ = stability_table(cq, warnings=[])
    assert "GAPDH" in set(plain.loc[plain["recommended"], "target"])
    n = len(genorm(cq).recommended)
    warning = {"rule": "hypoxia_responsive", "target": "GAPDH", "severity": "warning",
               "message": "GAPDH is a known hypoxia (HIF) target"}  # fmt: skip
    table, _ = stability_table(cq, warnings=[warning])
    clean = [g for g in table["target"] if g != "GAPDH"][:n]
    assert table.loc[table["recommended"], "target"].tolist() == clean
    assert table.set_index("target").loc["GAPDH", "warning"] == warning["message"]


def test_analysis_never_recommends_its_warned_reference(tmp_path: Path) -> None:
    """GAPDH as reference under an oxygen factor: the run warns, and reference_genes.csv
    agrees (recommended False, the warning in its row)."""

    def cq(target: str, ox: str, tr: str, d: int) -> list[object]:
        hyp = ox == "hypoxia"
        offsets = {"GAPDH": 18.0 - 0.8 * hyp, "REF_A": 22.0, "REF_B": 24.0 + 0.05 * d}
        if target in offsets:
            return [offsets[target] + 0.3 * d] * 2
        return _design_cq(target, ox, tr, d)

    rows = _factorial_rows(cq, ("T", "GAPDH", "REF_A", "REF_B"))
    config = AnalysisConfig(
        reference_genes=("GAPDH", "REF_A"), candidate_genes=("REF_B",), replicate="donor",
        control={"oxygen": "normoxia", "treatment": "vehicle"},
    )  # fmt: skip
    out = analyze([_tidy(tmp_path, rows)], config=config)
    assert any(w.startswith("GAPDH is a known hypoxia (HIF) target") for w in out.warnings)
    genes = out.tables["reference_genes"].set_index("target")
    assert not genes.loc["GAPDH", "recommended"]
    assert "GAPDH is a known hypoxia (HIF) target" in genes.loc["GAPDH", "warning"]
    assert not (genes["recommended"] & genes["warning"].ne("")).any()


# -------------------------------------------------------- fail_on_controls and factorial tables


def test_fail_on_controls_withholds_the_factorial_tables_too(tmp_path: Path) -> None:
    rows = _factorial_rows(_design_cq, ("T", "T2", "REF"))
    rows.append({"sample": "NTC", "target": "T", "cq": 26.0, "sample_type": "ntc"})
    config = AnalysisConfig(
        reference_genes=("REF",), replicate="donor", fail_on_controls=True,
        control={"oxygen": "normoxia", "treatment": "vehicle"},
    )  # fmt: skip
    out = analyze([_tidy(tmp_path, rows)], config=config)
    note = "failed: NTC amplification (fail_on_controls)"
    for name in ("anova", "contrasts"):
        table = out.tables[name]
        failed, kept = table[table["name"] == "T"], table[table["name"] == "T2"]
        assert len(failed) == len(kept) > 0
        assert (failed["note"] == note).all()
        assert failed.select_dtypes("number").drop(columns="n", errors="ignore").isna().all().all()
        assert kept["p_value"].notna().sum() == failed["p_value"].isna().sum() - (name == "anova")
    contrasts = out.tables["contrasts"]
    kept = contrasts[contrasts["name"] == "T2"]
    # T is out of the adjustment family: T2 alone, so Holm leaves its p unchanged
    assert kept["p_adj"].tolist() == pytest.approx(kept["p_value"].tolist(), abs=0)
    fc = out.fold_changes
    assert (fc.loc[fc["target"] == "T", "note"] == note).all()


def test_refused_anova_keeps_the_estimable_contrasts() -> None:
    """No hypoxia + tocilizumab cell: the ANOVA is refused, but the simple effects within the
    observed cells are estimable. Hypoxia within vehicle: mean of (1.0, 1.2, 1.0) = 1.066667;
    tocilizumab within normoxia: mean of (0.5, 0.4, 0.6) = 0.5."""
    y = {"D1": (0.0, 1.0, 0.5), "D2": (0.2, 1.4, 0.6), "D3": (-0.1, 0.9, 0.5)}
    cells = (("normoxia", "vehicle"), ("hypoxia", "vehicle"), ("normoxia", "tocilizumab"))
    samples = pd.DataFrame([
        {"sample": f"{d} {ox} {tr}", "target": "T", "oxygen": ox, "treatment": tr, "donor": d,
         "log2_rq": values[i]}
        for d, values in y.items() for i, (ox, tr) in enumerate(cells)
    ])  # fmt: skip
    config = AnalysisConfig(reference_genes=("REF",), replicate="donor",
                            control={"oxygen": "normoxia", "treatment": "vehicle"})  # fmt: skip
    tables = factorial_tables(samples, pd.DataFrame(), ["oxygen", "treatment"], "donor", config)
    anova = tables["anova"]
    assert len(anova) == 1
    assert "no data in" in anova["note"].iloc[0]
    contrasts = tables["contrasts"].set_index("contrast")
    hyp = contrasts.loc["oxygen: hypoxia vs normoxia | treatment=vehicle"]
    toc = contrasts.loc["treatment: tocilizumab vs vehicle | oxygen=normoxia"]
    assert hyp["estimate_log2"] == pytest.approx(3.2 / 3, abs=1e-12)
    assert toc["estimate_log2"] == pytest.approx(0.5, abs=1e-12)
    assert np.isfinite([hyp["p_value"], toc["p_value"]]).all()
