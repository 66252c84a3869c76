"""RDML 1.0-1.4 (Real-time PCR Data Markup Language): zipped ``.rdml``/``.lc96p`` or plain XML.

The document is ``rdml_data.xml`` inside the zip, else the zip's single (or first RDML) ``*.xml``
member; its root is ``<rdml>`` in namespace ``http://www.rdml.org`` (export-formats.md §7).

Mapping onto the wells table (one row per ``react`` × ``data``):

* ``well``: ``react@id`` through the run's ``pcrFormat`` (1-based row-major index on a
  ``rows`` × ``columns`` plate); v1.0 "free format" runs carry well names (``A1``) instead.
* ``sample`` = ``react/sample@id``; ``sample_type`` = that sample's ``type`` (RDML vocabulary);
  ``quantity`` = the sample's ``quantity/value`` for ``std`` samples (unit in ``info.extra``).
* ``target`` = ``data/tar@id``; ``reporter`` = the target's ``dyeId@id``.
* ``cq`` = ``data/cq``: absent, ``-1`` or ``NaN`` mean undetermined; a run without any
  ``<cq>`` (raw curves only, exported before Cq was called) gives status ``missing`` to all
  its reactions: Cq presence is decided per run, not per file. LightCycler 96 files write
  ``100``, or a value beyond the run's last cycle (highest ``adp/cyc``), for wells they call
  negative: read as undetermined. Any other Cq outside (0, 100] is refused, or ``invalid`` on
  an excluded reaction. Sentinels such as StepOne's ``40.0`` are kept as read (the QC step decides).
* each ``sample/annotation`` (``property``, ``value``) becomes a column named by the property
  (the design factors qpcr writes there, :mod:`qpcr.io.rdml_write`); ``irc`` = ``yes`` for
  samples marked ``interRunCalibrator`` (when any is).
* ``omitted`` = ``data/excl`` present, ``omit_reason`` = its text (``;``-joined reasons).
* several runs in the file → ``plate`` = run id (``experiment/run`` when run ids repeat);
  ``read(..., run=(ID, ...))`` reads only those runs (ignored when the file holds one run).
  ``info.extra["runs"]`` lists every run of the file, ``info.extra["run_instruments"]`` the
  instrument of each run read.
* LightCycler 96 zips: standards' concentrations and the exclusion flag, which LC96 keeps in
  its ``app_data.xml`` extension, fill ``quantity`` and ``omitted``.

``adp`` (``cyc``, ``fluor``) and ``mdp`` (``tmp``, ``fluor``) points become the long tables
``amplification`` and ``melt``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import ExportParseError, InputError
from ..plate import PLATES, PlateFormat, is_whole, normalise_well, plate_for_wells
from ..schema import SAMPLE_TYPES
from ._tabular import decode_bytes
from .numbers import MAX_CYCLES, read_cq, to_number
from .registry import Export, ExportFormat, FileSample, RunInfo, register
from .safety import parse_xml, read_zip_head, read_zip_member, zip_member_names

if TYPE_CHECKING:
    from xml.etree import ElementTree as ET

__all__ = ["NAMESPACE", "read", "sniff"]

NAME = "rdml"
NAMESPACE = "http://www.rdml.org"
_N = "{" + NAMESPACE + "}"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x07\x08")  # Bio-Rad CFX Manager starts with PK\x07\x08
_COLUMNS = ("plate", "well", "sample", "target", "sample_type", "cq", "cq_status", "reporter",
            "quantity", "omitted", "omit_reason")  # fmt: skip
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_FIRST_TAG = re.compile(r"<(?![?!/])(?:([A-Za-z_][\w.-]*):)?([A-Za-z_][\w.-]*)([^>]*)>")


def _root_is_rdml(text: str) -> bool:
    """True when the first element of ``text`` is ``rdml`` bound to the RDML namespace."""
    match = _FIRST_TAG.search(_COMMENT.sub("", text))
    if not match or match.group(2) != "rdml":
        return False
    prefix = f":{match.group(1)}" if match.group(1) else ""
    declared = rf"xmlns{prefix}\s*=\s*[\"']{re.escape(NAMESPACE)}[\"']"
    return re.search(declared, match.group(3)) is not None


def _head_is_rdml(head: bytes) -> bool:
    try:
        return _root_is_rdml(decode_bytes(head)[0])
    except InputError:
        return False


def _rdml_member(path: Path) -> str | None:
    """The zip member holding the RDML document: ``rdml_data.xml``, else the first ``*.xml``
    whose root is ``rdml``; None when there is none."""
    names = zip_member_names(path)
    if "rdml_data.xml" in names:  # the name the specification gives; checked when read
        return "rdml_data.xml"
    if "[Content_Types].xml" in names:  # an Office Open XML package (xlsx), never RDML
        return None
    xmls = [n for n in names if n.lower().endswith(".xml")]
    return next((n for n in xmls if _head_is_rdml(read_zip_head(path, n))), None)


def sniff(sample: FileSample) -> bool:
    """A zip with an RDML XML member, or a plain XML file, whose root is ``<rdml>``.

    Parameters
    ----------
    sample
        The file's head.

    Returns
    -------
    bool
        True for an RDML document (plain or zipped).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.rdml"
    >>> _ = path.write_text(f'<rdml xmlns="{NAMESPACE}" version="1.2"></rdml>')
    >>> sniff(FileSample(path))
    True
    >>> _ = path.write_text("<experiment/>")
    >>> sniff(FileSample(path))
    False
    >>> folder.cleanup()
    """
    if sample.head.startswith(_ZIP_MAGICS):
        try:
            return _rdml_member(sample.path) is not None
        except InputError:
            return False
    return sample.kind == "text" and _root_is_rdml(sample.text[:16384])


def read(path: Path, sample: FileSample, run: tuple[str, ...] = ()) -> Export:
    """Read an RDML file into the wells table plus ``amplification``/``melt`` curve tables.

    Parameters
    ----------
    path
        The RDML file (zipped ``.rdml``/``.lc96p``, or plain XML).
    sample
        The file's head.
    run
        The run ids to read (as ``info.extra["runs"]`` lists them); empty reads all.

    Returns
    -------
    Export
        The wells, the curve tables the file holds, and the run information.

    Raises
    ------
    ExportParseError
        A zip without an RDML member, or another root element.

    Examples
    --------
    A react's ``cq`` of −1 is RDML's "no amplification" (a non-detect):

    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.rdml"
    >>> _ = path.write_text(
    ...     f'<rdml xmlns="{NAMESPACE}" version="1.2">'
    ...     '<sample id="ctrl"><type>unkn</type></sample><target id="MYC"><type>toi</type></target>'
    ...     '<experiment id="exp"><run id="run1"><pcrFormat><rows>8</rows><columns>12</columns>'
    ...     "<rowLabel>ABC</rowLabel><columnLabel>123</columnLabel></pcrFormat>"
    ...     '<react id="1"><sample id="ctrl"/><data><tar id="MYC"/><cq>24.1</cq></data></react>'
    ...     '<react id="2"><sample id="ctrl"/><data><tar id="MYC"/><cq>-1</cq></data></react>'
    ...     "</run></experiment></rdml>")
    >>> export = read(path, FileSample(path))
    >>> export.wells[["well", "sample", "target", "sample_type", "cq", "cq_status"]]
      well sample target sample_type    cq     cq_status
    0   A1   ctrl    MYC        unkn  24.1            ok
    1   A2   ctrl    MYC        unkn   NaN  undetermined
    >>> export.info.extra["runs"], export.info.plate_size
    (['run1'], 96)
    >>> folder.cleanup()
    """
    if sample.head.startswith(_ZIP_MAGICS):
        member = _rdml_member(path)
        if member is None:
            raise ExportParseError(
                "the zip container holds no RDML document; expected rdml_data.xml or an *.xml "
                f'member with root <rdml xmlns="{NAMESPACE}">',
                where=str(path),
            )
        where = f"{path} [{member}]"
        data = read_zip_member(path, member)
        lc96 = _lc96_app_data(path) if "app_data.xml" in zip_member_names(path) else None
    else:
        where = str(path)
        data = path.read_bytes()
        lc96 = None
    root = parse_xml(data, where)
    if root.tag != f"{_N}rdml":
        raise ExportParseError(
            f"the root element is <{root.tag}>; expected <rdml> in namespace {NAMESPACE}",
            where=where,
        )
    return _export(root, path, where, lc96, run)


def _lc96_app_data(path: Path) -> pd.DataFrame | None:
    """LightCycler 96 extension ``app_data.xml``: per react × target the standard concentration
    (``factGraph@geneConcentration``) and exclusion flag (``isExcluded``), which LC96 does not
    write into the RDML part. None when the member is not an LC96 extension."""
    root = parse_xml(read_zip_member(path, "app_data.xml"), f"{path} [app_data.xml]")
    if not root.tag.endswith("}rocheLC96AppExtension"):
        return None
    ns = root.tag[: root.tag.index("}") + 1]
    rows = [
        (react.get("id", ""), graph.get("targetId", ""), graph.get("geneConcentration"),
         graph.get("isExcluded", "false").strip().lower() == "true")
        for react in root.iterfind(f".//{ns}run/{ns}react")
        for graph in react.iterfind(f"{ns}factGraph")
    ]  # fmt: skip
    table = pd.DataFrame(rows, columns=["_react", "target", "lc96_quantity", "lc96_excluded"])
    table["lc96_quantity"] = [to_number(v) for v in table["lc96_quantity"]]
    return table.drop_duplicates(["_react", "target"])


def _text(element: ET.Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.findtext(path)
    return found.strip() if found is not None else None


def _samples(root: ET.Element, where: str) -> tuple[dict[str, str], dict[str, float], set[str]]:
    """Sample id → type, id → standard quantity, and the quantity units seen."""
    types: dict[str, str] = {}
    quantities: dict[str, float] = {}
    units: set[str] = set()
    for sample in root.iterfind(f"{_N}sample"):
        sid = sample.get("id", "")
        stype = _text(sample, f"{_N}type") or "unkn"
        if stype not in SAMPLE_TYPES:
            raise ExportParseError(
                f"sample type '{stype}'; expected one of {', '.join(SAMPLE_TYPES)}",
                where=f'{where} <sample id="{sid}">/<type>',
            )
        types[sid] = stype
        value = _text(sample, f"{_N}quantity/{_N}value")
        if stype == "std" and value is not None:
            quantities[sid] = to_number(value)
            units.add(_text(sample, f"{_N}quantity/{_N}unit") or "")
    return types, quantities, units


def _annotations(root: ET.Element) -> dict[str, dict[str, str]]:
    """Annotation property → sample id → value (properties named like a wells column are
    left out), and ``irc`` → ``yes`` for the inter-run calibrators."""
    out: dict[str, dict[str, str]] = {}
    for sample in root.iterfind(f"{_N}sample"):
        for note in sample.iterfind(f"{_N}annotation"):
            prop, value = _text(note, f"{_N}property"), _text(note, f"{_N}value")
            if prop and value is not None and prop not in _COLUMNS:
                out.setdefault(prop, {})[sample.get("id", "")] = value
        if (_text(sample, f"{_N}interRunCalibrator") or "").lower() in ("true", "1"):
            out.setdefault("irc", {})[sample.get("id", "")] = "yes"
    return out


#: The largest plate a pcrFormat may describe (a 1536-well plate; rotors hold 100).
_MAX_WELLS = 1536


def _pcr_format(run: ET.Element, where: str) -> PlateFormat | None:
    """Plate of a run from ``pcrFormat`` rows/columns; None for v1.0 "free format"."""
    fmt = run.find(f"{_N}pcrFormat")
    rows, cols = _text(fmt, f"{_N}rows"), _text(fmt, f"{_N}columns")
    if rows is None or cols is None:
        return None
    if not (is_whole(rows) and is_whole(cols)) or int(rows) < 1 or int(cols) < 1:
        raise ExportParseError(
            f"pcrFormat rows '{rows}' and columns '{cols}'; expected positive whole numbers",
            where=f"{where} <pcrFormat>",
        )
    n_rows, n_cols = int(rows), int(cols)
    if n_rows > 26 and n_cols == 1:  # a rotor: positions 1..n become A1..An
        n_rows, n_cols = 1, n_rows
    if n_rows > 26:
        raise ExportParseError(
            f"pcrFormat has {n_rows} rows; expected at most 26", where=f"{where} <pcrFormat>"
        )
    if n_rows * n_cols > _MAX_WELLS:
        raise ExportParseError(
            f"pcrFormat has {n_rows * n_cols} wells; expected at most {_MAX_WELLS}",
            where=f"{where} <pcrFormat>",
        )
    return PlateFormat(n_rows, n_cols)


def _wells(ids: list[str], plate: PlateFormat | None, where: str) -> tuple[list[str], PlateFormat]:
    """Canonical well names of ``react@id`` values and the plate they lie on."""
    unique = list(dict.fromkeys(ids))
    if plate is None:
        numbers = [int(i) for i in unique if is_whole(i)]
        if numbers:
            plate = PLATES[96] if max(numbers) <= 96 else PLATES[384]
    mapping: dict[str, str] = {}
    for rid in unique:
        try:
            # free-format names are checked against the largest plate, then the plate is fitted
            mapping[rid] = normalise_well(int(rid) if is_whole(rid) else rid, plate or PLATES[384])
        except InputError as exc:
            raise ExportParseError(
                exc.message, where=f'{where} <react id="{rid}">', hint="Check the pcrFormat"
            ) from None
    if plate is None:
        plate = plate_for_wells(list(mapping.values()) or ["A1"])
    return [mapping[i] for i in ids], plate


def _floats(values: list[str | None], where: str) -> np.ndarray:
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        pass
    for value in values:  # the first value numpy cannot read (``1,234.5``, empty, missing)
        try:
            float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ExportParseError(
                f"value '{value}' is not a number; expected a decimal number", where=where
            ) from None
    raise ExportParseError("values that are not numbers; expected decimal numbers", where=where)


def _export(
    root: ET.Element,
    path: Path,
    where: str,
    lc96: pd.DataFrame | None = None,
    run: tuple[str, ...] = (),
) -> Export:
    types, quantities, units = _samples(root, where)
    dyes = {t.get("id", ""): t.find(f"{_N}dyeId") for t in root.iterfind(f"{_N}target")}
    # v1.1+ write <dyeId id="FAM"/>, v1.0 <dyeId>FAM</dyeId>
    reporters = {
        tid: (d.get("id") or (d.text or "").strip() or None) if d is not None else None
        for tid, d in dyes.items()
    }
    target_types = {t.get("id", ""): _text(t, f"{_N}type") for t in root.iterfind(f"{_N}target")}
    runs = [(e, r) for e in root.iterfind(f"{_N}experiment") for r in e.iterfind(f"{_N}run")]
    if not runs:
        raise ExportParseError(
            "no <experiment>/<run> in the document; expected at least one run with reactions",
            where=where,
        )
    run_ids = [r.get("id", "") for _, r in runs]
    if len(set(run_ids)) < len(run_ids):
        run_ids = [f"{e.get('id', '')}/{r.get('id', '')}" for e, r in runs]
    multi = len(runs) > 1
    picked = _pick_runs(run_ids, run, where) if multi else run_ids
    runs = [r for r, run_id in zip(runs, run_ids, strict=True) if run_id in picked]
    read_ids = [run_id for run_id in run_ids if run_id in picked]

    columns: dict[str, list[object]] = {}
    points: dict[str, list[_Points]] = {name: [] for name in _POINTS}
    plates: list[PlateFormat] = []
    for (_, run_element), run_id in zip(runs, read_ids, strict=True):
        run_where = f'{where} <run id="{run_element.get("id", "")}">'
        table, run_points, plate = _run(run_element, run_where, types, lc96 is not None)
        offset = len(columns.get("plate", ()))
        columns.setdefault("plate", []).extend([run_id] * len(table["well"]))
        for name, values in table.items():
            columns.setdefault(name, []).extend(values)
        for name, (rows, xs, ys) in run_points.items():
            points[name].append((rows + offset, xs, ys))
        plates.append(plate)
    out = pd.DataFrame(columns)
    out["reporter"] = out["target"].map(reporters)
    out["quantity"] = out["sample"].map(quantities).astype(float)
    if lc96 is not None:
        out = _apply_lc96(out, lc96)
    out = out[[c for c in _COLUMNS if c in out and (multi or c != "plate")]]
    for prop, levels in _annotations(root).items():
        out[prop] = out["sample"].map(levels).fillna("")
    tables = {
        name: _curve_table(parts, columns, _POINTS[name][2], multi)
        for name, parts in points.items()
        if sum(len(rows) for rows, _, _ in parts)
    }
    info = RunInfo(
        path=str(path),
        format=NAME,
        instrument=_joined(_text(r, f"{_N}instrument") for _, r in runs),
        software=_software(runs),
        run_date=next((d for _, r in runs if (d := _text(r, f"{_N}runDate"))), None),
        plate_size=max(p.size for p in plates),
        extra={
            "rdml_version": root.get("version"),
            "publisher": _text(root, f"{_N}id/{_N}publisher"),
            "runs": run_ids,
            "run_instruments": {
                run_id: _text(r, f"{_N}instrument")
                for (_, r), run_id in zip(runs, read_ids, strict=True)
            },
            "target_types": target_types,
            "quantity_units": sorted(units),
        },
    )
    return Export(wells=out, info=info, tables=tables)


def _pick_runs(run_ids: list[str], run: tuple[str, ...], where: str) -> list[str]:
    """The run ids to read: ``run`` (every one a run of the file), or all when empty."""
    unknown = [r for r in run if r not in run_ids]
    if unknown:
        raise InputError(
            f"no run {', '.join(repr(r) for r in unknown)} in the file; expected one of "
            f"{', '.join(repr(r) for r in run_ids)}",
            where=where,
            hint="Pick runs by the ids 'qpcr inspect' lists",
        )
    return list(run) or run_ids


#: Curve table → the point element, its position element and the position's column.
_POINTS = {"amplification": ("adp", "cyc", "cycle"), "melt": ("mdp", "tmp", "temperature")}
#: Curve points: row in the wells table, position (cycle or temperature), reading.
_Points = tuple[np.ndarray, np.ndarray, np.ndarray]


def _run(
    run: ET.Element, where: str, types: dict[str, str], lc96: bool
) -> tuple[dict[str, Sequence[object]], dict[str, _Points], PlateFormat]:
    """Wells (column → values) and curve points (table → row in the wells, position, reading)
    of one run (``lc96``: written by a LightCycler 96, whose "no Cq" codes differ). A run
    without any ``<cq>`` gives status ``missing``."""
    ids: list[str] = []
    samples: list[str] = []
    targets: list[str] = []
    cqs: list[str | None] = []
    excls: list[str | None] = []
    counts: dict[str, list[int]] = {name: [] for name in _POINTS}
    texts: dict[str, tuple[list[str | None], list[str | None]]] = {k: ([], []) for k in _POINTS}
    for react in run.findall(f"{_N}react"):
        rid = (react.get("id") or "").strip()
        sid = react.find(f"{_N}sample")
        sample = sid.get("id", "") if sid is not None else ""
        if sample not in types:
            raise ExportParseError(
                f"reaction refers to sample '{sample}', which is not declared; expected one of "
                f"the <sample> ids",
                where=f'{where} <react id="{rid}">',
            )
        for data in react.findall(f"{_N}data"):
            tar = data.find(f"{_N}tar")
            if tar is None or not tar.get("id"):
                raise ExportParseError(
                    "<data> without <tar id=...>; expected the target of each data block",
                    where=f'{where} <react id="{rid}">',
                )
            ids.append(rid)
            samples.append(sample)
            targets.append(tar.get("id", ""))
            cqs.append(_text(data, f"{_N}cq"))
            excls.append(data.findtext(f"{_N}excl"))
            for name, (tag, x_tag, _) in _POINTS.items():
                found = data.findall(f"{_N}{tag}")
                counts[name].append(len(found))
                xs, ys = texts[name]
                xs.extend([point.findtext(f"{_N}{x_tag}") for point in found])
                ys.extend([point.findtext(f"{_N}fluor") for point in found])
    well_names, plate = _wells(ids, _pcr_format(run, where), where)
    points = {
        name: (
            np.repeat(np.arange(len(ids)), counts[name]),
            _floats(texts[name][0], f"{where} <{tag}>/<{x_tag}>"),
            _floats(texts[name][1], f"{where} <{tag}>/<fluor>"),
        )
        for name, (tag, x_tag, _) in _POINTS.items()
    }
    cycles = points["amplification"][1]
    cq, status = read_cq(
        cqs,
        lambda i: f"{where} <react id=\"{ids[i]}\"> target '{targets[i]}' <cq>",
        no_cq=_lc96_no_cq(float(cycles.max()) if len(cycles) else None) if lc96 else _no_cq,
        flagged=[e is not None for e in excls],
        hint="RDML leaves <cq> out, or writes -1, when there is no Cq",
    )
    if all(c is None for c in cqs):
        status = ["missing"] * len(cqs)
    table: dict[str, Sequence[object]] = {
        "_react": ids,
        "well": well_names,
        "sample": samples,
        "target": targets,
        "sample_type": [types[s] for s in samples],
        "cq": list(cq),
        "cq_status": status,
        "omitted": [e is not None for e in excls],
        "omit_reason": [(e or "").strip() for e in excls],
    }
    return table, points, plate


def _curve_table(
    parts: list[_Points], wells: dict[str, list[object]], x_name: str, multi: bool
) -> pd.DataFrame:
    """One curve table from the points of every run read (row in ``wells``, position,
    reading); ``plate`` only when the file holds several runs."""
    rows, xs, ys = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
    columns = ("plate", "well", "target") if multi else ("well", "target")
    table = {name: np.asarray(wells[name], dtype=object)[rows] for name in columns}
    return pd.DataFrame({**table, x_name: xs, "fluorescence": ys})


def _no_cq(cq: float) -> bool:
    """RDML's code for "attempted, no Cq": -1."""
    return cq == -1


def _lc96_no_cq(last: float | None) -> Callable[[float], bool]:
    """LightCycler 96 codes for a well it calls negative: 100, or a Cq extrapolated beyond the
    run's ``last`` cycle (in ``lc96_bACTXY.rdml`` 50.67-72.55 and 100 on a 50-cycle run, all
    called "Negative" in its calculated_data.xml)."""
    beyond = MAX_CYCLES if last is None else last
    return lambda cq: cq == -1 or cq >= MAX_CYCLES or cq > beyond


def _apply_lc96(out: pd.DataFrame, lc96: pd.DataFrame) -> pd.DataFrame:
    """Fill standards' missing quantities and the omit flag from LC96 ``app_data.xml``."""
    merged = out.merge(lc96, on=["_react", "target"], how="left", validate="many_to_one")
    fill = merged["quantity"].isna() & merged["sample_type"].eq("std")
    merged.loc[fill, "quantity"] = merged.loc[fill, "lc96_quantity"]
    excluded = merged["lc96_excluded"].eq(True) & ~merged["omitted"]
    merged.loc[excluded, "omitted"] = True
    merged.loc[excluded, "omit_reason"] = "excluded in LightCycler 96 software"
    return merged.drop(columns=["lc96_quantity", "lc96_excluded"])


def _joined(values: Iterable[str | None]) -> str | None:
    unique = list(dict.fromkeys(v for v in values if v))
    return "; ".join(unique) if unique else None


def _software(runs: list[tuple[ET.Element, ET.Element]]) -> str | None:
    import html  # RDML files only: not on the way to a table from other exports

    for _, run in runs:
        software = run.find(f"{_N}dataCollectionSoftware")
        if software is not None:
            parts = [_text(software, f"{_N}name"), _text(software, f"{_N}version")]
            text = " ".join(p for p in parts if p)
            if text:
                return html.unescape(text)
    return None


register(
    ExportFormat(
        name=NAME,
        description="RDML 1.0-1.4 (.rdml zip, LightCycler 96 .lc96p, or plain XML)",
        signature=f'zip member or XML whose root is <rdml xmlns="{NAMESPACE}">',
        sniff=sniff,
        read=read,
    )
)
