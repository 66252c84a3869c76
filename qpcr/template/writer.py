"""Writing the template workbook (:func:`write_template`) and its sheets."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..atomic import atomic_write
from ..config import choices, from_mapping
from ..errors import InputError, LayoutError
from ..io._tabular import as_text
from ..plate import PLATES, PlateFormat, normalise_well
from ..schema import SAMPLE_TYPES
from ..settings import SETTINGS
from ._common import (
    _LIST_WIDTH,
    _PASTE_NOTE,
    _STANDARD,
    MARKER,
    TEMPLATE_VERSION,
    _col,
    _fit_page,
    _list_rule,
    _rule,
    _unique,
)
from .settings_sheet import _settings_sheet, declared_names

__all__ = ["write_template"]


_LAYOUT_TOP = 4  # row of the first Layout grid header
_PALETTE = ("FFD8E4BC", "FFB7DEE8", "FFFCD5B4", "FFE4DFEC", "FFFFF2CC", "FFDDEBF7",
            "FFF8CBAD", "FFC6E0B4", "FFD9D9D9", "FFBDD7EE", "FFFFE699", "FFF4B084")  # fmt: skip


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

    The file is written to a temporary name beside ``path`` then renamed (atomic).

    Parameters
    ----------
    path : str or Path
        The ``.xlsx`` file to write.
    plate : int
        48, 96 or 384 wells.
    targets, reference_genes : sequence of str
        Gene names listed on Settings (layout targets are added).
    factors : dict of str to list of str, optional
        Factor name → levels (layout factor columns and their values are added).
    replicate : str
        Name of the biological-replicate column (``settings['replicate']`` wins).
    layout : DataFrame, optional
        One row per well (``well``, ``sample``, ``target``, ``sample_type``, ``quantity``,
        factor and replicate columns) used to fill the Layout grids.
    settings : dict, optional
        TOML-shaped settings (keys of :mod:`qpcr.config`, or
        :meth:`~qpcr.config.AnalysisConfig.to_dict`) filled into Settings; every setting is
        written (the defaults where not given).
    force : bool
        Overwrite an existing file.

    Raises
    ------
    InputError
        For a plate size other than 48, 96 or 384, a name without ``.xlsx``, or an existing
        file without ``force``.
    ConfigError
        For an unknown or invalid setting in ``settings``.
    LayoutError
        For a layout that does not fit one template (several plates, several targets in a
        well).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import openpyxl
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "plate.xlsx"
    >>> write_template(path, plate=48, targets=["GAPDH", "MYC"], reference_genes=["GAPDH"])
    >>> book = openpyxl.load_workbook(path)
    >>> book.sheetnames
    ['Instructions', 'Layout', 'Cq', 'Paste', 'Settings', 'Lists']
    >>> [cell.value for cell in book["Layout"][4][:5]]  # the sample grid: 8 columns of 48 wells
    ['sample', 1, 2, 3, 4]
    >>> write_template(path)
    Traceback (most recent call last):
    ...
    qpcr.errors.InputError: ...plate.xlsx: the file exists; expected a new file name. ...
    >>> folder.cleanup()
    """
    path = Path(path)
    if plate not in PLATES:
        raise InputError(
            f"plate size {plate}; expected one of {', '.join(map(str, PLATES))}", where="plate"
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
            hint="Choose another name or pass force=True to overwrite it",
        )
    fmt = PLATES[plate]
    # settings as to_dict() gives them too: with their source, and None for an unset replicate
    given = {k: v for k, v in (settings or {}).items() if k != "source" and v is not None}
    values = from_mapping(given, where="settings").to_dict()
    values.pop("source")
    values["replicate"] = (settings or {}).get("replicate") or replicate
    if reference_genes:
        values["reference_genes"] = list(reference_genes)
    grids = _layout_grids(layout, fmt) if layout is not None else {}
    named_targets, named_levels = declared_names(values)
    factor_levels = _factor_levels(factors or {}, grids, named_levels, values["replicate"])
    all_targets = _unique([*targets, *grids.get("target", {}).values(), *named_targets])
    if len(all_targets) > _LIST_WIDTH:
        raise InputError(
            f"{len(all_targets)} targets; expected at most {_LIST_WIDTH} in one template",
            where="targets",
        )

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
        cells: dict[str, float | str] = {}
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
    factors: dict[str, list[str]],
    grids: dict[str, dict[str, Any]],
    named: dict[str, list[str]],
    replicate: str,
) -> dict[str, list[str]]:
    """Factor → levels, merged from the argument, the layout and the levels the settings name
    (control, contrasts)."""
    levels = {str(k): [str(v) for v in vs] for k, vs in factors.items()}
    for name, cells in grids.items():
        if name not in _STANDARD and name != replicate:
            levels[name] = _unique([*levels.get(name, []), *cells.values()])
    for factor, found in named.items():
        levels[factor] = _unique([*levels.get(factor, []), *found])
    return levels


def _instructions_sheet(ws: Any, fmt: PlateFormat) -> None:
    """The Instructions sheet: what to fill, in which order."""
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
    """The hidden Lists sheet: the marker cell and the drop-down vocabularies."""
    from openpyxl.workbook.defined_name import DefinedName

    ws = book.create_sheet("Lists")
    ws["A1"] = MARKER
    ws["B1"] = TEMPLATE_VERSION
    columns = {"sample_type": SAMPLE_TYPES, **{s.name: choices(s.name) for s in SETTINGS}}
    columns = {name: options for name, options in columns.items() if options}
    for j, (name, options) in enumerate(columns.items(), start=1):
        ws.cell(row=2, column=j, value=name)
        for i, option in enumerate(options, start=3):
            ws.cell(row=i, column=j, value=option)
        ref = f"Lists!${_col(j)}$3:${_col(j)}${2 + len(options)}"
        book.defined_names[f"qpcr_{name}"] = DefinedName(f"qpcr_{name}", attr_text=ref)
    ws.sheet_state = "hidden"


def _layout_sheet(
    book: Any,
    fmt: PlateFormat,
    grids: dict[str, dict[str, Any]],
    targets: list[str],
    factors: dict[str, list[str]],
    replicate: str,
    names: dict[str, str],
) -> None:
    """The Layout sheet: one plate grid per variable, with drop-downs and colours."""
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
    """The Cq sheet: one plate grid for typed Cq values, coloured by value."""
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
    """The Paste sheet: a note above room for the instrument's table."""
    from openpyxl.styles import Font

    ws = book.create_sheet("Paste", 3)
    ws["A1"] = _PASTE_NOTE
    ws["A1"].font = Font(bold=True, color="FF305496")
    _fit_page(ws)
