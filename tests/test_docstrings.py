"""Every public function of ``qpcr`` shows a worked example (issue 10 item 6).

A public function is one named in the module's ``__all__`` (and defined there), or, in a module
without ``__all__``, any module-level function whose name has no leading underscore. Its
docstring must have an ``Examples`` section with at least one ``>>>`` line; pytest runs those
examples as doctests (``--doctest-modules``), so the output shown is the output the call gives.

The modules are read with :mod:`ast`, not imported: the check costs nothing and cannot be
fooled by import-time side effects.

Exempt:

* ``qpcr/cli/``: the command functions are documented by ``qpcr <command> --help`` and run by
  the CLI tests (``click.testing.CliRunner``); a doctest would only repeat those.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "qpcr"
#: Folders (relative to ``qpcr/``) whose functions need no example (see the module docstring).
EXEMPT_FOLDERS = ("cli",)


def public_functions(source: str) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """The public module-level functions of ``source`` by name (see the module docstring)."""
    tree = ast.parse(source)
    functions = {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    assigned = {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    if "__all__" not in assigned:
        return {name: f for name, f in functions.items() if not name.startswith("_")}
    exported = _names(assigned["__all__"], assigned)
    return {name: f for name, f in functions.items() if name in exported}


def _names(value: ast.expr, assigned: dict[str, ast.expr]) -> set[str]:
    """The names a literal ``__all__`` lists; ``*NAME`` unpacks a module-level list, tuple, set
    or dict (its keys) assigned to NAME (``__all__ = ["__version__", *_API]``)."""
    if isinstance(value, ast.Dict):
        return {ast.literal_eval(key) for key in value.keys if key is not None}
    if not isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        raise ValueError(f"__all__ is not a literal list: {ast.dump(value)}")
    names = set()
    for element in value.elts:
        if isinstance(element, ast.Starred) and isinstance(element.value, ast.Name):
            names |= _names(assigned[element.value.id], assigned)
        else:
            names.add(ast.literal_eval(element))
    return names


def without_examples(source: str) -> list[str]:
    """The public functions of ``source`` whose docstring lacks ``Examples`` or ``>>>``."""
    missing = []
    for name, function in public_functions(source).items():
        doc = ast.get_docstring(function) or ""
        if "Examples" not in doc or ">>>" not in doc:
            missing.append(name)
    return missing


def _checked(path: Path) -> bool:
    name = path.relative_to(PACKAGE).as_posix()
    return not name.startswith(tuple(f"{folder}/" for folder in EXEMPT_FOLDERS))


SAMPLE = '''
__all__ = ["shown", "bare", "no_output"]


def shown():
    """Examples
    --------
    >>> shown()
    1
    """
    return 1


def bare():
    """No example."""


def no_output():
    """Examples: none given."""


def helper():
    """Public by name, but not in __all__."""
'''


def test_public_functions_follow_all_or_the_underscore_rule() -> None:
    assert sorted(public_functions(SAMPLE)) == ["bare", "no_output", "shown"]
    without_all = SAMPLE.replace("__all__", "_listed")
    assert sorted(public_functions(without_all)) == ["bare", "helper", "no_output", "shown"]
    assert public_functions("def _private():\n    pass\n") == {}


def test_all_may_unpack_a_module_level_collection() -> None:
    source = '_API = {"run": "m"}\n__all__ = ["x", *_API]\ndef run(): pass\ndef other(): pass\n'
    assert list(public_functions(source)) == ["run"]


def test_without_examples_needs_both_the_section_and_a_prompt() -> None:
    assert without_examples(SAMPLE) == ["bare", "no_output"]


def test_every_public_function_has_an_example() -> None:
    paths = [p for p in sorted(PACKAGE.rglob("*.py")) if _checked(p)]
    assert len(paths) > 40, f"too few modules found under {PACKAGE}"
    checked = sum(len(public_functions(p.read_text(encoding="utf-8"))) for p in paths)
    assert checked > 100, f"only {checked} public functions found"
    missing = [
        f"{p.relative_to(PACKAGE).as_posix()}: {name}"
        for p in paths
        for name in without_examples(p.read_text(encoding="utf-8"))
    ]
    assert not missing, (
        "public functions without an Examples section with a >>> example (numpydoc; pytest "
        "runs it as a doctest):\n  " + "\n  ".join(missing)
    )
