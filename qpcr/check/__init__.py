"""Automated checks of reference plates against a TOML specification (``qpcr check``).

A *spec* (:mod:`.spec`) lists rules; each rule has an ``id``, a ``type``, a ``severity``
(``fail`` or ``warn``) and a human ``message``. :func:`check_run` (:mod:`.run`) evaluates every
rule on one run (:mod:`.rules`) and returns a results table with one row per rule evaluation
(``run, rule_id, severity, target, sample, expected, observed, value, status, message``;
``status`` is ``pass``, ``warn``, ``fail`` or ``skip``).

With a history file (:mod:`.history`), each run's key values (mean Cq per target × sample, ΔCq
of every ``delta_cq`` rule, efficiency per target, number of amplified NTC wells) are appended
to it and the series are judged with Levey-Jennings limits and Westgard rules
(:func:`westgard`, :mod:`.westgard`); the violations are result rows like any other. The file
format is documented in ``docs/reference-plates.md``.

:mod:`.output` turns results into a verdict, an exit code, JSON, JUnit XML and control charts;
:mod:`.init_spec` writes a starting spec from good runs.

Examples
--------
Four runs of a reference plate, judged against a spec and against the history of the runs: the
first three set the Levey-Jennings limits, the fourth ran 0.5 cycles late.

>>> import tempfile
>>> from pathlib import Path
>>> import pandas as pd
>>> from qpcr.check import check_run, exit_code, parse_spec, read_history
>>> wells = pd.DataFrame({
...     "well": ["A1", "A2", "A3", "B1", "B2", "B3"],
...     "sample": "REF", "sample_type": "unkn", "cq_status": "ok",
...     "target": ["GAPDH"] * 3 + ["MYC"] * 3,
...     "cq": [18.0, 18.1, 18.2, 24.4, 24.5, 24.6],
... })
>>> spec = parse_spec('''
... [[rule]]
... id = "cq-GAPDH"
... type = "cq"
... target = "GAPDH"
... sample = "REF"
... expected = 18.0
... tolerance = 0.5
...
... [history]
... baseline_runs = 3
... metrics = ["mean_cq"]
... rules = ["1-3s"]
... ''')
>>> folder = tempfile.TemporaryDirectory()
>>> history = Path(folder.name) / "history.csv"
>>> for i, shift in enumerate([0.0, 0.1, -0.1, 0.5]):
...     shifted = wells.assign(cq=wells["cq"] + shift)
...     results = check_run(shifted, spec, history=history, run=f"run{i + 1}")
>>> results[["run", "rule_id", "target", "status", "observed"]]
    run                rule_id target status         observed
0  run4               cq-GAPDH  GAPDH   fail      18.60 (n=3)
1  run4  westgard-1-3s/mean_cq  GAPDH   fail  18.60 (z +5.00)
2  run4  westgard-1-3s/mean_cq    MYC   fail  25.00 (z +5.00)
>>> exit_code(results), len(read_history(history))
(3, 8)
>>> folder.cleanup()
"""

from .history import HISTORY_COLUMNS, append_history, read_history, run_values
from .init_spec import init_spec
from .output import check_page, exit_code, plot_control_chart, to_json, to_junit, verdict
from .rules import RESULT_COLUMNS, evaluate_rules
from .run import check_run, collect_exports, history_key
from .spec import RULE_TYPES, WESTGARD_RULES, HistorySettings, Rule, Spec, load_spec, parse_spec
from .westgard import Violation, westgard

__all__ = [
    "HISTORY_COLUMNS",
    "RESULT_COLUMNS",
    "RULE_TYPES",
    "WESTGARD_RULES",
    "HistorySettings",
    "Rule",
    "Spec",
    "Violation",
    "append_history",
    "check_page",
    "check_run",
    "collect_exports",
    "evaluate_rules",
    "exit_code",
    "history_key",
    "init_spec",
    "load_spec",
    "parse_spec",
    "plot_control_chart",
    "read_history",
    "run_values",
    "to_json",
    "to_junit",
    "verdict",
    "westgard",
]
