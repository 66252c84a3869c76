"""Shared fixtures and the hypothesis profile used in CI."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def methods_wide() -> pd.DataFrame:
    """methods.md §2.0's shared worked dataset (synthetic): mean Cq, samples × genes, columns
    in the order of the document."""
    long = pd.read_csv(DATA / "methods" / "dataset_2_0.csv")
    wide = long.pivot(index="sample", columns="target", values="cq")
    return wide.loc[long["sample"].unique(), long["target"].unique()]


@pytest.fixture
def data_dir() -> Path:
    """Folder of test fixtures."""
    return DATA


@pytest.fixture(scope="session")
def write_plates() -> Callable[[Path, int], list[Path]]:
    """``benchmarks/plates.py``'s generator: ``write_plates(folder, count)`` writes that many
    384-well QuantStudio exports with their layout.csv and analysis.toml."""
    path = Path(__file__).parents[1] / "benchmarks" / "plates.py"
    spec = importlib.util.spec_from_file_location("plates", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_plates
