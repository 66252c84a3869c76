"""Automated checks of reference plates against a TOML specification (``qpcr check``).

A *spec* lists rules; each rule has an ``id``, a ``type``, a ``severity`` (``fail`` or ``warn``)
and a human ``message``. :func:`check_run` evaluates every rule on one run and returns a results
table with one row per rule evaluation (``run, rule_id, severity, target, sample, expected,
observed, value, status, message``; ``status`` is ``pass``, ``warn``, ``fail`` or ``skip``).

With a history file, each run's key values (mean Cq per target × sample, ΔCq of every
``delta_cq`` rule, efficiency per target, number of amplified NTC wells) are appended to it and
the series are judged with Levey-Jennings limits and Westgard rules (:func:`westgard`); the
violations are result rows like any other. The file format is documented in
``docs/reference-plates.md``.

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
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .atomic import atomic_write
from .config import read_utf8
from .errors import ConfigError, InputError

__all__ = [
    "HISTORY_COLUMNS",
    "RESULT_COLUMNS",
    "RULE_TYPES",
    "WESTGARD_RULES",
    "HistorySettings",
    "Rule",
    "Spec",
    "Violation",
    "append_history",
    "check_run",
    "collect_exports",
    "evaluate_rules",
    "exit_code",
    "init_spec",
    "load_spec",
    "parse_spec",
    "plot_control_chart",
    "read_history",
    "run_values",
    "to_json",
    "to_junit",
    "verdict",
    "westgard",
]

RESULT_COLUMNS = (
    "run",
    "rule_id",
    "severity",
    "target",
    "sample",
    "expected",
    "observed",
    "value",
    "status",
    "message",
)
HISTORY_COLUMNS = ("run", "digest", "recorded_at", "metric", "target", "sample", "value")
SEVERITIES = ("fail", "warn")
#: Westgard rules in the order they are reported.
WESTGARD_RULES = ("1-3s", "2-2s", "R-4s", "4-1s", "10-x")
#: Default severity of each Westgard rule (random error rejects; slow shifts warn).
WESTGARD_SEVERITY = {"1-3s": "fail", "2-2s": "fail", "R-4s": "fail", "4-1s": "warn", "10-x": "warn"}
_WESTGARD_MEANING = {
    "1-3s": "one value beyond 3 SD (random error or a blunder)",
    "2-2s": "two values in a row beyond 2 SD on one side (systematic shift)",
    "R-4s": "two values in a row 4 SD apart (random error)",
    "4-1s": "four values in a row beyond 1 SD on one side (shift or drift)",
    "10-x": "ten values in a row on one side of the mean (slow drift)",
}
#: History metrics that Westgard rules can watch.
HISTORY_METRICS = ("mean_cq", "delta_cq", "efficiency")

#: Sample types whose wells are measured samples; negative controls never amplify.
MEASURED_TYPES = ("unkn", "pos")
NEGATIVE_TYPES = ("ntc", "nac")
NO_AMPLIFICATION_TYPES = ("ntc", "nac", "nrt")

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


# --------------------------------------------------------------------------------------------
# Specification
# --------------------------------------------------------------------------------------------


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
    close = difflib.get_close_matches(word, list(options), n=1)
    if close:
        return f"Did you mean '{close[0]}'?"
    return f"Known: {', '.join(options)}"


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
    """Read and validate a spec file (TOML; see the module docstring for the rule types).

    Raises :class:`~qpcr.errors.ConfigError` naming file and line for TOML syntax errors,
    unknown keys or rule types ("did you mean"), wrong value types and duplicate ids.
    """
    path = Path(path)
    return parse_spec(read_utf8(path, "spec file"), source=str(path))


def parse_spec(text: str, source: str = "spec") -> Spec:
    """Validate a spec given as TOML text (``source`` names it in messages)."""
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
    pattern = re.compile(rf"^\s*\[*\s*{re.escape(key)}\b")
    return next((i + 1 for i, line in enumerate(loc.lines) if pattern.match(line)), 0)


def _parse_rule(entry: Any, loc: _Locator, index: int) -> Rule:
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


# --------------------------------------------------------------------------------------------
# Rule evaluation
# --------------------------------------------------------------------------------------------


def _prepare(wells: pd.DataFrame) -> pd.DataFrame:
    """Copy of the wells with a boolean ``usable`` column (Cq ok, not omitted, not excluded)."""
    from .schema import check_wells

    problems = check_wells(wells)
    if problems:
        raise InputError(f"the wells table is not valid: {'; '.join(problems)}", where="wells")
    w = wells.copy()
    w["sample"] = w["sample"].fillna("").astype(str)
    w["target"] = w["target"].astype(str)
    usable = w["cq_status"].eq("ok") & w["cq"].notna()
    for flag in ("omitted", "excluded"):
        if flag in w:
            usable &= ~w[flag].fillna(False).astype(bool)
    if "in_layout" in w:  # wells a joined layout does not list
        usable &= w["in_layout"].fillna(False).astype(bool)
    w["usable"] = usable
    return w


def _fmt(x: float, digits: int = 2) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def _row(ok: bool, target: str, sample: str, expected: str, observed: str, value: float) -> dict:
    return {
        "ok": ok,
        "target": target,
        "sample": sample,
        "expected": expected,
        "observed": observed,
        "value": float(value) if value is not None else np.nan,
    }


def _mean_cq(w: pd.DataFrame, target: str, sample: str | None) -> tuple[float, int]:
    """Mean Cq of the usable wells of ``target`` in ``sample`` (all measured samples if None)."""
    sel = w["usable"] & w["target"].eq(target)
    sel &= w["sample"].eq(sample) if sample is not None else w["sample_type"].isin(MEASURED_TYPES)
    cq = w.loc[sel, "cq"]
    return (float(cq.mean()) if len(cq) else np.nan), len(cq)


def _targets(w: pd.DataFrame, target: str | None, types: Sequence[str] | None = None) -> list[str]:
    if target is not None:
        return [target]
    sel = w["sample_type"].isin(types) if types is not None else slice(None)
    return sorted(w.loc[sel, "target"].unique())


def _eval_cq(rule: Rule, w: pd.DataFrame) -> list[dict]:
    p = rule.params
    mean, n = _mean_cq(w, p["target"], p.get("sample"))
    ok = n > 0 and abs(mean - p["expected"]) <= p["tolerance"]
    observed = f"{mean:.2f} (n={n})" if n else "no usable Cq"
    expected = f"{p['expected']:.2f} ± {p['tolerance']:g}"
    return [_row(ok, p["target"], p.get("sample", ""), expected, observed, mean)]


def _delta_cq(w: pd.DataFrame, p: dict[str, Any]) -> float:
    """ΔCq = Cq(target, sample) - Cq(reference_target, reference_sample) (NaN if either absent)."""
    sample = p.get("sample")
    first, _ = _mean_cq(w, p["target"], sample)
    second, _ = _mean_cq(
        w, p.get("reference_target", p["target"]), p.get("reference_sample", sample)
    )
    return first - second


def _delta_label(p: dict[str, Any]) -> tuple[str, str]:
    target, sample = p["target"], p.get("sample", "")
    if p.get("reference_target", target) != target:
        target = f"{target} vs {p['reference_target']}"
    if p.get("reference_sample", sample) != sample:
        sample = f"{sample} vs {p['reference_sample']}"
    return target, sample


def _eval_delta_cq(rule: Rule, w: pd.DataFrame) -> list[dict]:
    p = rule.params
    delta = _delta_cq(w, p)
    ok = bool(np.isfinite(delta)) and abs(delta - p["expected"]) <= p["tolerance"]
    target, sample = _delta_label(p)
    expected = f"ΔCq {p['expected']:.2f} ± {p['tolerance']:g}"
    observed = f"ΔCq {delta:.2f}" if np.isfinite(delta) else "a Cq is missing"
    return [_row(ok, target, sample, expected, observed, delta)]


def _eval_fold_change(rule: Rule, w: pd.DataFrame) -> list[dict]:
    p = rule.params

    def delta(sample: str) -> float:
        ref = np.mean([_mean_cq(w, r, sample)[0] for r in p["reference"]])
        return _mean_cq(w, p["target"], sample)[0] - ref

    log2_fc = -(delta(p["sample"]) - delta(p["calibrator"]))
    fc = 2.0**log2_fc
    ok = bool(np.isfinite(log2_fc)) and abs(log2_fc - np.log2(p["expected"])) <= p["tolerance_log2"]
    low = p["expected"] * 2.0 ** -p["tolerance_log2"]
    high = p["expected"] * 2.0 ** p["tolerance_log2"]
    expected = f"FC {p['expected']:.3g} [{low:.3g}, {high:.3g}]"
    observed = f"FC {fc:.3g} (log2 {log2_fc:.2f})" if np.isfinite(fc) else "a Cq is missing"
    sample = f"{p['sample']} vs {p['calibrator']}"
    return [_row(ok, p["target"], sample, expected, observed, fc)]


def _eval_ntc(rule: Rule, w: pd.DataFrame) -> list[dict]:
    p = rule.params
    ntc = w[w["sample_type"].isin(NEGATIVE_TYPES)]
    targets = _targets(w, p.get("target"), NEGATIVE_TYPES)
    parts = []
    if "min_cq" in p:
        parts.append(f"Cq ≥ {p['min_cq']:g}")
    if "margin" in p:
        parts.append(f"margin ≥ {p['margin']:g}")
    expected = "undetermined or " + " & ".join(parts)
    if not targets:
        return [_row(False, "", "", expected, "no NTC wells on the plate", np.nan)]
    rows = []
    for target in targets:
        own = ntc[ntc["target"].eq(target)]
        # omitted NTC wells count: hiding a contaminated control is what this rule must catch
        cq = own.loc[own["cq_status"].eq("ok"), "cq"]
        if own.empty:
            rows.append(_row(False, target, "", expected, "no NTC wells", np.nan))
            continue
        if cq.empty:
            rows.append(_row(True, target, "", expected, f"undetermined ({len(own)})", np.nan))
            continue
        lowest = float(cq.min())
        ok = lowest >= p.get("min_cq", -np.inf)
        observed = f"{len(cq)}/{len(own)} amplified, min Cq {lowest:.2f}"
        if "margin" in p:
            margin = lowest - _max_sample_cq(w, target)
            ok = ok and bool(np.isfinite(margin)) and margin >= p["margin"]
            observed += f", margin {_fmt(margin)}"
        rows.append(_row(ok, target, "", expected, observed, lowest))
    return rows


def _max_sample_cq(w: pd.DataFrame, target: str) -> float:
    """Latest usable Cq of ``target`` outside the no-amplification controls (NaN if none)."""
    sel = w["usable"] & w["target"].eq(target) & ~w["sample_type"].isin(NO_AMPLIFICATION_TYPES)
    return float(w.loc[sel, "cq"].max())


def _replicate_groups(w: pd.DataFrame) -> pd.DataFrame:
    """SD (ddof = 1) and range of each technical-replicate group with >= 2 usable wells.

    A group is sample × target (× quantity for standards); methods §2.1.
    """
    sel = w["usable"] & ~w["sample_type"].isin(NO_AMPLIFICATION_TYPES)
    data = w.loc[sel, ["sample", "target", "cq"]].copy()
    data["quantity"] = w.loc[sel, "quantity"].fillna(-1.0) if "quantity" in w else -1.0
    grouped = data.groupby(["target", "sample", "quantity"], sort=True)["cq"]
    stats = grouped.agg(n="count", sd="std", low="min", high="max").reset_index()
    stats["range"] = stats["high"] - stats["low"]
    return stats[stats["n"] >= 2]


def _eval_replicate_sd(rule: Rule, w: pd.DataFrame) -> list[dict]:
    p = rule.params
    groups = _replicate_groups(w)
    if "sample" in p:
        groups = groups[groups["sample"].eq(p["sample"])]
    max_sd, max_range = p.get("max_sd", np.inf), p.get("max_range", np.inf)
    expected = " and ".join(
        text
        for key, text in (("max_sd", f"SD ≤ {max_sd:g}"), ("max_range", f"range ≤ {max_range:g}"))
        if key in p
    )
    if "target" not in p and groups.empty:
        return [_row(False, "", p.get("sample", ""), expected, "no replicate groups", np.nan)]
    rows = []
    # without a named target, only targets that have replicate groups are judged
    for target in [p["target"]] if "target" in p else sorted(groups["target"].unique()):
        own = groups[groups["target"].eq(target)]
        if own.empty:
            rows.append(_row(False, target, p.get("sample", ""), expected, "no replicates", np.nan))
            continue
        bad = own[(own["sd"] > max_sd) | (own["range"] > max_range)]
        worst = own.loc[own["sd"].idxmax()]
        shown = bad.loc[bad["sd"].idxmax()] if len(bad) else worst
        observed = f"SD {shown['sd']:.3f}, range {shown['range']:.2f}"
        if len(bad):
            observed = f"{len(bad)}/{len(own)} groups out; {observed}"
        rows.append(_row(bad.empty, target, str(shown["sample"]), expected, observed, worst["sd"]))
    return rows


def _curves(w: pd.DataFrame) -> pd.DataFrame:
    """Standard curve per target (:func:`qpcr.curves.standard_curves`, all plates pooled)."""
    from .curves import standard_curves

    if "quantity" not in w or not w["sample_type"].eq("std").any():
        return pd.DataFrame(columns=["target", "slope", "r_squared", "efficiency", "n_points"])
    return standard_curves(w, group=("target",))


def _eval_curve(rule: Rule, w: pd.DataFrame, curves: pd.DataFrame) -> list[dict]:
    p = rule.params
    if rule.type == "efficiency":
        low, high = p.get("min_percent", 90.0), p.get("max_percent", 110.0)
        expected = f"{low:g}-{high:g} %"
    else:
        expected = f"R² ≥ {p['min']:g}" + (
            f", ≥ {p['min_points']} points" if "min_points" in p else ""
        )
    targets = [p["target"]] if "target" in p else list(curves["target"])
    if not targets:
        return [_row(False, "", "", expected, "no standard curve (no std wells)", np.nan)]
    rows = []
    for target in targets:
        curve = curves[curves["target"].eq(target)]
        if curve.empty:
            rows.append(_row(False, target, "", expected, "no standard curve", np.nan))
            continue
        c = curve.iloc[0]
        if not np.isfinite(c["slope"]):
            rows.append(_row(False, target, "", expected, str(c["note"]), np.nan))
            continue
        if rule.type == "efficiency":
            percent = 100.0 * (c["efficiency"] - 1.0)
            ok = low <= percent <= high
            observed = f"{percent:.1f} % (slope {c['slope']:.3f})"
            rows.append(_row(ok, target, "", expected, observed, percent))
        else:
            ok = c["r_squared"] >= p["min"] and c["n_points"] >= p.get("min_points", 0)
            observed = f"R² {c['r_squared']:.4f}, {int(c['n_points'])} points"
            rows.append(_row(ok, target, "", expected, observed, c["r_squared"]))
    return rows


def _eval_valid_wells(rule: Rule, w: pd.DataFrame) -> list[dict]:
    p = rule.params
    sel = w["usable"] & ~w["sample_type"].isin(NO_AMPLIFICATION_TYPES)
    if "target" in p:
        sel &= w["target"].eq(p["target"])
    count = int(sel.sum())
    expected = f"≥ {int(p['min'])} reactions"
    return [_row(count >= p["min"], p.get("target", ""), "", expected, str(count), count)]


def _eval_stability(rule: Rule, w: pd.DataFrame) -> list[dict]:
    p = rule.params
    sel = w["usable"] & w["target"].isin(p["targets"]) & w["sample_type"].isin(MEASURED_TYPES)
    if "samples" in p:
        sel &= w["sample"].isin(p["samples"])
    table = w[sel].pivot_table(index="sample", columns="target", values="cq", aggfunc="mean")
    table = table.reindex(columns=list(p["targets"])).dropna()
    expected = f"geNorm M ≤ {p['max_m']:g}"
    from .errors import DesignError
    from .stability import genorm

    try:
        m = genorm(table).m
    except DesignError as exc:
        return [_row(False, ", ".join(p["targets"]), "", expected, exc.message, np.nan)]
    observed = "M {:.3f} over {} samples"
    return [
        _row(value <= p["max_m"], gene, "", expected, observed.format(value, len(table)), value)
        for gene, value in m.items()
    ]


_EVALUATORS = {
    "cq": _eval_cq,
    "delta_cq": _eval_delta_cq,
    "fold_change": _eval_fold_change,
    "ntc": _eval_ntc,
    "replicate_sd": _eval_replicate_sd,
    "valid_wells": _eval_valid_wells,
    "reference_stability": _eval_stability,
}


def _default_message(rule: Rule) -> str:
    p = rule.params
    what = {
        "cq": "mean Cq of {target}",
        "delta_cq": "ΔCq of {target}",
        "fold_change": "fold change of {target}",
        "ntc": "no-template controls stay negative",
        "replicate_sd": "technical replicates agree",
        "efficiency": "standard-curve efficiency",
        "r_squared": "standard-curve linearity",
        "valid_wells": "enough usable reactions",
        "reference_stability": "reference genes are stable",
    }[rule.type]
    return what.format(target=p.get("target", ""))


def evaluate_rules(wells: pd.DataFrame, spec: Spec, run: str = "run") -> pd.DataFrame:
    """Evaluate every rule of ``spec`` on one run's wells (no history); results table."""
    w = _prepare(wells)
    return _evaluate(w, _curves(w), spec, run)


def _evaluate(w: pd.DataFrame, curves: pd.DataFrame, spec: Spec, run: str) -> pd.DataFrame:
    records = []
    for rule in spec.rules:
        if rule.type in ("efficiency", "r_squared"):
            rows = _eval_curve(rule, w, curves)
        else:
            rows = _EVALUATORS[rule.type](rule, w)
        for row in rows:
            ok = row.pop("ok")
            records.append(
                {
                    "run": run,
                    "rule_id": rule.id,
                    "severity": rule.severity,
                    **row,
                    "status": "pass" if ok else rule.severity,
                    "message": rule.message or _default_message(rule),
                }
            )
    return pd.DataFrame.from_records(records, columns=list(RESULT_COLUMNS))


# --------------------------------------------------------------------------------------------
# Westgard rules and history
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """A Westgard rule violated by the window of points ``indices`` ending at ``index``."""

    rule: str
    index: int
    indices: tuple[int, ...]


def westgard(
    values: Sequence[float] | np.ndarray,
    mean: float,
    sd: float,
    rules: Iterable[str] = WESTGARD_RULES,
) -> list[Violation]:
    """Westgard multirule violations of a control series, z = (x - mean) / sd.

    * ``1-3s``: one point with |z| > 3;
    * ``2-2s``: two consecutive points beyond 2 SD on the same side;
    * ``R-4s``: two consecutive points, one above +2 SD and the other below -2 SD (range > 4 SD);
    * ``4-1s``: four consecutive points beyond 1 SD on the same side;
    * ``10-x``: ten consecutive points on the same side of the mean.

    Each violation is reported at every point where its window ends (a run of 12 points above
    the mean gives 10-x at indices 9, 10 and 11). NaN points are skipped, keeping indices.
    """
    values = np.asarray(values, dtype=float)
    if not sd > 0:
        raise InputError(f"control SD is {sd}; expected a positive number", where="westgard")
    windows = {"1-3s": 1, "2-2s": 2, "R-4s": 2, "4-1s": 4, "10-x": 10}
    rules = tuple(rules)
    for rule in rules:
        if rule not in windows:
            raise InputError(
                f"unknown Westgard rule {rule!r}; expected one of {', '.join(windows)}",
                where="westgard",
                hint=_did_you_mean(str(rule), tuple(windows)),
            )
    index = np.flatnonzero(np.isfinite(values))
    z = (values[index] - mean) / sd
    out = []
    for rule in rules:
        size = windows[rule]
        if len(z) < size:
            continue
        win = np.lib.stride_tricks.sliding_window_view(z, size)
        if rule == "1-3s":
            hit = np.abs(win[:, 0]) > 3
        elif rule == "2-2s":
            hit = (win > 2).all(axis=1) | (win < -2).all(axis=1)
        elif rule == "R-4s":
            hit = ((win[:, 0] > 2) & (win[:, 1] < -2)) | ((win[:, 0] < -2) & (win[:, 1] > 2))
        elif rule == "4-1s":
            hit = (win > 1).all(axis=1) | (win < -1).all(axis=1)
        else:
            hit = (win > 0).all(axis=1) | (win < 0).all(axis=1)
        for end in np.flatnonzero(hit) + size - 1:
            span = tuple(int(i) for i in index[end - size + 1 : end + 1])
            out.append(Violation(rule, int(index[end]), span))
    return out


def run_values(wells: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """Key values of one run for the history: ``metric, target, sample, value``.

    ``mean_cq`` per target × measured sample; ``delta_cq`` per ``delta_cq`` rule (labels as in
    the results); ``efficiency`` (percent) per target with a standard curve; ``ntc_detected``
    (number of NTC wells with a Cq) per target that has NTC wells.
    """
    w = _prepare(wells)
    return _values(w, _curves(w), spec)


def _values(w: pd.DataFrame, curves: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    measured = w[w["usable"] & w["sample_type"].isin(MEASURED_TYPES)]
    mean_cq = measured.groupby(["target", "sample"], sort=True)["cq"].mean().reset_index()
    parts = [mean_cq.assign(metric="mean_cq").rename(columns={"cq": "value"})]
    deltas = [
        (*_delta_label(r.params), _delta_cq(w, r.params))
        for r in spec.rules
        if r.type == "delta_cq"
    ]
    parts.append(
        pd.DataFrame(deltas, columns=["target", "sample", "value"]).assign(metric="delta_cq")
    )
    curves = curves[np.isfinite(curves["efficiency"].astype(float))]
    parts.append(
        pd.DataFrame(
            {
                "metric": "efficiency",
                "target": curves["target"],
                "sample": "",
                "value": 100.0 * (curves["efficiency"] - 1.0),
            }
        )
    )
    ntc = w[w["sample_type"].isin(NEGATIVE_TYPES)]
    detected = ntc["cq_status"].eq("ok").groupby(ntc["target"]).sum().reset_index()
    parts.append(
        pd.DataFrame(
            {
                "metric": "ntc_detected",
                "target": detected["target"],
                "sample": "",
                "value": detected["cq_status"].astype(float),
            }
        )
    )
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=["metric", "target", "sample", "value"])
    out = pd.concat(parts, ignore_index=True)
    return out[["metric", "target", "sample", "value"]]


def read_history(path: str | Path) -> pd.DataFrame:
    """The history table (``HISTORY_COLUMNS``), empty if the file does not exist yet.

    ``.parquet`` files need pyarrow; any other suffix is CSV.
    """
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return pd.DataFrame(
            {c: pd.Series(dtype=float if c == "value" else object) for c in HISTORY_COLUMNS}
        )
    try:
        if path.suffix.lower() == ".parquet":
            table = pd.read_parquet(path)
        else:
            table = pd.read_csv(
                path,
                dtype={c: str for c in HISTORY_COLUMNS if c != "value"},
                keep_default_na=False,
                na_values={"value": ["", "nan", "NaN"]},
            )
    except ImportError:
        raise InputError(
            "reading Parquet needs the pyarrow package",
            where=str(path),
            hint="Install pyarrow or use a .csv history file",
        ) from None
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot read the history file ({exc})", where=str(path)) from None
    missing = [c for c in HISTORY_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; expected {', '.join(HISTORY_COLUMNS)}",
            where=str(path),
            hint="Is this a qpcr check history file?",
        )
    return table[list(HISTORY_COLUMNS)]


def append_history(path: str | Path, rows: pd.DataFrame) -> None:
    """Append ``rows`` (``HISTORY_COLUMNS``) to the history file, crash-safe.

    Under an exclusive lock on ``<path>.lock``, the old content plus the new rows are written to
    a temporary file in the same folder, flushed to disk and moved over ``path`` with
    :func:`os.replace` (atomic): a crash at any point leaves the earlier file intact. CSV keeps
    the earlier bytes verbatim.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(
            "the history file's folder does not exist", where=str(path), hint="Create it first"
        )
    rows = rows[list(HISTORY_COLUMNS)]
    with _locked(path.with_name(path.name + ".lock")):
        parquet = path.suffix.lower() == ".parquet"

        def write(tmp: Path) -> None:
            if parquet:
                old = read_history(path)
                table = pd.concat([old, rows], ignore_index=True) if len(old) else rows
                try:
                    table.to_parquet(tmp, index=False)
                except ImportError:
                    raise InputError(
                        "writing Parquet needs the pyarrow package",
                        where=str(path),
                        hint="Install pyarrow or use a .csv history file",
                    ) from None
            else:
                old = path.read_bytes() if path.exists() else b""
                if old and not old.endswith(b"\n"):
                    old += b"\n"
                csv = rows.to_csv(index=False, header=not old).encode("utf-8")
                tmp.write_bytes(old + csv)

        atomic_write(path, write)


class _locked:
    """Exclusive advisory lock on a lock file (POSIX ``flock``; a no-op where unavailable)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> _locked:
        self.handle = self.path.open("a")
        try:
            import fcntl

            fcntl.flock(self.handle, fcntl.LOCK_EX)
        except ImportError:  # Windows: no advisory locks, rely on the atomic replace
            pass
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()  # closing releases the flock


def _series_limits(
    settings: HistorySettings, key: tuple[str, str, str], series: np.ndarray
) -> tuple[float, float, str] | None:
    """Established (mean, sd, origin) of a series, or None while the baseline is incomplete."""
    if key in settings.limits:
        mean, sd = settings.limits[key]
        return mean, sd, "spec"
    base = series[np.isfinite(series)][: settings.baseline_runs]
    if len(base) < settings.baseline_runs:
        return None
    sd = float(np.std(base, ddof=1))
    return (float(np.mean(base)), sd, f"first {settings.baseline_runs} runs") if sd > 0 else None


def _westgard_results(
    history: pd.DataFrame, current: pd.DataFrame, spec: Spec, run: str
) -> pd.DataFrame:
    settings = spec.history
    records = []
    for row in current.itertuples(index=False):
        if row.metric not in settings.metrics or not np.isfinite(row.value):
            continue
        past = history[
            history["metric"].eq(row.metric)
            & history["target"].eq(row.target)
            & history["sample"].eq(row.sample)
        ]
        series = np.append(past["value"].to_numpy(float), row.value)
        limits = _series_limits(settings, (row.metric, row.target, row.sample), series)
        now = len(series) - 1
        if limits is not None and limits[2] != "spec" and now < settings.baseline_runs:
            limits = None  # the run is one of the baseline runs
        hits = {}
        if limits is not None:
            mean, sd, origin = limits
            hits = {v.rule: v for v in westgard(series, mean, sd, settings.rules) if v.index == now}
            z = (row.value - mean) / sd
            expected = f"mean {mean:.2f}, SD {sd:.3f} ({origin})"
            observed = f"{row.value:.2f} (z {z:+.2f})"
        else:
            done = int(np.isfinite(series).sum())
            expected = f"baseline of {settings.baseline_runs} runs"
            observed = f"{row.value:.2f} ({done}/{settings.baseline_runs} baseline runs)"
            if done > settings.baseline_runs:  # baseline complete but without spread
                expected = f"baseline of {settings.baseline_runs} runs has SD 0: no limits"
                observed = f"{row.value:.2f}"
        for rule in settings.rules:
            severity = settings.severity[rule]
            status = "skip" if limits is None else severity if rule in hits else "pass"
            records.append(
                {
                    "run": run,
                    "rule_id": f"westgard-{rule}/{row.metric}",
                    "severity": severity,
                    "target": row.target,
                    "sample": row.sample,
                    "expected": expected,
                    "observed": observed,
                    "value": row.value,
                    "status": status,
                    "message": f"{row.metric}: {_WESTGARD_MEANING[rule]}",
                }
            )
    return pd.DataFrame.from_records(records, columns=list(RESULT_COLUMNS))


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def check_run(
    export: str | Path | pd.DataFrame,
    spec: Spec | str | Path,
    layout: str | Path | None = None,
    history: str | Path | None = None,
    run: str | None = None,
    format: str | None = None,
) -> pd.DataFrame:
    """Evaluate ``spec`` on one run; returns the results table (``RESULT_COLUMNS``).

    ``export`` is an export file (any supported format) or a wells table. With ``layout`` the
    plate layout is joined to the wells first. With ``history`` the run's key values
    (:func:`run_values`) are judged by Westgard rules against the earlier runs and then
    appended to the file; a run already in the history (same name and content digest) is
    judged against the runs before it and not appended twice. ``run`` names the run (default: the
    file name without suffix); ``format`` names the reader (default: detected).
    """
    if not isinstance(spec, Spec):
        spec = load_spec(spec)
    if isinstance(export, pd.DataFrame):
        wells = export
        digest = hashlib.sha256(export.to_csv(index=False).encode()).hexdigest()[:16]
        run = run or "run"
    else:
        from .io import read_run

        path = Path(export)
        wells = read_run(path, format).wells
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        run = run or path.stem
    if layout is not None:
        from .layout import join_layout, load_layout

        wells, _ = join_layout(wells, load_layout(layout), where=str(layout))
    prepared = _prepare(wells)
    curves = _curves(prepared)
    results = _evaluate(prepared, curves, spec, run)
    if history is None:
        return results
    past = read_history(history)
    known = past["digest"].eq(digest) & past["run"].eq(run)
    if known.any():
        first = int(np.flatnonzero(known.to_numpy())[0])
        past = past.iloc[:first]
    values = _values(prepared, curves, spec)
    trend = _westgard_results(past, values, spec, run)
    if not known.any():
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        append_history(history, values.assign(run=run, digest=digest, recorded_at=stamp))
    return pd.concat([results, trend], ignore_index=True)


def collect_exports(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders into the export files they hold (sorted; hidden files and files no
    reader claims are skipped); files given by name are kept as they are."""
    from .errors import UnrecognizedFormatError
    from .io import detect

    out: list[Path] = []
    for item in map(Path, paths):
        if not item.is_dir():
            out.append(item)
            continue
        for child in sorted(item.iterdir()):
            if child.name.startswith(".") or not child.is_file():
                continue
            try:
                detect(child)
            except (UnrecognizedFormatError, InputError):
                continue
            out.append(child)
    return out


def verdict(results: pd.DataFrame) -> str:
    """``fail`` if any row failed, else ``warn`` if any warned, else ``pass``."""
    statuses = set(results["status"])
    return "fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass"


def exit_code(results: pd.DataFrame) -> int:
    """Process exit code: 3 when a fail rule failed, else 0 (warnings do not fail a run)."""
    return 3 if verdict(results) == "fail" else 0


def to_json(results: pd.DataFrame, spec: Spec | None = None) -> str:
    """JSON report: ``verdict``, ``spec``, per-run verdicts and the result rows (NaN → null)."""
    rows = json.loads(results.to_json(orient="records", force_ascii=False))
    runs = {run: verdict(group) for run, group in results.groupby("run", sort=False)}
    report = {
        "verdict": verdict(results),
        "spec": spec.source if spec else None,
        "runs": runs,
        "counts": {
            s: int((results["status"] == s).sum()) for s in ("pass", "warn", "fail", "skip")
        },
        "results": rows,
    }
    return json.dumps(report, indent=2, ensure_ascii=False)


def to_junit(results: pd.DataFrame, name: str = "qpcr check") -> str:
    """JUnit XML: one ``testsuite`` per run, one ``testcase`` per result row.

    ``fail`` rows get a ``failure`` element, ``skip`` rows ``skipped``; ``warn`` rows pass
    with the warning in ``system-out`` (CI stays green on warnings). Elements and attributes
    follow Jenkins' ``junit-10.xsd`` (the schema GitLab and Jenkins read); the attributes that
    the Ant/windyroad ``JUnit.xsd`` requires of a testsuite are written as well.
    """
    import socket
    import xml.etree.ElementTree as ET

    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    host = socket.gethostname() or "localhost"
    root = ET.Element("testsuites", name=name)
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for i, (run, group) in enumerate(results.groupby("run", sort=False)):
        counts = {
            "tests": len(group),
            "failures": int(group["status"].eq("fail").sum()),
            "errors": 0,
            "skipped": int(group["status"].eq("skip").sum()),
        }
        suite = ET.SubElement(
            root,
            "testsuite",
            name=str(run),
            package="qpcr.check",
            id=str(i),
            timestamp=stamp,
            hostname=host,
            time="0",
            **{k: str(v) for k, v in counts.items()},
        )
        for key in totals:
            totals[key] += counts[key]
        for row in group.itertuples(index=False):
            label = "/".join(x for x in (row.target, row.sample) if isinstance(x, str) and x)
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{row.rule_id} [{label}]" if label else row.rule_id,
                classname=f"qpcr.check.{run}",
                time="0",
            )
            text = f"expected {row.expected}; observed {row.observed}. {row.message}"
            if row.status == "fail":
                failure = ET.SubElement(case, "failure", message=text, type=row.rule_id)
                failure.text = text
            elif row.status == "skip":
                ET.SubElement(case, "skipped", message=text)
            elif row.status == "warn":
                ET.SubElement(case, "system-out").text = f"WARNING: {text}"
    for key in ("tests", "failures", "errors"):  # junit-10.xsd has no 'skipped' on testsuites
        root.set(key, str(totals[key]))
    root.set("time", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


# --------------------------------------------------------------------------------------------
# Writing a spec from good runs
# --------------------------------------------------------------------------------------------


def _toml(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) >= 0.1 else f"{value:g}"
    return str(value)


def _rule_block(comment: str, **keys: Any) -> str:
    lines = [f"# {line}" for line in comment.splitlines()]
    lines.append("[[rule]]")
    lines += [f"{key} = {_toml(value)}" for key, value in keys.items() if value is not None]
    return "\n".join(lines) + "\n"


def _slug(*parts: str) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9_.]+", "_", p).strip("_") for p in parts if p)


def init_spec(
    runs: Sequence[pd.DataFrame],
    reference: Sequence[str] = (),
    name: str = "reference plate",
) -> str:
    """A commented TOML spec from one or more good runs (wells tables), for the user to edit.

    Expected values are the means over runs of each run's mean Cq (target × sample) and ΔCq
    (each target against the first ``reference`` gene); tolerances are the larger of a default
    (1 cycle for Cq, 0.5 for ΔCq) and 3 × the between-run SD. NTC margin 5 cycles and
    efficiency 90-110 % with R² ≥ 0.98 over ≥ 5 points follow methods.md §2.9 and §2.5.
    """
    if not runs:
        raise InputError("no runs given", where="init_spec", hint="Pass one or more good runs")
    prepared = [_prepare(w) for w in runs]
    all_targets = sorted(set().union(*(set(w["target"]) for w in prepared)))
    for gene in reference:
        if gene not in all_targets:
            raise ConfigError(
                f"reference gene '{gene}' is not on the plate; expected one of "
                f"{', '.join(all_targets)}",
                where="reference_genes",
                hint=_did_you_mean(gene, all_targets),
            )
    per_run = []
    for i, w in enumerate(prepared):
        m = w[w["usable"] & w["sample_type"].isin(MEASURED_TYPES)]
        per_run.append(m.groupby(["target", "sample"])["cq"].mean().rename(i))
    cq = pd.concat(per_run, axis=1)
    n = len(runs)
    out = [
        f"# qpcr check specification written by 'qpcr check --init-spec' from {n} run(s).",
        "# Review every rule: expected values are the observed means; tolerances are defaults",
        "# or 3 x the between-run SD, whichever is larger. severity = 'fail' fails the check",
        "# (exit 3); 'warn' only reports. See docs/reference-plates.md.",
        "",
        "[spec]",
        f"name = {_toml(name)}",
        "",
    ]

    def spread(values: pd.Series, default: float) -> tuple[float, str]:
        sd = float(values.std(ddof=1)) if values.count() >= 2 else np.nan
        note = f"between-run SD {sd:.3f}" if np.isfinite(sd) else "one run: default tolerance"
        return round(max(default, 3 * sd) if np.isfinite(sd) else default, 2), note

    for (target, sample), values in cq.iterrows():
        tol, note = spread(values, 1.0)
        out.append(
            _rule_block(
                f"Mean Cq of {target} in {sample}: observed {values.mean():.2f} ({note}).",
                id=_slug("cq", target, sample),
                type="cq",
                target=target,
                sample=sample,
                expected=round(float(values.mean()), 2),
                tolerance=tol,
                severity="fail",
                message=f"{target} Cq of {sample} is off its expected value",
            )
        )
    if reference:
        ref = reference[0]
        for (target, sample), values in cq.iterrows():
            if target in reference or (ref, sample) not in cq.index:
                continue
            delta = values - cq.loc[(ref, sample)]
            tol, note = spread(delta, 0.5)
            out.append(
                _rule_block(
                    f"ΔCq of {target} against {ref} in {sample} ({note}).",
                    id=_slug("dcq", target, ref, sample),
                    type="delta_cq",
                    target=target,
                    reference_target=ref,
                    sample=sample,
                    expected=round(float(delta.mean()), 2),
                    tolerance=tol,
                    severity="fail",
                    message=f"{target} relative to {ref} has shifted",
                )
            )
    else:
        out.append(
            "# No reference gene given (--reference GENE): add delta_cq rules by hand, e.g.\n"
            '# [[rule]]\n# id = "dcq-TARGET-REF"\n# type = "delta_cq"\n'
            '# target = "TARGET"\n# reference_target = "REF"\n# expected = 4.0\n'
            "# tolerance = 0.5\n"
        )
    if any(w["sample_type"].isin(NEGATIVE_TYPES).any() for w in prepared):
        out.append(
            _rule_block(
                "No-template controls: undetermined, or at least 5 cycles above the latest\n"
                "sample of the same target (qbase+ default, methods.md §2.9).",
                id="ntc-clean",
                type="ntc",
                margin=5.0,
                severity="fail",
                message="an NTC amplified: check for contamination",
            )
        )
    sds = [_replicate_groups(w)["sd"].max() for w in prepared]
    worst = max((x for x in sds if np.isfinite(x)), default=np.nan)
    max_sd = 0.25
    if np.isfinite(worst):
        max_sd = min(0.5, max(0.25, math.ceil(20 * 1.2 * worst) / 20))
    out.append(
        _rule_block(
            f"Technical replicates (SD in cycles; worst observed {_fmt(worst, 3)}; limit:\n"
            "1.2 x the worst rounded up to 0.05, kept within 0.25-0.5).\n"
            "Alternative: max_range = 0.5 (qbase+ default, methods.md §2.1).",
            id="replicate-sd",
            type="replicate_sd",
            max_sd=max_sd,
            severity="fail",
            message="technical replicates disagree: pipetting or a failed well",
        )
    )
    if any(not _curves(w).empty for w in prepared):
        out.append(
            _rule_block(
                "Standard-curve efficiency 100·(10^(-1/slope) - 1), methods.md §2.5.",
                id="efficiency",
                type="efficiency",
                min_percent=90.0,
                max_percent=110.0,
                severity="fail",
                message="amplification efficiency outside 90-110 %",
            )
        )
        out.append(
            _rule_block(
                "Standard-curve linearity and number of points (wells), methods.md §2.5.",
                id="r-squared",
                type="r_squared",
                min=0.98,
                min_points=5,
                severity="fail",
                message="the standard curve is not linear enough",
            )
        )
    counts = [
        int((w["usable"] & ~w["sample_type"].isin(NO_AMPLIFICATION_TYPES)).sum()) for w in prepared
    ]
    out.append(
        _rule_block(
            f"Usable reactions (controls excluded): observed {min(counts)}-{max(counts)}; "
            "90 % of the fewest.",
            id="valid-wells",
            type="valid_wells",
            min=math.floor(0.9 * min(counts)),
            severity="fail",
            message="too many failed or omitted wells",
        )
    )
    samples = cq.index.get_level_values("sample").unique()
    if len(reference) >= 3 and len(samples) >= 3:
        out.append(
            _rule_block(
                "geNorm M of the reference genes: 0.5 suits homogeneous material such as a\n"
                "reference cDNA; 1.5 is geNorm's original cut-off.",
                id="reference-stability",
                type="reference_stability",
                targets=list(reference),
                max_m=0.5,
                severity="warn",
                message="reference genes vary together less well than usual",
            )
        )
    out.append(
        "# Control charts (used with --history FILE): Levey-Jennings limits from the first\n"
        "# baseline_runs runs (or fixed [[history.limit]] tables), judged by Westgard rules.\n"
        "[history]\n"
        "baseline_runs = 20\n"
        'metrics = ["mean_cq", "delta_cq", "efficiency"]\n'
        'rules = ["1-3s", "2-2s", "R-4s", "4-1s", "10-x"]\n'
        '# severity = { "4-1s" = "fail", "10-x" = "fail" }   # defaults: these two warn\n'
        "# [[history.limit]]   # an established mean and SD instead of the baseline runs\n"
        '# metric = "mean_cq"\n# target = "GAPDH"\n# sample = "REF"\n# mean = 20.1\n# sd = 0.15\n'
    )
    return _note_failures("\n".join(out), prepared)


def _note_failures(text: str, prepared: list[pd.DataFrame]) -> str:
    """Add a ``# NOTE`` above every rule that the runs the spec was written from violate."""
    spec = parse_spec(text, source="init-spec")
    results = pd.concat(
        [_evaluate(w, _curves(w), spec, str(i)) for i, w in enumerate(prepared)], ignore_index=True
    )
    bad = results[results["status"].ne("pass")]
    lines = text.splitlines()
    for rule in reversed(spec.rules):  # bottom up, so earlier line numbers stay valid
        own = bad[bad["rule_id"].eq(rule.id)]
        if own.empty:
            continue
        first = own.iloc[0]
        where = "/".join(x for x in (first["target"], first["sample"]) if x)
        note = (
            f"# NOTE: the given runs violate this rule {len(own)} time(s), e.g. {where}: "
            f"observed {first['observed']}. Fix the runs or edit the rule."
        )
        lines.insert(rule.line - 1, note)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Control chart
# --------------------------------------------------------------------------------------------


def plot_control_chart(
    history: pd.DataFrame | str | Path, spec: Spec, out: str | Path, max_panels: int = 12
) -> Path:
    """Levey-Jennings chart (PNG): one panel per watched series (metric × target × sample)
    with the established mean, ±1/2/3 SD lines, the baseline runs shaded and the points that
    end a Westgard violation marked with the rule names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = history if isinstance(history, pd.DataFrame) else read_history(history)
    settings = spec.history
    table = table[table["metric"].isin(settings.metrics)]
    keys = sorted(
        table.groupby(["metric", "target", "sample"]).groups,
        key=lambda k: (settings.metrics.index(k[0]), k[1], k[2]),
    )[:max_panels]
    if not keys:
        raise InputError(
            "the history holds no watched values to chart",
            where="--chart",
            hint=f"Run 'qpcr check ... --history FILE' first; watched: {settings.metrics}",
        )
    runs = list(dict.fromkeys(zip(table["run"], table["digest"], strict=True)))
    position = {run: i + 1 for i, run in enumerate(runs)}  # shared x: run order in the file
    fig, axes = plt.subplots(
        len(keys), 1, figsize=(10, 2.2 * len(keys) + 1.2), squeeze=False, sharex=True
    )
    units = {"mean_cq": "Cq", "delta_cq": "ΔCq", "efficiency": "efficiency %"}
    for ax, key in zip(axes[:, 0], keys, strict=True):
        metric, target, sample = key
        own = table[
            table["metric"].eq(metric) & table["target"].eq(target) & table["sample"].eq(sample)
        ]
        values = own["value"].to_numpy(float)
        x = np.array([position[r] for r in zip(own["run"], own["digest"], strict=True)])
        ax.plot(x, values, "o-", color="#1f4e79", ms=4, lw=1, zorder=3)
        limits = _series_limits(settings, key, values)
        title = f"{units.get(metric, metric)} · {target}" + (f" · {sample}" if sample else "")
        ax.set_ylabel(units.get(metric, metric))
        if limits is None:
            ax.set_title(f"{title}  (baseline incomplete: {len(values)}/{settings.baseline_runs})")
            continue
        mean, sd, origin = limits
        ax.set_title(f"{title}  (mean {mean:.2f}, SD {sd:.3f}, {origin})", fontsize=10)
        ax.axhline(mean, color="black", lw=1)
        for k, color in ((1, "#9bbb59"), (2, "#f79646"), (3, "#c0504d")):
            for sign in (1, -1):
                ax.axhline(mean + sign * k * sd, color=color, lw=0.9, ls="--")
            ax.annotate(
                f"±{k} SD", (1.0, mean + k * sd), xycoords=("axes fraction", "data"),
                xytext=(3, 0), textcoords="offset points", va="center", fontsize=7, color=color,
            )  # fmt: skip
        first = 0
        if origin.startswith("first"):
            first = settings.baseline_runs
            ax.axvspan(x[0] - 0.5, x[first - 1] + 0.5, color="0.93", zorder=0)
        marks: dict[int, set[str]] = {}
        for v in westgard(values, mean, sd, settings.rules):
            if v.index >= first:
                marks.setdefault(v.index, set()).add(v.rule)
        for i in sorted(marks):
            ax.plot(x[i], values[i], "o", color="#c0504d", ms=8, zorder=4)
            new = [r for r in settings.rules if r in marks[i] - marks.get(i - 1, set())]
            if new:  # label a rule where it starts firing, not at every point
                ax.annotate(
                    ",".join(new), (x[i], values[i]), xytext=(-4, 6),
                    textcoords="offset points", ha="right", fontsize=8, color="#c0504d",
                )  # fmt: skip
        low = min(np.nanmin(values), mean - 3.5 * sd)
        high = max(np.nanmax(values), mean + 3.5 * sd)
        ax.set_ylim(low - 0.05 * (high - low), high + 0.15 * (high - low))
    bottom = axes[-1, 0]
    ticks = np.arange(1, len(runs) + 1)[:: max(1, -(-len(runs) // 12))]
    bottom.set_xlim(0.5, len(runs) + 0.5)
    bottom.set_xticks(ticks)
    bottom.set_xticklabels([runs[t - 1][0] for t in ticks], rotation=30, ha="right", fontsize=8)
    fig.suptitle(f"{spec.name}: control charts (Westgard violations in red)", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    out = Path(out)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
