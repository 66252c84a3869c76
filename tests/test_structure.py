"""Size limits of the charter: modules under ~600 lines, functions under ~80 lines of code
(a function's docstring, with its numpydoc sections and doctest examples, is not counted).

Every module under ``qpcr/`` is held to the module limit. The function limit is held in the
packages already split by concern (``qpcr/check/``, ``qpcr/cli/``, ``qpcr/io/thermo/``,
``qpcr/stability/``, ``qpcr/stats/``, ``qpcr/template/``, ``qpcr/stages/``); other packages join
the list as they are split, and so do single modules (``pipeline.py``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "qpcr"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
#: Folders (relative to ``qpcr/``) whose every function is held to MAX_FUNCTION_LINES.
FUNCTION_CHECKED = ("check", "cli", "io/thermo", "stability", "stages", "stats", "template")
#: Single modules whose every function is held to MAX_FUNCTION_LINES.
FUNCTION_CHECKED_MODULES = ("pipeline.py", "results.py")
#: Modules over MAX_MODULE_LINES today, each being split by other work; remove an entry once
#: its module is back under the limit. Lines at the time of writing in the comments.
ALLOWED_LONG_MODULES: set[str] = set()


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> list[tuple[str, int]]:
    """(qualified name, lines) of every function, method or nested function over ``limit``
    lines (``def`` line to last line, decorators and the docstring excluded)."""
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = prefix
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}."
                if not isinstance(child, ast.ClassDef):
                    lines = (child.end_lineno or child.lineno) - child.lineno + 1
                    if ast.get_docstring(child, clean=False) is not None:
                        doc = child.body[0]
                        lines -= (doc.end_lineno or doc.lineno) - doc.lineno + 1
                    if lines > limit:
                        found.append((name[:-1], lines))
            visit(child, name)

    visit(ast.parse(source), "")
    return found


SAMPLE = """
def short():
    return 1


class A:
    def method(self):
        a = 1
        b = 2
        return a + b


def outer():
    def inner():
        a = 1
        return a

    return inner


def documented():
    '''A docstring
    over three
    lines.'''
    return 1
"""


def test_long_functions_counts_methods_and_nested_functions() -> None:
    assert long_functions(SAMPLE, limit=3) == [("A.method", 4), ("outer", 6)]
    assert long_functions(SAMPLE, limit=2) == [("A.method", 4), ("outer", 6), ("outer.inner", 3)]
    assert long_functions(SAMPLE, limit=6) == []


def test_long_functions_leaves_out_docstrings() -> None:
    assert ("documented", 2) in long_functions(SAMPLE, limit=1)
    assert "documented" not in dict(long_functions(SAMPLE, limit=2))


def test_modules_stay_under_the_line_limit() -> None:
    sizes = {_name(p): len(p.read_text(encoding="utf-8").splitlines()) for p in _modules()}
    assert sizes, f"no modules found under {PACKAGE}"
    too_long = {
        name: n
        for name, n in sizes.items()
        if n > MAX_MODULE_LINES and name not in ALLOWED_LONG_MODULES
    }
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines (split by concern): {too_long}"


@pytest.mark.parametrize("folder", FUNCTION_CHECKED)
def test_functions_stay_under_the_line_limit(folder: str) -> None:
    paths = sorted((PACKAGE / folder).rglob("*.py"))
    assert len(paths) > 1, f"qpcr/{folder} is not a package"
    too_long = {
        f"{_name(p)}:{name}": n
        for p in paths
        for name, n in long_functions(p.read_text(encoding="utf-8"))
    }
    assert not too_long, (
        f"functions over {MAX_FUNCTION_LINES} lines (break them into named steps): {too_long}"
    )


@pytest.mark.parametrize("module", FUNCTION_CHECKED_MODULES)
def test_module_functions_stay_under_the_line_limit(module: str) -> None:
    too_long = long_functions((PACKAGE / module).read_text(encoding="utf-8"))
    assert not too_long, f"functions over {MAX_FUNCTION_LINES} lines in {module}: {too_long}"
