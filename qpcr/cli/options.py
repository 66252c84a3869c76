"""Options shared by the commands: those derived from the settings (:mod:`qpcr.settings`,
:func:`setting_options`), the help layout (:class:`Command`) and the option types several
commands take.

One spelling per setting on every command, older spellings kept as hidden aliases, values read
by the settings-file parser.
"""

import functools
from collections.abc import Callable
from inspect import Parameter, signature
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from ..settings import SETTINGS, AnalysisConfig, Setting, option_value
from . import OPTIONS, user_errors


def _annotation(spec: Setting, hidden: bool = False, help: str | None = None) -> Any:
    """The typer annotation of a setting's option (or of its hidden older spellings); ``help``
    replaces the setting's help where a command uses the setting for something narrower."""
    decls = spec.aliases if hidden else spec.option
    if spec.shape is bool:
        kind: Any = bool | None
        decls = tuple(f"{d}/--no-{d[2:]}" for d in decls)
    elif spec.shape in (int, float):
        kind = spec.shape | None
    elif spec.shape in (str, str | None):
        kind = str | None
    else:
        kind = list[str] | None
    unit = f" In {spec.unit}." if spec.unit and spec.metavar != spec.unit.upper() else ""
    repeat = " Repeatable." if kind == list[str] | None else ""
    text = f"{help or spec.help}{unit}{repeat}"
    info = typer.Option(*decls, help=text, metavar=spec.metavar or None, hidden=hidden,
                        show_default=False)  # fmt: skip
    return Annotated[kind, info]


def setting_options(
    *names: str, help: dict[str, str] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command one option per named setting (``names`` empty: every setting).

    The command receives ``settings``: setting name → the value in settings-file form, for
    the options given (an older spelling counts as its setting's option). ``help``: setting
    name → this command's help text, where it differs from the setting's.
    """
    specs = [s for s in SETTINGS if not names or s.name in names]

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        declared = signature(func, eval_str=True)
        params = [p for p in declared.parameters.values() if p.name != "settings"]
        for spec in specs:
            for suffix, hidden in (("", False), ("_alias", True)):
                if hidden and not spec.aliases:
                    continue
                annotation = _annotation(spec, hidden, (help or {}).get(spec.name))
                params.append(Parameter(spec.name + suffix, Parameter.KEYWORD_ONLY,
                                        default=None, annotation=annotation))  # fmt: skip

        @functools.wraps(func)
        def command(*args: Any, **kwargs: Any) -> Any:
            given = {}
            for spec in specs:
                value, alias = kwargs.pop(spec.name), kwargs.pop(spec.name + "_alias", None)
                if isinstance(value, list) or isinstance(alias, list):
                    value = [*(value or []), *(alias or [])] or None
                value = alias if value is None else value
                if value is not None:
                    with user_errors():
                        given[spec.name] = option_value(spec, value)
            return func(*args, settings=given, **kwargs)

        command.__signature__ = declared.replace(parameters=params)  # type: ignore[attr-defined]
        return command

    return decorate


class Command(TyperCommand):
    """Help with human metavars (``EXPORT...``, not the argument's Python type) and each choice
    setting's choices, looked up only when the help is shown (the vocabularies live in modules
    that import pandas, which ``qpcr --help`` must not)."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = (param.metavar or param.name or "").upper()
                name += "..." if param.nargs != 1 else ""
                pieces.append(name if param.required else f"[{name}]")
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        from ..config import choices, listed

        arguments, options = [], []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = (param.metavar or param.name or "").upper()
                arguments.append((name, getattr(param, "help", None) or ""))
                continue
            record = param.get_help_record(ctx)
            allowed = choices(param.name) if param.name in OPTIONS else ()
            if record and allowed:
                record = (record[0], f"{record[1]} One of: {listed(allowed)}.")
            if record:
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def typed_settings(given: dict[str, Any]) -> dict[str, Any]:
    """The settings given on the command line as typed values (each checked at its option)."""
    from ..config import parse_setting

    return {name: parse_setting(name, value, OPTIONS[name]) for name, value in given.items()}


def with_settings(config: AnalysisConfig, given: dict[str, Any]) -> AnalysisConfig:
    """``config`` with the settings given on the command line (each checked at its option)."""
    return config.with_overrides(**typed_settings(given))


def given_settings(given: dict[str, Any] | None) -> AnalysisConfig:
    """The default settings with those given on the command line (for the commands that take
    a few settings and no settings file)."""
    return with_settings(AnalysisConfig(), given or {})


ExportsArg = Annotated[
    list[Path],
    typer.Argument(help="Instrument export(s) or tidy table(s); the format is detected.",
                   exists=True, dir_okay=False, readable=True, metavar="EXPORT"),
]  # fmt: skip

FormatOpt = Annotated[
    str | None,
    typer.Option("--format", help="Reader name (see 'qpcr formats').", metavar="NAME"),
]

LayoutsOpt = Annotated[
    list[Path] | None,
    typer.Option("--layout", "-l", help="Plate layout (long table or plate grids); one per "
                 "export when the plates differ (repeatable).", exists=True, dir_okay=False,
                 metavar="FILE"),
]  # fmt: skip

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Analysis settings (TOML); the options below override "
                 "them.", exists=True, dir_okay=False, metavar="FILE"),
]  # fmt: skip

QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")]
