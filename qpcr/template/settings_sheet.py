"""The Settings sheet: one row per analysis setting (the TOML keys of :mod:`qpcr.config`),
written with its help texts and drop-downs, and read back into TOML-shaped settings."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from ..config import ADJUST_METHODS, NONDETECT_POLICIES, OUTLIER_RULES, TESTS, parse_efficiency
from ..errors import ConfigError
from ..io._tabular import as_text
from ._common import (
    _LIST_WIDTH,
    _STANDARD,
    _col,
    _fit_page,
    _list_rule,
    _refuse_date,
    _rule,
    _Sheet,
    _suggest,
    _unique,
)

_FIRST_VALUE_COL = 3  # Settings values start in column C
_SCALARS = {
    "replicate": "Column naming the biological replicate (its grid on Layout has this name).",
    "test": "Statistical test: auto (paired when replicates pair up), welch, paired, student.",
    "adjust": "Multiple-testing adjustment across genes: holm, bh, bonferroni, none.",
    "alpha": "Significance level (between 0 and 1).",
    "outlier_rule": "Technical-replicate outlier rule: range or none (flags only).",
    "outlier_threshold": "Range rule threshold, in cycles.",
    "nondetect_policy": "Wells without amplification: exclude, censor or substitute.",
    "nondetect_limit": "Cycle limit for non-detects (the run's cycle count).",
    "ntc_margin": "No-template controls must be this many cycles above the samples.",
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "test": TESTS,
    "adjust": ADJUST_METHODS,
    "nondetect_policy": NONDETECT_POLICIES,
    "outlier_rule": OUTLIER_RULES,
}
_NUMBERS: dict[str, tuple[float, float]] = {
    "alpha": (1e-9, 1 - 1e-9),
    "outlier_threshold": (1e-9, 40.0),
    "nondetect_limit": (1.0, 100.0),
    "ntc_margin": (0.0, 40.0),
}
_MULTI = {
    "targets": "Genes measured, one per cell. The drop-downs on Layout offer these.",
    "reference_genes": "Reference (housekeeping) genes, one per cell, chosen among the targets.",
    "factor": "A design factor: its name, then its levels, one per cell (e.g. oxygen | "
    "normoxia | hypoxia). Its grid on Layout has the same name.",
    "control": "The control group: factor, then level (one row per factor).",
    "efficiency": "Amplification factor of a target: target, then E (2.0 = 100 %).",
    "ratio": "A ratio of two targets: name, numerator target, denominator target.",
    "alias": "A target name in the instrument table, then the name used in the analysis.",
    "contrast": "An extra comparison: name, numerator group, denominator group "
    "(groups written factor=level; factor=level).",
}
_KEYS = [*_MULTI, *_SCALARS]
#: Cells a row of each table setting needs, from column C on.
_TABLE_WIDTH = {"control": 2, "efficiency": 2, "ratio": 3, "alias": 2, "contrast": 3}


def _settings_rows(
    targets: list[str], factors: dict[str, list[str]], values: dict[str, Any]
) -> list[tuple[str, list[Any]]]:
    """Settings rows as (key, values) in sheet order, with spare blank rows for tables."""
    rows: list[tuple[str, list[Any]]] = [
        ("targets", list(targets)),
        ("reference_genes", list(values.get("reference_genes", []))),
    ]
    rows += [("factor", [name, *levels]) for name, levels in factors.items()]
    rows += [("factor", [])] * 2
    tables = {
        "control": [[k, v] for k, v in values.get("control", {}).items()],
        "efficiency": [[k, v] for k, v in values.get("efficiency", {}).items()],
        "ratio": [[k, *pair] for k, pair in values.get("ratios", {}).items()],
        "alias": [[k, v] for k, v in values.get("aliases", {}).items()],
        "contrast": [
            [c.get("name", ""), _group_text(c["numerator"]), _group_text(c["denominator"])]
            for c in values.get("contrasts", [])
        ],
    }
    for key, entries in tables.items():
        rows += [(key, entry) for entry in entries] + [(key, [])] * 2
    rows += [(key, [values.get(key)]) for key in _SCALARS]
    return rows


def _group_text(group: dict[str, str]) -> str:
    """``{"oxygen": "hypoxia"}`` → ``"oxygen=hypoxia"`` (the reverse of :func:`_parse_group`)."""
    return "; ".join(f"{k}={v}" for k, v in group.items())


def _settings_sheet(
    book: Any, targets: list[str], factors: dict[str, list[str]], values: dict[str, Any]
) -> dict[str, str]:
    """Write Settings; return the defined names of the drop-down sources by purpose."""
    from openpyxl.workbook.defined_name import DefinedName

    ws = book.create_sheet("Settings")
    _settings_heading(ws)
    rules = _settings_rules()
    names: dict[str, str] = {}
    factor_rows: list[int] = []
    previous = ""
    for r, (key, entries) in enumerate(_settings_rows(targets, factors, values), start=5):
        _write_settings_row(ws, r, key, entries, with_help=key != previous)
        previous = key
        if key == "factor":
            factor_rows.append(r)
        _bind_settings_row(book, r, key, entries, rules, names, len(factor_rows))
    book.defined_names["qpcr_targets"] = DefinedName("qpcr_targets", attr_text=names["targets"])
    book.defined_names["qpcr_factors"] = DefinedName(
        "qpcr_factors", attr_text=f"Settings!$C${factor_rows[0]}:$C${factor_rows[-1]}"
    )
    for rule in rules.values():
        if rule.sqref:
            ws.add_data_validation(rule)
    for r in range(5, ws.max_row + 1):
        ws.row_dimensions[r].height = 15 * max(1, -(-len(str(ws.cell(r, 2).value or "")) // 66))
    ws.freeze_panes = "C5"
    _fit_page(ws)
    return names


def _settings_heading(ws: Any) -> None:
    """Title, one line of guidance, the column titles (row 4) and the column widths."""
    from openpyxl.styles import Font

    ws["A1"] = "Analysis settings"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = "One setting per row; values from column C on, one per cell. Empty rows are ignored."
    for j, title in enumerate(("setting", "what it means", "value(s)"), start=1):
        ws.cell(row=4, column=j, value=title).font = Font(bold=True)
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 60
    for j in range(_FIRST_VALUE_COL, _FIRST_VALUE_COL + 8):
        ws.column_dimensions[_col(j)].width = 20 if j < _FIRST_VALUE_COL + 3 else 14


def _settings_rules() -> dict[str, Any]:
    """The data-validation rules of the Settings cells, by purpose (cells added later)."""
    rules = {
        "target": _list_rule("qpcr_targets", "a target"),
        "factor": _list_rule("qpcr_factors", "a factor"),
        **{key: _list_rule(f"qpcr_{key}", f"a value for {key}") for key in _CHOICES},
        "efficiency": _rule(
            "An amplification factor between 1 and 2.2 (2.0 = 100 %).",
            type="decimal",
            operator="between",
            formula1="1.0001",
            formula2="2.2",
        ),
    }
    for key, (low, high) in _NUMBERS.items():
        rules[key] = _rule(
            f"A number between {low:g} and {high:g}.",
            type="decimal",
            operator="between",
            formula1=repr(low),
            formula2=repr(high),
        )
    return rules


def _write_settings_row(ws: Any, r: int, key: str, entries: list[Any], with_help: bool) -> None:
    """One Settings row: the key, its help text (first row of a key only), shaded entry cells
    and the values."""
    from openpyxl.styles import Alignment, Font, PatternFill

    top = Alignment(vertical="top")
    key_cell = ws.cell(row=r, column=1, value=key)
    key_cell.font = Font(bold=True)
    key_cell.alignment = top
    help_text = (_MULTI.get(key) or _SCALARS.get(key)) if with_help else None
    help_cell = ws.cell(row=r, column=2, value=help_text)
    help_cell.alignment = Alignment(wrap_text=True, vertical="top")
    help_cell.fill = PatternFill("solid", fgColor="FFF2F2F2")
    width = 1 if key in _SCALARS else _TABLE_WIDTH.get(key, 2)
    width = max(width, len(entries), 6 if key in ("targets", "factor") else 0)
    for j in range(_FIRST_VALUE_COL, _FIRST_VALUE_COL + width):
        ws.cell(row=r, column=j).fill = PatternFill("solid", fgColor="FFFFF9E0")
        ws.cell(row=r, column=j).alignment = top
    for j, value in enumerate(entries, start=_FIRST_VALUE_COL):
        cell = ws.cell(row=r, column=j, value=value)
        if isinstance(value, str):
            cell.data_type = "s"


def _bind_settings_row(
    book: Any,
    r: int,
    key: str,
    entries: list[Any],
    rules: dict[str, Any],
    names: dict[str, str],
    factor_count: int,
) -> None:
    """Give row ``r`` its drop-downs, or name it as the source of one (targets, levels)."""
    from openpyxl.workbook.defined_name import DefinedName

    last = _col(_FIRST_VALUE_COL + _LIST_WIDTH - 1)
    if key == "targets":
        names["targets"] = f"Settings!$C${r}:${last}${r}"
    elif key == "reference_genes":
        rules["target"].add(f"C{r}:{last}{r}")
    elif key == "factor":
        if entries:
            name = f"qpcr_levels_{factor_count}"
            names[f"levels:{entries[0]}"] = name
            book.defined_names[name] = DefinedName(name, attr_text=f"Settings!$D${r}:${last}${r}")
    elif key == "control":
        rules["factor"].add(f"C{r}")
    elif key == "efficiency":
        rules["target"].add(f"C{r}")
        rules["efficiency"].add(f"D{r}")
    elif key == "ratio":
        rules["target"].add(f"D{r}:E{r}")
    elif key == "alias":
        rules["target"].add(f"D{r}")
    elif key in _CHOICES or key in _NUMBERS:
        rules[key].add(f"C{r}")


def _settings_cell(sheet: _Sheet, key: str) -> tuple[int, int]:
    """Row and value column (0-based) of the first row of ``key``; (0, 0) when absent."""
    for r in range(len(sheet.rows)):
        if sheet.text(r, 0).lower() == key:
            return r, _FIRST_VALUE_COL - 1
    return 0, 0


#: A Settings row as read: key, row index and the non-empty values (text, raw value, column).
_Row = tuple[str, int, list[tuple[str, Any, int]]]


def _read_settings(
    sheet: _Sheet,
) -> tuple[list[str], dict[str, list[str]], dict[str, Any]]:
    """Targets, factors and the TOML-shaped settings of the Settings sheet."""
    rows = _settings_entries(sheet)
    targets = _read_targets(sheet, rows)
    factors = _read_factors(sheet, rows)
    vocabulary = _Vocabulary(sheet, targets, factors)
    settings: dict[str, Any] = {}
    refs = [vocabulary.target(t, r, c) for t, _, r, c in _listed(rows, "reference_genes")]
    if refs:
        settings["reference_genes"] = refs
    settings.update(_read_tables(sheet, rows, vocabulary))
    settings.update(_read_scalars(sheet, rows))
    return targets, factors, settings


def _settings_entries(sheet: _Sheet) -> list[_Row]:
    """The rows below the ``setting`` header that name a key (unknown keys are refused)."""
    header = next(
        (r for r in range(len(sheet.rows)) if sheet.text(r, 0).lower() == "setting"), None
    )
    if header is None:
        raise ConfigError(
            "no header row with 'setting' in column A", where=f"{sheet.source} Settings"
        )
    rows: list[_Row] = []
    for r in range(header + 1, len(sheet.rows)):
        key = sheet.text(r, 0).lower()
        if not key:
            continue
        if key not in _KEYS:
            raise ConfigError(
                f"unknown setting '{key}'; {_suggest(key, _KEYS)}", where=sheet.where(r, 0)
            )
        values = []
        for c in range(_FIRST_VALUE_COL - 1, len(sheet.rows[r])):
            value = sheet.get(r, c)
            if as_text(value):
                _refuse_date(value, sheet.where(r, c))
                values.append((as_text(value), value, c))
        rows.append((key, r, values))
    return rows


def _listed(rows: list[_Row], key: str) -> list[tuple[str, Any, int, int]]:
    """Every value of the rows of ``key``: (text, raw value, row, column)."""
    return [(t, v, r, c) for k, r, vals in rows if k == key for t, v, c in vals]


def _read_targets(sheet: _Sheet, rows: list[_Row]) -> list[str]:
    """The targets row(s), each name once."""
    targets: list[str] = []
    for text, _, r, c in _listed(rows, "targets"):
        if text in targets:
            raise ConfigError(f"target '{text}' is listed twice", where=sheet.where(r, c))
        targets.append(text)
    return targets


def _read_factors(sheet: _Sheet, rows: list[_Row]) -> dict[str, list[str]]:
    """Factor name → levels from the factor rows (names unique, not a layout variable)."""
    factors: dict[str, list[str]] = {}
    for key, r, values in rows:
        if key != "factor" or not values:
            continue
        name, _, c = values[0]
        if name in factors or name in _STANDARD:
            raise ConfigError(
                f"factor name '{name}' is used twice or is reserved",
                where=sheet.where(r, c),
                hint=f"Reserved grid names: {', '.join(_STANDARD)}",
            )
        factors[name] = _unique(t for t, _, _ in values[1:])
    return factors


class _Vocabulary:
    """The targets and factor levels declared on Settings, checking the cells that name them."""

    def __init__(self, sheet: _Sheet, targets: list[str], factors: dict[str, list[str]]) -> None:
        self.sheet = sheet
        self.targets = targets
        self.factors = factors

    def target(self, text: str, r: int, c: int) -> str:
        """``text`` when it is a listed target (any text when none are listed)."""
        if self.targets and text not in self.targets:
            raise ConfigError(
                f"'{text}' is not among the targets listed on Settings; "
                f"{_suggest(text, self.targets)}",
                where=self.sheet.where(r, c),
            )
        return text

    def level(self, factor: str, value: str, where: str) -> None:
        """Refuse an unlisted factor, or a level its row does not list."""
        if factor not in self.factors:
            raise ConfigError(
                f"factor '{factor}' is not listed on Settings; {_suggest(factor, self.factors)}",
                where=where,
            )
        levels = self.factors[factor]
        if levels and value not in levels:
            raise ConfigError(
                f"'{value}' is not a level of {factor}; {_suggest(value, levels)}",
                where=where,
            )


def _read_tables(sheet: _Sheet, rows: list[_Row], vocabulary: _Vocabulary) -> dict[str, Any]:
    """The control, efficiency, ratio, alias and contrast rows as TOML-shaped tables."""
    tables: dict[str, dict[str, Any]] = {}
    for key, r, values in rows:
        if key not in _TABLE_WIDTH or not values:
            continue
        width = _TABLE_WIDTH[key]
        cells = [sheet.text(r, _FIRST_VALUE_COL - 1 + i) for i in range(width)]
        missing = [i for i, text in enumerate(cells) if not text]
        if missing:
            c = _FIRST_VALUE_COL - 1 + missing[0]
            raise ConfigError(
                f"the {key} row needs {width} values from column C on",
                where=sheet.where(r, c),
                hint=_MULTI[key],
            )
        table, name, value = _table_entry(key, cells, r, sheet, vocabulary)
        tables.setdefault(table, {})[name] = value
    if "contrasts" in tables:
        tables["contrasts"] = list(tables["contrasts"].values())  # type: ignore[assignment]
    return tables


def _table_entry(
    key: str, cells: list[str], r: int, sheet: _Sheet, vocabulary: _Vocabulary
) -> tuple[str, str, Any]:
    """One table row, checked: (settings table, entry name, entry value)."""
    first, c0 = cells[0], _FIRST_VALUE_COL - 1
    if key == "control":
        vocabulary.level(first, cells[1], sheet.where(r, c0 + 1))
        return "control", first, cells[1]
    if key == "efficiency":
        vocabulary.target(first, r, c0)
        where = sheet.where(r, c0 + 1)
        return "efficiency", first, parse_efficiency(sheet.get(r, c0 + 1), where=where)
    if key == "ratio":
        return "ratios", first, [vocabulary.target(cells[i], r, c0 + i) for i in (1, 2)]
    if key == "alias":
        return "aliases", first, vocabulary.target(cells[1], r, c0 + 1)
    groups = [_parse_group(cells[i], sheet.where(r, c0 + i), vocabulary.level) for i in (1, 2)]
    return "contrasts", first, {"name": first, "numerator": groups[0], "denominator": groups[1]}


def _read_scalars(sheet: _Sheet, rows: list[_Row]) -> dict[str, Any]:
    """The one-value settings, checked against their options or number range."""
    settings: dict[str, Any] = {}
    for key, r, values in rows:
        if key not in _SCALARS or not values:
            continue
        text, value, c = values[0]
        if key in _CHOICES and text not in _CHOICES[key]:
            raise ConfigError(
                f"{key} '{text}' is not an option; {_suggest(text, _CHOICES[key])}",
                where=sheet.where(r, c),
            )
        if key in _NUMBERS:
            low, high = _NUMBERS[key]
            number = value if isinstance(value, float) else pd.to_numeric(text, errors="coerce")
            if not low <= number <= high:  # NaN fails too
                raise ConfigError(
                    f"{key} is '{text}'; expected a number between {low:g} and {high:g}",
                    where=sheet.where(r, c),
                )
            settings[key] = float(number)
        else:
            settings[key] = text
    return settings


def _parse_group(text: str, where: str, check: Any) -> dict[str, str]:
    """``"oxygen=hypoxia; treatment=drug"`` → ``{"oxygen": "hypoxia", ...}`` (checked)."""
    group = {}
    for part in re.split(r"[;,]", text):
        if not part.strip():
            continue
        if "=" not in part:
            raise ConfigError(
                f"group '{text}' is not written factor=level",
                where=where,
                hint="Example: oxygen=hypoxia; treatment=tocilizumab",
            )
        factor, value = (s.strip() for s in part.split("=", 1))
        check(factor, value, where)
        group[factor] = value
    return group
