"""The format registry as an extension point: unique names, crashing sniffers, sniff results
handed to readers, validation of what readers return, and the documented toy format."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from qpcr.cli import app
from qpcr.errors import (
    AmbiguousFormatError,
    DuplicateRegistrationError,
    FormatWarning,
    InputError,
    InternalError,
    ReaderOutputError,
    UnrecognizedFormatError,
)
from qpcr.io import biorad, registry
from qpcr.io.registry import (
    Export,
    ExportFormat,
    FileSample,
    RunInfo,
    detect,
    formats,
    read_run,
    register,
    registered,
    unregister,
)
from qpcr.schema import check_wells

EXPORTS = Path(__file__).parent / "data" / "exports"
BIORAD = EXPORTS / "biorad"
BIORAD_CSV = BIORAD / "biorad_cfx_connect_synthetic-Quantification-Cq-Results.csv"
BIORAD_XLSX = BIORAD / "biorad_maestro_synthetic_backslash_zip-Quantification-Cq-Results.xlsx"
MAGIC = "# spy-format"


def _wells(**overrides: Any) -> pd.DataFrame:
    """A valid two-row wells table, with columns replaced by ``overrides``."""
    table = pd.DataFrame(
        {
            "well": ["A1", "A2"],
            "sample": ["S1", "S1"],
            "target": ["GAPDH", "MYC"],
            "sample_type": ["unkn", "unkn"],
            "cq": [21.5, np.nan],
            "cq_status": ["ok", "undetermined"],
        }
    )
    for column, values in overrides.items():
        if values is None:
            table = table.drop(columns=column)
        else:
            table[column] = values
    return table


def _toy(
    name: str = "spy", sniff: Any = None, read: Any = None, wells: pd.DataFrame | None = None
) -> ExportFormat:
    """A format claiming files whose first line is MAGIC and returning ``wells``."""

    def default_sniff(sample: FileSample) -> bool:
        return sample.lines[:1] == [MAGIC]

    def default_read(path: Path, sample: FileSample) -> Export:
        return Export(wells=_wells() if wells is None else wells, info=RunInfo(str(path), name))

    return ExportFormat(name, "toy", "first line '# spy-format'",
                        sniff or default_sniff, read or default_read)  # fmt: skip


@pytest.fixture
def spy_file(tmp_path: Path) -> Path:
    path = tmp_path / "run.spy"
    path.write_text(f"{MAGIC}\nA1 S1 GAPDH 21.5\n")
    return path


@pytest.fixture
def unknown_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\neggs\n")
    return path


# 1. a name is registered once --------------------------------------------------------------


def test_a_builtin_name_cannot_be_registered_again() -> None:
    tidy = next(f for f in formats() if f.name == "tidy")
    with pytest.raises(DuplicateRegistrationError, match="format name 'tidy' is taken") as info:
        register(_toy("tidy"))
    assert "by qpcr.io.tidy" in str(info.value)
    assert not isinstance(info.value, InputError)  # a programming error, not the user's
    assert isinstance(info.value, InternalError)
    assert next(f for f in formats() if f.name == "tidy") is tidy  # the original is kept


def test_a_plugin_name_cannot_be_registered_twice_and_auto_is_reserved() -> None:
    with registered(_toy("spy")), pytest.raises(DuplicateRegistrationError):
        register(_toy("spy"))
    with pytest.raises(DuplicateRegistrationError, match="'auto' is taken \\(for detection\\)"):
        register(_toy("auto"))
    assert "auto" not in {f.name for f in formats()}


def test_registered_unregisters_even_when_the_block_raises() -> None:
    before = [f.name for f in formats()]
    seen: list[list[str]] = []

    def body() -> None:
        with registered(_toy("spy")):
            seen.append([f.name for f in formats()])
            raise RuntimeError("inside")

    with pytest.raises(RuntimeError, match="inside"):
        body()
    assert seen == [[*before, "spy"]]
    assert [f.name for f in formats()] == before
    with pytest.raises(InternalError, match="no format named 'spy' is registered"):
        unregister("spy")


def test_unregister_returns_the_format_and_register_restores_it() -> None:
    fmt = register(_toy("spy"))
    assert unregister("spy") is fmt
    assert "spy" not in {f.name for f in formats()}


# 2. a crashing sniffer warns and does not claim --------------------------------------------


def _crashing(exc: BaseException) -> ExportFormat:
    def sniff(sample: FileSample) -> bool:
        raise exc

    return _toy("crashy", sniff=sniff)


#: What python-calamine raises on a Rust panic: pyo3_runtime.PanicException(BaseException).
PanicException = type("PanicException", (BaseException,), {"__module__": "pyo3_runtime"})


@pytest.mark.parametrize(
    ("exc", "shown"),
    [(ValueError("boom"), "ValueError: boom"),
     (PanicException("index out of bounds"), "PanicException: index out of bounds")],
)  # fmt: skip
def test_a_crashing_sniffer_warns_and_another_format_still_claims(
    exc: BaseException, shown: str
) -> None:
    with registered(_crashing(exc)), pytest.warns(FormatWarning) as caught:
        found = detect(BIORAD_CSV)
    assert found.name == "biorad"
    [warning] = [w for w in caught if "crashy" in str(w.message)]
    text = str(warning.message)
    assert f"reader 'crashy' crashed while sniffing it ({shown})" in text
    assert text.startswith(str(BIORAD_CSV))
    assert "treated as not 'crashy'" in text


def test_no_claimant_names_the_crashed_sniffer(unknown_file: Path) -> None:
    crashy = registered(_crashing(KeyError("sheet")))
    with crashy, pytest.warns(FormatWarning), pytest.raises(UnrecognizedFormatError) as info:
        read_run(unknown_file)
    message = str(info.value)
    assert "not a supported export (a text file starting 'shopping list')" in message
    assert "reader 'crashy' crashed while sniffing it (KeyError: 'sheet')" in message


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), SystemExit(3)])
def test_interrupts_from_a_sniffer_are_not_swallowed(exc: BaseException) -> None:
    with registered(_crashing(exc)), pytest.raises(type(exc)):
        detect(BIORAD_CSV)


def test_file_sample_views_survive_a_calamine_panic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import python_calamine

    def panic(source: object) -> None:
        raise PanicException("calamine panicked")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", panic)
    sample = FileSample(BIORAD_XLSX)
    assert sample.sheet_names == []
    assert sample.sheet_head("Sheet1") == []
    with warnings.catch_warnings():
        warnings.simplefilter("error", FormatWarning)  # no reader sees a sheet: no crash
        with pytest.raises(UnrecognizedFormatError):
            detect(BIORAD_XLSX)


def test_a_rust_panic_is_recognised_by_name_and_module() -> None:
    assert registry.is_rust_panic(PanicException("x"))
    assert not registry.is_rust_panic(type("PanicException", (Exception,), {})("x"))
    assert not registry.is_rust_panic(KeyboardInterrupt())


# 3. sniff results are handed to the reader -------------------------------------------------


class _Spy:
    """A format whose sniffer returns ``result`` and whose reader records ``sniffed``."""

    def __init__(self, result: object) -> None:
        self.result = result
        self.received: list[object] = []

    def sniff(self, sample: FileSample) -> object:
        return self.result if sample.lines[:1] == [MAGIC] else False

    def read(self, path: Path, sample: FileSample, sniffed: object = None) -> Export:
        self.received.append(sniffed)
        return Export(wells=_wells(), info=RunInfo(str(path), "spy"))


@pytest.mark.parametrize(
    ("result", "expected"), [({"variant": "v2", "sep": "\t"}, {"variant": "v2", "sep": "\t"}),
                             (("cq", "Sheet1"), ("cq", "Sheet1")), (True, None)],
)  # fmt: skip
def test_the_reader_receives_what_its_sniffer_returned(
    spy_file: Path, result: object, expected: object
) -> None:
    spy = _Spy(result)
    with registered(_toy("spy", sniff=spy.sniff, read=spy.read)):
        read_run(spy_file)
        read_run(spy_file, format="spy")  # named format: the sniffer did not run
    assert spy.received == [expected, None]


def test_a_reader_without_sniffed_gets_two_arguments(spy_file: Path) -> None:
    calls: list[tuple[object, ...]] = []

    def read(*args: object) -> Export:
        calls.append(args)
        return Export(wells=_wells(), info=RunInfo(str(spy_file), "spy"))

    with registered(_toy("spy", sniff=lambda s: {"found": 1}, read=read)) as fmt:
        assert not fmt.takes_sniffed
        with pytest.raises(AmbiguousFormatError):  # this sniffer claims everything...
            read_run(BIORAD_CSV)
        read_run(spy_file)  # ...but only it claims this file
    assert [len(args) for args in calls] == [2]
    assert isinstance(calls[0][1], FileSample)


@pytest.mark.parametrize(
    ("path", "expected"), [(BIORAD_CSV, ("cq", None)),
                           (BIORAD_XLSX, ("cq", "0"))],
)  # fmt: skip
def test_biorad_sniffs_the_sheet_once(
    monkeypatch: pytest.MonkeyPatch, path: Path, expected: tuple[str, str | None]
) -> None:
    assert biorad.sniff(FileSample(path)) == expected
    calls: list[Path] = []
    original = biorad._file_kind

    def counting(sample: FileSample) -> tuple[str | None, str | None]:
        calls.append(sample.path)
        return original(sample)

    monkeypatch.setattr(biorad, "_file_kind", counting)
    wells = read_run(path).wells
    assert calls == [path]  # the reader used the sniff result instead of scanning again
    assert wells.equals(biorad.read(path, FileSample(path)).wells)
    assert len(calls) == 2  # called without a sniff result, the reader detects itself


def test_biorad_sniff_says_no_with_none() -> None:
    assert biorad.sniff(FileSample(EXPORTS / "rdml" / "rdml_v1_3_melt_only.rdml")) is None


# 4. what a reader returns is validated -----------------------------------------------------


@pytest.mark.parametrize(
    ("wells", "problem"),
    [(_wells(cq=[21.5, 30.0]), "rows with a Cq value but cq_status other than 'ok'"),
     (_wells(cq_status=["ok", "ok"]), "rows with cq_status 'ok' but no Cq value"),
     (_wells(target=None), "missing column 'target'"),
     (_wells(cq=["21.5", None]), "column 'cq' has dtype"),
     (_wells(sample_type=["unkn", " "]), "empty sample_type on 1 row(s)"),
     (_wells(target=["GAPDH", None]), "1 missing value(s) in column 'target'")],
)  # fmt: skip
def test_an_invalid_table_is_the_readers_bug(
    spy_file: Path, wells: pd.DataFrame, problem: str
) -> None:
    with registered(_toy("broken", wells=wells)), pytest.raises(ReaderOutputError) as info:
        read_run(spy_file)
    message = str(info.value)
    assert not isinstance(info.value, InputError)
    assert message.startswith(f"{spy_file}: reader 'broken' ({__name__}) returned")
    assert problem in message
    assert "bug in the reader" in message
    assert "broken" not in {f.name for f in formats()}  # unregistered after the block


def test_a_reader_returning_no_export_is_a_bug(spy_file: Path) -> None:
    broken = registered(_toy("broken", read=lambda path, sample: _wells()))
    with broken, pytest.raises(ReaderOutputError, match="returned a DataFrame, not an Export"):
        read_run(spy_file)


def test_an_empty_table_stays_the_files_fault(spy_file: Path) -> None:
    empty = registered(_toy("empty", wells=_wells().iloc[:0]))
    with empty, pytest.raises(InputError, match="the export holds no wells") as info:
        read_run(spy_file)
    assert not isinstance(info.value, ReaderOutputError)


def test_check_wells_types_and_missing_values() -> None:
    assert check_wells(_wells()) == []
    assert check_wells(_wells(well=[None, None], sample=[None, ""])) == []  # names optional
    assert check_wells(_wells(well=[np.nan, np.nan])) == []
    assert check_wells(_wells(quantity=[1.0, np.nan], tm=[80.1, np.nan])) == []
    assert check_wells(_wells(cq=[True, False], cq_status=["ok", "ok"])) == [
        "column 'cq' has dtype bool; expected numbers"
    ]
    assert check_wells(_wells(sample=["S1", 2])) == [
        "column 'sample' holds non-text values; expected text"
    ]
    assert check_wells(_wells(cq_status=["ok", None])) == [
        "1 missing value(s) in column 'cq_status'"
    ]
    assert check_wells(_wells(quantity=["1", "2"])) == [
        f"column 'quantity' has dtype {pd.Series(['1']).dtype}; expected numbers"
    ]


def test_every_fixture_reader_returns_a_valid_table() -> None:
    """read_run validates on every call; the fixtures read without a ReaderOutputError."""
    read = 0
    for path in sorted(EXPORTS.rglob("*")):
        if not path.is_file() or path.suffix == ".md":
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FormatWarning)
                read_run(path)
            read += 1
        except InputError:
            continue
    assert read >= 30


# 5. the documented toy format works as written ----------------------------------------------


def _docstring_example() -> str:
    block = registry.__doc__.split("::\n\n", 1)[1]
    lines = []
    for line in block.splitlines():
        if line.strip() and not line.startswith("    "):
            break
        lines.append(line[4:])
    return "\n".join(lines)


@pytest.mark.parametrize("sep", [",", "\t"])
def test_the_docstring_toy_format(tmp_path: Path, sep: str) -> None:
    path = tmp_path / "toy.txt"
    rows = ["well,sample,target,cq", "A1,S1,GAPDH,21.25", "A2,S1,MYC,Undetermined"]
    path.write_text("# toy-qpcr\n" + "\n".join(r.replace(",", sep) for r in rows) + "\n")
    formats()
    exec(compile(_docstring_example(), "registry docstring", "exec"), {})  # registers "toy"
    try:
        assert detect(path).name == "toy"
        for export in (read_run(path), read_run(path, format="toy")):
            wells = export.wells
            assert list(wells["target"]) == ["GAPDH", "MYC"]
            assert wells["cq"].iloc[0] == 21.25
            assert np.isnan(wells["cq"].iloc[1])
            assert list(wells["cq_status"]) == ["ok", "undetermined"]
    finally:
        unregister("toy")


# 6. library errors name parameters; the CLI shows its options -------------------------------


def test_library_errors_name_the_format_parameter(unknown_file: Path) -> None:
    with pytest.raises(InputError) as unknown:
        read_run(BIORAD_CSV, format="rdmlx")
    assert unknown.value.where == "format"
    with pytest.raises(UnrecognizedFormatError) as unrecognised:
        read_run(unknown_file)
    with registered(_toy("spy", sniff=lambda s: True)), pytest.raises(AmbiguousFormatError) as amb:
        read_run(BIORAD_CSV)
    for error in (unknown.value, unrecognised.value, amb.value):
        assert "--" not in str(error)
    assert 'format="NAME"' in unrecognised.value.hint
    assert "qpcr.io.formats()" in unrecognised.value.hint
    assert amb.value.hint == 'Choose one with format="NAME"'


runner = CliRunner()


def test_the_cli_shows_its_options(unknown_file: Path) -> None:
    result = runner.invoke(app, ["inspect", str(unknown_file)])
    assert result.exit_code == 1
    assert "See what identifies each format with 'qpcr formats', or pass --format NAME" in (
        result.stderr
    )
    assert 'format="NAME"' not in result.stderr
    result = runner.invoke(app, ["inspect", str(BIORAD_CSV), "--format", "rdmlx"])
    assert result.exit_code == 1
    assert "error: --format: unknown format 'rdmlx'; expected one of: " in result.stderr


def test_the_cli_lets_a_reader_bug_through_with_its_traceback(spy_file: Path) -> None:
    with registered(_toy("broken", wells=_wells(cq_status=["ok", "ok"]))):
        result = runner.invoke(app, ["inspect", str(spy_file)])
    assert isinstance(result.exception, ReaderOutputError)
    assert "error:" not in result.stderr


def test_the_formats_keep_their_order_whichever_reader_was_imported_first() -> None:
    # A run that imports a reader early (the curve readers of an export with curves, a plugin)
    # registered its formats first: the "expected one of" message of an unknown file changed
    # its order from run to run
    import subprocess
    import sys

    def order(first: str) -> str:
        code = f"import {first}\nfrom qpcr.io import formats\nprint([f.name for f in formats()])"
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True).stdout  # fmt: skip

    expected = order("qpcr")
    assert expected.startswith("['thermo_classic'")  # the order of _FORMAT_MODULES
    assert expected.endswith("'template']\n")
    assert order("qpcr.io.curve_table") == order("qpcr.io.agilent") == expected
