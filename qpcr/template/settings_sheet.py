"""The Settings sheet, derived from the settings declaration (:data:`qpcr.settings.SETTINGS`).

One row per setting, keyed by its TOML key, in declaration order, after the template's own
vocabulary rows (``targets``, and one ``factor`` row per design factor). A setting's shape says
how it is written: a list takes one value per cell, a table one row per entry (its cells named
by the setting's metavar, e.g. ``NAME=NUM/DEN``: name, numerator, denominator), anything else
one cell. The help column is the setting's help text; the drop-downs come from
:func:`qpcr.settings.choices`, the number rules from its bounds, and the target and factor
drop-downs from the words of its metavar (:data:`_ROLES`). Every cell is read back with
:func:`qpcr.config.parse_setting`, located at its sheet and cell.
"""

from __future__ import annotations

import re
from typing import Any, get_origin

from ..config import choices, parse_setting
from ..errors import ConfigError
from ..io._tabular import as_text
from ..plate import is_whole
from ..settings import SETTINGS, Contrast, Setting
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
#: The template's own rows (vocabularies for the drop-downs, not settings).
_VOCABULARY_ROWS = {
    "targets": "Genes measured, one per cell. The drop-downs on Layout offer these.",
    "factor": "A design factor: its name, then its levels, one per cell (e.g. oxygen | "
    "normoxia | hypoxia). Its grid on Layout has the same name.",
}
#: Row keys of templates written before the keys were the settings' TOML keys.
_OLD_KEYS = {"ratio": "ratios", "alias": "aliases", "contrast": "contrasts"}
#: What a value cell names, by the word of the setting's metavar that describes it.
_ROLES = {"GENE": "target", "TARGET": "target", "NUM": "target", "DEN": "target",
          "FACTOR": "factor", "LEVEL": "level", "GROUP": "group"}  # fmt: skip
#: Words a list of targets also takes (``reference_genes = ["auto"]``: the best geNorm pair).
_SPECIAL = {"reference_genes": ("auto",)}


def _kind(spec: Setting) -> str:
    """``list`` (one value per cell), ``table`` (one row per entry) or ``scalar``."""
    if spec.shape == tuple[str, ...]:
        return "list"
    if spec.shape == tuple[Contrast, ...] or get_origin(spec.shape) is dict:
        return "table"
    return "scalar"


def _words(spec: Setting) -> list[str]:
    """The metavar's words: what each value cell of a row holds (``NAME=NUM/DEN`` → 3)."""
    return re.findall(r"[A-Z_]+", spec.metavar)


def _role(spec: Setting, i: int) -> str:
    """What value cell ``i`` of the setting's rows names (``target``, ``factor`` ...), or ''."""
    words = _words(spec)
    return _ROLES.get(words[min(i, len(words) - 1)], "") if words else ""


def _help(spec: Setting) -> str:
    """The help text of a setting's row: its declared help and how to fill the cells."""
    kind, allowed = _kind(spec), choices(spec.name)
    if kind == "list":
        how = "One per cell."
    elif kind == "table":
        how = f"One row each: {' | '.join(_words(spec))}."
    elif allowed:
        how = f"One of: {', '.join(allowed)}."
    elif spec.shape is bool:
        how = "TRUE or FALSE."
    else:
        how = f"In {spec.unit}." if spec.unit else ""
    return f"{spec.help} {how}".strip()


def _entries(spec: Setting, value: Any) -> list[list[Any]]:
    """A table setting's TOML-shaped value as rows of cells."""
    if spec.shape == tuple[Contrast, ...]:
        return [
            [c.get("name", ""), _group_text(c["numerator"]), _group_text(c["denominator"])]
            for c in value or []
        ]
    return [[k, *(v if isinstance(v, list) else [v])] for k, v in (value or {}).items()]


def _group_text(group: dict[str, str]) -> str:
    """``{"oxygen": "hypoxia"}`` → ``"oxygen=hypoxia"`` (the reverse of :func:`_parse_group`)."""
    return "; ".join(f"{k}={v}" for k, v in group.items())


def declared_names(values: dict[str, Any]) -> tuple[list[str], dict[str, list[str]]]:
    """The targets and the factor levels that TOML-shaped ``values`` name (in the cells whose
    role is a target, a factor with its level, or a group).

    Parameters
    ----------
    values
        Settings as :meth:`qpcr.config.AnalysisConfig.to_dict` gives them.

    Returns
    -------
    targets : list of str
        The target names, in order, each once (``auto`` is not a target).
    levels : dict of str to list of str
        Factor → the levels named, in order, each once.

    Examples
    --------
    >>> values = {"reference_genes": ["GAPDH", "auto"],
    ...           "control": {"oxygen": "normoxia", "drug": "vehicle"},
    ...           "ratios": {"MYC/HIF1A": ["MYC", "HIF1A"]}}
    >>> declared_names(values)
    (['GAPDH', 'MYC', 'HIF1A'], {'oxygen': ['normoxia'], 'drug': ['vehicle']})
    """
    targets: list[str] = []
    levels: dict[str, list[str]] = {}
    for spec in SETTINGS:
        kind = _kind(spec)
        value = values.get(spec.name)
        if kind == "scalar" or not value:
            continue
        special = _SPECIAL.get(spec.name, ())
        rows = [[v] for v in value if v not in special] if kind == "list" else _entries(spec, value)
        for row in rows:
            for i, cell in enumerate(row):
                role = _role(spec, i)
                if role == "target":
                    targets.append(str(cell))
                elif role == "level" and _role(spec, i - 1) == "factor":
                    levels.setdefault(str(row[i - 1]), []).append(str(cell))
                elif role == "group":
                    for factor, level in _parse_group(str(cell), "", _anything).items():
                        levels.setdefault(factor, []).append(level)
    return _unique(targets), {k: _unique(v) for k, v in levels.items()}


def _anything(factor: str, level: str, where: str) -> None:
    """A group check that accepts every factor and level."""


def _settings_rows(
    targets: list[str], factors: dict[str, list[str]], values: dict[str, Any]
) -> list[tuple[str, list[Any]]]:
    """Settings rows as (key, values) in sheet order, with spare blank rows for tables."""
    rows: list[tuple[str, list[Any]]] = [("targets", list(targets))]
    rows += [("factor", [name, *levels]) for name, levels in factors.items()]
    rows += [("factor", [])] * 2
    for spec in SETTINGS:
        kind, value = _kind(spec), values.get(spec.name)
        if kind == "list":
            rows.append((spec.name, list(value or [])))
        elif kind == "table":
            rows += [(spec.name, entry) for entry in _entries(spec, value)]
            rows += [(spec.name, [])] * 2
        else:
            rows.append((spec.name, [] if value is None else [value]))
    return rows


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
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 60
    for j in range(_FIRST_VALUE_COL, _FIRST_VALUE_COL + 8):
        ws.column_dimensions[_col(j)].width = 20 if j < _FIRST_VALUE_COL + 3 else 14


def _settings_rules() -> dict[str, Any]:
    """The data-validation rules of the Settings cells, by purpose (cells added later): the
    targets, the factors, and one per scalar setting that has choices or bounds."""
    rules = {
        "target": _list_rule("qpcr_targets", "a target"),
        "factor": _list_rule("qpcr_factors", "a factor"),
    }
    for name, words in _SPECIAL.items():  # a warning only, so that the words can be typed
        rules[name] = _rule(
            f"Choose a target from the list, or type {' or '.join(words)}.",
            type="list", formula1="=qpcr_targets", errorStyle="warning",
        )  # fmt: skip
    for spec in SETTINGS:
        if _kind(spec) != "scalar":
            continue
        low, high = spec.bounds
        if choices(spec.name):
            rules[spec.name] = _list_rule(f"qpcr_{spec.name}", f"a value for {spec.name}")
        elif spec.shape is bool:
            rules[spec.name] = _rule("TRUE or FALSE.", type="list", formula1='"TRUE,FALSE"')
        elif spec.shape in (int, float) and low is not None:
            kind = "whole" if spec.shape is int else "decimal"
            above = f"{'at least' if kind == 'whole' else 'above'} {low:g}"
            if high is None:
                operator = "greaterThanOrEqual" if kind == "whole" else "greaterThan"
                rules[spec.name] = _rule(
                    f"A {'whole ' * (kind == 'whole')}number {above}.",
                    type=kind, operator=operator, formula1=repr(low),
                )  # fmt: skip
            else:
                rules[spec.name] = _rule(
                    f"A number between {low:g} and {high:g}.",
                    type=kind, operator="between", formula1=repr(low), formula2=repr(high),
                )  # fmt: skip
    return rules


def _width(key: str, entries: list[Any]) -> int:
    """How many value cells of a row are shaded for entry."""
    spec = next((s for s in SETTINGS if s.name == key), None)
    kind = _kind(spec) if spec is not None else "list"
    width = len(_words(spec)) if spec is not None and kind == "table" else 1
    return max(width, len(entries), 6 if kind == "list" else 0)


def _write_settings_row(ws: Any, r: int, key: str, entries: list[Any], with_help: bool) -> None:
    """One Settings row: the key, its help text (first row of a key only), shaded entry cells
    and the values."""
    from openpyxl.styles import Alignment, Font, PatternFill

    top = Alignment(vertical="top")
    key_cell = ws.cell(row=r, column=1, value=key)
    key_cell.font = Font(bold=True)
    key_cell.alignment = top
    if with_help:
        spec = next((s for s in SETTINGS if s.name == key), None)
        help_text = _help(spec) if spec is not None else _VOCABULARY_ROWS[key]
    help_cell = ws.cell(row=r, column=2, value=help_text if with_help else None)
    help_cell.alignment = Alignment(wrap_text=True, vertical="top")
    help_cell.fill = PatternFill("solid", fgColor="FFF2F2F2")
    for j in range(_FIRST_VALUE_COL, _FIRST_VALUE_COL + _width(key, entries)):
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
        return
    if key == "factor":
        if entries:
            name = f"qpcr_levels_{factor_count}"
            names[f"levels:{entries[0]}"] = name
            book.defined_names[name] = DefinedName(name, attr_text=f"Settings!$D${r}:${last}${r}")
        return
    spec = next(s for s in SETTINGS if s.name == key)
    if _kind(spec) == "list" and _role(spec, 0) == "target":
        rules[key if key in _SPECIAL else "target"].add(f"C{r}:{last}{r}")
    elif key in rules:
        rules[key].add(f"C{r}")
    elif _kind(spec) == "table":
        for i in range(len(_words(spec))):
            if _role(spec, i) in ("target", "factor"):
                rules[_role(spec, i)].add(f"{_col(_FIRST_VALUE_COL + i)}{r}")


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
    """Targets, factors and the TOML-shaped settings of the Settings sheet, each cell checked
    with :func:`qpcr.config.parse_setting` (and against the targets and factors listed)."""
    rows = _settings_entries(sheet)
    targets = _read_targets(sheet, rows)
    factors = _read_factors(sheet, rows)
    vocabulary = _Vocabulary(sheet, targets, factors)
    settings: dict[str, Any] = {}
    for spec in SETTINGS:
        mine = [(r, values) for key, r, values in rows if key == spec.name and values]
        kind = _kind(spec)
        if not mine:
            continue
        if kind == "list":
            settings[spec.name] = _read_list(spec, sheet, mine, vocabulary)
        elif kind == "table":
            settings[spec.name] = _read_table(spec, sheet, mine, vocabulary)
        else:
            settings[spec.name] = _read_scalar(spec, sheet, mine)
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
    keys = [*_VOCABULARY_ROWS, *(s.name for s in SETTINGS)]
    rows: list[_Row] = []
    for r in range(header + 1, len(sheet.rows)):
        key = sheet.text(r, 0).lower()
        key = _OLD_KEYS.get(key, key)
        if not key:
            continue
        if key not in keys:
            raise ConfigError(
                f"unknown setting '{key}'; {_suggest(key, keys)}", where=sheet.where(r, 0)
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


def _read_list(
    spec: Setting,
    sheet: _Sheet,
    rows: list[tuple[int, list[tuple[str, Any, int]]]],
    vocabulary: _Vocabulary,
) -> list[str]:
    """A list setting: every value of its rows (targets checked where the metavar says GENE)."""
    names = []
    check = _role(spec, 0) == "target"
    for r, values in rows:
        for text, _, c in values:
            special = text in _SPECIAL.get(spec.name, ())
            names.append(vocabulary.target(text, r, c) if check and not special else text)
    r, values = rows[0]
    parse_setting(spec.name, names, where=sheet.where(r, values[0][2]))
    return names


def _read_table(
    spec: Setting,
    sheet: _Sheet,
    rows: list[tuple[int, list[tuple[str, Any, int]]]],
    vocabulary: _Vocabulary,
) -> Any:
    """A table setting: one entry per row, its cells checked against the targets and factors
    they name, then parsed with :func:`qpcr.config.parse_setting` at the row's value cell."""
    width, c0 = len(_words(spec)), _FIRST_VALUE_COL - 1
    table: dict[str, Any] = {}
    contrasts: list[dict[str, Any]] = []
    for r, _ in rows:
        cells = [sheet.text(r, c0 + i) for i in range(width)]
        missing = [i for i, text in enumerate(cells) if not text]
        if missing:
            raise ConfigError(
                f"the {spec.name} row needs {width} values from column C on",
                where=sheet.where(r, c0 + missing[0]),
                hint=_help(spec),
            )
        for i, text in enumerate(cells):
            if _role(spec, i) == "target":
                vocabulary.target(text, r, c0 + i)
            elif _role(spec, i) == "level" and _role(spec, i - 1) == "factor":
                vocabulary.level(cells[i - 1], text, sheet.where(r, c0 + i))
        where = sheet.where(r, c0 + 1)
        if spec.shape == tuple[Contrast, ...]:
            groups = [_parse_group(cells[i], sheet.where(r, c0 + i), vocabulary.level)
                      for i in (1, 2)]  # fmt: skip
            entry = {"name": cells[0], "numerator": groups[0], "denominator": groups[1]}
            parse_setting(spec.name, [entry], where=where)
            contrasts.append(entry)
            continue
        value: Any = cells[1:] if width > 2 else cells[1]
        if spec.shape == dict[str, float]:
            value = sheet.get(r, c0 + 1)  # a number as typed, or text such as '95 %'
        parsed = parse_setting(spec.name, {cells[0]: value}, where)[cells[0]]
        parsed = list(parsed) if isinstance(parsed, tuple) else parsed
        if table.setdefault(cells[0], parsed) != parsed:  # which row was meant cannot be told
            raise ConfigError(
                f"'{cells[0]}' is given twice under {spec.name}, with different values; "
                "expected one row each",
                where=sheet.where(r, c0), hint=f"Keep one {spec.name} row for '{cells[0]}'",
            )  # fmt: skip
    return contrasts if spec.shape == tuple[Contrast, ...] else table


def _read_scalar(
    spec: Setting, sheet: _Sheet, rows: list[tuple[int, list[tuple[str, Any, int]]]]
) -> Any:
    """A one-value setting, in its TOML type (TRUE/FALSE, whole numbers), parsed and checked
    with :func:`qpcr.config.parse_setting` (a choice also says which option was meant)."""
    if len(rows) > 1:
        raise ConfigError(
            f"'{spec.name}' is given twice; expected one row",
            where=sheet.where(rows[1][0], rows[1][1][0][2]),
        )
    r, values = rows[0]
    text, value, c = values[0]
    if spec.shape is bool and text.lower() in ("true", "false"):
        value = text.lower() == "true"
    elif spec.shape is int and is_whole(as_text(value).removeprefix("-")):
        value = int(as_text(value))
    elif isinstance(value, str) or spec.shape is not float:
        value = text
    allowed = choices(spec.name)
    try:
        return parse_setting(spec.name, value, where=sheet.where(r, c))
    except ConfigError as exc:
        suggestion = _suggest(text, allowed) if allowed else ""
        hint = exc.hint or suggestion[:1].upper() + suggestion[1:]
        raise ConfigError(exc.message, where=exc.where, hint=hint) from None


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
