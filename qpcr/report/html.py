"""``report.html``: one self-contained page to read an analysis (and to mail it).

Everything is inline: the style sheet, the figures (SVG), a few lines of script that sort the
tables. Nothing is fetched from a network, so the page opens offline. It holds a header with
the inputs, design and settings and the verdicts in words; the fold-change and ratio tables;
the figures; a plate map per target (:mod:`qpcr.report.platemap`); the QC events; standard
curves and reference-gene stability when present; the methods text and the provenance.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..grouped import records
from ..groups import group_label
from ..labels import primary_records
from .platemap import plate_maps
from .safe import escape_html
from .tables import as_labelled, atomic_write, provenance

if TYPE_CHECKING:
    from ..results import Results

__all__ = ["check_html", "fmt_p", "report_html", "stability_html", "verdicts", "write_html"]

_STYLE = """
:root{--ink:#1a1a1a;--mute:#5f6368;--line:#d0d4d9;--accent:#0072b2}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);
margin:0 auto;max-width:1180px;padding:12px 16px 48px}
h1{font-size:1.5em;margin:.4em 0}h2{font-size:1.2em;margin:1.6em 0 .5em;
border-bottom:2px solid var(--line);padding-bottom:.2em}h3{font-size:1em;margin:1em 0 .3em}
nav{display:flex;flex-wrap:wrap;gap:.2em .8em}nav a{white-space:nowrap}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;margin:.5em 0}
dl.meta dt{color:var(--mute)}dl.meta dd{margin:0}
ul.verdicts li{margin:.15em 0}.sig{font-weight:600}
.scroll{overflow-x:auto;max-width:100%}
table.data{border-collapse:collapse;font-size:.9em;margin:.4em 0}
table.data th,table.data td{border-bottom:1px solid var(--line);padding:.25em .6em;
text-align:left;vertical-align:top}
table.data td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.sortable th{cursor:pointer;user-select:none;white-space:nowrap}
table.sortable th[aria-sort=ascending]::after{content:" \\25B2"}
table.sortable th[aria-sort=descending]::after{content:" \\25BC"}
figure{margin:1em 0}figure svg{max-width:100%;height:auto}
.charts{display:flex;flex-wrap:wrap;gap:0 1.5em}.charts figure{max-width:100%}
figcaption{font-size:.9em;color:var(--mute);margin:.3em 0}
table.plate{border-collapse:collapse;font-size:9px;table-layout:fixed}
table.plate th{font-weight:normal;color:var(--mute);padding:0 2px}
table.plate td.w{width:2.6em;height:1.9em;text-align:center;border:1px solid #e3e3e3;
padding:0;overflow:hidden;white-space:nowrap}
table.plate td.empty{background:#fafafa}
table.plate td.nd{background:#e8e8e8;color:#333}
table.plate td.outlier{box-shadow:inset 0 0 0 2px #e69f00;font-weight:700}
table.plate td.excluded{font-style:italic}
table.plate td.ntc-hit{box-shadow:inset 0 0 0 2px #d55e00;font-weight:700}
table.plate td.et{border-top:2px solid #111}table.plate td.eb{border-bottom:2px solid #111}
table.plate td.el{border-left:2px solid #111}table.plate td.er{border-right:2px solid #111}
.legend{font-size:.85em;color:var(--mute)}.legend span{padding:0 .3em}
p.methods{max-width:80ch}pre{white-space:pre-wrap;font-size:.8em;background:#f6f8fa;padding:.6em}
@media (max-width:640px){body{font-size:14px;padding:8px}dl.meta{grid-template-columns:1fr}}
@media print{body{max-width:none;font-size:11px}nav{display:none}.scroll{overflow:visible}
figure,table.data tr{break-inside:avoid}h2{break-after:avoid}details{display:block}
details>summary{display:none}}
"""

_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0], col = th.cellIndex;
      var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      var key = function (row) {
        var cell = row.cells[col], v = cell.getAttribute("data-v");
        return v === null ? cell.textContent : v;
      };
      Array.prototype.slice.call(body.rows).sort(function (a, b) {
        var x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return dir * c;
      }).forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""


def fmt_p(p: Any) -> str:
    """A p-value as printed in the terminal and report.html (the workbook's number format for p
    says the same, :data:`qpcr.schema.SCALES`): three decimals, ``<0.001`` below that, '' when
    missing.

    Parameters
    ----------
    p
        The p-value, or None/NaN.

    Returns
    -------
    str
        The printed value.

    Examples
    --------
    >>> fmt_p(0.01316), fmt_p(0.00027), fmt_p(1.0), fmt_p(float("nan"))
    ('0.013', '<0.001', '1.000', '')
    """
    if _missing(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _missing(value: Any) -> bool:
    """``pd.isna`` of one cell: None, NaN and the plain Python types told without pandas (a
    table's records hold these), anything else asked of pandas."""
    kind = type(value)
    if kind is float:
        return bool(value != value)
    if value is None:
        return True
    if kind is int or kind is str or kind is bool:
        return False
    return bool(pd.isna(value))


def _num(x: Any, digits: int = 3) -> str:
    return "" if _missing(x) else f"{x:.{digits}g}"


def _cell(value: Any, kind: str = "text", prefix: str = "") -> str:
    """A table cell; numbers carry their full value in ``data-v`` (for sorting and checking)."""
    if kind == "text":
        text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else value
        return f"<td>{escape_html(str(text))}</td>"
    shown = fmt_p(value) if kind == "p" else _num(value, 2 if kind == "n" else 3)
    if kind == "n" and shown:
        shown = f"{value:g}"
    full = "" if _missing(value) else f' data-v="{float(value)!r}"'
    return f'<td class="num"{full}>{escape_html(prefix + shown)}</td>'


def _table(rows: list[list[str]], head: list[str], attrs: list[str] | None = None) -> str:
    """A sortable table from pre-built cells."""
    attrs = attrs or [""] * len(rows)
    body = "".join(f"<tr{a}>{''.join(r)}</tr>" for r, a in zip(rows, attrs, strict=True))
    heads = "".join(f"<th>{escape_html(h)}</th>" for h in head)
    return (f'<div class="scroll"><table class="data sortable"><thead><tr>{heads}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")  # fmt: skip


#: Said above the fold-change and ratio tables.
_PRIMARY = ("<p class=legend>Each row is the comparison's primary result (p, p adj, test); "
            "the other analysis of the same comparison, the two-group test or the factorial "
            "model, is a sensitivity analysis (see Methods).</p>")  # fmt: skip


def _fold_change_table(table: list[dict]) -> str:
    """The fold changes' primary rows (:func:`_views`) as a sortable table."""
    head = ["comparison", "target", "n", "fold change", "CI low", "CI high", "p", "p adj",
            "test", "note", "sensitivity test", "sensitivity p adj"]  # fmt: skip
    rows, attrs = [], []
    for r in table:
        bound = str(r["bound"]) if isinstance(r.get("bound"), str) else ""
        rows.append([
            _cell(r["comparison"]), _cell(r["target"]), _cell(r["n"], "n"),
            _cell(r["fold_change"], "x", bound),
            _cell(r["ci_low"], "x"), _cell(r["ci_high"], "x"), _cell(r.get("p_value"), "p"),
            _cell(r.get("p_adj"), "p"), _cell(r.get("test")), _cell(r.get("note")),
            _cell(r.get("sensitivity_test")), _cell(r.get("sensitivity_p_adj"), "p"),
        ])  # fmt: skip
        attrs.append(f' data-contrast="{escape_html(str(r["contrast"]))}" '
                     f'data-target="{escape_html(str(r["target"]))}"')  # fmt: skip
    return _PRIMARY + _table(rows, head, attrs)


def _ratio_table(table: list[dict]) -> str:
    """The ratios' primary rows (:func:`_views`) as a sortable table."""
    head = ["ratio", "group / comparison", "n", "ratio", "ratio CI low", "ratio CI high",
            "fold change", "CI low", "CI high", "p", "p adj", "test", "note", "sensitivity test",
            "sensitivity p adj"]  # fmt: skip
    rows, attrs = [], []
    for r in table:
        rows.append([
            _cell(r["ratio"]), _cell(r["comparison"]), _cell(r["n"], "n"),
            _cell(r.get("value"), "x"), _cell(r.get("value_ci_low"), "x"),
            _cell(r.get("value_ci_high"), "x"), _cell(r.get("fold_change"), "x"),
            _cell(r.get("ci_low"), "x"), _cell(r.get("ci_high"), "x"),
            _cell(r.get("p_value"), "p"), _cell(r.get("p_adj"), "p"), _cell(r.get("test")),
            _cell(r.get("note")), _cell(r.get("sensitivity_test")),
            _cell(r.get("sensitivity_p_adj"), "p"),
        ])  # fmt: skip
        attrs.append(f' data-contrast="{escape_html(str(r["contrast"]))}" '
                     f'data-ratio="{escape_html(str(r["ratio"]))}"')  # fmt: skip
    return _PRIMARY + _table(rows, head, attrs)


def _frame_table(frame: pd.DataFrame, columns: Sequence[Hashable] | None = None) -> str:
    """Any table (its ``columns`` of those it has, None: all), numbers right-aligned with their
    full value kept in ``data-v``."""
    names = frame.columns.tolist() if columns is None else [c for c in columns if c in frame]
    rows = []
    for r in records(frame, names):
        rows.append([
            _cell(v, "x") if isinstance(v, float) and not math.isnan(v)
            else _cell(v, "n") if isinstance(v, int) and not isinstance(v, bool)
            else _cell(v) for v in r.values()
        ])  # fmt: skip
    return _table(rows, [str(c) for c in names])


def verdicts(results: Results) -> list[str]:
    """One sentence per target (or ratio) and comparison, e.g. ``VEGFA: 2.69-fold up in
    hypoxia + vehicle vs normoxia + vehicle, 95 % CI 1.87–3.86, p = 0.013 (paired t)``.

    A change is called up or down when its confidence interval excludes 1, and "no clear
    change" otherwise; the p-value is the adjusted one when the run adjusted.

    Parameters
    ----------
    results
        A finished analysis.

    Returns
    -------
    list of str
        The sentences, reference genes left out.

    Examples
    --------
    >>> for line in verdicts(example_results()):
    ...     print(line)
    MYC: 3.91-fold up in hypoxia vs normoxia, 95 % CI 2.74–5.58, adjusted p = 0.003 (welch, holm)
    HIF1A: 3.65-fold up in hypoxia vs normoxia, 95 % CI 2.5–5.31, adjusted p = 0.003 (welch, holm)
    MYC/HIF1A: 1.07-fold, no clear change, in hypoxia vs normoxia, 95 % CI 0.908–1.27, adjusted p = 0.274 (welch, holm)
    """  # noqa: E501
    return _verdicts(results, _views(results))


#: The columns of fold_changes and ratios that the page reads (:func:`_views`).
_READ = {
    "fold_changes": ("contrast", "n", "bound", "note", "adjust"),
    "ratios": ("contrast", "n", "value", "value_ci_low", "value_ci_high", "bound", "note",
               "adjust"),
}  # fmt: skip


def _views(results: Results) -> dict[str, list[dict]]:
    """The rows of fold_changes and ratios with each comparison's primary result
    (:func:`~qpcr.labels.primary_records`, the columns of :data:`_READ`), made once for a
    page: its header and its tables read them."""
    labelled = as_labelled(results)
    return primary_records(labelled, _READ)


def _verdicts(results: Results, views: dict[str, list[dict]]) -> list[str]:
    """:func:`verdicts` from the primary views (:func:`_views`)."""
    refs = set(results.reference_genes)
    level = f"{100 * (1 - results.config.alpha):g} %"
    out = []
    for name, item in (("fold_changes", "target"), ("ratios", "ratio")):
        for r in views[name]:
            label = r["comparison"]
            if r[item] in refs or r["contrast"] == "control" or pd.isna(r.get("fold_change")):
                continue
            fc, low, high = r["fold_change"], r["ci_low"], r["ci_high"]
            where = f"for {label}" if label == r["contrast"] else f"in {label}"
            bound = r.get("bound") if isinstance(r.get("bound"), str) else ""
            if pd.notna(low) and (low > 1 or high < 1):
                what = f"{bound}{_num(fc)}-fold {'up' if low > 1 else 'down'} {where}"
            else:
                what = f"{bound}{_num(fc)}-fold, no clear change, {where}"
            ci = f", {level} CI {_num(low)}–{_num(high)}" if pd.notna(low) else ""
            adj = r.get("adjust")
            p, name = (r.get("p_adj"), "adjusted p") if isinstance(adj, str) and adj != "none" \
                else (r.get("p_value"), "p")  # fmt: skip
            p_text = fmt_p(p)
            p_text = f", {name} {'= ' if not p_text.startswith('<') else ''}{p_text}" \
                if p_text else ""  # fmt: skip
            test = r.get("test") if isinstance(r.get("test"), str) else ""
            detail = ", ".join(x for x in (test, adj if name != "p" else "") if x)
            out.append(f"{r[item]}: {what}{ci}{p_text}" + (f" ({detail})" if detail else ""))
    return out


def _header(results: Results, views: dict[str, list[dict]]) -> str:
    cfg = results.config
    wells = results.wells
    excluded = wells.loc[wells["excluded"], "exclude_reason"].value_counts()
    meta = {
        "Inputs": ", ".join(f"{Path(i.path).name} ({i.role})" for i in results.inputs),
        "Instrument": ", ".join(
            dict.fromkeys(str(r.instrument) for r in results.runs if r.instrument)
        ),
        "Design": f"{', '.join(results.factors)}; control group {group_label(cfg.control)}",
        "Biological replicate": cfg.replicate or "each sample",
        "Reference genes": ", ".join(results.reference_genes),
        "Efficiency": "; ".join(f"{k} {v:.3f}" for k, v in results.efficiency.items())
        or "E = 2 for every target",
        "Statistics": f"test {cfg.test}, adjustment {cfg.adjust}, alpha {cfg.alpha:g}",
        "QC rules": f"outliers {cfg.outlier_rule} (threshold {cfg.outlier_threshold:g}), "
        f"non-detects {cfg.nondetect_policy} (Cq {cfg.nondetect_limit:g}), "
        f"NTC margin {cfg.ntc_margin:g} cycles",
        "Wells": f"{len(wells)} read, {int((~wells['excluded']).sum())} used"
        + "".join(f"; {n} {k}" for k, n in excluded.items()),
    }
    items = "".join(f"<dt>{k}</dt><dd>{escape_html(str(v))}</dd>" for k, v in meta.items() if v)
    lines = "".join(f"<li>{escape_html(v)}</li>" for v in _verdicts(results, views))
    verdict = f"<h2 id=verdicts>Verdicts</h2><ul class=verdicts>{lines}</ul>" if lines else ""
    return f'<dl class="meta">{items}</dl>{verdict}'


def _svg(text: str) -> str:
    """An SVG document made fit to sit inside HTML (no XML declaration, DOCTYPE or metadata)."""
    start = text.find("<svg")
    return re.sub(r"<metadata>.*?</metadata>", "", text[start:], flags=re.S) if start >= 0 else ""


def _sections(
    results: Results, views: dict[str, list[dict]], svgs: dict[str, str]
) -> list[tuple[str, str, str]]:
    """(anchor, title, body) of each section present."""
    from .curves_html import curve_sections
    from .methods import methods_text

    out = []
    if not results.fold_changes.empty:
        out.append(("fold-changes", "Fold changes", _fold_change_table(views["fold_changes"])))
    if not results.ratios.empty:
        out.append(("ratios", "Ratios", _ratio_table(views["ratios"])))
    contrasts = results.tables.get("contrasts", pd.DataFrame())
    if not contrasts.empty:
        keep = ("name", "comparison", "kind", "n", "fold_change", "ci_low", "ci_high", "p_value",
                "p_adj", "test", "p_role")  # fmt: skip
        out.append(("model", "Factorial model contrasts", _frame_table(contrasts, keep)))
    figures = "".join(f'<figure class="fig" data-figure="{escape_html(name)}">{_svg(svg)}</figure>'
                      for name, svg in svgs.items())  # fmt: skip
    if figures:
        out.append(("figures", "Figures", figures))
    out += curve_sections(results)
    maps = plate_maps(results)
    if maps:
        out.append(("plates", "Plate maps", "".join(maps)))
    qc = results.qc
    columns = ("well", "sample", "target", "code", "severity", "message")
    body = _frame_table(qc, columns) if len(qc) else "<p>No QC events.</p>"
    out.append(("qc", "QC events", body))
    for name, title in (("standard_curves", "Standard curves"),
                        ("reference_genes", "Reference-gene stability")):  # fmt: skip
        table = results.tables.get(name)
        if table is not None and not table.empty:
            out.append((name.replace("_", "-"), title, _frame_table(table)))
    # The page is a function of the inputs and settings: when and how it was run are left to
    # provenance.json.
    stamped = {k: v for k, v in provenance(results).items() if k not in ("created", "command")}
    record = json.dumps(stamped, indent=2, default=str, ensure_ascii=False)
    out.append(("methods", "Methods", f'<p class="methods">{escape_html(methods_text(results))}</p>'
                "<details><summary>Provenance (inputs with SHA-256, settings, versions)"
                f"</summary><pre>{escape_html(record)}</pre></details>"))  # fmt: skip
    return out


def report_html(results: Results, svgs: dict[str, str] | None = None) -> str:
    """The report page as one HTML string.

    Parameters
    ----------
    results
        A finished analysis.
    svgs
        Figure name → SVG text, drawn inline in that order (none when empty).

    Returns
    -------
    str
        A complete HTML document with no external resource.

    Examples
    --------
    >>> page = report_html(example_results())
    >>> page.startswith("<!DOCTYPE html>"), "http" in page.replace("http-equiv", "")
    (True, False)
    >>> page.count('data-target="MYC"'), "MYC: 3.91-fold up" in page
    (1, True)
    """
    inputs = ", ".join(Path(i.path).name for i in results.inputs if i.role == "export")
    views = _views(results)
    header, sections = _header(results, views), _sections(results, views, svgs or {})
    return _page(f"qpcr report: {inputs}", header, sections)


def _page(title: str, header: str, sections: list[tuple[str, str, str]]) -> str:
    """A complete page: title, navigation, ``header`` (HTML), then each (anchor, title, body)."""
    nav = "".join(f'<a href="#{a}">{escape_html(t)}</a>' for a, t, _ in sections)
    body = "".join(f'<section><h2 id="{a}">{escape_html(t)}</h2>{b}</section>'
                   for a, t, b in sections)  # fmt: skip
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape_html(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape_html(title)}</h1><nav>{nav}</nav>{header}{body}"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )


def stability_html(
    genes: pd.DataFrame, steps: pd.DataFrame, messages: list[str], n_samples: int
) -> str:
    """The page of ``qpcr stability``: the ranking, the geNorm steps, the stability figure
    (inline SVG) and the warnings.

    Parameters
    ----------
    genes
        The ``reference_genes`` table.
    steps
        The ``genorm_steps`` table.
    messages
        Warnings in words.
    n_samples
        Samples ranked.

    Returns
    -------
    str
        A complete HTML document with no external resource.

    Examples
    --------
    >>> genes = pd.DataFrame({"target": ["GAPDH", "ACTB", "B2M"],
    ...                       "normfinder_stability": [0.12, 0.18, 0.35]})
    >>> steps = pd.DataFrame({"genes_left": [3, 2], "mean_m": [0.42, 0.31],
    ...                       "pairwise": ["V2/3", None], "v": [0.08, None]})
    >>> page = stability_html(genes, steps, [], 12)
    >>> page.count("<svg"), "Best first: GAPDH, ACTB, B2M" in page
    (1, True)
    """
    import io

    from .canvas import save_figure
    from .figures import stability_figure

    buffer = io.BytesIO()
    save_figure(stability_figure(genes, steps), "svg", buffer)
    svg = _svg(buffer.getvalue().decode("utf-8"))
    order = ", ".join(str(t) for t in genes["target"])
    header = (f"<p>{n_samples} samples ranked. Best first: {escape_html(order)}.</p>"
              + "".join(f"<p>warning: {escape_html(m)}</p>" for m in messages))  # fmt: skip
    sections = [
        ("ranking", "Candidate reference genes", _frame_table(genes)),
        ("genorm", "geNorm steps", _frame_table(steps)),
        ("figure", "Stability", f'<figure class="fig">{svg}</figure>'),
    ]
    return _page("qpcr stability", header, sections)


def check_html(results: pd.DataFrame, chart_svg: str, title: str) -> str:
    """The page of ``qpcr check --chart FILE.html``: one line per run, the failing rules, every
    rule (sortable) and the control chart (inline SVG).

    Parameters
    ----------
    results
        The check's result rows (``run``, ``rule_id``, ``target``, ``sample``, ``expected``,
        ``observed``, ``status``, ``message``).
    chart_svg
        The control chart as SVG text.
    title
        The page title (the spec's name).

    Returns
    -------
    str
        A complete HTML document with no external resource.

    Examples
    --------
    >>> rows = pd.DataFrame({"run": ["r1", "r1"], "rule_id": ["cq", "ntc"], "target": "MYC",
    ...     "sample": "REF", "expected": ["20 ± 1", "none"], "observed": ["20.2", "34.1"],
    ...     "status": ["pass", "fail"], "message": ["", "an NTC amplified"]})
    >>> page = check_html(rows, "<svg></svg>", "refplate")
    >>> "fail ntc (r1/MYC/REF): an NTC amplified" in page, page.count("<svg")
    (True, 1)
    """
    from ..check import verdict

    per_run = []
    for run, rows in results.groupby("run", sort=False):
        counts = rows["status"].value_counts()
        statuses = {s: int(counts.get(s, 0)) for s in ("fail", "warn", "pass", "skip")}
        per_run.append({"run": run, "verdict": verdict(rows), **statuses})
    bad = results[results["status"].isin(["fail", "warn"])]
    lines = "".join(
        f"<li>{escape_html(str(r['status']))} {escape_html(str(r['rule_id']))} ("
        f"{escape_html('/'.join(str(r[k]) for k in ('run', 'target', 'sample') if r[k]))}): "
        f"{escape_html(str(r['message']))}</li>" for r in records(bad)
    )  # fmt: skip
    columns = ["run", "rule_id", "target", "sample", "expected", "observed", "status"]
    sections = [
        ("runs", "Runs", _frame_table(pd.DataFrame(per_run))),
        ("rules", "Every rule", _frame_table(results[columns].astype(str))),
        ("chart", "Control chart", f'<figure class="fig">{_svg(chart_svg)}</figure>'),
    ]
    header = f"<ul class=verdicts>{lines}</ul>" if lines else "<p>Every rule passed.</p>"
    return _page(f"qpcr check: {title}", header, sections)


def write_html(results: Results, path: Path, svgs: dict[str, str] | None = None) -> Path:
    """Write :func:`report_html` to ``path`` (atomically).

    Parameters
    ----------
    results
        A finished analysis.
    path
        The file to write (``report.html``).
    svgs
        Figure name → SVG text (see :func:`qpcr.report.figures.write_figures`).

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = write_html(example_results(), Path(folder.name) / "report.html")
    >>> "<table" in path.read_text(encoding="utf-8")
    True
    >>> folder.cleanup()
    """
    text = report_html(results, svgs)
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
