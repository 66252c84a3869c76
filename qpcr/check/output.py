"""What a check reports: verdict, exit code, JSON, JUnit XML and the control chart (PNG)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from .history import read_history
from .spec import HistorySettings, Spec
from .westgard import Violation, _series_limits, westgard

__all__ = ["exit_code", "plot_control_chart", "to_json", "to_junit", "verdict"]


def verdict(results: pd.DataFrame) -> str:
    """The verdict over result rows: ``fail`` if any row failed, else ``warn`` if any warned,
    else ``pass``.

    Parameters
    ----------
    results : DataFrame
        Result rows (a ``status`` column).

    Returns
    -------
    str
        ``pass``, ``warn`` or ``fail``.

    Examples
    --------
    >>> import pandas as pd
    >>> verdict(pd.DataFrame({"status": ["pass", "skip", "warn"]}))
    'warn'
    >>> verdict(pd.DataFrame({"status": ["warn", "fail", "pass"]}))
    'fail'
    """
    statuses = set(results["status"])
    return "fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass"


def exit_code(results: pd.DataFrame) -> int:
    """The process exit code of a check.

    Parameters
    ----------
    results : DataFrame
        Result rows (a ``status`` column).

    Returns
    -------
    int
        3 when a fail rule failed, else 0 (warnings do not fail a run).

    Examples
    --------
    >>> import pandas as pd
    >>> exit_code(pd.DataFrame({"status": ["pass", "warn"]}))
    0
    >>> exit_code(pd.DataFrame({"status": ["pass", "fail"]}))
    3
    """
    return 3 if verdict(results) == "fail" else 0


def to_json(results: pd.DataFrame, spec: Spec | None = None) -> str:
    r"""The JSON report of a check.

    Parameters
    ----------
    results : DataFrame
        Result rows (``RESULT_COLUMNS``) of one or more runs.
    spec : Spec, optional
        Its ``source`` is named in the report.

    Returns
    -------
    str
        A JSON object: ``verdict``, ``spec``, ``runs`` (verdict per run), ``counts`` (rows per
        status) and ``results`` (the rows; NaN → null).

    Examples
    --------
    >>> import json
    >>> import pandas as pd
    >>> from qpcr.check import evaluate_rules, parse_spec
    >>> wells = pd.DataFrame({
    ...     "well": ["A1", "A2", "A3", "B1", "B2", "B3"],
    ...     "sample": "REF", "sample_type": "unkn", "cq_status": "ok",
    ...     "target": ["GAPDH"] * 3 + ["MYC"] * 3,
    ...     "cq": [18.0, 18.1, 18.2, 24.4, 24.5, 24.6],
    ... })
    >>> spec = parse_spec(
    ...     '[[rule]]\nid = "dcq-MYC"\ntype = "delta_cq"\ntarget = "MYC"\n'
    ...     'reference_target = "GAPDH"\nexpected = 6.0\ntolerance = 0.3\nseverity = "warn"\n'
    ... )
    >>> results = evaluate_rules(wells, spec, run="run1")
    >>> report = json.loads(to_json(results))
    >>> report["verdict"], report["runs"], report["counts"]
    ('warn', {'run1': 'warn'}, {'pass': 0, 'warn': 1, 'fail': 0, 'skip': 0})
    >>> report["results"][0]["observed"], report["results"][0]["value"]
    ('ΔCq 6.40', 6.4)
    """
    rows = json.loads(results.to_json(orient="records", force_ascii=False))
    runs = {run: verdict(group) for run, group in results.groupby("run", sort=False)}
    report = {
        "verdict": verdict(results),
        "spec": spec.source if spec else None,
        "runs": runs,
        "counts": {
            s: int((results["status"] == s).sum()) for s in ("pass", "warn", "fail", "skip")
        },
        "results": rows,
    }
    return json.dumps(report, indent=2, ensure_ascii=False)


def to_junit(results: pd.DataFrame, name: str = "qpcr check") -> str:
    r"""JUnit XML: one ``testsuite`` per run, one ``testcase`` per result row.

    ``fail`` rows get a ``failure`` element, ``skip`` rows ``skipped``; ``warn`` rows pass
    with the warning in ``system-out`` (CI stays green on warnings). Elements and attributes
    follow Jenkins' ``junit-10.xsd`` (the schema GitLab and Jenkins read); the attributes that
    the Ant/windyroad ``JUnit.xsd`` requires of a testsuite are written as well.

    Parameters
    ----------
    results : DataFrame
        Result rows (``RESULT_COLUMNS``) of one or more runs.
    name : str
        The name of the ``testsuites`` element.

    Returns
    -------
    str
        The XML document.

    Examples
    --------
    >>> import pandas as pd
    >>> from qpcr.check import evaluate_rules, parse_spec
    >>> wells = pd.DataFrame({
    ...     "well": ["A1", "A2", "A3", "B1", "B2", "B3"],
    ...     "sample": "REF", "sample_type": "unkn", "cq_status": "ok",
    ...     "target": ["GAPDH"] * 3 + ["MYC"] * 3,
    ...     "cq": [18.0, 18.1, 18.2, 24.4, 24.5, 24.6],
    ... })
    >>> spec = parse_spec(
    ...     '[[rule]]\nid = "dcq-MYC"\ntype = "delta_cq"\ntarget = "MYC"\n'
    ...     'reference_target = "GAPDH"\nexpected = 6.0\ntolerance = 0.3\nseverity = "warn"\n'
    ... )
    >>> results = evaluate_rules(wells, spec, run="run1")
    >>> print(to_junit(results))
    <?xml version="1.0" encoding="UTF-8"?>
    <testsuites name="qpcr check" tests="1" failures="0" errors="0" time="0">
      <testsuite name="run1" package="qpcr.check" id="0" timestamp="..." hostname="..." time="0"
          tests="1" failures="0" errors="0" skipped="0">
        <testcase name="dcq-MYC [MYC vs GAPDH]" classname="qpcr.check.run1" time="0">
          <system-out>WARNING: expected ΔCq 6.00 ± 0.3; observed ΔCq 6.40. ΔCq of MYC</system-out>
        </testcase>
      </testsuite>
    </testsuites>
    """
    import socket
    import xml.etree.ElementTree as ET

    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    host = socket.gethostname() or "localhost"
    root = ET.Element("testsuites", name=name)
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for i, (run, group) in enumerate(results.groupby("run", sort=False)):
        counts = {
            "tests": len(group),
            "failures": int(group["status"].eq("fail").sum()),
            "errors": 0,
            "skipped": int(group["status"].eq("skip").sum()),
        }
        attributes = {
            "name": str(run),
            "package": "qpcr.check",
            "id": str(i),
            "timestamp": stamp,
            "hostname": host,
            "time": "0",
            **{k: str(v) for k, v in counts.items()},
        }
        suite = ET.SubElement(root, "testsuite", attributes)
        for key in totals:
            totals[key] += counts[key]
        for row in group.itertuples(index=False):
            rule_id = str(row.rule_id)
            label = "/".join(x for x in (row.target, row.sample) if isinstance(x, str) and x)
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{rule_id} [{label}]" if label else rule_id,
                classname=f"qpcr.check.{run}",
                time="0",
            )
            text = f"expected {row.expected}; observed {row.observed}. {row.message}"
            if row.status == "fail":
                failure = ET.SubElement(case, "failure", message=text, type=rule_id)
                failure.text = text
            elif row.status == "skip":
                ET.SubElement(case, "skipped", message=text)
            elif row.status == "warn":
                ET.SubElement(case, "system-out").text = f"WARNING: {text}"
    for key in ("tests", "failures", "errors"):  # junit-10.xsd has no 'skipped' on testsuites
        root.set(key, str(totals[key]))
    root.set("time", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


#: Axis label of each history metric on the control chart.
_UNITS = {"mean_cq": "Cq", "delta_cq": "ΔCq", "efficiency": "efficiency %"}


def plot_control_chart(
    history: pd.DataFrame | str | Path, spec: Spec, out: str | Path, max_panels: int = 12
) -> Path:
    r"""Levey-Jennings chart (PNG): one panel per watched series (metric × target × sample)
    with the established mean, ±1/2/3 SD lines, the baseline runs shaded and the points that
    end a Westgard violation marked with the rule names.

    Parameters
    ----------
    history : DataFrame, str or Path
        The history table (``HISTORY_COLUMNS``) or its file.
    spec : Spec
        Its ``[history]`` settings: watched metrics, baseline, rules, fixed limits.
    out : str or Path
        The PNG file to write.
    max_panels : int
        At most this many series are drawn.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    InputError
        If the history holds no watched values.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from qpcr.check import parse_spec
    >>> spec = parse_spec(
    ...     '[[rule]]\nid = "cq"\ntype = "cq"\ntarget = "GAPDH"\nexpected = 18.0\n'
    ...     'tolerance = 0.5\n[history]\nbaseline_runs = 3\nmetrics = ["mean_cq"]\n'
    ... )
    >>> history = pd.DataFrame({
    ...     "run": ["run1", "run2", "run3", "run4", "run5"], "digest": list("abcde"),
    ...     "recorded_at": "", "metric": "mean_cq", "target": "GAPDH", "sample": "REF",
    ...     "value": [18.0, 18.1, 18.2, 18.1, 18.9],
    ... })
    >>> folder = tempfile.TemporaryDirectory()
    >>> png = plot_control_chart(history, spec, Path(folder.name) / "chart.png")
    >>> png.name, png.read_bytes()[:4]
    ('chart.png', b'\x89PNG')
    >>> folder.cleanup()
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = history if isinstance(history, pd.DataFrame) else read_history(history)
    settings = spec.history
    table = table[table["metric"].isin(settings.metrics)]
    keys = _chart_series(table, settings, max_panels)
    runs = list(dict.fromkeys(zip(table["run"], table["digest"], strict=True)))
    position = {run: i + 1 for i, run in enumerate(runs)}  # shared x: run order in the file
    fig, axes = plt.subplots(
        len(keys), 1, figsize=(10, 2.2 * len(keys) + 1.2), squeeze=False, sharex=True
    )
    for ax, key in zip(axes[:, 0], keys, strict=True):
        _chart_panel(ax, table, key, settings, position)
    _run_axis(axes[-1, 0], runs)
    fig.suptitle(f"{spec.name}: control charts (Westgard violations in red)", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    out = Path(out)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def check_page(results: pd.DataFrame, spec: Spec, history: str | Path, chart: str | Path) -> str:
    r"""The page of ``qpcr check --chart`` and of the web page's check: every run's verdict and
    rules, with the control chart of ``history`` drawn into ``chart`` (an SVG file) and inlined.

    Parameters
    ----------
    results : DataFrame
        Rule results (``RESULT_COLUMNS``) of one or more runs.
    spec : Spec
        The spec they were checked against (its name titles the page; its ``[history]`` the chart).
    history : str or Path
        The history file, with the checked runs appended.
    chart : str or Path
        The SVG file the chart is written to.

    Returns
    -------
    str
        One self-contained HTML page.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from qpcr.check import RESULT_COLUMNS, parse_spec
    >>> spec = parse_spec(
    ...     '[[rule]]\nid = "cq"\ntype = "cq"\ntarget = "GAPDH"\nexpected = 18.0\n'
    ...     'tolerance = 0.5\n[history]\nbaseline_runs = 3\nmetrics = ["mean_cq"]\n'
    ... )
    >>> folder = Path(tempfile.mkdtemp())
    >>> pd.DataFrame({
    ...     "run": ["run1", "run2", "run3", "run4"], "digest": list("abcd"),
    ...     "recorded_at": "", "metric": "mean_cq", "target": "GAPDH", "sample": "REF",
    ...     "value": [18.0, 18.1, 18.2, 18.9],
    ... }).to_csv(folder / "history.csv", index=False)
    >>> page = check_page(
    ...     pd.DataFrame(columns=RESULT_COLUMNS), spec, folder / "history.csv", folder / "chart.svg"
    ... )
    >>> page.startswith("<!DOCTYPE html>"), "<svg" in page, (folder / "chart.svg").exists()
    (True, True, True)
    """
    from ..report.html import check_html

    svg = plot_control_chart(history, spec, chart)
    return check_html(results, svg.read_text(encoding="utf-8"), spec.name)


def _chart_series(
    table: pd.DataFrame, settings: HistorySettings, max_panels: int
) -> list[tuple[str, str, str]]:
    """The watched series (metric, target, sample) to chart, in the order of the metrics."""
    series = table[["metric", "target", "sample"]].dropna().drop_duplicates()
    keys = sorted(
        ((str(m), str(t), str(s)) for m, t, s in series.itertuples(index=False, name=None)),
        key=lambda k: (settings.metrics.index(k[0]), k[1], k[2]),
    )[:max_panels]
    if not keys:
        raise InputError(
            "the history holds no watched values to chart",
            where="--chart",
            hint=f"Run 'qpcr check ... --history FILE' first; watched: {settings.metrics}",
        )
    return keys


def _chart_panel(
    ax: Any,
    table: pd.DataFrame,
    key: tuple[str, str, str],
    settings: HistorySettings,
    position: dict[tuple[str, str], int],
) -> None:
    """One series: its points, its limits and baseline, and its Westgard violations."""
    metric, target, sample = key
    own = table[
        table["metric"].eq(metric) & table["target"].eq(target) & table["sample"].eq(sample)
    ]
    values = own["value"].to_numpy(float)
    x = np.array([position[r] for r in zip(own["run"], own["digest"], strict=True)])
    ax.plot(x, values, "o-", color="#1f4e79", ms=4, lw=1, zorder=3)
    limits = _series_limits(settings, key, values)
    title = f"{_UNITS.get(metric, metric)} · {target}" + (f" · {sample}" if sample else "")
    ax.set_ylabel(_UNITS.get(metric, metric))
    if limits is None:
        ax.set_title(f"{title}  (baseline incomplete: {len(values)}/{settings.baseline_runs})")
        return
    mean, sd, origin = limits
    ax.set_title(f"{title}  (mean {mean:.2f}, SD {sd:.3f}, {origin})", fontsize=10)
    _limit_lines(ax, mean, sd)
    first = 0
    if origin.startswith("first"):
        first = settings.baseline_runs
        ax.axvspan(x[0] - 0.5, x[first - 1] + 0.5, color="0.93", zorder=0)
    _mark_violations(ax, x, values, westgard(values, mean, sd, settings.rules), first, settings)
    low = min(np.nanmin(values), mean - 3.5 * sd)
    high = max(np.nanmax(values), mean + 3.5 * sd)
    ax.set_ylim(low - 0.05 * (high - low), high + 0.15 * (high - low))


def _limit_lines(ax: Any, mean: float, sd: float) -> None:
    """The mean and the ±1, 2 and 3 SD lines, labelled at the right edge."""
    ax.axhline(mean, color="black", lw=1)
    for k, color in ((1, "#9bbb59"), (2, "#f79646"), (3, "#c0504d")):
        for sign in (1, -1):
            ax.axhline(mean + sign * k * sd, color=color, lw=0.9, ls="--")
        ax.annotate(
            f"±{k} SD", (1.0, mean + k * sd), xycoords=("axes fraction", "data"),
            xytext=(3, 0), textcoords="offset points", va="center", fontsize=7, color=color,
        )  # fmt: skip


def _mark_violations(
    ax: Any,
    x: np.ndarray,
    values: np.ndarray,
    violations: list[Violation],
    first: int,
    settings: HistorySettings,
) -> None:
    """Mark the points (from index ``first`` on) that end a violation; name each new rule."""
    marks: dict[int, set[str]] = {}
    for v in violations:
        if v.index >= first:
            marks.setdefault(v.index, set()).add(v.rule)
    for i in sorted(marks):
        ax.plot(x[i], values[i], "o", color="#c0504d", ms=8, zorder=4)
        new = [r for r in settings.rules if r in marks[i] - marks.get(i - 1, set())]
        if new:  # label a rule where it starts firing, not at every point
            ax.annotate(
                ",".join(new), (x[i], values[i]), xytext=(-4, 6),
                textcoords="offset points", ha="right", fontsize=8, color="#c0504d",
            )  # fmt: skip


def _run_axis(bottom: Any, runs: list[tuple[str, str]]) -> None:
    """Run names under the bottom panel (at most about 12 ticks)."""
    ticks = np.arange(1, len(runs) + 1)[:: max(1, -(-len(runs) // 12))]
    bottom.set_xlim(0.5, len(runs) + 0.5)
    bottom.set_xticks(ticks)
    bottom.set_xticklabels([runs[t - 1][0] for t in ticks], rotation=30, ha="right", fontsize=8)
