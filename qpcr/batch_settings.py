"""Which plates each per-target entry of a batch's settings applied to (``qpcr batch``).

Settings the plates of a batch share apply an ``[efficiency]``, ``[assay_single_copy_cq]`` or
``[ratios]`` entry to the plates that measure its target (:func:`qpcr.validate.on_plate`).
Each plate reports, per entry, whether it applied there (:func:`applied_entries`); the batch
gathers them into a :class:`Reach` per entry, refuses an entry that applied to no plate
(:func:`unmatched_entries`), says which plates lacked the others (:func:`partial_entries`) and
writes every entry to ``settings_applied.csv`` (:func:`write_reach`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .config import AnalysisConfig
from .errors import ConfigError, listed

__all__ = ["Applied", "Reach", "applied_entries", "partial_entries", "unmatched_entries",
           "write_reach"]  # fmt: skip

#: An entry on one plate: (key: source, setting, name), where it was given, the entry's text,
#: whether it applied on the plate.
Applied = tuple[tuple[str, str, str], str, str, bool]


@dataclass
class Reach:
    """An entry of the per-target settings over a batch: where it was given, the entry, the
    plates analysed with it and those (names) it did not apply to."""

    where: str
    entry: str
    plates: int = 0
    missed: list[str] = field(default_factory=list)

    @property
    def applied(self) -> int:
        """The plates it applied to."""
        return self.plates - len(self.missed)


def applied_entries(given: AnalysisConfig, used: AnalysisConfig) -> tuple[Applied, ...]:
    """(key, where, entry, applied) for each entry of the per-target settings ``given`` to a
    plate (:func:`qpcr.validate.entries`): whether the settings ``used`` on it kept the entry.
    The key (source, setting, name) names a settings file by its resolved path, so one file
    reached two ways (``--config`` and a manifest row) is one source.

    Examples
    --------
    >>> from dataclasses import replace
    >>> given = AnalysisConfig(efficiency={"VEGFA": 1.95, "BMP2": 1.9})
    >>> for entry in applied_entries(given, replace(given, efficiency={"BMP2": 1.9})):
    ...     print(entry)
    (('', 'efficiency', 'VEGFA'), 'settings [efficiency]', "efficiency of 'VEGFA'", False)
    (('', 'efficiency', 'BMP2'), 'settings [efficiency]', "efficiency of 'BMP2'", True)
    """
    from .validate import PER_TARGET, entries

    kept = entries(used)
    source = given.source
    if source and Path(source).is_file():
        source = str(Path(source).resolve())
    origins = dict(given.origins)
    return tuple(((origins.get(s, source), s, n), given.where(s), PER_TARGET[s].format(n),
                  (s, n) in kept) for s, n in entries(given))  # fmt: skip


def unmatched_entries(seen: Iterable[Reach]) -> list[ConfigError]:
    """The entries of the settings that applied to none of the plates analysed with them: a
    misspelling, or a target no plate measures (settings a manifest row names count only the
    plates of its rows).

    Examples
    --------
    >>> reach = Reach("analysis.toml [efficiency]", "efficiency of 'XYZ'", 3, ["a", "b", "c"])
    >>> print(unmatched_entries([reach])[0].message)
    efficiency of 'XYZ' applied to none of the 3 plate(s) analysed; expected its target(s) on
    at least one plate
    """
    return [
        ConfigError(
            f"{reach.entry} applied to none of the {reach.plates} plate(s) analysed; expected "
            "its target(s) on at least one plate",
            where=reach.where,
            hint="Check the name against the targets of the plates (wells.csv), or remove it",
        )
        for reach in seen
        if not reach.applied
    ]


def partial_entries(seen: Iterable[Reach], shown: int = 3) -> Iterator[str]:
    """A line for each entry left out on some of the plates analysed with it (not all): how
    many it applied to and the first ``shown`` plates it did not.

    Examples
    --------
    >>> missed = ["p7", "p9", "p12", "p30"]
    >>> reach = Reach("analysis.toml [efficiency]", "efficiency of 'VEGFA'", 200, missed)
    >>> print(*partial_entries([reach, Reach("--efficiency", "efficiency of 'TBP'", 200)]))
    analysis.toml [efficiency]: efficiency of 'VEGFA' applied to 196 of 200 plate(s); not on
    p7, p9, p12 ... and 1 more (target absent; see settings_applied.csv)
    """
    for reach in seen:
        if reach.applied and reach.missed:
            names = listed(reach.missed, shown)
            yield (
                f"{reach.where}: {reach.entry} applied to {reach.applied} of {reach.plates} "
                f"plate(s); not on {names} (target absent; see settings_applied.csv)"
            )


def write_reach(path: Path, seen: Iterable[Reach]) -> None:
    """``settings_applied.csv``: each entry, the plates analysed with it, those it applied to
    and those it did not (:data:`qpcr.schema.TABLES`).

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "settings_applied.csv"
    >>> write_reach(path, [Reach("--efficiency", "efficiency of 'VEGFA'", 3, ["p2"])])
    >>> print(path.read_text(encoding="utf-8"))
    setting,entry,plates,applied,not_applied
    '--efficiency,efficiency of 'VEGFA',3,2,p2
    <BLANKLINE>
    >>> folder.cleanup()
    """
    from .report.safe import escape_cell
    from .schema import TABLES

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(TABLES["settings_applied"].names())
        for reach in seen:
            writer.writerow([escape_cell(reach.where), escape_cell(reach.entry), reach.plates,
                             reach.applied, escape_cell(";".join(reach.missed))])  # fmt: skip
