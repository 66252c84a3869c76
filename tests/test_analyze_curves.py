"""``qpcr analyze`` on raw amplification curves: Cq called from the curves (``cq_source``) and
efficiencies taken from them (``efficiency_source = "curves"``), issue 15 item 3.

The synthetic plate: GAPDH (E 1.95) and MYC (E 1.85), three control and three treated samples
in duplicate; MYC starts at 4 × the copies in the treated samples, GAPDH alike in all. Each
curve is N0·E^c saturating at 5 units over a background of 100, so a curve is its
neighbour's shifted in cycles: the fold change is 4 exactly when each target's own E is used.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qpcr.config import from_mapping
from qpcr.errors import InputError
from qpcr.pipeline import analyze, read_wells
from qpcr.stages.quality import quality
from qpcr.stages.quantify import quantify

SHARED = Path(__file__).parents[1] / ".." / "shared"
CFX = SHARED / "exports" / "biorad-cfx" / "sam_2024-03-25_06-10-54_Connect-Quantification-"
BIORAD_RDML = SHARED / "exports" / "rdml" / "BioRad_qPCR_melt.rdml"

CYCLES = np.arange(1, 41.0)
EFFICIENCY = {"GAPDH": 1.95, "MYC": 1.85}
DESIGN = {"reference_genes": ["GAPDH"], "control": {"treatment": "ctrl"}}


def _curve(n0: float, e: float) -> np.ndarray:
    signal = n0 * e**CYCLES
    return 100 + signal / (1 + (signal / 5) ** 4) ** 0.25


def _plate(folder: Path, standards: bool = False) -> tuple[Path, Path]:
    """A CFX-style amplification export (a ``Cycle`` column, one column per well) and its
    layout; ``standards`` adds a MYC dilution series (1e-5 to 1e-8, duplicates)."""
    columns, layout = {}, []
    wells = iter(f"{row}{col}" for row in "ABCD" for col in range(1, 13))
    for group, fold in (("ctrl", 1.0), ("drug", 4.0)):
        for rep, n0 in enumerate((1e-5, 2e-5, 0.5e-5), start=1):
            for target, start in (("GAPDH", 3 * n0), ("MYC", fold * n0)):
                for _ in range(2):
                    well = next(wells)
                    columns[well] = _curve(start, EFFICIENCY[target])
                    layout.append((well, f"{group}{rep}", target, group, "unkn", ""))
    if standards:
        for quantity in (1e-5, 1e-6, 1e-7, 1e-8):
            for _ in range(2):
                well = next(wells)
                columns[well] = _curve(quantity, EFFICIENCY["MYC"])
                layout.append((well, f"std {quantity:g}", "MYC", "", "std", quantity))
    export = pd.DataFrame({"": "", "Cycle": CYCLES.astype(int), **columns})
    export.to_csv(folder / "plate1.csv", index=False)
    names = ["well", "sample", "target", "treatment", "sample_type", "quantity"]
    pd.DataFrame(layout, columns=names).to_csv(folder / "layout.csv", index=False)
    return folder / "plate1.csv", folder / "layout.csv"


def test_fold_change_with_the_curves_efficiencies_is_the_true_one(tmp_path: Path) -> None:
    export, layout = _plate(tmp_path)
    config = from_mapping({**DESIGN, "efficiency_source": "curves"})
    results = analyze([export], layout, config)
    assert results.wells["cq_source"].eq("linreg").all()
    assert results.wells["cq_status"].eq("ok").all()
    for target, e in EFFICIENCY.items():
        assert results.efficiency[target] == pytest.approx(e, abs=1e-4)
        source = results.efficiency_sources()[target]
        assert source.kind == "amplification curves"
        assert source.se is not None
        assert source.se < 1e-4
    [fold] = results.fold_changes["fold_change"]
    assert fold == pytest.approx(4.0, rel=1e-3)
    # the called Cq: MYC in ctrl1 starts at 1e-5, GAPDH at 3e-5: ΔCq = the cycles between
    # them at their own E, as the curves' threshold T gives T = N0·E^Cq for both
    wells = results.wells.set_index(["sample", "target"])["cq"].groupby(level=[0, 1]).mean()
    threshold = results.curve_calls.amplicons.set_index("target")["threshold"]
    for target, n0 in (("GAPDH", 3e-5), ("MYC", 1e-5)):
        e = EFFICIENCY[target]
        assert wells["ctrl1", target] == pytest.approx(
            math.log(threshold[target] / n0) / math.log(e), abs=0.05
        )
    assert len(results.tables["curves"]) == 24
    assert results.curve_calls is not None
    assert results.curve_calls.method == "linreg"


def test_without_curve_efficiencies_e_2_is_assumed_and_the_fold_change_is_biased(
    tmp_path: Path,
) -> None:
    export, layout = _plate(tmp_path)
    results = analyze([export], layout, from_mapping(DESIGN))
    assert results.efficiency == {}
    [fold] = results.fold_changes["fold_change"]
    # MYC's Cq moves by log(4)/log(1.85) cycles, read at E = 2 (GAPDH is unchanged)
    assert fold == pytest.approx(2 ** (math.log(4) / math.log(1.85)), rel=2e-3)
    assert fold == pytest.approx(4.764, abs=0.01)


def test_cpd2_calls_a_cq_that_gives_the_same_fold_change(tmp_path: Path) -> None:
    export, layout = _plate(tmp_path)
    config = from_mapping({**DESIGN, "efficiency_source": "curves", "cq_source": "cpd2"})
    results = analyze([export], layout, config)
    assert results.wells["cq_source"].eq("cpd2").all()
    [fold] = results.fold_changes["fold_change"]
    # the second-derivative maximum on whole cycles moves by 2.216 cycles where the curve
    # moved by log(4)/log(1.85) = 2.252: 3.948 instead of 4
    assert fold == pytest.approx(4.0, rel=0.02)


def test_instrument_cq_source_refuses_a_curve_export(tmp_path: Path) -> None:
    export, layout = _plate(tmp_path)
    with pytest.raises(InputError, match="no Cq values"):
        analyze([export], layout, from_mapping({**DESIGN, "cq_source": "instrument"}))


def test_curve_efficiencies_need_curves(tmp_path: Path) -> None:
    path = tmp_path / "run.csv"
    rows = [f"{s},{t},{cq},{g}" for s, g in (("c1", "ctrl"), ("c2", "ctrl"), ("d1", "drug"),
            ("d2", "drug")) for t, cq in (("GAPDH", 20.0), ("MYC", 25.0))]  # fmt: skip
    path.write_text("sample,target,cq,treatment\n" + "\n".join(rows) + "\n")
    config = from_mapping({**DESIGN, "efficiency_source": "curves"})
    with pytest.raises(InputError, match="efficiency_source = 'curves' needs raw amplification"):
        analyze([path], None, config)


def test_a_standard_curve_is_held_against_the_amplification_curves(tmp_path: Path) -> None:
    export, layout = _plate(tmp_path, standards=True)
    config = from_mapping(DESIGN)
    results = analyze([export], layout, config)
    [curve] = results.tables["standard_curves"].to_dict("records")
    # Cq of a ten-fold dilution moves by 1/log10(1.85) = 3.7436 cycles
    assert curve["slope"] == pytest.approx(-1 / math.log10(1.85), abs=1e-3)
    assert results.efficiency["MYC"] == pytest.approx(1.85, abs=1e-4)
    # both say 1.850 (CIs of ±1e-5 on noise-free curves: within AGREEMENT_TOLERANCE)
    assert not results.qc["code"].eq("standard_curve_amplification_disagrees").any()
    # the same standard curve against amplicons said to give E 1.60 ± 0.01 over 12 reactions
    wells = read_wells([export], layout, config)
    assert wells.curve_calls is not None
    amplicons = wells.curve_calls.amplicons.assign(efficiency=1.60, efficiency_se=0.01, n=12)
    found = quantify(quality(wells.table, config), config, amplicons)
    events = found.qc[found.qc["code"].eq("standard_curve_amplification_disagrees")]
    assert events[["target", "severity"]].values.tolist() == [["MYC", "warn"]]
    assert events["value"].tolist() == [1.60]
    assert events["threshold"].iloc[0] == pytest.approx(1.85, abs=1e-4)


@pytest.mark.skipif(not CFX.with_name(CFX.name + "Cq-Results.csv").is_file(),
                    reason="../shared/exports (the CFX curve export) is absent")  # fmt: skip
def test_cfx_curves_give_the_instruments_cq_up_to_a_threshold_offset() -> None:
    """The CFX 'Amplification Results' of ATPsynthase (34 wells, 2 NTC) called with linreg
    against the CFX's own Cq for the same wells: a constant offset (a lower threshold), every
    well within 0.15 cycles of it (SD 0.062 cycles)."""
    from qpcr.io import read_run

    config = from_mapping({})
    called = read_wells([f"{CFX}Amplification_Results-ATPsynthase.csv"], None, config).table
    assert called["cq_source"].eq("linreg").all()
    assert called["cq_status"].value_counts().to_dict() == {"ok": 32, "undetermined": 2}
    instrument = read_run(f"{CFX}Cq-Results.csv").wells
    both = called.merge(instrument[["well", "target", "cq", "cq_status"]],
                        on=["well", "target"], suffixes=("", "_cfx"))  # fmt: skip
    assert (both["cq_status"] == both["cq_status_cfx"]).all()  # the NTCs on both sides
    offset = (both["cq"] - both["cq_cfx"]).dropna()
    assert len(offset) == 32
    assert offset.median() == pytest.approx(-5.53, abs=0.01)
    assert (offset - offset.median()).abs().max() < 0.15


@pytest.mark.skipif(not BIORAD_RDML.is_file(), reason="../shared/exports/rdml is absent")
def test_rdml_run_without_cq_is_called_and_the_run_with_cq_keeps_it() -> None:
    """BioRad_qPCR_melt.rdml: run 'Amp Step 3_FAM' carries the instrument's Cq (26 wells, 4
    undetermined); run 'Amp Step 3_Cy5' carries curves only. cq_source = 'auto' calls the
    second from its curves (flat: a rise of 10-77 units, none amplified)."""
    from qpcr.io import read_run

    wells = read_wells([BIORAD_RDML], None, from_mapping({})).table
    sources = wells.groupby("plate")["cq_source"].unique().map(list).to_dict()
    assert sources == {"Amp Step 3_FAM": ["instrument"], "Amp Step 3_Cy5": ["linreg"]}
    fam = wells[wells["plate"].eq("Amp Step 3_FAM")]
    exported = read_run(BIORAD_RDML).wells
    exported = exported[exported["plate"].eq("Amp Step 3_FAM")]
    assert fam["cq"].tolist() == pytest.approx(exported["cq"].tolist(), nan_ok=True)
    cy5 = wells[wells["plate"].eq("Amp Step 3_Cy5")]
    assert cy5["cq_status"].eq("undetermined").all()
    assert len(cy5) == 30
    with pytest.raises(InputError, match="no Cq in the file for run Amp Step 3_Cy5"):
        read_wells([BIORAD_RDML], None, from_mapping({"cq_source": "instrument"}))


def test_methods_text_says_where_cq_and_efficiency_came_from(tmp_path: Path) -> None:
    from qpcr.report.methods import methods_text

    export, layout = _plate(tmp_path)
    text = methods_text(analyze([export], layout, from_mapping({**DESIGN, "efficiency_source":
                                                                "curves"})))  # fmt: skip
    assert "Cq values were called from the raw amplification curves with LinRegPCR" in text
    assert "from the amplification curves (each amplicon's mean reaction efficiency" in text
    assert "GAPDH 1.950 (95.0 %); MYC 1.850 (85.0 %)" in text
    text = methods_text(analyze([export], layout, from_mapping({**DESIGN, "cq_source": "cpd2"})))
    assert "curves with the second-derivative maximum of the smoothed curve." in text
    assert "assumed to amplify with E = 2" in text


def test_cli_analyze_on_a_curve_export_writes_the_curves_table(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from qpcr.cli import app

    export, layout = _plate(tmp_path)
    out = tmp_path / "out"
    args = ["analyze", str(export), "--layout", str(layout), "-r", "GAPDH", "--control",
            "treatment=ctrl", "--efficiency-source", "curves", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    curves = pd.read_csv(out / "curves.csv")
    assert len(curves) == 24
    assert curves.groupby("target")["amplicon_efficiency"].first().round(3).to_dict() == EFFICIENCY
    wells = pd.read_csv(out / "wells.csv")
    assert wells["cq_source"].eq("linreg").all()
    fold = pd.read_csv(out / "fold_changes.csv")["fold_change"].iloc[0]
    assert fold == pytest.approx(4.0, rel=1e-3)


VERMEULEN = (
    SHARED / "reference" / "ruijter2013_vermeulen_dilutions" / "data_vermeulen_std_150000_15.rdml"
)


@pytest.mark.skipif(not VERMEULEN.is_file(), reason="../shared/reference is absent")
def test_vermeulen_dilutions_standard_curves_from_called_cq_against_linregpcr() -> None:
    """The Vermeulen series (64 genes, one plate each, 5 ten-fold levels × 3): the RDML holds
    curves and no Cq, so analyze calls all 960; with no reference gene it is an absolute
    quantification on standard curves fitted to the called Cq. Their efficiencies (median
    1.948) sit below the amplicons' LinRegPCR means (median 1.954) by a median 0.011, and for
    13 of the 64 genes the CIs part."""
    results = analyze([VERMEULEN], None, from_mapping({}))
    assert results.wells["cq_source"].eq("linreg").all()
    assert results.wells["cq_status"].eq("ok").sum() == 960
    curves = results.tables["standard_curves"]
    assert results.curve_calls is not None
    both = curves.merge(results.curve_calls.amplicons, on=["plate", "target"],
                        suffixes=("_std", "_amp"))  # fmt: skip
    assert len(both) == 64
    assert both["efficiency_std"].median() == pytest.approx(1.948, abs=0.001)
    assert both["efficiency_amp"].median() == pytest.approx(1.954, abs=0.001)
    difference = (both["efficiency_std"] - both["efficiency_amp"]).median()
    assert difference == pytest.approx(-0.011, abs=0.001)
    disagree = results.qc[results.qc["code"].eq("standard_curve_amplification_disagrees")]
    assert len(disagree) == 13


def test_a_well_without_a_curve_on_a_called_plate_loses_the_instruments_cq() -> None:
    """Under cq_source = 'linreg' a well of the plate without a curve (an RDML reaction with
    <cq> and no <adp>) has no Cq: the instrument's is not mixed in unmarked."""
    from qpcr.calling.wells import call_wells

    curves = pd.DataFrame({"plate": "p1", "well": "A1", "target": "MYC", "sample": "s1",
                           "reporter": "", "cycle": CYCLES, "kind": "amplification",
                           "fluorescence": _curve(1e-5, 1.9)})  # fmt: skip
    wells = pd.DataFrame({"plate": "p1", "well": ["A1", "A2"], "target": "MYC",
                          "sample": ["s1", "s2"], "sample_type": "unkn", "cq": [17.0, 18.0],
                          "cq_status": "ok"})  # fmt: skip
    called, _ = call_wells(wells, curves, "linreg", {"p1"})
    assert called["cq_status"].tolist() == ["ok", "missing"]
    assert called["cq_source"].tolist() == ["linreg", "linreg"]
    assert called["cq"].iloc[0] != 17.0
    assert np.isnan(called["cq"].iloc[1])
    kept, _ = call_wells(wells, curves, "linreg", set())  # efficiencies only: Cq kept
    assert kept["cq"].tolist() == [17.0, 18.0]
    assert kept["cq_source"].eq("instrument").all()


def test_an_export_with_melt_curves_gives_the_melt_table(tmp_path: Path) -> None:
    """The StepOne text export (Cq, 6 amplification and 3 melt readings): the instrument's
    Cq is used (nothing called, no curves.csv), and the melt curves of A1 and A3 give
    melt.csv, written with the other tables."""
    from qpcr.melt import melt_peaks
    from qpcr.report.tables import write_tables

    export = Path(__file__).parent / "data" / "exports" / "thermo"
    export = export / "thermo_classic_stepone_48_synthetic.txt"
    wells = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4"]
    layout = pd.DataFrame({"well": wells, "oxygen": ["normoxia"] * 4 + ["hypoxia"] * 4})
    config = from_mapping({"reference_genes": ["ACTB"], "control": {"oxygen": "normoxia"}})
    results = analyze([export], layout, config)
    assert results.curve_calls is None
    assert "curves" not in results.tables
    assert "cq_source" not in results.wells  # every Cq is the instrument's
    melt = results.tables["melt"]
    assert melt[["well", "target"]].values.tolist() == [["A1", "ACTB"], ["A3", "VEGFA"]]
    read = read_wells([export], layout, config)
    assert read.curves is not None
    pd.testing.assert_frame_equal(melt, melt_peaks(read.curves, read.table))
    written = [p.name for p in write_tables(results, tmp_path)]
    assert "melt.csv" in written
    assert "curves.csv" not in written
    # its per-well melt events reach qc.csv (neither curve has a peak in three readings)
    events = results.qc[results.qc["code"].str.startswith("melt_")]
    assert events[["well", "code"]].values.tolist() == [["A1", "melt_no_peak"],
                                                        ["A3", "melt_no_peak"]]  # fmt: skip


def test_the_quality_stage_is_given_the_melt_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """analyze hands the melt table to the quality stage, whose NTC rule uses it (the rule
    itself: tests/test_melt.py)."""
    import qpcr.pipeline as pipeline

    export = Path(__file__).parent / "data" / "exports" / "thermo"
    export = export / "thermo_classic_stepone_48_synthetic.txt"
    given = []
    real = pipeline.quality

    def spy(wells: pd.DataFrame, settings: object, targets: object = None,
            melt: pd.DataFrame | None = None) -> object:  # fmt: skip
        given.append(melt)
        return real(wells, settings, targets, melt)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "quality", spy)
    layout = pd.DataFrame({"well": ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4"],
                           "oxygen": ["normoxia"] * 4 + ["hypoxia"] * 4})  # fmt: skip
    config = from_mapping({"reference_genes": ["ACTB"], "control": {"oxygen": "normoxia"}})
    results = pipeline.analyze([export], layout, config)
    assert len(given) == 1
    assert given[0] is not None
    pd.testing.assert_frame_equal(given[0], results.tables["melt"])


def test_a_plates_curve_efficiency_outside_the_range_is_not_used_for_that_plate() -> None:
    # with pooled_efficiency off each plate takes its own E, checked against (1, 2.2] as the
    # pooled value and a plate's standard curve are: plate p2's 2.6 falls back to the pooled E
    from qpcr.stages.quantify import _amplicon_efficiencies

    amplicons = pd.DataFrame({"plate": ["p1", "p2"], "target": "MYC", "efficiency": [1.9, 2.6],
                              "efficiency_se": [0.01, 0.01], "n": [30, 10]})  # fmt: skip
    config = from_mapping({"pooled_efficiency": False})
    efficiency, _, per_plate, _, warnings = _amplicon_efficiencies(amplicons, config, ["MYC"])
    assert efficiency["MYC"] == pytest.approx((30 * 1.9 + 10 * 2.6) / 40)
    assert per_plate == {"p1": {"MYC": 1.9}}
    assert warnings == [
        "the amplification curves of MYC on plate p2 give E = 2.600, outside (1, 2.2]: not "
        "used; the pooled E = 2.075 instead"
    ]
