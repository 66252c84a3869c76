"""The analysis settings, declared once: one field of :class:`AnalysisConfig` per setting.

A field's type is the setting's type; a choice setting's type is a ``Literal``: the one of
:mod:`qpcr.vocabularies` for a choice a module implements (``Test``, ``Adjust``,
``ContrastMethod``, ``Policy``, ``Estimate``, ``OutlierRule``), else one written on the field
(``decimal``; ``| None``: may be unset); :func:`choices` reads it. Its
``metadata`` carries the help text, the CLI option (``option``: the canonical spelling first,
then short forms; ``aliases``: older spellings, accepted but not shown), a short ``metavar``,
the ``unit`` and numeric ``bounds``.
The TOML key is the field name. Everything else is derived: TOML parsing and validation
(:mod:`qpcr.config`), the CLI options, the README table, the template's Settings sheet.

This module stays light (no numpy or pandas: every command's ``--help`` reads it and lists
the choices). :data:`SETTINGS` describes a choice setting's shape as ``str`` (``str | None``
when it may be unset).
"""

import json
import re
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from typing import Any, Literal, get_args, get_origin, get_type_hints

from .errors import ConfigError
from .vocabularies import Adjust, ContrastMethod, Estimate, OutlierRule, Policy, Test

__all__ = [
    "SETTINGS",
    "AnalysisConfig",
    "Contrast",
    "Setting",
    "choices",
    "listed",
    "option_value",
]


@dataclass(frozen=True)
class Contrast:
    """An extra comparison: the group matching ``numerator`` against ``denominator``."""

    name: str
    numerator: dict[str, str]
    denominator: dict[str, str]


def _meta(
    help: str,
    *option: str,
    metavar: str = "",
    unit: str = "",
    aliases: tuple[str, ...] = (),
    bounds: tuple[float | None, float | None] = (None, None),
) -> dict[str, Any]:
    """The metadata of a setting's field (see the module docstring)."""
    return {"help": help, "option": option, "aliases": aliases, "metavar": metavar,
            "unit": unit, "bounds": bounds}  # fmt: skip


@dataclass(frozen=True)
class AnalysisConfig:
    """Resolved analysis settings: one field per setting (README "Settings"); ``source`` names
    where they were read (file, template sheet), for provenance and messages."""

    # fmt: off
    reference_genes: tuple[str, ...] = field(default=(), metadata=_meta(
        "Reference gene(s): the geometric mean of their quantities normalises each sample; "
        "'auto' takes the best geNorm pair among the candidate genes.",
        "--reference-genes", "-r", metavar="GENE,...", aliases=("--reference",)))
    candidate_genes: tuple[str, ...] = field(default=(), metadata=_meta(
        "Candidate reference genes for the stability analysis (geNorm, NormFinder, BestKeeper).",
        "--candidate-genes", metavar="GENE,...", aliases=("--candidates",)))
    irc_samples: tuple[str, ...] = field(default=(), metadata=_meta(
        "Inter-run calibrator samples measured on every plate.",
        "--irc-samples", metavar="SAMPLE,..."))
    replicate: str | None = field(default=None, metadata=_meta(
        "Layout column naming the biological replicate (e.g. donor).",
        "--replicate", metavar="COLUMN"))
    control: dict[str, str] = field(default_factory=dict, metadata=_meta(
        "The control (calibrator) group: one level per factor.",
        "--control", metavar="FACTOR=LEVEL"))
    efficiency: dict[str, float] = field(default_factory=dict, metadata=_meta(
        "Amplification factor per target (2.0 = 100 %, or a percentage such as '95 %'); other "
        "targets use standard curves or 2.0.",
        "--efficiency", metavar="TARGET=E"))
    ratios: dict[str, tuple[str, str]] = field(default_factory=dict, metadata=_meta(
        "Target ratios: name = numerator target / denominator target.",
        "--ratio", metavar="NAME=NUM/DEN"))
    sample_names: Literal["check", "layout", "export"] = field(default="check", metadata=_meta(
        "Sample names in both the export and the layout: 'check' that they agree, 'layout' "
        "replaces the export's names (placeholders such as 'Sample 1'; reported), 'export' keeps "
        "them. Empty names are always filled from the other.",
        "--sample-names", metavar="WHICH"))
    aliases: dict[str, str] = field(default_factory=dict, metadata=_meta(
        "Renaming: target name in the export = name in the analysis.",
        "--alias", metavar="EXPORT_NAME=TARGET"))
    contrasts: tuple[Contrast, ...] = field(default=(), metadata=_meta(
        "Extra comparisons: a name, a numerator group and a denominator group (each group "
        "FACTOR=LEVEL,...).",
        "--contrast", metavar="NAME:GROUP/GROUP"))
    test: Test = field(default="auto", metadata=_meta(
        "Statistical test of each group against the control ('auto': paired when both groups "
        "hold the same biological replicates, else Welch).",
        "--test", metavar="TEST"))
    adjust: Adjust = field(default="holm", metadata=_meta(
        "Multiple-testing adjustment within each comparison, across targets and ratios.",
        "--adjust", metavar="METHOD"))
    alpha: float = field(default=0.05, metadata=_meta(
        "Significance level (confidence intervals are 1 - alpha).",
        "--alpha", metavar="ALPHA", bounds=(0.0, 1.0)))
    min_replicates: int = field(default=2, metadata=_meta(
        "Biological replicates a group needs for a test.",
        "--min-replicates", metavar="N", bounds=(2, None)))
    fail_on_controls: bool = field(default=False, metadata=_meta(
        "NTC or no-RT amplification withholds that target's results.",
        "--fail-on-controls"))
    outlier_rule: OutlierRule = field(default="poisson", metadata=_meta(
        "Technical-replicate outlier rule ('range' is resolved by the modified z-score; "
        "'poisson' widens the range to the scatter expected from Poisson sampling at low copy "
        "numbers and leaves out zero-copy non-detects).",
        "--outlier-rule", metavar="RULE"))
    outlier_threshold: float = field(default=0.5, metadata=_meta(
        "Largest spread of technical replicates (range rule; the least under 'poisson').",
        "--outlier-threshold", metavar="CYCLES", unit="cycles", bounds=(0.0, None)))
    single_copy_cq: float = field(default=35.0, metadata=_meta(
        "Cq of a well holding one template copy, for the copies a Cq implies (2^(this - Cq)) "
        "under outlier_rule = 'poisson'; assumed, for targets not under "
        "[assay_single_copy_cq].",
        "--single-copy-cq", metavar="CYCLES", unit="cycles", bounds=(0.0, None)))
    assay_single_copy_cq: dict[str, float] = field(default_factory=dict, metadata=_meta(
        "Single-copy Cq per target, measured on the assay (e.g. by qpcr.single_copy_cq on a "
        "limiting dilution); it replaces single_copy_cq for that target, and under "
        "low_copy_estimate = 'auto' the target's low-copy groups are estimated from their "
        "copies.",
        "--assay-single-copy-cq", metavar="TARGET=CYCLES", unit="cycles", bounds=(0.0, None)))
    pipetting_sd: float = field(default=0.08, metadata=_meta(
        "Technical SD of replicates at high copy numbers (pipetting floor), under "
        "outlier_rule = 'poisson'.",
        "--pipetting-sd", metavar="CYCLES", unit="cycles", bounds=(0.0, None)))
    low_copy_estimate: Estimate = field(default="auto", metadata=_meta(
        "Cq of the replicate groups (without a censored well) of a target with a group at most "
        "10 copies per well, under outlier_rule = 'poisson': 'poisson' takes Cq₁ − log_E of a "
        "group's copies per well, (Σ E^(Cq₁ − Cq) + ½)/n over its amplified and zero-copy "
        "wells, unbiased where the mean Cq is not; 'mean_cq' averages its Cq values; 'auto' "
        "is 'poisson' for the targets whose single-copy Cq was measured (listed under "
        "[assay_single_copy_cq]) and 'mean_cq' for the others, whose Cq₁ is only assumed.",
        "--low-copy-estimate", metavar="HOW"))
    keep_outliers: bool = field(default=False, metadata=_meta(
        "Flag technical-replicate outliers but keep them.",
        "--keep-outliers"))
    nondetect_policy: Policy = field(default="censor", metadata=_meta(
        "Non-detects: 'censor' at the cycle limit and report bounds, 'exclude', or "
        "'substitute' the limit (sensitivity analysis).",
        "--nondetect-policy", metavar="POLICY"))
    nondetect_limit: float = field(default=40.0, metadata=_meta(
        "Cycle limit: a Cq at or beyond it is a non-detect.",
        "--nondetect-limit", metavar="CYCLES", unit="cycles", bounds=(0.0, None)))
    ntc_margin: float = field(default=5.0, metadata=_meta(
        "No-template controls must be this many cycles above the samples.",
        "--ntc-margin", metavar="CYCLES", unit="cycles"))
    use_curve_efficiency: bool = field(default=True, metadata=_meta(
        "Take efficiencies from standard curves when not given.",
        "--use-curve-efficiency"))
    efficiency_source: Literal["standard_curve", "settings", "curves"] = field(
        default="standard_curve", metadata=_meta(
        "Where efficiencies not given under [efficiency] come from: 'standard_curve' the run's "
        "standard curves (under use_curve_efficiency), else 2.0; 'settings' none (2.0); "
        "'curves' the mean efficiency of each amplicon's reactions, called from the raw "
        "amplification curves (LinRegPCR), its standard error propagated.",
        "--efficiency-source", metavar="SOURCE"))
    cq_source: Literal["auto", "instrument", "linreg", "cpd2"] = field(default="auto",
        metadata=_meta(
        "Where Cq comes from: 'instrument' the export's Cq, 'linreg' or 'cpd2' called from the "
        "raw amplification curves (LinRegPCR threshold; second-derivative maximum); 'auto' the "
        "instrument's Cq when the export holds one, else linreg.",
        "--cq-source", metavar="SOURCE"))
    pooled_efficiency: bool = field(default=True, metadata=_meta(
        "One curve efficiency per target over all plates (false: each plate's own).",
        "--pooled-efficiency"))
    pairing: Literal["auto", "well", "sample"] = field(default="auto", metadata=_meta(
        "How ΔCq pairs a target with its reference genes: 'well' takes ΔCq in each well that "
        "holds both (multiplex: two reporters in one well) before averaging, 'sample' "
        "subtracts the sample's mean reference Cq, 'auto' is 'well' when every target well of "
        "the samples holds the reference genes too, else 'sample'.",
        "--pairing", metavar="HOW"))
    factorial_method: ContrastMethod = field(default="rcbd", metadata=_meta(
        "Error model of factorial contrasts ('rcbd': replicate as block).",
        "--factorial-method", metavar="METHOD"))
    decimal: Literal[".", ","] | None = field(default=None, metadata=_meta(
        "Decimal mark of the numbers in text exports and layouts (27,51 or 27.51); unset, each "
        "file's mark is detected. Give it when qpcr refuses a file whose numbers read either "
        "way (e.g. only '1,000').",
        "--decimal", metavar="MARK"))
    run: tuple[str, ...] = field(default=(), metadata=_meta(
        "Runs to read from exports holding several (RDML), by the ids 'qpcr inspect' lists; "
        "empty reads all.",
        "--run", metavar="RUN,..."))
    exclude_flags: tuple[str, ...] = field(default=(), metadata=_meta(
        "Exclude wells the instrument software flagged with these codes (Design & Analysis: "
        "BADROX, PRFDROP, HIGHSD, ...; '*' = any flag).",
        "--exclude-flags", metavar="FLAG,..."))
    figure_formats: tuple[Literal["png", "svg", "pdf"], ...] = field(default=("png",),
        metadata=_meta(
        "File formats of the figures in figures/: png (300 dpi; the workbook shows these), svg "
        "and pdf (vector, for a paper). report.html draws them inline whatever is chosen.",
        "--figure-formats", metavar="FORMAT,..."))
    # fmt: on
    source: str = field(default="", compare=False)
    #: (setting, where it was given) for the settings :meth:`with_overrides` set: a
    #: command-line option, or ``settings`` (Python); the others come from ``source``.
    origins: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)
    #: Shared by the plates of a batch (``qpcr batch`` sets it): an entry of a per-target table
    #: or a ratio naming a target a plate lacks applies to the other plates
    #: (:func:`qpcr.validate.on_plate`).
    shared: bool = field(default=False, compare=False, repr=False)

    def with_overrides(
        self, origins: Mapping[str, str] | None = None, /, **changes: Any
    ) -> "AnalysisConfig":
        """A copy with the given (non-None) settings replaced and validated.

        ``origins`` maps a setting to where it was given (the CLI passes each setting's
        option), for messages (:meth:`where`); a setting it leaves out was given in Python
        and is named ``settings``, whatever ``source`` is.

        Examples
        --------
        >>> config = AnalysisConfig(source="analysis.toml", control={"oxygen": "normoxia"})
        >>> changed = config.with_overrides({"alpha": "--alpha"}, alpha=0.01, test="welch")
        >>> changed.alpha, changed.where("alpha"), changed.where("test")
        (0.01, '--alpha', 'settings test')
        >>> config.with_overrides(alpha=2.0)
        Traceback (most recent call last):
        ...
        qpcr.errors.ConfigError: settings: 'alpha' is 2.0; expected between 0 and 1
        """
        from .config import validated

        changes = {k: v for k, v in changes.items() if v is not None}
        given = {name: (origins or {}).get(name, "settings") for name in changes}
        origin = tuple({**dict(self.origins), **given}.items())
        return validated(replace(self, origins=origin, **changes), where=self.source or "settings")

    def where(self, name: str) -> str:
        """Where setting ``name`` was given, for messages: its command-line option, else the
        settings file or sheet (``source``; ``settings`` when given in Python) and the key, a
        table's in brackets.

        Examples
        --------
        >>> config = AnalysisConfig(source="analysis.toml")
        >>> config.where("reference_genes"), config.where("control"), config.where("contrasts")
        ('analysis.toml reference_genes', 'analysis.toml [control]', 'analysis.toml [[contrasts]]')
        >>> config.with_overrides({"control": "--control"}, control={"oxygen": "hypoxia"}).where(
        ...     "control")
        '--control'
        >>> AnalysisConfig().with_overrides(control={"oxygen": "hypoxia"}).where("control")
        'settings [control]'
        """
        origin = dict(self.origins).get(name, self.source or "settings")
        if origin.startswith("-"):  # an option names its setting
            return origin
        if name == "contrasts":
            return f"{origin} [[{name}]]"
        table = get_origin(_BY_NAME[name].shape) is dict
        return f"{origin} [{name}]" if table else f"{origin} {name}"

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready form (for provenance); ``source`` included."""
        out = {s.name: _plain(getattr(self, s.name)) for s in SETTINGS}
        return {**out, "source": self.source}

    def to_toml(self) -> str:
        """A settings file that :func:`qpcr.config.load_config` reads back to an equal config."""
        scalars, tables = [], []
        for setting in SETTINGS:
            value = _plain(getattr(self, setting.name))
            if value is None:
                continue
            if setting.name == "contrasts":
                for item in value:
                    tables.append("\n[[contrasts]]")
                    tables += [f"{key} = {_toml_value(v)}" for key, v in item.items()]
            elif isinstance(value, dict) and value:
                tables.append(f"\n[{setting.name}]")
                tables += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()]
            elif isinstance(value, dict):
                continue
            else:
                scalars.append(f"{setting.name} = {_toml_value(value)}")
        return "\n".join([*scalars, *tables]) + "\n"


@dataclass(frozen=True)
class Setting:
    """One setting as the CLI, the docs and the template see it (from its field)."""

    name: str
    default: Any
    shape: Any
    help: str
    option: tuple[str, ...]
    aliases: tuple[str, ...]
    metavar: str
    unit: str
    bounds: tuple[float | None, float | None]

    @property
    def toml_key(self) -> str:
        """The key in a settings file (the field name)."""
        return self.name


def _shape(hint: Any) -> Any:
    """A field's type as :data:`SETTINGS` shows it: a ``Literal`` (a choice) reads as str."""
    if get_origin(hint) is Literal:
        return str
    if get_origin(hint) is tuple and get_origin(get_args(hint)[0]) is Literal:
        return tuple[str, ...]  # several choices
    args = get_args(hint)
    if type(None) in args and any(get_origin(a) is Literal for a in args):
        return str | None
    return hint


#: The type of each field of :class:`AnalysisConfig` (a choice setting's ``Literal``).
_TYPES: dict[str, Any] = get_type_hints(AnalysisConfig)


def _settings() -> tuple[Setting, ...]:
    out = []
    for f in fields(AnalysisConfig):
        if not f.metadata:
            continue
        default = f.default_factory() if f.default is MISSING else f.default  # type: ignore[operator]
        out.append(Setting(f.name, default, _shape(_TYPES[f.name]), **f.metadata))
    return tuple(out)


#: Every setting in declaration order (choice settings have shape ``str`` here).
SETTINGS: tuple[Setting, ...] = _settings()
_BY_NAME = {s.name: s for s in SETTINGS}


def choices(name: str) -> tuple[str, ...]:
    """The allowed values of a choice setting (empty for any other setting; unset, when the
    setting's type is ``Literal[...] | None``, is allowed besides).

    Parameters
    ----------
    name
        A settings key.

    Returns
    -------
    tuple of str
        The vocabulary, from the setting's ``Literal`` type.

    Examples
    --------
    >>> choices("nondetect_policy"), choices("reference_genes")
    (('censor', 'exclude', 'substitute'), ())
    >>> choices("decimal")
    ('.', ',')
    """
    hint = _TYPES[name]
    literal = next((t for t in (hint, *get_args(hint)) if get_origin(t) is Literal), None)
    return get_args(literal) if literal is not None else ()


def listed(allowed: tuple[str, ...]) -> str:
    """Choices for a message: ``auto, welch``; a choice that is not a word is quoted
    (``'.', ','``).

    Parameters
    ----------
    allowed
        The choices.

    Returns
    -------
    str
        The choices joined by commas.

    Examples
    --------
    >>> listed(("auto", "welch", "mann-whitney"))
    'auto, welch, mann-whitney'
    >>> print(listed((".", ",")))
    '.', ','
    """
    return ", ".join(c if re.fullmatch(r"[\w-]+", c) else f"'{c}'" for c in allowed)


def _plain(value: Any) -> Any:
    """Lists, dicts, strings and numbers only (tuples and contrasts unpacked)."""
    if isinstance(value, Contrast):
        return {"name": value.name, "numerator": value.numerator, "denominator": value.denominator}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _toml_key(key: str) -> str:
    """A bare TOML key when it can be one, else a quoted key."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_value(key)


def _toml_value(value: Any) -> str:
    """TOML for a string, number, boolean, list or (inline) table."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml_value, value)) + "]"
    pairs = (f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
    return "{ " + ", ".join(pairs) + " }"


# --------------------------------------------------------------------------------------------
# option values as typed on a command line (the syntax the metavars show)


def split_names(values: list[str]) -> list[str]:
    """Repeated and comma-separated names (``GENE,...``) as one list.

    Parameters
    ----------
    values
        The values of a repeatable option.

    Returns
    -------
    list of str
        The names, stripped, empty ones dropped.

    Examples
    --------
    >>> split_names(["GAPDH,ACTB", " B2M "])
    ['GAPDH', 'ACTB', 'B2M']
    """
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _pair(value: str, sep: str, where: str, form: str) -> tuple[str, str]:
    key, found, val = value.partition(sep)
    if not found or not key.strip() or not val.strip():
        raise ConfigError(f"'{value}' is not {form}", where=where)
    return key.strip(), val.strip()


def name_values(values: list[str], where: str, form: str = "NAME=VALUE") -> dict[str, str]:
    """``["a=b", ...]`` → ``{"a": "b"}``.

    Parameters
    ----------
    values
        The values of a repeatable option.
    where
        The option, for errors.
    form
        The expected form, for errors.

    Returns
    -------
    dict of str to str
        Name → value, stripped.

    Raises
    ------
    ConfigError
        A value without ``=``, with an empty side, or a name given twice with different values
        (which one was meant cannot be told; a settings file refuses a repeated key too).

    Examples
    --------
    >>> name_values(["oxygen=normoxia", "treatment = vehicle"], "--control")
    {'oxygen': 'normoxia', 'treatment': 'vehicle'}
    >>> name_values(["oxygen"], "--control")
    Traceback (most recent call last):
    ...
    qpcr.errors.ConfigError: --control: 'oxygen' is not NAME=VALUE
    >>> name_values(["oxygen=normoxia", "oxygen=hypoxia"], "--control")
    Traceback (most recent call last):
    ...
    qpcr.errors.ConfigError: --control: 'oxygen' is given twice ('normoxia', 'hypoxia'); ...
    """
    pairs: dict[str, str] = {}
    for value in values:
        key, val = _pair(value, "=", where, form)
        if pairs.setdefault(key, val) != val:
            raise ConfigError(
                f"'{key}' is given twice ({pairs[key]!r}, {val!r}); expected one value per name",
                where=where,
                hint=f"Give '{key}' once",
            )
    return pairs


def option_value(setting: Setting, value: Any) -> Any:
    """A setting's command-line value in settings-file form, for :func:`qpcr.config.parse_setting`.

    Parameters
    ----------
    setting
        The setting's declaration.
    value
        The option's value as typed: lists take ``NAME,...`` (repeatable); tables
        ``NAME=VALUE`` (``ratios``: ``NAME=NUM/DEN``, ``contrasts``:
        ``NAME: FACTOR=LEVEL,... / FACTOR=LEVEL,...``); anything else is as typed.

    Returns
    -------
    object
        The value as the settings file would hold it.

    Raises
    ------
    ConfigError
        A value not in the option's form.

    Examples
    --------
    >>> from qpcr.config import setting
    >>> option_value(setting("reference_genes"), ["GAPDH,ACTB"])
    ['GAPDH', 'ACTB']
    >>> option_value(setting("ratios"), ["MYC/HIF1A=MYC/HIF1A"])
    {'MYC/HIF1A': ['MYC', 'HIF1A']}
    >>> option_value(setting("contrasts"), ["drug: oxygen=hypoxia,treatment=drug / "
    ...                                     "oxygen=hypoxia,treatment=vehicle"])[0]["numerator"]
    {'oxygen': 'hypoxia', 'treatment': 'drug'}
    """
    option, shape, form = setting.option[0], setting.shape, setting.metavar
    if shape == tuple[str, ...]:
        return split_names(value)
    if shape == tuple[Contrast, ...]:
        contrasts = []
        for text in value:
            name, groups = _pair(text, ":", option, form)
            num, den = _pair(groups, "/", option, form)
            sides = [
                name_values(side.split(","), option, "FACTOR=LEVEL,...") for side in (num, den)
            ]
            contrasts.append({"name": name, "numerator": sides[0], "denominator": sides[1]})
        return contrasts
    if shape == dict[str, tuple[str, str]]:
        pairs = name_values(value, option, form).items()
        return {k: list(_pair(v, "/", option, form)) for k, v in pairs}
    if get_origin(shape) is dict:
        return name_values(value, option, form)
    return value
