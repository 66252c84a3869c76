"""Summaries of export files and of the format registry, for ``qpcr inspect`` and
``qpcr formats`` (plain dicts of JSON types; the CLI only prints them)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["formats_table", "summarise"]


def summarise(
    path: str | Path,
    format: str | None = None,
    decimal: str | None = None,
    run: Sequence[str] = (),
) -> dict[str, Any]:
    r"""Read one export and describe it (``decimal``: its decimal mark, None: detected; ``run``:
    the runs to read, empty: all).

    Parameters
    ----------
    path
        The export file.
    format
        The format's name (see :func:`formats_table`), or None to detect it.
    decimal
        The decimal mark, or None to detect it.
    run
        The runs to read (of a file that names its runs); empty: all.

    Returns
    -------
    dict
        ``file``, ``format``, ``description``, ``instrument``, ``software``,
        ``run_date``, ``plate_size``, ``plates`` (run/plate ids, [] for a single plate), ``runs``
        (of a file that names its runs, RDML: one line per run read, ``ID: instrument, N
        reactions``, with ``, no Cq`` when the run holds no Cq values), ``wells``
        (distinct plate × well positions; rows when the table has no wells), ``reactions`` (rows:
        well × target), ``targets``, ``samples`` (sorted names), ``sample_types`` (reactions per
        RDML sample type), ``non_detects`` (reactions with ``cq_status`` undetermined),
        ``omitted`` (reactions the instrument flagged as omitted), ``cq_status`` (reactions per
        status), ``tables`` (rows per curve table), ``curves`` (per kind of curve: wells and
        the cycle or temperature range, ``none``), ``experiment`` (``genotyping``,
        ``presence/absence`` or None) and ``calls`` (the instrument's calls: wells per genotype
        of a genotyping run, reactions per call otherwise; {} when the export has none).

    Raises
    ------
    InputError
        The reader's, for a file it cannot read.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.csv"
    >>> _ = path.write_text("sample,target,cq\ns1,GAPDH,18.0\ns1,MYC,24.0\n"
    ...                     "s2,GAPDH,18.2\ns2,MYC,Undetermined\n")
    >>> info = summarise(path)
    >>> info["format"], info["reactions"], info["targets"], info["samples"]
    ('tidy', 4, ['GAPDH', 'MYC'], ['s1', 's2'])
    >>> info["non_detects"], info["cq_status"], info["curves"]
    (1, {'ok': 3, 'undetermined': 1}, 'none')
    >>> folder.cleanup()
    """
    from .errors import ExportParseError
    from .io import formats, read_run
    from .io.curves import describe_curves, export_curves

    try:
        export = read_run(path, format, decimal, run=run)
    except ExportParseError as refusal:
        return _raw_curves(path, format, decimal, run, refusal)
    wells = export.wells
    info = export.info
    description = next((f.description for f in formats() if f.name == info.format), "")
    keys = [c for c in ("plate", "well") if c in wells and wells[c].notna().any()]
    n_wells = len(wells.drop_duplicates(keys)) if "well" in keys else len(wells)
    flagged = wells["cq_status"] == "omitted"
    if "omitted" in wells:
        flagged |= wells["omitted"].fillna(False).astype(bool)
    plates = sorted(map(str, wells["plate"].dropna().unique())) if "plate" in wells else []
    return {
        "file": str(path),
        "format": info.format,
        "description": description,
        "instrument": info.instrument,
        "software": info.software,
        "run_date": info.run_date,
        "plate_size": info.plate_size,
        "plates": plates,
        "runs": _runs(wells, info.extra.get("run_instruments", {})),
        "wells": int(n_wells),
        "reactions": len(wells),
        "targets": sorted(map(str, wells["target"].dropna().unique())),
        "samples": sorted(map(str, wells["sample"].dropna().unique())),
        "sample_types": _counts(wells["sample_type"]),
        "non_detects": int((wells["cq_status"] == "undetermined").sum()),
        "omitted": int(flagged.sum()),
        "cq_status": _counts(wells["cq_status"]),
        "tables": {name: len(table) for name, table in export.tables.items()},
        "curves": describe_curves(export_curves(export, Path(path).stem)),
        "experiment": info.experiment,
        "calls": _calls(wells, keys if info.experiment == "genotyping" else []),
    }


def _raw_curves(
    path: str | Path,
    format: str | None,
    decimal: str | None,
    run: Sequence[str],
    refusal: Exception,
) -> dict[str, Any]:
    """The summary of an export that holds curves but no Cq (which ``qpcr analyze`` calls Cq
    from, ``cq_source``): its curves, wells, targets and samples; ``refusal`` (why
    :func:`qpcr.io.read_run` declined it) is raised again when it holds no curve either."""
    from .io.curves import describe_curves, raw_curves_of

    curves = raw_curves_of(path, refusal, format, decimal, run, plate=Path(path).stem)
    keys = curves.drop_duplicates(["plate", "well"])
    plates = sorted(map(str, keys["plate"].dropna().unique()))
    return {
        "file": str(path),
        "format": "curves",
        "description": "raw fluorescence curves without Cq: qpcr analyze calls Cq from the "
        "amplification curves (cq_source), qpcr curves writes them",
        "plates": plates if len(plates) > 1 else [],
        "wells": len(keys),
        "targets": sorted({str(t) for t in keys["target"].dropna()} - {""}),
        "samples": sorted({str(s) for s in keys["sample"].dropna()} - {""}),
        "curves": describe_curves(curves),
    }


def _calls(wells: Any, per: list[str]) -> dict[str, int]:
    """Rows per instrument call, or wells per call when ``per`` names the well columns (the two
    allele rows of a genotyped well carry the same call)."""
    if "call" not in wells:
        return {}
    called = wells[wells["call"].fillna("").astype(str).ne("")]
    return _counts((called.drop_duplicates(per) if per else called)["call"])


def _runs(wells: Any, instruments: dict[str, str | None]) -> list[str]:
    """``ID: instrument, N reactions[, no Cq]`` per run the reader named."""
    out = []
    for run_id, instrument in instruments.items():
        rows = wells[wells["plate"].astype(str) == run_id] if "plate" in wells else wells
        no_cq = ", no Cq" if rows["cq_status"].eq("missing").all() else ""
        out.append(
            f"{run_id}: {instrument or 'instrument not named'}, {len(rows)} reactions{no_cq}"
        )
    return out


def _counts(column: Any) -> dict[str, int]:
    counts = column.dropna().astype(str).value_counts()
    return {str(k): int(v) for k, v in sorted(counts.items())}


def formats_table() -> list[dict[str, str]]:
    """One dict per registered format: ``name``, ``description``, ``signature``.

    Returns
    -------
    list of dict
        One dict per registered format.

    Examples
    --------
    >>> table = formats_table()
    >>> sorted(f["name"] for f in table if f["name"].startswith(("tidy", "rdml", "biorad")))
    ['biorad', 'rdml', 'tidy']
    >>> next(f for f in table if f["name"] == "tidy")["signature"]
    "first row has 'sample', 'target' and a Cq column (Cq/Ct/Cp/Cт)"
    """
    from .io import formats

    return [
        {"name": f.name, "description": f.description, "signature": f.signature} for f in formats()
    ]
