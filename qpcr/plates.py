"""Several plates: one layout per plate, inter-run calibration and the choice between methods.

A target whose samples are spread over several plates (runs) carries a plate effect: threshold,
baseline and chemistry differ per run and per target, so the same cDNA gives a different ΔCq on
each plate. Reference genes remove a shift common to all genes of a plate, not one specific to
a target. Two remedies (methods.md §2.6):

* **inter-run calibration** (qBase, Hellemans et al. 2007): the same inter-run calibrator (IRC)
  samples are measured on every plate; per target g and plate k the calibration factor is the
  geometric mean of the IRCs' relative quantities measured on k and every value is divided by
  it. On the log2 scale (value = log2 NRQ = −ΔCq, efficiency weighted)::

      log2 CF(g, k)        = (1/m) Σ_i log2 NRQ(g, IRC_i, k)            (m IRCs)
      log2 CNRQ(g, s)      = log2 NRQ(g, s) − log2 CF(g, plate(s))
      SE(log2 CF)          = sqrt( Σ_i SE(log2 NRQ_i)² ) / m
      SE(log2 CNRQ)        = sqrt( SE(log2 NRQ)² + SE(log2 CF)² )

  which is qBase's SE_CNRQ = CNRQ · sqrt((SE_NRQ/NRQ)² + (SE_CF/CF)²) divided by CNRQ · ln 2.
  Scaling: calibrated values are relative to the IRCs' geometric mean (qBase's scaling, T09),
  the same on every plate; the control-group scaling is applied later by the group comparison.
* **control group on every plate** (fallback, no IRC): each plate is calibrated to the mean of
  its own control-group samples (ΔΔCq within the plate), then plates are pooled. Valid only
  when the control group is on every plate where the target is measured and samples are
  allocated to plates comparably (e.g. whole donors per plate): any true difference between
  the plates' control groups is removed together with the plate effect.

IRC samples are named, not typed (RDML has no IRC sample type): a layout column ``irc``
(``yes``/``true``/``1``) or the settings list ``irc_samples``. Replicates are keyed by
(plate, sample, target), so an IRC keeps the **same sample name on every plate**; qBase needs
distinct names per run only because it keys replicates by sample alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .config import AnalysisConfig
from .errors import (
    AnalysisError,
    ConfigError,
    DesignError,
    LayoutMismatchError,
    MissingControlError,
    did_you_mean,
    listed,
)
from .io._tabular import parse_bool
from .regex import lazy_pattern

__all__ = [
    "inter_run_calibration",
    "irc_sample_names",
    "match_layouts",
    "per_plate_calibration",
    "plate_strategy",
    "stack_layouts",
]

_SUFFIX = lazy_pattern(r"[\s._-]*(layout|results?|exports?|data)$", re.IGNORECASE)
_KEYS = ["plate", "sample", "target"]


def _stem_key(path: Path) -> str:
    """File stem without a trailing ``_layout``/``_results``/``_export``, lower case."""
    stem = path.stem.strip().lower()
    return _SUFFIX.sub("", stem) or stem


def match_layouts(
    exports: Sequence[str | Path], layouts: Sequence[str | Path]
) -> list[tuple[Path, Path]]:
    """Pair each export with its own layout file.

    By file stem when every export has exactly one layout of the same stem (ignoring case and a
    trailing ``_layout``, ``_results``, ``_export`` or ``_data``: ``plate1_results.txt`` ↔
    ``plate1_layout.csv``); otherwise in the order given when the counts are equal and no stem
    match contradicts the order.

    Parameters
    ----------
    exports
        The export files.
    layouts
        The layout files.

    Returns
    -------
    list of (Path, Path)
        ``(export, layout)`` pairs in the order of ``exports``.

    Raises
    ------
    LayoutMismatchError
        The files cannot be paired; it lists the exports without a layout and the layouts
        without an export.

    Examples
    --------
    >>> for export, layout in match_layouts(["plate1_results.txt", "plate2.txt"],
    ...                                     ["plate2_layout.csv", "plate1.csv"]):
    ...     print(export.name, "<->", layout.name)
    plate1_results.txt <-> plate1.csv
    plate2.txt <-> plate2_layout.csv
    """
    exp = [Path(p) for p in exports]
    lay = [Path(p) for p in layouts]
    ekeys = [_stem_key(p) for p in exp]
    lkeys = [_stem_key(p) for p in lay]
    by_stem: dict[int, int] = {}
    if len(set(lkeys)) == len(lkeys) and len(set(ekeys)) == len(ekeys):
        where_l = {k: j for j, k in enumerate(lkeys)}
        by_stem = {i: where_l[k] for i, k in enumerate(ekeys) if k in where_l}
    if len(by_stem) == len(exp) == len(lay):
        return [(exp[i], lay[by_stem[i]]) for i in range(len(exp))]
    if len(exp) == len(lay) and all(j == i for i, j in by_stem.items()):
        return list(zip(exp, lay, strict=True))
    paired = set(by_stem.values())
    lonely_e = [p.name for i, p in enumerate(exp) if i not in by_stem]
    lonely_l = [p.name for j, p in enumerate(lay) if j not in paired]
    found = f"{len(exp)} export(s) and {len(lay)} layout(s)"
    if lonely_e:
        found += f"; no layout named like {listed(lonely_e)}"
    if lonely_l:
        found += f"; no export named like {listed(lonely_l)}"
    if len(exp) == len(lay) and not (lonely_e or lonely_l):
        found += "; the stems pair them in another order than given"
    raise LayoutMismatchError(
        f"cannot pair exports with layouts: {found}; expected one layout per export, named "
        "like it (plate1.txt with plate1.csv or plate1_layout.csv) or given in the same order",
        where="layouts",
        hint="Rename the files alike, list them in the same order, or use one layout with a "
        "'plate' column",
    )


def stack_layouts(layouts: Mapping[str, pd.DataFrame], where: str = "layouts") -> pd.DataFrame:
    """One layout table from one layout per plate, keyed by plate name.

    Adds ``plate`` (the mapping's key, which must be the wells table's plate name, e.g. the
    export's file stem) so that :func:`qpcr.layout.join_layout` joins on (plate, well). A
    per-plate layout that has its own ``plate`` column must name only that plate.

    Parameters
    ----------
    layouts
        Plate name → that plate's layout table.
    where
        Where the layouts come from, for errors.

    Returns
    -------
    pandas.DataFrame
        The layouts stacked, ``plate`` first.

    Raises
    ------
    LayoutMismatchError
        No layout, or a layout naming another plate.

    Examples
    --------
    >>> import pandas as pd
    >>> stack_layouts({"plate1": pd.DataFrame({"well": ["A1"], "sample": ["s1"]}),
    ...                "plate2": pd.DataFrame({"well": ["A1"], "sample": ["s2"]})})
        plate well sample
    0  plate1   A1     s1
    1  plate2   A1     s2
    """
    frames = []
    for plate, layout in layouts.items():
        if "plate" in layout:
            other = sorted(set(layout["plate"].astype(str)) - {"", str(plate)})
            if other:
                raise LayoutMismatchError(
                    f"the layout given for plate '{plate}' names plate(s) {listed(other)}; "
                    f"expected only '{plate}' or no 'plate' column",
                    where=f"{where} ({plate})",
                    hint="Give one layout per plate, or one layout with a 'plate' column for all",
                )
        frame = layout.assign(plate=str(plate))
        frames.append(frame[["plate", *[c for c in frame.columns if c != "plate"]]])
    if not frames:
        raise LayoutMismatchError("no layout given; expected one per plate", where=where)
    return pd.concat(frames, ignore_index=True)


def irc_sample_names(
    table: pd.DataFrame, names: Sequence[str] = (), where: str = "settings irc_samples"
) -> list[str]:
    """The inter-run calibrator samples: ``names`` plus samples whose ``irc`` column is true.

    ``table`` is a wells, replicates or samples table with ``sample`` (and optionally ``irc``,
    read with the instrument boolean rule: true/yes/y/1).

    Parameters
    ----------
    table
        A table with ``sample`` and optionally ``irc``.
    names
        IRC sample names from the settings.
    where
        Where ``names`` come from, for errors.

    Returns
    -------
    list of str
        The IRC sample names, ``names`` first, each once.

    Raises
    ------
    ConfigError
        A name is absent from ``table`` (the message offers the closest sample name).

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"sample": ["IRC1", "IRC2", "s1"], "irc": ["yes", "no", "no"]})
    >>> irc_sample_names(table, ["IRC2"])
    ['IRC2', 'IRC1']
    """
    known = list(dict.fromkeys(table["sample"].astype(str)))
    known_set = set(known)
    unknown = [n for n in names if n not in known_set]
    if unknown:
        raise ConfigError(
            f"inter-run calibrator(s) {listed(unknown)} are not sample names of the data; "
            "expected names of samples measured on every plate",
            where=where,
            hint=did_you_mean(unknown[0], known, f"samples: {listed(known)}"),
        )
    marked: list[str] = []
    if "irc" in table:
        flags = table["irc"].map(parse_bool).astype(bool)
        marked = table.loc[flags, "sample"].astype(str).tolist()
    return list(dict.fromkeys([*map(str, names), *marked]))


def _check_table(samples: pd.DataFrame, value: str, se: str | None, where: str) -> None:
    need = [*_KEYS, value, *([se] if se else [])]
    absent = [c for c in need if c not in samples]
    if absent:
        raise AnalysisError(
            f"the samples table lacks column(s) {', '.join(absent)}; expected {', '.join(need)}",
            where=where,
            hint="Key replicates by (plate, sample, target) before normalising",
        )
    dupes = samples[samples.duplicated(_KEYS, keep=False)]
    if not dupes.empty:
        rows = listed(dupes[_KEYS].drop_duplicates().astype(str).agg(" / ".join, axis=1).tolist())
        raise AnalysisError(
            f"more than one row per plate / sample / target: {rows}; expected one",
            where=where,
            hint="Aggregate technical replicates per (plate, sample, target) first",
        )


def _calibrate(
    samples: pd.DataFrame,
    calibrator: pd.Series,
    value: str,
    se: str | None,
    count: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Subtract per (plate, target) the mean ``value`` of the ``calibrator`` rows."""
    cal = samples.loc[calibrator, ["plate", "target", value]].copy()
    cal["_var"] = samples.loc[calibrator, se].astype(float) ** 2 if se else np.nan
    grouped = cal.groupby(["plate", "target"], sort=False)
    cf = grouped.agg(**{count: (value, "count"), "log2_cf": (value, "mean")})
    cf["cf"] = 2.0 ** cf["log2_cf"]
    unknown = cal["_var"].isna().groupby([cal["plate"], cal["target"]], sort=False).any()
    var = grouped["_var"].sum().mask(unknown)  # one unknown SE makes the CF's SE unknown
    cf["se_log2_cf"] = np.sqrt(var) / cf[count]
    cf = cf.reset_index()
    merged = samples.merge(
        cf[["plate", "target", "log2_cf", "se_log2_cf"]], on=["plate", "target"], how="left"
    )
    out = samples.copy()
    out["plate_cf_log2"] = merged["log2_cf"].to_numpy()
    out["se_plate_cf_log2"] = merged["se_log2_cf"].to_numpy()
    out[f"{value}_calibrated"] = out[value] - out["plate_cf_log2"]
    if se:
        out[f"{se}_calibrated"] = np.hypot(out[se].astype(float), out["se_plate_cf_log2"])
    return out, cf


def inter_run_calibration(
    samples: pd.DataFrame,
    *,
    irc_samples: Sequence[str],
    value: str = "log2_rq",
    se: str | None = "se_log2_rq",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """qBase inter-run calibration (Hellemans 2007; methods.md §2.6, T09).

    ``samples`` has one row per plate × sample × target with ``value`` (log2 NRQ, e.g.
    ``log2_rq`` from :func:`qpcr.quant.normalise` run per plate) and ``se`` (its SE, log2
    units; None to skip SEs). Every IRC must have a value on every plate for every target that
    plate measures, otherwise the CFs of different plates would average different IRCs.
    The IRCs' own errors are treated as independent of the CF (first order, as qBase).

    Parameters
    ----------
    samples
        One row per plate × sample × target.
    irc_samples
        The IRC sample names (at least one).
    value
        The column holding log2 NRQ.
    se
        The column holding its SE (log2 units), or None.

    Returns
    -------
    calibrated : pandas.DataFrame
        ``samples`` plus ``irc`` (bool, the row is one of ``irc_samples``; replaces a layout
        ``irc`` column), ``plate_cf_log2`` (log2 CF of the row's plate and target),
        ``se_plate_cf_log2``, ``<value>_calibrated`` (= value − log2 CF, log2 CNRQ) and
        ``<se>_calibrated`` (= √(se² + SE(log2 CF)²)); the input columns are unchanged.
    factors : pandas.DataFrame
        ``plate, target, n_irc, log2_cf, cf`` (= 2^log2_cf, the geometric mean of the IRCs'
        NRQs) and ``se_log2_cf`` (= √Σ se² / n_irc).

    Raises
    ------
    ConfigError
        No IRC is named.
    AnalysisError
        An IRC lacks a value on a plate for a target measured there.

    Examples
    --------
    T09 in methods.md: run 1 IRC1 NRQ 1.20, IRC2 0.80 → CF1 = 0.979796; run 2 IRC1 1.50,
    IRC2 1.00 → CF2 = 1.224745; a run-2 sample with NRQ 2.0 has CNRQ 1.632993, and IRC1 is
    1.224745 in both runs after calibration:

    >>> import numpy as np
    >>> import pandas as pd
    >>> samples = pd.DataFrame({"plate": ["run1", "run1", "run2", "run2", "run2"],
    ...                         "sample": ["IRC1", "IRC2", "IRC1", "IRC2", "s1"], "target": "MYC",
    ...                         "log2_rq": np.log2([1.20, 0.80, 1.50, 1.00, 2.0])})
    >>> calibrated, factors = inter_run_calibration(samples, irc_samples=["IRC1", "IRC2"],
    ...                                             se=None)
    >>> print(factors[["plate", "n_irc", "cf"]].round(6).to_string(index=False))
    plate  n_irc       cf
     run1      2 0.979796
     run2      2 1.224745
    >>> cnrq = 2 ** calibrated["log2_rq_calibrated"]
    >>> print(calibrated.assign(cnrq=cnrq)[["plate", "sample", "irc", "cnrq"]]
    ...       .round(6).to_string(index=False))
    plate sample   irc     cnrq
     run1   IRC1  True 1.224745
     run1   IRC2  True 0.816497
     run2   IRC1  True 1.224745
     run2   IRC2  True 0.816497
     run2     s1 False 1.632993
    """
    where = "inter-run calibration"
    _check_table(samples, value, se, where)
    ircs = list(dict.fromkeys(map(str, irc_samples)))
    if not ircs:
        raise ConfigError(
            "no inter-run calibrator is named; expected at least one IRC sample",
            where="settings irc_samples",
            hint="Mark IRC wells with a layout column 'irc' = yes, or list them in irc_samples",
        )
    measured = samples[["plate", "target"]].drop_duplicates()
    grid = measured.merge(pd.DataFrame({"sample": ircs}), how="cross")
    cols = [*_KEYS, value, *(["note"] if "note" in samples else [])]
    found = grid.merge(samples[cols], on=_KEYS, how="left", indicator=True)
    absent = found["_merge"].eq("left_only")
    empty = ~absent & found[value].isna()
    if (absent | empty).any():
        bad = found[absent | empty]
        why = np.where(absent[bad.index], "not measured", "no value")
        if "note" in bad:
            notes = bad["note"].fillna("").astype(str)
            why = np.where(notes.ne("") & ~absent[bad.index], "no value (" + notes + ")", why)
        items = [
            f"plate '{p}' target '{t}': IRC '{s}' {w}"
            for p, t, s, w in zip(bad["plate"], bad["target"], bad["sample"], why, strict=True)
        ]
        raise AnalysisError(
            f"inter-run calibrators incomplete: {listed(items)}; expected every IRC "
            f"({', '.join(ircs)}) with a value on every plate for every target measured there",
            where=f"{where}, plate '{bad['plate'].iloc[0]}', target '{bad['target'].iloc[0]}'",
            hint="The calibration factor must average the same IRCs on every plate: re-run the "
            "missing IRC wells, or drop the IRC from the list for all plates",
        )
    is_irc = samples["sample"].astype(str).isin(ircs)
    out, cf = _calibrate(samples, is_irc, value, se, "n_irc")
    out = out.drop(columns="irc", errors="ignore")
    out.insert(list(out.columns).index("sample") + 1, "irc", is_irc.to_numpy())
    return out, cf[["plate", "target", "n_irc", "log2_cf", "cf", "se_log2_cf"]]


def _control_mask(samples: pd.DataFrame, control: Mapping[str, str]) -> pd.Series:
    if not control:
        raise MissingControlError(
            "no control group is set; expected one level per design factor",
            where="settings [control]",
            hint='Name the control level of each factor, e.g. [control] oxygen = "normoxia"',
        )
    absent = [f for f in control if f not in samples]
    if absent:
        raise ConfigError(
            f"control factor(s) {', '.join(absent)} are not columns of the samples table; "
            "expected design-factor columns",
            where="settings [control]",
            hint="Merge the sample attributes (factors) into the samples table first",
        )
    mask = pd.Series(True, index=samples.index)
    for factor, level in control.items():
        mask &= samples[factor].astype(str).eq(str(level))
    return mask


def per_plate_calibration(
    samples: pd.DataFrame,
    *,
    control: Mapping[str, str],
    value: str = "log2_rq",
    se: str | None = "se_log2_rq",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fallback without IRCs: calibrate each plate to its own control group, then pool.

    Per target g and plate k (control samples c on k with a value)::

        log2 CF(g, k) = mean_c value(g, c, k);   calibrated = value − log2 CF(g, plate)
        SE(log2 CF)   = sqrt( Σ_c se_c² ) / n_control   (technical; the biological spread of
                        the control group is left to the group comparison)

    i.e. ΔΔCq within each plate. Valid only when the control group is on every plate that
    measures the target; it forces the plates' control groups to agree, so it is right when
    samples are allocated to plates comparably (e.g. whole donors per plate).

    Parameters
    ----------
    samples
        One row per plate × sample × target, with the factors of ``control``.
    control
        Factor → control level.
    value
        The column holding log2 NRQ.
    se
        The column holding its SE (log2 units), or None.

    Returns
    -------
    calibrated, factors : pandas.DataFrame
        The columns of :func:`inter_run_calibration` (``n_control`` instead of ``n_irc``; no
        ``irc`` column).

    Raises
    ------
    MissingControlError
        A plate measuring a target has no control sample with a value (named with plate and
        target), or no control is set.

    Examples
    --------
    >>> import pandas as pd
    >>> samples = pd.DataFrame({"plate": ["p1", "p1", "p2", "p2"], "target": "MYC",
    ...                         "sample": ["c1", "t1", "c2", "t2"],
    ...                         "group": ["ctrl", "drug", "ctrl", "drug"],
    ...                         "log2_rq": [-5.0, -3.0, -4.0, -1.5]})
    >>> calibrated, factors = per_plate_calibration(samples, control={"group": "ctrl"}, se=None)
    >>> print(factors[["plate", "n_control", "log2_cf"]].to_string(index=False))
    plate  n_control  log2_cf
       p1          1     -5.0
       p2          1     -4.0
    >>> calibrated["log2_rq_calibrated"].tolist()
    [0.0, 2.0, 0.0, 2.5]
    """
    where = "per-plate calibration"
    _check_table(samples, value, se, where)
    is_control = _control_mask(samples, control) & samples[value].notna()
    measured = samples[["plate", "target"]].drop_duplicates()
    has = samples.loc[is_control, ["plate", "target"]].drop_duplicates()
    lacking = measured.merge(has, how="left", indicator=True)
    lacking = lacking[lacking["_merge"].eq("left_only")]
    if not lacking.empty:
        items = [
            f"plate '{p}' target '{t}'"
            for p, t in zip(lacking["plate"], lacking["target"], strict=True)
        ]
        label = ", ".join(f"{k}={v}" for k, v in control.items())
        raise MissingControlError(
            f"no control sample ({label}) with a value on {listed(items)}; expected the "
            "control group on every plate that measures the target",
            where=f"{where}, plate '{lacking['plate'].iloc[0]}', "
            f"target '{lacking['target'].iloc[0]}'",
            hint="Put control samples on every plate, or measure inter-run calibrators (IRCs) "
            "on every plate",
        )
    out, cf = _calibrate(samples, is_control, value, se, "n_control")
    return out, cf[["plate", "target", "n_control", "log2_cf", "cf", "se_log2_cf"]]


def plate_strategy(
    samples: pd.DataFrame,
    config: AnalysisConfig,
    irc_samples: Sequence[str] = (),
    value: str = "log2_rq",
) -> str:
    """Choose how to combine plates: ``"single"``, ``"irc"`` or ``"control-per-plate"``.

    ``"single"``: every target's (non-IRC) samples sit on one plate (one plate, or a sample-
    maximisation design), so no calibration is needed. ``"irc"``: IRCs are named
    (:func:`irc_sample_names` of ``samples`` and ``irc_samples``). ``"control-per-plate"``:
    the control group (``config.control``) has a ``value`` on every plate of every spread target.
    ``samples`` may also be the replicates table (``value="cq_mean"``, reference genes included),
    to decide before normalising whether replicates must be keyed by plate.

    Parameters
    ----------
    samples
        One row per (plate ×) sample × target.
    config
        The analysis settings (``control``).
    irc_samples
        IRC sample names from the settings.
    value
        The column whose presence counts a control sample.

    Returns
    -------
    str
        ``"single"``, ``"irc"`` or ``"control-per-plate"``.

    Raises
    ------
    DesignError
        Names each spread target, its plates and the plates lacking the control group.

    Examples
    --------
    >>> import pandas as pd
    >>> from qpcr.config import from_mapping
    >>> config = from_mapping({"reference_genes": ["GAPDH"], "control": {"group": "ctrl"}})
    >>> samples = pd.DataFrame({"plate": ["p1", "p1", "p2", "p2"], "target": "MYC",
    ...                         "sample": ["c1", "t1", "c2", "t2"],
    ...                         "group": ["ctrl", "drug", "ctrl", "drug"],
    ...                         "log2_rq": [-5.0, -3.0, -4.0, -1.5]})
    >>> plate_strategy(samples, config)
    'control-per-plate'
    >>> plate_strategy(samples.assign(irc=["yes", "no", "yes", "no"]), config)
    'irc'
    >>> plate_strategy(samples.assign(plate="p1"), config)
    'single'
    """
    if "plate" not in samples or samples["plate"].nunique() <= 1:
        return "single"
    ircs = irc_sample_names(samples, irc_samples)
    study = samples[~samples["sample"].astype(str).isin(ircs)]
    plates = study.groupby("target", sort=False)["plate"].unique()
    spread = plates[plates.map(len) > 1]
    if spread.empty:
        return "single"
    if ircs:
        return "irc"
    control = config.control
    if control and all(f in study for f in control):
        with_control = study[_control_mask(study, control) & study[value].notna()]
        covered = with_control.groupby("target")["plate"].unique().map(set)
    else:
        covered = pd.Series(dtype=object)
    items = []
    for target, on in spread.items():
        lacking = sorted(set(map(str, on)) - set(map(str, covered.get(target, set()))))
        if lacking:
            items.append(
                f"'{target}' on plates {', '.join(map(str, on))} (no control sample on "
                f"{', '.join(lacking)})"
            )
    if not items:
        return "control-per-plate"
    label = ", ".join(f"{k}={v}" for k, v in control.items()) or "not set"
    raise DesignError(
        f"target(s) spread over plates without inter-run calibrators or the control group "
        f"({label}) on each plate: {listed(items)}; expected IRC samples on every plate or "
        "the control group on every plate",
        where="plates",
        hint="Mark IRC wells (layout column 'irc' = yes, or settings irc_samples), put control "
        "samples on every plate, or keep all samples of a target on one plate",
    )
