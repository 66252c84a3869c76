"""The public steps of an analysis: each usable on its own, ``analyze`` their composition, the
settings never rewritten (derived values live in the results), the report apart from the
engine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import qpcr
from qpcr.config import AnalysisConfig
from qpcr.labels import labelled
from qpcr.pipeline import analyze, read_wells
from qpcr.report.tables import provenance
from qpcr.stages.comparisons import adjust, compare
from qpcr.stages.quality import quality
from qpcr.stages.quantify import quantify

DATA = Path(__file__).parent / "data" / "methods"
DATASET = DATA / "dataset_2_0.csv"
CONFIG = AnalysisConfig(
    reference_genes=("REF_A", "REF_B"),
    replicate="donor",
    control={"oxygen": "normoxia", "treatment": "vehicle"},
    ratios={"RANKL/OPG": ("RANKL", "OPG")},
)
EXAMPLE = Path(__file__).parents[1] / "examples" / "hypoxia_tocilizumab"


def _tables(results: qpcr.Results) -> dict[str, pd.DataFrame]:
    frames = {
        name: getattr(results, name)
        for name in (
            "wells",
            "replicates",
            "samples",
            "fold_changes",
            "ratios",
            "ratio_samples",
            "qc",
        )
    }
    return {**frames, **results.tables}  # fmt: skip


def test_the_steps_compose_to_analyze() -> None:
    """read_wells → quality → quantify → compare → adjust → labelled, called one by one, give
    every table of ``analyze``."""
    whole = analyze([DATASET], config=CONFIG)
    wells = read_wells([DATASET], None, CONFIG)
    checked = quality(wells.table, CONFIG)
    found = quantify(checked, CONFIG)
    compared = compare(found.samples, CONFIG, factors=found.factors, qc=found.qc)
    assert found.comparable
    assert list(compared.tables) == ["anova", "contrasts"]
    fold = compared.fold_changes
    assert "p_adj" not in fold  # compare leaves the adjustment to adjust
    adjusted = labelled(adjust(
        qpcr.Results(
            wells=found.wells, replicates=found.replicates, samples=found.samples,
            fold_changes=fold, ratios=compared.ratios, ratio_samples=compared.ratio_samples,
            qc=found.qc, config=CONFIG, factors=found.factors, targets=found.targets,
            inputs=wells.inputs, runs=wells.runs,
            tables={**found.tables, **compared.tables},
        )
    ))  # fmt: skip
    for name, table in _tables(whole).items():
        pd.testing.assert_frame_equal(_tables(adjusted)[name], table, obj=name)
    # Holm within one contrast over the 6 targets and the ratio: the smallest p times 7
    family = adjusted.fold_changes[adjusted.fold_changes["contrast"] == fold["contrast"].iloc[0]]
    ratio = adjusted.ratios[adjusted.ratios["contrast"] == fold["contrast"].iloc[0]]
    p = pd.concat([family["p_value"], ratio["p_value"]])
    assert len(p) == 7
    smallest = pd.concat([family, ratio]).loc[lambda t: t["p_value"] == p.min()]
    assert smallest["p_adj"].iloc[0] == pytest.approx(min(1.0, 7 * p.min()))


def test_each_step_adds_its_columns() -> None:
    wells = read_wells([DATASET], None, CONFIG)
    assert {"plate", "source", "sample", "target", "cq", "oxygen", "donor"} <= set(wells.table)
    assert [i.role for i in wells.inputs] == ["export"]
    checked = quality(wells.table, CONFIG)
    added = set(checked.wells) - set(wells.table)
    assert {"excluded", "exclude_code", "exclude_reason", "cq_used", "censored"} <= added
    found = quantify(checked, CONFIG)
    assert {"delta_cq", "log2_rq", "se_log2_rq", "upper_bound", "not_detected"} <= set(
        found.samples
    )


def test_quality_analyses_only_the_targets_given() -> None:
    wells = read_wells([DATASET], None, CONFIG).table
    checked = quality(wells, CONFIG, targets=["REF_A", "REF_B"])
    kept = checked.wells.loc[~checked.wells["excluded"], "target"]
    assert set(kept) == {"REF_A", "REF_B"}


def test_auto_reference_genes_live_in_the_results() -> None:
    candidates = ("REF_A", "REF_B", "REF_C", "GAPDH")
    config = CONFIG.with_overrides(reference_genes=("auto",), candidate_genes=candidates)
    out = analyze([DATASET], config=config)
    assert out.config is config  # the settings as given, not rewritten
    assert config.reference_genes == ("auto",)
    assert set(out.reference_genes) == {"REF_A", "REF_B"}
    # the run equals one with the pair named, apart from the settings and the note
    pair = CONFIG.with_overrides(candidate_genes=candidates, reference_genes=out.reference_genes)
    named = analyze([DATASET], config=pair)
    pd.testing.assert_frame_equal(out.fold_changes, named.fold_changes)
    assert provenance(out)["settings"]["reference_genes"] == list(out.reference_genes)


def test_curve_efficiencies_live_in_the_results() -> None:
    """The example's standard curves give BMP2's efficiency; the settings keep none, the
    results and provenance.json carry it."""
    config = qpcr.load_config(EXAMPLE / "analysis.toml")
    out = analyze([EXAMPLE / "quantstudio_384_results.txt"],
                  layout=EXAMPLE / "quantstudio_384_layout.csv", config=config)  # fmt: skip
    assert out.config is config
    assert "BMP2" not in config.efficiency
    curves = out.tables["standard_curves"].set_index("target")
    assert out.efficiency["BMP2"] == pytest.approx(curves.loc["BMP2", "efficiency"])
    settings = json.loads(json.dumps(provenance(out)["settings"], default=str))
    assert settings["efficiency"]["BMP2"] == pytest.approx(out.efficiency["BMP2"])
    assert out.resolved_config().efficiency == out.efficiency
    assert out.resolved_config().reference_genes == config.reference_genes


def test_importing_the_report_does_not_import_the_engine() -> None:
    code = (
        "import sys, qpcr.report, qpcr.results; "
        "print(sorted(m for m in ('qpcr.pipeline', 'qpcr.stages.quantify', 'qpcr.stages.quality')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_api_names_the_steps_even_after_the_engine_is_loaded() -> None:
    """A step named like its module (``qpcr.stages.quality``) stays a function on ``qpcr``."""
    code = (
        "import qpcr, qpcr.pipeline; "
        "print([callable(getattr(qpcr, n)) for n in "
        "('read_wells', 'quality', 'quantify', 'compare', 'adjust', 'analyze')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[True, True, True, True, True, True]"
    assert qpcr.compare is compare
    assert qpcr.quality is quality
    assert qpcr.quantify is quantify
    assert qpcr.adjust is adjust
