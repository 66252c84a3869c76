"""Relative quantification: technical replicates, reference normalisation, ΔCq and ΔΔCq.

One engine covers Livak, Pfaffl and qBase (methods.md §2.2-2.6). With amplification factors
E (2.0 = 100 %) every Cq is weighted by log2 E, which puts it in "cycles at E = 2":

    Cq_w(g, s)   = Cq̄(g, s) · log2 E_g
    ref_cq(s)    = (1/f) Σ_r Cq_w(r, s)            (mean of the f reference genes)
    ΔCq(g, s)    = Cq_w(g, s) − ref_cq(s)
    log2 RQ      = −ΔCq                           (relative quantity = 2^−ΔCq = E_g^−Cq / NF)
    ΔΔCq         = ΔCq − mean ΔCq(control group);  log2 FC = −ΔΔCq;  FC = 2^−ΔΔCq

With E = 2 for every gene this is exactly Livak's 2^−ΔΔCq; with efficiencies it equals the qBase
calibrated NRQ (the per-gene run means Cq̄_g of qBase cancel in the calibration), and with one
reference gene it is Pfaffl's ratio. Technical replicates are averaged on the Cq scale first.
Standard errors follow qBase's first-order propagation on the log2 scale (methods.md §2.6):
Var(log2 RQ_g) = (log2 E_g · SE_Cq)², Var(log2 NF) = (1/f²) Σ_r Var(log2 RQ_r),
Var(log2 NRQ) = Var(log2 RQ_g) + Var(log2 NF); an efficiency's own SE adds
((Cq̄_g − Cq) · SE_E / (E ln 2))² with Cq̄_g the gene's mean over the run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .grouped import group_codes, moments, order_stats
from .kept import Kept, content_key

__all__ = [
    "located_pairing",
    "normalise",
    "pairing_of",
    "ratio_table",
    "replicate_columns",
    "summarise_replicates",
]


def summarise_replicates(
    wells: pd.DataFrame, keys: Sequence[str] = ("sample", "target"), value: str = "cq_used"
) -> pd.DataFrame:
    """Aggregate technical replicates on the Cq scale.

    Parameters
    ----------
    wells
        The wells, with the ``keys`` columns and ``value`` (NaN for wells not to use).
    keys
        The columns that name a replicate group.
    value
        The Cq column to average (cycles).

    Returns
    -------
    pandas.DataFrame
        One row per key with ``n`` (wells), ``n_used`` (wells with a value), ``cq_mean``,
        ``cq_sd`` (n − 1), ``cq_se`` (sd/√n_used), ``cq_range`` (max − min) and, when ``wells``
        has a boolean ``censored`` column, ``n_censored`` (used wells set at the detection
        limit).

    Examples
    --------
    >>> import pandas as pd
    >>> wells = pd.DataFrame({"sample": ["s1"] * 4, "target": ["GAPDH", "GAPDH", "MYC", "MYC"],
    ...                       "cq_used": [18.0, 18.2, 24.0, 24.4]})
    >>> summarise_replicates(wells)
      sample target  n  n_used  cq_mean     cq_sd  cq_se  cq_range
    0     s1  GAPDH  2       2     18.1  0.141421    0.1       0.2
    1     s1    MYC  2       2     24.2  0.282843    0.2       0.4
    """
    return pd.DataFrame(replicate_columns(wells, keys, value), copy=False)


def replicate_columns(
    wells: pd.DataFrame,
    keys: Sequence[str] = ("sample", "target"),
    value: str = "cq_used",
    rows: npt.NDArray[np.intp] | None = None,
) -> dict[str, Any]:
    """The columns of :func:`summarise_replicates` of the wells at ``rows`` (None: every
    well), by name: for callers that add columns of their own before building the table.

    Parameters
    ----------
    wells
        The wells, with the ``keys`` columns and ``value``.
    keys
        The columns that name a replicate group.
    value
        The Cq column to average (cycles).
    rows
        The positions of the wells to summarise, in this order (None: all).

    Returns
    -------
    dict
        Column name → values (numpy and pandas arrays, Series of objects on a default index).

    Examples
    --------
    >>> import pandas as pd
    >>> wells = pd.DataFrame({"sample": ["s1"] * 4, "target": ["GAPDH", "GAPDH", "MYC", "MYC"],
    ...                       "cq_used": [18.0, 18.2, 24.0, 24.4]})
    >>> found = replicate_columns(wells, rows=np.array([2, 3, 0]))
    >>> found["target"].tolist(), found["n"].tolist(), found["cq_mean"].tolist()
    (['MYC', 'GAPDH'], [2, 1], [24.2, 18.0])
    """
    keys = list(keys)
    code = _codes(wells, keys, rows)
    first = np.unique(code, return_index=True)[1]  # a well of each group, in table order
    cq = _floats(wells[value])
    cq = cq if rows is None else cq[rows]
    mean, sd, n_used = moments(cq, code)
    low, high, _, _ = order_stats(cq, code)
    n_used = n_used.astype(np.int64)
    index = pd.RangeIndex(len(first))
    at = first if rows is None else rows[first]
    found: dict[str, Any] = {k: _taken(wells[k], at, index) for k in keys}
    found.update(n=np.bincount(code, minlength=len(first)), n_used=n_used, cq_mean=mean,
                 cq_sd=sd, cq_se=sd / np.sqrt(n_used), cq_range=high - low)  # fmt: skip
    if "censored" in wells:
        flags = wells["censored"]
        censored = (flags if flags.dtype == bool else flags.astype(bool)).to_numpy()
        used = ~np.isnan(cq) & (censored if rows is None else censored[rows])
        counts = np.bincount(code[used], minlength=len(first))
        # a group missing a key counts none
        keyed = np.logical_and.reduce([pd.notna(wells[k].array.take(at)) for k in keys])
        found["n_censored"] = counts if keyed.all() else np.where(keyed, counts, np.nan)
    return found


#: Every well's group number (:func:`qpcr.grouped.group_codes`) by the content of the key
#: columns (a batch's plates share their layout). Only read, never changed.
_CODES = Kept[npt.NDArray[np.intp]](size=8)


def _codes(
    wells: pd.DataFrame, keys: list[str], rows: npt.NDArray[np.intp] | None
) -> npt.NDArray[np.intp]:
    """The group numbers of the wells at ``rows`` (None: all) by ``keys``: every well's,
    kept, renumbered over ``rows`` in order of first appearance (as ``group_codes`` of the
    wells at ``rows`` numbers them)."""
    if rows is None:
        return _every_code(wells, keys)
    key = content_key(wells, keys)
    every = _CODES.get(None if key is None else (len(wells), key), lambda: _every_code(wells, keys))
    return pd.factorize(every[rows])[0]


def _every_code(wells: pd.DataFrame, keys: list[str]) -> npt.NDArray[np.intp]:
    code = group_codes([wells[k].array for k in keys], len(wells))
    code.flags.writeable = False
    return code


def normalise(
    replicates: pd.DataFrame,
    reference_genes: Sequence[str],
    efficiency: Mapping[str, float] | None = None,
    efficiency_se: Mapping[str, float] | None = None,
    wells: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Normalise every non-reference target of each sample to the reference genes.

    A sample lacking any reference gene, or whose reference gene is undetermined, gets no ΔCq:
    normalisation needs all of them (methods.md §2.3, §2.9). With ``wells`` (``pairing`` =
    "well", target and reference genes in the same well) ΔCq is taken per well and averaged
    (:func:`_per_well`).

    Parameters
    ----------
    replicates
        The output of :func:`summarise_replicates` (keys ``sample``, ``target``).
    reference_genes
        The reference targets.
    efficiency
        Amplification factor E per target (2.0 = 100 %; 2.0 where not given).
    efficiency_se
        Standard error of E per target (0 where not given).
    wells
        The used wells of the samples (``plate``, ``well``, ``sample``, ``target``,
        ``cq_used``, ``censored``) for ΔCq per well, or None for ΔCq per sample.

    Returns
    -------
    pandas.DataFrame
        One row per sample × non-reference target with ``cq_mean``, ``ref_cq``
        (efficiency-weighted mean reference Cq, cycles at E = 2), ``delta_cq`` (ΔCq),
        ``log2_rq`` (= −ΔCq), ``rel_quantity`` (= 2^−ΔCq), ``se_log2_rq`` (propagated SE of log2
        RQ, NaN when a replicate SD is unknown), ``censored`` (the target's Cq includes
        non-detects set at the detection limit, so ``log2_rq`` is an upper bound) and ``note``
        (why ΔCq is missing). Per well: ``delta_cq`` is the mean of the wells' ΔCq, ``ref_cq``
        the mean reference Cq of those wells, ``se_log2_rq`` their SD/√n, and ``delta_cq_sd``
        (SD of the per-well ΔCq) is added.

    Examples
    --------
    ΔCq = 24.2 − 18.1 = 6.1; SE = √(0.2² + 0.1²) = 0.2236:

    >>> import pandas as pd
    >>> wells = pd.DataFrame({"sample": ["s1"] * 4, "target": ["GAPDH", "GAPDH", "MYC", "MYC"],
    ...                       "cq_used": [18.0, 18.2, 24.0, 24.4]})
    >>> rq = normalise(summarise_replicates(wells), ["GAPDH"])
    >>> rq[["sample", "target", "ref_cq", "delta_cq", "log2_rq", "se_log2_rq", "note"]]
      sample target  ref_cq  delta_cq  log2_rq  se_log2_rq note
    0     s1    MYC    18.1       6.1     -6.1    0.223607
    """
    efficiency = dict(efficiency or {})
    efficiency_se = dict(efficiency_se or {})
    refs = list(reference_genes)
    rep = replicates
    cens = _censored(rep)
    key = content_key(rep, ["sample", "target"])
    is_ref, code, names, held, at, gene = _PLANS.get(
        None if key is None else (key, tuple(refs)), lambda: _plan(rep, refs)
    )
    ref_nd = is_ref & cens
    cq = rep["cq_mean"].to_numpy(float, copy=True)
    cq[ref_nd] = np.nan  # an undetermined reference gene cannot normalise

    def per_target(values: list[float]) -> np.ndarray:
        return np.append(np.array(values, dtype=float), np.nan)[code]

    log2e = per_target([np.log2(efficiency.get(t, 2.0)) for t in names])
    weighted = cq * log2e
    gene_mean = np.append(moments(cq, code)[0], np.nan)[code]  # each gene's mean over the run
    se_e = per_target([efficiency_se.get(t, 0.0) for t in names])
    e = 2.0**log2e
    var = (log2e * rep["cq_se"].to_numpy(float)) ** 2 + (
        (gene_mean - cq) * se_e / (e * np.log(2))
    ) ** 2

    sample, target = rep["sample"].to_numpy(), rep["target"].to_numpy()
    ref_w, ref_var = (_by_reference(gene, at[is_ref], values[is_ref], (len(refs), len(held)))
                      for values in (weighted, var))  # fmt: skip
    f = len(refs)
    with np.errstate(invalid="ignore", divide="ignore"):  # no reference gene: NaN
        # a missing gene leaves NaN; the genes added one after another, as pandas adds a
        # frame's columns
        ref_cq = ref_w.sum(axis=0) / f
        var_nf = ref_var.sum(axis=0) / f**2
    undetermined = set(zip(sample[ref_nd], target[ref_nd], strict=True))
    why = {
        name: ", ".join(f"{g} {'undetermined' if (name, g) in undetermined else 'missing'}"
                        for g, lost in zip(refs, row, strict=True) if lost)
        for name, row in zip(held, np.isnan(ref_w).T, strict=True) if row.any()
    }  # fmt: skip

    kept = ~is_ref
    at = at[kept]
    ref = np.append(ref_cq, np.nan)[at]
    delta = weighted[kept] - ref
    spread = np.append(var_nf, np.nan)[at]
    note = np.full(len(at), "", dtype=object)
    no_ref = np.isnan(ref)
    note[no_ref] = [f"no usable reference Cq ({why.get(s, ', '.join(refs))})"
                    for s in sample[kept][no_ref]]  # fmt: skip
    note[np.isnan(cq[kept]) & ~no_ref] = "no usable target Cq"
    rows, index = np.flatnonzero(kept), pd.RangeIndex(int(kept.sum()))
    columns = {c: _taken(column, rows, index) for c, column in rep.items()}  # rep[kept]
    columns.update(
        censored=cens[kept], cq_mean=cq[kept], ref_cq=ref, delta_cq=delta, log2_rq=-delta,
        rel_quantity=2.0**-delta, se_log2_rq=np.sqrt(var[kept] + spread),
        note=pd.Series(note, index=index, dtype=object),
    )  # fmt: skip
    out = pd.DataFrame(columns, index=index, copy=False)
    return out if wells is None else _per_well(out, wells, refs, efficiency)


#: :func:`_plan` by the replicates' samples and targets and the reference genes (a batch's
#: plates share them). Only read, never changed.
_PLANS = Kept[tuple[Any, ...]](size=8)


def _plan(rep: pd.DataFrame, refs: list[str]) -> tuple[Any, ...]:
    """What :func:`normalise` reads from the replicates' samples and targets alone: which rows
    are reference genes; the targets numbered in sorted order, as a groupby numbers them (-1:
    a missing target), and their names; the samples with a reference gene's row, each row's
    sample among them (-1: none) and each reference row's gene among ``refs``."""
    sample, target = rep["sample"].to_numpy(), rep["target"].to_numpy()
    is_ref = rep["target"].isin(refs).to_numpy()
    code, names = pd.factorize(rep["target"], sort=True)
    held = pd.Index(sorted(set(sample[is_ref])))
    at = held.get_indexer(pd.Index(sample))
    gene = pd.Index(refs).get_indexer(pd.Index(target[is_ref]))
    for array in (is_ref, code, at, gene):
        array.flags.writeable = False
    return is_ref, code, names, held, at, gene


def _censored(replicates: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """``(n_censored > 0).to_numpy()``, compared on the array when it holds numbers; none
    without the column."""
    if "n_censored" not in replicates:
        return np.zeros(len(replicates), bool)
    counts = replicates["n_censored"]
    if isinstance(counts.dtype, np.dtype) and counts.dtype.kind in "iuf":
        return counts.to_numpy() > 0
    return (counts > 0).to_numpy()


def _floats(column: pd.Series) -> npt.NDArray[np.floating[Any]]:
    """``column.astype(float).to_numpy()``: the array itself (read only) when it holds floats
    already, the numbers of an integer column as floats (exact up to 2**53, as the cast)."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iuf":
        return column.to_numpy(dtype=float)
    return column.astype(float).to_numpy()


def _taken(column: pd.Series, rows: npt.NDArray[np.intp], index: pd.RangeIndex) -> Any:
    """``column``'s values at ``rows`` with its dtype, for a new table on ``index``: a numpy
    array for numbers (a table is built from those quickest), pandas' own array for its
    dtypes (text), a Series of objects (a table would read an array of objects as text)."""
    if not isinstance(column.dtype, np.dtype):
        return column.array.take(rows)
    if column.dtype != object:
        return column.to_numpy()[rows]
    return pd.Series(column.to_numpy()[rows], index=index, dtype=object, copy=False)


def _by_reference(
    gene: np.ndarray, sample: np.ndarray, values: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    """The reference gene × sample table of the reference genes' rows' ``values`` (``gene``,
    ``sample``: each row's cell): the first value given for a cell; NaN where a sample lacks
    the gene."""
    table = np.full(shape, np.nan)
    given = ~np.isnan(values)
    # the first value of a cell wins: write them last
    table[gene[given][::-1], sample[given][::-1]] = values[given][::-1]
    return table


def pairing_of(
    wells: pd.DataFrame, reference_genes: Sequence[str], pairing: str, where: str = "pairing"
) -> str:
    """``"well"`` or ``"sample"``: how ΔCq pairs targets with reference genes.

    ``auto`` is ``well`` when every well of a non-reference target also holds every reference
    gene (multiplex wells: the same well name with several targets), else ``sample``.
    ``well`` is refused when some target well lacks a reference gene.

    Parameters
    ----------
    wells
        The sample wells (``plate``, ``well``, ``target``).
    reference_genes
        The reference targets.
    pairing
        The ``pairing`` setting: ``auto``, ``well`` or ``sample``.
    where
        Where ``pairing`` was given, for the error (``AnalysisConfig.where("pairing")``).

    Returns
    -------
    str
        ``"well"`` or ``"sample"``.

    Raises
    ------
    ConfigError
        ``pairing = "well"`` with target wells that hold no reference gene.

    Examples
    --------
    >>> import pandas as pd
    >>> wells = pd.DataFrame({"plate": "p1", "well": ["A1", "A1", "A2", "A2"],
    ...                       "target": ["MYC", "GAPDH"] * 2})
    >>> pairing_of(wells, ["GAPDH"], "auto")
    'well'
    >>> pairing_of(wells.iloc[:3], ["GAPDH"], "auto")
    'sample'
    """
    if pairing == "sample":
        return "sample"
    columns = {k: wells[k].to_numpy() for k in ("plate", "well", "target") if k in wells}
    return located_pairing(columns, reference_genes, pairing, where)


def located_pairing(
    columns: Mapping[str, np.ndarray], reference_genes: Sequence[str], pairing: str,
    where: str = "pairing",
) -> str:  # fmt: skip
    """:func:`pairing_of` of the sample wells given by their ``target`` cells and, when
    known, their ``plate`` and ``well`` cells (arrays of one length), without a table.

    Parameters
    ----------
    columns
        ``target`` and, when known, ``plate`` and ``well``: each an array of the wells' cells.
    reference_genes, pairing, where
        As for :func:`pairing_of`.

    Returns
    -------
    str
        ``"well"`` or ``"sample"``.

    Examples
    --------
    >>> import numpy as np
    >>> located_pairing({"well": np.array(["A1", "A1"], dtype=object),
    ...                  "target": np.array(["MYC", "GAPDH"], dtype=object)}, ["GAPDH"], "auto")
    'well'
    """
    if pairing == "sample":
        return "sample"
    refs = list(reference_genes)
    genes = set(refs)
    size = len(columns["target"])
    keys = [c for c in ("plate", "well") if c in columns]
    rows: Sequence[int] = []  # the wells with a name (and a plate)
    if "well" in keys:
        named = np.logical_and.reduce([pd.notna(columns[k]) for k in keys])
        rows = range(size) if named.all() else np.flatnonzero(named).tolist()
    place = list(zip(*(columns[k].tolist() for k in keys), strict=True))
    if pairing == "auto" and refs and len(set(place)) == len(place):
        return "sample"  # one target a well: none holds a reference gene beside a target
    target = columns["target"].tolist()
    held: dict[tuple[Any, ...], set[Any]] = {}  # each well's reference genes
    for i in rows:
        if target[i] in genes:
            held.setdefault(place[i], set()).add(target[i])
    seen, lacking = set(), []  # the first target row of each well; those without every reference
    for i in rows:
        if target[i] not in genes and place[i] not in seen:
            seen.add(place[i])
            if len(held.get(place[i], ())) != len(refs):
                lacking.append(i)
    located = len(rows) == size
    if pairing == "auto":
        return "well" if seen and not lacking and located else "sample"
    if not lacking and seen and located:
        return "well"
    from .errors import ConfigError

    example = ", ".join(f"{columns['well'][i]} ({target[i]})" for i in lacking[:3])
    raise ConfigError(
        f"pairing = 'well', but {len(lacking) or size - len(rows)} target well(s) hold "
        f"no reference gene {'or have no well name' if not example else f'({example})'}",
        where=where,
        hint="Per-well ΔCq needs target and reference genes in the same well (multiplex); set "
        'pairing = "sample" (or "auto") for targets and references in separate wells',
    )


def _per_well(
    out: pd.DataFrame, wells: pd.DataFrame, refs: list[str], efficiency: Mapping[str, float]
) -> pd.DataFrame:
    """Replace the per-sample ΔCq of ``out`` by the mean of per-well ΔCq (methods.md §2.3).

    In each well ΔCq_w = Cq_target·log2 E − mean_r Cq_r·log2 E_r; a well whose reference
    gene is missing, unused or a non-detect gives none."""
    keys = [c for c in ("plate", "well") if c in wells]
    used = wells[wells["cq_used"].notna()].copy()
    used["_w"] = used["cq_used"] * used["target"].map(lambda t: np.log2(efficiency.get(t, 2.0)))
    ref = used[used["target"].isin(refs) & ~used["censored"].astype(bool)]
    ref_w = ref.groupby(keys).agg(_ref=("_w", "mean"), _k=("target", "nunique"))
    ref_w = ref_w[ref_w["_k"] == len(refs)]
    target = used[~used["target"].isin(refs)].join(ref_w["_ref"], on=keys, how="inner")
    target["_d"] = target["_w"] - target["_ref"]
    per = target.groupby(["sample", "target"]).agg(
        _dcq=("_d", "mean"), _sd=("_d", "std"), _n=("_d", "size"), _ref=("_ref", "mean")
    )
    out = out.join(per, on=["sample", "target"])
    out["ref_cq"] = out["_ref"]
    out["delta_cq"] = out["_dcq"]
    out["log2_rq"] = -out["delta_cq"]
    out["rel_quantity"] = 2.0 ** out["log2_rq"]
    out["delta_cq_sd"] = out["_sd"]
    out["se_log2_rq"] = out["_sd"] / np.sqrt(out["_n"])
    lost = out["delta_cq"].isna() & out["note"].eq("")
    out.loc[lost, "note"] = "no well with both a usable target and reference Cq"
    return out.drop(columns=["_dcq", "_sd", "_n", "_ref"])


def ratio_table(
    samples: pd.DataFrame, ratios: Mapping[str, tuple[str, str]], sample_cols: Sequence[str]
) -> pd.DataFrame:
    """Per-sample ratio of two targets' relative quantities (reference genes cancel).

    log2 ratio(s) = log2 RQ_num(s) − log2 RQ_den(s) = −(ΔCq_num − ΔCq_den)  (methods.md §3.5).

    Parameters
    ----------
    samples
        One row per sample × target with ``log2_rq`` (and ``censored`` when known), as
        :func:`normalise` returns, plus the ``sample_cols``.
    ratios
        Ratio name → (numerator target, denominator target). A ratio whose targets are not both
        present is left out.
    sample_cols
        Columns that describe a sample (design factors, replicate), carried over.

    Returns
    -------
    pandas.DataFrame
        ``sample``, ``ratio``, ``sample_cols``, ``log2_ratio``, ``ratio_value`` and the bound
        flags ``upper_bound`` (numerator censored) and ``lower_bound`` (denominator censored).

    Examples
    --------
    >>> import pandas as pd
    >>> samples = pd.DataFrame({"sample": ["s1", "s1", "s2", "s2"],
    ...                         "target": ["MYC", "HIF1A", "MYC", "HIF1A"],
    ...                         "log2_rq": [-6.0, -4.0, -5.0, -4.5],
    ...                         "group": ["ctrl", "ctrl", "hyp", "hyp"]})
    >>> ratio_table(samples, {"MYC/HIF1A": ("MYC", "HIF1A")}, ["group"])
      sample      ratio group  log2_ratio  ratio_value  upper_bound  lower_bound
    0     s1  MYC/HIF1A  ctrl        -2.0     0.250000        False        False
    1     s2  MYC/HIF1A   hyp        -0.5     0.707107        False        False
    """
    carried = ["sample", "ratio", *sample_cols, "log2_ratio", "ratio_value", "upper_bound",
               "lower_bound"]  # fmt: skip
    if len(set(carried)) < len(carried):
        from .errors import InputError

        raise InputError(
            f"the sample columns {', '.join(sample_cols)} repeat a name or name a column of the "
            f"ratio table; expected other names than {', '.join(carried[:2] + carried[-4:])}",
            where="ratios",
            hint="Rename the design factor or replicate column",
        )
    # the samples and targets numbered in sorted order, rows missing either left out
    sample_col, target_col = samples["sample"], samples["target"]  # each read once
    keyed = np.flatnonzero(~(sample_col.array.isna() | target_col.array.isna()))
    sample_of, target_of = sample_col.tolist(), target_col.tolist()
    names = sorted({sample_of[i] for i in keyed})
    targets = sorted({target_of[i] for i in keyed})
    sample_at = {name: j for j, name in enumerate(names)}
    target_at = {name: j for j, name in enumerate(targets)}
    cell = np.array([sample_at[sample_of[i]] * len(targets) + target_at[target_of[i]]
                     for i in keyed], dtype=np.intp)  # fmt: skip
    log2_rq = samples["log2_rq"].to_numpy(float)[keyed]
    given = ~np.isnan(log2_rq)
    wide = np.full((len(names), len(targets)), np.nan)  # sample × target: the first value
    cells, first = np.unique(cell[given], return_index=True)
    wide.flat[cells] = log2_rq[given][first]
    cens = np.zeros(wide.shape, dtype=bool)  # any well of the sample's target censored
    if "censored" in samples:
        cens.flat[cell[samples["censored"].fillna(False).to_numpy(bool)[keyed]]] = True
    held = ~np.isnan(wide).all(axis=0)
    column = {name: j for j, name in enumerate(targets) if held[j]}
    present = np.flatnonzero(~np.isnan(wide).all(axis=1))  # samples with a value, sorted
    first_row: dict[Any, int] = {}  # each sample's first row in the table
    for i, name in enumerate(sample_of):
        first_row.setdefault(name, i)
    rows = np.array([first_row[names[j]] for j in present], dtype=np.intp)
    chosen = [(name, column[num], column[den]) for name, (num, den) in ratios.items()
              if num in column and den in column]  # fmt: skip
    if not chosen:
        return pd.DataFrame(columns=["ratio", "sample", *sample_cols, "log2_ratio", "ratio_value"])
    index = pd.RangeIndex(len(rows) * len(chosen))
    at = np.tile(rows, len(chosen))
    taken = {c: _taken(samples[c], at, index) for c in ["sample", *sample_cols]}
    frame: dict[str, Any] = {"sample": taken.pop("sample"),
                             "ratio": np.repeat([name for name, _, _ in chosen], len(rows)),
                             **taken}  # fmt: skip
    num, den = (np.repeat([c[k] for c in chosen], len(rows)) for k in (1, 2))
    at = np.tile(present, len(chosen))
    log2_ratio = wide[at, num] - wide[at, den]
    frame.update(log2_ratio=log2_ratio, ratio_value=2.0**log2_ratio, upper_bound=cens[at, num],
                 lower_bound=cens[at, den])  # fmt: skip
    return pd.DataFrame(frame, index=index, copy=False)
