"""The plate maps against the formulations they replace: ``pd.notna`` for a record's value,
each well's edges from a dict of its four neighbours, the colour scale by ``zip``, and the
maps themselves as they were drawn (a table filtered and grouped by pandas, every map's empty
cells and positions made afresh, :func:`html.escape`) on random wells tables."""

from __future__ import annotations

import html
import math
import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from qpcr.grouped import records
from qpcr.plate import PLATES, PlateFormat, plate_for_wells, well_index
from qpcr.report.platemap import (
    _COLUMNS,
    _VIRIDIS,
    _colour,
    _edges,
    _marks,
    _present,
    _title,
    plate_maps,
)


@pytest.mark.parametrize("value", [None, float("nan"), np.nan, 0.0, -1.5, 35.2, 0, 7, True])
def test_present_is_notna_for_a_record_value(value: object) -> None:
    assert _present(value) == bool(pd.notna(value))


def _edges_by_neighbours(samples: dict[int, str], index: int, plate: PlateFormat) -> str:
    row, col = divmod(index, plate.cols)
    here = samples.get(index)
    if here is None:
        return ""
    out = []
    neighbours = {"et": (row - 1, col), "eb": (row + 1, col), "el": (row, col - 1),
                  "er": (row, col + 1)}  # fmt: skip
    for name, (r, c) in neighbours.items():
        inside = 0 <= r < plate.rows and 0 <= c < plate.cols
        if not inside or samples.get(r * plate.cols + c) != here:
            out.append(name)
    return " ".join(out)


@pytest.mark.parametrize("seed", range(20))
def test_edges_match_the_four_neighbours(seed: int) -> None:
    rng = random.Random(seed)
    rows, cols = rng.choice([(2, 3), (8, 12), (16, 24)])
    plate = PlateFormat(rows, cols)
    filled = rng.sample(range(rows * cols), rng.randint(0, rows * cols))
    samples = {i: rng.choice("abc") for i in filled}
    for index in range(rows * cols):
        assert _edges(samples, index, plate) == _edges_by_neighbours(samples, index, plate)


def _colour_by_zip(fraction: float) -> tuple[str, str]:
    pos = min(max(fraction, 0.0), 1.0) * (len(_VIRIDIS) - 1)
    low = math.floor(pos)
    high = min(low + 1, len(_VIRIDIS) - 1)
    rgb = [a + (b - a) * (pos - low) for a, b in zip(_VIRIDIS[low], _VIRIDIS[high], strict=True)]
    luminance = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
    r, g, b = (round(v) for v in rgb)
    return f"#{r:02x}{g:02x}{b:02x}", "#000" if luminance > 140 else "#fff"


def test_colour_matches_the_scale_by_zip() -> None:
    rng = random.Random(7)
    fractions = [-0.5, 0.0, 1 / 9, 0.5, 1 - 1e-12, 1.0, 2.0, *(i / 90 for i in range(91))]
    fractions += [rng.uniform(-0.1, 1.1) for _ in range(2000)]
    for fraction in fractions:
        assert _colour(fraction) == _colour_by_zip(fraction)


def _map_as_drawn(wells: list[dict], plate: PlateFormat, target: str, caption: str) -> str:
    mine = {well_index(str(r["well"]), plate): r for r in wells}
    samples = {i: str(r["sample"]) for i, r in mine.items()}
    cq = [float(r["cq"]) for r in wells if r.get("cq_status") == "ok" and _present(r.get("cq"))]
    low, high = (min(cq), max(cq)) if cq else (0.0, 1.0)
    span = high - low or 1.0
    head = "".join(f"<th>{c}</th>" for c in range(1, plate.cols + 1))
    names = plate.wells()
    cells = [f'<td class="w empty" data-well="{well}"></td>' for well in names]
    for index, record in mine.items():
        if not 0 <= index < len(cells):
            continue
        marks = _marks(record)
        classes = " ".join(["w", *(m[0] for m in marks), _edges(samples, index, plate)])
        style = ""
        text = " ".join(m[1] for m in marks if m[1])
        value: Any = record.get("cq")
        if _present(value):
            bg, fg = _colour_by_zip((float(value) - low) / span)
            style = f' style="background:{bg};color:{fg}"'
            text = text or f"{float(value):.1f}"
        cells[index] = (
            f'<td class="{classes.strip()}" data-well="{names[index]}" '
            f'data-sample="{html.escape(str(record["sample"]))}"{style} '
            f'title="{html.escape(_title(record))}">{html.escape(text)}</td>'
        )
    cols = plate.cols
    rows = [
        f"<tr><th>{letter}</th>{''.join(cells[r * cols : (r + 1) * cols])}</tr>"
        for r, letter in enumerate(plate.row_letters)
    ]
    lo_bg, lo_fg = _colour_by_zip(0.0)
    hi_bg, hi_fg = _colour_by_zip(1.0)
    legend = (
        f'<p class="legend">Cq <span style="background:{lo_bg};color:{lo_fg}">{low:.1f}</span>'
        f' to <span style="background:{hi_bg};color:{hi_fg}">{high:.1f}</span>; '
        "ND non-detect, × excluded, O replicate outlier, NTC control that amplified; "
        "thick edges outline each sample's wells.</p>"
    )
    return (
        f'<figure class="platemap" data-target="{html.escape(target)}" data-wells="{plate.size}">'
        f"<figcaption>{html.escape(caption)}</figcaption>"
        f'<div class="scroll"><table class="plate"><tr><th></th>{head}</tr>{"".join(rows)}'
        f"</table></div>{legend}</figure>"
    )


def _maps_as_drawn(results: Any) -> list[str]:
    wells = results.wells[results.wells["well"].notna() & results.wells["well"].astype(str).ne("")]
    plates = wells["plate"].astype(str) if "plate" in wells else pd.Series("", index=wells.index)
    sizes = {Path(run.path).stem: run.plate_size for run in results.runs}
    formats = {}
    for name, part in wells["well"].astype(str).groupby(plates, sort=False):
        formats[str(name)] = plate_for_wells(list(part), sizes.get(str(name)))
    rows: dict[str, dict[object, list[dict]]] = {name: {} for name in formats}
    for name, row in zip(plates.tolist(), records(wells, _COLUMNS), strict=True):
        rows[name].setdefault(row["target"], []).append(row)
    out = []
    for plate_name, plate in formats.items():
        for target, part in rows[plate_name].items():
            where = f" on {plate_name}" if len(formats) > 1 else ""
            caption = f"{target}{where}: Cq per well ({plate.describe()})"
            out.append(_map_as_drawn(part, plate, str(target), caption))
    return out


def _random_wells(rng: random.Random) -> Any:
    """A wells table of one to three plates: names canonical or not (a01), missing or empty
    now and then, texts that need escaping, non-detects, NTCs, outliers, exclusions."""
    plates = [f"p{k}" for k in range(rng.randint(1, 3))]
    rows = []
    for plate in plates:
        size = rng.choice([48, 96, 384])
        names = PLATES[size].wells()
        blocks = rng.random() < 0.5  # every well, samples in blocks of 3 × 3: a well inside
        samples = ["D1 NV", "D2 <HT>", "it's & more", "NTC", 'S"3"']
        targets = ["BMP2", "TBP", "A&B", "<x>"]  # with blocks: six columns each
        count = len(names) if blocks else rng.randint(1, min(len(names), 120))
        for well in rng.sample(names, count):
            row, col = divmod(names.index(well), PLATES[size].cols)
            status = rng.choice(["ok", "ok", "ok", "undetermined"])
            excluded = rng.random() < 0.2
            rows.append({
                "well": rng.choice([well, well, well, well.lower(), f"{well[0]}0{well[1:]}",
                                    None, ""]) if rng.random() < 0.1 else well,
                "plate": plate,
                "sample": samples[(row // 3 + col // 3) % 5] if blocks else rng.choice(samples),
                "sample_type": rng.choice(["unkn", "unkn", "ntc", "std"]),
                "target": targets[col // 6 % 4] if blocks else rng.choice(targets),
                "cq": rng.uniform(15, 38) if status == "ok" else float("nan"),
                "cq_status": status,
                "outlier": rng.random() < 0.1,
                "excluded": excluded,
                "exclude_code": rng.choice(["outlier", "ntc", "high_sd", ""]) if excluded else "",
                "exclude_reason": rng.choice(["replicate outlier", "a < b", ""]) if excluded
                else None,
            })  # fmt: skip
    wells = pd.DataFrame(rows)
    if rng.random() < 0.5:
        wells = wells.astype({"well": "string", "sample": "string", "target": "string"})
    if len(plates) == 1 and rng.random() < 0.5:
        wells = wells.drop(columns="plate")
    runs = [SimpleNamespace(path=f"/x/{p}.txt", plate_size=rng.choice([None, 96, 384]))
            for p in plates]  # fmt: skip
    return SimpleNamespace(wells=wells, runs=runs)


@pytest.mark.parametrize("seed", range(40))
def test_plate_maps_are_drawn_as_before(seed: int) -> None:
    results = _random_wells(random.Random(seed))
    assert plate_maps(results) == _maps_as_drawn(results)
