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

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .config import AnalysisConfig
from .grouped import order_stats, records
from .qc_wells import (
    _KEYS,
    _among,
    _bools,
    _matching_flags,
    _Plate,
    _rows,
    _sources,
    _wanted_flags,
    amplification_factors,
)
from .schema import CONTROL_TYPES, SAMPLE_TYPES, VENDOR_FLAGS, columns_of, exclude_sentence

__all__ = ["EVENT_COLUMNS", "apply_qc", "event_table"]

EVENT_COLUMNS = columns_of("qc")


#: Under ``outlier_rule = "poisson"``: replicate groups implying at most this many template
#: copies per well get the low-copy note, and their non-detects among mostly amplified
#: replicates are zero-copy wells (P(empty well) = e^(−10) = 4.5e-5 at the limit).
LOW_COPIES = 10.0

#: The event columns that hold numbers.
_NUMBERS = ("observed", "value", "threshold")

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
    rows = list(rows)
    if not rows:  # no event (most plates, several times): the empty table made once
        return _no_events().copy()
    columns = {c: [r.get(c, np.nan) for r in rows] for c in EVENT_COLUMNS}
    rule = [_RULE_SPELLING.get(c, c.replace("_", "-")) for c in columns["code"]]
    if rows and _plain(columns):  # numbers and texts: the columns made a table at once
        given = [v if o != o else o for o, v in
                 zip(columns["observed"], columns["value"], strict=True)]  # fmt: skip
        return pd.DataFrame({**columns, "rule": rule, "observed": given, "value": given})
    return _framed(rows, rule)


def _framed(rows: list[dict], rule: list[str]) -> pd.DataFrame:
    """:func:`event_table` as pandas frames the rows (any cells)."""
    frame = pd.DataFrame(rows, columns=EVENT_COLUMNS)  # as pandas reads other cells
    observed = frame["observed"].fillna(frame["value"])  # producers may say "value"
    return frame.assign(rule=rule, observed=observed, value=observed)


@functools.cache
def _no_events() -> pd.DataFrame:
    """The table of no event, as pandas frames no rows (:func:`_framed`); callers get a copy."""
    return _framed([], [])


def _plain(columns: dict[str, list]) -> bool:
    """Whether every number column holds floats (NaN for none) and every text column texts,
    None or NaN: then a table built from the columns has the dtypes and cells that one built
    from the rows has."""
    return all(
        all(isinstance(v, float) for v in values)
        if name in _NUMBERS
        else all(
            isinstance(v, str) or v is None or (isinstance(v, float) and v != v) for v in values
        )
        for name, values in columns.items()
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
    from .censoring import nondetect_state

    state = nondetect_state(wells, config.nondetect_policy, config.nondetect_limit)
    code = np.full(len(wells), "", dtype=object)
    detail = np.full(len(wells), "", dtype=object)

    def exclude(mask: npt.NDArray[np.bool_], why: str | np.ndarray, details: Any = None) -> None:
        take = mask & (code == "")
        code[take] = why if isinstance(why, str) else why[take]
        if details is not None:
            detail[take] = details[take]

    if "in_layout" in wells:
        exclude(~_bools(wells["in_layout"], None), "not_in_layout")
    if "omitted" in wells:
        exclude(_bools(wells["omitted"], False), "omitted")
    status = wells["cq_status"].to_numpy(dtype=object, na_value="")
    exclude(status == "omitted", "omitted")
    wanted = _wanted_flags(config.exclude_flags, config.where("exclude_flags"))
    flags = wells["flags"].fillna("").astype(str) if "flags" in wells else None
    if flags is not None:
        exclude((matched := _matching_flags(flags, wanted)) != "", "vendor_flag", matched)
    given = wells["sample_type"].to_numpy(dtype=object)
    typeless = pd.isna(given)
    stype = np.where(typeless, "unkn", given)
    kind = _among(stype)
    exclude(kind(CONTROL_TYPES), stype)
    exclude(kind(("std",)), "standard")
    exclude(~kind(SAMPLE_TYPES), "other_type", stype)
    if targets is not None:
        exclude(~wells["target"].isin(list(targets)).to_numpy(), "not_analysed")
    exclude((status == "invalid") | (status == "missing"), "invalid_cq")
    p = _Plate.of(wells, state, config)
    exclude(p.nondetect & np.isnan(p.cq_used), "nondetect")
    empty, copies = _zero_copy_nondetects(p, code == "", config)
    exclude(empty, "zero_copy", copies)
    dropout, top = _isolated_nondetects(p, code == "", config)
    exclude(dropout, "isolated_nondetect", top)
    outlier, reasons, spread = _outliers(wells, p, (code == "") & ~p.censored, config)
    if not config.keep_outliers:
        exclude(outlier, f"outlier_{config.outlier_rule}", reasons)

    excluded = code != ""
    unknown = kind(("unkn",))
    stale = [c for c in ("nondetect", "nd_policy") if c in wells]  # the policy's own columns
    checked = (wells.drop(columns=stale) if stale else wells).assign(
        **({} if flags is None else {"flags": flags}),
        cq_used=np.where(excluded, np.nan, p.cq_used),
        censored=p.censored & ~excluded,
        excluded=excluded,
        exclude_code=pd.Series(code, index=wells.index, dtype=object),
        exclude_reason=[exclude_sentence(c, d) if c else "" for c, d in
                        zip(code, detail, strict=True)],
        outlier=outlier,
    )  # fmt: skip
    detected = ~np.isnan(p.cq)
    masks = {
        "flags": np.zeros(len(wells), dtype=bool) if flags is None else (flags != "").to_numpy(),
        "dropout": dropout, "empty": empty,
        "ntc": kind(("ntc", "nac")) & detected, "nrt": kind(("nrt",)) & detected,
        "nondetect": p.nondetect & unknown & (code != "not_in_layout") & ~dropout & ~empty,
    }  # fmt: skip
    found = _rows(checked, masks)
    is_ipc = kind(("ipc",))
    events = [
        *_flag_events(found["flags"]),
        *_dropout_events(found["dropout"]),
        *_zero_copy_events(found["empty"], [float(c) for c in copies[empty]]),
        *_control_events(checked, p.cq, found, unknown & ~typeless & detected & ~excluded, config),
        *(_ipc_events(checked.loc[is_ipc, _sources(checked)]) if is_ipc.any() else []),
        *spread,
        *_low_copy_events(wells, p, ~excluded & ~p.censored & unknown, config),
        *_nondetect_events(found["nondetect"], config),
    ]
    return checked, event_table(events)


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
    p: _Plate, usable: npt.NDArray[np.bool_], config: AnalysisConfig
) -> tuple[npt.NDArray[np.bool_], np.ndarray]:
    """The non-detects whose replicates amplified far from the limit, and their detail (the
    replicates' highest Cq).

    A non-detect beside replicates whose highest Cq is more than ``ntc_margin`` cycles below
    ``nondetect_limit`` is a failed reaction, not low expression: censoring it at the limit
    would drag the mean by several cycles. Such wells are excluded (methods.md §2.8-2.9).
    """
    detected = np.where(usable & ~p.nondetect, p.cq, np.nan)
    top = np.where(p.keyed, order_stats(detected, p.group)[1][p.group], np.nan)
    with np.errstate(invalid="ignore"):
        isolated = usable & p.nondetect & (top < config.nondetect_limit - config.ntc_margin)
    return isolated, _detail(top, isolated, 2)


def _detail(values: np.ndarray, hit: np.ndarray, decimals: int) -> np.ndarray:
    """A rule's detail per well: ``values`` rounded to ``decimals`` as text where ``hit``,
    NaN elsewhere."""
    detail = np.full(len(hit), np.nan, dtype=object)
    if hit.any():
        rounded = np.round(values[hit], decimals).tolist()  # as pandas' round and astype(str)
        detail[hit] = [str(v) if v == v else v for v in rounded]
    return detail


def _zero_copy_nondetects(
    p: _Plate, usable: npt.NDArray[np.bool_], config: AnalysisConfig
) -> tuple[npt.NDArray[np.bool_], np.ndarray]:
    """The non-detects that are empty wells (``outlier_rule = "poisson"``, methods.md §2.9)
    and their detail (the copies per well the amplified replicates imply).

    At λ copies per well a fraction e^(−λ) of the wells holds no template. A non-detect whose
    replicate group amplified in more wells than not, at a median Cq implying 1 to
    :data:`LOW_COPIES` copies, is such a well: it says nothing about the sample's Cq and is
    left out. A group mostly below detection, or below one copy per well (where the wells that
    amplify read about the single-copy Cq whatever λ), keeps its non-detects (censored).
    """
    if config.outlier_rule != "poisson":
        return np.zeros(len(usable), dtype=bool), np.full(len(usable), np.nan, dtype=object)
    from .outliers import implied_copies

    blank = usable & p.nondetect
    detected = np.where(usable & ~p.nondetect, p.cq, np.nan)
    _, _, median, count = order_stats(detected, p.group)
    empty = np.bincount(p.group, weights=blank, minlength=len(count))
    copies = implied_copies(median[p.group], p.cq1, p.factor)
    with np.errstate(invalid="ignore"):
        low = (copies >= 1.0) & (copies <= LOW_COPIES)
    hit = blank & p.keyed & (count > empty)[p.group] & low
    return hit, _detail(copies, hit, 1)


def _zero_copy_events(empty: list[dict], copies: list[float]) -> list[dict]:
    """One information event per zero-copy well left out (its row of the wells, and the
    copies per well its replicates imply)."""
    return [
        {"plate": r.get("plate", ""), "well": r["well"], "sample": r.get("sample", ""),
         "target": r["target"], "code": "zero_copy", "severity": "info",
         "value": c, "threshold": LOW_COPIES,
         "message": f"{r['target']} in {r.get('sample', '')}: well {r['well']} undetermined while "
         f"most replicates amplified at ≈ {c:.1f} copies per well, where "
         f"{100 * np.exp(-c):.1f} % of wells hold no copy; left out "
         "as a zero-copy well"}
        for r, c in zip(empty, copies, strict=True)
    ]  # fmt: skip


def _low_copy_events(
    w: pd.DataFrame, p: _Plate, used: npt.NDArray[np.bool_], config: AnalysisConfig
) -> list[dict]:
    """``outlier_rule = "poisson"``: one note per replicate group of the ``used`` wells whose
    median Cq implies at most :data:`LOW_COPIES` copies per well, with the scatter to expect
    (± 2 expected SD)."""
    at = np.flatnonzero(used)
    if config.outlier_rule != "poisson" or not len(at):
        return []
    from .outliers import expected_replicate_sd, implied_copies

    keys = [k for k in _KEYS if k in w]
    code = p.groups(at)
    median = order_stats(p.cq_used[at], code)[2]
    first = at[np.unique(code, return_index=True)[1]]  # a well of each group
    cq1, factor = p.cq1[first], p.factor[first]
    copies = implied_copies(median, cq1, factor)
    low = np.flatnonzero(p.keyed[first] & ~np.isnan(median) & (copies <= LOW_COPIES))
    sd = expected_replicate_sd(median[low], cq1[low], config.pipetting_sd, factor[low])
    names = {k: w[k].to_numpy()[first[low]] for k in keys}
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
    w: pd.DataFrame, p: _Plate, used: npt.NDArray[np.bool_], config: AnalysisConfig
) -> tuple[npt.NDArray[np.bool_], np.ndarray, list[dict]]:
    """The outlier wells among the ``used`` wells, each one's detail of the reason, and one
    event per flagged replicate group."""
    from .outliers import flag_groups

    outlier = np.zeros(len(used), dtype=bool)
    reasons = np.full(len(used), np.nan, dtype=object)
    at = np.flatnonzero(used)
    if config.outlier_rule == "none" or not len(at):
        return outlier, reasons, []
    poisson = config.outlier_rule == "poisson"
    flags = flag_groups(
        p.cq_used[at], p.groups(at), method=config.outlier_rule,
        threshold=config.outlier_threshold if config.outlier_rule in ("range", "poisson") else None,
        sampling=(p.cq1[at], config.pipetting_sd, p.factor[at]) if poisson else (35.0, 0.08),
        every_limit=False,
    )  # fmt: skip
    if not flags["group_flagged"].any():
        return outlier, reasons, []
    hit = np.flatnonzero(flags["outlier"])
    outlier[at[hit]] = True
    reasons[at[hit]] = [f"{r.replace('_', ' ')} {v:.2f} > {t:g}" for r, v, t in zip(
        flags["rule"][hit].tolist(), flags["value"][hit].tolist(),
        flags["threshold"][hit].tolist(), strict=True)]  # fmt: skip
    return outlier, reasons, _spread_events(w, p, at, flags, config)


def _spread_events(
    w: pd.DataFrame, p: _Plate, at: np.ndarray, flags: dict[str, np.ndarray], config: AnalysisConfig
) -> list[dict]:
    """One event per replicate group that the outlier rule flags (``flags``: its result for
    the wells at positions ``at``)."""
    from .lowcopy import single_copy_cqs
    from .outliers import poisson_range_limit

    keys = [k for k in _KEYS if k in w]
    chosen = np.flatnonzero(flags["group_flagged"])
    found = records(w, [*keys, "well"], at[chosen])
    spans, cq = flags["range"][chosen].tolist(), p.cq_used[at[chosen]].tolist()
    groups: dict[tuple, list[dict]] = {}  # as groupby(keys, sort=False): missing keys left out
    for r, out, span, used in zip(found, flags["outlier"][chosen].tolist(), spans, cq,
                                  strict=True):  # fmt: skip
        r.update(cq_used=used, outlier=out, range=span)
        key = tuple(r[k] for k in keys)
        if not any(pd.isna(k) for k in key):
            groups.setdefault(key, []).append(r)
    events = []
    for key, group in groups.items():
        info = dict(zip(keys, key, strict=True))
        out = [r for r in group if r["outlier"]]
        # tidy tables may have no wells: such a replicate is named by its Cq
        wells = [r["well"] if isinstance(r["well"], str) else "" for r in out]
        named = [f"well {w}" if w else f"the replicate at Cq {r['cq_used']:.2f}"
                 for w, r in zip(wells, out, strict=True)]  # fmt: skip
        limit = config.outlier_threshold
        if config.outlier_rule == "poisson":
            cq1 = single_copy_cqs([info["target"]], config)[0]
            factor = amplification_factors([info["target"]], config)[0]
            cq = np.array([r["cq_used"] for r in group], dtype=float)
            median = float(np.median(cq[~np.isnan(cq)]))  # as pandas' median
            limit = poisson_range_limit(median, len(group), config.outlier_threshold,
                                        (cq1, config.pipetting_sd, factor))  # fmt: skip
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
    return events


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
    w: pd.DataFrame,
    cq: np.ndarray,
    found: dict[str, list[dict]],
    samples: npt.NDArray[np.bool_],
    config: AnalysisConfig,
) -> list[dict]:
    """NTC/NRT checks (methods.md §2.9, T16): margin below ``ntc_margin`` cycles is an event
    (``cq``: the wells' Cq; ``found``: the records of the NTC and no-RT wells that amplified;
    ``samples``: the sample wells they are held against)."""
    events = []
    if found["ntc"]:
        target = pd.factorize(w["target"].to_numpy())[0]  # −1: no target
        top_of = np.full(int(target.max(initial=-1)) + 2, np.nan)  # the last: no target's
        keep = samples & (target >= 0)
        np.fmax.at(top_of, target[keep], cq[keep])  # as groupby("target")["cq"].max()
    for r in found["ntc"]:
        top = float(top_of[target[r["at"]]])
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
    if found["nrt"]:
        means = (
            w.loc[samples, ["sample", "target", "cq"]].groupby(["sample", "target"])["cq"].mean()
        )
        for r in found["nrt"]:
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
