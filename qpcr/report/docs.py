"""``docs/columns.md`` and the README's "What you get" table, generated from :mod:`qpcr.schema`.

Run ``python -m qpcr.report.docs`` after changing a declaration; a test fails while either file
is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..schema import EXCLUDE_REASONS, QC_EVENTS, SCALES, TABLES, Column, Slot, Table

__all__ = ["columns_markdown", "readme_with_tables", "what_you_get", "write_docs"]

BEGIN = "<!-- begin what-you-get: generated from qpcr/schema by python -m qpcr.report.docs -->"
END = "<!-- end what-you-get -->"

#: Outputs that are not tables.
_OTHER_FILES = (
    (
        "report.html",
        "the analysis on one self-contained page (opens offline, can be mailed): "
        "verdicts in words, sortable tables, figures, a Cq plate map per target, QC, methods; "
        "`--no-html` skips it",
    ),
    ("results.xlsx", "a Summary sheet first, then the tables, the figures and a Methods text"),
    ("figures/", "fold change per target and the ratios, with biological replicates as points"),
    ("provenance.json", "input files with SHA-256, resolved settings, software versions"),
    (
        "miqe.md",
        "the MIQE items on data analysis, each documented, not applicable or missing, "
        "with the values of this run",
    ),
)


def _anchor(table: Table, name: str) -> str:
    return (table.file or name).replace(".", "").lower()


def _heading(table: Table, name: str) -> str:
    return table.file or name


def what_you_get() -> str:
    """The README's table of output files (between the markers).

    Returns
    -------
    str
        A Markdown table: every table written to a file, then the other outputs.

    Examples
    --------
    >>> for line in what_you_get().splitlines()[:3]:
    ...     print(line)
    | file | content |
    |---|---|
    | `wells.csv` | one row per input well × target, with its layout columns ...
    """
    lines = ["| file | content |", "|---|---|"]
    for name, table in TABLES.items():
        if table.file is None:
            continue
        when = "" if table.when == "always" else f"; {table.when}"
        link = f"[columns](docs/columns.md#{_anchor(table, name)})"
        lines.append(f"| `{table.file}` | one row per {table.rows}{when} ({link}) |")
    lines += [f"| `{file}` | {text} |" for file, text in _OTHER_FILES]
    return "\n".join(lines)


def _row(column: Column | Slot) -> str:
    if isinstance(column, Slot):
        label = {"factors": "factor columns"}.get(column.kind, f"{column.kind} columns")
        return f"| *{label}* | | | | {column.meaning} |"
    optional = " (not always present)" if column.optional else ""
    cells = [f"`{column.name}`", column.dtype, column.scale, column.unit, column.meaning + optional]
    return "| " + " | ".join(cells) + " |"


def columns_markdown() -> str:
    """The text of ``docs/columns.md``: every table, its columns, the scales and the codes.

    Returns
    -------
    str
        The Markdown document.

    Examples
    --------
    >>> lines = columns_markdown().splitlines()
    >>> start = lines.index("## quantities.csv")
    >>> for line in lines[start + 4 : start + 8]:
    ...     print(line)
    | column | type | scale | unit | meaning |
    |---|---|---|---|---|
    | `plate` | text | text |  | plate: the export's file stem unless ...
    | `sample` | text | text |  | sample name |
    """
    out = [
        "# Output columns",
        "",
        "<!-- generated from qpcr/schema by python -m qpcr.report.docs; do not edit -->",
        "",
        "Every table `qpcr analyze` writes, column by column. A column name has one type, scale "
        "and unit in every table (apart from old names kept for one release, marked deprecated): "
        "`ci_low`/`ci_high` always bound `fold_change`; an interval on another "
        "quantity carries its name (`value_ci_low`, `efficiency_ci_low`) and a log2 interval "
        "says so (`ci_low_log2`). Codes (`exclude_code`, `code`) are stable; the sentences "
        "beside them may be reworded.",
        "",
        "**Changed in this release:** in `ratios.csv` and `contrasts.csv`, `ci_low`/`ci_high` "
        "now bound `fold_change` (they bounded `value`, and `estimate_log2` on log2); see "
        "[CHANGELOG.md](../CHANGELOG.md).",
        "",
        "| scale | meaning | workbook format |",
        "|---|---|---|",
        *(f"| {s} | {meaning} | {fmt or 'General'} |" for s, (meaning, fmt) in SCALES.items()),
    ]
    for name, table in TABLES.items():
        where = "" if table.file else f" (the Python API's `Results.{name}`, not a file)"
        out += ["", f"## {_heading(table, name)}", "",
                f"One row per {table.rows}; written {table.when}{where}.", "",
                "| column | type | scale | unit | meaning |", "|---|---|---|---|---|",
                *(_row(c) for c in table.columns)]  # fmt: skip
    out += ["", "## Codes", "", "### Why a well is excluded: `wells.csv` `exclude_code`", "",
            "| code | `exclude_reason` |", "|---|---|",
            *(f"| `{code}` | {text} |" for code, text in EXCLUDE_REASONS.items()),
            "", "`{detail}` is filled per well (the replicates' highest Cq; the outlier "
            "statistic and its limit). Control wells' codes are their sample types.",
            "", "### QC events: `qc.csv` `code`", "", "| code | meaning |", "|---|---|",
            *(f"| `{code}` | {text} |" for code, text in QC_EVENTS.items())]  # fmt: skip
    return "\n".join(out) + "\n"


def readme_with_tables(readme: str) -> str:
    r"""``readme`` with the text between the what-you-get markers regenerated.

    Parameters
    ----------
    readme
        The README's text, with :data:`BEGIN` and :data:`END` on lines of their own.

    Returns
    -------
    str
        The text with a fresh :func:`what_you_get` table between the markers.

    Raises
    ------
    ValueError
        The markers are missing.

    Examples
    --------
    >>> readme = f"# qpcr\n{BEGIN}\nold\n{END}\nmore\n"
    >>> new = readme_with_tables(readme).splitlines()
    >>> new[2], new[-1]
    ('| file | content |', 'more')
    """
    head, found, rest = readme.partition(BEGIN)
    _, found_end, tail = rest.partition(END)
    if not (found and found_end):
        raise ValueError(f"README lacks the markers {BEGIN!r} and {END!r}")
    return f"{head}{BEGIN}\n{what_you_get()}\n{END}{tail}"


def write_docs(root: Path) -> list[Path]:
    r"""Regenerate ``README.md``'s table and ``docs/columns.md`` under ``root``.

    Parameters
    ----------
    root
        The repository's folder.

    Returns
    -------
    list of pathlib.Path
        The two files written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> root = Path(folder.name)
    >>> (root / "docs").mkdir()
    >>> _ = (root / "README.md").write_text(f"# qpcr\n{BEGIN}\n{END}\n", encoding="utf-8")
    >>> [path.relative_to(root).as_posix() for path in write_docs(root)]
    ['README.md', 'docs/columns.md']
    >>> folder.cleanup()
    """
    readme, columns = root / "README.md", root / "docs" / "columns.md"
    readme.write_text(readme_with_tables(readme.read_text(encoding="utf-8")), encoding="utf-8")
    columns.write_text(columns_markdown(), encoding="utf-8")
    return [readme, columns]


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2]
    for path in write_docs(root):
        print(f"wrote {path}")
