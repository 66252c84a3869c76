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
"""

from .history import HISTORY_COLUMNS, append_history, read_history, run_values
from .init_spec import init_spec
from .output import exit_code, plot_control_chart, to_json, to_junit, verdict
from .rules import RESULT_COLUMNS, evaluate_rules
from .run import check_run, collect_exports
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
    "check_run",
    "collect_exports",
    "evaluate_rules",
    "exit_code",
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
