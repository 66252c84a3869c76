"""miqe.md's counts from column lists against the pandas selections they replace, on random
wells and QC tables (missing codes, types and targets included)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from qpcr.report.miqe import _controls, _handling
from qpcr.settings import AnalysisConfig


def _tables(seed: int) -> SimpleNamespace:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 60))
    pick = lambda values: [values[i] for i in rng.integers(0, len(values), n)]  # noqa: E731
    wells = pd.DataFrame({
        "sample_type": pd.Series(pick(["unkn", "ntc", "nrt", "std", None]), dtype="str"),
        "target": pd.Series(pick(["MYC", "TBP", None]), dtype="str"),
        "cq": np.where(rng.random(n) < 0.3, np.nan, rng.uniform(15, 40, n)),
        "cq_status": pick(["ok", "undetermined", "invalid"]),
        "exclude_code": pd.Series(pick(["", "outlier", "outlier_group", "isolated_nondetect",
                                        None, "ntc"]), dtype=object),
    })  # fmt: skip
    codes = [["ntc_amplification", "nrt_amplification", "outlier", None][i]
             for i in rng.integers(0, 4, int(rng.integers(0, 6)))]  # fmt: skip
    qc = pd.DataFrame({"code": pd.Series(codes, dtype="str")})
    if seed % 7 == 0:
        qc = qc.drop(columns="code")
    return SimpleNamespace(wells=wells, qc=qc, config=AnalysisConfig())


def _controls_by_selection(results: SimpleNamespace, kind: str) -> tuple[int, ...]:
    wells = results.wells[results.wells["sample_type"].eq(kind)]
    code = f"{kind}_amplification"
    hits = results.qc[results.qc["code"].eq(code)] if "code" in results.qc else results.qc
    return len(wells), wells["target"].nunique(), int(wells["cq"].notna().sum()), len(hits)


def _handling_by_selection(results: SimpleNamespace) -> tuple[int, int, int]:
    wells = results.wells
    code = wells["exclude_code"].astype(str)
    samples = wells["sample_type"].eq("unkn")
    nondetects = int((wells["cq_status"].eq("undetermined") & samples).sum())
    return (int(code.str.startswith("outlier").sum()), nondetects,
            int(code.eq("isolated_nondetect").sum()))  # fmt: skip


@pytest.mark.parametrize("seed", range(40))
def test_counts_match_the_selections(seed: int) -> None:
    results = _tables(seed)
    for kind in ("ntc", "nrt"):
        item = _controls(results, kind, "controls", f"{kind}_amplification")  # type: ignore[arg-type]
        n, targets, amplified, hits = _controls_by_selection(results, kind)
        if n == 0:
            assert item.status == "missing"
            continue
        assert item.detail == (f"{n} wells over {targets} targets; {amplified} amplified, {hits} "
                               "within 5 cycles of the samples (qc.csv)")  # fmt: skip
    outliers, nondetects, isolated = _handling_by_selection(results)
    detail = _handling(results).detail  # type: ignore[arg-type]
    assert f": {outliers} well(s) excluded;" in detail
    assert f"; {nondetects} non-detect(s) in sample wells" in detail
    assert detail.endswith(f"isolated non-detects excluded: {isolated}")
