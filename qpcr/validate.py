"""Every name in the settings checked against the data, in one place (methods.md §1 step 1).

:func:`check_names` runs once, right after the layout join: each factor and level of the
control group and of every contrast side, the replicate column, each target named by the
reference and candidate genes, the ratios, the efficiencies and the single-copy Cq values, and
each inter-run calibrator must occur in the data. A name that does not is a
:class:`~qpcr.errors.ConfigError` that names it, says where in the settings it stands and
suggests the nearest name of the data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from .calibrator import calibrator_sample
from .config import AnalysisConfig
from .errors import ConfigError, did_you_mean
from .schema import TABLES, Column, Slot
from .schema.wells import text_cells, unknown_rows

__all__ = ["NOT_FACTORS", "PER_TARGET", "RESERVED", "check_names", "entries", "on_plate"]

#: Wells-table columns that are not design factors: every column the wells schema declares
#: (:data:`qpcr.schema.TABLES`), the working columns the engine drops before writing
#: (``cq_used``, ``in_layout``) and the layout's bookkeeping (grid position, the export's own
#: plate and well names, the inter-run-calibrator mark).
NOT_FACTORS = frozenset(
    {c.name for c in TABLES["wells"].columns if isinstance(c, Column)}
    | {"cq_used", "in_layout", "row", "col", "plate_export", "well_export", "irc"}
)

#: Names a design factor or the biological-replicate column cannot take: the columns of the
#: tables that carry the design beside their own (a factor named ``n`` would give
#: fold_changes.csv two ``n`` columns) and the engine's working columns of the biological units
#: and the model tables (``unit``, ``item``, ``n_samples``, ``name``, ``term``).
RESERVED = frozenset(
    {name for t in TABLES.values() if any(isinstance(c, Slot) for c in t.columns)
     for name in t.names()} | {"unit", "item", "n_samples", "name", "term"}
)  # fmt: skip

TARGETS = "is not among the targets measured"

#: The settings whose entries apply where their targets are, when the plates of a batch share
#: the settings (:func:`on_plate`): setting → what one entry is, in messages.
PER_TARGET = {
    "efficiency": "efficiency of '{}'",
    "assay_single_copy_cq": "single-copy Cq of '{}'",
    "ratios": "ratio '{}'",
}
#: The hint after a name a plate lacks under shared settings (``{}``: the name).
_OWN_SETTINGS = (
    "If '{}' is a target of other plates, give this plate settings of its own (a manifest "
    "row's config)"
)


#: Where :func:`qpcr.batch.run_batch` names its ``overrides`` given without ``origins``.
OVERRIDES = "overrides"


def _shared_hint(config: AnalysisConfig, setting: str) -> str:
    """The hint after a name a plate lacks when the plates of a batch share the settings
    (``{}``: the name; empty otherwise): settings of its own, unless the setting was given
    as an option or a batch's override, which sets it on every plate whatever the plate's own
    settings say."""
    if not config.shared:
        return ""
    origin = dict(config.origins).get(setting, "")
    if not (origin.startswith("-") or origin == OVERRIDES):
        return _OWN_SETTINGS
    given = (f"with {origin}, which applies" if origin.startswith("-")
             else "in the batch's overrides, which apply")  # fmt: skip
    return (
        f"If '{{}}' is a target of other plates, give {setting} in each plate's settings (a "
        f"manifest row's config) rather than {given} to every plate"
    )


def _design_hint(config: AnalysisConfig) -> str:
    """The hint after a contrast naming a factor the control group does not: the design
    factors are the control's; ``--control`` replaces the settings file's whole table."""
    where = config.where("control")
    named = (f"{where} names, which replaces the settings file's whole [control] table"
             if where.startswith("-") else f"the control group names ({where})")  # fmt: skip
    return (
        f"The design factors are those {named}: give the control level of '{{}}' there too, "
        "or leave the factor out of the contrast"
    )


def _require(
    names: Iterable[str],
    known: Sequence[str],
    what: str,
    where: str,
    absent: str = "is not in the data",
    then: str = "",
) -> None:
    """Refuse the first of ``names`` not in ``known``; ``what`` is a template such as
    ``"reference gene '{}'"``; ``then`` (a template too) follows the did-you-mean hint."""
    for name in names:
        if name not in known:
            listed = ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
            hints = (did_you_mean(name, known), then.replace("{}", name))
            raise ConfigError(
                f"{what.replace('{}', name)} {absent}; expected one of {listed or 'none'}",
                where=where,
                hint=" ".join(hint for hint in hints if hint),
            )


def _refuse_reserved(config: AnalysisConfig) -> None:
    """Refuse a design factor (a key of ``[control]``) or the replicate column named like a
    column qpcr writes or works with (:data:`RESERVED`)."""
    named = [(f, "factor", config.where("control")) for f in config.control if f != "sample"]
    if config.replicate is not None:
        named.insert(0, (config.replicate, "replicate column", config.where("replicate")))
    for name, what, where in named:
        if name in RESERVED:
            raise ConfigError(
                f"{what} '{name}' has the name of a column qpcr writes or works with; expected "
                "another name",
                where=where,
                hint=f"Rename the layout column (e.g. '{name}_id') and where the settings name it",
            )


def _distinct_texts(column: pd.Series, rows: np.ndarray | None = None) -> list[str]:
    """A column's distinct values as text (``astype(str)``), in the order they first appear,
    of the rows a mask picks (None: all). The cells as a list first (iterating a text Series
    costs a Python call a cell); a column of text only is its own text, and is not
    selected as a Series."""
    cells = text_cells(column)
    if cells is not None:
        return list(dict.fromkeys((cells if rows is None else cells[rows]).tolist()))
    return list(dict.fromkeys((column if rows is None else column[rows]).astype(str).tolist()))


def check_names(
    wells: pd.DataFrame, config: AnalysisConfig, export_targets: Iterable[str] = ()
) -> list[str]:
    """Check every name the settings use against the wells table (layout joined, aliases
    applied); raise :class:`ConfigError` for the first unknown one.

    ``export_targets`` are the target names as read, before ``[aliases]`` renamed them. An alias
    that matches none of them renames nothing; a settings file shared by several panels holds
    such aliases, and any setting that relies on the renamed name is refused here anyway, so
    an unused alias is returned as a warning, not refused.

    Parameters
    ----------
    wells
        The wells table, layout joined and ``[aliases]`` applied.
    config
        The analysis settings.
    export_targets
        The target names as the exports spell them (before ``[aliases]``).

    Returns
    -------
    list of str
        Warnings: aliases that rename no exported target.

    Raises
    ------
    ConfigError
        The first name of the settings that the data lack, with the nearest name as a hint.

    Examples
    --------
    >>> import pandas as pd
    >>> from qpcr.config import from_mapping
    >>> wells = pd.DataFrame({"sample": ["n1", "n1", "h1", "h1"], "sample_type": "unkn",
    ...     "target": ["GAPDH", "MYC", "GAPDH", "MYC"],
    ...     "oxygen": ["normoxia", "normoxia", "hypoxia", "hypoxia"]})
    >>> config = from_mapping({"reference_genes": ["GAPDH"], "control": {"oxygen": "normoxia"},
    ...                        "aliases": {"Myc": "MYC"}})
    >>> check_names(wells, config, export_targets=["GAPDH", "MYC"])
    ["settings [aliases]: 'Myc' renames no target of the exports"]
    >>> check_names(wells, from_mapping({"reference_genes": ["GAPHD"]}))
    Traceback (most recent call last):
    ...
    qpcr.errors.ConfigError: settings reference_genes: reference gene 'GAPHD' is not among the
    targets measured; expected one of GAPDH, MYC. did you mean 'GAPDH'?
    """
    unknown = unknown_rows(wells)
    _refuse_reserved(config)
    columns = [c for c in wells.columns if c not in NOT_FACTORS]
    if config.replicate is not None:
        _require([config.replicate], columns, "replicate column '{}'", config.where("replicate"))
    factors = [c for c in columns if c != config.replicate]
    control = config.control
    if "sample" in control:  # one calibrator sample (qpcr.calibrator checks its name)
        calibrator_sample(config)
        control = {}
    sides = [(config.where("control"), control, factors, "")]
    compared = list(control) or factors  # a contrast compares groups of the control's factors
    then = _design_hint(config)
    for c in config.contrasts:
        where = f"{config.where('contrasts')} '{c.name}'"
        sides += [
            (f"{where} {side}", spec, compared, then)
            for side, spec in (("numerator", c.numerator), ("denominator", c.denominator))
        ]
    levels: dict[str, list[str]] = {}  # each factor's levels, once
    for where, spec, design_factors, then in sides:
        _require(spec, factors, "factor '{}'", where)
        _require(spec, design_factors, "factor '{}'", where, "is not a design factor", then)
        for factor, level in spec.items():
            if factor not in levels:
                levels[factor] = _distinct_texts(wells[factor], unknown)
            _require([level], levels[factor], "level '{}' of factor '" + factor + "'", where)

    measured = _distinct_texts(wells["target"], unknown)
    every = _distinct_texts(wells["target"])
    if config.reference_genes != ("auto",):
        hint = _shared_hint(config, "reference_genes")
        _require(
            config.reference_genes,
            measured,
            "reference gene '{}'",
            config.where("reference_genes"),
            TARGETS,
            hint and "A plate without its reference genes cannot be normalised. " + hint,
        )
    _require(
        config.candidate_genes,
        measured,
        "candidate gene '{}'",
        config.where("candidate_genes"),
        TARGETS,
    )
    _require(
        config.efficiency,
        every,
        PER_TARGET["efficiency"],
        config.where("efficiency"),
        "names no target of the data",
        _shared_hint(config, "efficiency"),
    )
    _require(
        config.assay_single_copy_cq,
        every,
        PER_TARGET["assay_single_copy_cq"],
        config.where("assay_single_copy_cq"),
        "names no target of the data",
        _shared_hint(config, "assay_single_copy_cq"),
    )
    for name, pair in config.ratios.items():
        what = "target '{}' of ratio '" + name + "'"
        hint = _shared_hint(config, "ratios")
        _require(pair, measured, what, config.where("ratios"), TARGETS, hint)
    named = _distinct_texts(wells["sample"], unknown) if "sample" in wells else []
    samples = [s for s in named if s not in ("", "nan")]
    if samples and config.irc_samples:
        unkn = wells if unknown is None else wells[unknown]
        _require(
            config.irc_samples,
            samples,
            "inter-run calibrator '{}'",
            config.where("irc_samples"),
            "is not a sample name of the data",
        )
        design = unkn[[c for c in config.control if c in unkn]].astype(str)
        in_design = unkn["sample"].astype(str)[~design.isin(["", "nan"]).all(axis=1)]
        for name in config.irc_samples:
            if name in set(in_design):
                raise ConfigError(
                    f"inter-run calibrator '{name}' is also a sample of the design; expected "
                    "a calibrator outside the compared groups",
                    where=config.where("irc_samples"),
                    hint="Measure a separate calibrator sample on every plate, or remove it "
                    "from irc_samples (one plate needs none)",
                )
    exported = set(map(str, export_targets))
    return [
        f"{config.where('aliases')}: '{name}' renames no target of the exports"
        + (f" ({hint})" if (hint := did_you_mean(name, exported - {alias})) else "")
        for name, alias in config.aliases.items()  # the name it renames to is no suggestion
        if exported and name not in exported
    ]


def entries(config: AnalysisConfig) -> dict[tuple[str, str], tuple[str, ...]]:
    """The entries of the :data:`PER_TARGET` settings and the targets each needs.

    Parameters
    ----------
    config
        The analysis settings.

    Returns
    -------
    dict
        (setting, entry name) → the targets: one for a table entry, two for a ratio.

    Examples
    --------
    >>> from qpcr.config import from_mapping
    >>> entries(from_mapping({"efficiency": {"MYC": 1.9}, "ratios": {"A/B": ["A", "B"]}}))
    {('efficiency', 'MYC'): ('MYC',), ('ratios', 'A/B'): ('A', 'B')}
    """
    return {
        **{("efficiency", name): (name,) for name in config.efficiency},
        **{("assay_single_copy_cq", name): (name,) for name in config.assay_single_copy_cq},
        **{("ratios", name): pair for name, pair in config.ratios.items()},
    }


def on_plate(wells: pd.DataFrame, config: AnalysisConfig) -> tuple[AnalysisConfig, list[str]]:
    """The settings as they apply to one plate, when the plates of a batch share them
    (``config.shared``; otherwise ``config`` unchanged).

    A lab runs one settings file over plates of different panels: an entry of
    ``[efficiency]`` or ``[assay_single_copy_cq]`` naming a target this plate lacks, or a ratio
    of such a target, is left out here with a note, and applies to the plates that measure
    it. A misspelling is not hidden: an entry is kept when the plate holds a near spelling of
    its target (one the setting does not name itself), so that :func:`check_names` refuses it
    with "did you mean"; a name on no plate of the batch is refused after the batch
    (:func:`qpcr.batch.run_batch`).

    Parameters
    ----------
    wells
        The wells table, layout joined and ``[aliases]`` applied.
    config
        The analysis settings.

    Returns
    -------
    tuple
        The settings without the entries of absent targets, and a note for each.

    Examples
    --------
    >>> from dataclasses import replace
    >>> from qpcr.config import from_mapping
    >>> wells = pd.DataFrame({"sample": ["n1", "n1"], "sample_type": "unkn",
    ...                       "target": ["GAPDH", "MYC"]})
    >>> shared = replace(from_mapping({"efficiency": {"MYC": 1.9, "VEGFA": 1.95}}), shared=True)
    >>> applied, notes = on_plate(wells, shared)
    >>> applied.efficiency, notes
    ({'MYC': 1.9}, ["settings [efficiency]: efficiency of 'VEGFA' not applied: VEGFA is not on \
this plate (it applies to the plates that measure it)"])
    >>> on_plate(wells, replace(shared, efficiency={"MYCC": 1.9}))[0].efficiency  # near 'MYC'
    {'MYCC': 1.9}
    """
    if not config.shared:
        return config, []
    every = set(_distinct_texts(wells["target"]))
    measured = set(_distinct_texts(wells["target"], unknown_rows(wells)))
    given = entries(config)
    named = {s: {t for (each, _), ts in given.items() if each == s for t in ts} for s in PER_TARGET}
    kept: dict[str, dict[str, Any]] = {s: dict(getattr(config, s)) for s in PER_TARGET}
    notes = []
    for (setting, name), targets in given.items():
        on = measured if setting == "ratios" else every
        missing = [t for t in targets if t not in on]
        if not missing or any(did_you_mean(t, sorted(on - named[setting])) for t in missing):
            continue  # applies here, or a misspelling that check_names refuses
        del kept[setting][name]
        absent = " and ".join(missing) + (" are" if len(missing) > 1 else " is")
        notes.append(
            f"{config.where(setting)}: {PER_TARGET[setting].format(name)} not applied: {absent} "
            "not on this plate (it applies to the plates that measure it)"
        )
    applied = replace(config, efficiency=kept["efficiency"], ratios=kept["ratios"],
                      assay_single_copy_cq=kept["assay_single_copy_cq"])  # fmt: skip
    return applied, notes
