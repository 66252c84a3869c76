"""A layout joined to the wells table of an export: names compared, mismatches refused.

:func:`check_layout` refuses a layout that names other samples or targets than the export in
the same wells (hinting at swapped layouts); :func:`join_layout` attaches the layout's columns
to the wells and reports wells on one side only; :func:`renamed_samples` turns the renaming of
``sample_names = "layout"`` into a note and QC events. Reading layouts is :mod:`qpcr.layout`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from .errors import LayoutMismatchError, listed
from .kept import Kept, content_key

__all__ = ["check_layout", "join_layout", "renamed_samples", "same_name"]

_SHOWN = 5  # disagreeing wells named in an error (then a count)


def same_name(a: object, b: object) -> bool:
    """Two names agree when equal after stripping, collapsing inner spaces and ignoring case:
    letter case and spacing differ between instruments and spreadsheets without naming another
    sample or target.

    Parameters
    ----------
    a, b
        The names (any value; compared as text).

    Returns
    -------
    bool
        Whether they name the same thing.

    Examples
    --------
    >>> same_name("D1 NV", "d1  nv "), same_name("D1", "D2")
    (True, False)
    """
    return _name_key(a) == _name_key(b)


def _name_key(value: object) -> str:
    return " ".join(str(value).split()).casefold()


def _name_keys(values: Iterable[object]) -> list[str]:
    """:func:`_name_key` of each value, worked out once per distinct text."""
    known: dict[str, str] = {}
    keys = []
    for value in values:
        if type(value) is not str:
            keys.append(_name_key(value))
        elif value in known:
            keys.append(known[value])
        else:
            keys.append(known.setdefault(value, _name_key(value)))
    return keys


def _present(values: pd.Series) -> list[Any]:
    """The values that are not missing (``dropna``), in order, without iterating the Series."""
    array = values.to_numpy(dtype=object)
    return array[~pd.isna(array)].tolist()


def _filled(values: pd.Series | np.ndarray) -> np.ndarray:
    """Which values name something (not missing, not blank): each distinct value looked at once."""
    code, distinct = pd.factorize(values)
    named = np.array([str(v).strip() != "" for v in distinct] + [False])  # code -1: missing
    return named[code]


def _positions(wells: pd.DataFrame, layout: pd.DataFrame, keys: list[str]) -> np.ndarray | None:
    """For each row of ``wells``, the position of the layout row with the same ``keys``
    (-1: none), what a left merge on the keys pairs; None when a key is not text on both sides
    or repeats in the layout (pandas then merges, with its own checks)."""
    if any(k not in wells or k not in layout for k in keys):
        return None
    ours = [wells[k].to_numpy(dtype=object) for k in keys]
    theirs = [layout[k].to_numpy(dtype=object) for k in keys]
    if not all(type(v) is str for column in (*ours, *theirs) for v in column):
        return None
    position: dict[tuple[str, ...], int] = {}
    for i, key in enumerate(zip(*theirs, strict=True)):
        if position.setdefault(key, i) != i:
            return None
    found = (position.get(key, -1) for key in zip(*ours, strict=True))
    return np.fromiter(found, dtype=np.intp, count=len(wells))


def _paired(
    wells: pd.DataFrame, layout: pd.DataFrame, keys: list[str], cols: list[str]
) -> tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The wells the layout also holds (an inner merge on ``keys``, in the export's order):
    their names, and each column of ``cols`` as (export's values, layout's values)."""
    position = _positions(wells, layout, keys)
    if position is None:
        merged = wells[[*keys, *cols]].merge(
            layout[[*keys, *cols]], on=keys, how="inner", suffixes=("", "_layout")
        )
        return merged["well"].to_numpy(dtype=object), {
            c: (merged[c].to_numpy(dtype=object), merged[f"{c}_layout"].to_numpy(dtype=object))
            for c in cols
        }
    hit = position >= 0
    at = position[hit]
    return wells["well"].to_numpy(dtype=object)[hit], {
        c: (wells[c].to_numpy(dtype=object)[hit], layout[c].to_numpy(dtype=object)[at])
        for c in cols
    }


def _differences(
    wells: pd.DataFrame, layout: pd.DataFrame, keys: list[str], samples: bool
) -> tuple[list[str], list[str], list[str]]:
    """Where ``layout`` and ``wells`` (one plate each) name different things.

    Returns the wells whose target differs, the wells whose sample name differs (when
    ``samples``; only where both name one) and the layout targets absent from the export.
    """
    cols = [c for c in ("sample", "target") if c in layout and c in wells and c not in keys]
    if not samples:
        cols = [c for c in cols if c != "sample"]
    well, pairs = _paired(wells, layout, keys, cols)
    found: dict[str, list[str]] = {}
    for col, (ours, theirs) in pairs.items():
        differ = ours != theirs  # equal: same
        unequal = zip(ours[differ], theirs[differ], strict=True)
        differ[differ] = [not same_name(a, b) for a, b in unequal]
        if differ.any():  # empty names agree with anything
            differ &= _filled(ours) & _filled(theirs)
        if not differ.any():
            continue
        first: dict[object, str] = {}  # each well once, at its first disagreement
        for w, e, v in zip(well[differ], ours[differ], theirs[differ], strict=True):
            first.setdefault(w, f"{w}: export '{e}' vs layout '{v}'")
        found[col] = list(first.values())
    absent: list[str] = []
    if "target" in layout and "target" in wells and _filled(wells["target"]).any():
        known = set(_name_keys(_present(wells["target"])))
        named = layout.loc[_filled(layout["target"]), "target"].astype(str).tolist()
        absent = [t for t in dict.fromkeys(named) if _name_key(t) not in known]
    return found.get("target", []), found.get("sample", []), absent


def _plates(wells: pd.DataFrame, layout: pd.DataFrame, keys: list[str]) -> list[object]:
    """The plates to compare one by one (``[None]``: the layout covers every plate)."""
    if "plate" not in keys:
        return [None]
    given = set(layout["plate"].tolist())
    return [p for p in dict.fromkeys(wells["plate"].tolist()) if p in given]


def _part(table: pd.DataFrame, plate: object) -> pd.DataFrame:
    return table if plate is None else table[table["plate"] == plate]


def _pairing_hint(
    wells: pd.DataFrame, layout: pd.DataFrame, keys: list[str], samples: bool, plate: object
) -> str:
    """Which other plate's layout fits this plate's export, if one does (a swap, or another)."""
    plates = _plates(wells, layout, keys)
    if plate is None or len(plates) < 2:
        return ""
    on = [k for k in keys if k != "plate"]

    def fits(export_plate: object, layout_plate: object) -> bool:
        mine = _part(wells, export_plate)
        theirs = _part(layout, layout_plate)
        if mine.merge(theirs[on], on=on).empty:
            return False
        return not any(_differences(mine, theirs, on, samples))

    for other in plates:
        if other != plate and fits(plate, other):
            if fits(other, plate):
                return (
                    f"did you swap the layouts of plate '{plate}' and plate '{other}'? Each fits "
                    "the other's export: give the layouts in the order of the exports, or name "
                    "each like its export (plate1.txt with plate1_layout.csv)"
                )
            return (
                f"the layout given for plate '{other}' fits the export of plate '{plate}': check "
                "which layout belongs to which export"
            )
    return ""


def check_layout(
    wells: pd.DataFrame, layout: pd.DataFrame, where: str = "layout", sample_names: str = "check"
) -> None:
    """Refuse a layout that names other samples or targets than the export in the same wells.

    Names agree by :func:`same_name`; empty names agree with anything. Sample names are
    compared only with ``sample_names = "check"``. A layout target that occurs nowhere in the
    export is refused too. With one layout per plate (a ``plate`` column in both tables), every
    export is compared with every layout, and the hint says which pairing fits (a swap).

    Parameters
    ----------
    wells
        The wells table of the export(s).
    layout
        The layout table (:func:`qpcr.layout.load_layout`).
    where
        The layout's name (its file) for the error message.
    sample_names
        ``"check"`` (compare), ``"layout"`` or ``"export"`` (the side whose names are used).

    Raises
    ------
    LayoutMismatchError
        A target or sample name differs in some well, or a layout target is not exported.

    Examples
    --------
    >>> import pandas as pd
    >>> layout = pd.DataFrame({"well": ["A1", "A2"], "sample": ["s1", "s2"],
    ...                        "target": ["MYC", "MYC"]})
    >>> wells = pd.DataFrame({"well": ["A1", "A2"], "sample": ["Sample 1", "s2"],
    ...                       "target": ["MYC", "MYC"]})
    >>> check_layout(wells, layout, where="layout.csv")
    Traceback (most recent call last):
    ...
    qpcr.errors.LayoutMismatchError: layout.csv: sample names disagree between export and layout
    in 1 well(s): A1: export 'Sample 1' vs layout 's1'; expected the same sample in each well ...
    >>> check_layout(wells, layout, sample_names="layout")  # the layout's names are used
    """
    if "well" not in wells or "well" not in layout:
        return
    keys = ["plate", "well"] if "plate" in layout and "plate" in wells else ["well"]
    if "target" in layout and layout.duplicated(keys).any():
        keys = [*keys, "target"]  # multiplex: a target the export lacks has no data (warned)
    samples = sample_names == "check"
    for plate in _plates(wells, layout, keys):
        mine, theirs = _part(wells, plate), _part(layout, plate)
        targets, names, absent = _differences(mine, theirs, keys, samples)
        if not (targets or names or absent):
            continue
        on = f" of plate '{plate}'" if plate is not None else ""
        swap = _pairing_hint(wells, layout, keys, samples, plate)
        if targets:
            raise LayoutMismatchError(
                f"targets disagree between export and layout in {len(targets)} well(s){on}: "
                f"{listed(targets, _SHOWN)}; expected the same target in each well",
                where=where,
                hint=swap or "Fix the layout, or map export names with [aliases] in the settings",
            )
        if names:
            raise LayoutMismatchError(
                f"sample names disagree between export and layout in {len(names)} well(s){on}: "
                f"{listed(names, _SHOWN)}; expected the same sample in each well (compared "
                "ignoring letter case and spaces)",
                where=where,
                hint=swap
                or "If the export holds placeholder names (Sample 1, S1) that the layout "
                'replaces, set sample_names = "layout" (--sample-names layout); to keep the '
                'export\'s names, sample_names = "export"',
            )
        known = ", ".join(dict.fromkeys(mine["target"].dropna().astype(str)))
        raise LayoutMismatchError(
            f"the layout names target(s) {listed(absent, _SHOWN)} that do not occur in the "
            f"export{on}; expected targets of the export ({known})",
            where=where,
            hint=swap or "Fix the layout, or map export names with [aliases] in the settings",
        )


def join_layout(
    wells: pd.DataFrame, layout: pd.DataFrame, where: str = "layout", sample_names: str = "check"
) -> tuple[pd.DataFrame, list[str]]:
    """Attach layout columns to the wells table.

    The layout's targets must agree with the export's (after aliases), and so must its sample
    names unless ``sample_names`` says which to use (:func:`check_layout`). Targets that differ
    only in letter case or spaces take the export's spelling. The layout wins for
    ``sample_type`` and factors, and for ``sample`` except with ``sample_names = "export"``
    (the export's names where it has them); an empty name is filled from the other table.
    With ``sample_names = "layout"`` the export's differing names are kept in a column
    ``sample_export`` (see :func:`renamed_samples`). An export that names no targets (a Design
    & Analysis Primary Analysis export: wells, dyes and Cq) takes the layout's targets.
    Wells of the export absent from the layout keep their rows with ``in_layout`` False (the QC
    step excludes them); layout wells absent from the export are reported.

    Parameters
    ----------
    wells
        The wells table of the export(s).
    layout
        The layout table (:func:`qpcr.layout.load_layout`).
    where
        The layout's name (its file) for error messages.
    sample_names
        ``"check"``, ``"layout"`` or ``"export"``, as above.

    Returns
    -------
    joined : pandas.DataFrame
        The wells with the layout's columns and ``in_layout``.
    messages : list of str
        Warnings: export wells missing from the layout, layout wells without data.

    Raises
    ------
    LayoutMismatchError
        From :func:`check_layout`.

    Examples
    --------
    >>> import pandas as pd
    >>> layout = pd.DataFrame({"well": ["A1", "A2"], "sample": ["s1", "s2"],
    ...                        "target": ["MYC", "MYC"], "treatment": ["dmso", "drug"]})
    >>> wells = pd.DataFrame({"well": ["A1", "A2", "A3"], "sample": ["S1", "s2", "s3"],
    ...                       "target": ["MYC", "MYC", "MYC"], "cq": [24.1, 22.3, 23.0]})
    >>> joined, messages = join_layout(wells, layout)
    >>> joined
      well target    cq sample treatment  in_layout
    0   A1    MYC  24.1     s1      dmso       True
    1   A2    MYC  22.3     s2      drug       True
    2   A3    MYC  23.0     s3       NaN      False
    >>> messages
    ['1 well(s) of the export are not in the layout and are excluded: A3']
    """
    read = [c for c in wells.columns if c in _READ or c in layout.columns]
    key = _join_key(wells, read, layout, sample_names)
    if key is None:
        return _join(wells, layout, where, sample_names)

    def join() -> Any:
        return _keepable(wells, read, _join(wells, layout, where, sample_names))

    kept = _JOINED.get(key, join)
    if kept is None:  # a join whose columns repeat a name: the payload cannot go back by name
        return _join(wells, layout, where, sample_names)
    part, columns, messages = kept
    return _with_payload(part, columns, wells), list(messages)


#: The wells-table columns a join reads besides the layout's own (:func:`join_layout`).
#: (``plate`` is read when the layout has one.)
_READ = frozenset({"well", "sample", "sample_type", "target", "in_layout", "sample_layout",
                   "layout_target"})  # fmt: skip

#: Joins already made, by what decides them (:func:`_join_key`): the joined table without the
#: wells' other columns, its column order and the warnings. The plates of a batch share one
#: layout and one plate map, so a few entries serve them all.
_JOINED = Kept[tuple[pd.DataFrame, list[str], list[str]] | None](size=8)


def _join_key(
    wells: pd.DataFrame, read: list[str], layout: pd.DataFrame, sample_names: str
) -> tuple[Any, ...] | None:
    """What decides :func:`join_layout`: the wells' column names, the cells of the columns it
    reads, the layout's cells and ``sample_names``; None when a column cannot be keyed
    exactly (:func:`qpcr.kept.content_key`)."""
    ours, theirs = content_key(wells, read), content_key(layout, list(layout.columns))
    if ours is None or theirs is None:
        return None
    return sample_names, tuple(wells.columns), ours, theirs


def _keepable(
    wells: pd.DataFrame, read: list[str], made: tuple[pd.DataFrame, list[str]]
) -> tuple[pd.DataFrame, list[str], list[str]] | None:
    """What :data:`_JOINED` keeps of a join: the table without the wells' columns that the
    join does not read, its column order and the warnings; None when its columns repeat a
    name."""
    joined, messages = made
    if joined.columns.has_duplicates:
        return None
    payload = [c for c in wells.columns if c not in read]
    return joined.drop(columns=payload), list(joined.columns), list(messages)


def _with_payload(part: pd.DataFrame, columns: list[str], wells: pd.DataFrame) -> pd.DataFrame:
    """A cached join (``part``) with the wells' columns that the join does not read put back
    where ``columns`` has them."""
    joined = part.copy(deep=False)
    for i, name in enumerate(columns):
        if name not in part:
            joined.insert(i, name, wells[name].array)
    return joined


def _join(
    wells: pd.DataFrame, layout: pd.DataFrame, where: str, sample_names: str
) -> tuple[pd.DataFrame, list[str]]:
    """:func:`join_layout` without its cache."""
    layout = _export_spelling(layout, wells)
    check_layout(wells, layout, where, sample_names)
    keys = ["well"]
    if "plate" in layout and "plate" in wells:
        keys = ["plate", "well"]
    multiplex = "target" in layout and layout.duplicated(keys).any()
    if multiplex:
        keys = [*keys, "target"]
    lay = layout.copy()
    lay["in_layout"] = True
    if sample_names == "export" and "sample" in lay:
        lay = lay.rename(columns={"sample": "sample_layout"})
    right = lay.rename(columns={"target": "layout_target"}) if not multiplex else lay
    overlap = [c for c in right.columns if c in wells.columns and c not in keys]
    dropped = [c for c in overlap if c in ("sample", "sample_type")]
    left = wells.drop(columns=dropped) if dropped else wells
    renamed = {c: f"{c}_export" for c in overlap if c not in ("sample", "sample_type")}
    joined, position = _left_join(left.rename(columns=renamed) if renamed else left, right, keys)
    joined["in_layout"] = joined["in_layout"].fillna(False).astype(bool)
    for col in ("sample", "sample_type"):
        if col in wells and col in layout:
            empty = (joined[col].isna() | joined[col].eq("")).to_numpy()
            if empty.any():
                joined.loc[empty, col] = wells.loc[empty, col].to_numpy()
    if "sample_layout" in joined:
        named = _filled(joined["sample"])
        if not named.all():
            joined.loc[~named, "sample"] = joined.loc[~named, "sample_layout"]
        joined = joined.drop(columns="sample_layout")
    if sample_names == "layout" and "sample" in wells and "sample" in layout:
        exported = wells["sample"].to_numpy()
        differ = _filled(exported) & [
            not same_name(a, b) for a, b in zip(exported, joined["sample"], strict=True)
        ]
        if differ.any():
            joined["sample_export"] = np.where(differ, exported, "")
    if "layout_target" in joined:  # an export without target names takes the layout's
        unnamed = ~_filled(joined["target"]) & _filled(joined["layout_target"])
        if unnamed.any():
            joined.loc[unnamed, "target"] = joined.loc[unnamed, "layout_target"]
        joined = joined.drop(columns="layout_target")
    return joined, _unmatched(joined, wells, layout, keys, position)


def _unmatched(
    joined: pd.DataFrame,
    wells: pd.DataFrame,
    layout: pd.DataFrame,
    keys: list[str],
    position: np.ndarray | None,
) -> list[str]:
    """The join's warnings: export wells the layout lacks, layout wells without data.
    ``position``: the layout row of each well (:func:`_positions`), None when merged."""
    messages = []
    outside = joined["well"].to_numpy(dtype=object)[~joined["in_layout"].to_numpy(dtype=bool)]
    absent = list(dict.fromkeys(outside[~pd.isna(outside)].tolist()))
    if absent:
        messages.append(
            f"{len(absent)} well(s) of the export are not in the layout and are excluded: "
            + listed(absent)
        )
    if position is None:
        used = set(map(tuple, wells[[k for k in keys if k in wells]].astype(str).to_numpy()))
        lay_keys = layout[[k for k in keys if k in layout]].astype(str)
        missing = [" ".join(k) for k in map(tuple, lay_keys.to_numpy()) if k not in used]
    else:  # text keys, each once in the layout: the layout rows that no well took
        free = np.ones(len(layout), dtype=bool)
        free[position[position >= 0]] = False
        columns = [layout[k].to_numpy(dtype=object)[free] for k in keys]
        missing = [" ".join(k) for k in zip(*columns, strict=True)]
    if missing:
        messages.append(
            f"{len(missing)} layout well(s) have no data in the export: " + listed(missing)
        )
    return messages


def _left_join(
    left: pd.DataFrame, right: pd.DataFrame, keys: list[str]
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """``left.merge(right, on=keys, how="left", validate="many_to_one")``, as one take of the
    right's rows where the keys allow (text keys, no other shared column); and the right's
    row of each left row (:func:`_positions`; None when merged)."""
    shared = set(left.columns) & set(right.columns)
    position = _positions(left, right, keys) if shared == set(keys) else None
    if position is None:
        return left.merge(right, on=keys, how="left", validate="many_to_one"), None
    rows = pd.RangeIndex(len(left))
    taken = right.drop(columns=keys).reset_index(drop=True).reindex(position).set_axis(rows)
    return pd.concat([left.set_axis(rows), taken], axis=1), position


def _export_spelling(layout: pd.DataFrame, wells: pd.DataFrame) -> pd.DataFrame:
    """The layout with each target spelled as in the export when they differ only in case or
    spaces (so that a multiplex layout joins on target)."""
    if "target" not in layout or "target" not in wells:
        return layout
    spelling = {_name_key(t): t for t in dict.fromkeys(_present(wells["target"]))}
    values = layout["target"].tolist()
    keys = _name_keys(values)
    targets = [spelling.get(k, t) if t else t for t, k in zip(values, keys, strict=True)]
    return layout.assign(target=targets)


def renamed_samples(joined: pd.DataFrame) -> tuple[list[str], list[dict[str, object]]]:
    """The renaming that ``sample_names = "layout"`` did, as a note and QC events.

    One ``sample_renamed`` event (severity info) per plate × export name × layout name, with
    the wells it covers; the note lists the pairs.

    Parameters
    ----------
    joined
        The table :func:`join_layout` returned.

    Returns
    -------
    notes : list of str
        One note, or none when nothing was renamed.
    events : list of dict
        QC events (:func:`qpcr.qc.event_table` rows).

    Examples
    --------
    >>> import pandas as pd
    >>> layout = pd.DataFrame({"well": ["A1", "A2"], "sample": ["s1", "s2"],
    ...                        "target": ["MYC", "MYC"]})
    >>> wells = pd.DataFrame({"well": ["A1", "A2"], "sample": ["Sample 1", "Sample 2"],
    ...                       "target": ["MYC", "MYC"]})
    >>> joined, _ = join_layout(wells, layout, sample_names="layout")
    >>> notes, events = renamed_samples(joined)
    >>> print(notes[0])
    sample names of 2 well(s) taken from the layout instead of the export
    (sample_names = "layout"): 'Sample 1' → 's1', 'Sample 2' → 's2'
    >>> [(e["code"], e["well"], e["sample"]) for e in events]
    [('sample_renamed', 'A1', 's1'), ('sample_renamed', 'A2', 's2')]
    """
    if "sample_export" not in joined:
        return [], []
    cols = [c for c in ("plate", "sample_export", "sample") if c in joined]
    hit = joined[joined["sample_export"].ne("")]
    events, pairs = [], []
    for key, part in hit.groupby(cols, sort=False):
        plate, old, new = key if len(cols) == 3 else ("", *key)
        wells = list(dict.fromkeys(part["well"].astype(str)))
        pairs.append(f"'{old}' → '{new}'")
        events.append(
            {"plate": plate, "well": ", ".join(wells), "sample": new, "target": "",
             "code": "sample_renamed", "severity": "info", "value": float(len(wells)),
             "threshold": np.nan,
             "message": f"sample '{old}' of the export named '{new}' by the layout in "
             f"{len(wells)} well(s) (sample_names = \"layout\")"}
        )  # fmt: skip
    n_wells = len(hit.drop_duplicates([c for c in ("plate", "well") if c in hit]))
    note = (
        f"sample names of {n_wells} well(s) taken from the layout instead of the export "
        f'(sample_names = "layout"): ' + listed(list(dict.fromkeys(pairs)))
    )
    return [note], events
