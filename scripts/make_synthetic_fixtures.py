"""Write the synthetic stand-ins for instrument exports the project may not redistribute.

Some real exports the reader tests use state no licence (the Bio-Rad CFX files of the
RobertsLab and JPGLABHOME repositories, the QuantStudio 6 ``.xls`` of xinghao-1210): they are
not in the repository; ``tests/_vendor_io.export_file`` reads them from the shared folder beside
the checkout when it is there. The files written here have the same structure and quirks (header
block, columns, cell types, encodings, container oddities) with made-up samples, targets and
Cq values, so every reader stays covered without the shared folder.

Deterministic: fixed seed, fixed zip timestamps; two runs write identical bytes.
Run from anywhere: ``python scripts/make_synthetic_fixtures.py``. The legacy ``.xls`` needs
``xlwt`` (a development tool for this script only, not a project dependency:
``pip install xlwt``).

Files (all under ``tests/data/exports/``):

* ``biorad/biorad_cfx_connect_synthetic-Quantification-Cq-Results.csv``: CFX Manager layout
  (leading empty column, 16 columns, wells ``A01``, ``Unkn-01``/``NTC-01``, ``NaN``, CRLF),
  two targets, the second with ``/``, ``(``, ``:`` in its name and triplicate groups of which
  two are all-``NaN`` (CFX writes ``Cq Mean`` and ``Cq Std. Dev`` 0 there).
* ``biorad/biorad_cfx_decimal_comma_synthetic.csv``: the same with ``;``, decimal commas, the
  first ``NaN`` Cq written ``Non Numérique``, Windows-1252 (French-locale CFX Manager).
* ``biorad/biorad_cfx_utf8bom_synthetic.csv``: the same bytes after a UTF-8 BOM.
* ``biorad/biorad_cfx_connect_synthetic-Quantification-Amplification_Results.csv``: the wide
  ``,Cycle,A1,A2,...`` amplification export of that run (the reader refuses it).
* ``biorad/biorad_maestro_synthetic-Quantification-Cq_Results.csv`` and
  ``biorad/biorad_maestro_synthetic - Run Information.csv``: CFX Maestro 5 layout (``Unkn-1``
  numbering, three targets with a dilution series as sample names, one NTC group per target)
  and its Run Information sibling.
* ``biorad/biorad_maestro_synthetic_backslash_zip-Quantification-Cq-Results.xlsx``: the same
  run as a Maestro workbook (sheets ``0`` and ``Run Information``; table from column B; empty
  cells for ``NaN``) in a non-standard zip: back-slash member names, lower-case
  ``[content_types].xml``.
* ``thermo/thermo_classic_qs6_96_sybr_synthetic.xls``: QuantStudio 6 Flex legacy BIFF8 workbook
  (sheets ``Sample Setup``, ``Amplification Data``, ``Results``; 39-row key/value header, blank
  row, 36-column results table with ``Omit`` booleans, float32 Ct, ``Undetermined``, ``Tm1..3``,
  ``MTP EXPFAIL HIGHSD NOAMP THOLDFAIL`` flags, then a blank row and four footer rows).

Cq values the tests assert (``ANCHORS``, written exactly so; every other Cq is drawn from a
seeded generator): CFX Connect A01 (``ACTB``, sample ``101``) 19.8421730154687, NTC well B05
38.9127456632105 and B06 NaN (the first NaN, ``Non Numérique`` in the French file); Maestro
A01 (``ACT1``, ``1000pg``) 24.3317094420154, B06 (``HSP90``, ``100pg``) 32.4418309627513; QS6
well A1 (``day 0``, ``GAPDH``) float32(18.153) = 18.152999877929688, no-RT well G1
``Undetermined`` with Tm1 float32(71.48) = 71.4800033569336.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXPORTS = ROOT / "tests" / "data" / "exports"
SEED = 20260115
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

#: Cq the tests assert, by (file, well).
ANCHORS = {
    ("connect", "A01"): 19.8421730154687,
    ("maestro", "A01"): 24.3317094420154,
    ("maestro", "B06"): 32.4418309627513,
    ("qs6", "A1"): 18.153,
}

CFX_HEADER = [
    "", "Well", "Fluor", "Target", "Content", "Sample", "Biological Set Name", "Cq", "Cq Mean",
    "Cq Std. Dev", "Starting Quantity (SQ)", "Log Starting Quantity", "SQ Mean", "SQ Std. Dev",
    "Set Point", "Well Note",
]  # fmt: skip


# --------------------------------------------------------------------------------------------
# Bio-Rad CFX


def _wells96() -> Iterator[str]:
    for row in "ABCDEFGH":
        for col in range(1, 13):
            yield f"{row}{col:02d}"


def _num(x: float) -> str:
    """A number as CFX writes it: up to 15 significant digits, ``NaN``."""
    return "NaN" if math.isnan(x) else format(x, ".15g")


def _group_rows(
    groups: Sequence[tuple[str, str, str, list[float]]], anchors: str
) -> list[list[str]]:
    """CFX Cq rows for (target, content, sample, Cq per replicate) groups in plate order.

    ``Cq Mean``/``Cq Std. Dev`` (n - 1) are over the detected replicates; an all-NaN group has
    0 in both and in the SQ statistics, as CFX writes it.
    """
    rows, wells = [], _wells96()
    for target, content, sample, values in groups:
        placed = []
        for cq in values:
            well = next(wells)
            placed.append((well, ANCHORS.get((anchors, well), cq)))
        found = [cq for _, cq in placed if not math.isnan(cq)]
        sd = float(np.std(found, ddof=1)) if len(found) > 1 else 0.0
        stats = [_num(float(np.mean(found))), _num(sd)] if found else ["0", "0"]
        sq = ["0", "0"] if not found else ["NaN", "NaN" if len(found) > 1 else "0"]
        for well, cq in placed:
            rows.append(
                [
                    *("", well, "SYBR", target, content, sample, "", _num(cq), *stats),
                    *("NaN", "NaN", *sq, "60", ""),
                ]
            )
    return rows


def _replicates(rng: np.random.Generator, centre: float, n: int, sd: float) -> list[float]:
    return [float(x) for x in centre + rng.normal(0.0, sd, n)]


def connect_groups(rng: np.random.Generator) -> list[tuple[str, str, str, list[float]]]:
    """ACTB in duplicate and a second target in triplicate over samples 101-108, NTCs."""
    gene = "Gene_X_F/R (IDs: 1201/2)"
    groups = []
    for k in range(8):
        centre = 20.0 + rng.uniform(-1.5, 1.5)
        groups.append(
            ("ACTB", f"Unkn-{k + 1:02d}", str(101 + k), _replicates(rng, centre, 2, 0.08))
        )
    groups.append(("ACTB", "NTC-01", "", [38.9127456632105, math.nan]))  # B05, B06
    for k in range(8):
        cqs = _replicates(rng, 30.0 + rng.uniform(-2.0, 2.0), 3, 0.25)
        if k in (2, 5):  # all-NaN groups
            cqs = [math.nan] * 3
        elif k == 4:  # one replicate missing
            cqs[1] = math.nan
        groups.append((gene, f"Unkn-{k + 9:02d}", str(101 + k), cqs))
    groups.append((gene, "NTC-02", "", [math.nan] * 3))
    return groups


def maestro_groups(rng: np.random.Generator) -> list[tuple[str, str, str, list[float]]]:
    """Three targets, 1000/100/10 pg in triplicate (``Unkn-1``...), one NTC group each."""
    groups, n = [], 0
    for t, (target, base) in enumerate((("ACT1", 24.3), ("HSP90", 29.6), ("Gene_Y", 33.1))):
        for d, sample in enumerate(("1000pg", "100pg", "10pg")):
            n += 1
            cqs = _replicates(rng, base + 3.32 * d, 3, 0.3)
            if target == "Gene_Y" and sample == "100pg":
                cqs[1] = math.nan  # one replicate missing
            if target == "Gene_Y" and sample == "10pg":
                cqs = [math.nan] * 3  # below the detection limit
            groups.append((target, f"Unkn-{n}", sample, cqs))
        groups.append((target, f"NTC-{t + 1}", "", [math.nan] * 3))
    return groups


def _csv_bytes(rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def french(rows: list[list[str]]) -> list[list[str]]:
    """Decimal commas in every number; the first NaN Cq becomes ``Non Numérique``."""
    out = [[c.replace(".", ",") if _is_number(c) else c for c in r] for r in rows]
    first = next(r for r in out[1:] if r[7] == "NaN")
    first[7] = "Non Numérique"
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text != "NaN"


def amplification(rows: list[list[str]], rng: np.random.Generator) -> list[list[str]]:
    """Wide baseline-subtracted RFU per cycle, wells not zero-padded (``A1``)."""
    wells = [r[1][0] + str(int(r[1][1:])) for r in rows[1:]]
    cqs = [float(r[7]) for r in rows[1:]]
    out = [["", "Cycle", *wells]]
    for cycle in range(1, 41):
        values = [
            (0.0 if math.isnan(cq) else 2000.0 / (1.0 + math.exp(-(cycle - cq - 2.0) / 1.2)))
            + float(rng.normal(0.0, 15.0))
            for cq in cqs
        ]
        out.append(["", str(cycle), *(_num(v) for v in values)])
    return out


RUN_INFORMATION = [
    ["File Name", "synthetic_maestro_run.pcrd"],
    ["Created By User", "qpcr"],
    ["Notes", ""],
    ["ID", ""],
    ["Run Started", "01/15/2026 09:30:00 UTC"],
    ["Run Ended", "01/15/2026 10:45:30 UTC"],
    ["Sample Vol", "20"],
    ["Lid Temp", "105"],
    ["Protocol File Name", "synthetic_sybr_3step.prcl"],
    ["Plate Setup File Name", "synthetic-plate.pltd"],
    ["Base Serial Number", "BR000001"],
    ["Optical Head Serial Number", "000BR00001"],
    ["CFX Maestro Version", "5.0.021.0616. "],
]


def _cell(text: str) -> float | str | None:
    """A CSV cell as the Maestro workbook stores it: numbers, empty for ``NaN`` and ``''``."""
    if text in ("", "NaN"):
        return None
    return float(text) if _is_number(text) else text


def maestro_xlsx(rows: list[list[str]]) -> bytes:
    """Sheets ``0`` (table from column B) and ``Run Information``, re-zipped as Maestro does:
    back-slash member names, lower-case ``[content_types].xml``, no docProps."""
    import openpyxl

    book = openpyxl.Workbook()
    table = book.active
    table.title = "0"
    for r in rows:
        table.append([_cell(c) if i > 0 else None for i, c in enumerate(r)])
    info = book.create_sheet("Run Information")
    for key, value in RUN_INFORMATION:
        info.append([key, value or None])
    buffer = io.BytesIO()
    book.save(buffer)
    return _maestro_zip(zipfile.ZipFile(buffer))


def _maestro_zip(source: zipfile.ZipFile) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in sorted(source.namelist()):
            if name.startswith("docProps/"):
                continue
            data = source.read(name)
            if name in ("[Content_Types].xml", "_rels/.rels"):
                data = _drop_docprops(data)
            new = "[content_types].xml" if name == "[Content_Types].xml" else name
            member = zipfile.ZipInfo(new.replace("/", "\\"), ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(member, data)
    return out.getvalue()


def _drop_docprops(xml: bytes) -> bytes:
    """The XML without the elements that point at docProps parts."""
    parts = xml.split(b"<")
    kept = [parts[0]] + [p for p in parts[1:] if b"docProps" not in p]
    return b"<".join(kept)


def write_biorad(rng: np.random.Generator) -> None:
    folder = EXPORTS / "biorad"
    connect = [CFX_HEADER, *_group_rows(connect_groups(rng), "connect")]
    data = _csv_bytes(connect)
    (folder / "biorad_cfx_connect_synthetic-Quantification-Cq-Results.csv").write_bytes(data)
    (folder / "biorad_cfx_utf8bom_synthetic.csv").write_bytes(b"\xef\xbb\xbf" + data)
    (folder / "biorad_cfx_decimal_comma_synthetic.csv").write_bytes(
        _csv_bytes(french(connect), ";", "cp1252")
    )
    (folder / "biorad_cfx_connect_synthetic-Quantification-Amplification_Results.csv").write_bytes(
        _csv_bytes(amplification(connect, rng))
    )
    maestro = [CFX_HEADER, *_group_rows(maestro_groups(rng), "maestro")]
    (folder / "biorad_maestro_synthetic-Quantification-Cq_Results.csv").write_bytes(
        _csv_bytes(maestro)
    )
    (folder / "biorad_maestro_synthetic - Run Information.csv").write_bytes(
        _csv_bytes(RUN_INFORMATION)
    )
    (folder / "biorad_maestro_synthetic_backslash_zip-Quantification-Cq-Results.xlsx").write_bytes(
        maestro_xlsx(maestro)
    )


# --------------------------------------------------------------------------------------------
# Thermo Fisher QuantStudio 6 Flex, legacy .xls

#: Calibrations named in the header; for some the software writes "is expired " (trailing space).
QS6_CALIBRATIONS = {
    "Background": " ", "Normalization FAM-ROX": "", "Normalization VIC-ROX": "",
    "Pure Dye FAM": "", "Pure Dye NED": "", "Pure Dye ROX": "", "Pure Dye SYBR": "",
    "Pure Dye TAMRA": "", "Pure Dye VIC": "", "ROI": " ", "Uniformity": " ",
}  # fmt: skip
QS6_KEYS = [
    ("Block Type", "Fast 96-Well Block (0.1mL)"),
    *(
        pair
        for name, space in QS6_CALIBRATIONS.items()
        for pair in (
            (f"Calibration {name} is expired{space}", "No"),
            (f"Calibration {name} performed on", "01-12-2025"),
        )
    ),
    ("Chemistry", "SYBR_GREEN"),
    ("Date Created", "2026-01-15 09:12:40 AM EST"),
    ("Experiment Barcode", ""),
    ("Experiment Comment", ""),
    (
        "Experiment File Name",
        "C:\\Applied Biosystems\\QuantStudio Real-Time PCR Software\\User Files\\experiments\\"
        "qpcr synthetic qs6.eds",
    ),
    ("Experiment Name", "qpcr synthetic qs6"),
    ("Experiment Run End Time", "2026-01-15 10:02:11 AM EST"),
    ("Experiment Type", "Comparative Cт (ΔΔCт) "),
    ("Instrument Name", "000000001"),
    ("Instrument Serial Number", "000000001"),
    ("Instrument Type", "QuantStudio(TM) 6 Flex System"),
    ("Passive Reference", "ROX"),
    ("Quantification Cycle Method", "Ct"),
    ("Signal Smoothing On", "true"),
    ("Stage/ Cycle where Analysis is performed", "Stage 2, Step 3"),
    ("User Name", ""),
]
QS6_FOOTER = [
    ("Analysis Type", "Singleplex"),
    ("Endogenous Control", "GAPDH"),
    ("RQ Min/Max Confidence Level", "95.0"),
    ("Reference Sample", "day 0"),
]
QS6_RESULTS = [
    "Well", "Well Position", "Omit", "Sample Name", "Target Name", "Task", "Reporter", "Quencher",
    "Quantity", "Quantity Mean", "Quantity SD", "RQ", "RQ Min", "RQ Max", "CT", "Ct Mean",
    "Ct SD", "Delta Ct", "Delta Ct Mean", "Delta Ct SD", "Delta Ct SE", "Delta Delta Ct",
    "Automatic Ct Threshold", "Ct Threshold", "Automatic Baseline", "Baseline Start",
    "Baseline End", "Comments", "Tm1", "Tm2", "Tm3", "MTP", "EXPFAIL", "HIGHSD", "NOAMP",
    "THOLDFAIL",
]  # fmt: skip
QS6_SETUP = [
    "Well", "Well Position", "Sample Name", "Sample Color", "Biogroup Name", "Biogroup Color",
    "Target Name", "Target Color", "Task", "Reporter", "Quencher", "Quantity", "Comments",
]  # fmt: skip
#: target, mean Ct on day 0, fold change day 3 / day 0 (log2), melt peak, threshold, colour
QS6_TARGETS = [
    ("GAPDH", 18.2, 0.0, 82.1, 0.052, "RGB(176,23,31)"),
    ("SOX2", 24.9, -1.6, 84.3, 0.047, "RGB(0,0,255)"),
    ("PAX6", 29.4, 2.3, 81.6, 0.041, "RGB(0,139,69)"),
]
#: two-sided 97.5 % quantile of Student's t with 4 degrees of freedom (3 + 3 replicates)
T_4 = 2.7764451051977987


def f32(x: float) -> float:
    """A value as the QuantStudio software stores it (single precision)."""
    return float(np.float32(x))


def qs6_wells(rng: np.random.Generator) -> list[dict[str, object]]:
    """Rows A-C day 0, D-F day 3 (triplicates), row G no-RT; column = target."""
    wells: list[dict[str, object]] = []
    for t, (target, base, log2fc, tm, threshold, _) in enumerate(QS6_TARGETS):
        for s, sample in enumerate(("day 0", "day 3", "no RT")):
            centre = base - log2fc * s + rng.normal(0.0, 0.3)
            for k in range(3 if s < 2 else 1):
                row = "ABCDEFG"[3 * s + k]
                ct = f32(ANCHORS.get(("qs6", f"{row}{t + 1}"), centre + rng.normal(0.0, 0.12)))
                wells.append(
                    {
                        "index": 12 * (3 * s + k) + t + 1,
                        "well": f"{row}{t + 1}",
                        "sample": sample,
                        "target": target,
                        "ct": "Undetermined" if s == 2 else ct,
                        "tm": f32(71.48) if s == 2 else f32(tm + rng.normal(0.0, 0.05)),
                        "threshold": threshold,
                    }
                )
    return sorted(wells, key=lambda w: int(w["index"]))  # type: ignore[call-overload]


def qs6_results(wells: list[dict[str, object]]) -> list[list[object]]:
    """The 36-column results rows with the group statistics QuantStudio writes: Ct mean and SD
    per sample and target; for the target genes ΔCt = mean - mean(GAPDH), its SD and SE,
    ΔΔCt against ``day 0`` and RQ = 2^-ΔΔCt with 95 % limits 2^-(ΔΔCt ± t·SE)."""
    groups: dict[tuple[object, object], list[float]] = {}
    for w in wells:
        if isinstance(w["ct"], float):
            groups.setdefault((w["sample"], w["target"]), []).append(w["ct"])
    mean = {k: float(np.mean(v)) for k, v in groups.items()}
    sd = {k: float(np.std(v, ddof=1)) for k, v in groups.items()}
    rows = []
    for w in wells:
        key = (w["sample"], w["target"])
        rq: list[object] = ["", "", ""]
        delta: list[object] = ["", "", "", ""]
        if key in mean and w["target"] != "GAPDH":
            ref = (w["sample"], "GAPDH")
            d = mean[key] - mean[ref]
            d_sd = math.hypot(sd[key], sd[ref])
            se = d_sd / math.sqrt(len(groups[key]))
            dd = d - (mean[("day 0", w["target"])] - mean[("day 0", "GAPDH")])
            rq = [f32(2.0 ** -(dd + x)) for x in (0.0, T_4 * se, -T_4 * se)]
            delta = [f32(d), f32(d_sd), f32(se), f32(dd)]
        ct_stats = [f32(mean[key]), f32(sd[key])] if key in mean else ["", ""]
        undetermined = w["ct"] == "Undetermined"
        high_sd = key in sd and sd[key] > 0.25
        flags = ["N", "N", "Y" if high_sd else "N", "Y" if undetermined else "N", "N"]
        rows.append(
            [
                *(float(w["index"]), w["well"], False, w["sample"], w["target"], "UNKNOWN"),
                *("SYBR", "None", "", "", "", *rq, w["ct"], *ct_stats, "", *delta),
                *(True, w["threshold"], True, 3.0, 15.0, "", w["tm"], "", "", *flags),
            ]
        )
    return rows


def qs6_setup(wells: list[dict[str, object]]) -> list[list[object]]:
    colour = {t[0]: t[5] for t in QS6_TARGETS}
    sample_colour = {"day 0": "RGB(176,23,31)", "day 3": "RGB(0,0,255)", "no RT": "RGB(0,0,0)"}
    return [
        [
            *(float(w["index"]), w["well"], w["sample"], sample_colour[str(w["sample"])], "", ""),
            *(w["target"], colour[str(w["target"])], "UNKNOWN", "SYBR", "None", "", ""),
        ]
        for w in wells
    ]


def qs6_amplification(
    wells: list[dict[str, object]], rng: np.random.Generator
) -> list[list[object]]:
    """Rn and ΔRn per well and cycle (40 cycles), single precision."""
    rows: list[list[object]] = []
    for w in wells:
        ct = w["ct"] if isinstance(w["ct"], float) else 60.0
        threshold = float(w["threshold"])  # type: ignore[arg-type]
        for cycle in range(1, 41):
            # logistic ΔRn that crosses the threshold at the Ct
            delta = 2.0 / (1.0 + (2.0 / threshold - 1.0) * math.exp(-(cycle - ct) * 0.7))
            delta += float(rng.normal(0.0, 0.002))
            rows.append(
                [float(w["index"]), float(cycle), w["target"], f32(0.9 + delta), f32(delta)]
            )
    return rows


def qs6_xls(rng: np.random.Generator) -> bytes:
    """The three sheets, each with the key/value header, a blank row and its table."""
    try:
        import xlwt  # a development tool for this script, not a project dependency
    except ImportError as exc:
        raise SystemExit("writing the legacy .xls needs xlwt: pip install xlwt") from exc

    wells = qs6_wells(rng)
    book = xlwt.Workbook(encoding="utf-8")
    tables = {
        "Sample Setup": (QS6_SETUP, qs6_setup(wells), []),
        "Amplification Data": (
            ["Well", "Cycle", "Target Name", "Rn", "Delta Rn"],
            qs6_amplification(wells, rng),
            [],
        ),
        "Results": (QS6_RESULTS, qs6_results(wells), [[], *map(list, QS6_FOOTER)]),
    }
    for name, (header, body, footer) in tables.items():
        sheet = book.add_sheet(name)
        rows = [*map(list, QS6_KEYS), [], header, *body, *footer]
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if value != "":
                    sheet.write(i, j, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main() -> None:
    rng = np.random.default_rng(SEED)
    write_biorad(rng)
    (EXPORTS / "thermo" / "thermo_classic_qs6_96_sybr_synthetic.xls").write_bytes(qs6_xls(rng))


if __name__ == "__main__":
    main()
