"""report.html's primary rows (:func:`qpcr.labels.primary_records`, the columns the page reads)
against the formulation they replace: :func:`qpcr.labels.primary_view` as it was built, from
``to_dict("records")`` and every column of the three tables, then read back with
:func:`qpcr.grouped.records`. The page, the verdicts and the view itself must not change.

The data: T17's data set with sample D3-HT missing (the factorial model is primary for some
comparisons, tests/test_report_primary.py), the same with cells of the result tables blanked
at random (None or NaN)."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from test_report_primary import without_d3_ht

from qpcr.grouped import records
from qpcr.labels import _RESULT, _key, _labels, _model_first, _pairs, _role_tables, primary_view
from qpcr.report import html
from qpcr.results import Results


def _view_by_dataframe(results: Results, name: str) -> pd.DataFrame:
    """:func:`primary_view` as it was written before the page read records."""
    table = getattr(results, name)
    item = "target" if name == "fold_changes" else "ratio"
    tables = _role_tables(results)
    pairs = _pairs(tables, {n: _labels(t) for n, t in tables.items()})
    rows = []
    for r in table.to_dict("records"):
        two, model = pairs.get(_key(item, r[item], r.get("comparison")), (r, None))
        if model is None:
            rows.append({**r, "sensitivity_test": "", "sensitivity_p_adj": float("nan")})
            continue
        ahead = _model_first(results, two.get("test"), model.get("test"))
        first, second = (model, two) if ahead else (two, model)
        rows.append({**r, **{c: first.get(c) for c in _RESULT},
                     "sensitivity_test": second.get("test"),
                     "sensitivity_p_adj": second.get("p_adj")})  # fmt: skip
    return pd.DataFrame(rows, index=table.index, columns=[*table.columns, "sensitivity_test",
                                                         "sensitivity_p_adj"])  # fmt: skip


@pytest.fixture(scope="module")
def primary(tmp_path_factory: pytest.TempPathFactory) -> Results:
    return without_d3_ht(tmp_path_factory.mktemp("views"))


#: Columns blanked at random (a missing note, test, bound or p; an n that is missing), and
#: those given a text at random.
_BLANKED = ("note", "test", "bound", "p_adj", "p_value", "ci_low", "fold_change", "adjust", "n",
            "value")  # fmt: skip
_TEXTS = {"note": "few donors", "test": "welch", "bound": "≥", "adjust": "holm"}

#: Every cell the page reads from a row (tables, verdicts, row attributes).
_PAGE = ("contrast", "comparison", "n", "fold_change", "ci_low", "ci_high", "p_value", "p_adj",
         "test", "note", "bound", "adjust", "sensitivity_test", "sensitivity_p_adj")  # fmt: skip
_ONLY = {"fold_changes": ("target",), "ratios": ("ratio", "value", "value_ci_low",
                                                 "value_ci_high")}  # fmt: skip


def _blanked(results: Results, seed: int) -> Results:
    """``results`` with a few cells of fold_changes, ratios and contrasts made None or NaN."""
    rng = random.Random(seed)

    def blank(table: pd.DataFrame) -> pd.DataFrame:
        table = table.copy()
        for column in [c for c in _BLANKED if c in table]:
            if rng.random() < 0.5:
                continue
            values = table[column].astype(object).tolist()
            for position in rng.sample(range(len(values)), rng.randint(0, len(values))):
                values[position] = rng.choice([None, float("nan"), _TEXTS.get(column)])
            table[column] = pd.Series(values, index=table.index, dtype=object)
        return table

    tables = {**results.tables, "contrasts": blank(results.tables["contrasts"])}
    return replace(results, fold_changes=blank(results.fold_changes),
                   ratios=blank(results.ratios), tables=tables)  # fmt: skip


def _same(a: Any, b: Any) -> bool:
    """Equal, or both missing (None and NaN are one to the page: :func:`html._missing`); a
    number cell may be 3 or 3.0 (a table rebuilt from rows made a column of 3 and None floats;
    the page prints both alike), a text cell is the same text."""
    if html._missing(a) or html._missing(b):
        return html._missing(a) and html._missing(b)
    if {type(a), type(b)} <= {int, float}:
        return bool(a == b)
    return type(a) is type(b) and a == b


def _cases(primary: Results) -> list[Results]:
    return [primary, *(_blanked(primary, seed) for seed in range(12))]


def test_primary_view_is_unchanged(primary: Results) -> None:
    for results in _cases(primary):
        for name in ("fold_changes", "ratios"):
            pd.testing.assert_frame_equal(
                primary_view(results, name), _view_by_dataframe(results, name)
            )


def test_the_page_reads_what_the_view_holds(primary: Results) -> None:
    """Each cell the page reads from its rows is the view's (None and NaN alike)."""
    for results in _cases(primary):
        views = html._views(results)
        for name in ("fold_changes", "ratios"):
            expected = records(_view_by_dataframe(results, name))
            assert len(views[name]) == len(expected)
            for row, want in zip(views[name], expected, strict=True):
                for column in (*_PAGE, *_ONLY[name]):
                    assert _same(row.get(column), want.get(column)), (name, column)


def test_page_and_verdicts_are_unchanged(primary: Results, monkeypatch: pytest.MonkeyPatch) -> None:
    for results in _cases(primary):
        fast = html.report_html(results), html.verdicts(results)
        with monkeypatch.context() as patch:
            patch.setattr(html, "_views", lambda r: {
                n: records(_view_by_dataframe(html.as_labelled(r), n))
                for n in ("fold_changes", "ratios")})  # fmt: skip
            slow = html.report_html(results), html.verdicts(results)
        assert fast == slow
    assert np.isnan(_view_by_dataframe(primary, "ratios")["sensitivity_p_adj"]).any()
