"""Reference-plate specifications: the TOML format, its validation and the rule vocabulary.

A *spec* lists rules; each rule has an ``id``, a ``type``, a ``severity`` (``fail`` or ``warn``)
and a human ``message``. :func:`load_spec` / :func:`parse_spec` validate it and name file and
line in every message (:class:`_Locator`).

Rule types and their keys (``?`` optional)::

    cq                  target, sample?, expected, tolerance          |mean Cq - expected| <= tol
    delta_cq            target, sample?, reference_target?, reference_sample?, expected, tolerance
                        ΔCq = Cq(target, sample) - Cq(reference_target, reference_sample)
    fold_change         target, reference, sample, calibrator, expected, tolerance_log2
                        FC = 2^-ΔΔCq (E = 2); |log2 FC - log2 expected| <= tolerance_log2
    ntc                 target?, min_cq?, margin?     NTC undetermined, or Cq >= min_cq and
                        min NTC Cq - max sample Cq >= margin (methods §2.9)
    replicate_sd        target?, sample?, max_sd?, max_range?   technical replicates (cycles)
    efficiency          target?, min_percent?, max_percent?     standard curve, 100·(10^(-1/b) - 1)
    r_squared           target?, min, min_points?               standard curve R² and points
    valid_wells         target?, min                  reactions with a usable Cq (controls excluded)
    reference_stability targets, max_m, samples?      geNorm M of each of >= 3 reference genes

The optional ``[history]`` table (:class:`HistorySettings`) sets the Levey-Jennings baseline
and the Westgard rules watched over runs (``docs/reference-plates.md``).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import read_utf8
from ..errors import ConfigError, did_you_mean

__all__ = [
    "HISTORY_METRICS",
    "RULE_TYPES",
    "SEVERITIES",
    "WESTGARD_RULES",
    "WESTGARD_SEVERITY",
    "HistorySettings",
    "Rule",
    "Spec",
    "load_spec",
    "parse_spec",
]


SEVERITIES = ("fail", "warn")
#: Westgard rules in the order they are reported.
WESTGARD_RULES = ("1-3s", "2-2s", "R-4s", "4-1s", "10-x")
#: Default severity of each Westgard rule (random error rejects; slow shifts warn).
WESTGARD_SEVERITY = {"1-3s": "fail", "2-2s": "fail", "R-4s": "fail", "4-1s": "warn", "10-x": "warn"}
#: History metrics that Westgard rules can watch.
HISTORY_METRICS = ("mean_cq", "delta_cq", "efficiency")
_COMMON_KEYS = ("id", "type", "severity", "message")
#: rule type -> (required keys, optional keys)
RULE_TYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "cq": (("target", "expected", "tolerance"), ("sample",)),
    "delta_cq": (
        ("target", "expected", "tolerance"),
        ("sample", "reference_target", "reference_sample"),
    ),
    "fold_change": (
        ("target", "reference", "sample", "calibrator", "expected", "tolerance_log2"),
        (),
    ),
    "ntc": ((), ("target", "min_cq", "margin")),
    "replicate_sd": ((), ("target", "sample", "max_sd", "max_range")),
    "efficiency": ((), ("target", "min_percent", "max_percent")),
    "r_squared": (("min",), ("target", "min_points")),
    "valid_wells": (("min",), ("target",)),
    "reference_stability": (("targets", "max_m"), ("samples",)),
}
#: key -> kind: str, names (str or list of str), num, pos (> 0), count (int >= 0), unit (0..1)
_KINDS = {
    "target": "str",
    "sample": "text",
    "reference_target": "str",
    "reference_sample": "str",
    "calibrator": "str",
    "reference": "names",
    "targets": "names",
    "samples": "names",
    "expected": "num",
    "tolerance": "pos",
    "tolerance_log2": "pos",
    "min_cq": "pos",
    "margin": "num",
    "max_sd": "pos",
    "max_range": "pos",
    "min_percent": "num",
    "max_percent": "num",
    "min": "num",
    "min_points": "count",
    "max_m": "pos",
}
_HISTORY_KEYS = ("baseline_runs", "metrics", "rules", "severity", "limit")
_LIMIT_KEYS = ("metric", "target", "sample", "mean", "sd")


@dataclass(frozen=True)
class Rule:
    """One rule of a spec; ``params`` holds the type's keys, ``line`` the rule's TOML line."""

    id: str
    type: str
    severity: str = "fail"
    message: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True)
class HistorySettings:
    """``[history]``: Levey-Jennings baseline and Westgard rules.

    The established mean and SD of a series come from ``limits[(metric, target, sample)]`` when
    given, else from the first ``baseline_runs`` runs of the history (SD with ddof = 1).
    """

    baseline_runs: int = 20
    metrics: tuple[str, ...] = HISTORY_METRICS
    rules: tuple[str, ...] = WESTGARD_RULES
    severity: dict[str, str] = field(default_factory=lambda: dict(WESTGARD_SEVERITY))
    limits: dict[tuple[str, str, str], tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Spec:
    """A reference-plate specification."""

    name: str
    rules: tuple[Rule, ...]
    history: HistorySettings = field(default_factory=HistorySettings)
    source: str = ""


def _did_you_mean(word: str, options: Sequence[str]) -> str:
    """The closest of ``options`` as a hint, else the list of them."""
    hint = did_you_mean(word, options, f"known: {', '.join(options)}")
    return hint[:1].upper() + hint[1:]


class _Locator:
    """Line numbers of ``[[rule]]`` tables and their keys in the TOML text (for messages)."""

    def __init__(self, text: str, source: str) -> None:
        self.lines = text.splitlines()
        self.source = source
        self.rule_starts = [
            i + 1 for i, line in enumerate(self.lines) if re.match(r"^\s*\[\[\s*rule\s*\]\]", line)
        ]

    def rule_line(self, index: int) -> int:
        return self.rule_starts[index] if index < len(self.rule_starts) else 0

    def key_line(self, start: int, key: str) -> int:
        """Line of ``key = ...`` in the table starting at line ``start`` (1-based), else start."""
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number in range(start + 1, len(self.lines) + 1):
            line = self.lines[number - 1]
            if re.match(r"^\s*\[", line):
                break
            if pattern.match(line):
                return number
        return start

    def where(self, line: int, rule: str = "") -> str:
        text = f"{self.source} line {line}" if line else self.source
        return f"{text}, rule '{rule}'" if rule else text


def load_spec(path: str | Path) -> Spec:
    r"""Read and validate a spec file (TOML; see the module docstring for the rule types).

    Parameters
    ----------
    path : str or Path
        The spec file (UTF-8 TOML).

    Returns
    -------
    Spec
        The validated spec; ``source`` is the path.

    Raises
    ------
    ConfigError
        Naming file and line for TOML syntax errors, unknown keys or rule types ("did you
        mean"), wrong value types and duplicate ids.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "plate.toml"
    >>> _ = path.write_text(
    ...     '[spec]\nname = "GAPDH plate"\n\n[[rule]]\nid = "cq-GAPDH"\ntype = "cq"\n'
    ...     'target = "GAPDH"\nexpected = 18.0\ntolerance = 0.5\n'
    ... )
    >>> spec = load_spec(path)
    >>> spec.name, [rule.id for rule in spec.rules], spec.source == str(path)
    ('GAPDH plate', ['cq-GAPDH'], True)
    >>> folder.cleanup()
    """
    path = Path(path)
    return parse_spec(read_utf8(path, "spec file"), source=str(path))


def parse_spec(text: str, source: str = "spec") -> Spec:
    r"""Validate a spec given as TOML text.

    Parameters
    ----------
    text : str
        The spec as TOML (the format of :func:`load_spec`).
    source : str
        What to call the text in messages (a file name, ``--spec``).

    Returns
    -------
    Spec
        The validated spec.

    Raises
    ------
    ConfigError
        As :func:`load_spec`, with ``source`` and the line in the message.

    Examples
    --------
    >>> spec = parse_spec('''
    ... [[rule]]
    ... id = "cq-GAPDH"
    ... type = "cq"
    ... target = "GAPDH"
    ... sample = "REF"
    ... expected = 18.0
    ... tolerance = 0.5
    ... ''')
    >>> rule = spec.rules[0]
    >>> rule.type, rule.severity, rule.params["tolerance"], spec.history.baseline_runs
    ('cq', 'fail', 0.5, 20)
    >>> parse_spec('[[rule]]\nid = "x"\ntype = "cqq"\n', source="plate.toml")
    Traceback (most recent call last):
    ...
    qpcr.errors.ConfigError: plate.toml line 3, rule 'x': unknown rule type 'cqq'; ...
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        detail = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", detail)
        where = source
        if match:
            where = f"{source} line {match.group(1)}, column {match.group(2)}"
            detail = detail[: match.start()].strip()
        raise ConfigError(
            f"not valid TOML ({detail})",
            where=where,
            hint="Quote names and text, write key = value, one rule per [[rule]] table",
        ) from None
    loc = _Locator(text, source)
    known_top = ("spec", "rule", "history")
    for key in raw:
        if key not in known_top:
            raise ConfigError(
                f"unknown table or key '{key}'; expected one of {', '.join(known_top)}",
                where=loc.where(_top_line(loc, key)),
                hint=_did_you_mean(key, known_top),
            )
    header = raw.get("spec", {})
    if not isinstance(header, dict):
        raise ConfigError("'spec' must be a table ([spec])", where=source)
    for key in header:
        if key not in ("name", "description"):
            raise ConfigError(
                f"unknown key '{key}' in [spec]; expected name or description",
                where=source,
                hint=_did_you_mean(key, ("name", "description")),
            )
    raw_rules = raw.get("rule", [])
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ConfigError(
            "no rules; expected at least one [[rule]] table",
            where=source,
            hint="Run 'qpcr check EXPORT --init-spec SPEC.toml' to write a starting spec",
        )
    rules = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(raw_rules):
        rule = _parse_rule(entry, loc, index)
        if rule.id in seen:
            raise ConfigError(
                f"duplicate rule id '{rule.id}' (first used at line {seen[rule.id]}); "
                "expected unique ids",
                where=loc.where(rule.line, rule.id),
            )
        seen[rule.id] = rule.line
        rules.append(rule)
    history = _parse_history(raw.get("history", {}), loc)
    return Spec(
        name=str(header.get("name", Path(source).stem)),
        rules=tuple(rules),
        history=history,
        source=source,
    )


def _top_line(loc: _Locator, key: str) -> int:
    """Line of the table or key ``key`` at the top level (0 if not found)."""
    pattern = re.compile(rf"^\s*\[*\s*{re.escape(key)}\b")
    return next((i + 1 for i, line in enumerate(loc.lines) if pattern.match(line)), 0)


def _parse_rule(entry: Any, loc: _Locator, index: int) -> Rule:
    """One ``[[rule]]`` table, its keys and value types checked."""
    start = loc.rule_line(index)
    if not isinstance(entry, dict):
        raise ConfigError("a rule must be a [[rule]] table", where=loc.where(start))
    rule_id = entry.get("id")
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise ConfigError(
            "rule without an 'id'; expected id = \"some-name\"",
            where=loc.where(start),
            hint="Each rule needs a unique id, used in reports and CI",
        )
    kind = entry.get("type")
    if kind not in RULE_TYPES:
        raise ConfigError(
            f"unknown rule type {kind!r}; expected one of {', '.join(RULE_TYPES)}",
            where=loc.where(loc.key_line(start, "type"), rule_id),
            hint=_did_you_mean(str(kind), tuple(RULE_TYPES)),
        )
    required, optional = RULE_TYPES[kind]
    allowed = (*_COMMON_KEYS, *required, *optional)
    for key in entry:
        if key not in allowed:
            raise ConfigError(
                f"unknown key '{key}' for a '{kind}' rule; expected {', '.join(allowed)}",
                where=loc.where(loc.key_line(start, key), rule_id),
                hint=_did_you_mean(key, allowed),
            )
    missing = [k for k in required if k not in entry]
    if missing:
        raise ConfigError(
            f"missing key(s) {', '.join(missing)} for a '{kind}' rule",
            where=loc.where(start, rule_id),
            hint=f"A '{kind}' rule needs {', '.join(required)}",
        )
    severity = entry.get("severity", "fail")
    if severity not in SEVERITIES:
        raise ConfigError(
            f"severity {severity!r}; expected 'fail' or 'warn'",
            where=loc.where(loc.key_line(start, "severity"), rule_id),
        )
    params = {}
    for key in (*required, *optional):
        if key in entry:
            where = loc.where(loc.key_line(start, key), rule_id)
            params[key] = _value(entry[key], _KINDS[key], key, where)
    _check_rule_params(kind, params, loc.where(start, rule_id))
    message = entry.get("message", "")
    if not isinstance(message, str):
        raise ConfigError("'message' must be text", where=loc.where(start, rule_id))
    return Rule(rule_id.strip(), kind, severity, message, params, start)


def _value(value: Any, kind: str, key: str, where: str) -> Any:
    """A rule value checked against its kind (see ``_KINDS``), stripped or as a number."""
    if kind == "str":
        if isinstance(value, str) and value.strip():
            return value.strip()
        raise ConfigError(f"'{key}' must be a non-empty text, found {value!r}", where=where)
    if kind == "text":  # may be empty: the wells without a sample name
        if isinstance(value, str):
            return value.strip()
        raise ConfigError(f"'{key}' must be text, found {value!r}", where=where)
    if kind == "names":
        names = [value] if isinstance(value, str) else value
        if isinstance(names, list) and names and all(isinstance(n, str) for n in names):
            return tuple(n.strip() for n in names)
        raise ConfigError(f"'{key}' must be a name or a list of names, found {value!r}", where)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ConfigError(f"'{key}' must be a number, found {value!r}", where=where)
    if kind == "pos" and value <= 0:
        raise ConfigError(f"'{key}' must be above 0, found {value!r}", where=where)
    if kind == "count":
        if value < 0 or int(value) != value:
            raise ConfigError(f"'{key}' must be a whole number >= 0, found {value!r}", where)
        return int(value)
    return float(value)


def _check_rule_params(kind: str, p: dict[str, Any], where: str) -> None:
    """Checks across the keys of one rule (e.g. a ΔCq must compare something)."""

    def need_one(*keys: str) -> None:
        if not any(k in p for k in keys):
            raise ConfigError(f"a '{kind}' rule needs one of {', '.join(keys)}", where=where)

    same_target = p.get("reference_target", p.get("target")) == p.get("target")
    same_sample = p.get("reference_sample", p.get("sample")) == p.get("sample")
    if kind == "delta_cq" and same_target and same_sample:
        raise ConfigError(
            "a 'delta_cq' rule compares nothing; expected reference_target or "
            "reference_sample to differ from target or sample",
            where=where,
        )
    if kind == "fold_change" and p["expected"] <= 0:
        raise ConfigError("'expected' fold change must be above 0", where=where)
    if kind == "ntc":
        need_one("min_cq", "margin")
    if kind == "replicate_sd":
        need_one("max_sd", "max_range")
    if kind == "efficiency" and p.get("min_percent", 90.0) >= p.get("max_percent", 110.0):
        raise ConfigError("'min_percent' must be below 'max_percent'", where=where)
    if kind == "r_squared" and not 0 < p["min"] <= 1:
        raise ConfigError(f"'min' R² must lie in (0, 1], found {p['min']}", where=where)
    if kind == "valid_wells" and (p["min"] < 0 or int(p["min"]) != p["min"]):
        raise ConfigError("'min' must be a whole number of wells", where=where)
    if kind == "reference_stability" and len(set(p["targets"])) < 3:
        raise ConfigError(
            "'targets' must list at least three reference genes (geNorm)",
            where=where,
            hint="For two reference genes use a delta_cq rule between them",
        )


def _parse_history(raw: Any, loc: _Locator) -> HistorySettings:
    """The ``[history]`` table: baseline, watched metrics, rules, severities, limits."""
    line = _top_line(loc, "history")
    where = loc.where(line) + " [history]"
    if not isinstance(raw, dict):
        raise ConfigError("'history' must be a table ([history])", where=where)
    for key in raw:
        if key not in _HISTORY_KEYS:
            raise ConfigError(
                f"unknown key '{key}' in [history]; expected {', '.join(_HISTORY_KEYS)}",
                where=where,
                hint=_did_you_mean(key, _HISTORY_KEYS),
            )
    baseline = raw.get("baseline_runs", 20)
    if isinstance(baseline, bool) or not isinstance(baseline, int) or baseline < 2:
        raise ConfigError(f"'baseline_runs' must be a whole number >= 2, found {baseline!r}", where)
    metrics = _choices(raw.get("metrics", list(HISTORY_METRICS)), HISTORY_METRICS, "metrics", where)
    rules = _choices(raw.get("rules", list(WESTGARD_RULES)), WESTGARD_RULES, "rules", where)
    severity = dict(WESTGARD_SEVERITY)
    extra = raw.get("severity", {})
    if not isinstance(extra, dict):
        raise ConfigError("'severity' must be a table of rule = 'fail' | 'warn'", where=where)
    for name, value in extra.items():
        _choices([name], WESTGARD_RULES, "severity", where)
        if value not in SEVERITIES:
            raise ConfigError(f"severity of {name} is {value!r}; expected fail or warn", where)
        severity[name] = value
    limits = {}
    raw_limits = raw.get("limit", [])
    if not isinstance(raw_limits, list):
        raise ConfigError("'limit' must be [[history.limit]] tables", where=where)
    for entry in raw_limits:
        unknown = [k for k in entry if k not in _LIMIT_KEYS]
        if unknown:
            raise ConfigError(
                f"unknown key '{unknown[0]}' in [[history.limit]]",
                where=where,
                hint=_did_you_mean(unknown[0], _LIMIT_KEYS),
            )
        missing = [k for k in ("metric", "target", "mean", "sd") if k not in entry]
        if missing:
            raise ConfigError(f"[[history.limit]] misses {', '.join(missing)}", where=where)
        _choices([entry["metric"]], HISTORY_METRICS, "metric", where)
        mean = _value(entry["mean"], "num", "mean", where)
        sd = _value(entry["sd"], "pos", "sd", where)
        key = (entry["metric"], str(entry["target"]), str(entry.get("sample", "")))
        limits[key] = (mean, sd)
    return HistorySettings(baseline, metrics, rules, severity, limits)


def _choices(values: Any, allowed: Sequence[str], key: str, where: str) -> tuple[str, ...]:
    """A name or list of names, each one of ``allowed``."""
    values = [values] if isinstance(values, str) else values
    if not isinstance(values, list):
        raise ConfigError(f"'{key}' must be a list of names", where=where)
    for value in values:
        if value not in allowed:
            raise ConfigError(
                f"unknown {key} value {value!r}; expected one of {', '.join(allowed)}",
                where=where,
                hint=_did_you_mean(str(value), allowed),
            )
    return tuple(values)
