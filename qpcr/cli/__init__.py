"""Command-line interface (click). The only package that imports click or rich.

Heavy modules (pandas, scipy, matplotlib, and rich itself) are imported inside the commands so
that ``qpcr --help`` stays fast. A user's mistake (any :class:`qpcr.errors.QpcrError`, or a usage
error such as an unknown option) prints one message on stderr and exits with code 1; anything
else is a bug and keeps its traceback.

This module holds the app, its commands' help layout (:class:`Command`), :func:`main` and the
mapping of the library's error texts to the CLI's options; :mod:`qpcr.cli.options` the options
derived from :mod:`qpcr.settings` and the shared option types; one module per command group
(:mod:`~qpcr.cli.analyze`, :mod:`~qpcr.cli.export_rdml`, :mod:`~qpcr.cli.inspect`,
:mod:`~qpcr.cli.stability`, :mod:`~qpcr.cli.check`, :mod:`~qpcr.cli.template`,
:mod:`~qpcr.cli.batch`, :mod:`~qpcr.cli.curves`, :mod:`~qpcr.cli.serve`) registers its commands
on :data:`app` when it is imported: only when one of its commands is asked for
(:data:`COMMAND_MODULES`), so a command line imports the one command it runs.
"""

import atexit
import contextlib
import os
import sys
from collections.abc import Iterator, MutableMapping
from importlib import import_module
from typing import Any

import click

from ..errors import QpcrError
from ..settings import SETTINGS, choices, listed

__all__ = ["COMMAND_MODULES", "OPTIONS", "app", "main", "user_errors"]

#: Thread-count variables of the BLAS libraries numpy may be built with. The analysis solves
#: least-squares problems a few dozen rows long, where extra BLAS threads only cost: starting
#: OpenBLAS's threads takes about 0.13 s CPU per process, and ``qpcr batch`` already runs one
#: process per core. :func:`main` sets each to 1 unless the user has set it.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class Command(click.Command):
    """Help with human metavars (``EXPORT...``, not the argument's Python type) and each choice
    setting's choices (:func:`qpcr.settings.choices`)."""

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = (param.metavar or param.name or "").upper()
                name += "..." if param.nargs != 1 else ""
                pieces.append(name if param.required else f"[{name}]")
        return pieces

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = (param.metavar or param.name or "").upper()
                arguments.append((name, getattr(param, "help", None) or ""))
                continue
            record = param.get_help_record(ctx)
            if record and param.name in OPTIONS and (allowed := choices(param.name)):
                record = (record[0], f"{record[1]} One of: {listed(allowed)}.")
            if record:
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


#: Each command → the module of this package that registers it, in the order ``qpcr --help``
#: lists them.
COMMAND_MODULES = {
    "analyze": "analyze",
    "batch": "batch",
    "export-rdml": "export_rdml",
    "stability": "stability",
    "inspect": "inspect",
    "formats": "inspect",
    "check": "check",
    "template": "template",
    "serve": "serve",
    "curves": "curves",
}


class _Commands(MutableMapping[str, click.Command]):
    """A group's commands by name: asking for a command imports the module that registers it
    (:data:`COMMAND_MODULES`, about 0.3 ms each with its options); listing them imports them
    all and lists them in that order, then any other command in the order it was added."""

    def __init__(self) -> None:
        self._added: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._added and name in COMMAND_MODULES:
            import_module(f"{__name__}.{COMMAND_MODULES[name]}")
        return self._added[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._added[name] = command

    def __delitem__(self, name: str) -> None:
        del self._added[name]

    def __iter__(self) -> Iterator[str]:
        listed = [name for name in COMMAND_MODULES if name in self]
        return iter([*listed, *(name for name in self._added if name not in listed)])

    def __len__(self) -> int:
        return len(list(iter(self)))


class _Group(click.Group):
    """The commands in the order of :data:`COMMAND_MODULES` (click sorts them by name), each a
    :class:`Command`, each command's module imported when the command is asked for."""

    command_class = Command

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _Commands()

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


def _version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        from .. import __version__

        click.echo(f"qpcr {__version__}")
        ctx.exit()


@click.group(
    "qpcr",
    cls=_Group,
    help="Relative quantification of real-time PCR data: instrument exports in, fold changes "
    "with correct statistics out.",
    no_args_is_help=True,
    context_settings={"show_default": True},  # a setting's option hides its default
)
@click.option("--version", is_flag=True, callback=_version, is_eager=True, expose_value=False,
              help="Show the version.")  # fmt: skip
def app() -> None:
    """Relative quantification of real-time PCR data."""


def stderr() -> Any:
    """A rich console on stderr (messages, progress)."""
    from rich.console import Console

    return Console(stderr=True)


#: The library's spelling of a parameter in error texts → this CLI's option (``where`` fields
#: that are exactly a parameter name, and phrases in messages and hints).
#: The option that sets each setting: the library names settings, the CLI names options.
OPTIONS = {s.name: s.option[0] for s in SETTINGS}
_OPTION_OF_WHERE = {"format": "--format", "plate": "--plate", "targets": "--targets",
                    "method": "--method", **OPTIONS}  # fmt: skip
_OPTION_OF_PHRASE = {
    'format="NAME"': "--format NAME",
    "qpcr.io.formats()": "'qpcr formats'",
    'decimal=","': "--decimal ,",
    'decimal="."': "--decimal .",
    "run=...": "--run ID",
    "force=True": "--force",
    '(reference_genes = ["..."])': '(--reference-genes GENE,... or reference_genes = ["..."])',
    "write_template()": "'qpcr template OUT.xlsx'",
}


def _cli_text(exc: QpcrError) -> str:
    """The error's text with the library's parameter names replaced by CLI options."""
    message, hint = exc.message, exc.hint
    for phrase, option in _OPTION_OF_PHRASE.items():
        message, hint = message.replace(phrase, option), hint.replace(phrase, option)
    return str(QpcrError(message, _OPTION_OF_WHERE.get(exc.where, exc.where), hint))


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn a :class:`QpcrError` into a one-line message on stderr and exit code 1; an
    :class:`~qpcr.errors.InternalError` (a bug) keeps its traceback."""
    from ..errors import InternalError

    try:
        yield
    except QpcrError as exc:
        if isinstance(exc, InternalError):
            raise
        from rich.markup import escape

        text = escape(_cli_text(exc))
        stderr().print(f"[bold red]error:[/] {text}", highlight=False, soft_wrap=True)
        raise click.exceptions.Exit(1) from None


def main(args: list[str] | None = None) -> None:
    """Console-script entry point (``args``: the command line, default ``sys.argv[1:]``).

    A usage error (unknown option, missing argument) exits with code 1 like every other user
    mistake; click, which prints the message, uses 2. BLAS runs on one thread (see
    :data:`BLAS_THREAD_VARIABLES`): this runs before numpy is imported. Run as the program
    (the console script or ``python -m qpcr``, ``args`` None), the process ends without the
    interpreter's teardown (:func:`_exit`).
    """
    for variable in BLAS_THREAD_VARIABLES:
        os.environ.setdefault(variable, "1")
    try:
        app(args=args)
    except SystemExit as exc:
        code = 1 if exc.code == 2 else exc.code
        if args is None and _is_program():
            _exit(code)
        if exc.code == 2:
            raise SystemExit(1) from None
        raise


def _is_program() -> bool:
    """Whether qpcr is the program: run by ``python -m qpcr`` or by the ``qpcr`` console
    script, not called by another program (whose code may go on after ``main``)."""
    program = sys.modules.get("__main__")
    spec = getattr(program, "__spec__", None)
    if spec is not None:
        return bool(spec.name == "qpcr.__main__")
    script = getattr(program, "__file__", None) or ""
    return os.path.basename(script).removesuffix(".py") in ("qpcr", "qpcr-script")


def _exit(code: object) -> None:
    """End the process with ``code`` now, once what an exit does for the user is done: the
    ``atexit`` handlers run (logging, temporary folders, coverage) and stdout and stderr are
    flushed. Every output file is written and closed by then.

    What is skipped is the interpreter's teardown, freeing every module and object one by one:
    about 65 ms CPU after a plate's analysis, 40 of them for numpy and pandas alone (mypy ends
    the same way). Returns, for the usual exit, when a profiler or tracer is attached (they
    report at teardown), another thread still runs (an exit waits for it), the code is not a
    number (Python prints it) or a stream cannot be flushed.
    """
    threading = sys.modules.get("threading")
    if (
        not (code is None or isinstance(code, int))
        or sys.getprofile() is not None
        or sys.gettrace() is not None
        or (threading is not None and threading.active_count() > 1)
    ):
        return
    atexit._run_exitfuncs()  # CPython's own (private) runner of the registered handlers
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # a closed pipe: the usual exit reports it
        return
    os._exit(code or 0)
