"""Patterns compiled on first use (:mod:`qpcr.regex`): the same answers as the compiled
pattern, and no compiling before the first use."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from qpcr.io.biorad import QUANTIFICATION, name_prefix
from qpcr.regex import lazy_pattern

PATTERNS = [
    (r"^\s*([+-]?\d+(?:[.,]\d*)?)\s*%\s*$", 0),
    (r"[\s._-]*(layout|results?|exports?|data)$", re.IGNORECASE),
    (r"(a+)(b*)", 0),
]


@given(st.sampled_from(PATTERNS), st.text(alphabet="aAbB1.,%- _\t", max_size=12))
def test_a_lazy_pattern_answers_as_the_compiled_one(source: tuple[str, int], text: str) -> None:
    lazy, compiled = lazy_pattern(*source), re.compile(*source)
    for method in ("match", "fullmatch", "search"):
        got, expected = getattr(lazy, method)(text), getattr(compiled, method)(text)
        assert (got and got.groups()) == (expected and expected.groups())
    assert lazy.sub("x", text) == compiled.sub("x", text)
    assert lazy.split(text) == compiled.split(text)
    assert lazy.findall(text) == compiled.findall(text)
    assert (lazy.pattern, lazy.flags, lazy.groups) == (
        compiled.pattern, compiled.flags, compiled.groups,
    )  # fmt: skip


def test_a_lazy_pattern_compiles_on_first_use_and_keeps_what_it_used() -> None:
    lazy = lazy_pattern(rb"<(\w+:)?(worksheet|document-content)[\s>]")
    assert vars(lazy).keys() == {"_source"}  # nothing compiled yet
    assert lazy.search(b"<x:worksheet>").group(2) == b"worksheet"
    assert vars(lazy)["search"] == re.compile(lazy.pattern).search
    assert "lazy_pattern(re.compile(" in repr(lazy)


def test_a_lazy_pattern_passed_to_a_function_that_uses_its_methods() -> None:
    assert name_prefix("Run 7 - Quantification Cq Results.csv", QUANTIFICATION) == "run 7"
    assert name_prefix("Run 7 - Melt Curve.csv", QUANTIFICATION) is None
