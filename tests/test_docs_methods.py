"""docs/methods.md covers what the code cites: every "methods.md §X" in qpcr/ and tests/ names a
section of it, every worked example (T01-T27) a test cites is defined in it, and every setting is
documented."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from qpcr.config import AnalysisConfig

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "methods.md"

#: "## 2. Quantification", "### 2.6 qBase model ..." -> "2", "2.6"
HEADING = re.compile(r"^(#{2,4})\s+(\d+(?:\.\d+)*)\.?\s+\S", re.MULTILINE)
#: "§2.6", "§2.2-2.7", "§3.3–3.6", "§4.4 item 1"
SECTION = re.compile(r"§\s*(\d+(?:\.\d+)*)(?:\s*[-–]\s*§?(\d+(?:\.\d+)*))?(?:\s+item\s+(\d+))?")
#: a document named before a § on the same line, e.g. "export-formats.md §1"
DOC_NAME = re.compile(r"[\w.-]+\.md\b")
#: "T09", "T17-T22", "T25–T27"
EXAMPLE = re.compile(r"\bT(\d{2})(?:\s*[-–]\s*T(\d{2}))?\b")
#: a worked example's definition in the doc: "**T07.**", "**T26 (dataset ...)**"
DEFINED = re.compile(r"\*\*T(\d{2})[.\s(]")


def _sources(folder: str) -> list[Path]:
    here = Path(__file__).resolve()
    return sorted(p for p in (ROOT / folder).rglob("*.py") if p.resolve() != here)


def _sections(text: str) -> dict[str, str]:
    """Section number -> its text up to the next numbered heading."""
    heads = list(HEADING.finditer(text))
    ends = [m.start() for m in heads[1:]] + [len(text)]
    return {m.group(2): text[m.start() : end] for m, end in zip(heads, ends, strict=True)}


def _expand(first: str, last: str | None) -> list[str]:
    """Range "2.2", "2.5" -> 2.2, 2.3, 2.4, 2.5 (a range over the last component); else the ends."""
    if last is None:
        return [first]
    a, b = first.split("."), last.split(".")
    if len(a) == len(b) and a[:-1] == b[:-1] and int(a[-1]) <= int(b[-1]):
        head = ".".join(a[:-1])
        return [f"{head}.{i}" if head else str(i) for i in range(int(a[-1]), int(b[-1]) + 1)]
    return [first, last]


def methods_citations() -> list[tuple[str, str, str | None]]:
    """(file:line, section, item) for every § citation of methods.md in qpcr/ and tests/.

    A § counts unless the nearest document named before it on the line is another one
    (``export-formats.md §1``); "methods.md §2.6", "methods §2.8" and a bare "§2.0" count.
    """
    found = []
    for path in _sources("qpcr") + _sources("tests"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            for m in SECTION.finditer(line):
                named = DOC_NAME.findall(line[: m.start()])
                if named and named[-1] != "methods.md":
                    continue
                where = f"{path.relative_to(ROOT)}:{number}"
                found += [(where, s, m.group(3)) for s in _expand(m.group(1), m.group(2))]
    return found


def examples_cited_by_tests() -> dict[int, str]:
    """Worked-example number (1..27) -> first test file:line citing it."""
    cited: dict[int, str] = {}
    for path in _sources("tests"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            for m in EXAMPLE.finditer(line):
                first, last = int(m.group(1)), int(m.group(2) or m.group(1))
                for t in range(first, last + 1):
                    if 1 <= t <= 27:
                        cited.setdefault(t, f"{path.relative_to(ROOT)}:{number}")
    return cited


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_helpers_parse_what_the_code_writes() -> None:
    assert _expand("2.2", "2.5") == ["2.2", "2.3", "2.4", "2.5"]
    assert _expand("4", None) == ["4"]
    line = "x (methods.md §2.2-2.4, §3.1) and export-formats.md §7; §4.4 item 2"
    kept = []
    for m in SECTION.finditer(line):
        named = DOC_NAME.findall(line[: m.start()])
        if not named or named[-1] == "methods.md":
            kept += [(s, m.group(3)) for s in _expand(m.group(1), m.group(2))]
    assert kept == [("2.2", None), ("2.3", None), ("2.4", None), ("3.1", None)]
    # after another document's name a bare § belongs to it, so §4.4 above is not counted;
    # on its own line it is
    assert [m.group(1, 3) for m in SECTION.finditer("(§4.4 item 2)")] == [("4.4", "2")]
    sections = _sections("## 2. A\ntext\n### 2.1 B\n1. one\n## 3. C\n")
    assert list(sections) == ["2", "2.1", "3"]
    assert "1. one" in sections["2.1"]


def test_the_code_cites_sections() -> None:
    """Guard against a pattern that silently finds nothing."""
    cited = {s for _, s, _ in methods_citations()}
    assert {"2.0", "2.6", "2.9", "3.3", "4.4"} <= cited


def test_every_cited_section_exists(doc: str) -> None:
    sections = _sections(doc)
    missing = [f"{where}: §{s}" for where, s, _ in methods_citations() if s not in sections]
    assert not missing, "sections cited but absent from docs/methods.md:\n" + "\n".join(missing)


def test_every_cited_item_exists(doc: str) -> None:
    sections = _sections(doc)
    missing = [
        f"{where}: §{s} item {item}"
        for where, s, item in methods_citations()
        if item and not re.search(rf"^\s*{item}\.\s", sections.get(s, ""), re.MULTILINE)
    ]
    assert not missing, "numbered items cited but absent:\n" + "\n".join(missing)


def test_worked_examples_cited_by_tests_are_defined(doc: str) -> None:
    defined = {int(t) for t in DEFINED.findall(doc)}
    cited = examples_cited_by_tests()
    assert len(cited) >= 20  # the suite cites most of them
    missing = [f"{where}: T{t:02d}" for t, where in sorted(cited.items()) if t not in defined]
    assert not missing, "worked examples cited but not defined:\n" + "\n".join(missing)


def test_all_worked_examples_defined_once(doc: str) -> None:
    numbers = [int(t) for t in DEFINED.findall(doc)]
    assert sorted(numbers) == list(range(1, 28))


def test_every_setting_is_documented(doc: str) -> None:
    names = [f.name for f in fields(AnalysisConfig) if f.compare]  # the settings
    absent = [n for n in names if not any(f in doc for f in (f"`{n}`", f"`[{n}]`",
                                                                 f"`[[{n}]]`"))]  # fmt: skip
    assert not absent, f"settings not described in docs/methods.md: {absent}"


@pytest.mark.parametrize(
    ("section", "phrases"),
    [
        ("2.1", ["0.5 cycles"]),
        ("2.5", ["10^(−1/b)", "pooled_efficiency"]),
        ("2.6", ["CNRQ", "IRC", "control-per-plate", "Var(log2 NF)"]),
        ("2.8", ["0.6745", "G_crit", "keep_outliers"]),
        ("2.9", ["ntc_margin", "nondetect_limit", "Isolated non-detect", "NTC"]),
        ("3.2", ["auto", "Welch", "Mann–Whitney", "Permutation"]),
        ("3.3", ["Other genes", "Type II", "interaction"]),
        ("3.5", ["log2 ratio"]),
        ("3.6", ["holm", "bh", "bonferroni", "Family"]),
        ("4.1", ["V_{n/n+1}", "0.15"]),
        ("4.2", ["γ²", "ρ"]),
        ("4.4", ["GAPDH", "ACTB", "TBP"]),
    ],
)
def test_cited_sections_hold_their_subject(doc: str, section: str, phrases: list[str]) -> None:
    body = _sections(doc)[section]
    assert [p for p in phrases if p not in body] == []


def test_departures_section_is_last(doc: str) -> None:
    last = [m for m in HEADING.finditer(doc) if m.group(1) == "##"][-1]
    assert "Departures" in doc[last.start() : doc.index("\n", last.start())]
