"""The results workbook: summary lines, methods prose, and the tables for the workbook writer."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..groups import group_label
from ..labels import primary_view
from .html import fmt_p  # one rule for p in the terminal, report.html and the workbook
from .methods import methods_text
from .tables import as_labelled, result_tables
from .workbook import write_results_workbook

if TYPE_CHECKING:
    from ..results import Results

__all__ = ["display_tables", "methods_text", "summary_lines", "write_workbook"]


def _with_ci(value: float | None, low: float | None, high: float | None) -> str:
    if value is None or pd.isna(value):
        return ""
    if low is None or pd.isna(low):
        return f"{value:.3g}"
    return f"{value:.3g} [{low:.3g}, {high:.3g}]"


def _sensitivity(row: dict) -> str:
    """The other analysis of a comparison in words, e.g. ``model: rcbd, p adj 0.018`` ('' if
    there is none); the row is a :func:`qpcr.labels.primary_view` row."""
    test = row.get("sensitivity_test")
    if not isinstance(test, str) or not test:
        return ""
    p = fmt_p(row.get("sensitivity_p_adj"))
    source = "two-group test" if row.get("p_role") == "sensitivity" else "model"
    return f"{source}: {test}, p adj {p}" if p else f"{source}: {test}"


def _bound(row: dict) -> str:
    """``≤``/``≥`` when non-detects make the value a bound, else ''."""
    bound = row.get("bound")
    return bound if isinstance(bound, str) else ""


def display_tables(results: Results) -> dict[str, pd.DataFrame]:
    """Short, formatted tables for the terminal (RQ per sample against a calibrator sample, when
    the control is one sample).

    Parameters
    ----------
    results
        A finished analysis.

    Returns
    -------
    dict of str to pandas.DataFrame
        Title → table: fold changes of the targets, then ratios and interactions; standard
        curves and quantities for an absolute quantification. Numbers are formatted as text.

    Examples
    --------
    ``example_results()`` is a small analysis (MYC and HIF1A against GAPDH, hypoxia against
    normoxia, three samples each; see the repository's ``conftest.py``):

    >>> tables = display_tables(example_results())
    >>> for title in tables:
    ...     print(title)  # doctest: +NORMALIZE_WHITESPACE
    Fold changes vs oxygen=normoxia (p: the primary test; sensitivity: the other analysis of
    the comparison)
    Ratios: geometric mean per group, and fold change vs control
    >>> fc = next(iter(tables.values()))
    >>> fc[["target", "n", "fold change [95 % CI]", "p", "p adj", "test"]]
      target  n fold change [95 % CI]       p  p adj   test
    0    MYC  3     3.91 [2.74, 5.58]  <0.001  0.003  welch
    1  HIF1A  3      3.65 [2.5, 5.31]   0.001  0.003  welch
    >>> print(fc["sensitivity"][0])
    model: pooled (no block), p adj <0.001
    """
    if "rq" in results.samples:
        return _calibrator_tables(results)
    if results.fold_changes.empty:
        return _absolute_tables(results)
    refs = set(results.reference_genes)
    results = as_labelled(results)
    fc = primary_view(results, "fold_changes")
    fc = fc[~fc["target"].isin(refs)]
    rows = [
        {"comparison": r["comparison"],
         "target": r["target"], "n": r["n"],
         "fold change [95 % CI]": _bound(r) + _with_ci(
             r.get("fold_change"), r.get("ci_low"), r.get("ci_high")) or r.get("note", ""),
         **_tested(r)}
        for r in fc.to_dict("records")
    ]  # fmt: skip
    title = (f"Fold changes vs {group_label(results.config.control)} (p: the primary test; "
             "sensitivity: the other analysis of the comparison)")  # fmt: skip
    tables = {title: _drop_empty(pd.DataFrame(rows), "sensitivity")}
    if not results.ratios.empty:
        ratios = primary_view(results, "ratios")
        rows = [
            {"ratio": r["ratio"], "group / comparison": r["comparison"],
             "n": r["n"], "ratio [95 % CI]": _with_ci(r.get("value"), r.get("value_ci_low"),
                                                     r.get("value_ci_high")),
             "fold change [95 % CI]": _bound(r) + _with_ci(
                 r.get("fold_change"), r.get("ci_low"), r.get("ci_high")),
             **_tested(r)}
            for r in ratios.to_dict("records")
        ]  # fmt: skip
        tables["Ratios: geometric mean per group, and fold change vs control"] = _drop_empty(
            pd.DataFrame(rows), "sensitivity"
        )
    contrasts = results.tables.get("contrasts", pd.DataFrame())
    if "kind" in contrasts:
        inter = contrasts[contrasts["kind"] == "interaction"]
        rows = [
            {"target / ratio": r["name"], "interaction": r["contrast"].removeprefix("interaction "),
             "ratio of fold changes [95 % CI]": _with_ci(r["fold_change"], r["ci_low"],
                                                          r["ci_high"]),
             "p": fmt_p(r["p_value"]), "p adj": fmt_p(r["p_adj"]), "test": r["test"]}
            for r in inter.to_dict("records")
        ]  # fmt: skip
        if rows:
            tables["Interactions (factorial model, donor as block)"] = pd.DataFrame(rows)
    return tables


def _tested(row: dict) -> dict[str, str]:
    """The p, p adj, test and sensitivity cells of a :func:`qpcr.labels.primary_view` row of
    fold changes or ratios."""
    test = row.get("test")
    return {
        "p": fmt_p(row.get("p_value")),
        "p adj": fmt_p(row.get("p_adj")),
        "test": test if isinstance(test, str) else "",
        "sensitivity": _sensitivity(row),
    }


def _drop_empty(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """``table`` without ``column`` when no row fills it."""
    return table.drop(columns=column) if table[column].eq("").all() else table


def _calibrator_tables(results: Results) -> dict[str, pd.DataFrame]:
    """RQ [RQmin, RQmax] per sample and target against the calibrator sample."""
    rows = [
        {**({"plate": r["plate"]} if "plate" in r else {}), "sample": r["sample"],
         "target": r["target"],
         "RQ [RQmin, RQmax]": _with_ci(r["rq"], r["rq_min"], r["rq_max"]), "note": r["note"]}
        for r in results.samples.to_dict("records")
    ]  # fmt: skip
    title = (f"Relative quantities vs the calibrator sample {results.config.control['sample']} "
             "(RQmin-RQmax: technical replicates only)")  # fmt: skip
    return {title: pd.DataFrame(rows)}


def _absolute_tables(results: Results) -> dict[str, pd.DataFrame]:
    tables = {}
    curves = results.tables.get("standard_curves", pd.DataFrame())
    if not curves.empty:
        rows = [
            {"plate": r.get("plate", ""), "target": r["target"], "slope": _fmt(r["slope"]),
             "intercept": _fmt(r["intercept"]), "R²": "" if pd.isna(r["r_squared"])
             else f"{r['r_squared']:.4f}",
             "efficiency [95 % CI]": "" if pd.isna(r["efficiency"]) else
             f"{r['efficiency']:.3f} [{r['efficiency_ci_low']:.3f}, "
             f"{r['efficiency_ci_high']:.3f}]",
             "points": r["n_points"], "note": r["note"]}
            for r in curves.to_dict("records")
        ]  # fmt: skip
        tables["Standard curves"] = pd.DataFrame(rows)
    quantities = results.tables.get("quantities", pd.DataFrame())
    if not quantities.empty:
        bound = quantities.get("upper_bound", pd.Series(False, index=quantities.index))
        quantity = quantities["quantity"].map(_fmt)
        shown = quantities.assign(  # a mean with a non-detect reads as an upper bound
            cq_mean=quantities["cq_mean"].map("{:.2f}".format),
            quantity=quantity.where(~bound.astype(bool) | quantity.eq(""), "≤ " + quantity),
        ).drop(columns="upper_bound", errors="ignore")
        tables["Quantities read off the standard curves"] = shown
    return tables


def _fmt(x: float) -> str:
    return "" if pd.isna(x) else f"{x:.4g}"


def summary_lines(results: Results) -> list[str]:
    """Plain-language lines: inputs, design, normalisation, counts, warnings.

    Parameters
    ----------
    results
        A finished analysis.

    Returns
    -------
    list of str
        The lines of the workbook's Summary sheet (and of the terminal report).

    Examples
    --------
    >>> for line in summary_lines(example_results()):
    ...     print(line)
    Inputs: run.csv
    Design factors: oxygen; control group: oxygen=normoxia
    Biological replicate: each sample
    Reference genes: GAPDH
    Wells: 18 in the input, 18 used, 0 excluded
    QC events: 1
    Primary p-values (the tables below): welch (3 results); the other analysis of the same comparison, a sensitivity analysis: pooled (no block) (3) (p_role in the fold_changes, ratios and contrasts sheets; see Methods)
    """  # noqa: E501
    return _summary_lines(results, _primary_views(results))


def _primary_views(results: Results) -> dict[str, pd.DataFrame]:
    """:func:`qpcr.labels.primary_view` of the fold changes and of the ratios, made once for
    the Summary's lines and its tables."""
    labelled = as_labelled(results)
    return {name: primary_view(labelled, name) for name in ("fold_changes", "ratios")}


def _summary_lines(results: Results, views: dict[str, pd.DataFrame]) -> list[str]:
    """:func:`summary_lines` with the :func:`_primary_views` of ``results``."""
    cfg = results.config
    wells = results.wells
    n_excl = int(wells["excluded"].sum())
    reasons = wells.loc[wells["excluded"], "exclude_reason"].value_counts()
    lines = [
        f"Inputs: {', '.join(Path(i.path).name for i in results.inputs)}",
        f"Design factors: {', '.join(results.factors)}; control group: {group_label(cfg.control)}",
        f"Biological replicate: {cfg.replicate or 'each sample'}",
        f"Reference genes: {', '.join(results.reference_genes)}",
        f"Wells: {len(wells)} in the input, {len(wells) - n_excl} used, {n_excl} excluded"
        + (" (" + "; ".join(f"{k}: {v}" for k, v in reasons.items()) + ")" if n_excl else ""),
        f"QC events: {len(results.qc)}",
        *_primary_lines(views),
        *results.notes,
    ]
    return lines


def _primary_lines(views: dict[str, pd.DataFrame]) -> list[str]:
    """Which test gave the primary p-values of the tables below, and the sensitivity analysis
    (``views``: :func:`_primary_views`)."""
    tested = [v for v in views.values() if "p_role" in v and len(v)]
    if not tested:  # no comparison (absolute quantification, a calibrator sample)
        return []
    rows = pd.concat(tested)
    rows = rows[rows["p_role"].isin(["primary", "sensitivity"])]
    primary = rows["test"].dropna().value_counts()
    if primary.empty:  # no comparison could be tested
        return []
    other = rows["sensitivity_test"].replace("", None).dropna().value_counts()
    line = "Primary p-values (the tables below): " + ", ".join(
        f"{test} ({n} results)" for test, n in primary.items()
    )
    if len(other):
        line += (
            "; the other analysis of the same comparison, a sensitivity analysis: "
            + ", ".join(f"{test} ({n})" for test, n in other.items())
            + " (p_role in the fold_changes, ratios and contrasts sheets; see Methods)"
        )
    return [line]


def _summary_view(results: Results, name: str, view: pd.DataFrame) -> pd.DataFrame:
    """The columns a reader needs on the Summary sheet (numbers stay numbers): each
    comparison's primary result (``view``, from :func:`_primary_views`; the tests are named in
    a line above, :func:`_primary_lines`; a column more would no longer print one landscape
    page wide)."""
    if getattr(results, name).empty:
        return getattr(results, name)
    item = "target" if name == "fold_changes" else "ratio"
    table = view[~view[item].isin(results.reference_genes)] if item == "target" else view
    if item == "target":
        keep = ["n", "fold_change", "ci_low", "ci_high", "bound", "p_value", "p_adj", "note"]
    else:
        keep = ["n", "value", "value_ci_low", "value_ci_high", "fold_change", "ci_low", "ci_high",
                "p_value", "p_adj", "note"]  # fmt: skip
    return table[[item, "comparison", *keep]].reset_index(drop=True)


def write_workbook(results: Results, path: Path, figures: list[Path]) -> Path:
    """Write ``results.xlsx``: Summary first, then one sheet per table, figures, methods.

    Parameters
    ----------
    results
        A finished analysis.
    path
        The workbook to write (atomically).
    figures
        PNG files for the Figures sheet.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from openpyxl import load_workbook
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = write_workbook(example_results(), Path(folder.name) / "results.xlsx", [])
    >>> load_workbook(path).sheetnames  # doctest: +NORMALIZE_WHITESPACE
    ['Summary', 'wells', 'replicates', 'samples', 'fold_changes', 'ratios', 'qc', 'anova',
     'contrasts', 'Methods']
    >>> folder.cleanup()
    """
    views = _primary_views(results)
    summary = {
        "title": "qpcr results",
        "lines": _summary_lines(results, views),
        "fold_changes": _summary_view(results, "fold_changes", views["fold_changes"]),
        "ratios": _summary_view(results, "ratios", views["ratios"]),
        "warnings": list(
            dict.fromkeys(
                [*results.warnings, *results.qc.loc[results.qc["severity"] != "info", "message"]]
            )
        ),
    }
    write_results_workbook(
        path,
        summary=summary,
        tables=result_tables(results),
        figures=figures,
        methods_text=methods_text(results),
    )
    return path
