"""Summaries of export files and of the format registry, for ``qpcr inspect`` and
``qpcr formats`` (plain dicts of JSON types; the CLI only prints them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["formats_table", "summarise"]


def summarise(
    path: str | Path, format: str | None = None, decimal: str | None = None
) -> dict[str, Any]:
    """Read one export and describe it (``decimal``: its decimal mark, None: detected).

    Returns a dict with ``file``, ``format``, ``description``, ``instrument``, ``software``,
    ``run_date``, ``plate_size``, ``plates`` (run/plate ids, [] for a single plate), ``wells``
    (distinct plate × well positions; rows when the table has no wells), ``reactions`` (rows:
    well × target), ``targets``, ``samples`` (sorted names), ``sample_types`` (reactions per
    RDML sample type), ``non_detects`` (reactions with ``cq_status`` undetermined),
    ``omitted`` (reactions the instrument flagged as omitted), ``cq_status`` (reactions per
    status) and ``tables`` (rows per curve table). Raises the reader's ``InputError``.
    """
    from .io import formats, read_run

    export = read_run(path, format, decimal)
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
        "wells": int(n_wells),
        "reactions": len(wells),
        "targets": sorted(map(str, wells["target"].dropna().unique())),
        "samples": sorted(map(str, wells["sample"].dropna().unique())),
        "sample_types": _counts(wells["sample_type"]),
        "non_detects": int((wells["cq_status"] == "undetermined").sum()),
        "omitted": int(flagged.sum()),
        "cq_status": _counts(wells["cq_status"]),
        "tables": {name: len(table) for name, table in export.tables.items()},
    }


def _counts(column: Any) -> dict[str, int]:
    counts = column.dropna().astype(str).value_counts()
    return {str(k): int(v) for k, v in sorted(counts.items())}


def formats_table() -> list[dict[str, str]]:
    """One dict per registered format: ``name``, ``description``, ``signature``."""
    from .io import formats

    return [
        {"name": f.name, "description": f.description, "signature": f.signature} for f in formats()
    ]
