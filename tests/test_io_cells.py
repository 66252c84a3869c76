"""Reading numbers and tables held to their cell-by-cell formulation: the decimal mark of a
file (:func:`qpcr.io.numbers.decimal_mark`), whose scan stops once a column can add no new
mark, gives the same mark and the same refusal naming the same cells; a table framed at once
(:func:`qpcr.io._tabular.frame`) holds the same cells; the Rotor-Gene sniffer, which skips a
head lacking its words, says what reading every first cell says."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from qpcr.errors import ExportParseError
from qpcr.io import numbers, rotorgene
from qpcr.io._tabular import as_text, frame, norm_header, parse_bool, parse_bools, split_rows
from qpcr.io.headers import fold_text
from qpcr.io.numbers import decimal_mark
from qpcr.io.registry import FileSample
from qpcr.io.thermo._common import _SECTION, _is_footer, _Table, _table
from qpcr.io.thermo.classic import _sections


def _outcome(columns: Mapping[str, Sequence[object]], grouped: Collection[str]) -> str:
    try:
        return decimal_mark("run.csv", columns, grouped=grouped)
    except ExportParseError as exc:
        return str(exc)


_CELL = st.one_of(
    st.text(alphabet="0123456789.,e- '", max_size=7),
    st.sampled_from(["24.51", "24,51", "1.000", "1,000", "1.234,5", "Undetermined", ""]),
    st.floats(allow_nan=True), st.none(),
)  # fmt: skip


@given(st.lists(st.lists(_CELL, max_size=8), min_size=1, max_size=3), st.data())
def test_the_mark_is_that_of_every_cell(cells: list[list[object]], data: st.DataObject) -> None:
    columns = {f"c{k}": column for k, column in enumerate(cells)}
    grouped = data.draw(st.sets(st.sampled_from(sorted(columns))))
    fast = _outcome(columns, grouped)
    with pytest.MonkeyPatch.context() as patch:  # a mark no cell gives: every cell is read
        patch.setattr(numbers, "_possible_marks", lambda text, grouped: {"none"})
        assert _outcome(columns, grouped) == fast


def test_a_column_stops_being_read_once_it_can_add_nothing(monkeypatch) -> None:
    read = []
    real = numbers._mark_of
    monkeypatch.setattr(numbers, "_mark_of", lambda cell, grouped: read.append(cell)
                        or real(cell, grouped))  # fmt: skip
    columns = {"Cq": ["Undetermined", "24.51", "25.02", "26.1"], "Quantity": ["", "", ""]}
    assert decimal_mark("run.csv", columns, grouped={"Quantity"}) == "."
    assert read == ["Undetermined", "24.51"]  # and the quantities hold no mark at all
    read.clear()
    columns["Tm"] = ["81,5"]
    with pytest.raises(ExportParseError, match="'81,5' \\(decimal comma\\)"):
        decimal_mark("run.csv", columns, grouped={"Quantity"})


def _frame_cell_by_cell(rows: list[list[object]], header: int) -> pd.DataFrame:
    """frame as first written: every cell of a row looked at for a blank row, and the block
    filled row by row."""
    names = list(frame([rows[header]], 0).columns)
    body = []
    for row in rows[header + 1 :]:
        if all(as_text(c) == "" for c in row):
            break
        body.append(row)
    cells = np.full((len(body), len(names)), None, dtype=object)
    for i, line in enumerate(body):
        width = min(len(line), len(names))
        cells[i, :width] = line[:width]
    return pd.DataFrame(cells, columns=names, dtype=object)


_TABLE_CELL = st.one_of(st.sampled_from(["", " ", "A1", "24.1", " x "]), st.none(),
                        st.floats(allow_nan=True), st.integers(-3, 3))  # fmt: skip


@given(st.lists(st.lists(_TABLE_CELL, max_size=4), min_size=1, max_size=6), st.booleans())
def test_a_table_is_framed_as_cell_by_cell(rows: list[list[object]], even: bool) -> None:
    if even:  # rows as wide as the header: the block built at once
        rows = [rows[0], *([*row, *rows[0]][: len(rows[0])] for row in rows[1:])]
    got, expected = frame(rows, 0), _frame_cell_by_cell(rows, 0)
    pd.testing.assert_frame_equal(got, expected)
    assert all(a is b for a, b in zip(got.to_numpy().flat, expected.to_numpy().flat, strict=True))


_HEAD_PARTS = ["Excel Analysed Data Export", "EXCEL  analysed data export", "Quantitative",
               "Quantitative analysis of run.Green (Page 1)", " analysis of", "Well", "Cq",
               ";", ",", "\t", "\n", " ", "x", "ΔΔCт", "ЕXCEL analysed data export",
               "Ｑuantitative analysis of run.Green", "\u00a0", "é"]  # fmt: skip


@given(st.lists(st.sampled_from(_HEAD_PARTS), max_size=12))
@example(["ЕXCEL analysed data export", ";", "ΔΔCт"])
@example(["x", "\n", "Ｑuantitative analysis of run.Green", ";"])
def test_the_rotor_gene_sniffer_reads_the_first_cells_of_a_head_that_may_match(
    parts: list[str],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "head.csv"
        path.write_text("".join(parts), encoding="utf-8")
        sample = FileSample(path)
        cells = [re.split(r"[;,\t]", line, maxsplit=1)[0] for line in sample.lines]
        every = rotorgene._is_export([norm_header(c) for c in cells if c.strip()])
        assert rotorgene.sniff(sample) == every


# letters of the words, their homoglyphs and other forms NFKC or lower case map, and others
_FOLDED = "excelquantitativeEXCELQUANTITATIVEЕеСсТтАаОоРр∆ＥｘｃＫKİıΣσς\u00a0 ;,\tz-"


@given(st.lists(st.text(_FOLDED, max_size=14), min_size=1, max_size=5), st.sampled_from(";,\t"))
@example(["x", "ЕXСЕL аnalysed", "ΣΣ"], ";")
def test_a_word_norm_header_finds_in_a_cell_is_in_the_folded_text(
    cells: list[str], delimiter: str
) -> None:
    folded = fold_text(delimiter.join(cells))
    for cell in cells:
        for word in ("excel", "quantitative", "ct", "analysed"):
            if word in norm_header(cell):
                assert word in folded


def _read_cq_cell_by_cell(
    cells: list[object], decimal: str, flagged: list[bool], tokens: Collection[str]
) -> tuple[object, object]:
    """read_cq as first written: every cell through to_number."""
    values, statuses, bad = np.full(len(cells), np.nan), ["undetermined"] * len(cells), []
    for i, cell in enumerate(cells):
        if cell is None or (isinstance(cell, float) and np.isnan(cell)):
            continue
        text = str(cell).strip()
        if not text or text.lower() in numbers.NON_DETECT_TOKENS or text.lower() in tokens:
            continue
        number = numbers.to_number(cell, decimal)
        if np.isnan(number):
            bad.append(i)
        elif np.isfinite(number) and 0 < number <= numbers.MAX_CYCLES:
            values[i], statuses[i] = number, "ok"
        elif flagged[i]:
            statuses[i] = "invalid"
        else:
            bad.append(i)
    return ("refused", bad[0]) if bad else (values.tolist(), statuses)


_CQ_CELL = st.one_of(
    st.text(alphabet="0123456789.,e+- ", max_size=7),
    st.sampled_from(["24.51", "24,51", " 35.2 ", "1e1", "Undetermined", "NO CT", "-1", "", "x",
                     "٣٥.٢", "1e400", "N/A"]),
    st.floats(allow_nan=True), st.none(), st.integers(-2, 50),
)  # fmt: skip


@given(st.lists(_CQ_CELL, max_size=10), st.sampled_from(".,"), st.data())
def test_read_cq_reads_text_cells_as_to_number_does(cells: list[object], decimal: str,
                                                    data: st.DataObject) -> None:  # fmt: skip
    _read_cq_as_cell_by_cell(cells, decimal, data)


_CQ_TEXT = st.one_of(
    st.text(alphabet="0123456789.,eE+-", max_size=6),
    st.sampled_from(["24.51", "24,51", "150", "0", "1e400", "Undetermined", "UNDETERMINED",
                     "NaN", "n/A", ">40", "-", "", " 35.2", "x", "35.2", "-1", "٣٥", "a\nb"]),
)  # fmt: skip


@given(st.lists(_CQ_TEXT, max_size=12), st.sampled_from(".,"), st.data())
def test_read_cq_of_a_text_column_is_that_cell_by_cell(cells: list[object], decimal: str,
                                                       data: st.DataObject) -> None:  # fmt: skip
    # a column of text only: the joined-text path
    _read_cq_as_cell_by_cell(cells, decimal, data)


def _read_cq_as_cell_by_cell(cells: list[object], decimal: str, data: st.DataObject) -> None:
    flagged = data.draw(st.lists(st.booleans(), min_size=len(cells), max_size=len(cells)))
    tokens = data.draw(st.sampled_from([(), ("-1",), ("x", "35.2")]))
    expected = _read_cq_cell_by_cell(cells, decimal, flagged, tokens)
    if expected[0] == "refused":
        with pytest.raises(ExportParseError) as refused:
            numbers.read_cq(cells, str, decimal=decimal, flagged=flagged, tokens=tokens)
        assert refused.value.where == str(expected[1])  # the first bad row
        return
    values, statuses = numbers.read_cq(cells, str, decimal=decimal, flagged=flagged,
                                       tokens=tokens)  # fmt: skip
    np.testing.assert_array_equal(values, expected[0])
    assert statuses == expected[1]


@given(st.lists(st.one_of(st.sampled_from(["true", "FALSE", " y ", "no", "1", "1.0", ""]),
                          st.floats(allow_nan=True), st.none(), st.booleans(),
                          st.integers(-1, 2)), max_size=12))  # fmt: skip
def test_parse_bools_is_parse_bool_of_each_cell(cells: list[object]) -> None:
    assert parse_bools(cells) == [parse_bool(v) for v in cells]


_WELL_LIKE_AS_BEFORE = re.compile(r"^(\d+(\.0)?|[A-Za-z]{1,2}\d{1,3})$")


def _is_footer_as_before(row: list[object]) -> bool:
    first = as_text(row[0]) if row else ""
    if not first or _WELL_LIKE_AS_BEFORE.match(first):
        return False
    return sum(1 for c in row if as_text(c)) <= 2


_FOOTER_CELL = st.one_of(_TABLE_CELL, st.sampled_from(["Analysis Type", "Singleplex", "12", "3.0"]))


_FOOTER_TEXT = st.sampled_from(["", " ", "A1", "b12", "7", "12.0", "1.5", "٣", "Analysis Type",
                                "Singleplex", "A1\nB2", " x "])  # fmt: skip


@given(st.lists(st.lists(_FOOTER_CELL, max_size=4), min_size=1, max_size=7))
@example([["Well", "Cq"], ["1", "24.1"], ["A2", ""], ["Analysis Type", "Singleplex"], ["3", "1"]])
def test_a_results_table_gives_the_cells_and_rows_of_its_frame(rows: list[list[object]]) -> None:
    _check_table(rows)


@given(st.lists(st.lists(_FOOTER_TEXT, min_size=1, max_size=3), min_size=1, max_size=9))
@example([["Well", "Cq"], ["A1", "24.1"], ["A1\nB2", "1"]])
def test_a_text_table_ends_where_row_by_row_it_would(rows: list[list[object]]) -> None:
    # first cells all text: the one match of their joined text
    _check_table(rows)


def _check_table(rows: list[list[object]]) -> None:
    # the columns a table keeps from its rows are those of its frame's Series, cell by cell,
    # and it ends at the footer row the plain formulation finds
    for row in rows:
        assert _is_footer(row) == _is_footer_as_before(row)
    table = _table(rows, 0, "run.txt [Results]", 3, "line")
    data = frame(rows, 0)
    body = rows[1 : 1 + len(data)]
    end = next((i for i, row in enumerate(body) if _is_footer_as_before(row)), len(body))
    pd.testing.assert_frame_equal(table.data, data.iloc[:end])
    assert table.cells is not None
    assert list(table.cells) == list(data.columns)
    for name in data.columns:
        expected = list(data.iloc[:end][name])
        assert table.column(name) == expected
        assert all(a is b for a, b in zip(table.column(name), expected, strict=True))
        plain = _Table(table.data, table.where, table.first_row, table.unit, table.lengths)
        assert all(a is b for a, b in zip(plain.column(name), expected, strict=True))


def _split_outcome(
    split: Callable[[str, str], list[list[str]]], text: str, delimiter: str
) -> object:
    try:
        return split(text, delimiter)
    except csv.Error as exc:
        return str(exc)


def _split_rows_by_csv(text: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    return [[cell.strip() for cell in row] for row in reader]


_SPLIT_TEXT = st.lists(
    st.sampled_from(["\t", ";", ",", "\n", " ", "a", "1.5", "A 1", '"', "\r", "\x0b", "\x1c",
                     "\x01", "\x00", "\xa0", "\u2003", "é", "Undetermined"]),
    max_size=24,
).map("".join)  # fmt: skip


@given(_SPLIT_TEXT, st.sampled_from(["\t", ";", ",", "|", "\x0b"]))
@example("A1\t s\nA2\t2\n", "\t")
@example("A1;s \n\nA2;2", ";")
@example("x\t1\n", ",")
@example("A1\tx ", "\t")
@example(" A1\tx", "\t")
def test_split_rows_reads_the_cells_the_csv_reader_does(text: str, delimiter: str) -> None:
    # the plain split (no quote, CR or NUL) and its strip only where a cell can have edge spaces
    expected = _split_outcome(_split_rows_by_csv, text, delimiter)
    assert _split_outcome(split_rows, text, delimiter) == expected


@given(st.lists(st.sampled_from(["[Results]", " [Amplification Data] ", "[", "]", "x[y]", "Well",
                                 "[ a ]b", "", "\t[Melt Curve Raw Data]\t", "[[x]]"]),
                max_size=8))  # fmt: skip
def test_sections_are_the_lines_the_section_pattern_matches(lines: list[str]) -> None:
    marks = [(i, m.group(1).strip().lower()) for i, line in enumerate(lines)
             if (m := _SECTION.match(line))]  # fmt: skip
    found = {name: i for i, name in reversed(marks)}
    assert {name: i for name, (i, _) in _sections(lines).items()} == found
