"""One label per comparison, the same in every output: the ``comparison`` column of the
result tables (:func:`labelled`), the terminal, the workbook and report.html.

A comparison of a group with the control group reads ``hypoxia + vehicle vs normoxia +
vehicle`` in fold_changes.csv, ratios.csv and, for the factorial model's simple effect that is
the same comparison, contrasts.csv; a ``[[contrasts]]`` entry reads as its name wherever it
appears; an interaction keeps its description.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from .results import Results
    from .settings import AnalysisConfig

__all__ = ["comparison_labels", "labelled"]

_SIMPLE = re.compile(r"^(?P<factor>[^:|]+): (?P<num>.+) vs (?P<den>.+?)(?: \| (?P<rest>.+))?$")


def _levels(group: dict[str, str], factors: list[str]) -> str:
    return " + ".join(str(group[f]) for f in factors)


def _simple_effect(text: str, factors: list[str]) -> tuple[dict, dict] | None:
    """Numerator and denominator groups of a simple effect ``f: a vs b | g=x``, or None."""
    match = _SIMPLE.match(text)
    if not match:
        return None
    fixed = dict(part.split("=", 1) for part in (match["rest"] or "").split(", ") if "=" in part)
    num = {**fixed, match["factor"]: match["num"]}
    den = {**fixed, match["factor"]: match["den"]}
    return (num, den) if set(num) == set(factors) else None


def _label(row: dict, factors: list[str], config: AnalysisConfig) -> str:
    contrast = str(row["contrast"])
    control = {f: str(config.control.get(f, "")) for f in factors}
    if contrast == "control":
        return _levels({f: row[f] for f in factors}, factors)
    if contrast.endswith(" vs control"):
        named = contrast.removesuffix(" vs control").split(", ")
        written = dict(part.split("=", 1) for part in named if "=" in part)
        group = {f: str(row[f]) if pd.notna(row.get(f)) else written.get(f, "") for f in factors}
        if not all(group.values()):
            return contrast
        return f"{_levels(group, factors)} vs {_levels(control, factors)}"
    pair = _simple_effect(contrast, factors) if row.get("kind") == "simple" else None
    if pair is None:
        return contrast
    num, den = pair
    for entry in config.contrasts:
        if (entry.numerator, entry.denominator) == (num, den):
            return entry.name
    return f"{_levels(num, factors)} vs {_levels(den, factors)}"


def comparison_labels(
    table: pd.DataFrame, factors: list[str] | tuple[str, ...], config: AnalysisConfig
) -> pd.Series:
    """The comparison label of each row of fold_changes, ratios or contrasts.

    Parameters
    ----------
    table
        The table (``contrast``, the factor columns; ``kind`` for contrasts).
    factors
        The design factors.
    config
        The settings (the control group and the ``[[contrasts]]`` entries).

    Returns
    -------
    pandas.Series
        One label per row, aligned with ``table``.

    Examples
    --------
    >>> import pandas as pd
    >>> from qpcr.config import from_mapping
    >>> config = from_mapping({"control": {"oxygen": "normoxia", "drug": "vehicle"},
    ...     "contrasts": [{"name": "drug in hypoxia",
    ...                    "numerator": {"oxygen": "hypoxia", "drug": "toci"},
    ...                    "denominator": {"oxygen": "hypoxia", "drug": "vehicle"}}]})
    >>> table = pd.DataFrame({"contrast": ["oxygen=hypoxia, drug=vehicle vs control",
    ...     "drug in hypoxia", "oxygen: hypoxia vs normoxia | drug=vehicle",
    ...     "drug: toci vs vehicle | oxygen=hypoxia", "interaction oxygen × drug"],
    ...     "oxygen": ["hypoxia", "", "", "", ""], "drug": ["vehicle", "", "", "", ""],
    ...     "kind": ["", "", "simple", "simple", "interaction"]})
    >>> for label in comparison_labels(table, ["oxygen", "drug"], config):
    ...     print(label)
    hypoxia + vehicle vs normoxia + vehicle
    drug in hypoxia
    hypoxia + vehicle vs normoxia + vehicle
    drug in hypoxia
    interaction oxygen × drug
    """
    factors = list(factors)
    labels = [_label(r, factors, config) for r in table.to_dict("records")]
    return pd.Series(labels, index=table.index, dtype=object)


def labelled(results: Results) -> Results:
    """``results`` with a ``comparison`` column in fold_changes, ratios and contrasts.

    Parameters
    ----------
    results
        A finished analysis.

    Returns
    -------
    Results
        A copy; tables without a ``contrast`` column come back as they are.

    Examples
    --------
    >>> results = labelled(example_results())
    >>> results.fold_changes[["target", "comparison"]]
      target           comparison
    0    MYC  hypoxia vs normoxia
    1  HIF1A  hypoxia vs normoxia
    """

    def label(table: pd.DataFrame) -> pd.DataFrame:
        if "contrast" not in table:
            return table
        return table.assign(comparison=comparison_labels(table, results.factors, results.config))

    tables = dict(results.tables)
    if "contrasts" in tables:
        tables["contrasts"] = label(tables["contrasts"])
    return replace(results, fold_changes=label(results.fold_changes),
                   ratios=label(results.ratios), tables=tables)  # fmt: skip
