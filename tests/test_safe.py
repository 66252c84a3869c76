"""Formula-injection guard for CSV and workbook cells."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from qpcr.report.safe import escape_cell, safe_frame


def test_dangerous_text_gets_an_apostrophe() -> None:
    assert escape_cell('=HYPERLINK("http://x","y")') == '\'=HYPERLINK("http://x","y")'
    assert escape_cell("+1+2") == "'+1+2"
    assert escape_cell("-2+3+cmd|' /C calc'!A0") == "'-2+3+cmd|' /C calc'!A0"
    assert escape_cell("@SUM(A1)") == "'@SUM(A1)"
    assert escape_cell("\t=1") == "'\t=1"
    assert escape_cell("\r=1") == "'\r=1"


def test_numbers_and_plain_text_are_untouched() -> None:
    assert escape_cell(-1.5) == -1.5
    assert escape_cell(-3) == -3
    assert escape_cell("-1.5") == "-1.5"
    assert escape_cell("+2e-3") == "+2e-3"
    assert escape_cell("GAPDH") == "GAPDH"
    assert escape_cell("a=b") == "a=b"
    assert escape_cell(None) is None
    assert escape_cell(True) is True


@given(st.text())
def test_escaped_text_is_inert_and_reversible(text: str) -> None:
    out = escape_cell(text)
    if out != text:
        assert out == "'" + text
    elif text.startswith(("=", "+", "-", "@", "\t", "\r")):
        float(text)  # only a plain signed number may keep its leading sign


@given(st.from_regex(r"\A[=+\-@\t\r][^0-9]*\Z"))
def test_text_starting_with_a_trigger_and_no_digit_is_always_escaped(text: str) -> None:
    assert escape_cell(text) == "'" + text


@given(st.floats(allow_nan=False) | st.integers())
def test_numbers_never_change(value: float) -> None:
    assert escape_cell(value) == value


def test_safe_frame_escapes_text_columns_and_labels_only() -> None:
    df = pd.DataFrame(
        {
            "sample": ['=HYPERLINK("http://x","y")', "d1", None],
            "log2_fc": [-1.25, 0.5, np.nan],
            "=evil": ["@x", "-", "ok"],
        }
    )
    out = safe_frame(df)
    assert out["sample"].tolist()[:2] == ['\'=HYPERLINK("http://x","y")', "d1"]
    assert pd.isna(out["sample"].iloc[2])
    assert out["log2_fc"].tolist()[:2] == [-1.25, 0.5]
    assert out["log2_fc"].dtype == float
    assert list(out.columns) == ["sample", "log2_fc", "'=evil"]
    assert out["'=evil"].tolist() == ["'@x", "'-", "ok"]
    assert df["sample"].iloc[0].startswith("=")  # the input is not modified
    text = io.StringIO()
    out.to_csv(text, index=False)
    lines = text.getvalue().splitlines()
    assert lines[1] == '"\'=HYPERLINK(""http://x"",""y"")",-1.25,\'@x'


def test_safe_frame_output_can_be_changed_without_touching_the_input() -> None:
    df = pd.DataFrame({"sample": ["d1", "d2"], "cq": [20.0, 21.0]})
    out = safe_frame(df)
    out.insert(0, "export", "plate1")
    out.loc[0, "cq"] = 99.0
    out["sample"] = "x"
    assert list(df.columns) == ["sample", "cq"]
    assert df["cq"].tolist() == [20.0, 21.0]
    assert df["sample"].tolist() == ["d1", "d2"]


_CELLS = st.one_of(
    st.text(alphabet="ab=+-@\t\r\x1f1.e ", max_size=6), st.none(), st.just(np.nan),
    st.floats(allow_nan=False), st.booleans(),
)  # fmt: skip


def _every_cell(df: pd.DataFrame) -> pd.DataFrame:
    """safe_frame as it was first written: every distinct value of every text column
    (categories of text included) looked at."""
    out = df.copy()
    for name, dtype in df.dtypes.items():
        held = dtype.categories.dtype if isinstance(dtype, pd.CategoricalDtype) else dtype
        textual = pd.api.types.is_object_dtype(held) or pd.api.types.is_string_dtype(held)
        if textual and any(escape_cell(v) is not v for v in df[name].unique()):
            out[name] = df[name].map(escape_cell, na_action="ignore")
    return out


@given(st.lists(st.tuples(_CELLS, st.text(alphabet="xy=-\x1f", max_size=4)), max_size=12))
def test_safe_frame_escapes_what_looking_at_every_cell_escapes(
    rows: list[tuple[object, str]],
) -> None:
    # the one scan per column that lets a column through untouched never misses a cell
    frame = pd.DataFrame({
        "mixed": pd.Series([cell for cell, _ in rows], dtype=object),
        "text": pd.array([text for _, text in rows], dtype="str"),
        "category": pd.Categorical([text for _, text in rows]),  # categories of text
        "number": np.arange(len(rows), dtype=float),
    })  # fmt: skip
    out, expected = safe_frame(frame), _every_cell(frame)
    for name in frame:
        assert out[name].dtype == expected[name].dtype
        assert list(map(repr, out[name])) == list(map(repr, expected[name]))


def test_a_categorical_text_column_is_escaped_too() -> None:
    """A table built in Python may hold categories (a design factor): their texts are cells a
    spreadsheet reads like any other."""
    from qpcr.report.safe import csv_text

    frame = pd.DataFrame({"group": pd.Categorical(["=1+1", "ctrl", "=1+1"]), "x": [1.0, 2, 3]})
    assert safe_frame(frame)["group"].tolist() == ["'=1+1", "ctrl", "'=1+1"]
    assert "'=1+1" in csv_text(frame)
    assert "\n=1+1" not in csv_text(frame)
