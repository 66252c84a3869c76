"""Writing a starting spec from good runs (``qpcr check --init-spec``)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError
from ..lowcopy import single_copy_cqs
from ..outliers import expected_replicate_sd
from ..qc_wells import amplification_factors
from .learn import Learned, ntc_margins, predict_tolerance, replicate_limit, run_statistics
from .rules import (
    MEASURED_TYPES,
    NEGATIVE_TYPES,
    NO_AMPLIFICATION_TYPES,
    _curves,
    _evaluate,
    _prepare,
    _replicate_groups,
)
from .spec import _did_you_mean, parse_spec

if TYPE_CHECKING:
    from ..config import AnalysisConfig

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
    false_alarm: float = 0.01,
    config: AnalysisConfig | None = None,
) -> str:
    """A commented TOML spec from one or more good runs, for the user to edit.

    Expected values are the means over runs of each run's mean Cq (target × sample) and ΔCq
    (each target and each further reference gene against the first ``reference`` gene).
    Limits are prediction limits for one more good run (:mod:`qpcr.check.learn`), the
    ``false_alarm`` budget shared by every judged value: tolerances are the larger of a default
    (1 cycle for Cq, 0.5 for ΔCq) and the prediction limit; replicate-SD limits per target ×
    sample (per target from fewer than 3 runs); the NTC margin is 5 cycles, or the smallest
    margin the runs showed when below. Every limit passes the runs given. Efficiency 90-110 %
    with R² ≥ 0.98 over ≥ 5 points follow methods.md §2.5.

    The replicate variance is taken to be at least what Poisson sampling implies at the Cq
    (:func:`qpcr.outliers.expected_replicate_sd`), with each target's single-copy Cq and the
    pipetting SD of ``config`` and each target's ``[efficiency]`` (else E = 2); each
    ``replicate_sd`` rule's comment states the Cq₁ (and a configured E) it assumed.

    Parameters
    ----------
    runs : sequence of DataFrame
        Wells tables of good runs of the reference plate.
    reference : sequence of str
        Reference genes; the first one is the reference of the ``delta_cq`` rules.
    name : str
        The spec's name.
    false_alarm : float
        The chance a new good run may fail the learned limits (stated in the spec).
    config : AnalysisConfig, optional
        The analysis settings whose ``assay_single_copy_cq`` (else ``single_copy_cq``),
        ``efficiency`` (else 2.0) and ``pipetting_sd`` set the sampling floor (default: the
        default settings).

    Returns
    -------
    str
        The spec as TOML text (:func:`parse_spec` reads it).

    Raises
    ------
    InputError
        If ``runs`` is empty.
    ConfigError
        If a reference gene, or a target under ``[assay_single_copy_cq]``, is not on the plate.

    Examples
    --------
    >>> import pandas as pd
    >>> wells = pd.DataFrame({
    ...     "well": ["A1", "A2", "A3", "B1", "B2", "B3"],
    ...     "sample": "REF", "sample_type": "unkn", "cq_status": "ok",
    ...     "target": ["GAPDH"] * 3 + ["MYC"] * 3,
    ...     "cq": [18.0, 18.1, 18.2, 24.4, 24.5, 24.6],
    ... })

    Two runs, the second 0.2 cycles later throughout. The ΔCq does not move; its within-run
    variance is 2 × 0.1²/3 (triplicates with SD 0.1), so V = 0.00667 × (1 + 1/2) = 0.1²;
    five judged values share the 1 % budget and t_0.999(4) = 7.173 gives ±0.72:

    >>> text = init_spec([wells, wells.assign(cq=wells["cq"] + 0.2)], reference=["GAPDH"])
    >>> print(text[text.index("# ΔCq"):text.index("# Technical")].strip())
    # ΔCq of MYC against GAPDH in REF (between-run SD 0.000; predicted SD 0.100 on 4 df;
    # a good run falls outside with probability 0.197 %).
    [[rule]]
    id = "dcq-MYC-GAPDH-REF"
    type = "delta_cq"
    target = "MYC"
    reference_target = "GAPDH"
    sample = "REF"
    expected = 6.40
    tolerance = 0.72
    severity = "fail"
    message = "MYC relative to GAPDH has shifted"
    >>> from qpcr.check import parse_spec
    >>> [rule.id for rule in parse_spec(text).rules]  # doctest: +NORMALIZE_WHITESPACE
    ['cq-GAPDH-REF', 'cq-MYC-REF', 'dcq-MYC-GAPDH-REF', 'replicate-sd-GAPDH',
     'replicate-sd-MYC', 'valid-wells']
    """
    if not runs:
        raise InputError("no runs given", where="init_spec", hint="Pass one or more good runs")
    if config is None:
        from ..config import AnalysisConfig

        config = AnalysisConfig()
    prepared = [_prepare(w) for w in runs]
    _check_names(prepared, reference, config)
    stats = run_statistics(prepared)
    cq = stats.pivot_table(index=["target", "sample"], columns="run", values="mean")
    groups = _replicate_table(prepared)
    learned = _learn(stats, cq, reference, groups, false_alarm, config)
    rules = [
        *_cq_rules(cq, learned),
        *_delta_cq_rules(cq, reference, learned),
        *_control_rules(prepared, learned, config),
    ]
    out = [
        *_header(len(runs), name, learned, false_alarm),
        *rules,
        *_stability_rules(cq, reference),
        _HISTORY_BLOCK,
    ]
    return _note_failures("\n".join(out), prepared)


def _check_names(
    prepared: list[pd.DataFrame], reference: Sequence[str], config: AnalysisConfig
) -> None:
    """Refuse a reference gene, or a target given a single-copy Cq, that no run measures (a
    misspelt target would silently keep the assumed ``single_copy_cq``)."""
    all_targets = sorted(set().union(*(set(w["target"]) for w in prepared)))
    if list(reference) == ["auto"] and "auto" not in all_targets:
        raise ConfigError(
            "reference genes 'auto' are chosen by an analysis, not here; expected the gene(s) "
            "of the delta_cq rules",
            where="reference_genes",
            hint="Give --reference-genes GENE,... (the reference genes of your analyses)",
        )
    # genes named in the settings (as the CLI passes them) are named where they were given
    given = list(reference) == list(config.reference_genes)
    at = config.where("reference_genes") if given else "reference_genes"
    named = [("reference gene", at, gene) for gene in reference] + [
        ("single-copy Cq of", config.where("assay_single_copy_cq"), t)
        for t in config.assay_single_copy_cq
    ]
    for what, where, name in named:
        if name not in all_targets:
            raise ConfigError(
                f"{what} '{name}' is not on the plate; expected one of {', '.join(all_targets)}",
                where=where,
                hint=_did_you_mean(name, all_targets),
            )


def _replicate_table(prepared: list[pd.DataFrame]) -> pd.DataFrame:
    """The replicate groups of the measured samples in every run
    (:func:`qpcr.check.rules._replicate_groups`; standards are judged by the curve rules)."""
    groups = []
    for i, w in enumerate(prepared):
        measured = w.loc[w["sample_type"].isin(MEASURED_TYPES), "sample"].unique()
        found = _replicate_groups(w)
        groups.append(found[found["sample"].isin(measured)].assign(run=i))
    return pd.concat(groups, ignore_index=True)


def _learn(
    stats: pd.DataFrame,
    cq: pd.DataFrame,
    reference: Sequence[str],
    groups: pd.DataFrame,
    false_alarm: float,
    config: AnalysisConfig,
) -> dict[str, Any]:
    """The learned limits by rule id (and ``"runs"``, ``"checks"``: judged values per run;
    ``"floors"``: each replicate rule's sampling floor, the Cq and the Cq₁ it was taken at;
    the amplification factor is each target's ``[efficiency]``, else 2.0)."""
    pooled = stats.assign(ss=(stats["n"] - 1) * stats["var"], dof=stats["n"] - 1)
    pooled = pooled.groupby(["target", "sample"]).agg(ss=("ss", "sum"), dof=("dof", "sum"),
                                                      n=("n", "median"))  # fmt: skip
    # the replicate variance is at least what Poisson sampling implies at the target's Cq
    targets = cq.index.get_level_values("target")
    sampling = single_copy_cqs(targets, config), amplification_factors(targets, config)
    sd = expected_replicate_sd(cq.mean(axis=1).to_numpy(), sampling[0], config.pipetting_sd,
                               sampling[1])  # fmt: skip
    model = pd.Series(sd, index=cq.index) ** 2
    pooled["var"] = np.fmax(pooled["ss"] / pooled["dof"], model.reindex(pooled.index))
    within = pooled["var"] / pooled["n"]
    cq_ids = {_slug("cq", t, s): (t, s) for t, s in cq.index}
    dcq_ids = {_slug("dcq", t, reference[0], s): (t, s) for t, s in _delta_pairs(cq, reference)}
    per_sample = cq.shape[1] >= 3
    keys = ["target", "sample"] if per_sample else ["target"]
    replicate_ids = ({"replicate-sd-" + _slug(*map(str, k if isinstance(k, tuple) else (k,))): k
                     for k in groups.groupby(keys if per_sample else "target").groups}
                     if len(groups) else {})  # fmt: skip
    group_count = len(groups) / max(cq.shape[1], 1)
    checks = len(cq_ids) + len(dcq_ids) + group_count
    alpha = false_alarm / max(checks, 1)
    out: dict[str, Any] = {"runs": cq.shape[1], "checks": checks, "alpha": alpha}
    if cq.shape[1] >= 2:
        values = pd.DataFrame({i: _rows(cq)[k] for i, k in cq_ids.items()})
        out |= predict_tolerance(values, pd.Series({i: within[k] for i, k in cq_ids.items()}),
                                 pd.Series({i: pooled["dof"][k] for i, k in cq_ids.items()}),
                                 alpha, default=1.0)  # fmt: skip
    if cq.shape[1] >= 2 and dcq_ids:
        ref = reference[0]
        rows = _rows(cq)
        values = pd.DataFrame({i: rows[k] - rows[(ref, k[1])] for i, k in dcq_ids.items()})
        var = {i: within[k] + within[(ref, k[1])] for i, k in dcq_ids.items()}
        dof = {i: min(pooled["dof"][k], pooled["dof"][(ref, k[1])]) for i, k in dcq_ids.items()}
        out |= predict_tolerance(values, pd.Series(var), pd.Series(dof), alpha, default=0.5)
    floors = {}
    for rule_id, key in replicate_ids.items():
        own = groups.set_index(keys).loc[[key]]
        # the sampling floor of the rule's least scattered group (the one with most copies)
        at = float(((own["low"] + own["high"]) / 2).min())
        target = [key[0] if isinstance(key, tuple) else key]
        cq1 = float(single_copy_cqs(target, config)[0])
        factor = float(amplification_factors(target, config)[0])
        floor = float(expected_replicate_sd(at, cq1, config.pipetting_sd, factor))
        found = replicate_limit(own["sd"] ** 2, own["n"], alpha, floor)
        per_run = len(own) / cq.shape[1]  # groups this rule judges in a run
        out[rule_id] = replace(found, false_alarm=1.0 - (1.0 - found.false_alarm) ** per_run)
        floors[rule_id] = (floor, at, cq1)
    out["replicate_ids"], out["floors"] = replicate_ids, floors
    return out


def _delta_pairs(cq: pd.DataFrame, reference: Sequence[str]) -> list[tuple[str, str]]:
    """Target × sample of the ΔCq rules: every target but the first reference gene, in the
    samples where that gene is measured."""
    if not reference:
        return []
    return [
        (str(t), str(s)) for t, s in cq.index if t != reference[0] and (reference[0], s) in cq.index
    ]


def _header(n: int, name: str, learned: dict[str, Any], false_alarm: float) -> list[str]:
    """The spec's opening comment (with the false-alarm estimate) and its ``[spec]`` table."""
    rates = [v.false_alarm for v in learned.values() if isinstance(v, Learned)]
    rates = [r for r in rates if np.isfinite(r)]
    if n >= 2 and rates:
        estimate = 1.0 - math.prod(1.0 - r for r in rates)
        alarm = [
            f"# False alarms: a new good run fails a learned limit with an estimated probability "
            f"of {_percent(estimate)}",
            f"# (budget {100 * false_alarm:g} %, shared by {learned['checks']:g} judged values).",
        ]
    else:
        alarm = [
            "# One run: no run-to-run spread to learn from; tolerances are the defaults and",
            "# the false-alarm rate cannot be estimated. Write the spec from 5 or more runs.",
        ]
    return [
        f"# qpcr check specification written by 'qpcr check --init-spec' from {n} run(s).",
        "# Review every rule: expected values are the observed means; limits are the defaults or",
        "# prediction limits for one more good run, whichever is wider (methods.md §5).",
        *alarm,
        "# severity = 'fail' fails the check (exit 3); 'warn' only reports.",
        "# See docs/reference-plates.md.",
        "",
        "[spec]",
        f"name = {_toml(name)}",
        "",
    ]


def _tolerance_rule(
    what: str, values: pd.Series, default: float, found: Learned | None, message: str, **keys: Any
) -> str:
    """A rule expecting the mean of ``values`` within the larger of ``default`` and the
    learned prediction limit."""
    if found is None or not np.isfinite(found.limit):
        note, tolerance = "one run: default tolerance", default
    else:
        sd = float(values.std(ddof=1))
        alarm = _percent(found.false_alarm)
        note = (f"between-run SD {sd:.3f}; predicted SD {found.sd:.3f} on {found.df:g} df;\n"
                f"a good run falls outside with probability {alarm}")  # fmt: skip
        tolerance = found.limit
    return _rule_block(
        f"{what} ({note}).",
        **keys,
        expected=round(float(values.mean()), 2),
        tolerance=round(tolerance, 2),
        severity="fail",
        message=message,
    )


def _percent(p: float) -> str:
    """A probability as a percentage for a comment (``< 0.001 %`` when smaller)."""
    return f"{100 * p:.3f} %" if p >= 1e-5 else "< 0.001 %"


def _rows(cq: pd.DataFrame) -> dict[tuple[str, str], pd.Series]:
    """The rows of the target × sample table of mean Cq (one column per run), by key."""
    return {(str(t), str(s)): cq.iloc[i] for i, (t, s) in enumerate(cq.index)}


def _cq_rules(cq: pd.DataFrame, learned: dict[str, Any]) -> list[str]:
    """One ``cq`` rule per target × sample (default tolerance 1 cycle)."""
    return [
        _tolerance_rule(
            f"Mean Cq of {target} in {sample}: observed {values.mean():.2f}",
            values,
            1.0,
            learned.get(_slug("cq", target, sample)),
            id=_slug("cq", target, sample),
            type="cq",
            target=target,
            sample=sample,
            message=f"{target} Cq of {sample} is off its expected value",
        )
        for (target, sample), values in _rows(cq).items()
    ]


def _delta_cq_rules(
    cq: pd.DataFrame, reference: Sequence[str], learned: dict[str, Any]
) -> list[str]:
    """``delta_cq`` rules of each target and further reference gene against the first
    reference gene (or a hint)."""
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
            rows[(target, sample)] - rows[(ref, sample)],
            0.5,
            learned.get(_slug("dcq", target, ref, sample)),
            id=_slug("dcq", target, ref, sample),
            type="delta_cq",
            target=target,
            reference_target=ref,
            sample=sample,
            message=f"{target} relative to {ref} has shifted",
        )
        for target, sample in _delta_pairs(cq, reference)
    ]


def _control_rules(
    prepared: list[pd.DataFrame], learned: dict[str, Any], config: AnalysisConfig
) -> list[str]:
    """NTC, replicate, standard-curve and usable-well rules, as far as the runs allow."""
    out = []
    if any(w["sample_type"].isin(NEGATIVE_TYPES).any() for w in prepared):
        out.append(_ntc_rule(prepared))
    out += _replicate_rules(learned, config)
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


#: An NTC margin the runs show is learned only down to this (cycles: 1/8 of the signal);
#: closer NTCs are contamination, which the spec notes instead of accepting.
_LEAST_NTC_MARGIN = 3.0


def _ntc_rule(prepared: list[pd.DataFrame]) -> str:
    """The ``ntc`` rule: margin 5 cycles (qbase+), or the smallest margin the runs showed when
    it lies between 3 and 5 cycles."""
    margins = ntc_margins(prepared)
    margin, seen = 5.0, "every NTC undetermined or further"
    if len(margins):
        seen = "smallest observed margin " + ", ".join(f"{t} {m:.2f}" for t, m in margins.items())
        if margins.min() >= _LEAST_NTC_MARGIN:  # late primer dimers, not contamination
            margin = min(5.0, math.floor(10.0 * float(margins.min())) / 10.0)
    below = "; below the default 5: check these runs' NTCs" if margin < 5.0 else ""
    return _rule_block(
        "No-template controls: undetermined, or at least `margin` cycles above the latest\n"
        f"sample of the same target (methods.md §2.9; {seen}{below}).",
        id="ntc-clean",
        type="ntc",
        margin=margin,
        severity="fail",
        message="an NTC amplified: check for contamination",
    )


def _replicate_rules(learned: dict[str, Any], config: AnalysisConfig) -> list[str]:
    """``replicate_sd`` rules per target × sample (per target from fewer than 3 runs), each
    limit a prediction limit for a new replicate group's SD, with the sampling floor and the
    single-copy Cq it assumed."""
    out = []
    for rule_id, key in learned["replicate_ids"].items():
        found: Learned = learned[rule_id]
        target, sample = key if isinstance(key, tuple) else (key, None)
        where = f"{target} in {sample}" if sample is not None else f"{target} (every sample)"
        wide = " (above 0.5: are these runs good?)" if found.limit > 0.5 else ""
        floor, at, cq1 = learned["floors"][rule_id]
        how = "measured" if str(target) in config.assay_single_copy_cq else "assumed"
        if str(target) in config.efficiency:
            how += f"; amplification factor {config.efficiency[str(target)]:g}"
        out.append(_rule_block(
            f"Technical replicates of {where}: SD in cycles, pooled {found.sd:.3f} on "
            f"{found.df:g} df,\nat least the sampling floor {floor:.3f} at Cq {at:.2f} "
            f"(single-copy Cq {cq1:g} cycles, {how};\npipetting SD {config.pipetting_sd:g}); "
            f"limit: prediction limit of a new group's SD{wide};\na good run exceeds it with "
            f"probability {_percent(found.false_alarm)}.",
            id=rule_id, type="replicate_sd", target=str(target),
            sample=None if sample is None else str(sample), max_sd=found.limit,
            severity="fail", message="technical replicates disagree: pipetting or a failed well",
        ))  # fmt: skip
    return out


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
