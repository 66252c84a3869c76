"""The bundled example recovers its stated true fold changes (within its noise)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

from qpcr.config import load_config
from qpcr.pipeline import analyze

EXAMPLE = Path(__file__).parents[1] / "examples" / "hypoxia_tocilizumab"
CODES = {("normoxia", "vehicle"): "NV", ("normoxia", "tocilizumab"): "NT",
         ("hypoxia", "vehicle"): "HV", ("hypoxia", "tocilizumab"): "HT"}  # fmt: skip


def _generator():
    spec = importlib.util.spec_from_file_location("generate", EXAMPLE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results():
    return analyze(
        [EXAMPLE / "quantstudio_384_results.txt"],
        layout=EXAMPLE / "quantstudio_384_layout.csv",
        config=load_config(EXAMPLE / "analysis.toml"),
    )


def test_files_are_what_the_generator_writes(tmp_path: Path) -> None:
    gen = _generator()
    for size in (384, 96):
        wells = gen.simulate(gen.wells_384() if size == 384 else gen.wells_96())
        text = gen.export_text(wells, size).encode("utf-8")
        assert text == (EXAMPLE / f"quantstudio_{size}_results.txt").read_bytes()


def test_every_well_is_accounted_for(results) -> None:
    wells = results.wells
    assert len(wells) == 273
    assert wells.loc[~wells["excluded"], "sample_type"].eq("unkn").all()
    assert set(wells.loc[wells["excluded"], "exclude_reason"]) == {
        "control well (no-template control)"
    }


def _noise(gen, genes_per_sample: float) -> float:
    """SD of a paired group difference of per-sample log2 values under the generator's model:
    biological and mean technical noise of ``genes_per_sample`` gene-equivalents per sample,
    two samples per difference, averaged over the donors (donor effects cancel)."""
    per_gene = gen.BIO_SD**2 + gen.TECH_SD**2 / 3
    return math.sqrt(2 * genes_per_sample * per_gene / len(gen.DONORS))


def test_true_fold_changes_are_recovered(results) -> None:
    """Each estimate lies within 3.5 SD (from the generator's noise model) of the truth."""
    gen = _generator()
    truth = gen.TRUE_LOG2_FC
    sd = _noise(gen, 1 + 1 / 2)  # the target plus the mean of two reference genes
    checked = 0
    for row in results.fold_changes.to_dict("records"):
        if row["target"] not in truth:
            continue
        code = CODES[(row["oxygen"], row["treatment"])]
        if row["contrast"].endswith("vs control"):
            true = truth[row["target"]][code] - truth[row["target"]]["NV"]
        else:  # tocilizumab under hypoxia: HT vs HV
            true = truth[row["target"]]["HT"] - truth[row["target"]]["HV"]
        assert abs(row["log2_fold_change"] - true) < 3.5 * sd, row
        checked += 1
    assert checked == 20


def test_rankl_opg_ratio_is_recovered(results) -> None:
    gen = _generator()
    truth = gen.TRUE_LOG2_FC

    def log2_ratio(code: str) -> float:
        return truth["TNFSF11"][code] - truth["TNFRSF11B"][code]

    ratios = results.ratios
    key = ratios[ratios["contrast"] == "tocilizumab under hypoxia"].iloc[0]
    true = log2_ratio("HT") - log2_ratio("HV")
    se = (math.log2(key["fc_ci_high"]) - math.log2(key["fc_ci_low"])) / (
        2 * 4.302653
    )  # t(0.975, 2)
    assert abs(math.log2(key["fold_change"]) - true) < 3 * se
    assert key["fold_change"] < 1  # tocilizumab lowers RANKL/OPG under hypoxia


def test_96_well_variant(tmp_path: Path) -> None:
    out = analyze(
        [EXAMPLE / "quantstudio_96_results.txt"],
        layout=EXAMPLE / "quantstudio_96_layout.csv",
        config=load_config(EXAMPLE / "analysis_96.toml"),
    )
    assert len(out.wells) == 78
    assert set(out.fold_changes["target"]) == {"BMP2"}
