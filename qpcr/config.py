"""Analysis settings: a frozen :class:`AnalysisConfig` read from TOML, overridden by CLI options.

TOML keys (all optional except where the analysis needs them)::

    reference_genes = ["ACTB", "HPRT1"]   # one or more (geometric mean), or ["auto"]: best
                                           # geNorm pair among the candidate genes
    candidate_genes = ["TBP", "RPL13A", "B2M"]  # candidates for the stability analysis
    irc_samples = ["IRC1", "IRC2"]         # inter-run calibrators measured on every plate
    replicate = "donor"                    # column naming the biological replicate
    test = "auto"                          # auto (paired if donors pair, else Welch), welch, paired
    adjust = "holm"                        # holm, bh, bonferroni, none
    alpha = 0.05
    min_replicates = 2                     # biological replicates per group needed for a test
    fail_on_controls = false               # true: NTC/NRT amplification fails the target's results
    outlier_rule = "range"                 # replicate rule: range, mad, grubbs, none
    outlier_threshold = 0.5                # cycles (range rule)
    keep_outliers = false                  # true: flag outliers without excluding them
    nondetect_policy = "censor"            # censor at the limit (bounds), exclude, substitute
    nondetect_limit = 40.0
    ntc_margin = 5.0                       # NTC must be this many cycles above the samples
    use_curve_efficiency = true            # efficiency from standard curves when not given
    pooled_efficiency = true               # one per target over plates; false: each plate's own
    factorial_method = "rcbd"              # factorial contrasts: rcbd (donor block), paired, welch
    [control]                              # the calibrator group, factor = level
    oxygen = "normoxia"
    [efficiency]                           # amplification factor (2.0 = 100 %) or "95 %"
    BMP2 = 1.94
    [ratios]                               # name = [numerator target, denominator target]
    "RANKL/OPG" = ["TNFSF11", "TNFRSF11B"]
    [aliases]                              # name in the export -> name in the analysis
    RANKL = "TNFSF11"
    [[contrasts]]                          # extra comparisons
    name = "tocilizumab under hypoxia"
    numerator = { oxygen = "hypoxia", treatment = "tocilizumab" }
    denominator = { oxygen = "hypoxia", treatment = "vehicle" }
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .curves import parse_efficiency
from .errors import ConfigError

__all__ = ["AnalysisConfig", "Contrast", "load_config", "parse_efficiency"]

TESTS = ("auto", "welch", "paired", "student", "mann-whitney", "permutation")
ADJUST_METHODS = ("holm", "bh", "bonferroni", "none")
NONDETECT_POLICIES = ("censor", "exclude", "substitute")
OUTLIER_RULES = ("range", "mad", "grubbs", "none")


@dataclass(frozen=True)
class Contrast:
    """An extra comparison: the group matching ``numerator`` against ``denominator``."""

    name: str
    numerator: dict[str, str]
    denominator: dict[str, str]


@dataclass(frozen=True)
class AnalysisConfig:
    """Resolved analysis settings (see the module docstring for the TOML form)."""

    reference_genes: tuple[str, ...] = ()
    candidate_genes: tuple[str, ...] = ()
    irc_samples: tuple[str, ...] = ()
    replicate: str | None = None
    control: dict[str, str] = field(default_factory=dict)
    efficiency: dict[str, float] = field(default_factory=dict)
    ratios: dict[str, tuple[str, str]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    contrasts: tuple[Contrast, ...] = ()
    test: str = "auto"
    adjust: str = "holm"
    alpha: float = 0.05
    min_replicates: int = 2
    fail_on_controls: bool = False
    outlier_rule: str = "range"
    outlier_threshold: float = 0.5
    keep_outliers: bool = False
    nondetect_policy: str = "censor"
    nondetect_limit: float = 40.0
    ntc_margin: float = 5.0
    use_curve_efficiency: bool = True
    pooled_efficiency: bool = True
    factorial_method: str = "rcbd"
    source: str = ""

    def with_overrides(self, **changes: Any) -> AnalysisConfig:
        """A copy with the given (non-None) settings replaced and validated."""
        changes = {k: v for k, v in changes.items() if v is not None}
        return _validated(replace(self, **changes), where=self.source or "settings")

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready form (for provenance)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "contrasts":
                value = [
                    {"name": c.name, "numerator": c.numerator, "denominator": c.denominator}
                    for c in value
                ]
            elif isinstance(value, tuple):
                value = list(value)
            elif f.name == "ratios":
                value = {k: list(v) for k, v in value.items()}
            out[f.name] = value
        return out


def _did_you_mean(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1)
    return f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(options)}"


def read_utf8(path: Path, what: str) -> str:
    """A settings-like text file (UTF-8, BOM allowed); a missing or undecodable file is a
    :class:`ConfigError` naming ``what`` and the path."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{what} not found", where=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{what} is not UTF-8 text", where=str(path)) from None


def load_config(path: str | Path) -> AnalysisConfig:
    """Read and validate a TOML settings file."""
    path = Path(path)
    text = read_utf8(path, "settings file")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"not valid TOML ({exc})",
            where=str(path),
            hint="Check quotes around names and '=' between key and value",
        ) from None
    raw = raw.get("qpcr", raw)  # settings may sit under a [qpcr] table
    return from_mapping(raw, where=str(path))


def from_mapping(raw: dict[str, Any], where: str = "settings") -> AnalysisConfig:
    """Build a config from a TOML-like mapping, validating every key."""
    known = [f.name for f in fields(AnalysisConfig) if f.name != "source"]
    for key in raw:
        if key not in known:
            hint = _did_you_mean(key, known)
            raise ConfigError(f"unknown setting '{key}'", where=where, hint=hint)
    kwargs: dict[str, Any] = {"source": where}
    for key in ("reference_genes", "candidate_genes", "irc_samples"):
        if key in raw:
            genes = raw[key]
            kwargs[key] = (genes,) if isinstance(genes, str) else tuple(map(str, genes))
    for key in ("replicate", "test", "adjust", "outlier_rule", "nondetect_policy",
                "factorial_method"):  # fmt: skip
        if key in raw:
            kwargs[key] = str(raw[key])
    if "min_replicates" in raw:
        value = raw["min_replicates"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 2:
            raise ConfigError(f"'min_replicates' must be a whole number ≥ 2, found {value!r}",
                              where=where)  # fmt: skip
        kwargs["min_replicates"] = value
    for key in ("keep_outliers", "use_curve_efficiency", "pooled_efficiency", "fail_on_controls"):
        if key in raw:
            if not isinstance(raw[key], bool):
                raise ConfigError(f"'{key}' must be true or false", where=where)
            kwargs[key] = raw[key]
    for key in ("alpha", "outlier_threshold", "nondetect_limit", "ntc_margin"):
        if key in raw:
            try:
                kwargs[key] = float(raw[key])
            except (TypeError, ValueError):
                raise ConfigError(f"'{key}' must be a number, found {raw[key]!r}", where) from None
    for key in ("control", "aliases"):
        if key in raw:
            if not isinstance(raw[key], dict):
                raise ConfigError(f"'{key}' must be a table of name = value", where=where)
            kwargs[key] = {str(k): str(v) for k, v in raw[key].items()}
    if "efficiency" in raw:
        kwargs["efficiency"] = {
            str(k): parse_efficiency(v, where=f"{where} [efficiency] {k}")
            for k, v in raw["efficiency"].items()
        }
    if "ratios" in raw:
        ratios = {}
        for name, pair in raw["ratios"].items():
            if not (isinstance(pair, list) and len(pair) == 2):
                raise ConfigError(
                    f"ratio '{name}' must be [numerator, denominator], found {pair!r}",
                    where=f"{where} [ratios]",
                )
            ratios[str(name)] = (str(pair[0]), str(pair[1]))
        kwargs["ratios"] = ratios
    if "contrasts" in raw:
        contrasts = []
        for i, item in enumerate(raw["contrasts"]):
            try:
                contrasts.append(
                    Contrast(
                        name=str(item.get("name", f"contrast {i + 1}")),
                        numerator={str(k): str(v) for k, v in item["numerator"].items()},
                        denominator={str(k): str(v) for k, v in item["denominator"].items()},
                    )
                )
            except (KeyError, AttributeError, TypeError):
                raise ConfigError(
                    f"contrast {i + 1} needs 'numerator' and 'denominator' tables "
                    "of factor = level",
                    where=f"{where} [[contrasts]]",
                ) from None
        kwargs["contrasts"] = tuple(contrasts)
    return _validated(AnalysisConfig(**kwargs), where)


def _validated(config: AnalysisConfig, where: str) -> AnalysisConfig:
    choices = {
        "test": TESTS,
        "adjust": ADJUST_METHODS,
        "nondetect_policy": NONDETECT_POLICIES,
        "outlier_rule": OUTLIER_RULES,
        "factorial_method": ("rcbd", "paired", "welch"),
    }
    for key, allowed in choices.items():
        value = getattr(config, key)
        if value not in allowed:
            raise ConfigError(
                f"'{key}' is '{value}'; expected one of {', '.join(allowed)}", where=where
            )
    if not 0 < config.alpha < 1:
        raise ConfigError(f"'alpha' is {config.alpha}; expected between 0 and 1", where=where)
    if config.outlier_threshold <= 0:
        raise ConfigError("'outlier_threshold' must be positive (cycles)", where=where)
    return config
