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

import pandas as pd

from .calibrator import calibrator_sample
from .config import AnalysisConfig
from .errors import ConfigError, did_you_mean
from .schema import TABLES, Column

__all__ = ["NOT_FACTORS", "check_names"]

#: Wells-table columns that are not design factors: every column the wells schema declares
#: (:data:`qpcr.schema.TABLES`), the working columns the engine drops before writing
#: (``cq_used``, ``in_layout``) and the layout's bookkeeping (grid position, the export's own
#: plate and well names, the inter-run-calibrator mark).
NOT_FACTORS = frozenset(
    {c.name for c in TABLES["wells"].columns if isinstance(c, Column)}
    | {"cq_used", "in_layout", "row", "col", "plate_export", "well_export", "irc"}
)


TARGETS = "is not among the targets measured"


def _require(
    names: Iterable[str],
    known: Sequence[str],
    what: str,
    where: str,
    absent: str = "is not in the data",
) -> None:
    """Refuse the first of ``names`` not in ``known``; ``what`` is a template such as
    ``"reference gene '{}'"``."""
    for name in names:
        if name not in known:
            listed = ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
            raise ConfigError(
                f"{what.replace('{}', name)} {absent}; expected one of {listed or 'none'}",
                where=where,
                hint=did_you_mean(name, known),
            )


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
    unkn = wells[wells["sample_type"].eq("unkn")] if "sample_type" in wells else wells
    columns = [c for c in wells.columns if c not in NOT_FACTORS]
    if config.replicate is not None:
        _require([config.replicate], columns, "replicate column '{}'", config.where("replicate"))
    factors = [c for c in columns if c != config.replicate]
    control = config.control
    if "sample" in control:  # one calibrator sample (qpcr.calibrator checks its name)
        calibrator_sample(config)
        control = {}
    sides = [(config.where("control"), control)]
    for c in config.contrasts:
        where = f"{config.where('contrasts')} '{c.name}'"
        sides += [(f"{where} numerator", c.numerator), (f"{where} denominator", c.denominator)]
    for where, spec in sides:
        _require(spec, factors, "factor '{}'", where)
        for factor, level in spec.items():
            levels = list(dict.fromkeys(unkn[factor].astype(str)))
            _require([level], levels, "level '{}' of factor '" + factor + "'", where)

    measured = list(dict.fromkeys(unkn["target"].astype(str)))
    every = list(dict.fromkeys(wells["target"].astype(str)))
    if config.reference_genes != ("auto",):
        _require(
            config.reference_genes,
            measured,
            "reference gene '{}'",
            config.where("reference_genes"),
            TARGETS,
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
        "efficiency of '{}'",
        config.where("efficiency"),
        "names no target of the data",
    )
    _require(
        config.assay_single_copy_cq,
        every,
        "single-copy Cq of '{}'",
        config.where("assay_single_copy_cq"),
        "names no target of the data",
    )
    for name, pair in config.ratios.items():
        _require(
            pair, measured, "target '{}' of ratio '" + name + "'", config.where("ratios"), TARGETS
        )
    named = unkn["sample"].astype(str) if "sample" in unkn else pd.Series([], dtype=str)
    samples = [s for s in dict.fromkeys(named) if s not in ("", "nan")]
    if samples:
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
