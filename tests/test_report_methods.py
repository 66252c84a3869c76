"""The methods text says what the run did: every rule that excluded wells (with the count the
wells table shows), each target's efficiency source, the tests in the result tables, the
factorial model, the adjustment and the versions."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from qpcr.config import load_config
from qpcr.pipeline import analyze
from qpcr.report.methods import methods_text
from qpcr.results import Results
from qpcr.schema.codes import CONTROL_TYPES, EXCLUDE_REASONS

EXAMPLE = Path(__file__).parents[1] / "examples" / "hypoxia_tocilizumab"


def _run(**overrides: object) -> Results:
    return analyze(
        [EXAMPLE / "quantstudio_384_results.txt"],
        layout=EXAMPLE / "quantstudio_384_layout.csv",
        config=load_config(EXAMPLE / "analysis.toml").with_overrides(**overrides),
    )


@pytest.fixture(scope="module")
def results() -> Results:
    return _run()


def _count(results: Results, prefix: str) -> int:
    codes = results.wells.loc[results.wells["excluded"], "exclude_code"].fillna("")
    return int(codes.str.startswith(prefix).sum())


def test_example_methods_name_every_rule_and_source(results: Results) -> None:
    text = methods_text(results)
    # The run's QC table and wells: one range outlier (C11), one isolated non-detect (E6).
    assert set(results.qc["code"]) >= {"isolated_nondetect", "replicate_spread"}
    assert _count(results, "outlier_") == 1
    assert _count(results, "isolated_nondetect") == 1
    assert "spanning more than 0.5 cycles were flagged; the deviating well of a flagged set " \
           "was excluded (1 well)" in text  # fmt: skip
    assert "more than 5 cycles below the cycle limit 40 was treated as a failed reaction and " \
           "excluded (1 well)" in text  # fmt: skip
    # Every target's E came from its standard curve; none was assumed.
    for target, e in results.efficiency.items():
        assert f"{target} {e:.3f} ({100 * (e - 1):.1f} %)" in text
    assert "from the standard curves" in text
    assert "E = 2" not in text
    assert "assumed" not in text
    # The test that produced fold_changes.csv, the factorial model, Holm, versions.
    assert set(results.fold_changes["test"]) == {"paired t"}
    assert "a paired t-test on the differences within each biological replicate" in text
    assert "two-way ANOVA of the log2 values (oxygen × treatment) with the biological " \
           "replicate (donor) as block" in text  # fmt: skip
    assert "with Holm's method" in text
    assert re.search(r"qpcr \S+ \(Python \d+\.\d+\.\d+, numpy \d", text)


def test_methods_follow_the_settings() -> None:
    results = _run(outlier_rule="none", efficiency={"BMP2": 1.94}, use_curve_efficiency=False,
                   test="welch", adjust="bh")  # fmt: skip
    text = methods_text(results)
    assert _count(results, "outlier_") == 0
    assert "Technical replicates were not screened for outliers." in text
    assert "deviating well" not in text
    assert "as given in the settings for BMP2 1.940 (94.0 %)" in text
    others = [t for t in results.targets if t != "BMP2"]
    assert f"assumed to be 2 (100 %) for {', '.join(others)}" in text
    assert "standard curves" not in text
    assert set(results.fold_changes["test"]) == {"welch"}
    assert "with Welch's t-test." in text
    assert "paired" not in text.split("Fold changes")[1]
    assert "Benjamini-Hochberg" in text


def test_zero_copy_wells_counted() -> None:
    # Under the Poisson rule E6 (TNFSF11, replicates at ~4 copies) is a zero-copy well.
    results = _run(outlier_rule="poisson")
    assert _count(results, "zero_copy") == 1
    assert "left out as wells without template (1 well)" in methods_text(results)


def test_every_exclusion_rule_has_words() -> None:
    """One more well excluded by any rule (not a role) changes the methods text: no code of
    EXCLUDE_REASONS goes unsaid. The Poisson run holds a zero-copy well and an outlier."""
    results = _run(outlier_rule="poisson", exclude_flags=("NOAMP",))
    before = methods_text(results)
    roles = {*CONTROL_TYPES, "standard", "other_type", "not_analysed", "not_in_layout"}
    wells = results.wells
    free = wells.index[~wells["excluded"]][0]
    for code in set(EXCLUDE_REASONS) - roles:
        changed = wells.copy()
        changed.loc[free, ["excluded", "exclude_code"]] = [True, code]
        assert methods_text(replace(results, wells=changed)) != before, code
