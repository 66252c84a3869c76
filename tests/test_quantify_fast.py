"""The quantification's fast paths held to the formulations they replace (random tables)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qpcr.errors import ConfigError, InputError
from qpcr.grouped import group_codes, moments
from qpcr.kept import content_key
from qpcr.qc import event_table
from qpcr.quant import (
    _CODES,
    _PLANS,
    _censored,
    _floats,
    located_pairing,
    normalise,
    pairing_of,
    ratio_table,
    replicate_columns,
    summarise_replicates,
)
from qpcr.schema.wells import unknown_rows
from qpcr.stability.warnings import _factor_effects
from qpcr.stages.quantify import (
    _no_events,
    _not_detected,
    _reference_events,
    _with_no_events,
)
from qpcr.stages.replicates import _attributes, _sample_attributes, _with_attributes
from qpcr.stats.dist import f_sf


def _factor_effects_one(
    samples: pd.DataFrame, target: str, factors: list[str]
) -> dict[str, tuple[float, float]]:
    """The per-target formulation :func:`_factor_effects` replaced: the target's rows selected
    from the table, each factor numbered within them."""
    chosen = samples["target"].astype(str).eq(target).to_numpy(copy=True)
    for column in ["cq_mean", *factors]:
        chosen &= samples[column].notna().to_numpy()
    at = np.flatnonzero(chosen)
    data = {column: samples[column].iloc[at] for column in ["cq_mean", *factors]}
    usable = [f for f in factors if len(pd.unique(data[f].to_numpy())) > 1]
    if not usable or len(at) < 3:
        return {}
    levels = {f: pd.factorize(data[f].astype(str), sort=True) for f in usable}
    blocks = {f: (code[:, None] == np.arange(1, len(names))).astype(float)
              for f, (code, names) in levels.items()}  # fmt: skip
    y = data["cq_mean"].to_numpy(dtype=float)
    ones = np.ones((len(y), 1))

    def fit(parts: list[np.ndarray]) -> tuple[float, int]:
        x = np.hstack([ones, *parts])
        beta, _, rank, _ = np.linalg.lstsq(x, y, rcond=None)
        return float(np.sum((y - x @ beta) ** 2)), len(y) - int(rank)

    ssr, df_resid = fit(list(blocks.values()))
    noise = len(y) * (1e3 * np.finfo(float).eps * float(np.abs(y).max())) ** 2
    testable = df_resid > 0 and ssr > noise
    out = {}
    for f in usable:
        p = float("nan")
        if testable:
            ssr_r, df_r = fit([b for g, b in blocks.items() if g != f])
            df_f = df_r - df_resid
            p = f_sf((ssr_r - ssr) / df_f / (ssr / df_resid), df_f, df_resid)
        level_means = moments(y, levels[f][0])[0]
        out[f] = (p, float(level_means.max() - level_means.min()))
    return out


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 12), st.booleans())
def test_factor_effects_of_every_target_equal_each_targets_own(
    seed: int, samples: int, holes: bool
) -> None:
    rng = np.random.default_rng(seed)
    targets = ["TBP", "RPL13A", "MYC", "B2M"]
    n = samples * len(targets)
    table = pd.DataFrame({
        "sample": np.repeat([f"s{i}" for i in range(samples)], len(targets)),
        "target": targets * samples,
        "cq_mean": rng.normal(22, 2, n).round(int(rng.integers(0, 4))),
        "oxygen": rng.choice(["normoxia", "hypoxia", "anoxia"][: rng.integers(1, 4)], n),
        "dose": rng.choice([0.0, 1.5, 10.0], n),
        "batch": pd.Series(rng.choice(np.array([1, "1", 2, 12], dtype=object), n), dtype=object),
    })  # fmt: skip
    if holes:  # missing values in the response, a factor and the target
        for column in ("cq_mean", "oxygen", "target"):
            table.loc[rng.random(n) < 0.15, column] = None
    factors = ["oxygen", "dose"] if seed % 2 else ["batch", "oxygen"]
    found = _factor_effects(table, targets, factors)
    for target in targets:
        try:
            expected = _factor_effects_one(table, target, factors)
        except ZeroDivisionError:  # aliased factors (tests/test_reference_check.py) or one
            # level as text: tested with the factors they are confounded with, or not at all
            assert any(e.confounded or np.isnan(e.p) for e in found[target].values())
            continue
        assert list(found[target]) == list(expected)
        for factor, (p, effect) in expected.items():
            # confounded factors were not tested there when the model was not testable
            assert not found[target][factor].confounded or np.isnan(p)
            assert found[target][factor].effect == effect
            assert found[target][factor].p == pytest.approx(p, rel=0, abs=0, nan_ok=True)


def _normalise_by_frames(
    rep: pd.DataFrame, refs: list[str], efficiency: dict[str, float], se: dict[str, float]
) -> pd.DataFrame:
    """The formulation :func:`qpcr.quant.normalise` (per sample) replaced: a groupby for each
    gene's mean, sample × reference tables as frames, the kept rows selected and assigned."""
    cens = (rep["n_censored"] > 0).to_numpy()
    is_ref = rep["target"].isin(refs).to_numpy()
    ref_nd = is_ref & cens
    cq = rep["cq_mean"].to_numpy(float, copy=True)
    cq[ref_nd] = np.nan
    code, names = pd.factorize(rep["target"])

    def per_target(values: list[float]) -> np.ndarray:
        return np.append(np.array(values, dtype=float), np.nan)[code]

    log2e = per_target([np.log2(efficiency.get(t, 2.0)) for t in names])
    weighted = cq * log2e
    gene_mean = pd.Series(cq, index=rep.index).groupby(rep["target"]).transform("mean")
    se_e = per_target([se.get(t, 0.0) for t in names])
    var = (log2e * rep["cq_se"].to_numpy(float)) ** 2 + (
        (gene_mean.to_numpy() - cq) * se_e / (2.0**log2e * np.log(2))
    ) ** 2
    sample, target = rep["sample"].to_numpy(), rep["target"].to_numpy()
    samples = pd.Index(sorted(set(sample[is_ref])))
    cell = (samples.get_indexer(pd.Index(sample[is_ref])),
            pd.Index(refs).get_indexer(pd.Index(target[is_ref])))  # fmt: skip
    tables = []
    for values in (weighted[is_ref], var[is_ref]):
        table = np.full((len(samples), len(refs)), np.nan)
        given = ~np.isnan(values)
        table[cell[0][given][::-1], cell[1][given][::-1]] = values[given][::-1]
        tables.append(pd.DataFrame(table, index=samples, columns=refs))
    ref_w, ref_var = tables
    ref_cq = ref_w.mean(axis=1, skipna=False)
    var_nf = ref_var.sum(axis=1, skipna=False) / len(refs) ** 2
    undetermined = set(zip(sample[ref_nd], target[ref_nd], strict=True))
    why = {
        name: ", ".join(f"{g} {'undetermined' if (name, g) in undetermined else 'missing'}"
                        for g, lost in zip(refs, row, strict=True) if lost)
        for name, row in zip(ref_w.index, ref_w.isna().to_numpy(), strict=True) if row.any()
    }  # fmt: skip
    kept = ~is_ref
    at = ref_w.index.get_indexer(pd.Index(sample[kept]))
    ref = np.append(ref_cq.to_numpy(float), np.nan)[at]
    delta = weighted[kept] - ref
    spread = np.append(var_nf.to_numpy(float), np.nan)[at]
    note = np.full(len(at), "", dtype=object)
    no_ref = np.isnan(ref)
    note[no_ref] = [f"no usable reference Cq ({why.get(s, ', '.join(refs))})"
                    for s in sample[kept][no_ref]]  # fmt: skip
    note[np.isnan(cq[kept]) & ~no_ref] = "no usable target Cq"
    return rep[kept].assign(
        censored=cens[kept], cq_mean=cq[kept], ref_cq=ref, delta_cq=delta, log2_rq=-delta,
        rel_quantity=2.0**-delta, se_log2_rq=np.sqrt(var[kept] + spread),
        note=pd.Series(note, index=rep.index[kept], dtype=object),
    ).reset_index(drop=True)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 9), st.integers(0, 12), st.booleans())
def test_normalise_equals_the_frames_it_replaced(
    seed: int, refs: int, samples: int, contiguous: bool
) -> None:
    """Random replicate tables: rows shuffled with missing values, or each gene's rows together
    in reverse order without missing values (where pandas sums a gene's Cq otherwise)."""
    rng = np.random.default_rng(seed)
    genes = [f"G{i}" for i in range(refs + 3)]
    chosen = list(rng.permutation(genes)[:refs])
    rows = [(f"s{s}", g) for s in range(samples) for g in genes if rng.random() < 0.85]
    n = len(rows)
    rep = pd.DataFrame({
        "sample": [s for s, _ in rows],
        "target": pd.Series([g for _, g in rows], dtype="str").where(rng.random(n) > 0.05),
        "n_used": rng.integers(0, 4, n),
        "cq_mean": np.where(rng.random(n) < 0.1, np.nan, rng.normal(24, 4, n)),
        "cq_se": np.where(rng.random(n) < 0.1, np.nan, rng.gamma(2, 0.05, n)),
        "n_censored": (rng.random(n) < 0.1).astype(np.int64),
        "oxygen": rng.choice(["normoxia", "hypoxia"], n),
        "donor": pd.Series(rng.choice(["D1", "D2"], n), dtype=object),
    }).sample(frac=1.0, random_state=seed % 1000)  # fmt: skip
    if contiguous:
        rep = rep.dropna().sort_values("target", ascending=False, kind="stable")
    efficiency = {g: float(rng.uniform(1.8, 2.1)) for g in genes if rng.random() < 0.5}
    efficiency_se = {g: float(rng.uniform(0, 0.05)) for g in genes if rng.random() < 0.5}
    _PLANS.clear()  # a fresh plan, then the kept one for other Cq of the same rows
    for cq_shift in (0.0, 1.5):
        table = rep.assign(cq_mean=rep["cq_mean"] + cq_shift)
        found = normalise(table, chosen, efficiency, efficiency_se)
        expected = _normalise_by_frames(table, chosen, efficiency, efficiency_se)
        pd.testing.assert_frame_equal(found, expected, check_exact=True)
        assert [type(v) for v in found["note"]] == [type(v) for v in expected["note"]]
    assert len(_PLANS) == 1


def test_normalise_plan_misses_when_samples_targets_or_references_change() -> None:
    rep = pd.DataFrame({
        "sample": ["s1", "s1", "s1", "s2", "s2", "s2"],
        "target": ["GAPDH", "TBP", "MYC"] * 2,
        "cq_mean": [18.0, 20.0, 25.0, 18.5, 20.5, 24.0], "cq_se": 0.1, "n_censored": 0,
    })  # fmt: skip
    changed = [
        (rep, ["GAPDH"]),
        (rep, ["TBP"]),  # other references
        (rep, ["GAPDH", "TBP"]),
        (rep.assign(target=["GAPDH", "MYC", "TBP"] * 2), ["GAPDH"]),  # other targets
        (rep.assign(sample=["s1", "s1", "s1", "s2", "s3", "s2"]), ["TBP"]),  # other samples
        (rep.assign(sample=rep["sample"].astype(object)), ["TBP"]),  # another dtype
    ]
    _PLANS.clear()
    for table, refs in changed:
        found = normalise(table, refs)
        pd.testing.assert_frame_equal(found, _normalise_by_frames(table, refs, {}, {}),
                                      check_exact=True)  # fmt: skip
    assert len(_PLANS) == len(changed)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 40))
def test_replicate_columns_of_rows_equal_the_summary_of_those_wells(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    wells = pd.DataFrame({
        "plate": rng.choice(["p1", "p2"], n),
        "sample": pd.Series(rng.choice(["s1", "s2", "s3"], n), dtype="str").where(
            rng.random(n) > 0.1),
        "target": pd.Series(rng.choice(["GAPDH", "MYC"], n), dtype=object),
        "cq_used": np.where(rng.random(n) < 0.2, np.nan, rng.normal(24, 2, n)),
        "censored": rng.random(n) < 0.2,
    })  # fmt: skip
    _CODES.clear()  # the wells' group numbers fresh, then kept for other rows
    for rows in (np.flatnonzero(rng.random(n) < 0.7), rng.permutation(n)[: n // 2]):
        for keys in (("sample", "target"), ("plate", "sample", "target"), ("target",)):
            expected = summarise_replicates(wells.iloc[rows], keys=keys)
            found = pd.DataFrame(replicate_columns(wells, keys, rows=rows))
            pd.testing.assert_frame_equal(found, expected, check_exact=True)
    assert len(_CODES) == 3


def test_group_numbers_are_not_kept_across_changed_wells() -> None:
    wells = pd.DataFrame({"sample": ["s1", "s1", "s2", "s2"], "target": "MYC",
                          "cq_used": [20.0, 21.0, 22.0, 23.0]})  # fmt: skip
    rows = np.array([2, 0, 1])
    changed = [(wells, ["sample", "target"]),
               (wells.assign(sample=["s1", "s2", "s2", "s2"]), ["sample", "target"]),
               (wells.assign(target=["MYC", "TBP", "MYC", "MYC"]), ["sample", "target"]),
               (wells.assign(sample=wells["sample"].astype(object)), ["sample", "target"]),
               (pd.concat([wells, wells.iloc[:1]], ignore_index=True), ["sample", "target"]),
               (wells, []), (wells.iloc[:3], [])]  # fmt: skip
    _CODES.clear()
    for table, keys in changed:
        expected = summarise_replicates(table.iloc[rows], keys=keys)
        found = pd.DataFrame(replicate_columns(table, keys, rows=rows))
        pd.testing.assert_frame_equal(found, expected, check_exact=True)
    assert len(_CODES) == len(changed)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 30), st.booleans())
def test_sample_attributes_by_position_equal_the_merge(seed: int, n: int, clash: bool) -> None:
    """Replicates whose sample has attributes, has none, or is missing; a factor named like a
    replicate column (the merge's suffixes)."""
    rng = np.random.default_rng(seed)
    names = ["s1", "s2", "s3", "s4"]
    sample = pd.Series(rng.choice(names, n), dtype="str").where(rng.random(n) > 0.1)
    columns = {"sample": sample, "target": pd.Series(rng.choice(["A", "B"], n), dtype="str"),
               "cq_mean": rng.normal(24, 2, n)}  # fmt: skip
    known = list(rng.permutation([*names, None])[: rng.integers(0, 6)])
    attrs = pd.DataFrame({"sample": pd.Series(known, dtype="str"),
                          "cq_mean" if clash else "oxygen": rng.choice(["n", "h"], len(known)),
                          "donor": rng.choice(["D1", "D2"], len(known))}).astype(str)  # fmt: skip
    attrs["sample"] = pd.Series(known, dtype="str")
    if seed % 2:  # attributes held as objects
        attrs = attrs.astype({"donor": object})
    expected = pd.DataFrame(columns).merge(attrs, on="sample", how="left")
    found = _with_attributes(dict(columns), attrs)
    pd.testing.assert_frame_equal(found, expected, check_exact=True)


def test_the_kept_empty_event_table_is_a_fresh_one_and_one_adds_what_two_do() -> None:
    """The empty event table built once equals a fresh one, and the QC table concatenated with
    it once equals the table concatenated with two (the quantification's two event kinds)."""
    empty = event_table([])
    pd.testing.assert_frame_equal(_no_events(), empty)
    assert _no_events() is _no_events()
    qc = event_table([{"plate": "p1", "well": "A1", "sample": "s1", "target": "MYC",
                       "code": "nondetect", "severity": "info", "value": 40.0}])  # fmt: skip
    qc = qc.astype({"plate": "str", "observed": float, "value": float})
    for table in (qc, empty):
        once = pd.concat([table, _no_events()], ignore_index=True)
        twice = pd.concat([table, empty, empty], ignore_index=True)
        pd.testing.assert_frame_equal(once, twice, check_exact=True)
        assert list(once.dtypes) != list(table.dtypes) or table is empty  # the empties count


def _cells(table: pd.DataFrame) -> list[list[type]]:
    return [[type(v) for v in table[c].tolist()] for c in table.columns]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31), st.integers(0, 6), st.booleans())
def test_qc_through_no_events_equals_the_concatenation(seed: int, n: int, offset: bool) -> None:
    """The QC table through the empty event table without concatenating equals the
    concatenation: dtypes, cells and their types, index (text and float columns with missing
    cells, -0.0, infinities; a table of other dtypes is concatenated)."""
    rng = np.random.default_rng(seed)
    words = np.array(["", "A1", "zero-copy", "MYC", "É 2.0"], dtype=object)
    numbers = np.array([0.0, -0.0, 1.5, np.inf, np.nan, 1e-300])
    columns: dict[str, object] = {}
    for name in _no_events().columns:  # as the QC step gives them: text, and numbers
        if name not in ("observed", "value", "threshold"):
            cells = words[rng.integers(0, len(words), n)].copy()
            cells[rng.random(n) < 0.3] = None
            columns[name] = pd.Series(cells, dtype="str")
        else:
            columns[name] = numbers[rng.integers(0, len(numbers), n)]
    qc = pd.DataFrame(columns)
    if offset:
        qc.index = pd.RangeIndex(3, 3 + n)
    assert all(isinstance(d, pd.StringDtype) or d == np.float64 for d in qc.dtypes)  # the fast path
    variants = [qc, qc.assign(rule=np.nan), qc.astype({"plate": object}), _no_events()]
    events = qc.iloc[::-1]  # a second table of events, as the reference-gene warnings give
    for table in variants:
        for more in ((), (events,), (events, table)):
            expected = pd.concat([table, *more, _no_events()], ignore_index=True)
            found = _with_no_events(table, *more)
            pd.testing.assert_frame_equal(found, expected, check_exact=True)
            pd.testing.assert_index_equal(found.columns, expected.columns, exact=True)
            pd.testing.assert_index_equal(found.index, expected.index, exact=True)
            assert _cells(found) == _cells(expected)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, 2**31), st.integers(0, 8), st.sampled_from(["int64", "float64", "Int64", object])
)
def test_not_detected_on_arrays_equals_the_series_comparison(seed: int, n: int, dtype: str) -> None:
    """Counts with missing ones (as floats, nullable integers or objects), zero used."""
    rng = np.random.default_rng(seed)
    used = pd.Series(rng.integers(0, 3, n), index=pd.RangeIndex(2, 2 + n))
    censored = pd.Series(rng.integers(0, 3, n), index=used.index).astype(float)
    if dtype != "int64":
        censored[rng.random(n) < 0.3] = np.nan
    censored = censored.astype(dtype) if dtype != "float64" else censored
    expected = censored.eq(used) & used.gt(0)
    found = pd.Series(_not_detected(censored, used), index=used.index)
    pd.testing.assert_series_equal(found, expected, check_exact=True, check_names=False)


def _reference_events_by_series(samples: pd.DataFrame) -> pd.DataFrame:
    """The formulation :func:`qpcr.stages.quantify._reference_events` replaced: the notes
    compared by ``Series.ne``."""
    noted = samples["note"].ne("")
    if not noted.any():
        return _no_events()
    bad = samples.loc[noted, ["sample", "target", "ref_cq", "note"]]
    bad = bad.drop_duplicates(["sample", "note"])
    rows = [
        {"plate": "", "well": "", "sample": r["sample"], "target": r["target"],
         "code": "missing_reference" if pd.isna(r["ref_cq"]) else "missing_target",
         "severity": "warn", "value": np.nan, "threshold": np.nan,
         "message": f"{r['sample']}: {r['note']}; no ΔCq for this sample"}
        for r in bad.to_dict("records")
    ]  # fmt: skip
    return event_table(rows)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**31), st.integers(0, 8), st.sampled_from(["str", "object"]))
def test_reference_events_on_the_notes_cells_equal_the_series_comparison(
    seed: int, n: int, dtype: str
) -> None:
    """Notes empty, of either kind, or missing (NaN, None, pd.NA)."""
    rng = np.random.default_rng(seed)
    kinds = ["", "", "no usable target Cq", "no usable reference Cq (TBP missing)", np.nan,
             None, pd.NA]  # fmt: skip
    notes = [kinds[i] for i in rng.integers(0, len(kinds) if dtype == "object" else 5, n)]
    samples = pd.DataFrame({
        "sample": [f"s{i}" for i in rng.integers(0, 3, n)], "target": "MYC",
        "ref_cq": np.where(rng.random(n) < 0.5, np.nan, 18.0),
        "note": pd.Series(notes, dtype=dtype),
    })  # fmt: skip
    found, expected = _reference_events(samples), _reference_events_by_series(samples)
    pd.testing.assert_frame_equal(found, expected, check_exact=True)


def _layout_wells(**changes: list[object]) -> pd.DataFrame:
    wells = pd.DataFrame({
        "sample": pd.Series(["c1", "c1", "h1", "h1", "NTC"], dtype="str"),
        "sample_type": pd.Series(["unkn"] * 4 + ["ntc"], dtype="str"),
        "exclude_code": pd.Series(["", "outlier", "", "", "control"], dtype=object),
        "oxygen": pd.Series(["normoxia", "normoxia", "hypoxia", "hypoxia", None], dtype=object),
        "donor": pd.Series(["D1"] * 4 + [None], dtype=object),
    })  # fmt: skip
    for name, values in changes.items():
        wells[name] = pd.Series(values, dtype=object)
    return wells


def test_sample_attributes_kept_by_content_equal_a_fresh_computation() -> None:
    from qpcr.stages import replicates

    wells = _layout_wells()
    first = _sample_attributes(wells, ["oxygen"], "donor")
    kept = list(replicates._ATTRIBUTES)
    again = _sample_attributes(wells.copy(), ["oxygen"], "donor")
    assert list(replicates._ATTRIBUTES) == kept  # the same content: a hit
    again.loc[0, "oxygen"] = "changed"  # the caller's copy: the kept table stays as made
    again = _sample_attributes(wells.copy(), ["oxygen"], "donor")
    pd.testing.assert_frame_equal(again, _attributes(wells, ["oxygen", "donor"]))
    assert list(first["oxygen"]) == ["normoxia", "hypoxia"]
    # changed content misses: a level, a well outside the layout, the factors asked for
    changed = _layout_wells(oxygen=["anoxia", "anoxia", "hypoxia", "hypoxia", None])
    assert list(_sample_attributes(changed, ["oxygen"], "donor")["oxygen"]) == [
        "anoxia", "hypoxia"]  # fmt: skip
    outside = _layout_wells(exclude_code=["not_in_layout", "", "", "", "control"])
    before = len(replicates._ATTRIBUTES)
    got = _sample_attributes(outside, ["oxygen"], "donor")
    assert len(replicates._ATTRIBUTES) == min(before + 1, replicates._ATTRIBUTES.size)  # a miss
    pd.testing.assert_frame_equal(got, _attributes(outside, ["oxygen", "donor"]))
    assert list(_sample_attributes(wells, ["oxygen"], None).columns) == ["sample", "oxygen"]


def test_sample_attributes_of_numbers_are_not_kept() -> None:
    """1 and 1.0 compare equal but read differently as text: such columns are not keys."""
    as_int = _sample_attributes(_layout_wells(donor=[1, 1, 2, 2, None]), ["oxygen"], "donor")
    as_float = _sample_attributes(_layout_wells(donor=[1.0, 1.0, 2.0, 2.0, None]), ["oxygen"],
                                  "donor")  # fmt: skip
    assert list(as_int["donor"]) == ["1", "2"]
    assert list(as_float["donor"]) == ["1.0", "2.0"]
    assert content_key(_layout_wells(donor=[1, 1, 2, 2, None]), ["donor"]) is None
    assert content_key(_layout_wells(), ["sample", "donor"]) is not None


def test_a_refused_sample_is_refused_every_time() -> None:
    clash = _layout_wells(oxygen=["normoxia", "hypoxia", "hypoxia", "hypoxia", None])
    for _ in range(2):
        with pytest.raises(InputError, match="sample 'c1' has different design values"):
            _sample_attributes(clash, ["oxygen"], "donor")


def _pairing_by_codes(wells: pd.DataFrame, refs: list[str], pairing: str) -> str:
    """The formulation :func:`qpcr.quant.pairing_of` replaced (group numbers and bincounts),
    its refusal as the text ``refused: N (example)``."""
    keys = [c for c in ("plate", "well") if c in wells]
    located = wells.iloc[:0]
    if "well" in keys:
        named = np.logical_and.reduce([wells[k].notna().to_numpy() for k in keys])
        located = wells if named.all() else wells[named]
    code = group_codes([located[k] for k in keys], len(located))
    is_ref = located["target"].isin(refs).to_numpy()
    genes = pd.Index(list(dict.fromkeys(refs)))
    gene = genes.get_indexer(pd.Index(located["target"][is_ref]))
    held = np.bincount(np.unique(code[is_ref] * len(genes) + gene) // max(len(genes), 1),
                       minlength=int(code.max()) + 1 if len(code) else 0)  # fmt: skip
    others = np.flatnonzero(~is_ref)
    first = np.sort(np.unique(code[others], return_index=True)[1])
    targets = others[first]
    lacking = targets[held[code[targets]] != len(refs)]
    complete = len(located) == len(wells)
    if pairing == "auto":
        return "well" if len(targets) and not len(lacking) and complete else "sample"
    if not len(lacking) and len(targets) and complete:
        return "well"
    rows = located.iloc[lacking]
    example = ", ".join(f"{r['well']} ({r['target']})" for r in rows.head(3).to_dict("records"))
    return f"refused: {len(rows) or len(wells) - len(located)} ({example})"


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 12), st.sampled_from(["auto", "well"]))
def test_pairing_equals_the_group_numbers_it_replaced(seed: int, n: int, pairing: str) -> None:
    """Multiplex wells with or without every reference, wells without a name or plate."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        genes = ["MYC", "TBP", "GAPDH"] if rng.random() < 0.8 else ["MYC", "TBP"]
        genes = genes if rng.random() < 0.8 else list(rng.choice(genes, 1))
        single = rng.random() < 0.3  # singleplex: a well of its own for each target
        plate = rng.choice(["p1", "p2"]) if rng.random() < 0.5 else None  # None: each row's own
        rows += [(plate or rng.choice(["p1", "p2"]), f"A{i}{g}" if single else f"A{i % 5}", g)
                 for g in genes]  # fmt: skip
    wells = pd.DataFrame(rows, columns=["plate", "well", "target"]).astype(str)
    for column in ("plate", "well") if rng.random() < 0.5 else ():
        wells.loc[rng.random(len(wells)) < 0.05, column] = None
    if rng.random() < 0.2:
        wells = wells.drop(columns=str(rng.choice(["plate", "well"])))
    refs = [["TBP"], ["TBP", "GAPDH"], ["GAPDH", "GAPDH"], []][rng.integers(0, 4)]
    # the quantification's call: the unknowns' cells, taken from a table with other wells
    kind = np.where(rng.random(len(wells)) < 0.8, "unkn", "ntc").astype(object)
    every = pd.concat([wells.assign(sample_type=kind), wells.assign(sample_type="std")],
                      ignore_index=True)  # fmt: skip
    unkn = np.flatnonzero(unknown_rows(every))
    located = {c: every[c].to_numpy()[unkn] for c in ("plate", "well", "target") if c in every}
    unknowns = wells[kind == "unkn"].reset_index(drop=True)
    for call, table in (
        (lambda: pairing_of(wells, refs, pairing), wells),
        (lambda: located_pairing(located, refs, pairing), unknowns),
    ):
        expected = _pairing_by_codes(table, refs, pairing)
        if expected.startswith("refused"):
            count, example = expected.removeprefix("refused: ").split(" ", 1)
            with pytest.raises(ConfigError, match=rf"but {count} target well\(s\)") as refused:
                call()
            assert (example == "()") == ("or have no well name" in str(refused.value))
            assert example == "()" or example in str(refused.value)
        else:
            assert call() == expected


def _ratio_table_by_frames(
    samples: pd.DataFrame, ratios: dict[str, tuple[str, str]], sample_cols: list[str]
) -> pd.DataFrame:
    """The formulation :func:`qpcr.quant.ratio_table` replaced: factorised selections, the
    rows taken from the table, the columns inserted and set one by one."""
    keyed = (samples["sample"].notna() & samples["target"].notna()).to_numpy()
    sample, names = pd.factorize(samples["sample"][keyed], sort=True)
    target, targets = pd.factorize(samples["target"][keyed], sort=True)
    cell = sample * len(targets) + target
    log2_rq = samples["log2_rq"][keyed].to_numpy(float)
    given = ~np.isnan(log2_rq)
    wide = np.full((len(names), len(targets)), np.nan)
    cells, first = np.unique(cell[given], return_index=True)
    wide.flat[cells] = log2_rq[given][first]
    cens = np.zeros(wide.shape, dtype=bool)
    if "censored" in samples:
        cens.flat[cell[samples["censored"][keyed].fillna(False).to_numpy(bool)]] = True
    held = ~np.isnan(wide).all(axis=0)
    column = {name: j for j, name in enumerate(targets) if held[j]}
    present = np.flatnonzero(~np.isnan(wide).all(axis=1))
    code, uniques = pd.factorize(samples["sample"])
    row_of = np.unique(code, return_index=True)[1][int(code.min(initial=0) < 0) :]
    rows = row_of[pd.Index(uniques).get_indexer(names[present])]
    chosen = [(name, column[num], column[den]) for name, (num, den) in ratios.items()
              if num in column and den in column]  # fmt: skip
    if not chosen:
        return pd.DataFrame(columns=["ratio", "sample", *sample_cols, "log2_ratio", "ratio_value"])
    frame = samples.iloc[np.tile(rows, len(chosen))][["sample", *sample_cols]]
    frame = frame.reset_index(drop=True)
    frame.insert(1, "ratio", np.repeat([name for name, _, _ in chosen], len(rows)))
    num, den = (np.repeat([c[k] for c in chosen], len(rows)) for k in (1, 2))
    at = np.tile(present, len(chosen))
    frame["log2_ratio"] = wide[at, num] - wide[at, den]
    frame["ratio_value"] = 2.0 ** frame["log2_ratio"]
    frame["upper_bound"] = cens[at, num]
    frame["lower_bound"] = cens[at, den]
    return frame


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 30), st.booleans())
def test_ratio_table_equals_the_frames_it_replaced(seed: int, n: int, censored: bool) -> None:
    rng = np.random.default_rng(seed)
    samples = pd.DataFrame({
        "sample": pd.Series(rng.choice(["s3", "s1", "s2", "s10"], n),
                            dtype="str" if seed % 2 else object).where(rng.random(n) > 0.1),
        "target": pd.Series(rng.choice(["MYC", "OPG", "RANKL"], n), dtype="str").where(
            rng.random(n) > 0.1),
        "log2_rq": np.where(rng.random(n) < 0.2, np.nan, rng.normal(-5, 2, n)),
        "oxygen": pd.Series(rng.choice(["normoxia", "hypoxia"], n), dtype=object),
        "donor": rng.integers(1, 4, n),
    })  # fmt: skip
    if censored:
        samples["censored"] = pd.Series(rng.random(n) < 0.3, dtype=object).where(
            rng.random(n) > 0.1
        )
    ratios = {"RANKL/OPG": ("RANKL", "OPG"), "MYC/OPG": ("MYC", "OPG"), "X/MYC": ("X", "MYC")}
    chosen = dict(list(ratios.items())[: rng.integers(0, 4)])
    found = ratio_table(samples, chosen, ["oxygen", "donor"])
    expected = _ratio_table_by_frames(samples, chosen, ["oxygen", "donor"])
    pd.testing.assert_frame_equal(found, expected, check_exact=True)
    for column in found:
        assert [type(v) for v in found[column]] == [type(v) for v in expected[column]]


@pytest.mark.parametrize("cols", [["ratio"], ["log2_ratio"], ["donor", "donor"]])
def test_ratio_table_refuses_sample_columns_that_clash(cols: list[str]) -> None:
    samples = pd.DataFrame({"sample": ["s1", "s1"], "target": ["A", "B"], "log2_rq": [1.0, 2.0],
                            "ratio": "x", "log2_ratio": "y", "donor": "D1"})  # fmt: skip
    with pytest.raises(InputError, match="repeat a name or name a column of the ratio table"):
        ratio_table(samples, {"A/B": ("A", "B")}, cols)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, 2**31),
    st.integers(0, 8),
    st.sampled_from(["int64", "uint8", "float64", "float32", "Int64", "object", "bool"]),
)
def test_floats_and_censored_on_arrays_equal_the_casts(seed: int, n: int, dtype: str) -> None:
    """Counts and Cq values of every dtype a table may hold them in, missing ones too."""
    rng = np.random.default_rng(seed)
    values = pd.Series(rng.integers(0, 3, n).astype(float))
    if dtype in ("float64", "float32", "Int64", "object"):
        values[rng.random(n) < 0.3] = np.nan
    column = values.astype(dtype)
    floats = _floats(column)
    np.testing.assert_array_equal(floats, column.astype(float).to_numpy())
    assert floats.dtype == np.float64
    if dtype != "object":  # (NaN > 0 among objects is refused either way)
        replicates = pd.DataFrame({"n_censored": column})
        found, expected = _censored(replicates), (column > 0).to_numpy()
        assert found.dtype == expected.dtype
        assert found.tolist() == expected.tolist()
    assert _censored(pd.DataFrame({"n": column})).tolist() == [False] * n
