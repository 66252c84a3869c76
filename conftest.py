"""Names the docstring examples of ``qpcr.report`` share (pytest runs the examples as doctests).

``example_results()`` is a small finished analysis, built once per test session: six samples
(three normoxia, three hypoxia; each sample its own biological replicate), the targets MYC and
HIF1A normalised to GAPDH, and the ratio MYC/HIF1A.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest

#: sample, oxygen, MYC Cq, HIF1A Cq (GAPDH is 18.0 throughout).
_EXAMPLE_SAMPLES = (
    ("n1", "normoxia", 24.0, 26.0),
    ("n2", "normoxia", 24.2, 26.1),
    ("n3", "normoxia", 23.9, 25.8),
    ("h1", "hypoxia", 22.1, 24.0),
    ("h2", "hypoxia", 22.3, 24.4),
    ("h3", "hypoxia", 21.8, 23.9),
)


@cache
def example_results() -> Any:
    """The analysis of a tidy table written from ``_EXAMPLE_SAMPLES``."""
    from qpcr.config import from_mapping
    from qpcr.pipeline import analyze

    rows = ["sample,target,cq,oxygen"]
    for sample, oxygen, myc, hif in _EXAMPLE_SAMPLES:
        rows += [f"{sample},{t},{cq},{oxygen}" for t, cq in (("GAPDH", 18.0), ("MYC", myc),
                                                             ("HIF1A", hif))]  # fmt: skip
    config = from_mapping(
        {
            "reference_genes": ["GAPDH"],
            "control": {"oxygen": "normoxia"},
            "ratios": {"MYC/HIF1A": ["MYC", "HIF1A"]},
        }
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run.csv"
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        return analyze([path], config=config)


@pytest.fixture(autouse=True)
def _report_examples(doctest_namespace: dict[str, Any]) -> None:
    doctest_namespace["example_results"] = example_results
