"""Options shared by the commands: those derived from the settings (:mod:`qpcr.settings`,
:func:`setting_options`) and the arguments, options and types several commands take.

One spelling per setting on every command, older spellings kept as hidden aliases, values read
by the settings-file parser.
"""

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from ..settings import SETTINGS, AnalysisConfig, Setting, option_value
from . import OPTIONS, user_errors


def listed_values(ctx: click.Context, param: click.Parameter, value: Any) -> list[Any] | None:
    """A repeatable option's or a variadic argument's values as a list; None when none given."""
    return list(value) or None


class Argument(click.Argument):
    """An argument with a help text (listed under "Arguments" by :class:`qpcr.cli.Command`); its
    metavar in messages is its name, as in the usage line."""

    def __init__(self, decls: Sequence[str], help: str = "", **attrs: Any) -> None:
        super().__init__(decls, **attrs)
        self.help = help

    def make_metavar(self, ctx: click.Context) -> str:
        return (self.metavar or self.name or "").upper()


def argument(*decls: str, help: str, **attrs: Any) -> Callable[[Any], Any]:
    """A command argument with a help text (``nargs=-1``: a list, None when none given)."""
    if attrs.get("nargs") == -1:
        attrs.setdefault("callback", listed_values)
    return click.argument(*decls, cls=Argument, help=help, **attrs)


def path(exists: bool = False, dir_okay: bool = True, readable: bool = True) -> click.Path:
    """A path parameter's type: a :class:`~pathlib.Path`, checked by click before the command
    runs (``exists``: the file must exist; ``dir_okay``: a folder is accepted)."""
    return click.Path(exists=exists, dir_okay=dir_okay, readable=readable, path_type=Path)


def _setting_option(spec: Setting, hidden: bool = False, help: str | None = None) -> Any:
    """The option of a setting (or of its hidden older spellings); ``help`` replaces the
    setting's help where a command uses the setting for something narrower."""
    decls = spec.aliases if hidden else spec.option
    name = spec.name + ("_alias" if hidden else "")
    attrs: dict[str, Any] = {}
    if spec.shape is bool:
        decls = tuple(f"{d}/--no-{d[2:]}" for d in decls)
    elif spec.shape in (int, float):
        attrs["type"] = spec.shape
    elif spec.shape not in (str, str | None):
        attrs.update(multiple=True, callback=listed_values)
    unit = f" In {spec.unit}." if spec.unit and spec.metavar != spec.unit.upper() else ""
    repeat = " Repeatable." if attrs.get("multiple") else ""
    text = f"{help or spec.help}{unit}{repeat}"
    return click.option(*decls, name, default=None, help=text, metavar=spec.metavar or None,
                        hidden=hidden, show_default=False, **attrs)  # fmt: skip


def setting_options(
    *names: str, help: dict[str, str] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command one option per named setting (``names`` empty: every setting), after
    its own options (put it nearest the function, below the command's other options).

    The command receives ``settings``: setting name → the value in settings-file form, for
    the options given (an older spelling counts as its setting's option). ``help``: setting
    name → this command's help text, where it differs from the setting's.
    """
    specs = [s for s in SETTINGS if not names or s.name in names]

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def command(*args: Any, **kwargs: Any) -> Any:
            given = {}
            for spec in specs:
                value, alias = kwargs.pop(spec.name), kwargs.pop(spec.name + "_alias", None)
                if value is not None and alias is not None:
                    with user_errors():
                        raise _both_spellings(spec)
                if isinstance(value, list) or isinstance(alias, list):
                    value = [*(value or []), *(alias or [])] or None
                value = alias if value is None else value
                if value is not None:
                    with user_errors():
                        given[spec.name] = option_value(spec, value)
            return func(*args, settings=given, **kwargs)

        # click lists the options of decorators from the top down: those applied first, last
        for spec in reversed(specs):
            text = (help or {}).get(spec.name)
            if spec.aliases:
                command = _setting_option(spec, True, text)(command)
            command = _setting_option(spec, False, text)(command)
        return command

    return decorate


def _both_spellings(spec: Setting) -> Exception:
    """A setting given in its current and an older spelling: which order, or which value, was
    meant cannot be told (for reference genes the first one matters)."""
    from ..errors import ConfigError

    return ConfigError(
        f"given as {spec.option[0]} and as its older spelling {' / '.join(spec.aliases)}; "
        "expected one spelling",
        spec.option[0],
        f"Give every value with {spec.option[0]}, in the order you mean.",
    )


def typed_settings(given: dict[str, Any]) -> dict[str, Any]:
    """The settings given on the command line as typed values (each checked at its option)."""
    from ..config import parse_setting

    return {name: parse_setting(name, value, OPTIONS[name]) for name, value in given.items()}


def given_at(given: dict[str, Any]) -> dict[str, str]:
    """The option of each setting given on the command line: where messages say it was given
    (:meth:`~qpcr.settings.AnalysisConfig.where`)."""
    return {name: OPTIONS[name] for name in given}


def with_settings(config: AnalysisConfig, given: dict[str, Any]) -> AnalysisConfig:
    """``config`` with the settings given on the command line (each checked at its option)."""
    return config.with_overrides(given_at(given), **typed_settings(given))


def given_settings(given: dict[str, Any] | None) -> AnalysisConfig:
    """The default settings with those given on the command line (for the commands that take
    a few settings and no settings file)."""
    return with_settings(AnalysisConfig(), given or {})


#: The instrument exports most commands read.
exports_argument = argument("exports", nargs=-1, required=True, type=path(True, dir_okay=False),
                            metavar="EXPORT", help="Instrument export(s) or tidy table(s); "
                            "the format is detected.")  # fmt: skip

format_option = click.option("--format", help="Reader name (see 'qpcr formats').", metavar="NAME")

layouts_option = click.option(
    "--layout", "-l", type=path(True, dir_okay=False), multiple=True, callback=listed_values,
    metavar="FILE", help="Plate layout (long table or plate grids); one per export when the "
    "plates differ (repeatable).",
)  # fmt: skip

config_option = click.option(
    "--config", "-c", type=path(True, dir_okay=False), metavar="FILE",
    help="Analysis settings (TOML); the options below override them.",
)  # fmt: skip

quiet_option = click.option("--quiet", "-q", is_flag=True, help="Print nothing on success.")


def out_option(
    default: str | None, help: str = "Output folder.", metavar: str = "DIR", dir_okay: bool = True
) -> Any:
    """``--out``/``-o``: where the command writes (``default`` None: a required option)."""
    return click.option("--out", "-o", type=path(dir_okay=dir_okay), default=default,
                        required=default is None, metavar=metavar, help=help)  # fmt: skip


def force_option(help: str = "Replace earlier results in --out.") -> Any:
    """``--force``: replace what an earlier run wrote."""
    return click.option("--force", is_flag=True, help=help)
