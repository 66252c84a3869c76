"""Reading a filled template (:func:`read_template`): values only, errors naming sheet and cell.

The workbook is read with python-calamine (macros never run); formula and error cells are
found in the file's XML (:mod:`qpcr.template._special`) and refused.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import AnalysisConfig, from_mapping
from ..errors import ConfigError, ExportParseError, InputError, LayoutError
from ..io._tabular import as_text
from ..io.inputs import ZIP_MAGIC, check_input, open_workbook
from ..io.numbers import decimal_mark, read_cq, read_numbers, to_number
from ..io.registry import Export, RunInfo, is_rust_panic
from ..plate import PLATES, PlateFormat
from ..schema import SAMPLE_TYPES, normalise_sample_type
from ._common import _PASTE_NOTE, _STANDARD, MARKER, _refuse_date, _Sheet, _suggest
from ._special import _special_cells
from .settings_sheet import _read_settings, _settings_cell

__all__ = [
    "MARKER",
    "TemplateContent",
    "is_template",
    "read_template",
    "template_config",
]

_CQ_HINT = "Type the Cq (e.g. 24.31), or Undetermined when nothing amplified"


@dataclass(frozen=True)
class TemplateContent:
    """What a filled template holds.

    ``wells``: the wells table (``well, sample, target, sample_type, cq, cq_status`` and the
    layout columns); ``settings``: TOML-shaped settings (keys of :mod:`qpcr.config`);
    ``info``: run metadata (the pasted export's, with ``path`` naming the Paste sheet, or
    format ``template`` for typed Cq values);
    ``targets`` and ``factors``: the vocabularies declared on Settings; ``messages``: layout
    notes (e.g. pasted wells absent from the layout); ``config``: the settings, validated.
    """

    wells: pd.DataFrame
    settings: dict[str, Any]
    source: str
    info: RunInfo | None = None
    targets: tuple[str, ...] = ()
    factors: dict[str, list[str]] = field(default_factory=dict)
    messages: tuple[str, ...] = ()
    config: AnalysisConfig = field(default_factory=AnalysisConfig)


def _has_marker(sheet_names: Sequence[str], head: Callable[[str], list[list[Any]]]) -> bool:
    """Whether a workbook with these sheets is a template: Layout, Settings and Lists, and
    :data:`MARKER` in ``Lists!A1`` (``head(name)``: the first rows of a sheet)."""
    if not {"Layout", "Settings", "Lists"} <= set(sheet_names):
        return False
    rows = head("Lists")
    return bool(rows) and bool(rows[0]) and str(rows[0][0]).strip() == MARKER


def _template_book(path: Path) -> Any:
    """The opened workbook when ``path`` is a template, else None (one calamine load; never
    raises, a Rust panic included)."""
    try:
        with path.open("rb") as handle:
            if handle.read(len(ZIP_MAGIC)) != ZIP_MAGIC:
                return None
        book = open_workbook(path)  # held to the input budget first

        def head(name: str) -> list[list[Any]]:
            return book.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=1)

        return book if _has_marker(book.sheet_names, head) else None
    except BaseException as exc:  # a probe must never raise
        if isinstance(exc, Exception) or is_rust_panic(exc):
            return None
        raise


def is_template(path: str | Path) -> bool:
    """Whether ``path`` is a workbook written by :func:`write_template`.

    Parameters
    ----------
    path : str or Path
        Any file (or none).

    Returns
    -------
    bool
        True when the file is an ``.xlsx`` workbook with the sheets Layout, Settings and the
        marker cell ``Lists!A1``. Never raises.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from qpcr.template import write_template
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "plate.xlsx"
    >>> write_template(path, plate=48)
    >>> is_template(path), is_template(Path(folder.name) / "missing.xlsx")
    (True, False)
    >>> folder.cleanup()
    """
    return _template_book(Path(path)) is not None


def read_template(path: str | Path) -> TemplateContent:
    """Read a filled template: wells (joined with the layout) and settings.

    Cq values come from the Paste sheet (read with :func:`qpcr.io.read_run`, then joined to
    the Layout grids by well with :func:`qpcr.layout.join_layout`) or, when Paste is empty,
    from the Cq grid (one row per Layout well with a target). Targets are renamed by the
    Settings ``aliases`` rows before the join.

    Parameters
    ----------
    path : str or Path
        A template written by :func:`write_template` and filled in.

    Returns
    -------
    TemplateContent
        The wells table, the settings and what else the template declares.

    Raises
    ------
    InputError, LayoutError, ConfigError
        Naming sheet and cell: not a template, no Cq values, formulas, dates where numbers
        belong, unknown settings.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import openpyxl
    >>> import pandas as pd
    >>> from qpcr.template import write_template
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "plate.xlsx"
    >>> layout = pd.DataFrame({
    ...     "well": ["A1", "A2", "B1", "B2"], "sample": ["ctrl", "ctrl", "treated", "treated"],
    ...     "target": ["GAPDH", "MYC"] * 2, "sample_type": "unkn", "donor": "d1",
    ... })
    >>> write_template(path, layout=layout, reference_genes=["GAPDH"])
    >>> book = openpyxl.load_workbook(path)  # Cq values typed on the Cq grid, as a user would
    >>> for cell, cq in {"B5": 18.2, "C5": 24.1, "B6": 18.3, "C6": 22.0}.items():
    ...     book["Cq"][cell] = cq
    >>> book.save(path)
    >>> content = read_template(path)
    >>> content.wells[["well", "sample", "target", "cq", "cq_status", "donor"]]
      well   sample target    cq cq_status donor
    0   A1     ctrl  GAPDH  18.2        ok    d1
    1   A2     ctrl    MYC  24.1        ok    d1
    2   B1  treated  GAPDH  18.3        ok    d1
    3   B2  treated    MYC  22.0        ok    d1
    >>> content.settings["reference_genes"], content.settings["replicate"], content.targets
    (['GAPDH'], 'donor', ('GAPDH', 'MYC'))
    >>> folder.cleanup()
    """
    path = Path(path)
    check_input(path)  # a file beyond the input budget is refused as such, not "not a template"
    return _read(path, _template_book(path))


def _sheets(path: Path, book: Any, names: Sequence[str]) -> dict[str, _Sheet]:
    """The named sheets of the opened template that it has (formula and error cells refused)."""
    present = [n for n in names if n in book.sheet_names]
    special = _special_cells(path, present)
    return {n: _Sheet(book, n, special[n], str(path)) for n in present}


def _read(path: Path, book: Any) -> TemplateContent:
    """Everything :func:`read_template` returns, from the opened workbook (None: the file is
    not a template)."""
    source = str(path)
    if book is None:
        raise InputError(
            "not a qpcr template (sheets Layout, Settings and the marker on Lists missing)",
            where=source,
            hint="Create one with write_template() and fill it in",
        )
    sheets = _sheets(path, book, ("Layout", "Cq", "Paste", "Settings"))
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

            names = settings.get("sample_names", "check")
            wells, found = join_layout(wells, layout, f"{source} Layout", sample_names=names)
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
    config = from_mapping(settings, where=f"{source} Settings")
    plain = config.to_dict()
    return TemplateContent(
        wells=wells.reset_index(drop=True),
        settings={key: plain[key] for key in settings},
        source=source,
        info=info,
        targets=tuple(targets),
        factors=factors,
        messages=tuple(messages),
        config=config,
    )


def template_config(paths: Sequence[str | Path]) -> AnalysisConfig | None:
    """The settings of the first template among ``paths`` as a config (its Settings sheet
    only: each file is opened once, the layout and Cq values are read by :func:`read_template`).

    Parameters
    ----------
    paths : sequence of str or Path
        Input files, templates or not.

    Returns
    -------
    AnalysisConfig or None
        The validated settings of the first template, or None if no file is one.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import openpyxl
    >>> import pandas as pd
    >>> from qpcr.template import write_template
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "plate.xlsx"
    >>> layout = pd.DataFrame({
    ...     "well": ["A1", "A2", "B1", "B2"], "sample": ["ctrl", "ctrl", "treated", "treated"],
    ...     "target": ["GAPDH", "MYC"] * 2, "sample_type": "unkn", "donor": "d1",
    ... })
    >>> write_template(path, layout=layout, reference_genes=["GAPDH"])
    >>> book = openpyxl.load_workbook(path)  # Cq values typed on the Cq grid, as a user would
    >>> for cell, cq in {"B5": 18.2, "C5": 24.1, "B6": 18.3, "C6": 22.0}.items():
    ...     book["Cq"][cell] = cq
    >>> book.save(path)
    >>> config = template_config([Path(folder.name) / "run.txt", path])
    >>> config.reference_genes, config.replicate, config.adjust
    (('GAPDH',), 'donor', 'holm')
    >>> template_config([Path(folder.name) / "run.txt"]) is None
    True
    >>> folder.cleanup()
    """
    for path in map(Path, paths):
        book = _template_book(path)
        if book is not None:
            _, _, settings = _read_settings(_sheets(path, book, ["Settings"])["Settings"])
            return from_mapping(settings, where=f"{path} Settings")
    return None


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
        if values and name == "quantity":
            values = _quantities(values, refs, f"{sheet.source} {sheet.name}")
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
        return raw  # a number, read for the whole grid by _quantities
    if name in factors and factors[name] and text not in factors[name]:
        raise LayoutError(
            f"'{text}' is not a level of {name} listed on Settings; "
            f"{_suggest(text, factors[name])}",
            where=where,
        )
    return text


def _read_cq(sheet: _Sheet, plate: PlateFormat) -> dict[str, tuple[float, str, str]]:
    """Typed Cq grid: ``{well: (cq, cq_status, cell address)}`` for non-empty cells, read with
    the export readers' rules (one decimal mark for the grid, 0 < Cq ≤ 100)."""
    blocks = [b for b in _grid_blocks(sheet) if b[0].lower() == "cq"]
    found: list[tuple[str, Any, str]] = []  # well, cell value, cell address
    for _, fmt, r0, c0 in blocks:
        if fmt != plate:
            raise LayoutError(
                f"the Cq grid is a {fmt.describe()} but Layout is a {plate.describe()}",
                where=sheet.where(r0, c0),
            )
        for i, letter in enumerate(fmt.row_letters, start=1):
            for j in range(1, fmt.cols + 1):
                raw = sheet.get(r0 + i, c0 + j)
                if as_text(raw):
                    found.append((f"{letter}{j}", raw, sheet.where(r0 + i, c0 + j)))
    cells, places = [raw for _, raw, _ in found], [where for _, _, where in found]
    decimal = _decimal(f"{sheet.source} {sheet.name}", "cq", cells, places)
    cq, status = read_cq(cells, places.__getitem__, decimal=decimal, hint=_CQ_HINT)
    return {
        well: (float(value), kind, where)
        for (well, _, where), value, kind in zip(found, cq, status, strict=True)
    }


def _quantities(values: dict[str, Any], refs: dict[str, str], where: str) -> dict[str, float]:
    """The quantity grid's cells as positive numbers (one decimal mark for the grid; thousands
    separators allowed)."""
    wells = list(values)
    cells, places = [values[w] for w in wells], [refs[w] for w in wells]
    decimal = _decimal(where, "quantity", cells, places, grouped=True)
    numbers = read_numbers(cells, places.__getitem__, decimal, grouped=True)
    for well, number in zip(wells, numbers, strict=True):
        if not number > 0:  # NaN fails too
            raise LayoutError(
                f"quantity '{as_text(values[well])}' is not a positive number", where=refs[well]
            )
    return {well: float(number) for well, number in zip(wells, numbers, strict=True)}


def _decimal(
    where: str, name: str, cells: Sequence[Any], places: Sequence[str], grouped: bool = False
) -> str:
    """The decimal mark of a grid's typed numbers, decided over them all with
    :func:`qpcr.io.numbers.decimal_mark`; when cells disagree, or none tells which mark an
    ambiguous cell uses, the error names the first cell at fault."""
    try:
        return decimal_mark(where, {name: cells}, [name] if grouped else [])
    except ExportParseError as exc:
        marks = [_own_mark(cell, grouped) for cell in cells]
        first = next((m for m in marks if m in (",", ".")), None)
        culprit = next(
            (i for i, m in enumerate(marks)
             if (m == "?" if first is None else m in (",", ".") and m != first)),
            None,
        )  # fmt: skip
        at = exc.where if culprit is None else places[culprit]
        raise ExportParseError(exc.message, where=at, hint=exc.hint) from None


def _own_mark(cell: Any, grouped: bool) -> str | None:
    """The decimal mark one cell shows on its own: ``,``, ``.``, ``?`` (either) or None."""
    comma, point = (to_number(cell, mark, grouped) for mark in (",", "."))
    if np.isnan(comma) and np.isnan(point):
        return None
    if np.isnan(comma) or np.isnan(point):
        return "," if np.isnan(point) else "."
    return "?" if comma != point else None


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
    """Refuse a pasted target that Settings neither lists nor aliases."""
    if not targets:
        return
    known = set(targets) | set(settings.get("aliases", {}))
    unknown = sorted(set(found) - known - {""})
    if unknown:
        raise LayoutError(
            f"target '{unknown[0]}' of the pasted table is not among the targets listed on "
            f"Settings; {_suggest(unknown[0], targets)}",
            where=where,
            hint="Add it to the targets row, or map it with an aliases row on Settings",
        )
