"""Rule evaluation: one run's wells against the rules of a spec (the results table).

Every rule type of :data:`~qpcr.check.spec.RULE_TYPES` has an evaluator returning one row per
judged target (× sample); :func:`evaluate_rules` gathers them into a table of
:data:`RESULT_COLUMNS` with ``status`` ``pass``, ``warn`` or ``fail``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from .spec import Rule, Spec

__all__ = [
    "MEASURED_TYPES",
    "NEGATIVE_TYPES",
    "NO_AMPLIFICATION_TYPES",
    "RESULT_COLUMNS",
    "evaluate_rules",
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
#: Sample types whose wells are measured samples; negative controls never amplify.
MEASURED_TYPES = ("unkn", "pos")
NEGATIVE_TYPES = ("ntc", "nac")
NO_AMPLIFICATION_TYPES = ("ntc", "nac", "nrt")


def _prepare(wells: pd.DataFrame) -> pd.DataFrame:
    """Copy of the wells with a boolean ``usable`` column (Cq ok, not omitted, not excluded)."""
    from ..schema import check_wells

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
    """A number with ``digits`` decimals, or ``n/a``."""
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def _row(ok: bool, target: str, sample: str, expected: str, observed: str, value: float) -> dict:
    """One evaluation: pass/fail, what was judged, expected and observed text, the value."""
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
    """``[target]`` when the rule names one, else every target (of ``types``) on the plate."""
    if target is not None:
        return [target]
    sel = w["sample_type"].isin(types) if types is not None else slice(None)
    return sorted(w.loc[sel, "target"].unique())


def _eval_cq(rule: Rule, w: pd.DataFrame) -> list[dict]:
    """``cq``: the mean Cq within ``tolerance`` of ``expected``."""
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
    """Target and sample labels of a ΔCq (``A vs B`` where the rule compares two)."""
    target, sample = p["target"], p.get("sample", "")
    if p.get("reference_target", target) != target:
        target = f"{target} vs {p['reference_target']}"
    if p.get("reference_sample", sample) != sample:
        sample = f"{sample} vs {p['reference_sample']}"
    return target, sample


def _eval_delta_cq(rule: Rule, w: pd.DataFrame) -> list[dict]:
    """``delta_cq``: the ΔCq within ``tolerance`` of ``expected``."""
    p = rule.params
    delta = _delta_cq(w, p)
    ok = bool(np.isfinite(delta)) and abs(delta - p["expected"]) <= p["tolerance"]
    target, sample = _delta_label(p)
    expected = f"ΔCq {p['expected']:.2f} ± {p['tolerance']:g}"
    observed = f"ΔCq {delta:.2f}" if np.isfinite(delta) else "a Cq is missing"
    return [_row(ok, target, sample, expected, observed, delta)]


def _eval_fold_change(rule: Rule, w: pd.DataFrame) -> list[dict]:
    """``fold_change``: 2^-ΔΔCq (E = 2) within ``tolerance_log2`` of ``expected``."""
    p = rule.params

    def delta(sample: str) -> float:
        ref = float(np.mean([_mean_cq(w, r, sample)[0] for r in p["reference"]]))
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
    """``ntc``: per target, NTC wells undetermined or late enough (methods §2.9)."""
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
    """``replicate_sd``: every replicate group's SD and range within the limits."""
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
        # pandas-stubs: .loc takes any index label, and idxmax returns one typed Hashable
        worst = own.loc[own["sd"].idxmax()]  # type: ignore[call-overload]
        shown = bad.loc[bad["sd"].idxmax()] if len(bad) else worst
        observed = f"SD {shown['sd']:.3f}, range {shown['range']:.2f}"
        if len(bad):
            observed = f"{len(bad)}/{len(own)} groups out; {observed}"
        rows.append(_row(bad.empty, target, str(shown["sample"]), expected, observed, worst["sd"]))
    return rows


def _curves(w: pd.DataFrame) -> pd.DataFrame:
    """Standard curve per target (:func:`qpcr.curves.standard_curves`, all plates pooled)."""
    from ..curves import standard_curves

    if "quantity" not in w or not w["sample_type"].eq("std").any():
        return pd.DataFrame(columns=["target", "slope", "r_squared", "efficiency", "n_points"])
    return standard_curves(w, group=("target",))


def _eval_curve(rule: Rule, w: pd.DataFrame, curves: pd.DataFrame) -> list[dict]:
    """``efficiency`` and ``r_squared``: each target's standard curve within limits."""
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
    """``valid_wells``: at least ``min`` usable reactions outside the controls."""
    p = rule.params
    sel = w["usable"] & ~w["sample_type"].isin(NO_AMPLIFICATION_TYPES)
    if "target" in p:
        sel &= w["target"].eq(p["target"])
    count = int(sel.sum())
    expected = f"≥ {int(p['min'])} reactions"
    return [_row(count >= p["min"], p.get("target", ""), "", expected, str(count), count)]


def _eval_stability(rule: Rule, w: pd.DataFrame) -> list[dict]:
    """``reference_stability``: geNorm M of each reference gene at most ``max_m``."""
    p = rule.params
    sel = w["usable"] & w["target"].isin(p["targets"]) & w["sample_type"].isin(MEASURED_TYPES)
    if "samples" in p:
        sel &= w["sample"].isin(p["samples"])
    table = w[sel].pivot_table(index="sample", columns="target", values="cq", aggfunc="mean")
    table = table.reindex(columns=list(p["targets"])).dropna()
    expected = f"geNorm M ≤ {p['max_m']:g}"
    from ..errors import DesignError
    from ..stability import genorm

    try:
        m = genorm(table).m
    except DesignError as exc:
        return [_row(False, ", ".join(p["targets"]), "", expected, exc.message, np.nan)]
    observed = "M {:.3f} over {} samples"
    return [
        _row(
            value <= p["max_m"], str(gene), "", expected, observed.format(value, len(table)), value
        )
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
    """The message of a rule that gives none."""
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
    """Evaluate every rule of ``spec`` on one run's wells (no history).

    Parameters
    ----------
    wells : DataFrame
        The run's wells table.
    spec : Spec
        The rules.
    run : str
        The run's name in the ``run`` column.

    Returns
    -------
    DataFrame
        One row per rule evaluation (``RESULT_COLUMNS``), in the order of the rules.

    Examples
    --------
    >>> import pandas as pd
    >>> wells = pd.DataFrame({
    ...     "well": ["A1", "A2", "A3", "B1", "B2", "B3"],
    ...     "sample": "REF", "sample_type": "unkn", "cq_status": "ok",
    ...     "target": ["GAPDH"] * 3 + ["MYC"] * 3,
    ...     "cq": [18.0, 18.1, 18.2, 24.4, 24.5, 24.6],
    ... })
    >>> from qpcr.check import parse_spec
    >>> spec = parse_spec('''
    ... [[rule]]
    ... id = "cq-GAPDH"
    ... type = "cq"
    ... target = "GAPDH"
    ... expected = 18.0
    ... tolerance = 0.5
    ...
    ... [[rule]]
    ... id = "dcq-MYC"
    ... type = "delta_cq"
    ... target = "MYC"
    ... reference_target = "GAPDH"
    ... expected = 6.0
    ... tolerance = 0.3
    ... ''')
    >>> evaluate_rules(wells, spec)[["rule_id", "target", "expected", "observed", "status"]]
        rule_id        target        expected     observed status
    0  cq-GAPDH         GAPDH     18.00 ± 0.5  18.10 (n=3)   pass
    1   dcq-MYC  MYC vs GAPDH  ΔCq 6.00 ± 0.3     ΔCq 6.40   fail
    """
    w = _prepare(wells)
    return _evaluate(w, _curves(w), spec, run)


def _evaluate(w: pd.DataFrame, curves: pd.DataFrame, spec: Spec, run: str) -> pd.DataFrame:
    """The results table of prepared wells and their curves (no history)."""
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
