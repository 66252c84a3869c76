"""Writing a starting spec from good runs (``qpcr check --init-spec``)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError
from .rules import (
    MEASURED_TYPES,
    NEGATIVE_TYPES,
    NO_AMPLIFICATION_TYPES,
    _curves,
    _evaluate,
    _fmt,
    _prepare,
    _replicate_groups,
)
from .spec import _did_you_mean, parse_spec

__all__ = ["init_spec"]


def _toml(value: Any) -> str:
    """A TOML literal of a text, number or list (numbers rounded for reading)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) >= 0.1 else f"{value:g}"
    return str(value)


def _rule_block(comment: str, **keys: Any) -> str:
    """A ``[[rule]]`` table under its comment (keys whose value is None are left out)."""
    lines = [f"# {line}" for line in comment.splitlines()]
    lines.append("[[rule]]")
    lines += [f"{key} = {_toml(value)}" for key, value in keys.items() if value is not None]
    return "\n".join(lines) + "\n"


def _slug(*parts: str) -> str:
    """A rule id from names: runs of other characters become ``_``, parts joined by ``-``."""
    return "-".join(re.sub(r"[^A-Za-z0-9_.]+", "_", p).strip("_") for p in parts if p)


#: The commented ``[history]`` table that ends every written spec.
_HISTORY_BLOCK = (
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


def init_spec(
    runs: Sequence[pd.DataFrame],
    reference: Sequence[str] = (),
    name: str = "reference plate",
) -> str:
    """A commented TOML spec from one or more good runs, for the user to edit.

    Expected values are the means over runs of each run's mean Cq (target × sample) and ΔCq
    (each target against the first ``reference`` gene); tolerances are the larger of a default
    (1 cycle for Cq, 0.5 for ΔCq) and 3 × the between-run SD. NTC margin 5 cycles and
    efficiency 90-110 % with R² ≥ 0.98 over ≥ 5 points follow methods.md §2.9 and §2.5.

    Parameters
    ----------
    runs : sequence of DataFrame
        Wells tables of good runs of the reference plate.
    reference : sequence of str
        Reference genes; the first one is the reference of the ``delta_cq`` rules.
    name : str
        The spec's name.

    Returns
    -------
    str
        The spec as TOML text (:func:`parse_spec` reads it).

    Raises
    ------
    InputError
        If ``runs`` is empty.
    ConfigError
        If a reference gene is not on the plate.

    Examples
    --------
    >>> import pandas as pd
    >>> wells = pd.DataFrame({
    ...     "well": ["A1", "A2", "A3", "B1", "B2", "B3"],
    ...     "sample": "REF", "sample_type": "unkn", "cq_status": "ok",
    ...     "target": ["GAPDH"] * 3 + ["MYC"] * 3,
    ...     "cq": [18.0, 18.1, 18.2, 24.4, 24.5, 24.6],
    ... })
    >>> text = init_spec([wells, wells.assign(cq=wells["cq"] + 0.2)], reference=["GAPDH"])
    >>> print(text[text.index("# ΔCq"):text.index("# Technical")].strip())
    # ΔCq of MYC against GAPDH in REF (between-run SD 0.000).
    [[rule]]
    id = "dcq-MYC-GAPDH-REF"
    type = "delta_cq"
    target = "MYC"
    reference_target = "GAPDH"
    sample = "REF"
    expected = 6.40
    tolerance = 0.50
    severity = "fail"
    message = "MYC relative to GAPDH has shifted"
    >>> from qpcr.check import parse_spec
    >>> [rule.id for rule in parse_spec(text).rules]
    ['cq-GAPDH-REF', 'cq-MYC-REF', 'dcq-MYC-GAPDH-REF', 'replicate-sd', 'valid-wells']
    """
    if not runs:
        raise InputError("no runs given", where="init_spec", hint="Pass one or more good runs")
    prepared = [_prepare(w) for w in runs]
    _check_reference(prepared, reference)
    cq = _mean_cq_per_run(prepared)
    out = [
        *_header(len(runs), name),
        *_cq_rules(cq),
        *_delta_cq_rules(cq, reference),
        *_control_rules(prepared),
        *_stability_rules(cq, reference),
        _HISTORY_BLOCK,
    ]
    return _note_failures("\n".join(out), prepared)


def _check_reference(prepared: list[pd.DataFrame], reference: Sequence[str]) -> None:
    """Refuse a reference gene that no run measures."""
    all_targets = sorted(set().union(*(set(w["target"]) for w in prepared)))
    for gene in reference:
        if gene not in all_targets:
            raise ConfigError(
                f"reference gene '{gene}' is not on the plate; expected one of "
                f"{', '.join(all_targets)}",
                where="reference_genes",
                hint=_did_you_mean(gene, all_targets),
            )


def _mean_cq_per_run(prepared: list[pd.DataFrame]) -> pd.DataFrame:
    """Mean Cq of the measured samples: one row per target × sample, one column per run."""
    per_run = []
    for i, w in enumerate(prepared):
        m = w[w["usable"] & w["sample_type"].isin(MEASURED_TYPES)]
        per_run.append(m.groupby(["target", "sample"])["cq"].mean().rename(i))
    return pd.concat(per_run, axis=1)


def _header(n: int, name: str) -> list[str]:
    """The spec's opening comment and its ``[spec]`` table."""
    return [
        f"# qpcr check specification written by 'qpcr check --init-spec' from {n} run(s).",
        "# Review every rule: expected values are the observed means; tolerances are defaults",
        "# or 3 x the between-run SD, whichever is larger. severity = 'fail' fails the check",
        "# (exit 3); 'warn' only reports. See docs/reference-plates.md.",
        "",
        "[spec]",
        f"name = {_toml(name)}",
        "",
    ]


def _tolerance_rule(what: str, values: pd.Series, default: float, message: str, **keys: Any) -> str:
    """A rule expecting the mean of ``values`` within the larger of ``default`` and 3 × SD."""
    sd = float(values.std(ddof=1)) if values.count() >= 2 else np.nan
    note = f"between-run SD {sd:.3f}" if np.isfinite(sd) else "one run: default tolerance"
    tolerance = round(max(default, 3 * sd) if np.isfinite(sd) else default, 2)
    return _rule_block(
        f"{what} ({note}).",
        **keys,
        expected=round(float(values.mean()), 2),
        tolerance=tolerance,
        severity="fail",
        message=message,
    )


def _rows(cq: pd.DataFrame) -> dict[tuple[str, str], pd.Series]:
    """The rows of the target × sample table of mean Cq (one column per run), by key."""
    return {(str(t), str(s)): cq.iloc[i] for i, (t, s) in enumerate(cq.index)}


def _cq_rules(cq: pd.DataFrame) -> list[str]:
    """One ``cq`` rule per target × sample (default tolerance 1 cycle)."""
    return [
        _tolerance_rule(
            f"Mean Cq of {target} in {sample}: observed {values.mean():.2f}",
            values,
            1.0,
            id=_slug("cq", target, sample),
            type="cq",
            target=target,
            sample=sample,
            message=f"{target} Cq of {sample} is off its expected value",
        )
        for (target, sample), values in _rows(cq).items()
    ]


def _delta_cq_rules(cq: pd.DataFrame, reference: Sequence[str]) -> list[str]:
    """``delta_cq`` rules of each target against the first reference gene (or a hint)."""
    if not reference:
        return [
            "# No reference gene given (--reference-genes GENE): add delta_cq rules by hand, e.g.\n"
            '# [[rule]]\n# id = "dcq-TARGET-REF"\n# type = "delta_cq"\n'
            '# target = "TARGET"\n# reference_target = "REF"\n# expected = 4.0\n'
            "# tolerance = 0.5\n"
        ]
    ref = reference[0]
    rows = _rows(cq)
    return [
        _tolerance_rule(
            f"ΔCq of {target} against {ref} in {sample}",
            values - rows[(ref, sample)],
            0.5,
            id=_slug("dcq", target, ref, sample),
            type="delta_cq",
            target=target,
            reference_target=ref,
            sample=sample,
            message=f"{target} relative to {ref} has shifted",
        )
        for (target, sample), values in rows.items()
        if target not in reference and (ref, sample) in rows
    ]


def _control_rules(prepared: list[pd.DataFrame]) -> list[str]:
    """NTC, replicate, standard-curve and usable-well rules, as far as the runs allow."""
    out = []
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
    out.append(_replicate_rule(prepared))
    if any(not _curves(w).empty for w in prepared):
        out += _curve_rules()
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
    return out


def _replicate_rule(prepared: list[pd.DataFrame]) -> str:
    """The ``replicate_sd`` rule, its limit from the worst replicate SD of the runs."""
    sds = [_replicate_groups(w)["sd"].max() for w in prepared]
    worst = max((x for x in sds if np.isfinite(x)), default=np.nan)
    max_sd = 0.25
    if np.isfinite(worst):
        max_sd = min(0.5, max(0.25, math.ceil(20 * 1.2 * worst) / 20))
    return _rule_block(
        f"Technical replicates (SD in cycles; worst observed {_fmt(worst, 3)}; limit:\n"
        "1.2 x the worst rounded up to 0.05, kept within 0.25-0.5).\n"
        "Alternative: max_range = 0.5 (qbase+ default, methods.md §2.1).",
        id="replicate-sd",
        type="replicate_sd",
        max_sd=max_sd,
        severity="fail",
        message="technical replicates disagree: pipetting or a failed well",
    )


def _curve_rules() -> list[str]:
    """Standard-curve efficiency and linearity rules (methods.md §2.5)."""
    return [
        _rule_block(
            "Standard-curve efficiency 100·(10^(-1/slope) - 1), methods.md §2.5.",
            id="efficiency",
            type="efficiency",
            min_percent=90.0,
            max_percent=110.0,
            severity="fail",
            message="amplification efficiency outside 90-110 %",
        ),
        _rule_block(
            "Standard-curve linearity and number of points (wells), methods.md §2.5.",
            id="r-squared",
            type="r_squared",
            min=0.98,
            min_points=5,
            severity="fail",
            message="the standard curve is not linear enough",
        ),
    ]


def _stability_rules(cq: pd.DataFrame, reference: Sequence[str]) -> list[str]:
    """The geNorm rule when three or more reference genes are measured in three samples."""
    samples = cq.index.get_level_values("sample").unique()
    if len(reference) < 3 or len(samples) < 3:
        return []
    return [
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
    ]


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
