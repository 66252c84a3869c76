"""Figures fit for a paper: tick labels of 40-character condition names do not overprint (text
extents measured on the Agg renderer), log2 ticks read as fold changes, donors are joined when
the comparisons are paired, and SVG and PDF are written on request."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from qpcr.config import from_mapping
from qpcr.pipeline import analyze
from qpcr.report.canvas import save_figure
from qpcr.report.figures import OKABE_ITO, fold_change_figure, ratio_figure, write_figures
from qpcr.results import Results

NAMES = [
    "untreated control cells, day 0 (vehicle)",
    "interleukin-6 receptor blockade 10 µg/mL",
    "hypoxia (1 % O2, 24 h) plus vehicle only",
    "hypoxia 1 % O2 for 24 h with tocilizumab",
]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    assert all(len(n) == 40 for n in NAMES)
    rng = np.random.default_rng(7)
    rows = ["sample,target,cq,condition,donor"]
    for c, name in enumerate(NAMES):
        for d in range(3):
            sample = f"s{c}{d}"
            rows.append(f'{sample},GAPDH,{18 + rng.normal(0, 0.1):.3f},"{name}",D{d}')
            for t, shift in (("MYC", 1.0), ("HIF1A", -0.5)):
                cq = 25 - shift * c + 0.3 * d + rng.normal(0, 0.2)
                rows.append(f'{sample},{t},{cq:.3f},"{name}",D{d}')
    path = tmp_path_factory.mktemp("fig") / "run.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    config = from_mapping({"reference_genes": ["GAPDH"], "replicate": "donor",
                           "control": {"condition": NAMES[0]},
                           "ratios": {"MYC/HIF1A": ["MYC", "HIF1A"]}})  # fmt: skip
    return analyze([path], config=config)


def _no_overlap(fig) -> int:
    """Checks every axes' x tick labels pairwise; returns how many labels were measured."""
    renderer = fig.canvas.get_renderer()
    fig.canvas.draw()
    frame = fig.bbox
    measured = 0
    for ax in fig.axes:
        boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
        for a, b in itertools.pairwise(boxes):
            assert a.x1 <= b.x0, (a, b)  # side by side, not over each other
        for box in boxes:
            assert frame.x0 <= box.x0
            assert box.x1 <= frame.x1
            assert frame.y0 <= box.y0
        measured += len(boxes)
    return measured


def test_long_condition_names_do_not_overprint(results: Results) -> None:
    assert set(results.fold_changes["test"]) == {"paired t"}
    fig = fold_change_figure(results)
    assert _no_overlap(fig) == 2 * 4
    ratio = ratio_figure(results)
    assert _no_overlap(ratio) == 4
    # Each 40-character name was wrapped onto several lines rather than cut.
    label = fig.axes[0].get_xticklabels()[1].get_text()
    assert label.count("\n") >= 1
    assert "".join(label.split()) == "".join(NAMES[1].split())  # every character kept


def test_donors_joined_in_okabe_ito_colours(results: Results) -> None:
    fig = fold_change_figure(results)
    ax = fig.axes[0]
    # the joins are the lines without markers (the four estimates are one line of diamonds)
    lines = [line for line in ax.get_lines()
             if len(line.get_xdata()) == 4 and line.get_marker() == "None"]  # fmt: skip
    assert len(lines) == 3  # one line per donor across the four groups
    assert {line.get_color() for line in lines} == set(OKABE_ITO[:3])
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "donor"
    assert [t.get_text() for t in legend.get_texts()] == ["D0", "D1", "D2"]


def test_ticks_read_as_fold_changes(results: Results) -> None:
    fig = fold_change_figure(results)
    for ax in fig.axes:
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert "1" in labels
        assert all("." not in lab or lab in ("0.5", "0.25", "0.125") for lab in labels)
        assert not any("e" in lab for lab in labels)


def test_formats_on_request(results: Results, tmp_path: Path) -> None:
    svgs: dict[str, str] = {}
    paths = write_figures(results, tmp_path, ("png", "svg", "pdf"), svgs)
    assert [p.name for p in paths] == [f"{n}.{e}" for n in ("fold_changes", "ratios")
                                       for e in ("png", "svg", "pdf")]  # fmt: skip
    assert (tmp_path / "fold_changes.pdf").read_bytes().startswith(b"%PDF")
    assert "<svg" in (tmp_path / "fold_changes.svg").read_text(encoding="utf-8")
    from matplotlib.image import imread

    png = imread(tmp_path / "fold_changes.png")
    fig = fold_change_figure(results)
    width_in = fig.get_figwidth()
    assert png.shape[1] == pytest.approx(300 * width_in, abs=2)  # 300 dpi
    assert set(svgs) == {"fold_changes", "ratios"}


def test_png_is_the_savefig_rendering_without_alpha(results: Results, tmp_path: Path) -> None:
    import io

    from PIL import Image

    write_figures(results, tmp_path, ("png",))
    written = Image.open(tmp_path / "ratios.png")
    assert written.mode == "RGB"  # opaque: no alpha channel stored
    assert written.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    buffer = io.BytesIO()
    ratio_figure(results).savefig(buffer, format="png", dpi=300)  # matplotlib's own PNG
    reference = np.asarray(Image.open(buffer))
    assert reference.shape[2] == 4
    assert (reference[..., 3] == 255).all()
    np.testing.assert_array_equal(np.asarray(written), reference[..., :3])


def test_empty_grid_cells_get_no_axes() -> None:
    """Four standard curves on a grid of three columns: four axes, all shown (the two empty
    cells of the second row get none), the fourth under the first; each title sits at the top
    of its axes, its baseline 6 points above it (matplotlib's title pad) at 100 dpi."""
    import pandas as pd

    from qpcr.report.figures import standard_curve_figure

    targets = ["MYC", "HIF1A", "VEGFA", "BMP2"]
    wells = pd.DataFrame({"plate": "p1", "target": np.repeat(targets, 4),
                          "exclude_code": "standard", "quantity": [1e2, 1e3, 1e4, 1e5] * 4,
                          "cq": [30.1, 26.8, 23.4, 20.1] * 4})  # fmt: skip
    curves = pd.DataFrame({"plate": "p1", "target": targets, "slope": -3.33,
                           "intercept": 36.77, "efficiency": 1.997, "r_squared": 0.9999,
                           "note": ""})  # fmt: skip
    fig = standard_curve_figure(wells, curves)
    assert [ax.get_title().split(" ")[0] for ax in fig.axes] == targets
    assert all(ax.get_visible() for ax in fig.axes)
    assert [ax.get_subplotspec().rowspan.start for ax in fig.axes] == [0, 0, 0, 1]
    first, fourth = (ax.get_position() for ax in (fig.axes[0], fig.axes[3]))
    assert fourth.x0 == pytest.approx(first.x0)
    assert fourth.y1 < first.y0
    fig.canvas.draw()
    for ax in fig.axes:
        assert ax.title.get_position()[1] == 1.0
        baseline = ax.title.get_transform().transform(ax.title.get_position())[1]
        assert baseline - ax.bbox.y1 == pytest.approx(6 * 100 / 72)


def test_each_file_drawn_once(results: Results, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Every figure in PNG, SVG and PDF with its SVG for the HTML report: three draws (the SVG
    file and the report share one), none to lay a figure out again; the curve figures too."""
    import pandas as pd
    from matplotlib.figure import Figure

    from qpcr.calling import call_cq
    from qpcr.calling.figures import write_curve_figures

    draws: list[int] = []
    draw = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda fig, renderer: (draws.append(id(fig)),
                                                               draw(fig, renderer))[1])  # fmt: skip
    write_figures(results, tmp_path, ("png", "svg", "pdf"), {})
    assert len(set(draws)) == 2  # fold_changes and ratios
    assert len(draws) == 2 * 3
    draws.clear()
    cycles = np.arange(1, 41.0)
    signal = 1e-6 * 1.9**cycles
    fluorescence = 100 + signal / (1 + (signal / 5) ** 4) ** 0.25
    curves = pd.DataFrame({"plate": "p1", "well": "A1", "sample": "s", "target": "MYC",
                           "reporter": "", "cycle": cycles, "kind": "amplification",
                           "fluorescence": fluorescence})  # fmt: skip
    write_curve_figures(call_cq(curves), tmp_path, ("png", "svg", "pdf"))
    assert len(draws) == 3


def test_svg_text_is_text(results: Results, tmp_path: Path) -> None:
    """The SVG (file and report.html's) is well-formed XML whose labels are text elements,
    found by a search in a browser and editable, rather than outlined glyphs; the DejaVu Sans of
    the PNG first, any sans-serif if it is missing."""
    import xml.etree.ElementTree as ET

    svgs: dict[str, str] = {}
    write_figures(results, tmp_path, ("svg",), svgs)
    assert svgs["fold_changes"] == (tmp_path / "fold_changes.svg").read_text(encoding="utf-8")
    root = ET.fromstring(svgs["fold_changes"].encode("utf-8"))
    texts = root.findall(".//{http://www.w3.org/2000/svg}text")
    words = [t.text for t in texts]
    assert {"MYC", "HIF1A", "fold change vs control", "16", "donor", "D0"} <= set(words)
    assert {"cells, day 0", "6 receptor"} <= set(words)  # an element per line of a label
    assert all("font-family: 'DejaVu Sans'" in t.get("style", "") for t in texts)
    assert all(t.get("style", "").split(";")[1].endswith("sans-serif") for t in texts)
    assert "DejaVuSans-" not in svgs["fold_changes"]  # no glyph outlines


@pytest.mark.parametrize("alpha", [254, 1, 0])
def test_png_keeps_alpha_unless_every_pixel_is_opaque(alpha: int) -> None:
    """One pixel short of opaque keeps the alpha channel; an all-opaque image (also given as a
    view that is not contiguous) is stored as RGB with the same colours."""
    import io

    from PIL import Image

    from qpcr.report.png import encode_png

    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (5, 7, 4), dtype=np.uint8)
    pixels[..., 3] = 255
    wide = np.zeros((5, 14, 4), np.uint8)
    wide[:, ::2] = pixels
    rgb = Image.open(io.BytesIO(encode_png(wide[:, ::2], 300)))
    assert rgb.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(rgb), pixels[..., :3])
    pixels[4, 6, 3] = alpha
    rgba = Image.open(io.BytesIO(encode_png(pixels, 300)))
    assert rgba.mode == "RGBA"
    np.testing.assert_array_equal(np.asarray(rgba), pixels)


def test_unpaired_points_in_one_scatter() -> None:
    """Welch tests (no replicate column: each of the 12 samples its own unit): one grey scatter
    per panel holds every sample's point, 3 per group, none joined; the paired figures keep a
    scatter per donor for the legend (test_donors_joined_in_okabe_ito_colours)."""
    from matplotlib.collections import PathCollection

    from qpcr.config import AnalysisConfig

    config = AnalysisConfig(reference_genes=("REF_A", "REF_B"),
                            control={"oxygen": "normoxia", "treatment": "vehicle"})  # fmt: skip
    found = analyze([Path(__file__).parent / "data" / "methods" / "dataset_2_0.csv"],
                    config=config)  # fmt: skip
    assert set(found.fold_changes["test"]) == {"welch"}
    fig = fold_change_figure(found)
    for ax in fig.axes:
        scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
        assert len(scatters) == 1
        xs = scatters[0].get_offsets()[:, 0]
        assert len(xs) == 12
        assert sorted(np.bincount(np.round(xs).astype(int))) == [3, 3, 3, 3]
        assert tuple(scatters[0].get_facecolor()[0][:3]) == pytest.approx((0.45,) * 3)
        plain = [line for line in ax.get_lines() if line.get_marker() == "None"]
        assert [list(line.get_ydata()) for line in plain] == [[0, 0]]  # the line at 1, no join


def test_pngs_compressed_in_a_worker_thread_as_drawn_alone(
    results: Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each PNG is compressed and written off the drawing thread (zlib releases the GIL, so
    the next figure draws meanwhile), byte for byte the PNG saved on its own."""
    import io
    import threading

    from qpcr.report import figures

    threads: list[int] = []
    real = figures._write_encoded
    monkeypatch.setattr(figures, "_write_encoded", lambda path, encode: (
        threads.append(threading.get_ident()), real(path, encode))[1])  # fmt: skip
    paths = write_figures(results, tmp_path, ("png", "svg"))
    assert [p.name for p in paths] == [
        "fold_changes.png", "fold_changes.svg", "ratios.png", "ratios.svg"]  # fmt: skip
    assert len(threads) == 2
    assert threading.get_ident() not in threads
    for name, build in (("fold_changes", fold_change_figure), ("ratios", ratio_figure)):
        alone = io.BytesIO()
        save_figure(build(results), "png", alone)
        assert (tmp_path / f"{name}.png").read_bytes() == alone.getvalue()


def test_a_failed_draw_waits_for_the_png_being_written(
    results: Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from qpcr.report import figures

    real_draw, real_write = figures.draw_png, figures._write_encoded
    drawn: list[int] = []

    def draw(fig):
        drawn.append(1)
        if len(drawn) == 2:
            raise RuntimeError("the second figure")
        return real_draw(fig)

    def slow(path: Path, encode) -> None:
        time.sleep(0.3)
        real_write(path, encode)

    monkeypatch.setattr(figures, "draw_png", draw)
    monkeypatch.setattr(figures, "_write_encoded", slow)
    with pytest.raises(RuntimeError, match="the second figure"):
        write_figures(results, tmp_path, ("png",))
    # the first figure's PNG was complete before the error left write_figures
    assert [p.name for p in tmp_path.iterdir()] == ["fold_changes.png"]
    assert (tmp_path / "fold_changes.png").read_bytes()[-8:-4] == b"IEND"


def test_a_failed_png_write_names_the_file(
    results: Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qpcr.errors import InputError
    from qpcr.report import figures

    def full(path: Path, encode) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(figures, "_write_encoded", full)
    with pytest.raises(InputError, match=r"fold_changes.png: cannot write here \(no space"):
        write_figures(results, tmp_path, ("png", "svg"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fold_changes.svg", "ratios.svg"]


@pytest.mark.parametrize("opaque", [True, False])
def test_png_rows_are_the_pixels_after_a_zero_filter_byte(opaque: bool) -> None:
    """The encoded file is, byte for byte, the one built the plain way: each row a 0 byte (no
    filter) then its pixels' RGB (or RGBA) bytes, compressed at ``PNG_LEVEL``."""
    import struct
    import zlib

    from qpcr.report.png import PNG_LEVEL, encode_png

    rng = np.random.default_rng(11)
    pixels = rng.integers(0, 256, (37, 53, 4), dtype=np.uint8)
    pixels[..., 3] = 255 if opaque else rng.integers(0, 256, (37, 53))
    data = encode_png(pixels, 300)
    kept = pixels[..., :3] if opaque else pixels
    rows = b"".join(b"\x00" + row.tobytes() for row in kept)
    idat = zlib.compress(rows, PNG_LEVEL)
    start = data.index(b"IDAT")
    assert struct.unpack(">I", data[start - 4 : start])[0] == len(idat)
    assert data[start + 4 : start + 4 + len(idat)] == idat


@pytest.mark.parametrize("seed", range(4))
def test_panels_read_once_equal_a_selection_per_panel(seed: int) -> None:
    """Each panel's replicates, comparisons and pairing read from the whole tables at once
    equal what a row selection per target gave: group levels as text, values, names, group
    order, the control mean to the bit (``Series.mean``), records and ``paired``."""
    import pandas as pd

    from qpcr.grouped import records
    from qpcr.groups import group_order
    from qpcr.report.figures import _by_item, _mean, _paired, _units_by_item
    from qpcr.stats import TEST_LABELS

    rng = np.random.default_rng(seed)
    n = 120
    units = pd.DataFrame({
        "target": rng.choice(["MYC", "HIF1A", "VEGFA", "B2M"], n),
        "oxygen": pd.Series(rng.choice(["normoxia", "hypoxia"], n), dtype="str"),
        "dose": rng.choice([0, 10, 100], n),
        "unit": rng.choice(["D1", "D2", "D3"], n),
        "log2_rq": np.where(rng.random(n) < 0.1, np.nan, rng.normal(0, 3, n)),
    })  # fmt: skip
    units["dose"] = units["dose"].astype("category")
    factors, control = ["oxygen", "dose"], {"oxygen": "normoxia", "dose": "0"}
    panels = _units_by_item(units, "log2_rq", "target", factors, control)
    assert list(panels) == list(dict.fromkeys(units["target"]))
    for target, got in panels.items():
        mine = units[units["target"] == target]
        levels = list(zip(*(mine[f].astype(str) for f in factors), strict=True))
        assert got.levels == levels
        assert got.groups == group_order(mine, factors, control)
        assert got.names.tolist() == mine["unit"].astype(str).tolist()
        np.testing.assert_array_equal(got.values, mine["log2_rq"].to_numpy())
        chosen = [level == ("normoxia", "0") for level in levels]
        want = mine["log2_rq"][chosen].mean()
        mean = _mean(got.values[np.array(chosen, dtype=bool)])
        assert mean == want or (np.isnan(mean) and np.isnan(want))
    for size in range(40):  # pairwise summation: sums of every length, with NaN among them
        values = rng.normal(0, 1e3, size) * rng.choice([1, 1e-9, 1e9], size)
        values[rng.random(size) < 0.3] = np.nan
        want = pd.Series(values).mean()
        assert _mean(values) == want or (np.isnan(_mean(values)) and np.isnan(want))
    comparisons = pd.DataFrame({
        "target": rng.choice(["MYC", "HIF1A"], 30),
        "test": rng.choice([*TEST_LABELS, "rcbd", None], 30),
        "fold_change": rng.random(30),
    })  # fmt: skip
    for target, got in _by_item(comparisons, "target", ["test", "fold_change"]).items():
        mine = comparisons[comparisons["target"] == target]
        assert got == records(mine, ["target", "test", "fold_change"])
        assert _paired(got) == bool(mine["test"].map(TEST_LABELS).eq(True).any())
        assert _paired(got[:1]) == bool(mine["test"][:1].map(TEST_LABELS).eq(True).any())
