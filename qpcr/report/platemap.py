"""Plate maps for the HTML report: Cq per well in the plate's geometry, one map per target.

Each map is an HTML table with one cell per well of the plate (``td[data-well]``). A well
holding the target is coloured by its Cq (a colour-blind-safe sequential scale, low Cq dark);
marks show non-detects (ND), NTC wells that amplified (NTC, red edge), replicate outliers (O)
and other excluded wells (×); a thick edge outlines each sample's wells (the layout's groups).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..grouped import records
from ..plate import PlateFormat, plate_for_wells, well_index
from .safe import escape_html

if TYPE_CHECKING:
    from ..results import Results

__all__ = ["plate_maps"]

#: Anchors of the viridis scale (perceptually uniform, readable with colour-vision deficiency).
_VIRIDIS = (
    (68, 1, 84), (72, 40, 120), (62, 74, 137), (49, 104, 142), (38, 130, 142),
    (31, 158, 137), (53, 183, 121), (110, 206, 88), (181, 222, 43), (253, 231, 37),
)  # fmt: skip
#: The columns of the wells table a map reads.
_COLUMNS = ("well", "sample", "sample_type", "target", "cq", "cq_status", "outlier", "excluded",
            "exclude_code", "exclude_reason")  # fmt: skip

#: Exclusion codes that are a well's role rather than a QC decision.
_ROLE_CODES = frozenset({"standard", "ntc", ""})


def _colour(fraction: float) -> tuple[str, str]:
    """Background and text colour for a position 0..1 on the scale."""
    pos = min(max(fraction, 0.0), 1.0) * (len(_VIRIDIS) - 1)
    low = math.floor(pos)
    (r0, g0, b0), (r1, g1, b1) = _VIRIDIS[low], _VIRIDIS[min(low + 1, len(_VIRIDIS) - 1)]
    step = pos - low
    r, g, b = r0 + (r1 - r0) * step, g0 + (g1 - g0) * step, b0 + (b1 - b0) * step
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return f"#{round(r):02x}{round(g):02x}{round(b):02x}", "#000" if luminance > 140 else "#fff"


def _marks(row: dict) -> list[tuple[str, str]]:
    """(css class, short label) for each mark that applies to a well."""
    marks = []
    code = row.get("exclude_code")
    code = code if isinstance(code, str) else ""
    if row.get("cq_status") != "ok":
        marks.append(("nd", "ND"))
    if row.get("sample_type") == "ntc" and row.get("cq_status") == "ok":
        marks.append(("ntc-hit", "NTC"))
    if bool(row.get("outlier")):
        marks.append(("outlier", "O"))
    if bool(row.get("excluded")) and code not in _ROLE_CODES:
        marks.append(("excluded", "" if marks else "×"))  # ND, O: already say why
    return marks


def _present(value: object) -> bool:
    """``pd.notna`` of one value of a record (:func:`qpcr.grouped.records` gives None, never
    ``pd.NA``; NaN is the one value unequal to itself)."""
    return value is not None and value == value


def _title(row: dict) -> str:
    cq = row.get("cq")
    parts = [f"{row['well']} {row['sample']} ({row.get('sample_type', '')}), {row['target']}"]
    parts.append(f"Cq {cq:.2f}" if _present(cq) else f"Cq {row.get('cq_status', '')}")
    reason = row.get("exclude_reason")
    if isinstance(reason, str) and reason:
        parts.append(f"excluded: {reason}")
    if bool(row.get("outlier")):
        parts.append("replicate outlier")
    return "; ".join(parts)


def _edges(samples: dict[int, str], index: int, plate: PlateFormat) -> str:
    """CSS classes for the edges where the neighbouring well holds another sample."""
    cols = plate.cols
    row, col = divmod(index, cols)
    here = samples.get(index)
    if here is None:
        return ""
    out = []
    if row == 0 or samples.get(index - cols) != here:
        out.append("et")
    if row == plate.rows - 1 or samples.get(index + cols) != here:
        out.append("eb")
    if col == 0 or samples.get(index - 1) != here:
        out.append("el")
    if col == cols - 1 or samples.get(index + 1) != here:
        out.append("er")
    return " ".join(out)


class _Grid:
    """What every map of one plate shares: the well names in plate order, each well's
    position by name, the empty cells, the column header and each row's first cell."""

    def __init__(self, plate: PlateFormat) -> None:
        self.plate = plate
        self.names = plate.wells()
        self.positions = {well: index for index, well in enumerate(self.names)}
        self.empty = [f'<td class="w empty" data-well="{well}"></td>' for well in self.names]
        self.head = "".join(f"<th>{c}</th>" for c in range(1, plate.cols + 1))
        self.rows = [f"<tr><th>{letter}</th>" for letter in plate.row_letters]

    def index(self, well: str) -> int:
        """:func:`~qpcr.plate.well_index` of ``well``, a canonical name looked up."""
        found = self.positions.get(well)
        return well_index(well, self.plate) if found is None else found


def _map(wells: list[dict], grid: _Grid, target: str, caption: str) -> str:
    """One plate map: a table with a cell per well of the grid's plate (``wells``: the target's
    rows of the wells table on this plate, as :func:`qpcr.grouped.records` gives them)."""
    plate, names = grid.plate, grid.names
    mine = {grid.index(str(r["well"])): r for r in wells}
    samples = {i: str(r["sample"]) for i, r in mine.items()}
    cq = [float(r["cq"]) for r in wells if r.get("cq_status") == "ok" and _present(r.get("cq"))]
    low, high = (min(cq), max(cq)) if cq else (0.0, 1.0)
    span = high - low or 1.0
    cells = grid.empty.copy()
    escaped = {sample: escape_html(sample) for sample in samples.values()}
    for index, record in mine.items():
        if not 0 <= index < len(cells):
            continue
        marks = _marks(record)
        edges = _edges(samples, index, plate)
        if marks:
            classes = " ".join(["w", *(m[0] for m in marks), edges]).strip()
            text = " ".join(m[1] for m in marks if m[1])
        else:  # the usual well: " ".join(["w", edges]).strip()
            classes, text = f"w {edges}" if edges else "w", ""
        style = ""
        value: Any = record.get("cq")
        if value is not None and value == value:  # _present
            bg, fg = _colour((float(value) - low) / span)
            style = f' style="background:{bg};color:{fg}"'
            text = text or f"{float(value):.1f}"
        cells[index] = (
            f'<td class="{classes}" data-well="{names[index]}" '
            f'data-sample="{escaped[samples[index]]}"{style} '
            f'title="{escape_html(_title(record))}">{text}</td>'  # marks or a number
        )
    cols = plate.cols
    rows = [f"{first}{''.join(cells[r * cols : (r + 1) * cols])}</tr>"
            for r, first in enumerate(grid.rows)]  # fmt: skip
    lo_bg, lo_fg = _colour(0.0)
    hi_bg, hi_fg = _colour(1.0)
    legend = (
        f'<p class="legend">Cq <span style="background:{lo_bg};color:{lo_fg}">{low:.1f}</span>'
        f' to <span style="background:{hi_bg};color:{hi_fg}">{high:.1f}</span>; '
        "ND non-detect, × excluded, O replicate outlier, NTC control that amplified; "
        "thick edges outline each sample's wells.</p>"
    )
    return (
        f'<figure class="platemap" data-target="{escape_html(target)}" data-wells="{plate.size}">'
        f"<figcaption>{escape_html(caption)}</figcaption>"
        f'<div class="scroll"><table class="plate"><tr><th></th>{grid.head}</tr>{"".join(rows)}'
        f"</table></div>{legend}</figure>"
    )


def _named(wells: pd.DataFrame) -> tuple[list[int], list[str], list[str]]:
    """The positions, well names and plates (as text; '' without a plate column) of the wells
    that have a well name (a tidy table may give none)."""
    names = wells["well"]
    present = names.notna().tolist()
    texts = [str(name) for name in names.tolist()]
    rows = [i for i, (kept, text) in enumerate(zip(present, texts, strict=True)) if kept and text]
    plates = [str(p) for p in wells["plate"].tolist()] if "plate" in wells else [""] * len(texts)
    return rows, [texts[i] for i in rows], [plates[i] for i in rows]


def _plate_formats(results: Results, wells: list[str], plates: list[str]) -> dict[str, PlateFormat]:
    """Each plate's geometry (``wells``: the named wells, ``plates``: their plates): the size
    read from its export when the wells fit, else the smallest standard plate holding them."""
    sizes = {Path(run.path).stem: run.plate_size for run in results.runs}
    parts: dict[str, list[str]] = {}
    for name, well in zip(plates, wells, strict=True):
        parts.setdefault(name, []).append(well)
    return {name: plate_for_wells(part, sizes.get(name)) for name, part in parts.items()}


def plate_maps(results: Results) -> list[str]:
    """HTML plate maps, one per plate × target, in the order targets were read.

    Parameters
    ----------
    results
        A finished analysis.

    Returns
    -------
    list of str
        One ``<figure class="platemap">`` per plate and target, each a table with one cell
        per well of the plate.

    Examples
    --------
    ``example_results()`` is a small analysis read from a tidy table without well names
    (see ``conftest.py``), so it has no plate to draw; one with wells on a plate:

    >>> plate_maps(example_results())
    []
    >>> from dataclasses import replace
    >>> results = example_results()
    >>> wells = results.wells.assign(well=[f"{'ABCDEF'[i // 3]}{i % 3 + 1}" for i in range(18)])
    >>> maps = plate_maps(replace(results, wells=wells))
    >>> len(maps), maps[0].count("data-well="), maps[0].count('class="w empty"')
    (3, 48, 42)
    """
    positions, wells, plates = _named(results.wells)
    formats = _plate_formats(results, wells, plates)
    rows: dict[str, dict[object, list[dict]]] = {name: {} for name in formats}
    for name, row in zip(plates, records(results.wells, _COLUMNS, positions), strict=True):
        rows[name].setdefault(row["target"], []).append(row)  # targets in the order read
    out = []
    for plate_name, plate in formats.items():
        grid = _Grid(plate)
        for target, part in rows[plate_name].items():
            where = f" on {plate_name}" if len(formats) > 1 else ""
            caption = f"{target}{where}: Cq per well ({plate.describe()})"
            out.append(_map(part, grid, str(target), caption))
    return out
