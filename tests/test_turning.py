"""The one turning-point rule of both curve callers (qpcr.calling.turning), at the edges: a
maximum at the first or last column the filter reaches, or at the steepest rise, stays at its
column and is not inside; LinRegPCR's TD0 takes it as a bound of the exponential phase, cpD2
gives no Cq."""

from __future__ import annotations

import numpy as np
import pytest

from qpcr.calling.cpd2 import cpd2
from qpcr.calling.linreg import _turning_points, linreg
from qpcr.calling.turning import turning_point

INF = np.inf
CYCLES = np.arange(1, 41.0)


def _sigmoid(middle: float, slope: float = 1.6) -> np.ndarray:
    return 0.5 + 100 / (1 + np.exp(-(CYCLES - middle) / slope))


def test_an_inside_maximum_is_refined_by_the_parabola_through_its_neighbours() -> None:
    # a, b, c = 1, 3, 2: the parabola's top is 0.5 (a − c) / (a − 2b + c) = 1/6 after b
    column, inside = turning_point(np.array([[-INF, 1.0, 3.0, 2.0, 0.5, -INF]]), np.array([5.0]))
    assert column.tolist() == pytest.approx([2 + 1 / 6])
    assert inside.tolist() == [True]


@pytest.mark.parametrize(
    ("row", "last", "column"),
    [
        ([-INF, 4.0, 3.0, 2.0, 1.0, -INF], 5.0, 1.0),  # the first column the filter reaches
        ([-INF, 1.0, 2.0, 3.0, 4.0, -INF], 5.0, 4.0),  # the last column the filter reaches
        ([-INF, 1.0, 2.0, 3.0, 9.0, -INF], 3.0, 3.0),  # the steepest rise: 9 is not searched
    ],
    ids=["first-column", "last-column", "steepest-rise"],
)
def test_a_maximum_at_an_edge_stays_at_its_column_and_is_not_inside(
    row: list[float], last: float, column: float
) -> None:
    found, inside = turning_point(np.array([row]), np.array([last]))
    assert found.tolist() == [column]
    assert inside.tolist() == [False]


@pytest.mark.parametrize(
    ("row", "last"),
    [
        ([-INF, -1.0, -0.5, -2.0, -INF], 4.0),  # no value above zero
        ([5.0, 1.0, 0.5, 0.2, -INF], 4.0),  # the maximum at column 0
        ([-INF, 1.0, 3.0, 2.0, -INF], float("nan")),  # no steepest rise: nothing searched
    ],
    ids=["not-positive", "column-0", "nothing-searched"],
)
def test_no_turning_point(row: list[float], last: float) -> None:
    found, inside = turning_point(np.array([row]), np.array([last]))
    assert np.isnan(found).all()
    assert not inside.any()


def test_a_curve_whose_acceleration_peaks_at_the_first_cycle_has_neither_window_nor_cpd2() -> None:
    # inflection at cycle 4.5: the smoothed second differences are largest at the first column
    # they reach (column 2): TD0 there leaves no room for a window before it
    values = _sigmoid(4.5)[None, :]
    assert _turning_points(values)[0].tolist() == [2.0]
    found = linreg(values, np.array([0]))
    assert found.steepest.tolist() == [4.0]
    assert not found.amplified[0]
    assert np.isnan(found.window_start[0])
    assert np.isnan(cpd2(values, found.steepest)).all()


def test_a_curve_still_growing_at_the_last_cycle_keeps_its_window_but_gets_no_cpd2() -> None:
    # inflection at cycle 44 of 40: both second derivatives peak at the last column they reach
    # (TD0 at column 37, cycle 38), so the exponential phase lasts at least to there and the
    # curve has a window and a Cq, but its second-derivative maximum lies beyond the run
    late, seen = _sigmoid(44.0), _sigmoid(30.0)
    assert _turning_points(late[None, :])[0].tolist() == [37.0]
    found = linreg(np.array([late, seen]), np.array([0, 1]))
    assert found.amplified.tolist() == [True, True]
    assert found.plateau.tolist() == [False, True]
    assert found.window_end[0] <= 37.0  # within the phase: before column 37 (cycle 38)
    assert found.cq[0] == pytest.approx(33.5, abs=0.05)
    called = cpd2(np.array([late, seen]), found.steepest)
    assert np.isnan(called[0])
    # the sigmoid's second-derivative maximum: 30 − 1.317 × 1.6 = 27.89 (the quartic finds it
    # 0.19 cycles early on such curves: the module docstring)
    assert called[1] == pytest.approx(30 - 1.317 * 1.6, abs=0.25)
