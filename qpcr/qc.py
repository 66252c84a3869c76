"""Quality control of wells: exclusion rules and QC events.

:func:`apply_qc` adds to the wells table ``excluded`` (bool), ``exclude_code`` (the first rule
that excluded the row, a code of :data:`qpcr.schema.EXCLUDE_REASONS`), ``exclude_reason`` (that
code as a sentence), ``cq_used`` (the Cq entering quantification, NaN when excluded) and
``censored`` (True when ``cq_used`` is a detection limit, not a measurement), and returns a QC
event table with one row per event: ``plate, well, sample, target, code, rule, severity, value,
threshold, message`` (``code`` from :data:`qpcr.schema.QC_EVENTS`; severity ``info``, ``warn``
or ``fail``). Code selects; sentences only explain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from .config import AnalysisConfig
from .errors import ConfigError, did_you_mean
from .grouped import group_codes, order_stats, records
from .schema import CONTROL_TYPES, SAMPLE_TYPES, VENDOR_FLAGS, columns_of, exclude_sentence

__all__ = ["EVENT_COLUMNS", "apply_qc", "event_table"]

EVENT_COLUMNS = columns_of("qc")


#: Under ``outlier_rule = "poisson"``: replicate groups implying at most this many template
#: copies per well get the low-copy note, and their non-detects among mostly amplified
#: replicates are zero-copy wells (P(empty well) = e^(−10) = 4.5e-5 at the limit).
LOW_COPIES = 10.0

#: The wells' columns that the QC events read.
_EVENT_SOURCES = ("plate", "well", "sample", "target", "sample_type", "cq", "cq_used", "flags",
                  "excluded", "censored", "exclude_code", "exclude_reason")  # fmt: skip

#: Each well's replicate group (plate × sample × target) and whether it has every key.
_Groups = tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]

#: ``rule`` spellings (deprecated column) that are not simply the code with hyphens.
_RULE_SPELLING = {"nondetect": "non-detect", "isolated_nondetect": "isolated-non-detect"}


def event_table(rows: Sequence[dict]) -> pd.DataFrame:
    """QC events from dicts with ``code`` and the other :data:`EVENT_COLUMNS` but ``rule``
    (the code in its earlier spelling, with hyphens: kept for scripts reading ``rule``);
    ``observed`` may be given as ``value``, its earlier name, which stays a copy of it.

    Parameters
    ----------
    rows
        One dict per event; keys missing from a dict are left empty (NaN).

    Returns
    -------
    pandas.DataFrame
        The events, columns :data:`EVENT_COLUMNS` in order.

    Examples
    --------
    >>> events = event_table([{"code": "sample_renamed", "well": "A1", "sample": "s1",
    ...                        "severity": "info"}])
    >>> events[["well", "code", "rule", "severity"]]
      well            code            rule severity
    0   A1  sample_renamed  sample-renamed     info
    """
    frame = pd.DataFrame(list(rows), columns=EVENT_COLUMNS)
    observed = frame["observed"].fillna(frame["value"])  # producers may say "value"
    return frame.assign(
        rule=[_RULE_SPELLING.get(c, c.replace("_", "-")) for c in frame["code"]],
        observed=observed,
        value=observed,
    )


def apply_qc(
    wells: pd.DataFrame, config: AnalysisConfig, targets: Sequence[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply the exclusion rules in order and collect QC events.

    Rules (first match gives ``exclude_code``): well not in the layout; omitted in the
    instrument software; flagged by the instrument software (``flags``) with a code that
    ``exclude_flags`` names (``*``: any); control well (NTC, NRT, ...: checked, never
    quantified); standard (standard-curve well); target not analysed; invalid Cq; non-detect
    under the policy ``exclude`` (``censor``, the default, keeps it at ``nondetect_limit``
    with ``censored`` True, see :func:`qpcr.censoring.apply_nondetect_policy`);
    technical-replicate outlier under ``outlier_rule``
    (:func:`qpcr.outliers.flag_replicate_outliers`; with ``keep_outliers`` it is only
    flagged). Events: wells the instrument software flagged, NTC amplification closer than
    ``ntc_margin`` cycles to the samples, NRT closer than ``ntc_margin`` cycles to its sample,
    replicate groups the outlier rule flags, non-detects.

    Parameters
    ----------
    wells
        The wells table (layout joined): ``sample``, ``target``, ``sample_type``, ``cq``,
        ``cq_status`` and, when known, ``in_layout`` and ``omitted``.
    config
        The analysis settings (non-detect policy, outlier rule, margins).
    targets
        The analysed targets; wells of other targets are excluded (None: every target).

    Returns
    -------
    wells : pandas.DataFrame
        ``wells`` with ``cq_used``, ``censored``, ``excluded``, ``exclude_code``,
        ``exclude_reason`` and ``outlier``.
    events : pandas.DataFrame
        The QC events (:func:`event_table`).

    Examples
    --------
    Three replicates of one sample, one of them 3.5 cycles off, and a clean NTC (at 24 cycles
    the default ``poisson`` rule is the range rule: limit 0.5 cycles):

    >>> import pandas as pd
    >>> from qpcr.config import AnalysisConfig
    >>> wells = pd.DataFrame({"well": ["A1", "A2", "A3", "B1"],
    ...     "sample": ["s1", "s1", "s1", "NTC"], "target": "MYC",
    ...     "sample_type": ["unkn", "unkn", "unkn", "ntc"], "cq": [24.0, 24.1, 27.5, None],
    ...     "cq_status": ["ok", "ok", "ok", "undetermined"]})
    >>> checked, events = apply_qc(wells, AnalysisConfig())
    >>> checked[["well", "exclude_code", "cq_used"]]
      well     exclude_code  cq_used
    0   A1                      24.0
    1   A2                      24.1
    2   A3  outlier_poisson      NaN
    3   B1              ntc      NaN
    >>> print(events["message"][0])
    MYC in s1: technical replicates span 3.50 cycles (> 0.5); well A3 excluded
    """
    from .censoring import apply_nondetect_policy

    w = apply_nondetect_policy(wells, config.nondetect_policy, config.nondetect_limit)
    code = np.full(len(w), "", dtype=object)
    detail = np.full(len(w), "", dtype=object)

    def exclude(
        mask: pd.Series | npt.NDArray[np.bool_],
        why: str | pd.Series,
        details: pd.Series | None = None,
    ) -> None:
        take = np.asarray(mask, dtype=bool) & (code == "")
        code[take] = why if isinstance(why, str) else np.asarray(why, dtype=object)[take]
        if details is not None:
            detail[take] = np.asarray(details, dtype=object)[take]

    if "in_layout" in w:
        exclude(~w["in_layout"].astype(bool), "not_in_layout")
    if "omitted" in w:
        exclude(w["omitted"].fillna(False).astype(bool), "omitted")
    exclude(w["cq_status"].eq("omitted"), "omitted")
    flags = w["flags"].fillna("").astype(str) if "flags" in w else pd.Series("", index=w.index)
    if "flags" in w:
        w["flags"] = flags
    matched = _matching_flags(flags, config.exclude_flags, config.where("exclude_flags"))
    exclude(matched.ne(""), "vendor_flag", matched)
    stype = w["sample_type"].fillna("unkn")
    exclude(stype.isin(CONTROL_TYPES), stype)
    exclude(stype.eq("std"), "standard")
    exclude(~stype.isin(SAMPLE_TYPES), "other_type", stype)
    if targets is not None:
        exclude(~w["target"].isin(list(targets)), "not_analysed")
    exclude(w["cq_status"].isin(["invalid", "missing"]), "invalid_cq")
    exclude(w["nondetect"] & w["cq_used"].isna(), "nondetect")
    groups = _replicate_groups(w)
    empty = _zero_copy_nondetects(w, code == "", config, groups)
    exclude(empty.notna(), "zero_copy", empty)
    dropout = _isolated_nondetects(w, code == "", config, groups)
    exclude(dropout.notna(), "isolated_nondetect", dropout)
    outliers, spread = _outliers(w, (code == "") & ~w["censored"].to_numpy(bool), config)
    if not config.keep_outliers:
        exclude(w.index.isin(outliers.index), f"outlier_{config.outlier_rule}",
                outliers.reindex(w.index))  # fmt: skip

    excluded = code != ""
    w = w.assign(
        excluded=excluded,
        exclude_code=pd.Series(code, index=w.index, dtype=object),
        exclude_reason=[exclude_sentence(c, d) for c, d in zip(code, detail, strict=True)],
        censored=w["censored"].to_numpy(bool) & ~excluded,
        cq_used=np.where(excluded, np.nan, w["cq_used"].to_numpy(float)),
        outlier=w.index.isin(outliers.index),
    )
    columns = [c for c in _EVENT_SOURCES if c in w]  # what the events read

    def rows(mask: pd.Series | npt.NDArray[np.bool_]) -> list[dict]:
        at = np.flatnonzero(np.asarray(mask, dtype=bool))
        return records(w, columns, at) if len(at) else []

    unknown, nondetect = stype.eq("unkn").to_numpy(), w["nondetect"].to_numpy(bool)
    is_ipc = stype.eq("ipc").to_numpy()
    copies = empty.dropna().astype(float).tolist()
    events = [
        *_flag_events(rows(flags.ne(""))),
        *_dropout_events(rows(dropout.notna())),
        *_zero_copy_events([{**r, "copies": c} for r, c in
                            zip(rows(empty.notna()), copies, strict=True)]),
        *_control_events(w, rows, config),
        *(_ipc_events(w.loc[is_ipc, columns]) if is_ipc.any() else []),
        *spread,
        *_low_copy_events(w, ~excluded & ~w["censored"].to_numpy(bool) & unknown, config),
        *_nondetect_events(
            rows(nondetect & unknown & (code != "not_in_layout") & dropout.isna().to_numpy()
                 & empty.isna().to_numpy()),
            config,
        ),
    ]  # fmt: skip
    del w["nondetect"], w["nd_policy"]
    return w, event_table(events)


def _matching_flags(flags: pd.Series, wanted: Sequence[str], where: str) -> pd.Series:
    """Per well, its flags that ``exclude_flags`` names (';'-joined; '*' = every flag);
    ``where``: where the setting was given, for an unknown code's error."""
    wanted = [code.upper() for code in wanted]
    unknown = [code for code in wanted if code != "*" and code not in VENDOR_FLAGS]
    if unknown:
        raise ConfigError(
            f"'{unknown[0]}' is not a vendor flag code; expected one of "
            f"{', '.join(VENDOR_FLAGS)}, or '*' for any flag",
            where=where,
            hint=did_you_mean(unknown[0], VENDOR_FLAGS),
        )
    if not wanted:
        return pd.Series("", index=flags.index, dtype=object)
    return flags.map(
        lambda text: ";".join(f for f in text.split(";") if f and ("*" in wanted or f in wanted))
    )


def _flag_events(flagged: list[dict]) -> list[dict]:
    """One event per well the instrument software flagged (its row of the wells): a warning
    when the well is used (or excluded for its flag), information when another rule excludes
    it anyway."""
    events = []
    for r in flagged:
        codes = r["flags"].split(";")
        meaning = "; ".join(f"{c}: {VENDOR_FLAGS.get(c, 'flag')}" for c in codes)
        code, sample = r["exclude_code"], r.get("sample", "")
        fate = {"": "kept (exclude it with exclude_flags)", "vendor_flag": "excluded"}.get(
            code, f"not quantified ({r['exclude_reason']})"
        )
        events.append({
            "plate": r.get("plate", ""), "well": r["well"], "sample": r.get("sample", ""),
            "target": r["target"], "code": "vendor_flag",
            "severity": "warn" if code in ("", "vendor_flag") else "info",
            "value": np.nan, "threshold": np.nan,
            "message": f"well {r['well']} ({', '.join(n for n in (r['target'], sample) if n)}) "
            f"flagged by the instrument software ({meaning}); {fate}",
        })  # fmt: skip
    return events


def _isolated_nondetects(
    w: pd.DataFrame, usable: npt.NDArray[np.bool_], config: AnalysisConfig, groups: _Groups
) -> pd.Series:
    """Detail (the replicates' highest Cq, or NaN) for non-detects whose replicates amplified
    far from the limit.

    A non-detect beside replicates whose highest Cq is more than ``ntc_margin`` cycles below
    ``nondetect_limit`` is a failed reaction, not low expression: censoring it at the limit
    would drag the mean by several cycles. Such wells are excluded (methods.md §2.8-2.9).
    """
    code, keyed = groups
    nondetect = w["nondetect"].to_numpy(bool)
    detected = w["cq"].where(usable & ~nondetect).to_numpy(float)
    top = np.where(keyed, order_stats(detected, code)[1][code], np.nan)
    with np.errstate(invalid="ignore"):
        isolated = usable & nondetect & (top < config.nondetect_limit - config.ntc_margin)
    return _detail(top, isolated, 2, w.index)


def _detail(values: np.ndarray, hit: np.ndarray, decimals: int, index: pd.Index) -> pd.Series:
    """A rule's detail per well: ``values`` rounded to ``decimals`` as text where ``hit``,
    NaN elsewhere."""
    detail = np.full(len(index), np.nan, dtype=object)
    if hit.any():
        detail[hit] = pd.Series(values[hit]).round(decimals).astype(str).to_numpy()
    return pd.Series(detail, index=index, dtype=object)


def _replicate_groups(w: pd.DataFrame, at: npt.NDArray[np.intp] | None = None) -> _Groups:
    """The replicate group (plate × sample × target) of each well (of the wells at positions
    ``at``; None: all), and whether the well has every key (a well missing one belongs to no
    group)."""
    keys = [w[k] if at is None else w[k].iloc[at] for k in ("plate", "sample", "target") if k in w]
    keyed = np.logical_and.reduce([k.notna().to_numpy() for k in keys], initial=True)
    return group_codes(keys, len(w) if at is None else len(at)), keyed


def _zero_copy_nondetects(
    w: pd.DataFrame, usable: npt.NDArray[np.bool_], config: AnalysisConfig, groups: _Groups
) -> pd.Series:
    """Detail (the copies per well the amplified replicates imply, or NaN) for non-detects
    that are empty wells (``outlier_rule = "poisson"``, methods.md §2.9).

    At λ copies per well a fraction e^(−λ) of the wells holds no template. A non-detect whose
    replicate group amplified in more wells than not, at a median Cq implying 1 to
    :data:`LOW_COPIES` copies, is such a well: it says nothing about the sample's Cq and is
    left out. A group mostly below detection, or below one copy per well (where the wells that
    amplify read about the single-copy Cq whatever λ), keeps its non-detects (censored).
    """
    if config.outlier_rule != "poisson":
        return pd.Series(np.nan, index=w.index, dtype=object)
    from .lowcopy import single_copy_cqs
    from .outliers import implied_copies

    code, keyed = groups
    nondetect = w["nondetect"].to_numpy(bool)
    blank = usable & nondetect
    detected = w["cq"].where(usable & ~nondetect).to_numpy(float)
    _, _, median, count = order_stats(detected, code)
    empty = np.bincount(code, weights=blank, minlength=len(count))
    copies = implied_copies(median[code], single_copy_cqs(w["target"], config))
    with np.errstate(invalid="ignore"):
        low = (copies >= 1.0) & (copies <= LOW_COPIES)
    return _detail(copies, blank & keyed & (count > empty)[code] & low, 1, w.index)


def _zero_copy_events(empty: list[dict]) -> list[dict]:
    """One information event per zero-copy well left out (its row of the wells, with
    ``copies``: per well, implied)."""
    return [
        {"plate": r.get("plate", ""), "well": r["well"], "sample": r.get("sample", ""),
         "target": r["target"], "code": "zero_copy", "severity": "info",
         "value": r["copies"], "threshold": LOW_COPIES,
         "message": f"{r['target']} in {r.get('sample', '')}: well {r['well']} undetermined while "
         f"most replicates amplified at ≈ {r['copies']:.1f} copies per well, where "
         f"{100 * np.exp(-r['copies']):.1f} % of wells hold no copy; left out "
         "as a zero-copy well"}
        for r in empty
    ]  # fmt: skip


def _low_copy_events(
    w: pd.DataFrame, used: npt.NDArray[np.bool_], config: AnalysisConfig
) -> list[dict]:
    """``outlier_rule = "poisson"``: one note per replicate group of the ``used`` wells whose
    median Cq implies at most :data:`LOW_COPIES` copies per well, with the scatter to expect
    (± 2 expected SD)."""
    at = np.flatnonzero(used)
    if config.outlier_rule != "poisson" or not len(at):
        return []
    from .lowcopy import single_copy_cqs
    from .outliers import expected_replicate_sd, implied_copies

    keys = [k for k in ("plate", "sample", "target") if k in w]
    code, keyed = _replicate_groups(w, at)
    median = order_stats(w["cq_used"].to_numpy(float)[at], code)[2]
    first = np.unique(code, return_index=True)[1]  # a well of each group
    cq1 = single_copy_cqs(w["target"].to_numpy()[at[first]], config)
    copies = implied_copies(median, cq1)
    low = np.flatnonzero(keyed[first] & ~np.isnan(median) & (copies <= LOW_COPIES))
    sd = expected_replicate_sd(median[low], cq1[low], config.pipetting_sd)
    names = {k: w[k].to_numpy()[at[first[low]]] for k in keys}
    events = []
    for i, (lam, s) in enumerate(zip(copies[low], np.atleast_1d(sd), strict=True)):
        info = {k: names[k][i] for k in keys}
        events.append({
            "plate": info.get("plate", ""), "well": "", "sample": info["sample"],
            "target": info["target"], "code": "low_copy", "severity": "info",
            "value": float(lam), "threshold": LOW_COPIES,
            "message": f"{info['target']} in {info['sample']}: low copy number (≈ {lam:.1f} "
            f"copies per well): expect ±{2 * s:.1f} cycles between replicates",
        })  # fmt: skip
    return events


def _dropout_events(dropped: list[dict]) -> list[dict]:
    """One warning per excluded isolated non-detect (its row of the wells)."""
    return [
        {"plate": r.get("plate", ""), "well": r["well"], "sample": r.get("sample", ""),
         "target": r["target"], "code": "isolated_nondetect", "severity": "warn",
         "value": np.nan, "threshold": np.nan,
         "message": f"{r['target']} in {r.get('sample', '')}: well {r['well']} undetermined while "
         f"its replicates amplified; excluded as a failed reaction ({r['exclude_reason']})"}
        for r in dropped
    ]  # fmt: skip


def _outliers(
    w: pd.DataFrame, used: npt.NDArray[np.bool_], config: AnalysisConfig
) -> tuple[pd.Series, list[dict]]:
    """Outlier wells among the ``used`` wells (index → detail of the reason) and one event per
    flagged replicate group."""
    from .lowcopy import single_copy_cqs
    from .outliers import flag_replicate_outliers, poisson_range_limit

    at = np.flatnonzero(used)
    if config.outlier_rule == "none" or not len(at):
        return pd.Series(dtype=object), []
    keys = [k for k in ("plate", "sample", "target") if k in w]
    poisson = config.outlier_rule == "poisson"
    sampling = (single_copy_cqs(w["target"].to_numpy()[at], config), config.pipetting_sd)
    flags = flag_replicate_outliers(
        w["cq_used"].iloc[at], [w[k].iloc[at] for k in keys], method=config.outlier_rule,
        threshold=config.outlier_threshold if config.outlier_rule in ("range", "poisson") else None,
        sampling=sampling,
    )  # fmt: skip
    flagged = flags["group_flagged"].to_numpy()
    if not flagged.any():
        return pd.Series(dtype=object), []
    outlier = flags["outlier"].to_numpy()
    hit = np.flatnonzero(outlier)
    reasons = pd.Series(
        [f"{r.replace('_', ' ')} {v:.2f} > {t:g}" for r, v, t in zip(
            flags["rule"].to_numpy()[hit], flags["value"].to_numpy()[hit].tolist(),
            flags["threshold"].to_numpy()[hit].tolist(), strict=True)],
        index=flags.index[hit], dtype=object,
    )  # fmt: skip
    events = []
    chosen = np.flatnonzero(flagged)
    found = records(w, [*keys, "well", "cq_used"], at[chosen])
    spans = flags["range"].to_numpy()[chosen].tolist()
    groups: dict[tuple, list[dict]] = {}  # as groupby(keys, sort=False): missing keys left out
    for r, out, span in zip(found, outlier[chosen].tolist(), spans, strict=True):
        r.update(outlier=out, range=span)
        key = tuple(r[k] for k in keys)
        if not any(pd.isna(k) for k in key):
            groups.setdefault(key, []).append(r)
    for key, group in groups.items():
        info = dict(zip(keys, key, strict=True))
        out = [r for r in group if r["outlier"]]
        # tidy tables may have no wells: such a replicate is named by its Cq
        wells = [r["well"] if isinstance(r["well"], str) else "" for r in out]
        named = [f"well {w}" if w else f"the replicate at Cq {r['cq_used']:.2f}"
                 for w, r in zip(wells, out, strict=True)]  # fmt: skip
        limit = config.outlier_threshold
        if poisson:
            cq1 = single_copy_cqs([info["target"]], config)[0]
            median = pd.Series([r["cq_used"] for r in group], dtype=float).median()
            limit = poisson_range_limit(median, len(group), config.outlier_threshold,
                                        (cq1, config.pipetting_sd))  # fmt: skip
        action = "kept (--keep-outliers)" if config.keep_outliers else "excluded"
        fate = (f"{', '.join(named)} {action}" if len(out)
                else "no single well stands out; all kept")  # fmt: skip
        events.append({
            "plate": info.get("plate", ""), "well": ", ".join(w for w in wells if w),
            "sample": info["sample"], "target": info["target"], "code": "replicate_spread",
            "severity": "warn", "value": group[0]["range"], "threshold": limit,
            "message": f"{info['target']} in {info['sample']}: technical replicates span "
            f"{group[0]['range']:.2f} cycles (> {limit:.3g}); {fate}",
        })  # fmt: skip
    return reasons, events


def _nondetect_events(nd: list[dict], config: AnalysisConfig) -> list[dict]:
    """One info event per undetermined sample well (its row of the wells), saying what became
    of it."""
    fate = (
        "excluded"
        if config.nondetect_policy == "exclude"
        else f"set to the limit {config.nondetect_limit:g} (censored)"
    )
    return [
        {"plate": r.get("plate", ""), "well": r["well"], "sample": r.get("sample", ""),
         "target": r["target"], "code": "nondetect", "severity": "info", "value": np.nan,
         "threshold": config.nondetect_limit,
         "message": f"{r['target']} undetermined in {r.get('sample', '')} well {r['well']}; {fate}"}
        for r in nd
    ]  # fmt: skip


def _ipc_events(ipc: pd.DataFrame) -> list[dict]:
    """One info event per plate × target of internal positive control wells: how many
    amplified (Cq range) and which did not."""
    events = []
    keys = [k for k in ("plate", "target") if k in ipc]
    for key, group in ipc.groupby(keys, sort=False, dropna=False):
        info = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        cq = group["cq"].dropna()
        failed = group.loc[group["cq"].isna(), "well"].astype(str).tolist()
        text = f"internal positive control {info['target']}: {len(cq)} of {len(group)} wells "
        text += f"amplified (Cq {cq.min():.2f}-{cq.max():.2f})" if len(cq) else "amplified"
        if failed:
            text += f"; no Cq in {', '.join(failed[:8])}" + (" ..." if len(failed) > 8 else "")
        events.append({
            "plate": info.get("plate", ""), "well": "", "sample": "", "target": info["target"],
            "code": "ipc_control", "severity": "info", "value": float(len(cq)),
            "threshold": np.nan, "message": text + "; not quantified",
        })  # fmt: skip
    return events


def _control_events(
    w: pd.DataFrame, rows: Callable[[pd.Series], list[dict]], config: AnalysisConfig
) -> list[dict]:
    """NTC/NRT checks (methods.md §2.9, T16): margin below ``ntc_margin`` cycles is an event
    (``rows``: the records of the wells a mask selects)."""
    events = []
    sample_type, detected = w["sample_type"], w["cq"].notna()
    ntc, nrt = (
        rows(sample_type.isin(["ntc", "nac"]) & detected),
        rows(sample_type.eq("nrt") & detected),
    )
    if not (ntc or nrt):
        return []
    samples = (sample_type.eq("unkn") & detected & ~w["excluded"]).to_numpy()
    max_cq: dict = {}  # as groupby("target")["cq"].max(): missing targets left out
    for target, cq in zip(w["target"][samples].tolist(), w["cq"][samples].tolist(), strict=True):
        if not pd.isna(target) and not cq <= max_cq.get(target, -np.inf):
            max_cq[target] = cq
    for r in ntc:
        top = max_cq.get(r["target"], np.nan)
        margin = r["cq"] - top
        if np.isnan(top) or margin < config.ntc_margin:
            events.append({
                "plate": r.get("plate", ""), "well": r["well"], "sample": r.get("sample", ""),
                "target": r["target"], "code": "ntc_amplification", "severity": "warn",
                "value": r["cq"], "threshold": config.ntc_margin,
                "message": f"NTC well {r['well']} amplified {r['target']} at Cq {r['cq']:.2f}"
                + (f", only {margin:.2f} cycles above the highest sample Cq {top:.2f}"
                   if not np.isnan(top) else ""),
            })  # fmt: skip
    if nrt:
        means = (
            w.loc[samples, ["sample", "target", "cq"]].groupby(["sample", "target"])["cq"].mean()
        )
        for r in nrt:
            ref = means.get((r.get("sample", ""), r["target"]), np.nan)
            if not np.isnan(ref) and r["cq"] - ref < config.ntc_margin:
                gap = r["cq"] - ref
                events.append({
                    "plate": r.get("plate", ""), "well": r["well"], "sample": r["sample"],
                    "target": r["target"], "code": "nrt_amplification", "severity": "warn",
                    "value": gap, "threshold": config.ntc_margin,
                    "message": f"no-RT well {r['well']} is {gap:.2f} cycles from its sample "
                    f"(gDNA ≈ {100 * 2.0 ** -gap:.1f} % of the signal)",
                })  # fmt: skip
    return events
