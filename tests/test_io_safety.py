"""XML, zip and gzip guards: entity bombs, external entities, zip/gzip bombs, member counts."""

from __future__ import annotations

import gzip
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from qpcr.errors import ExportParseError
from qpcr.io import safety
from qpcr.io.budget import budget
from qpcr.io.safety import gunzip, parse_xml, read_zip_head, read_zip_member, zip_member_names

INVALID = Path(__file__).parent / "data" / "invalid"
MIB = 2**20


def _billion_laughs(levels: int = 10) -> bytes:
    entities = ['<!ENTITY l0 "lol">'] + [
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, levels)
    ]
    doc = f"<?xml version='1.0'?><!DOCTYPE r [{''.join(entities)}]><r>&l{levels - 1};</r>"
    return doc.encode()


def test_parse_xml_reads_plain_xml_with_namespaces_and_predefined_entities() -> None:
    root = parse_xml(b'<a xmlns="urn:x"><b k="1">x &amp; y &#233;</b></a>', "t.xml")
    assert root.tag == "{urn:x}a"
    assert root[0].text == "x & y é"
    assert root[0].get("k") == "1"


@pytest.mark.parametrize(
    "doc",
    [
        _billion_laughs(),  # 10**10 "lol"s if expanded
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
        b'<!DOCTYPE r SYSTEM "http://example.org/r.dtd"><r/>',
        b"<!DOCTYPE r><r/>",
        b'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://example.org/p">%p;]><r/>',
        b"\xef\xbb\xbf<!-- note --><?pi x?>\n<!DOCTYPE r [<!ENTITY a 'x'>]><r>&a;</r>",
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r><r/>'.encode("utf-16"),
    ],
    ids=[
        "billion-laughs",
        "external-entity",
        "external-dtd",
        "bare-doctype",
        "parameter-entity",
        "after-bom-comment-pi",
        "utf-16",
    ],
)
def test_parse_xml_refuses_any_dtd(doc: bytes) -> None:
    with pytest.raises(ExportParseError) as info:
        parse_xml(doc, "bomb.xml")
    assert "<!DOCTYPE>" in info.value.message
    assert info.value.where == "bomb.xml"


def test_parse_xml_reports_position_of_malformed_xml() -> None:
    with pytest.raises(ExportParseError) as info:
        parse_xml(b"<a>\n  <b>&undefined;</b></a>", "bad.xml")
    assert info.value.where == "bad.xml line 2 column 6"
    assert "undefined entity" in info.value.message


def test_parse_xml_reports_a_broken_prolog_and_a_misplaced_doctype_as_broken_xml() -> None:
    with pytest.raises(ExportParseError) as info:
        parse_xml(b"<?xml version='1.0'?>\n<!-- open\n<!DOCTYPE r><r/>", "bad.xml")
    assert "broken" in info.value.message
    with pytest.raises(ExportParseError) as info:
        parse_xml(b"<r><!DOCTYPE r [<!ENTITY a 'x'>]>&a;</r>", "bad.xml")
    assert "broken" in info.value.message
    assert info.value.where == "bad.xml line 1 column 6"


def _bomb_zip(path: Path, inflated: int, method: int = zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        archive.writestr("rdml_data.xml", b"\0" * inflated)


def test_zip_bomb_is_refused_by_declared_size(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    _bomb_zip(path, 20 * MIB)
    assert path.stat().st_size < 40_000  # small on disk, 20 MiB inflated
    with pytest.raises(ExportParseError) as info:
        read_zip_member(path, "rdml_data.xml", limit=MIB)
    assert "decompression bomb" in info.value.hint
    assert info.value.where == f"{path} [rdml_data.xml]"
    assert read_zip_member(path, "rdml_data.xml", limit=20 * MIB) == b"\0" * (20 * MIB)


def test_generated_zip_bomb_fixture_is_refused_under_the_default_cap() -> None:
    path = INVALID / "zip_bomb.rdml"
    assert path.stat().st_size < 4096
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("rdml_data.xml").file_size > budget().inflated_bytes
    with pytest.raises(ExportParseError, match="expected at most 100 MB"):
        read_zip_member(path, "rdml_data.xml")
    with pytest.raises(ExportParseError, match="compression method 12"):  # bzip2
        read_zip_head(path, "rdml_data.xml", 64)


def test_bzip2_members_are_refused_even_when_small(tmp_path: Path) -> None:
    path = tmp_path / "small.zip"
    _bomb_zip(path, 100, method=zipfile.ZIP_BZIP2)
    with pytest.raises(ExportParseError, match="expected stored \\(0\\) or deflated \\(8\\)"):
        read_zip_member(path, "rdml_data.xml")
    stored = tmp_path / "stored.zip"
    _bomb_zip(stored, 100, method=zipfile.ZIP_STORED)
    assert read_zip_head(stored, "rdml_data.xml", 10) == b"\0" * 10


def test_zip_member_lying_about_its_size_is_stopped(tmp_path: Path) -> None:
    path = tmp_path / "liar.zip"
    _bomb_zip(path, 4 * MIB)
    data = bytearray(path.read_bytes())
    # rewrite the uncompressed size (4 bytes) in the local header (offset 22) and the central
    # directory entry (offset 24 after its signature) to claim 100 bytes
    struct.pack_into("<I", data, 22, 100)
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 100)
    path.write_bytes(bytes(data))
    with pytest.raises(ExportParseError):
        read_zip_member(path, "rdml_data.xml", limit=MIB)


def test_zip_member_count_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(6):
            archive.writestr(f"m{i}.xml", "<a/>")
    assert len(zip_member_names(path)) == 6
    monkeypatch.setattr(safety, "MAX_ZIP_MEMBERS", 5)
    with pytest.raises(ExportParseError, match="holds 6 members; expected at most 5"):
        zip_member_names(path)
    with pytest.raises(ExportParseError):
        read_zip_member(path, "m0.xml")


def test_broken_and_incomplete_zips(tmp_path: Path) -> None:
    path = tmp_path / "cut.zip"
    _bomb_zip(path, 1000)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ExportParseError, match="cannot open the zip container"):
        zip_member_names(path)
    whole = tmp_path / "whole.zip"
    _bomb_zip(whole, 1000)
    with pytest.raises(ExportParseError, match=r"no member 'other\.xml'"):
        read_zip_member(whole, "other.xml")


def test_gunzip_caps_output_and_reads_multi_member_streams() -> None:
    bomb = gzip.compress(b"\0" * (10 * MIB))
    assert len(bomb) < 20_000
    with pytest.raises(ExportParseError, match=r"inflates to more than"):
        gunzip(bomb, "bomb.gz", limit=MIB)
    assert gunzip(bomb, "bomb.gz", limit=10 * MIB) == b"\0" * (10 * MIB)
    two = gzip.compress(b"first,") + gzip.compress(b"second")
    assert gunzip(two, "two.gz") == b"first,second"


@pytest.mark.parametrize(
    ("data", "found"),
    [(gzip.compress(b"x" * 1000)[:-12], "ends early"), (b"\x1f\x8bnot gzip", "cannot decompress")],
)
def test_gunzip_broken_streams(data: bytes, found: str) -> None:
    with pytest.raises(ExportParseError, match=found):
        gunzip(data, "cut.gz")


def _xml_zip(path: Path, doc: bytes) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("sheet.xml", doc)
    return path


@pytest.mark.parametrize(
    ("doc", "limit", "found"),
    [
        (_billion_laughs(), budget().inflated_bytes, "document type declaration"),
        (b"<a><b></a>", budget().inflated_bytes, "mismatched tag"),
        (b"<a>" + b" " * 5000 + b"</a>", 4000, "expected at most 4.0 kB"),
    ],
    ids=["dtd", "broken", "too-big"],
)
def test_zip_member_xml_guards(tmp_path: Path, doc: bytes, limit: int, found: str) -> None:
    # how the RDML reader opens its member: read within the budget, then parse without a DTD
    path = _xml_zip(tmp_path / "x.zip", doc)
    with pytest.raises(ExportParseError) as info:
        safety.parse_xml(safety.read_zip_member(path, "sheet.xml", limit=limit), "sheet.xml")
    assert found in str(info.value)


@pytest.mark.parametrize(
    ("pieces", "refused"),
    [
        ([b"<?xml version='1.0'?>", b"<!-- " + b"x" * 10_000 + b" -->", b"<!DOCTYPE r><r/>"], True),
        ([b"\xef\xbb\xbf<!-- a -->\n<!DOC", b"TYPE r [<!ENTITY a 'b'>]><r>&a;</r>"], True),
        ([b"<r>", b"<!DOCTYPE r>"], False),  # after the root: broken XML, not a prolog DTD
        ([b"<?xml version='1.0'?><r/>"], False),
        ([b"not xml at all"], False),  # left to the parser that reads the document
    ],
    ids=["after-long-comment", "cut-inside-keyword", "after-root", "plain", "not-xml"],
)
def test_refuse_doctype_reads_the_prolog_across_pieces(pieces: list[bytes], refused: bool) -> None:
    read: list[bytes] = []

    def lazily() -> Iterator[bytes]:
        for piece in pieces:
            read.append(piece)
            yield piece

    if refused:
        with pytest.raises(ExportParseError, match="document type declaration") as info:
            safety.refuse_doctype(lazily(), "run.xlsx [xl/worksheets/sheet1.xml]", hint="Re-save")
        assert info.value.where == "run.xlsx [xl/worksheets/sheet1.xml]"
        assert info.value.hint == "Re-save"
        assert "gigabytes" in info.value.message  # why it is refused
    else:
        safety.refuse_doctype(lazily(), "run.xml")
    if pieces[0] == b"<r>":
        assert read == [b"<r>"]  # stopped at the root's start tag: the rest is never read
