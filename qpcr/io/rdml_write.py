"""Write an analysis as RDML 1.3 (Real-time PCR Data Markup Language), the exchange format of
qbase+, LinRegPCR and rdmlpython; :mod:`qpcr.io.rdml` reads it back.

What the file holds (one ``<run>`` per plate of the analysis, in one ``<experiment>``):

* ``<dye>``: the reporters of the wells (``unknown`` when the export names none: RDML requires a
  dye for every target).
* ``<sample>``: each sample once, with its RDML ``type``, the design factors and the
  biological-replicate column as ``<annotation>`` (property = column, value = level) and, for
  standards, the ``<quantity>`` (unit ``other``: the unit of the standards is the user's);
  inter-run calibrators (the layout's ``irc`` column) are marked ``<interRunCalibrator>``.
* ``<target>``: ``ref`` for the reference genes used, ``toi`` otherwise, with the efficiency the
  analysis used and its source (:meth:`qpcr.results.Results.efficiency_sources`).
* ``<react>`` per well (id: the 1-based row-major position on the plate; rows of a table that
  names no wells are numbered in order) with one ``<data>``
  per target: ``<cq>`` (``-1`` for a non-detect, left out without a Cq), ``<excl>`` with the
  reason when the analysis excluded the well from the data (instrument omit, outlier,
  non-detect, not in layout; control and standard wells are not exclusions), and the
  amplification (``<adp>``) and melt (``<mdp>``) points when curves are given.

The document is ``rdml_data.xml`` in a zip, as the specification asks.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

import pandas as pd

from ..atomic import atomic_write
from ..errors import InputError
from ..plate import PLATES, PlateFormat, plate_for_wells, well_index
from ..schema.codes import CONTROL_TYPES, EXCLUDE_REASONS
from ._tabular import parse_bool
from .rdml import NAMESPACE

if TYPE_CHECKING:
    from ..results import Results
    from ..settings import AnalysisConfig
    from .registry import RunInfo

__all__ = ["DATA_EXCLUSIONS", "check_path", "rdml_document", "read_curves", "write_rdml"]

VERSION = "1.3"
#: Exclusion codes written as ``<excl>``: the wells left out of the data. Control and standard
#: wells (their codes are the sample types and ``standard``) and targets not analysed are kept
#: out of the relative quantities by design, not excluded as data.
DATA_EXCLUSIONS = frozenset(EXCLUDE_REASONS) - {*CONTROL_TYPES, "standard", "not_analysed"}
_UNKNOWN_DYE = "unknown"
_CURVES = {"amplification": ("adp", "cycle", "cyc"), "melt": ("mdp", "temperature", "tmp")}
ET.register_namespace("", NAMESPACE)


def _sub(parent: ET.Element, tag: str, text: object = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attrib)
    if text is not None:
        element.text = str(text)
    return element


def _number(value: float) -> str:
    """Shortest text that reads back as the same float."""
    return repr(float(value))


def _sample_ids(wells: pd.DataFrame) -> pd.Series:
    """Each well's sample id: its name, or ``<type> <plate> <well>`` when it has none (an
    unnamed control): RDML ids are never empty."""
    names = wells["sample"].fillna("").astype(str).str.strip()
    plate = wells["plate"].astype(str) + " " if "plate" in wells else ""
    fallback = wells["sample_type"].astype(str) + " " + plate + wells["well"].astype(str)
    return names.where(names.ne(""), fallback)


def _one_per_sample(wells: pd.DataFrame, column: str, what: str) -> dict[str, str]:
    """``column``'s one value per sample (''/NaN left out); refused when a sample has two."""
    filled = wells[wells[column].notna() & wells[column].astype(str).ne("")]
    values = filled.groupby("_sample", sort=False)[column].unique()
    clash = values[values.map(len) > 1]
    if len(clash):
        sample, levels = clash.index[0], ", ".join(map(str, clash.iloc[0]))
        raise InputError(
            f"sample '{sample}' has several {what} ({levels}); expected one per sample, since "
            "RDML describes each sample once",
            where=f"RDML {column}",
            hint="Give the wells that differ their own sample names in the layout",
        )
    return {str(s): v[0] for s, v in values.items()}


def _samples(root: ET.Element, wells: pd.DataFrame, annotated: list[str]) -> None:
    types = _one_per_sample(wells, "sample_type", "sample types")
    quantities = {}
    if "quantity" in wells:
        standards = wells[wells["sample_type"].eq("std")]
        quantities = _one_per_sample(standards, "quantity", "standard quantities")
    levels = {c: _one_per_sample(wells, c, f"levels of '{c}'") for c in annotated}
    ircs = set(wells.loc[wells["irc"].map(parse_bool).astype(bool), "_sample"]) if (
        "irc" in wells) else set()  # fmt: skip
    for sample in dict.fromkeys(wells["_sample"]):
        element = _sub(root, "sample", id=sample)
        for column in annotated:
            if sample in levels[column]:
                note = _sub(element, "annotation")
                _sub(note, "property", column)
                _sub(note, "value", levels[column][sample])
        _sub(element, "type", types.get(sample, "unkn"))
        if sample in ircs:
            _sub(element, "interRunCalibrator", "true")
        if sample in quantities:
            quantity = _sub(element, "quantity")
            _sub(quantity, "value", _number(float(quantities[sample])))
            _sub(quantity, "unit", "other")


def _targets(root: ET.Element, results: Results, dyes: dict[str, str]) -> None:
    sources = results.efficiency_sources()
    for target in dict.fromkeys(results.wells["target"].astype(str)):
        element = _sub(root, "target", id=target)
        _sub(element, "type", "ref" if target in results.reference_genes else "toi")
        if target in sources:
            source = sources[target]
            _sub(element, "amplificationEfficiencyMethod", source.method)
            _sub(element, "amplificationEfficiency", _number(source.efficiency))
            if source.se is not None:
                _sub(element, "amplificationEfficiencySE", _number(source.se))
        _sub(element, "dyeId", id=dyes.get(target, _UNKNOWN_DYE))


def _reporters(wells: pd.DataFrame) -> dict[str, str]:
    """Target → its reporter dye (the first one named)."""
    if "reporter" not in wells:
        return {}
    named = wells[wells["reporter"].notna() & wells["reporter"].astype(str).str.strip().ne("")]
    return {str(t): str(d).strip() for t, d in named.groupby("target")["reporter"].first().items()}


def _plate_format(wells: list[str], size: int | None) -> tuple[PlateFormat, bool]:
    """The plate the wells lie on, and whether it is a rotor (one row of positions beyond a
    384-well plate's 24 columns, written as RDML's rotor: ``rows`` = positions, 1 column)."""
    try:
        return plate_for_wells(wells, size), False
    except InputError:
        if not all(w.startswith("A") and w[1:].isdigit() for w in wells):
            raise
        return PlateFormat(1, max(int(w[1:]) for w in wells)), True


def _numbered(wells: pd.DataFrame) -> pd.DataFrame:
    """A plate whose rows name no wells (a tidy table without ``well``): each row its own
    reaction, numbered in table order on the smallest plate that holds them all."""
    if "well" in wells and wells["well"].notna().all():
        return wells
    n = len(wells)
    plate = next((PLATES[s] for s in sorted(PLATES) if PLATES[s].size >= n), PlateFormat(1, n))
    return wells.assign(well=plate.wells()[:n])


def _exclusion(row: pd.Series) -> str | None:
    """The ``<excl>`` text of a well: the reason it was left out of the data, or None."""
    code = str(row.get("exclude_code") or "")
    if code not in DATA_EXCLUSIONS:
        return None
    instrument = str(row.get("omit_reason") or "").strip() if code == "omitted" else ""
    return instrument or str(row.get("exclude_reason") or EXCLUDE_REASONS[code])


def _data(react: ET.Element, row: pd.Series, points: Mapping[str, pd.DataFrame]) -> None:
    data = _sub(react, "data")
    _sub(data, "tar", id=str(row["target"]))
    if pd.notna(row["cq"]):
        _sub(data, "cq", _number(row["cq"]))
    elif row["cq_status"] in ("undetermined", "omitted"):
        _sub(data, "cq", "-1")
    excl = _exclusion(row)
    if excl is not None:
        _sub(data, "excl", excl)
    for name, (tag, x_name, x_tag) in _CURVES.items():
        if name not in points:
            continue
        curve = points[name]
        for x, y in zip(curve[x_name], curve["fluorescence"], strict=True):
            point = _sub(data, tag)
            _sub(point, x_tag, _number(x))
            _sub(point, "fluor", _number(y))


def _curve_points(
    curves: Mapping[str, pd.DataFrame], plate: str | None
) -> dict[tuple[str, str], dict[str, pd.DataFrame]]:
    """(well, target) → curve name → its points on ``plate`` (one point per cycle or
    temperature, as RDML requires)."""
    out: dict[tuple[str, str], dict[str, pd.DataFrame]] = {}
    for name, table in curves.items():
        if name not in _CURVES or table.empty:
            continue
        x_name = _CURVES[name][1]
        if plate is not None and "plate" in table:
            table = table[table["plate"].astype(str).eq(plate)]
        table = table.dropna(subset=[x_name, "fluorescence"])
        table = table.drop_duplicates(["well", "target", x_name]).sort_values(x_name, kind="stable")
        for (well, target), points in table.groupby(["well", "target"], sort=False):
            out.setdefault((str(well), str(target)), {})[name] = points
    return out


def _run_info(wells: pd.DataFrame, runs: tuple[RunInfo, ...]) -> RunInfo | None:
    """The run a plate's wells were read from (matched by the export's file name)."""
    if "source" in wells and len(runs) > 1:
        source = str(wells["source"].iloc[0])
        return next((r for r in runs if Path(r.path).name == source), runs[0])
    return runs[0] if runs else None


def _run(
    experiment: ET.Element,
    run_id: str,
    wells: pd.DataFrame,
    info: RunInfo | None,
    curves: Mapping[str, pd.DataFrame],
) -> None:
    run = _sub(experiment, "run", id=run_id)
    if info is not None:
        _sub(run, "description", f"read from {Path(info.path).name} ({info.format})"
             + (f"; run date {info.run_date}" if info.run_date else ""))  # fmt: skip
        if info.instrument:
            _sub(run, "instrument", info.instrument)
        if info.software:
            software = _sub(run, "dataCollectionSoftware")
            _sub(software, "name", info.software)
            _sub(software, "version", "")
    names = list(dict.fromkeys(wells["well"].astype(str)))
    plate, rotor = _plate_format(names, info.plate_size if info else None)
    fmt = _sub(run, "pcrFormat")
    _sub(fmt, "rows", plate.cols if rotor else plate.rows)
    _sub(fmt, "columns", 1 if rotor else plate.cols)
    _sub(fmt, "rowLabel", "123" if rotor else "ABC")
    _sub(fmt, "columnLabel", "123")
    points = _curve_points(curves, run_id if "plate" in wells else None)
    wells = wells.assign(_id=[well_index(w, plate) + 1 for w in wells["well"].astype(str)])
    for react_id, react_wells in wells.groupby("_id", sort=True):
        samples = list(dict.fromkeys(react_wells["_sample"]))
        if len(samples) > 1:
            raise InputError(
                f"well {react_wells['well'].iloc[0]} holds samples {', '.join(samples)}; "
                "expected one sample per well, as RDML's reactions hold one",
                where=f"RDML run '{run_id}'",
            )
        react = _sub(run, "react", id=str(react_id))
        _sub(react, "sample", id=samples[0])
        for _, row in react_wells.iterrows():
            _data(react, row, points.get((str(row["well"]), str(row["target"])), {}))


def rdml_document(
    results: Results, curves: Mapping[str, pd.DataFrame] | None = None
) -> ET.ElementTree:
    """The RDML 1.3 document of an analysis.

    Parameters
    ----------
    results
        A finished analysis (:func:`qpcr.pipeline.analyze`).
    curves
        Curve tables as the readers return them (``amplification``: ``well``, ``target``,
        ``cycle``, ``fluorescence``; ``melt``: ``temperature`` instead of ``cycle``; with a
        ``plate`` column when several plates were read); None writes no curves.

    Returns
    -------
    xml.etree.ElementTree.ElementTree
        The document (root ``<rdml version="1.3">``).

    Raises
    ------
    InputError
        A sample with two sample types, standard quantities or factor levels, or a well with
        two samples: RDML cannot say that.

    Examples
    --------
    ``example_results()`` is a small analysis of a table naming no wells (see the repository's
    ``conftest.py``): 6 samples × 3 targets, each row its own reaction:

    >>> document = rdml_document(example_results())
    >>> ns = {"r": NAMESPACE}
    >>> root = document.getroot()
    >>> root.get("version"), len(root.findall("r:sample", ns)), len(root.findall(".//r:react", ns))
    ('1.3', 6, 18)
    >>> [(t.get("id"), t.findtext("r:type", namespaces=ns)) for t in root.findall("r:target", ns)]
    [('GAPDH', 'ref'), ('MYC', 'toi'), ('HIF1A', 'toi')]
    >>> sample = root.find("r:sample", ns)
    >>> [(a.findtext("r:property", namespaces=ns), a.findtext("r:value", namespaces=ns))
    ...  for a in sample.findall("r:annotation", ns)]
    [('oxygen', 'normoxia')]
    """
    wells = results.wells.copy()
    wells["_sample"] = _sample_ids(wells)
    wells["target"] = wells["target"].astype(str)
    root = ET.Element(f"{{{NAMESPACE}}}rdml", version=VERSION)
    _sub(root, "dateMade", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    dyes = _reporters(wells)
    unnamed = [_UNKNOWN_DYE] if set(wells["target"]) - set(dyes) else []
    for dye in dict.fromkeys([*dyes.values(), *unnamed]):
        _sub(root, "dye", id=dye)
    replicate = results.config.replicate
    annotated = [c for c in (*results.factors, *([replicate] if replicate else [])) if c in wells]
    _samples(root, wells, annotated)
    _targets(root, results, dyes)
    experiment = _sub(root, "experiment", id="qpcr")
    _sub(experiment, "description", "analysed with qpcr")
    plates = wells.groupby("plate", sort=False) if "plate" in wells else [("run", wells)]
    for plate, plate_wells in plates:
        plate_wells = _numbered(plate_wells)
        _run(experiment, str(plate), plate_wells, _run_info(plate_wells, results.runs),
             curves or {})  # fmt: skip
    ET.indent(root)
    return ET.ElementTree(root)


def check_path(path: str | Path, force: bool = False) -> Path:
    """Check a path to write RDML to before the work starts: it ends in ``.rdml`` and, unless
    ``force``, does not exist.

    Parameters
    ----------
    path
        The file to write.
    force
        Allow overwriting an existing file.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputError
        Another suffix, or the file exists and not ``force``.

    Examples
    --------
    >>> check_path("run.xml")
    Traceback (most recent call last):
    ...
    qpcr.errors.InputError: run.xml: the RDML file must end in .rdml, not '.xml'. Name the ...
    """
    path = Path(path)
    if path.suffix.lower() != ".rdml":
        raise InputError(
            f"the RDML file must end in .rdml, not '{path.suffix or 'no extension'}'",
            where=str(path),
            hint="Name the file run.rdml",
        )
    if path.exists() and not force:
        raise InputError(
            "the file exists; expected a new file name",
            where=str(path),
            hint="Choose another name or pass force=True to overwrite it",
        )
    return path


def write_rdml(
    results: Results,
    path: str | Path,
    curves: Mapping[str, pd.DataFrame] | None = None,
    *,
    force: bool = False,
) -> Path:
    """Write an analysis as an RDML 1.3 file (``rdml_data.xml`` in a zip).

    Parameters
    ----------
    results
        A finished analysis.
    path
        The ``.rdml`` file to write.
    curves
        Curve tables to include (see :func:`rdml_document`).
    force
        Overwrite an existing file.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputError
        ``path`` does not end in ``.rdml`` or exists and not ``force`` (:func:`check_path`), or
        the analysis cannot be said in RDML (:func:`rdml_document`).

    Examples
    --------
    >>> import tempfile
    >>> import zipfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = write_rdml(example_results(), Path(folder.name) / "run.rdml")
    >>> zipfile.ZipFile(path).namelist()
    ['rdml_data.xml']
    >>> folder.cleanup()
    """
    path = check_path(path, force)
    root = rdml_document(results, curves).getroot()
    assert root is not None
    text = ET.tostring(root, encoding="utf-8", xml_declaration=True)

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("rdml_data.xml", text)

    return atomic_write(path, write)


def read_curves(
    exports: Sequence[str | Path], settings: AnalysisConfig, format: str | None = None
) -> dict[str, pd.DataFrame]:
    """The amplification and melt curves of the exports, named as the analysis names plates
    and targets (file stems or the export's plates; ``aliases`` applied).

    Parameters
    ----------
    exports
        The exports the analysis read.
    settings
        ``aliases``, ``decimal`` and ``run`` are used.
    format
        Force a reader by name instead of detecting it.

    Returns
    -------
    dict of str to DataFrame
        ``amplification`` and ``melt`` (those the exports hold), with a ``plate`` column.

    Examples
    --------
    A tidy table holds no curves:

    >>> import tempfile
    >>> from qpcr.settings import AnalysisConfig
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.csv"
    >>> _ = path.write_text("well,sample,target,cq\\nA1,n1,MYC,25.0\\n")
    >>> read_curves([path], AnalysisConfig())
    {}
    >>> folder.cleanup()
    """
    from ..pipeline import plate_names
    from .curves import read_curves as curves_of

    found: dict[str, list[pd.DataFrame]] = {}
    for path, stem in zip(exports, plate_names(exports), strict=True):
        table = curves_of(path, format, settings.decimal, run=settings.run, plate=stem)
        table = table.assign(target=table["target"].replace(settings.aliases))
        for name, part in table.groupby("kind", sort=False):
            found.setdefault(str(name), []).append(part)
    return {name: pd.concat(frames, ignore_index=True) for name, frames in found.items()}
