"""One label per comparison, the same in every output: the ``comparison`` column of the
result tables (:func:`labelled`), the terminal, the workbook and report.html; and one primary
result per comparison (the ``p_role`` column, :func:`primary_view`).

A comparison of a group with the control group reads ``hypoxia + vehicle vs normoxia +
vehicle`` in fold_changes.csv, ratios.csv and, for the factorial model's simple effect that is
the same comparison, contrasts.csv; a ``[[contrasts]]`` entry reads as its name wherever it
appears; an interaction keeps its description.

A comparison of a factorial design is tested twice: by the two-group test (fold_changes.csv,
ratios.csv) and by the factorial model (contrasts.csv, the same label). The two-group test is
primary, the model's contrast a sensitivity analysis, except where biological replicates
(donors) are set, the two-group test did not pair them (Welch, Student, Mann-Whitney, the
unpaired permutation test: the replicates were incomplete or the test setting never pairs;
:data:`qpcr.stats.TEST_LABELS`) and the model took them into account (block, pairs or mixed
model): the donor-aware analysis is then primary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

from .grouped import records
from .kept import Kept, content_key

if TYPE_CHECKING:
    from .results import Results
    from .settings import AnalysisConfig

__all__ = ["comparison_labels", "labelled", "p_roles", "primary_records", "primary_view"]

#: Columns of one result: what :func:`primary_view` takes from the primary analysis.
_RESULT = ("fold_change", "ci_low", "ci_high", "p_value", "p_adj", "test")

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
    labels = _comparison_labels(records(table, ("contrast", "kind", *factors)), factors, config)
    return pd.Series(labels, index=table.index, dtype=object)


def _comparison_labels(rows: list[dict], factors: list[str], config: AnalysisConfig) -> list[str]:
    """:func:`comparison_labels` of a table's rows (:func:`~qpcr.grouped.records` holding at
    least its ``contrast``, ``kind`` and factor columns)."""
    known: dict[tuple, str] = {}  # rows of equal cells (one per target) share their label
    labels = []
    for r in rows:
        key = tuple(r.get(c) for c in ("contrast", "kind", *factors))
        if key not in known:
            known[key] = _label(r, factors, config)
        labels.append(known[key])
    return labels


def labelled(results: Results) -> Results:
    """``results`` with a ``comparison`` and a ``p_role`` column in fold_changes, ratios and
    contrasts.

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
    >>> results.fold_changes[["target", "comparison", "p_role"]]
      target           comparison   p_role
    0    MYC  hypoxia vs normoxia  primary
    1  HIF1A  hypoxia vs normoxia  primary
    """

    tables, factors = _role_tables(results), list(results.factors)
    new, roles = _LABELLED.get(_labelled_key(tables, factors, results.config),
                               lambda: _labels_and_roles(results, tables, factors))  # fmt: skip
    out = {name: table.assign(**({"comparison": pd.Series(new[name], index=table.index,
                                                          dtype=object)} if name in new else {}),
                              p_role=pd.Series(roles[name], index=table.index, dtype=object))
           for name, table in tables.items()}  # fmt: skip
    contrasts = {"contrasts": out["contrasts"]} if "contrasts" in out else {}
    return replace(results, fold_changes=out["fold_changes"], ratios=out["ratios"],
                   tables={**results.tables, **contrasts})  # fmt: skip


def _labels_and_roles(
    results: Results, tables: dict[str, pd.DataFrame], factors: list[str]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """:func:`labelled`'s new ``comparison`` column of each table with a ``contrast`` and the
    ``p_role`` column of each table (:func:`_role_tables`), by table name."""
    read = ("contrast", "kind", *factors, "item", "name", "target", "ratio", "test")
    rows = {name: records(table, read) for name, table in tables.items()}  # each column once
    new = {name: _comparison_labels(rows[name], factors, results.config)
           for name, table in tables.items() if "contrast" in table}  # fmt: skip
    labels = {name: new[name] if name in new else _labels(table)
              for name, table in tables.items()}  # fmt: skip
    return new, _roles(results, tables, labels, rows)


#: What :func:`_labels_and_roles` reads of a table besides the factor columns.
_READ = ("contrast", "kind", "item", "name", "target", "ratio", "test", "comparison")

#: :func:`_labels_and_roles` by :func:`_labelled_key` (a batch's plates share their labels).
_LABELLED = Kept[tuple[dict[str, list[str]], dict[str, list[str]]]](size=16)


def _labelled_key(
    tables: dict[str, pd.DataFrame], factors: list[str], config: AnalysisConfig
) -> tuple | None:
    """What :func:`_labels_and_roles` depends on: the settings it reads (the control group,
    the contrasts, whether donors are set), the factors and each table's name, length and
    cells of the columns it reads; None when a column's cells cannot be keyed."""
    parts: list[object] = [
        repr((factors, config.control, config.contrasts, bool(config.replicate)))
    ]
    for name, table in tables.items():
        key = content_key(table, [c for c in dict.fromkeys((*_READ, *factors)) if c in table])
        if key is None:
            return None
        parts.append((name, len(table), key))
    return tuple(parts)


def _labels(table: pd.DataFrame) -> list | None:
    """The ``comparison`` column's cells as :func:`~qpcr.grouped.records` gives them (None: a
    table without)."""
    if "comparison" not in table:
        return None
    return [r["comparison"] for r in records(table, ["comparison"])]


def _role_tables(results: Results) -> dict[str, pd.DataFrame]:
    """fold_changes, ratios and (when the analysis has it) contrasts, by name."""
    tables = {"fold_changes": results.fold_changes, "ratios": results.ratios}
    if "contrasts" in results.tables:
        tables["contrasts"] = results.tables["contrasts"]
    return tables


def _key(kind: str, name: object, comparison: object) -> tuple[str, str, str]:
    return (kind, str(name), str(comparison))


def _model_first(results: Results, two_group_test: object, model_test: object) -> bool:
    """Whether the factorial model's result is primary over the two-group test's: donors are
    set, the two-group test did not pair them and the model took them into account."""
    from .stats import TEST_LABELS
    from .stats.linear import MIXED_TEST

    blocked = {"rcbd", "paired t", MIXED_TEST}
    unpaired = TEST_LABELS.get(str(two_group_test)) is False  # a test's label, not '' or NaN
    return bool(results.config.replicate) and unpaired and model_test in blocked


def _pairs(
    tables: dict[str, pd.DataFrame], labels: dict[str, list | None],
    columns: Sequence[str] | None = None, read: dict[str, list[dict]] | None = None,
) -> dict[tuple[str, str, str], tuple[dict, dict]]:  # fmt: skip
    """(two-group row, model row) of each comparison both analyses hold, by (``target`` or
    ``ratio``, name, comparison label); the rows hold ``columns`` (None: all) or are ``read``'s
    (each table's records holding them). ``tables`` from :func:`_role_tables`, ``labels`` their
    comparison labels (None: a table without)."""
    contrasts, of_model = tables.get("contrasts", pd.DataFrame()), labels.get("contrasts")
    if contrasts.empty or of_model is None:
        return {}
    if read is None:
        keys = {"fold_changes": ("target",), "ratios": ("ratio",), "contrasts": ("item", "name")}
        read = {name: records(table, columns and (*keys[name], *columns))
                for name, table in tables.items()}  # fmt: skip
    rows = read["contrasts"]
    model = {_key(r["item"], r["name"], label): r
             for r, label in zip(rows, of_model, strict=True)}  # fmt: skip
    out = {}
    for name, item in (("fold_changes", "target"), ("ratios", "ratio")):
        of_table = labels[name]
        if of_table is not None:
            for r, label in zip(read[name], of_table, strict=True):
                key = _key(item, r[item], label)
                if key in model:
                    out[key] = (r, model[key])
    return out


def p_roles(results: Results) -> dict[str, pd.Series]:
    """``primary`` or ``sensitivity`` for each row of fold_changes, ratios and contrasts: which
    of the two analyses of a comparison to report (see the module's description); ``''`` for
    the control group's own row in ratios.

    Parameters
    ----------
    results
        A finished analysis whose tables carry the ``comparison`` column.

    Returns
    -------
    dict of str to pandas.Series
        Table name (``fold_changes``, ``ratios``, ``contrasts`` when present) → the roles,
        aligned with that table.

    Examples
    --------
    >>> roles = p_roles(labelled(example_results()))
    >>> for name, role in roles.items():
    ...     print(name, role.tolist())
    fold_changes ['primary', 'primary']
    ratios ['', 'primary']
    contrasts ['sensitivity', 'sensitivity', 'sensitivity']
    """
    tables = _role_tables(results)
    labels = {name: _labels(table) for name, table in tables.items()}
    return {name: pd.Series(roles, index=tables[name].index, dtype=object)
            for name, roles in _roles(results, tables, labels).items()}  # fmt: skip


def _roles(
    results: Results, tables: dict[str, pd.DataFrame], labels: dict[str, list | None],
    read: dict[str, list[dict]] | None = None,
) -> dict[str, list[str]]:  # fmt: skip
    """:func:`p_roles` of ``tables`` (:func:`_role_tables`) whose comparison labels are
    ``labels`` (None: a table without); ``read``: each table's records holding its ``item``,
    ``name``, ``target``, ``ratio``, ``contrast`` and ``test`` columns (None: read here)."""
    if read is None:
        read = {name: records(table, ("item", "name", "target", "ratio", "contrast", "test"))
                for name, table in tables.items()}  # fmt: skip
    pairs = _pairs(tables, labels, ("test",), read)
    model_first = {key for key, (two, model) in pairs.items()
                   if _model_first(results, two.get("test"), model.get("test"))}  # fmt: skip
    found = {}
    for name, table in tables.items():
        item = {"fold_changes": "target", "ratios": "ratio"}.get(name)  # None: the model's
        key_of = item or "name"
        names = labels[name]
        comparisons = [None] * len(table) if names is None else names
        roles = []
        for r, label in zip(read[name], comparisons, strict=True):
            key = _key(item or r["item"], r[key_of], label)
            second = key in pairs and (key in model_first) != (item is None)
            roles.append("" if r.get("contrast") == "control" else
                         "sensitivity" if second else "primary")  # fmt: skip
        found[name] = roles
    return found


def primary_view(results: Results, name: str) -> pd.DataFrame:
    """fold_changes or ratios with each comparison's primary result: where the factorial model
    is primary (:func:`p_roles`), its fold change, CI, p, adjusted p and test replace the
    two-group test's; ``sensitivity_test`` and ``sensitivity_p_adj`` name the other analysis of
    the same comparison (empty when there is none).

    Parameters
    ----------
    results
        A finished analysis (:func:`labelled`).
    name
        ``fold_changes`` or ``ratios``.

    Returns
    -------
    pandas.DataFrame
        The table, one row per row of the original, with the two ``sensitivity_`` columns.

    Examples
    --------
    >>> view = primary_view(labelled(example_results()), "fold_changes")
    >>> view[["target", "test", "p_adj", "sensitivity_test", "sensitivity_p_adj"]].round(4)
      target   test   p_adj   sensitivity_test  sensitivity_p_adj
    0    MYC  welch  0.0026  pooled (no block)              0.001
    1  HIF1A  welch  0.0027  pooled (no block)              0.001
    """
    table = getattr(results, name)
    columns = [*table.columns, "sensitivity_test", "sensitivity_p_adj"]
    rows = primary_records(results, {name: None})[name]
    return pd.DataFrame(rows, index=table.index, columns=columns)


#: The column naming a row's item in fold_changes and ratios.
_ITEMS = {"fold_changes": "target", "ratios": "ratio"}


def primary_records(
    results: Results, read: Mapping[str, Sequence[str] | None]
) -> dict[str, list[dict]]:
    """The rows of :func:`primary_view` as :func:`~qpcr.grouped.records` gives them, without
    building the table, of fold_changes, ratios or both (report.html reads a dozen cells of
    each row of both): each table read once, the pairs of analyses found once.

    Parameters
    ----------
    results
        A finished analysis (:func:`labelled`).
    read
        ``fold_changes`` and/or ``ratios`` → the table's columns to take (None: all); a row
        also holds its ``target`` or ``ratio``, ``comparison``, the primary result's columns
        and the two ``sensitivity_`` ones.

    Returns
    -------
    dict of str to list of dict
        For each table of ``read``, one dict per row, column label → value.

    Examples
    --------
    >>> rows = primary_records(labelled(example_results()), {"fold_changes": ["n"]})
    >>> [(r["target"], r["n"], r["test"], r["sensitivity_test"]) for r in rows["fold_changes"]]
    [('MYC', 3, 'welch', 'pooled (no block)'), ('HIF1A', 3, 'welch', 'pooled (no block)')]
    >>> primary_records(labelled(example_results()), {"samples": None})
    Traceback (most recent call last):
    ...
    ValueError: primary_records reads fold_changes and ratios; got 'samples'
    """
    for name in read:
        if name not in _ITEMS:
            raise ValueError(f"primary_records reads {' and '.join(_ITEMS)}; got {name!r}")
    tables = _role_tables(results)
    taken: dict[str, tuple[str, ...] | None] = {
        name: (item, "comparison", *_RESULT) for name, item in _ITEMS.items()
    }
    for name, columns in read.items():
        taken[name] = None if columns is None else (_ITEMS[name], "comparison", *columns,
                                                    *_RESULT)  # fmt: skip
    taken["contrasts"] = ("item", "name", "comparison", *_RESULT)
    rows = {name: records(table, taken[name]) for name, table in tables.items()}
    labels = {name: [r["comparison"] for r in rows[name]] if "comparison" in table else None
              for name, table in tables.items()}  # fmt: skip
    pairs = _pairs(tables, labels, read=rows)
    out = {}
    for name in read:
        item, found = _ITEMS[name], []
        for r in rows[name]:
            two, model = pairs.get(_key(item, r[item], r.get("comparison")), (r, None))
            if model is None:
                found.append({**r, "sensitivity_test": "", "sensitivity_p_adj": float("nan")})
                continue
            ahead = _model_first(results, two.get("test"), model.get("test"))
            first, second = (model, two) if ahead else (two, model)
            found.append({**r, **{c: first.get(c) for c in _RESULT},
                          "sensitivity_test": second.get("test"),
                          "sensitivity_p_adj": second.get("p_adj")})  # fmt: skip
        out[name] = found
    return out
