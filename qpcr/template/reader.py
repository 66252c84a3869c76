"""Bench-scientist workbook: an ``.xlsx`` template to fill in, and its reader.

Sheets (``write_template``):

* **Instructions**: what to fill, in which order, what the sample types mean.
* **Layout**: one plate-shaped grid per variable (``sample``, ``target``, ``sample_type``,
  ``quantity``, each factor, the replicate column); the variable name sits in the grid's
  top-left cell, column numbers to its right, row letters below it (the grid form
  :mod:`qpcr.layout` reads too). Drop-downs offer the targets, factor levels and sample types.
* **Cq**: one plate-shaped ``cq`` grid for typed Cq values (one target per well).
* **Paste**: room for the instrument's results table pasted as it comes; it is saved as TAB
  text and read by the same readers as export files (:func:`qpcr.io.read_run`).
* **Settings**: one row per analysis setting (the TOML keys of :mod:`qpcr.config`).
* **Lists** (hidden): the marker cell and the fixed vocabularies behind the drop-downs.

``read_template`` reads values only (python-calamine; macros never run, formulas are refused)
and returns the wells table joined with the layout, plus the settings as a TOML-shaped dict.
"""

from __future__ import annotations

import datetime
import difflib
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from ..atomic import atomic_write
from ..config import (
    ADJUST_METHODS,
    NONDETECT_POLICIES,
    OUTLIER_RULES,
    TESTS,
    AnalysisConfig,
    from_mapping,
    parse_efficiency,
)
from ..errors import ConfigError, ExportParseError, InputError, LayoutError
from ..io._tabular import as_text, parse_cq
from ..io.registry import Export, RunInfo
from ..io.safety import parse_xml, read_zip_member, zip_member_names
from ..plate import PLATES, PlateFormat, normalise_well
from ..schema import SAMPLE_TYPES, normalise_sample_type

__all__ = [
    "MARKER",
    "TemplateContent",
    "is_template",
    "read_template",
    "template_config",
    "write_template",
]

#: Text of the hidden marker cell ``Lists!A1`` that identifies a template.
MARKER = "qpcr template"
TEMPLATE_VERSION = 1
_STANDARD = ("sample", "target", "sample_type", "quantity")
_LIST_WIDTH = 40  # value cells per Settings row (targets, factor levels)
_FIRST_VALUE_COL = 3  # Settings values start in column C
_LAYOUT_TOP = 4  # row of the first Layout grid header
_PASTE_NOTE = (
    "Paste the instrument's results table below (from cell A3), as it comes: "
    "header row included. Leave this sheet empty when you typed Cq values on the Cq sheet."
)
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
_PALETTE = ("FFD8E4BC", "FFB7DEE8", "FFFCD5B4", "FFE4DFEC", "FFFFF2CC", "FFDDEBF7",
            "FFF8CBAD", "FFC6E0B4", "FFD9D9D9", "FFBDD7EE", "FFFFE699", "FFF4B084")  # fmt: skip


@dataclass(frozen=True)
class TemplateContent:
    """What a filled template holds.

    ``wells``: the wells table (``well, sample, target, sample_type, cq, cq_status`` and the
    layout columns); ``settings``: TOML-shaped settings (keys of :mod:`qpcr.config`);
    ``info``: run metadata (the pasted export's, with ``path`` naming the Paste sheet, or
    format ``template`` for typed Cq values);
    ``targets`` and ``factors``: the vocabularies declared on Settings; ``messages``: layout
    notes (e.g. pasted wells absent from the layout).
    """

    wells: pd.DataFrame
    settings: dict[str, Any]
    source: str
    info: RunInfo | None = None
    targets: tuple[str, ...] = ()
    factors: dict[str, list[str]] = field(default_factory=dict)
    messages: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# small helpers


def _col(index: int) -> str:
    """Column letters of a 1-based column number (1 → A, 27 → AA)."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _ref(sheet: str, row: int, col: int) -> str:
    """``Sheet!B3`` from 0-based row and column."""
    return f"{sheet}!{_col(col + 1)}{row + 1}"


def _suggest(word: str, options: Iterable[str]) -> str:
    options = list(options)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"expected one of {', '.join(options)}" if options else "no values are listed"


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _fit_page(ws: Any) -> None:
    """Print (and PDF) the sheet one landscape page wide."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


# --------------------------------------------------------------------------------------------
# writing


def write_template(
    path: str | Path,
    *,
    plate: int = 96,
    targets: Sequence[str] = (),
    reference_genes: Sequence[str] = (),
    factors: dict[str, list[str]] | None = None,
    replicate: str = "donor",
    layout: pd.DataFrame | None = None,
    settings: dict[str, Any] | None = None,
    force: bool = False,
) -> None:
    """Write a template workbook to fill in (``.xlsx``), optionally pre-filled.

    Parameters
    ----------
    plate : 48, 96 or 384 wells.
    targets, reference_genes : gene names listed on Settings (layout targets are added).
    factors : factor name → levels (layout factor columns and their values are added).
    replicate : name of the biological-replicate column (``settings['replicate']`` wins).
    layout : one row per well (``well``, ``sample``, ``target``, ``sample_type``, ``quantity``,
        factor and replicate columns) used to fill the Layout grids.
    settings : TOML-shaped settings (keys of :mod:`qpcr.config`) filled into Settings.
    force : overwrite an existing file.

    The file is written to a temporary name beside ``path`` then renamed (atomic).
    """
    path = Path(path)
    if plate not in PLATES:
        raise InputError(
            f"plate size {plate}; expected one of {', '.join(map(str, PLATES))}", where="--plate"
        )
    if path.suffix.lower() != ".xlsx":
        raise InputError(
            f"the template must be an .xlsx file, not '{path.suffix or 'no extension'}'",
            where=str(path),
        )
    if path.exists() and not force:
        raise InputError(
            "the file exists; expected a new file name",
            where=str(path),
            hint="Choose another name or pass --force to overwrite it",
        )
    fmt = PLATES[plate]
    values = {**AnalysisConfig().to_dict(), **(settings or {})}
    values.pop("source", None)
    values["replicate"] = (settings or {}).get("replicate") or replicate
    if reference_genes:
        values["reference_genes"] = list(reference_genes)
    grids = _layout_grids(layout, fmt) if layout is not None else {}
    factor_levels = _factor_levels(factors or {}, grids, values)
    all_targets = _unique(
        [
            *targets,
            *grids.get("target", {}).values(),
            *values.get("reference_genes", ()),
            *values.get("efficiency", {}),
            *(t for pair in values.get("ratios", {}).values() for t in pair),
            *values.get("aliases", {}).values(),
        ]
    )
    if len(all_targets) > _LIST_WIDTH:
        raise InputError(f"{len(all_targets)} targets; a template lists at most {_LIST_WIDTH}")

    from openpyxl import Workbook

    book = Workbook()
    _instructions_sheet(book.active, fmt)
    names = _settings_sheet(book, all_targets, factor_levels, values)
    _lists_sheet(book)
    _layout_sheet(book, fmt, grids, all_targets, factor_levels, values["replicate"], names)
    _cq_sheet(book, fmt)
    _paste_sheet(book)
    atomic_write(path, lambda tmp: book.save(tmp))


def _layout_grids(layout: pd.DataFrame, fmt: PlateFormat) -> dict[str, dict[str, Any]]:
    """``{variable: {well: value}}`` from a long layout table (one target per well)."""
    if "well" not in layout:
        raise LayoutError("the layout has no 'well' column", where="layout")
    if "plate" in layout and layout["plate"].nunique() > 1:
        raise LayoutError(
            "the layout spans several plates; a template holds one plate",
            where="layout",
            hint="Write one template per plate",
        )
    try:
        wells = [normalise_well(w, fmt) for w in layout["well"]]
    except InputError as exc:
        raise LayoutError(exc.message, where="layout column 'well'", hint=exc.hint) from None
    dupes = sorted({w for w in wells if wells.count(w) > 1})
    if dupes:
        raise LayoutError(
            f"wells {', '.join(dupes[:6])} appear more than once (multiplex)",
            where="layout",
            hint="A template grid holds one target per well; leave the target grid empty "
            "and paste the instrument table on the Paste sheet",
        )
    grids: dict[str, dict[str, Any]] = {}
    for column in layout.columns:
        if column in ("well", "plate", "cq", "cq_status", "in_layout"):
            continue
        cells = {}
        for well, value in zip(wells, layout[column], strict=True):
            if column == "quantity":
                number = pd.to_numeric(value, errors="coerce")
                if pd.notna(number):
                    cells[well] = float(number)
            elif as_text(value):
                cells[well] = as_text(value)
        grids[str(column)] = cells
    return grids


def _factor_levels(
    factors: dict[str, list[str]], grids: dict[str, dict[str, Any]], values: dict[str, Any]
) -> dict[str, list[str]]:
    """Factor → levels, merged from the argument, the layout and control/contrast settings."""
    levels = {str(k): [str(v) for v in vs] for k, vs in factors.items()}
    for name, cells in grids.items():
        if name not in _STANDARD and name != values["replicate"]:
            levels[name] = _unique([*levels.get(name, []), *cells.values()])
    groups = [values.get("control", {})]
    for contrast in values.get("contrasts", []):
        groups += [contrast.get("numerator", {}), contrast.get("denominator", {})]
    for group in groups:
        for factor, level in group.items():
            levels[factor] = _unique([*levels.get(factor, []), str(level)])
    return levels


def _instructions_sheet(ws: Any, fmt: PlateFormat) -> None:
    from openpyxl.styles import Alignment, Font

    ws.title = "Instructions"
    lines = [
        ("qpcr workbook: fill in, then run  qpcr analyze THIS-FILE.xlsx", "title"),
        (f"Plate: {fmt.describe()}. Fill the sheets in this order:", ""),
        ("1. Settings: list your targets (genes), reference genes, design factors with "
         "their levels (e.g. oxygen: normoxia, hypoxia), the control group and, if known, "
         "the efficiencies. The drop-downs on Layout follow what you list here.", ""),
        ("2. Layout: each plate-shaped grid describes one thing about every well. Type or "
         "choose the sample name, the target, the sample type, the level of each factor and "
         "the biological replicate (e.g. the donor). Leave unused wells empty. To add a factor, "
         "copy a grid below the others and write the factor's name in its top-left cell.", ""),
        ("3. Cq values, one of two ways:", ""),
        ("   a) Paste sheet (recommended): in the instrument software, copy the results table "
         "(Thermo Fisher 'Results', Bio-Rad 'Quantification Cq Results', ...) with its header "
         "row and paste it at cell A3 as it comes. The wells are matched to Layout by well "
         "position; the instrument's sample names are replaced by yours where you typed them.",
         ""),
        ("   b) Cq sheet: type each well's Cq into the plate grid (one target per well). "
         "Write Undetermined for a well without amplification; an empty cell means "
         "'not measured'.", ""),
        ("4. Save as .xlsx and run:  qpcr analyze THIS-FILE.xlsx  . The results workbook "
         "(results.xlsx) has a Summary sheet, one sheet per table, the figures and the methods.",
         ""),
        ("Sample types (Layout grid 'sample_type'):", "bold"),
        ("unkn: a sample to quantify (the default when the cell is empty).", ""),
        ("ntc: no-template control (water); should not amplify.", ""),
        ("nrt: no reverse-transcription control (genomic DNA check); should not amplify.", ""),
        ("nac: no-amplification control (no enzyme).", ""),
        ("std: a standard of known quantity (fill the 'quantity' grid) for efficiency curves.",
         ""),
        ("pos: positive control.   ntp: no-template positive.   opt: optical calibrator.", ""),
        ("Good to know:", "bold"),
        ("Only typed values are read: formulas are refused (copy and paste as values) and "
         "macros are never run. Error cells such as #N/A are refused too.", ""),
        ("A mistake is reported with its sheet and cell, e.g. Layout!D5, and what was "
         "expected.", ""),
    ]  # fmt: skip
    ws.column_dimensions["A"].width = 100
    for i, (text, style) in enumerate(lines, start=1):
        cell = ws.cell(row=i, column=1, value=text)
        cell.data_type = "s"
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[i].height = 15 * (1 + len(text) // 90) + (6 if style else 0)
        if style == "title":
            cell.font = Font(bold=True, size=14)
        elif style == "bold":
            cell.font = Font(bold=True)
    _fit_page(ws)


def _lists_sheet(book: Any) -> None:
    from openpyxl.workbook.defined_name import DefinedName

    ws = book.create_sheet("Lists")
    ws["A1"] = MARKER
    ws["B1"] = TEMPLATE_VERSION
    columns = {"sample_type": SAMPLE_TYPES, **_CHOICES}
    for j, (name, options) in enumerate(columns.items(), start=1):
        ws.cell(row=2, column=j, value=name)
        for i, option in enumerate(options, start=3):
            ws.cell(row=i, column=j, value=option)
        ref = f"Lists!${_col(j)}$3:${_col(j)}${2 + len(options)}"
        book.defined_names[f"qpcr_{name}"] = DefinedName(f"qpcr_{name}", attr_text=ref)
    ws.sheet_state = "hidden"


def _rule(error: str, **kwargs: Any) -> Any:
    """A data-validation rule that refuses other values with ``error`` as its message."""
    from openpyxl.worksheet.datavalidation import DataValidation

    return DataValidation(
        allow_blank=True, showErrorMessage=True, errorTitle="qpcr", error=error, **kwargs
    )


def _list_rule(name: str, what: str) -> Any:
    return _rule(
        f"Choose {what} from the list (add new ones on the Settings sheet first).",
        type="list",
        formula1=f"={name}",
    )


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
    return "; ".join(f"{k}={v}" for k, v in group.items())


def _settings_sheet(
    book: Any, targets: list[str], factors: dict[str, list[str]], values: dict[str, Any]
) -> dict[str, str]:
    """Write Settings; return the defined names of the drop-down sources by purpose."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.workbook.defined_name import DefinedName

    ws = book.create_sheet("Settings")
    ws["A1"] = "Analysis settings"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = "One setting per row; values from column C on, one per cell. Empty rows are ignored."
    for j, title in enumerate(("setting", "what it means", "value(s)"), start=1):
        ws.cell(row=4, column=j, value=title).font = Font(bold=True)
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 60
    for j in range(_FIRST_VALUE_COL, _FIRST_VALUE_COL + 8):
        ws.column_dimensions[_col(j)].width = 20 if j < _FIRST_VALUE_COL + 3 else 14
    last = _col(_FIRST_VALUE_COL + _LIST_WIDTH - 1)
    names: dict[str, str] = {}
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
    factor_rows = []
    shaded = PatternFill("solid", fgColor="FFF2F2F2")
    entry = PatternFill("solid", fgColor="FFFFF9E0")
    top = Alignment(vertical="top")
    previous = ""
    for r, (key, entries) in enumerate(_settings_rows(targets, factors, values), start=5):
        key_cell = ws.cell(row=r, column=1, value=key)
        key_cell.font = Font(bold=True)
        key_cell.alignment = top
        help_text = (_MULTI.get(key) or _SCALARS.get(key)) if key != previous else None
        help_cell = ws.cell(row=r, column=2, value=help_text)
        help_cell.alignment = Alignment(wrap_text=True, vertical="top")
        help_cell.fill = shaded
        previous = key
        width = 1 if key in _SCALARS else 3 if key in ("ratio", "contrast") else 2
        width = max(width, len(entries), 6 if key in ("targets", "factor") else 0)
        for j in range(_FIRST_VALUE_COL, _FIRST_VALUE_COL + width):
            ws.cell(row=r, column=j).fill = entry
            ws.cell(row=r, column=j).alignment = top
        for j, value in enumerate(entries, start=_FIRST_VALUE_COL):
            cell = ws.cell(row=r, column=j, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
        span = f"C{r}:{last}{r}"
        if key == "targets":
            names["targets"] = f"Settings!$C${r}:${last}${r}"
        elif key == "reference_genes":
            rules["target"].add(span)
        elif key == "factor":
            factor_rows.append(r)
            if entries:
                name = f"qpcr_levels_{len(factor_rows)}"
                names[f"levels:{entries[0]}"] = name
                book.defined_names[name] = DefinedName(
                    name, attr_text=f"Settings!$D${r}:${last}${r}"
                )
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


def _layout_sheet(
    book: Any,
    fmt: PlateFormat,
    grids: dict[str, dict[str, Any]],
    targets: list[str],
    factors: dict[str, list[str]],
    replicate: str,
    names: dict[str, str],
) -> None:
    from openpyxl.formatting.rule import CellIsRule, ColorScaleRule, FormulaRule
    from openpyxl.styles import Font, PatternFill

    ws = book.create_sheet("Layout", 1)
    ws["A1"] = "Plate layout"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = (
        "One grid per variable; the name in the top-left cell says which. Leave unused wells empty."
    )
    variables = ["sample", "target", "sample_type", *factors, *([replicate] if replicate else [])]
    variables.append("quantity")
    ws.column_dimensions["A"].width = 14
    for c in range(2, fmt.cols + 2):
        ws.column_dimensions[_col(c)].width = 11 if fmt.cols == 12 else 8
    for k, name in enumerate(variables):
        top = _LAYOUT_TOP + k * (fmt.rows + 2)
        cells = _write_grid(ws, top, fmt, name, grids.get(name, {}))
        if name == "sample_type":
            rule, vocab = _list_rule("qpcr_sample_type", "a sample type"), list(SAMPLE_TYPES)
        elif name == "target":
            rule, vocab = _list_rule("qpcr_targets", "a target"), targets
        elif name in factors and f"levels:{name}" in names:
            rule = _list_rule(names[f"levels:{name}"], f"a level of {name}")
            vocab = factors[name]
        elif name == "quantity":
            rule = _rule(
                "A positive quantity (copies, ng, dilution) for standards.",
                type="decimal",
                operator="greaterThan",
                formula1="0",
            )
            vocab = []
        else:
            rule, vocab = None, list(dict.fromkeys(grids.get(name, {}).values()))
        if rule is not None:
            rule.add(cells)
            ws.add_data_validation(rule)
        if name == "quantity":
            ws.conditional_formatting.add(
                cells,
                ColorScaleRule(
                    start_type="min", start_color="FFFFFFFF", end_type="max", end_color="FF9BC2E6"
                ),
            )
            continue
        for i, value in enumerate(vocab):
            fill = PatternFill("solid", fgColor=_PALETTE[i % len(_PALETTE)])
            formula = '"' + str(value).replace('"', '""') + '"'
            ws.conditional_formatting.add(
                cells, CellIsRule(operator="equal", formula=[formula], fill=fill)
            )
        first = cells.split(":")[0]
        ws.conditional_formatting.add(
            cells,
            FormulaRule(formula=[f"LEN({first})>0"], fill=PatternFill("solid", fgColor="FFEFEFEF")),
        )
    _fit_page(ws)


def _write_grid(ws: Any, top: int, fmt: PlateFormat, name: str, values: dict[str, Any]) -> str:
    """Write a plate grid with its header at row ``top``; return the range of its cells."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    head = PatternFill("solid", fgColor="FF305496")
    thin = Side(style="thin", color="FFBFBFBF")
    corner = ws.cell(row=top, column=1, value=name)
    corner.data_type = "s"
    corner.font = Font(bold=True, color="FFFFFFFF")
    corner.fill = head
    for c in range(1, fmt.cols + 1):
        cell = ws.cell(row=top, column=c + 1, value=c)
        cell.font = Font(bold=True, color="FFFFFFFF")
        cell.fill = head
        cell.alignment = Alignment(horizontal="center")
    for r, letter in enumerate(fmt.row_letters, start=1):
        label = ws.cell(row=top + r, column=1, value=letter)
        label.font = Font(bold=True, color="FFFFFFFF")
        label.fill = head
        label.alignment = Alignment(horizontal="center")
        for c in range(1, fmt.cols + 1):
            cell = ws.cell(row=top + r, column=c + 1)
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            value = values.get(f"{letter}{c}")
            if value is not None:
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"
    return f"B{top + 1}:{_col(fmt.cols + 1)}{top + fmt.rows}"


def _cq_sheet(book: Any, fmt: PlateFormat) -> None:
    from openpyxl.formatting.rule import ColorScaleRule
    from openpyxl.styles import Font

    ws = book.create_sheet("Cq", 2)
    ws["A1"] = "Cq values typed by hand (or leave empty and use the Paste sheet)"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = "One Cq per well; the well's target is the one on Layout. Undetermined = no Cq."
    ws.column_dimensions["A"].width = 14
    cells = _write_grid(ws, _LAYOUT_TOP, fmt, "cq", {})
    for c in range(2, fmt.cols + 2):
        ws.column_dimensions[_col(c)].width = 12 if fmt.cols == 12 else 9
    for row in ws[cells]:
        for cell in row:
            cell.number_format = "0.00"
    ws.conditional_formatting.add(
        cells,
        ColorScaleRule(
            start_type="num",
            start_value=15,
            start_color="FF63BE7B",
            mid_type="num",
            mid_value=27,
            mid_color="FFFFEB84",
            end_type="num",
            end_value=40,
            end_color="FFF8696B",
        ),
    )
    _fit_page(ws)


def _paste_sheet(book: Any) -> None:
    from openpyxl.styles import Font

    ws = book.create_sheet("Paste", 3)
    ws["A1"] = _PASTE_NOTE
    ws["A1"].font = Font(bold=True, color="FF305496")
    _fit_page(ws)


# --------------------------------------------------------------------------------------------
# reading


def is_template(path: str | Path) -> bool:
    """True for a workbook written by :func:`write_template` (sheets Layout, Settings and the
    marker cell ``Lists!A1``). Never raises."""
    try:
        path = Path(path)
        with path.open("rb") as handle:
            if handle.read(4) != b"PK\x03\x04":
                return False
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(path))
        if not {"Layout", "Settings", "Lists"} <= set(book.sheet_names):
            return False
        head = book.get_sheet_by_name("Lists").to_python(skip_empty_area=False, nrows=1)
        return bool(head) and str(head[0][0]).strip() == MARKER
    except Exception:  # a probe must never raise
        return False


class _Sheet:
    """Values of one sheet from A1 (0-based access) plus its formula and error cells."""

    def __init__(self, book: Any, name: str, special: dict[str, str], source: str) -> None:
        self.name = name
        self.source = source
        self.rows = [list(r) for r in book.get_sheet_by_name(name).to_python(
            skip_empty_area=False)]  # fmt: skip
        if special:
            ref, what = next(iter(special.items()))
            raise InputError(
                f"the cell holds {what}; expected a typed value",
                where=f"{source} {name}!{ref}",
                hint="Only values are read: copy the cells and paste them as values "
                "(Paste Special > Values), or type the value",
            )

    def get(self, r: int, c: int) -> Any:
        row = self.rows[r] if r < len(self.rows) else []
        return row[c] if c < len(row) else None

    def text(self, r: int, c: int) -> str:
        return as_text(self.get(r, c))

    def where(self, r: int, c: int) -> str:
        return f"{self.source} {_ref(self.name, r, c)}"


def _special_cells(path: Path, sheets: Sequence[str]) -> dict[str, dict[str, str]]:
    """Formula and error cells of the named sheets (``{sheet: {ref: what}}``) of an .xlsx,
    .xlsm or .ods, read from the XML because calamine shows values only; empty for others.
    The members are read through :mod:`qpcr.io.safety` (inflated size capped, no DTD)."""
    found: dict[str, dict[str, str]] = {name: {} for name in sheets}
    try:
        members = set(zip_member_names(path))
    except InputError:
        return found
    if "xl/workbook.xml" in members:
        _xlsx_special(path, found)
    elif "content.xml" in members:
        _ods_special(path, found)
    return found


def _xml(path: Path, member: str) -> ElementTree.Element:
    return parse_xml(read_zip_member(path, member), where=f"{path} [{member}]")


def _formula(text: str | None) -> str:
    return f"a formula (={text})" if text else "a formula"


def _xlsx_special(path: Path, found: dict[str, dict[str, str]]) -> None:
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    book = _xml(path, "xl/workbook.xml")
    rels = _xml(path, "xl/_rels/workbook.xml.rels")
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    for sheet in book.iter(f"{ns}sheet"):
        name = sheet.get("name")
        if name not in found:
            continue
        target = targets.get(sheet.get(f"{rel_ns}id"), "")
        member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        for cell in _xml(path, member).iter(f"{ns}c"):
            formula = cell.find(f"{ns}f")
            if formula is not None:
                found[name][cell.get("r", "?")] = _formula(formula.text)
            elif cell.get("t") == "e":
                value = cell.findtext(f"{ns}v") or "?"
                found[name][cell.get("r", "?")] = f"the error value {value}"


def _ods_special(path: Path, found: dict[str, dict[str, str]]) -> None:
    """OpenDocument: cells with a ``table:formula`` attribute (error values only arise from
    formulas there). Rows and cells may carry repeat counts."""
    t = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
    cells = (f"{t}table-cell", f"{t}covered-table-cell")
    for table in _xml(path, "content.xml").iter(f"{t}table"):
        name = table.get(f"{t}name")
        if name not in found:
            continue
        row = 0
        for element in table.iter(f"{t}table-row"):
            col = 0
            for cell in element:
                if cell.tag not in cells:
                    continue
                if cell.get(f"{t}formula"):
                    text = cell.get(f"{t}formula", "").removeprefix("of:").lstrip("=")
                    found[name][f"{_col(col + 1)}{row + 1}"] = _formula(text)
                col += int(cell.get(f"{t}number-columns-repeated", "1"))
            row += int(element.get(f"{t}number-rows-repeated", "1"))


def read_template(path: str | Path) -> TemplateContent:
    """Read a filled template: wells (joined with the layout) and settings.

    Cq values come from the Paste sheet (read with :func:`qpcr.io.read_run`, then joined to
    the Layout grids by well with :func:`qpcr.layout.join_layout`) or, when Paste is empty,
    from the Cq grid (one row per Layout well with a target). Targets are renamed by the
    Settings ``alias`` rows before the join. Errors name sheet and cell.
    """
    path = Path(path)
    source = str(path)
    if not is_template(path):
        raise InputError(
            "not a qpcr template (sheets Layout, Settings and the marker on Lists missing)",
            where=source,
            hint="Create one with 'qpcr template OUT.xlsx'",
        )
    from python_calamine import CalamineWorkbook

    names = ("Layout", "Cq", "Paste", "Settings")
    book = CalamineWorkbook.from_path(str(path))
    present = [n for n in names if n in book.sheet_names]
    special = _special_cells(path, present)
    sheets = {n: _Sheet(book, n, special[n], source) for n in present}
    targets, factors, settings = _read_settings(sheets["Settings"])
    layout, plate, cells = _read_layout(sheets["Layout"], targets, factors, settings)
    paste = _paste_text(sheets["Paste"]) if "Paste" in sheets else None
    cq = _read_cq(sheets["Cq"], plate) if "Cq" in sheets else {}
    messages: list[str] = []
    if paste is not None and cq:
        first = next(iter(cq.values()))[2]
        raise InputError(
            "Cq values are both typed on the Cq sheet and pasted on the Paste sheet; "
            "expected one of the two",
            where=first,
            hint="Clear the Cq grid or the Paste sheet",
        )
    aliases = settings.get("aliases", {})
    if "target" in layout and aliases:
        layout["target"] = layout["target"].replace(aliases)
    if paste is not None:
        run = _pasted_run(paste, source)
        wells, info = run.wells, run.info
        _check_targets(wells["target"], targets, settings, f"{source} Paste")
        if aliases:
            wells["target"] = wells["target"].replace(aliases)
        if not layout.empty:
            from ..layout import join_layout

            wells, found = join_layout(wells, layout, where=f"{source} Layout")
            messages += found
    elif cq:
        wells = _grid_wells(layout, cq, cells, sheets["Layout"])
        info = RunInfo(path=source, format="template", software="qpcr template",
                       plate_size=plate.size)  # fmt: skip
    else:
        raise InputError(
            "no Cq values: the Cq grid and the Paste sheet are both empty",
            where=source,
            hint="Paste the instrument's results table on Paste, or type Cq values on Cq",
        )
    replicate = settings.get("replicate")
    if replicate and replicate not in wells:
        r, c = _settings_cell(sheets["Settings"], "replicate")
        raise ConfigError(
            f"the replicate column '{replicate}' has no values on Layout",
            where=sheets["Settings"].where(r, c),
            hint=f"Fill the '{replicate}' grid on Layout (one donor per well) or clear this cell",
        )
    from_mapping(settings, where=f"{source} Settings")
    return TemplateContent(
        wells=wells.reset_index(drop=True),
        settings=settings,
        source=source,
        info=info,
        targets=tuple(targets),
        factors=factors,
        messages=tuple(messages),
    )


def template_config(paths: Sequence[str | Path]) -> AnalysisConfig | None:
    """The settings of the first template among ``paths`` as a config (None if none is)."""
    for path in paths:
        if is_template(path):
            return from_mapping(read_template(path).settings, where=f"{path} Settings")
    return None


def _settings_cell(sheet: _Sheet, key: str) -> tuple[int, int]:
    for r in range(len(sheet.rows)):
        if sheet.text(r, 0).lower() == key:
            return r, _FIRST_VALUE_COL - 1
    return 0, 0


def _read_settings(
    sheet: _Sheet,
) -> tuple[list[str], dict[str, list[str]], dict[str, Any]]:
    """Targets, factors and the TOML-shaped settings of the Settings sheet."""
    header = next(
        (r for r in range(len(sheet.rows)) if sheet.text(r, 0).lower() == "setting"), None
    )
    if header is None:
        raise ConfigError(
            "no header row with 'setting' in column A", where=f"{sheet.source} Settings"
        )
    rows: list[tuple[str, int, list[tuple[str, Any, int]]]] = []
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

    def listed(key: str) -> list[tuple[str, Any, int, int]]:
        return [(t, v, r, c) for k, r, vals in rows if k == key for t, v, c in vals]

    targets: list[str] = []
    for text, _, r, c in listed("targets"):
        if text in targets:
            raise ConfigError(f"target '{text}' is listed twice", where=sheet.where(r, c))
        targets.append(text)
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
    settings: dict[str, Any] = {}

    def target(text: str, r: int, c: int) -> str:
        if targets and text not in targets:
            raise ConfigError(
                f"'{text}' is not among the targets listed on Settings; {_suggest(text, targets)}",
                where=sheet.where(r, c),
            )
        return text

    def level(factor: str, value: str, where: str) -> None:
        if factor not in factors:
            raise ConfigError(
                f"factor '{factor}' is not listed on Settings; {_suggest(factor, factors)}",
                where=where,
            )
        if factors[factor] and value not in factors[factor]:
            raise ConfigError(
                f"'{value}' is not a level of {factor}; {_suggest(value, factors[factor])}",
                where=where,
            )

    refs = [target(t, r, c) for t, _, r, c in listed("reference_genes")]
    if refs:
        settings["reference_genes"] = refs
    tables: dict[str, dict[str, Any]] = {}
    for key, r, values in rows:
        if key not in ("control", "efficiency", "ratio", "alias", "contrast") or not values:
            continue
        width = {"ratio": 3, "contrast": 3}.get(key, 2)
        cells = [sheet.text(r, _FIRST_VALUE_COL - 1 + i) for i in range(width)]
        missing = [i for i, text in enumerate(cells) if not text]
        if missing:
            c = _FIRST_VALUE_COL - 1 + missing[0]
            raise ConfigError(
                f"the {key} row needs {width} values from column C on",
                where=sheet.where(r, c),
                hint=_MULTI[key],
            )
        first, c0 = cells[0], _FIRST_VALUE_COL - 1
        if key == "control":
            level(first, cells[1], sheet.where(r, c0 + 1))
            tables.setdefault("control", {})[first] = cells[1]
        elif key == "efficiency":
            target(first, r, c0)
            tables.setdefault("efficiency", {})[first] = parse_efficiency(
                sheet.get(r, c0 + 1), where=sheet.where(r, c0 + 1)
            )
        elif key == "ratio":
            pair = [target(cells[i], r, c0 + i) for i in (1, 2)]
            tables.setdefault("ratios", {})[first] = pair
        elif key == "alias":
            tables.setdefault("aliases", {})[first] = target(cells[1], r, c0 + 1)
        else:
            groups = [_parse_group(cells[i], sheet.where(r, c0 + i), level) for i in (1, 2)]
            tables.setdefault("contrasts", {})[first] = {
                "name": first, "numerator": groups[0], "denominator": groups[1]
            }  # fmt: skip
    if "contrasts" in tables:
        tables["contrasts"] = list(tables["contrasts"].values())  # type: ignore[assignment]
    settings.update(tables)
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
    return targets, factors, settings


def _refuse_date(value: Any, where: str) -> None:
    """Spreadsheets silently turn names such as SEPT2, MARCH1 or 1/2 into dates; refuse them."""
    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        raise InputError(
            f"the cell holds a date or time ({value}); expected a name or number. Spreadsheets "
            "turn names such as SEPT2, MARCH1 or 1/2 into dates",
            where=where,
            hint="Format the cells as Text, then type the name again",
        )


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


def _grid_blocks(sheet: _Sheet) -> list[tuple[str, PlateFormat, int, int]]:
    """Plate grids of a sheet: (name, plate, header row, name column), 0-based."""
    blocks = []
    for r, row in enumerate(sheet.rows):
        for c in range(len(row) - 2):
            if as_text(row[c + 1]) != "1" or as_text(row[c + 2]) != "2":
                continue
            if sheet.text(r + 1, c) != "A":
                continue
            ncols = 0
            while as_text(sheet.get(r, c + 1 + ncols)) == str(ncols + 1):
                ncols += 1
            plate = next((p for p in PLATES.values() if p.cols == ncols), None)
            if plate is None:
                raise LayoutError(
                    f"a grid has {ncols} numbered columns; expected 8, 12 or 24",
                    where=sheet.where(r, c + 1),
                )
            blocks.append((sheet.text(r, c), plate, r, c))
    return blocks


def _read_layout(
    sheet: _Sheet, targets: list[str], factors: dict[str, list[str]], settings: dict[str, Any]
) -> tuple[pd.DataFrame, PlateFormat, dict[str, dict[str, str]]]:
    """Layout table (one row per used well; only grids with values), the plate, and the cell
    address of every value (``{variable: {well: 'Layout!B5'}}``)."""
    blocks = _grid_blocks(sheet)
    if not blocks:
        raise LayoutError(
            "no plate grid found", where=f"{sheet.source} Layout", hint="Start from a new template"
        )
    replicate = settings.get("replicate", "")
    allowed = [*_STANDARD, *factors, *([replicate] if replicate else [])]
    plate = blocks[0][1]
    data: dict[str, dict[str, Any]] = {}
    cells: dict[str, dict[str, str]] = {}
    aliases = settings.get("aliases", {})
    for name, fmt, r0, c0 in blocks:
        if fmt != plate:
            raise LayoutError(
                f"grid '{name}' is a {fmt.describe()}; the first grid is a {plate.describe()}",
                where=sheet.where(r0, c0),
            )
        if name not in allowed:
            raise LayoutError(
                f"grid name '{name}' is not a layout variable; {_suggest(name, allowed)}",
                where=sheet.where(r0, c0),
                hint="Factors and the replicate column are declared on Settings",
            )
        if name in data:
            raise LayoutError(f"a second grid named '{name}'", where=sheet.where(r0, c0))
        values: dict[str, Any] = {}
        refs: dict[str, str] = {}
        for i, letter in enumerate(plate.row_letters, start=1):
            if sheet.text(r0 + i, c0) != letter:
                raise LayoutError(
                    f"grid '{name}' row {i} is labelled '{sheet.text(r0 + i, c0)}'; "
                    f"expected '{letter}'",
                    where=sheet.where(r0 + i, c0),
                )
            for j in range(1, plate.cols + 1):
                raw = sheet.get(r0 + i, c0 + j)
                text = as_text(raw)
                if not text:
                    continue
                well, where = f"{letter}{j}", sheet.where(r0 + i, c0 + j)
                values[well] = _layout_value(name, raw, text, where, targets, aliases, factors)
                refs[well] = where
        if values:
            data[name] = values
            cells[name] = refs
    used = [w for w in plate.wells() if any(w in v for v in data.values())]
    layout = pd.DataFrame({"well": pd.Series(used, dtype=object)})
    for name in [v for v in allowed if v in data]:
        default = np.nan if name == "quantity" else ""
        layout[name] = [data[name].get(w, default) for w in used]
    return layout, plate, cells


def _layout_value(
    name: str,
    raw: Any,
    text: str,
    where: str,
    targets: list[str],
    aliases: dict[str, str],
    factors: dict[str, list[str]],
) -> Any:
    """One checked Layout cell value."""
    _refuse_date(raw, where)
    if name == "target" and targets and text not in targets and text not in aliases:
        raise LayoutError(
            f"target '{text}' is not among the targets listed on Settings; "
            f"{_suggest(text, targets)}",
            where=where,
        )
    if name == "sample_type":
        kind = normalise_sample_type(text)
        if kind is None:
            raise LayoutError(
                f"sample type '{text}' is unknown; {_suggest(text.lower(), SAMPLE_TYPES)}",
                where=where,
                hint="unkn sample, ntc no-template, nrt no-RT, std standard, pos positive",
            )
        return kind
    if name == "quantity":
        number = raw if isinstance(raw, float) else pd.to_numeric(text, errors="coerce")
        if not number > 0:
            raise LayoutError(f"quantity '{text}' is not a positive number", where=where)
        return float(number)
    if name in factors and factors[name] and text not in factors[name]:
        raise LayoutError(
            f"'{text}' is not a level of {name} listed on Settings; "
            f"{_suggest(text, factors[name])}",
            where=where,
        )
    return text


def _read_cq(sheet: _Sheet, plate: PlateFormat) -> dict[str, tuple[float, str, str]]:
    """Typed Cq grid: ``{well: (cq, cq_status, cell address)}`` for non-empty cells."""
    blocks = [b for b in _grid_blocks(sheet) if b[0].lower() == "cq"]
    out: dict[str, tuple[float, str, str]] = {}
    for _, fmt, r0, c0 in blocks:
        if fmt != plate:
            raise LayoutError(
                f"the Cq grid is a {fmt.describe()} but Layout is a {plate.describe()}",
                where=sheet.where(r0, c0),
            )
        for i, letter in enumerate(fmt.row_letters, start=1):
            for j in range(1, fmt.cols + 1):
                raw = sheet.get(r0 + i, c0 + j)
                if not as_text(raw):
                    continue
                cq, status = parse_cq([raw])
                where = sheet.where(r0 + i, c0 + j)
                if status[0] == "invalid":
                    raise ExportParseError(
                        f"Cq '{as_text(raw)}' is not a number",
                        where=where,
                        hint="Type the Cq (e.g. 24.31), or Undetermined when nothing amplified",
                    )
                out[f"{letter}{j}"] = (float(cq[0]), status[0], where)
    return out


def _grid_wells(
    layout: pd.DataFrame,
    cq: dict[str, tuple[float, str, str]],
    cells: dict[str, dict[str, str]],
    sheet: _Sheet,
) -> pd.DataFrame:
    """Wells table from the Layout grids and the typed Cq grid."""
    target_cells = cells.get("target", {})
    if not target_cells:
        raise LayoutError("no well has a target", where=f"{sheet.source} Layout")
    for well, (_, _, where) in cq.items():
        if well not in target_cells:
            raise LayoutError(
                f"well {well} has a Cq but no target on Layout",
                where=where,
                hint="Choose the well's target in the Layout 'target' grid",
            )
    for name, refs in cells.items():
        for well, where in refs.items():
            if name != "target" and well not in target_cells:
                raise LayoutError(
                    f"well {well} has a {name} but no target",
                    where=where,
                    hint="Choose the target in the Layout 'target' grid, or clear the well",
                )
    table = layout.loc[layout["target"].ne("")].copy()
    if "sample" not in table:
        table["sample"] = ""
    types = table["sample_type"] if "sample_type" in table else pd.Series("", index=table.index)
    table["sample_type"] = types.replace("", "unkn")
    table["cq"] = [cq.get(w, (np.nan,))[0] for w in table["well"]]
    table["cq_status"] = [cq[w][1] if w in cq else "missing" for w in table["well"]]
    first = ["well", "sample", "target", "sample_type", "cq", "cq_status"]
    rest = [c for c in table.columns if c not in first]
    return table[first + rest]


def _paste_text(sheet: _Sheet) -> str | None:
    """The Paste sheet as TAB text (note row and empty edges removed), or None when empty."""
    rows = [
        [as_text(v).replace("\t", " ").replace("\n", " ") for v in row]
        for row in sheet.rows
        if as_text(row[0] if row else "") != _PASTE_NOTE
    ]
    if not any(any(row) for row in rows):
        return None
    while rows and not any(rows[0]):
        rows.pop(0)
    while not any(rows[-1]):
        rows.pop()
    width = max(len(r) for r in rows)
    used = [c for c in range(width) if any(c < len(r) and r[c] for r in rows)]
    lines = ["\t".join(r[c] if c < len(r) else "" for c in range(used[0], used[-1] + 1))
             for r in rows]  # fmt: skip
    first = {cell.strip().lower() for cell in lines[0].split("\t")}
    thermo = not any(line.startswith(("[", "* ")) for line in lines) and (
        "well position" in first or {"sample name", "target name"} <= first
    )
    return "\n".join((["[Results]"] if thermo else []) + lines) + "\n"


def _pasted_run(text: str, source: str) -> Export:
    """Read the pasted table with the export readers (saved to a temporary text file)."""
    from ..io import read_run

    with tempfile.TemporaryDirectory(prefix="qpcr-paste-") as folder:
        tmp = Path(folder) / "pasted.txt"
        tmp.write_text(text, encoding="utf-8")
        try:
            export = read_run(tmp)
            return replace(export, info=replace(export.info, path=f"{source} [Paste]"))
        except InputError as exc:
            detail = exc.where.replace(str(tmp), "").strip()
            message = exc.message + (f" (pasted table {detail})" if detail else "")
            raise type(exc)(message, where=f"{source} Paste", hint=exc.hint) from None


def _check_targets(
    found: pd.Series, targets: list[str], settings: dict[str, Any], where: str
) -> None:
    if not targets:
        return
    known = set(targets) | set(settings.get("aliases", {}))
    unknown = sorted(set(found) - known - {""})
    if unknown:
        raise LayoutError(
            f"target '{unknown[0]}' of the pasted table is not among the targets listed on "
            f"Settings; {_suggest(unknown[0], targets)}",
            where=where,
            hint="Add it to the targets row, or map it with an alias row on Settings",
        )
