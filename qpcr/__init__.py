"""qpcr: relative quantification of real-time PCR data.

Python API (imported on first use, so ``import qpcr`` stays light)::

    import qpcr
    wells = qpcr.read_export("run.txt")                  # tidy wells table of any export
    results = qpcr.analyze(["run.txt"], layout="layout.csv",
                           config=qpcr.load_config("analysis.toml"))
    results.fold_changes, results.ratios, results.tables["anova"]

``qpcr.check_run`` evaluates a reference plate against its specification (``qpcr.load_spec``).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_API = {
    "analyze": "qpcr.pipeline",
    "Results": "qpcr.pipeline",
    "AnalysisConfig": "qpcr.config",
    "load_config": "qpcr.config",
    "read_export": "qpcr.io",
    "read_run": "qpcr.io",
    "load_layout": "qpcr.layout",
    "check_run": "qpcr.check",
    "load_spec": "qpcr.check",
    "write_report": "qpcr.report",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    """Import the public API lazily (PEP 562)."""
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'qpcr' has no attribute {name!r}")
