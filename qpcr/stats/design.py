"""The validated long table of a factorial design: one log2 response per biological sample."""

from __future__ import annotations

import copy
import math
import re
from collections import Counter
from itertools import combinations, product
from typing import Any

import numpy as np
import pandas as pd

from qpcr.errors import ConfigError, DesignError

#: Response column names that are on the linear (fold-change) scale: tests on them are refused.
_LINEAR_NAME = re.compile(
    r"^(fold[ _-]?change|fc|rq|nrq|cnrq|rel(ative)?[ _-]?(quantity|expression)|ratio|2\^.*)$",
    re.IGNORECASE,
)


def _levels(column: pd.Series) -> list[str]:
    """A factor's levels as strings: a categorical's categories, else in order of first
    appearance."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [str(v) for v in column.cat.categories]
    if _text(column):  # its cells are what astype(str) gives: the present ones, in order
        values = column.to_numpy(dtype=object)
        return list(dict.fromkeys(values[pd.notna(values)].tolist()))
    return list(dict.fromkeys(column.dropna().astype(str).tolist()))


def _text(column: pd.Series) -> bool:
    """Whether ``column`` is of the dtype ``astype(str)`` gives (pandas' text, ``str``): it then
    keeps the column as it is (the same cells, missing ones NaN)."""
    return bool(column.dtype == pd.api.types.pandas_dtype(str))


def _response(data: pd.DataFrame, response: str) -> pd.Series:
    """The response column as numbers (NaN where missing or not a number)."""
    return pd.to_numeric(data[response], errors="coerce")


def _complete_rows(
    data: pd.DataFrame, y: pd.Series, named: dict[str, str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """``y`` as floats and the columns ``named`` (new name → column of ``data``) as strings,
    in the rows where none is missing; and the positions of those rows in ``data``."""
    keep = pd.notna(y.array)  # a column's notna() without the Series around it
    columns = {name: data[column] for name, column in named.items()}
    for values in columns.values():
        keep &= pd.notna(values.array)
    frame: dict[str, Any] = {"y": y.astype(float).to_numpy()[keep]}
    for name, values in columns.items():
        frame[name] = (values if _text(values) else values.astype(str)).array[keep]
    return pd.DataFrame(frame, index=data.index[keep]), np.flatnonzero(keep)


class _Design:
    """Validated long table of one response: columns ``y``, one per factor, optional ``block``."""

    def __init__(
        self,
        data: pd.DataFrame,
        response: str,
        factors: list[str] | str,
        block: str | None,
        where: str,
    ) -> None:
        self.factors = [factors] if isinstance(factors, str) else list(factors)
        self.response, self.block, self.where = response, block, where
        if not self.factors:
            raise ConfigError("no factor given", where=where, hint="expected 1 or more columns")
        wanted = [response, *self.factors, *([block] if block else [])]
        missing = [c for c in wanted if c not in data.columns]
        if missing:
            raise ConfigError(
                f"column(s) {missing} not in the data",
                where=where,
                hint=f"expected columns among {list(data.columns)}",
            )
        if len(set(wanted)) != len(wanted):
            raise ConfigError(
                f"a column is used twice in {wanted}",
                where=where,
                hint="response, factors and block must be different columns",
            )
        if _LINEAR_NAME.match(response.strip()):
            raise DesignError(
                f"response column {response!r} looks like a fold change (linear scale)",
                where=f"{where}, column {response!r}",
                hint="expected a log2-scale response (−ΔCq or log2 NRQ); tests on fold-change "
                "values are biased, so compute them on log2 and back-transform",
            )
        y = _response(data, response)
        # y.isna() & data[response].notna(), on the arrays
        bad = np.flatnonzero(pd.isna(y.array) & pd.notna(data[response].array))
        if len(bad):
            row = data.index[bad[0]]
            raise DesignError(
                f"non-numeric response {data[response].loc[row]!r}",
                where=f"{where}, row {row}, column {response!r}",
                hint="expected a number (log2 scale) or an empty cell",
            )
        self.levels = {f: _levels(data[f]) for f in self.factors}
        named = {f: f for f in self.factors} | ({"block": block} if block else {})
        self.frame, self.rows = _complete_rows(data, y, named)
        #: The cell codes and block status of :attr:`frame`'s rows, once computed.
        self._memo: dict[str, Any] = {}
        self.dropped = len(data) - len(self.frame)
        if self.frame.empty:
            raise DesignError("no complete row", where=where, hint="expected numeric responses")
        seen = {f: set(self.frame[f].tolist()) for f in self.factors}
        self.levels = {f: [lvl for lvl in lv if lvl in seen[f]] for f, lv in self.levels.items()}
        for f, lv in self.levels.items():
            if len(lv) < 2:
                raise DesignError(
                    f"factor {f!r} has {len(lv)} level(s) with data ({lv})",
                    where=f"{where}, column {f!r}",
                    hint="expected at least 2 levels to compare; drop the factor from the list",
                )
        units = list(dict.fromkeys(self.frame["block"].tolist())) if block else []
        if block and len(units) < 2:
            raise DesignError(
                f"{len(units)} biological replicate(s) with data ({', '.join(map(str, units))})",
                where=where,
                hint="expected at least 2 to block on; with one, the factors cannot be tested "
                "against the variation between replicates",
            )
        self._refuse_technical_replicates(data)

    def _refuse_technical_replicates(self, data: pd.DataFrame) -> None:
        if self.block:
            columns = [self.frame[c].tolist() for c in ["block", *self.factors]]
            keys: list[Any] = list(zip(*columns, strict=True))
            what = f"block {self.block!r} × factors {self.factors}"
        elif "sample" in data.columns:
            sample = data.loc[self.frame.index, "sample"]
            keys = [k if n else object() for k, n in zip(sample.tolist(), sample.notna(),
                                                          strict=True)]  # fmt: skip
            what = "column 'sample'"
        else:
            return
        counts = Counter(keys)
        dup = [counts[k] > 1 for k in keys]
        if any(dup):
            rows = self.frame.index[dup].tolist()[:6]
            raise DesignError(
                f"{sum(dup)} rows share the same {what} (rows {rows})",
                where=f"{self.where}, column {self.response!r}",
                hint="expected one value per biological sample; these look like technical "
                "replicates, which are not n: average them first (qpcr.quant)",
            )

    @classmethod
    def of(
        cls, data: pd.DataFrame, response: str, factors: list[str] | str, block: str | None,
        where: str, built: _Design | None = None,
    ) -> _Design:  # fmt: skip
        """``_Design(data, response, factors, block, where)``, or, when ``built`` is that design
        already made (under another ``where``), a copy of it: the checks passed then."""
        if built is None:
            return cls(data, response, factors, block, where)
        design = copy.copy(built)
        design.where, design.levels = where, dict(built.levels)
        return design

    def with_response(self, values: np.ndarray) -> _Design:
        """A copy of this design with the response ``values`` instead (:meth:`values` of data
        with the same design rows and missing responses: only the response values differ)."""
        other = copy.copy(self)
        other.frame = self.frame.assign(y=values[self.rows])
        return other

    def values(self, data: pd.DataFrame) -> np.ndarray:
        """The response column of ``data`` as floats (NaN where missing or not a number)."""
        column = data[self.response]
        if column.dtype != np.float64:
            column = _response(data, self.response).astype(float)
        return column.to_numpy()

    @property
    def cells(self) -> list[tuple[str, ...]]:
        """Every combination of factor levels (present or not), control levels first."""
        return list(product(*(self.levels[f] for f in self.factors)))

    def cell_key(self) -> pd.Series:
        """Integer code of each row's cell: its position in :attr:`cells`."""
        levels = tuple(tuple(self.levels[f]) for f in self.factors)
        if self._memo.get("levels") != levels:  # computed once per rows and level order
            code = {c: i for i, c in enumerate(self.cells)}
            rows = zip(*(self.frame[f].tolist() for f in self.factors), strict=True)
            key = pd.Series([code[c] for c in rows], index=self.frame.index, dtype=int)
            self._memo = {"levels": levels, "key": key}
        return self._memo["key"]

    def block_status(self) -> tuple[list[str], list[str]]:
        """Blocks present in every non-empty cell, and the others."""
        if not self.block:
            return [], []
        key = self.cell_key()
        if "status" not in self._memo:
            cells: dict[str, set[int]] = {}
            for block, cell in zip(self.frame["block"].tolist(), key.tolist(), strict=True):
                cells.setdefault(block, set()).add(cell)
            n_cells = len(set().union(*cells.values()))
            complete = sorted(b for b, c in cells.items() if len(c) == n_cells)
            self._memo["status"] = complete, sorted(b for b, c in cells.items() if len(c) < n_cells)
        return self._memo["status"]

    def use_complete_blocks(self) -> str:
        """Keep only blocks present in every non-empty cell; say what was done.

        Incomplete blocks are dropped when at least 2 complete blocks remain; otherwise the
        block is left out of the analysis (unblocked fit).
        """
        complete, incomplete = self.block_status()
        if not incomplete:
            return ""
        self._memo = {}  # the rows change
        if len(complete) >= 2:
            self.frame = self.frame[self.frame["block"].isin(complete)]
            return f"block(s) {incomplete} dropped (missing in a cell)"
        self.block = None
        self.frame = self.frame.drop(columns="block")
        return f"fewer than 2 complete blocks (missing: {incomplete}): unblocked fit"

    def cell_matrix(self) -> tuple[list[int], np.ndarray]:
        """The cells of :attr:`frame`'s rows (codes of :attr:`cells`, in order of first
        appearance) and the least-squares model matrix of the cell means: one indicator column
        per cell, then, when blocked, one per block but the first (blocks sorted)."""
        key = self.cell_key().to_numpy()
        cells = list(dict.fromkeys(key.tolist()))
        columns = [(key == c).astype(float) for c in cells]
        if self.block:
            blocks = self.frame["block"].to_numpy()
            columns += [(blocks == b).astype(float) for b in sorted(set(blocks))[1:]]
        return cells, np.column_stack(columns)

    def balanced(self) -> bool:
        counts = Counter(zip(*(self.frame[f].tolist() for f in self.factors), strict=True))
        if len(counts) < math.prod(len(v) for v in self.levels.values()):
            return False
        return len(set(counts.values())) == 1 and not self.block_status()[1]


def _contrast_specs(
    design: _Design, control: dict[str, str]
) -> list[tuple[str, str, dict[int, float]]]:
    """(label, kind, {cell: coefficient}) for every simple effect and two-way interaction."""
    fs = design.factors
    specs = []

    def within(others: list[str], lv: tuple[str, ...]) -> str:
        return (
            " | " + ", ".join(f"{g}={v}" for g, v in zip(others, lv, strict=True)) if others else ""
        )

    code = {c: i for i, c in enumerate(design.cells)}

    def cell(assign: dict[str, str]) -> int:
        return code[tuple(assign[f] for f in fs)]

    for f in fs:
        others = [g for g in fs if g != f]
        for lv in product(*(design.levels[g] for g in others)):
            base = dict(zip(others, lv, strict=True))
            for level in design.levels[f]:
                if level == control[f]:
                    continue
                coef = {cell({**base, f: level}): 1.0, cell({**base, f: control[f]}): -1.0}
                specs.append((f"{f}: {level} vs {control[f]}{within(others, lv)}", "simple", coef))
    for f, g in combinations(fs, 2):
        others = [h for h in fs if h not in (f, g)]
        pairs = list(
            product(
                [v for v in design.levels[f] if v != control[f]],
                [v for v in design.levels[g] if v != control[g]],
            )
        )
        for lv in product(*(design.levels[h] for h in others)):
            base = dict(zip(others, lv, strict=True))
            for a, b in pairs:
                coef = {
                    cell({**base, f: a, g: b}): 1.0,
                    cell({**base, f: control[f], g: b}): -1.0,
                    cell({**base, f: a, g: control[g]}): -1.0,
                    cell({**base, f: control[f], g: control[g]}): 1.0,
                }
                detail = (
                    f": ({a} vs {control[f]}) × ({b} vs {control[g]})" if len(pairs) > 1 else ""
                )
                specs.append(
                    (f"interaction {f} × {g}{detail}{within(others, lv)}", "interaction", coef)
                )
    return specs
