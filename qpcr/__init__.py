"""qpcr: relative quantification of real-time PCR data.

Python API (imported on first use, so ``import qpcr`` stays light)::

    import qpcr
    wells = qpcr.read_export("run.txt")                  # tidy wells table of any export
    results = qpcr.analyze(["run.txt"], layout="layout.csv",
                           config=qpcr.load_config("analysis.toml"))
    results.fold_changes, results.ratios, results.tables["anova"]

``qpcr.read_curves("run.rdml")`` gives the amplification and melt curves of an export as one
tidy table; ``qpcr.call_cq(curves)`` calls Cq, efficiency and N0 from its amplification
curves, and ``qpcr.melt_peaks(curves)`` its melt peaks (Tm, products, primer-dimers) per well.
``qpcr.run_batch`` analyses many plates, each on its own, into one CSV per table.
``qpcr.check_run`` evaluates a reference plate against its specification (``qpcr.load_spec``).
``qpcr.single_copy_cq`` measures an assay's single-copy Cq on a limiting-dilution plate.

Examples
--------
The names are listed without importing the modules behind them; the first use imports one:

>>> import qpcr
>>> [name for name in dir(qpcr) if not name.startswith("_")]
['AnalysisConfig', 'Results', 'adjust', 'analyze', 'call_cq', 'check_run', 'compare',
 'load_config', 'load_layout', 'load_spec', 'melt_peaks', 'quality', 'quantify', 'read_curves',
 'read_export', 'read_run', 'read_wells', 'run_batch', 'single_copy_cq', 'write_report']
>>> config = qpcr.AnalysisConfig(reference_genes=("GAPDH", "ACTB"))
>>> config.reference_genes, config.adjust, config.alpha
(('GAPDH', 'ACTB'), 'holm', 0.05)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> module that defines it, imported on first attribute access. The
#: ``TYPE_CHECKING`` imports below list the same names for type checkers (a test keeps the two
#: in step).
_API = {
    "analyze": "qpcr.pipeline",
    "Results": "qpcr.results",
    "read_wells": "qpcr.pipeline",
    "quality": "qpcr.stages.quality",
    "quantify": "qpcr.stages.quantify",
    "compare": "qpcr.stages.comparisons",
    "adjust": "qpcr.stages.comparisons",
    "AnalysisConfig": "qpcr.config",
    "load_config": "qpcr.config",
    "read_export": "qpcr.io",
    "read_run": "qpcr.io",
    "read_curves": "qpcr.io.curves",
    "call_cq": "qpcr.calling",
    "melt_peaks": "qpcr.melt",
    "load_layout": "qpcr.layout",
    "check_run": "qpcr.check",
    "load_spec": "qpcr.check",
    "write_report": "qpcr.report",
    "run_batch": "qpcr.batch",
    "single_copy_cq": "qpcr.dilution",
}

if TYPE_CHECKING:  # "import X as X": an explicit re-export
    from qpcr.batch import run_batch as run_batch
    from qpcr.calling import call_cq as call_cq
    from qpcr.check import check_run as check_run
    from qpcr.check import load_spec as load_spec
    from qpcr.config import AnalysisConfig as AnalysisConfig
    from qpcr.config import load_config as load_config
    from qpcr.dilution import single_copy_cq as single_copy_cq
    from qpcr.io import read_export as read_export
    from qpcr.io import read_run as read_run
    from qpcr.io.curves import read_curves as read_curves
    from qpcr.layout import load_layout as load_layout
    from qpcr.melt import melt_peaks as melt_peaks
    from qpcr.pipeline import analyze as analyze
    from qpcr.pipeline import read_wells as read_wells
    from qpcr.report import write_report as write_report
    from qpcr.results import Results as Results
    from qpcr.stages.comparisons import adjust as adjust
    from qpcr.stages.comparisons import compare as compare
    from qpcr.stages.quality import quality as quality
    from qpcr.stages.quantify import quantify as quantify

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    """Import the public API lazily (PEP 562)."""
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'qpcr' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public API (imported or not) and the module's dunder names: what ``dir(qpcr)``
    lists."""
    return sorted({*__all__, *(name for name in globals() if name.startswith("__"))})
