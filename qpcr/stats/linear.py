"""Factorial designs by least squares: the ANOVA table and the simple-effect and interaction
contrasts (rcbd, paired or Welch error)."""

from __future__ import annotations

import math
from collections import Counter
from functools import lru_cache
from itertools import combinations, product
from typing import Any, get_args

import numpy as np
import pandas as pd

from qpcr.errors import ConfigError, DesignError
from qpcr.grouped import records
from qpcr.vocabularies import ContrastMethod

from ._common import NEGLIGIBLE_SE, _join
from .design import _contrast_specs, _Design
from .dist import f_sf, t_ppf, t_sf
from .incomplete import MIXED_TEST, _mixed_anova, _mixed_evaluator, _mixed_fit
from .lstsq import _matrix, _rank, _rss, _solve

__all__ = [
    "CONTRAST_METHODS",
    "MIXED_TEST",
    "ContrastMethod",
    "factorial_anova",
    "factorial_contrasts",
]

CONTRAST_METHODS: tuple[ContrastMethod, ...] = get_args(ContrastMethod)


def factorial_anova(
    data: pd.DataFrame,
    response: str,
    factors: list[str] | str,
    block: str | None = None,
    typ: int = 2,
) -> pd.DataFrame:
    """ANOVA of a log2 response on crossed factors (with interactions) and an optional block.

    Model (two factors): y_ijk = μ + α_i + β_j + (αβ)_ij + u_k + ε_ijk, the block (donor) u_k
    fitted as a fixed effect (randomized complete block design). In a balanced design (every
    block once in every cell) its F tests equal those of the REML mixed model with a random
    donor (methods.md §3.3). Fitted by least squares on a
    sum-to-zero coded design matrix; each term's sum of squares is the rise in the residual sum
    of squares when the term is left out (Type II: of the model without the terms that contain
    it; Type III: of the full model), as ``anova_lm`` of statsmodels computes them.

    Parameters
    ----------
    data
        One row per biological sample.
    response
        log2-scale column (−ΔCq, log2 NRQ or a per-sample log2 ratio).
    factors
        One or more factor columns; all interactions are included.
    block
        Block column (donor), or None for no block.
    typ
        2 (Type II sums of squares) or 3 (Type III with Sum-to-zero contrasts). An unbalanced
        design (unequal cell sizes) always uses Type III with Sum contrasts; ``ss_type`` says
        which was used. When a block misses a cell, Type III F tests of the REML
        random-intercept mixed model (Satterthwaite denominator df in the extra column
        ``den_df``, no block or residual row; :mod:`qpcr.stats.mixed`); when that model has no
        within-block information the block is left out. ``note`` says so.

    Returns
    -------
    DataFrame
        ``term`` (factor names, ``a × b`` for interactions, the block name, ``Residual``),
        ``sum_sq, df, F, p_value, ss_type, note``.

    Examples
    --------
    T17 in methods.md (BMP2, y = −ΔCq, three donors × oxygen × drug): the donor-blocked
    ANOVA gives O2 F 0.592 (p 0.471), drug F 64.526 (p 0.000199), O2×drug F 42.849
    (p 0.000608), donor F 18.492 (p 0.00272):

    >>> import pandas as pd
    >>> delta_cq = [4.15, 3.95, 4.79, 3.495, 4.54, 4.75, 5.34, 3.785, 4.015, 3.57, 4.715, 3.30]
    >>> cells = [("normoxia", "vehicle"), ("normoxia", "drug"), ("hypoxia", "vehicle"),
    ...          ("hypoxia", "drug")]
    >>> data = pd.DataFrame([{"donor": donor, "oxygen": oxygen, "drug": drug}
    ...                      for donor in ("D1", "D2", "D3") for oxygen, drug in cells])
    >>> data["log2_rq"] = [-d for d in delta_cq]
    >>> anova = factorial_anova(data, "log2_rq", ["oxygen", "drug"], block="donor")
    >>> print(anova[["term", "df", "F", "p_value", "ss_type"]].round(6).to_string(index=False))
             term  df         F  p_value ss_type
           oxygen 1.0  0.591514 0.471015      II
             drug 1.0 64.526180 0.000199      II
            donor 2.0 18.492271 0.002720      II
    oxygen × drug 1.0 42.848714 0.000608      II
         Residual 6.0       NaN      NaN      II
    """
    return _AnovaPlan(data, response, factors, block, typ).table(data)


class _AnovaPlan:
    """What :func:`factorial_anova` takes from the design alone (its checks, the coded terms,
    the model matrices), built once for all the responses that share the design; :meth:`table`
    fits one response. With a block missing a cell, the mixed model (which depends on the
    response) is tried for each response."""

    def __init__(
        self, data: pd.DataFrame, response: str, factors: list[str] | str, block: str | None,
        typ: int, design: _Design | None = None,
    ) -> None:  # fmt: skip
        where = "factorial_anova"
        if typ not in (2, 3):
            raise ConfigError(f"typ = {typ!r}", where=f"{where}(typ=...)", hint="expected 2 or 3")
        design = _Design.of(data, response, factors, block, where, design)
        present = set(design.cell_key())
        empty = [c for i, c in enumerate(design.cells) if i not in present]
        if empty:
            raise DesignError(
                f"no data in cell(s) {empty} of {design.factors}",
                where=f"{where}, column {response!r}",
                hint="expected every combination of factor levels; use factorial_contrasts for "
                "the comparisons that remain estimable",
            )
        self.design, self.typ = design, typ
        self.ols = None if design.block_status()[1] else _AnovaFit(design, typ)

    def table(self, data: pd.DataFrame) -> pd.DataFrame:
        """The ANOVA table of the response in ``data`` (rows as in the design's data)."""
        return self._table(self.design.values(data))

    def _table(self, values: np.ndarray) -> pd.DataFrame:
        if self.ols is not None:
            return pd.DataFrame(self.ols.columns(values[self.design.rows]))
        design = self.design.with_response(values)
        mixed = _mixed_fit(design)
        if mixed is not None:
            return _mixed_anova(design, mixed)
        ols = _AnovaFit(design, self.typ)  # drops the incomplete blocks (or the block)
        return pd.DataFrame(ols.columns(design.frame["y"].to_numpy(float)))

    def columns(self, values: np.ndarray) -> dict[str, list[Any]]:
        """:meth:`table`'s columns as lists of the cells ``to_dict("records")`` gives (without
        the frame when it can), of the response ``values`` (:meth:`_Design.values` of the
        design's data)."""
        if self.ols is None:
            table = self._table(values)
            rows = records(table)
            return {c: [row[c] for row in rows] for c in table.columns}
        columns = self.ols.columns(values[self.design.rows])
        n = len(columns["term"])
        return {
            k: v.tolist() if isinstance(v, np.ndarray) else v if isinstance(v, list) else [v] * n
            for k, v in columns.items()
        }


class _AnovaFit:
    """The least-squares ANOVA of a design once its blocks are complete
    (:meth:`_Design.use_complete_blocks`): each term's pair of model matrices (without and with
    the term) and their ranks."""

    def __init__(self, design: _Design, typ: int) -> None:
        self.notes = [design.use_complete_blocks()]
        balanced = design.balanced()
        if balanced and typ == 2:
            self.ss_type = "II"
        else:
            self.ss_type = "III (Sum contrasts)"
            if not balanced:
                self.ss_type = "III (Sum contrasts, unbalanced)"
                self.notes.append("unbalanced design: Type III sums of squares with Sum contrasts")
        if design.dropped:
            self.notes.append(f"{design.dropped} row(s) with a missing value dropped")
        terms = _terms(design)
        n = len(design.frame)
        self.full = _matrix(n, list(terms.values()))
        full_rank = _rank(self.full)  # every Type III pair holds the full model
        #: The model matrices to fit, the full model's first; each term's pair indexes them.
        self.matrices = [self.full]
        self.pairs: list[tuple[tuple[str, ...], int, int, float]] = []
        for name, cols in terms.items():
            if self.ss_type == "II":  # left out with the terms that contain it (interactions)
                kept = [m for t, m in terms.items() if not set(name) <= set(t)]
                with_term = _matrix(n, [*kept, cols])  # the last interaction's: the full model
                same = np.array_equal(with_term, self.full)
                pair = (_matrix(n, kept), self.full if same else with_term)
            else:
                pair = (_matrix(n, [m for t, m in terms.items() if t != name]), self.full)
            without = len(self.matrices)  # a new matrix: the full model is never left out
            with_at = 0 if pair[1] is self.full else without + 1
            self.matrices += [m for m in pair if m is not self.full]
            rank = full_rank if pair[1] is self.full else _rank(pair[1])
            self.pairs.append((name, without, with_at, float(rank - _rank(pair[0]))))
        self.df_resid = n - full_rank
        self.terms = [" × ".join(p[0]) for p in self.pairs] + ["Residual"]
        self.df = [p[3] for p in self.pairs] + [float(self.df_resid)]
        if self.df_resid <= 0:
            raise DesignError(
                "no residual degrees of freedom",
                where=f"factorial_anova, column {design.response!r}",
                hint="expected more than one biological sample per cell (or more blocks)",
            )

    def columns(self, y: np.ndarray) -> dict[str, Any]:
        """The ANOVA table of the response ``y`` (in the design's rows), column by column."""
        fits = _rss(self.matrices, y)
        rss = fits[0]
        ss = [fits[a] - fits[b] for _, a, b, _ in self.pairs]
        notes = list(self.notes)
        mse = rss / self.df_resid
        if math.sqrt(max(mse, 0.0)) < NEGLIGIBLE_SE:  # zero, or the rounding of zero
            mse = 0.0
            notes.append("zero residual variance: no test possible")
        sum_sq = np.array([*ss, rss])
        df = np.array(self.df)
        with np.errstate(divide="ignore", invalid="ignore"):
            fstat = np.append(sum_sq[:-1] / df[:-1] / mse if mse > 0 else np.nan * df[:-1], np.nan)
        return {
            "term": list(self.terms),
            "sum_sq": sum_sq,
            "df": df,
            "F": fstat,
            "p_value": np.append(f_sf(fstat[:-1], df[:-1], self.df_resid), np.nan),
            "ss_type": self.ss_type,
            "note": _join(*notes),
        }


def _terms(design: _Design) -> dict[tuple[str, ...], np.ndarray]:
    """Sum-to-zero coded columns of every model term, in ``anova_lm``'s order: the factors,
    the block, then the interactions by degree. A term is named by its columns."""
    frame = design.frame

    def coded(column: str, levels: list[str]) -> np.ndarray:
        values = frame[column].to_numpy()
        last = (values == levels[-1]).astype(float)
        return np.column_stack([(values == lv).astype(float) - last for lv in levels[:-1]])

    main: dict[tuple[str, ...], np.ndarray] = {
        (f,): coded(f, design.levels[f]) for f in design.factors
    }
    terms: dict[tuple[str, ...], np.ndarray] = dict(main)
    if design.block:
        terms[(design.block,)] = coded("block", sorted(set(frame["block"])))
    for degree in range(2, len(design.factors) + 1):
        for combo in combinations(design.factors, degree):
            cols = [np.prod(c, axis=0) for c in product(*(main[(f,)].T for f in combo))]
            terms[combo] = np.column_stack(cols)
    return terms


def _fill(row: dict[str, Any], estimate: float, se: float, df: float, alpha: float) -> bool:
    """t statistic and (1 − alpha) CI of a contrast from estimate, SE and df; whether it has a
    test (its two-sided p is :func:`_p_values`' of the statistic)."""
    row["estimate_log2"] = estimate
    if np.isfinite(se) and se < NEGLIGIBLE_SE:  # zero, or the rounding of zero
        se = 0.0
    if not (np.isfinite(se) and se > 0 and np.isfinite(df) and df > 0):
        row.update(se=se, df=df)
        if se == 0:
            row["note"] = _join(row["note"], "zero residual variance: no test possible")
        return False
    tstat = estimate / se
    half = _t_quantile(alpha, df) * se  # the t interval of :func:`._common._t_ci`
    row.update(se=se, df=df, statistic=tstat, ci_low=estimate - half, ci_high=estimate + half)
    return True


def _p_values(rows: list[dict[str, Any]]) -> None:
    """The two-sided p of each row's t ``statistic`` with its ``df``, all in one evaluation."""
    if rows:
        tstat = np.abs(np.array([row["statistic"] for row in rows], dtype=float))
        p = 2 * t_sf(tstat, np.array([row["df"] for row in rows], dtype=float))
        for row, value in zip(rows, p.tolist(), strict=True):
            row["p_value"] = value


@lru_cache(maxsize=256)
def _t_quantile(alpha: float, df: float) -> float:
    """t_{1−alpha/2, df}: the contrasts of a design share their df (``rcbd``), and its plates
    their alpha."""
    return float(t_ppf(1 - alpha / 2, df))


def _rcbd_evaluator(design: _Design, key: pd.Series) -> tuple[Any, str, str]:
    """Least-squares fit of cell means (+ fixed block); returns (evaluate, test name, note).

    Blocks missing from a non-empty cell keep their samples in the random-intercept mixed
    model (:func:`_mixed_fit`); when it cannot be fitted they are dropped if at least 2
    complete blocks remain, otherwise the block is left out of the model (pooled two-way
    ANOVA error).
    """
    mixed = _mixed_fit(design)
    if mixed is not None:
        return _mixed_evaluator(design, key, mixed)
    rcbd = _Rcbd(design)  # drops the incomplete blocks (or the block)
    return rcbd.evaluator(design.frame["y"].to_numpy(float)), rcbd.test, rcbd.note


class _Rcbd:
    """The cell-means (+ fixed block) least squares of a design once its blocks are complete
    (:meth:`_Design.use_complete_blocks`): the model matrix, its rank and (XᵀX)⁺;
    :meth:`evaluator` fits one response."""

    def __init__(self, design: _Design) -> None:
        self.note = design.use_complete_blocks()
        self.cells, x = design.cell_matrix()
        self.x = x
        self.df = float(len(x) - _rank(x))
        self.xtx_inv = np.linalg.pinv(x.T @ x)
        self.counts = dict(Counter(design.cell_key().tolist()))  # value_counts().to_dict()
        self.test = "rcbd" if design.block else "pooled (no block)"
        #: Per contrast (its cells' coefficients): l, l'(XᵀX)⁺l and its samples, once computed.
        self._vectors: dict[tuple[tuple[int, float], ...], tuple[np.ndarray, float, int]] = {}

    def _vector(self, coef: dict[int, float]) -> tuple[np.ndarray, float, int]:
        """The contrast ``coef`` over the model's columns, l'(XᵀX)⁺l and its samples."""
        key = tuple(coef.items())
        if key not in self._vectors:
            lvec = np.zeros(self.x.shape[1])
            for c, w in coef.items():
                lvec[self.cells.index(c)] = w
            n = int(sum(self.counts[c] for c in coef))
            self._vectors[key] = lvec, float(lvec @ self.xtx_inv @ lvec), n
        return self._vectors[key]

    def evaluator(self, y: np.ndarray) -> Any:
        """The contrasts of the response ``y`` (in the design's rows): a function of the
        coefficients per cell returning (estimate, SE, df, n, note)."""
        x, df = self.x, self.df
        beta = _solve([x], y)[0]
        mse = float(((y - x @ beta) ** 2).sum() / df) if df > 0 else math.nan

        def evaluate(coef: dict[int, float]) -> tuple[float, float, float, int, str]:
            lvec, quadratic, n = self._vector(coef)
            se = math.sqrt(mse * quadratic) if df > 0 else math.nan
            why = "" if df > 0 else "no residual degrees of freedom"
            return float(lvec @ beta), se, df, n, why

        return evaluate


def _paired_evaluate(
    design: _Design, key: pd.Series, coef: dict[int, float]
) -> tuple[float, float, float, int, str]:
    """Per-block contrast d_k = Σ c·y_k,cell; one-sample t on d (SE = s_d/√n, df = n − 1)."""
    frame = design.frame.assign(cell=key)
    wide = frame[frame["cell"].isin(list(coef))].pivot(index="block", columns="cell", values="y")
    wide = wide.reindex(columns=list(coef))
    d = (wide * pd.Series(coef)).sum(axis=1, min_count=len(coef))
    d = d.where(wide.notna().all(axis=1))
    dropped = sorted(d.index[d.isna()])
    values = d.dropna().to_numpy(float)
    why = f"block(s) {dropped} dropped (missing in a cell)" if dropped else ""
    if values.size < 2:
        return (
            float(np.mean(values)) if values.size else math.nan,
            math.nan,
            math.nan,
            int(values.size),
            _join(why, "fewer than 2 complete blocks"),
        )
    return (
        float(values.mean()),
        float(values.std(ddof=1) / math.sqrt(values.size)),
        float(values.size - 1),
        int(values.size),
        why,
    )


def _welch_evaluate(
    design: _Design, key: pd.Series, coef: dict[int, float]
) -> tuple[float, float, float, int, str]:
    """Σ c·mean with SE² = Σ c²·s²/n and Welch–Satterthwaite df = (Σ w)² / Σ w²/(n − 1)."""
    g = design.frame.groupby(key)["y"]
    mean, var, n = g.mean(), g.var(ddof=1), g.size()
    cs = list(coef)
    w = np.array([coef[c] for c in cs])
    m, v, k = mean[cs].to_numpy(), var[cs].to_numpy(), n[cs].to_numpy()
    est = float(w @ m)
    if (k < 2).any():
        return est, math.nan, math.nan, int(k.sum()), "fewer than 2 biological replicates in a cell"
    parts = w**2 * v / k
    se = float(math.sqrt(parts.sum()))
    df = float(parts.sum() ** 2 / np.sum(parts**2 / (k - 1))) if se > 0 else math.nan
    return est, se, df, int(k.sum()), ""


def _contrast_design(
    data: pd.DataFrame,
    response: str,
    factors: list[str] | str,
    block: str | None,
    control: dict[str, str],
    alpha: float,
    method: str,
    design: _Design | None = None,
) -> tuple[_Design, dict[str, str]]:
    """The checked design of :func:`factorial_contrasts` (each factor's control level first)
    and the control levels as strings."""
    where = "factorial_contrasts"
    if method not in CONTRAST_METHODS:
        raise ConfigError(
            f"unknown method {method!r}",
            where=f"{where}(method=...)",
            hint=f"expected one of {', '.join(CONTRAST_METHODS)}",
        )
    if not 0 < alpha < 1:
        raise ConfigError(
            f"alpha = {alpha}", where=f"{where}(alpha=...)", hint="expected 0 < alpha < 1"
        )
    if method == "paired" and block is None:
        raise ConfigError(
            "method 'paired' needs a block column",
            where=f"{where}(block=...)",
            hint="name the donor/batch column, or use method='welch' for independent samples",
        )
    design = _Design.of(data, response, factors, block, where, design)
    control = {str(k): str(v) for k, v in control.items()}
    for f in design.factors:
        if f not in control or control[f] not in design.levels[f]:
            raise ConfigError(
                f"control level of factor {f!r} is {control.get(f)!r}",
                where=f"{where}(control=...)",
                hint=f"expected one of {design.levels[f]}",
            )
        design.levels[f] = [control[f], *(v for v in design.levels[f] if v != control[f])]
    return design, control


def factorial_contrasts(
    data: pd.DataFrame,
    response: str,
    factors: list[str] | str,
    block: str | None = None,
    *,
    control: dict[str, str],
    alpha: float = 0.05,
    method: str = "rcbd",
) -> pd.DataFrame:
    """Simple effects and interaction contrasts of a factorial design on the log2 scale.

    For each factor, every level is compared with its control level within each combination of
    the other factors' levels (simple effects, e.g. HT − HV); for each pair of factors the
    interaction is the difference of differences, (HT − HV) − (NT − NV) on log2, i.e. the ratio
    of fold changes. Fold change = 2**estimate, CI back-transformed from the log2 CI.

    Methods (methods.md §3.3-3.4):

    * ``"rcbd"``: least squares with cell means and a fixed block; SE = √(MSE·Σ c²/n_cell) in
      a balanced design, df = (cells − 1)(blocks − 1). Without ``block`` the pooled two-way
      ANOVA error is used (df = N − cells). When a block misses a cell the REML random-intercept
      mixed model keeps all samples (Satterthwaite df, ``test`` :data:`MIXED_TEST`), as said in
      ``note``.
    * ``"paired"``: per-block contrast d_k, one-sample t (SE = s_d/√n, df = n − 1); needs
      ``block``; blocks missing from an involved cell are dropped for that contrast.
    * ``"welch"``: unpaired, SE² = Σ c²·s²/n, Welch–Satterthwaite df.

    Parameters
    ----------
    data, response, factors, block
        As for :func:`factorial_anova` (one row per biological sample; log2 response).
    control
        Control (reference) level of every factor, e.g. ``{"oxygen": "normoxia",
        "treatment": "vehicle"}``.
    alpha
        1 − confidence level.
    method
        ``"rcbd"`` (default), ``"paired"`` or ``"welch"``.

    Returns
    -------
    DataFrame
        ``contrast`` (label), ``kind`` ("simple" | "interaction"), ``estimate_log2, se, df,
        statistic, p_value, ci_low, ci_high`` (log2), ``fold_change, fc_ci_low, fc_ci_high``,
        ``test``, ``n`` (biological samples, or blocks when paired) and ``note``.

    Examples
    --------
    T17 in methods.md, simple effect HT vs HV (drug within hypoxia): FC 2.6789; RCBD contrast
    SE 0.1379, df 6, p 4.869e-05, FC CI [2.1202, 3.3849]; paired t p 0.002781, FC CI
    [2.1412, 3.3518]:

    >>> import pandas as pd
    >>> delta_cq = [4.15, 3.95, 4.79, 3.495, 4.54, 4.75, 5.34, 3.785, 4.015, 3.57, 4.715, 3.30]
    >>> cells = [("normoxia", "vehicle"), ("normoxia", "drug"), ("hypoxia", "vehicle"),
    ...          ("hypoxia", "drug")]
    >>> data = pd.DataFrame([{"donor": donor, "oxygen": oxygen, "drug": drug}
    ...                      for donor in ("D1", "D2", "D3") for oxygen, drug in cells])
    >>> data["log2_rq"] = [-d for d in delta_cq]
    >>> control = {"oxygen": "normoxia", "drug": "vehicle"}
    >>> rcbd = factorial_contrasts(data, "log2_rq", ["oxygen", "drug"], "donor", control=control)
    >>> print(rcbd[["contrast", "p_value", "fold_change", "fc_ci_low", "fc_ci_high"]]
    ...       .round(6).to_string(index=False))
                                      contrast  p_value  fold_change  fc_ci_low  fc_ci_high
    oxygen: hypoxia vs normoxia | drug=vehicle 0.002069     0.609909   0.482705    0.770634
       oxygen: hypoxia vs normoxia | drug=drug 0.006467     1.477679   1.169491    1.867082
       drug: drug vs vehicle | oxygen=normoxia 0.333559     1.105731   0.875117    1.397116
        drug: drug vs vehicle | oxygen=hypoxia 0.000049     2.678948   2.120221    3.384913
                     interaction oxygen × drug 0.000608     2.422785   1.740422    3.372681
    >>> rcbd["se"].round(4).tolist(), rcbd["df"].tolist()
    ([0.1379, 0.1379, 0.1379, 0.1379, 0.195], [6.0, 6.0, 6.0, 6.0, 6.0])
    >>> paired = factorial_contrasts(data, "log2_rq", ["oxygen", "drug"], "donor",
    ...                              control=control, method="paired")
    >>> paired.iloc[3][["p_value", "fc_ci_low", "fc_ci_high"]].astype(float).round(6).tolist()
    [0.002781, 2.141186, 3.351769]
    """
    plan = _ContrastPlan(data, response, factors, block, control, alpha, method)
    return plan.table(data)


class _ContrastPlan:
    """What :func:`factorial_contrasts` takes from the design alone (its checks, the contrasts,
    the cells and, for ``rcbd`` with complete blocks, the model matrix), built once for all the
    responses that share the design; :meth:`table` evaluates one response."""

    def __init__(
        self, data: pd.DataFrame, response: str, factors: list[str] | str, block: str | None,
        control: dict[str, str], alpha: float, method: str, design: _Design | None = None,
    ) -> None:  # fmt: skip
        self.design, control = _contrast_design(
            data, response, factors, block, control, alpha, method, design
        )
        self.key = self.design.cell_key()
        self.present = set(self.key.tolist())  # the cells with data
        self.specs = _contrast_specs(self.design, control)
        self.alpha, self.method = alpha, method
        complete = not self.design.block_status()[1]
        self.rcbd = _Rcbd(self.design) if method == "rcbd" and complete else None

    def table(self, data: pd.DataFrame) -> pd.DataFrame:
        """The contrasts of the response in ``data`` (rows as in the design's data)."""
        return pd.DataFrame(self.columns(self.design.values(data)), columns=_CONTRAST_COLUMNS)

    def columns(self, values: np.ndarray) -> dict[str, list[Any]]:
        """:meth:`table`'s columns as lists of its cells, of the response ``values``
        (:meth:`_Design.values` of the design's data)."""
        design, key, method = self.design, self.key, self.method
        if self.rcbd is not None:
            rcbd = self.rcbd.evaluator(values[design.rows])
            test, fit_note = self.rcbd.test, self.rcbd.note
        else:
            design = design.with_response(values)
            if method == "rcbd":
                rcbd, test, fit_note = _rcbd_evaluator(design, key)
            else:
                test, fit_note = ("paired t" if method == "paired" else "welch"), ""
        present = self.present
        dropped = design.dropped
        base_note = f"{dropped} row(s) with a missing value dropped" if dropped else ""
        rows, tested = [], []
        note, nan = _join(base_note, fit_note), math.nan
        for label, kind, coef in self.specs:
            row: dict[str, Any] = {"contrast": label, "kind": kind, "estimate_log2": nan, "se": nan,
                                   "df": nan, "statistic": nan, "p_value": nan, "ci_low": nan,
                                   "ci_high": nan, "test": test, "n": 0, "note": note}  # fmt: skip
            empty = [design.cells[c] for c in coef if c not in present]
            if empty:
                row["note"] = _join(row["note"], f"no data in cell(s) {empty}: not estimable")
                rows.append(row)
                continue
            if method == "rcbd":
                est, se, df, n, why = rcbd(coef)
            elif method == "paired":
                est, se, df, n, why = _paired_evaluate(design, key, coef)
            else:
                est, se, df, n, why = _welch_evaluate(design, key, coef)
            row["n"], row["note"] = n, _join(row["note"], why)
            if _fill(row, est, se, df, self.alpha):
                tested.append(row)
            rows.append(row)
        _p_values(tested)
        columns = {c: [row[c] for row in rows] for c in _CONTRAST_COLUMNS if c not in _FOLD}
        logs = np.array([columns[c] for c in _FOLD.values()], dtype=float).reshape(3, len(rows))
        columns.update(zip(_FOLD, np.exp2(logs).tolist(), strict=True))  # elementwise: one call
        return {c: columns[c] for c in _CONTRAST_COLUMNS}


#: The fold-change columns, each 2 to the power of a log2 column.
_FOLD = {"fold_change": "estimate_log2", "fc_ci_low": "ci_low", "fc_ci_high": "ci_high"}


#: The columns of :func:`factorial_contrasts`, in order.
_CONTRAST_COLUMNS = ["contrast", "kind", "estimate_log2", "se", "df", "statistic", "p_value",
                     "ci_low", "ci_high", "fold_change", "fc_ci_low", "fc_ci_high", "test", "n",
                     "note"]  # fmt: skip
