"""Builders of hostile and broken input files (issue 12), made at test time into a folder.

Nothing here is committed as a large file: every bomb is a few kB on disk (or a sparse file)
and is written in well under a second. Each builder takes the target path and returns it.
``build_all(folder)`` writes every one and returns ``{name: path}``; run this module to write
them into a folder for trying by hand (``python tests/hostile.py /tmp/hostile``).
"""

from __future__ import annotations

import random
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).parent / "data"
#: The real legacy .xls fixture the corrupted workbooks are made from.
XLS_SOURCE = DATA / "exports" / "thermo" / "thermo_classic_qs6_96_sybr_synthetic.xls"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
    '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target='
    '"xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="Results" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/'
    'sheet1.xml"/></Relationships>'
)
_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org'
    b'/spreadsheetml/2006/main">'
)
#: A header row a reader would take for a tidy Cq table.
_HEADER = (
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>well</t></is></c><c r="B1" t="inlineStr"><is>'
    b'<t>sample</t></is></c><c r="C1" t="inlineStr"><is><t>target</t></is></c><c r="D1" '
    b't="inlineStr"><is><t>cq</t></is></c></row>'
)


def _xlsx(
    path: Path, write_sheet: Callable[[zipfile.ZipFile], None], workbook: bytes = _WORKBOOK.encode()
) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        write_sheet(archive)
    return path


def xlsx_dense_bomb(path: Path, rows: int = 150_000, columns: int = 40) -> Path:
    """An xlsx whose one sheet holds ``rows`` × ``columns`` numeric cells (6 million: 91 MB
    of XML, under the inflated-size limit), packed ~500-fold
    (the issue's 3.6 MB xlsx read as 15 million wells); no ``<dimension>``, cells without
    references (so only the scan of the sheet stream can tell its size)."""
    row = b"<row>" + b"<c><v>1</v></c>" * columns + b"</row>"

    def sheet(archive: zipfile.ZipFile) -> None:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            member.write(_SHEET_HEAD + b"<sheetData>" + _HEADER)
            block = row * 1000
            for _ in range(rows // 1000):
                member.write(block)
            member.write(b"</sheetData></worksheet>")

    return _xlsx(path, sheet)


def xlsx_sparse_bomb(path: Path) -> Path:
    """A 1.5 kB xlsx with two cells, A1 and XFD1048576: calamine allocates the whole
    rectangle between them (2^34 cells, 512 GiB) and aborts the process."""
    body = _HEADER + b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'

    def sheet(archive: zipfile.ZipFile) -> None:
        archive.writestr("xl/worksheets/sheet1.xml", _SHEET_HEAD + b"<sheetData>" + body
                         + b"</sheetData></worksheet>")  # fmt: skip

    return _xlsx(path, sheet)


def xlsx_lying_dimension(path: Path) -> Path:
    """An xlsx whose ``<dimension ref>`` claims the whole sheet (A1:XFD1048576)."""

    def sheet(archive: zipfile.ZipFile) -> None:
        archive.writestr("xl/worksheets/sheet1.xml", _SHEET_HEAD + b'<dimension ref="A1:XFD10485'
                         b'76"/><sheetData>' + _HEADER + b"</sheetData></worksheet>")  # fmt: skip

    return _xlsx(path, sheet)


#: DTDs for an XML part's prolog: an entity bomb (3·10⁹ characters once expanded), an
#: external entity, and a DTD behind a byte-order mark and a comment.
LAUGHS = (
    '<!DOCTYPE worksheet [<!ENTITY l0 "lol">'
    + "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    + "]>"
).encode()
EXTERNAL = b'<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
AFTER_COMMENT = b"<!-- saved by a tool -->\n<!DOCTYPE workbook SYSTEM 'http://example.org/x.dtd'>"


def with_dtd(data: bytes, dtd: bytes, entity: bytes = b"") -> bytes:
    """An XML part (starting with its declaration or its root) with ``dtd`` put before the root
    and ``entity`` (``&l9;``) as the root's first child's text, after a BOM for
    :data:`AFTER_COMMENT`."""
    declaration = data[: data.index(b"?>") + 2] if data.startswith(b"<?xml") else b""
    rest = data[len(declaration) :]
    close = rest.index(b">") + 1
    bom = b"\xef\xbb\xbf" if dtd == AFTER_COMMENT else b""
    return bom + declaration + dtd + rest[:close] + entity + rest[close:]


def _xlsx_dtd(path: Path, dtd: bytes, entity: bytes, workbook: bytes = _WORKBOOK.encode()) -> Path:
    """An xlsx of one tidy sheet whose worksheet part carries ``dtd``."""
    body = _HEADER + b'<row r="2"><c r="A2" t="inlineStr"><is><t>' + entity + b"</t></is></c></row>"

    def sheet(archive: zipfile.ZipFile) -> None:
        part = _SHEET_HEAD + b"<sheetData>" + body + b"</sheetData></worksheet>"
        archive.writestr("xl/worksheets/sheet1.xml", with_dtd(part, dtd))

    return _xlsx(path, sheet, workbook)


def xlsx_entity_bomb(path: Path) -> Path:
    """An xlsx whose worksheet declares a billion laughs and uses it in a cell."""
    return _xlsx_dtd(path, LAUGHS, b"&l9;")


def xlsx_external_entity(path: Path) -> Path:
    """An xlsx whose worksheet reads /etc/passwd into a cell through an external entity."""
    return _xlsx_dtd(path, EXTERNAL, b"&x;")


def xlsx_dtd_after_comment(path: Path) -> Path:
    """An xlsx whose workbook part has an external DTD behind a BOM and a comment."""
    return _xlsx_dtd(path, b"", b"1", with_dtd(_WORKBOOK.encode(), AFTER_COMMENT))


def ods_repeat_bomb(path: Path, rows: int = 6_000, columns: int = 16_000) -> Path:
    """An ods of 1 kB whose one row of one cell is repeated ``rows`` × ``columns`` times
    (96 million cells: under calamine's own cap of 100 million, 3 GB once expanded)."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:'
        'names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:'
        'xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:'
        'version="1.2"><office:body><office:spreadsheet><table:table table:name="Results">'
        f'<table:table-row table:number-rows-repeated="{rows}"><table:table-cell table:number-'
        f'columns-repeated="{columns}" office:value-type="float" office:value="1"><text:p>1'
        "</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>"
        "</office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)  # fmt: skip
        archive.writestr("content.xml", content)
    return path


def zip_member_bomb(path: Path, inflated: int = 400_000_000) -> Path:
    """A zip (named as the caller likes: .xlsx, .rdml) whose one member inflates to
    ``inflated`` bytes of zeros from a few hundred kB, written as raw deflate blocks so that
    building it costs no more than the packed size."""
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = block.compress(b"\0" * 1_000_000) + block.flush(zlib.Z_FULL_FLUSH)
    count = inflated // 1_000_000
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(b"\0" * 1_000_000, crc)
    packed = len(piece) * count + len(final)
    name = b"xl/worksheets/sheet1.xml"
    size = count * 1_000_000
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, packed, size,
                        len(name), 0)  # fmt: skip
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, packed,
                          size, len(name), 0, 0, 0, 0, 0, 0)  # fmt: skip
    offset = len(local) + len(name) + packed
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central) + len(name), offset, 0)
    with path.open("wb") as handle:
        handle.write(local + name)
        for _ in range(count):
            handle.write(piece)
        handle.write(final + central + name + end)
    return path


def _ole2_directory_entry(data: bytes, name: str) -> int:
    """Offset of the directory entry ``name`` in a version-3 compound file (the directory's
    sectors followed through the FAT)."""
    fat_sectors, first_dir = struct.unpack_from("<II", data, 44)
    fat: list[int] = []
    for number in struct.unpack_from("<109I", data, 76)[:fat_sectors]:
        fat.extend(struct.unpack_from("<128I", data, 512 + number * 512))
    encoded = name.encode("utf-16-le")
    sector = first_dir
    while sector < len(fat):
        start = 512 + sector * 512
        for entry in range(start, start + 512, 128):
            if data[entry : entry + len(encoded)] == encoded:
                return entry
        sector = fat[sector]
    raise ValueError(f"no directory entry {name!r}")


def xls_stream_size_lie(path: Path, source: Path = XLS_SOURCE) -> Path:
    """The real .xls with its Workbook stream declaring 4 GB (a compound file stores streams
    uncompressed: no stream can be larger than the file)."""
    data = bytearray(source.read_bytes())
    entry = _ole2_directory_entry(bytes(data), "Workbook")
    struct.pack_into("<I", data, entry + 120, 0xFFFFFF00)
    path.write_bytes(bytes(data))
    return path


#: (offset, value) of a 32-bit word in :data:`XLS_SOURCE` that makes calamine ask for 1.8 GB
#: while parsing a record (found by mutation fuzzing; the header and directory stay valid).
XLS_HUGE_ALLOCATION = (72464, 0xFFFFFFFF)


def xls_huge_allocation(path: Path, source: Path = XLS_SOURCE) -> Path:
    """The real .xls with one record length changed so that calamine asks for gigabytes and
    aborts (SIGABRT) when it runs in the same process."""
    data = bytearray(source.read_bytes())
    offset, value = XLS_HUGE_ALLOCATION
    struct.pack_into("<I", data, offset, value)
    path.write_bytes(bytes(data))
    return path


def csv_200mb(path: Path) -> Path:
    """A 200,000,000-byte CSV (a Cq header, then a sparse file of NUL bytes: written at once)."""
    with path.open("wb") as handle:
        handle.write(b"well,sample,target,cq\nA1,s1,GAPDH,18.1\n")
        handle.truncate(200_000_000)
    return path


def csv_many_rows(path: Path, rows: int = 3_000_000) -> Path:
    """A 30 MB tidy CSV (under the file-size limit) of ``rows`` wells: beyond the row limit."""
    with path.open("wb") as handle:
        handle.write(b"well,sample,target,cq\n")
        handle.write(b"A1,s,G,20\n" * rows)
    return path


def csv_wide_header(path: Path, columns: int = 32_000) -> Path:
    """A tidy CSV whose header has ``columns`` columns (the issue's quadratic case)."""
    names = b",".join(b"c%d" % k for k in range(columns - 4))
    path.write_bytes(b"well,sample,target,cq," + names + b"\nA1,s,G,20\n")
    return path


def csv_million_columns(path: Path) -> Path:
    """One line of 10^6 columns (2 MB)."""
    path.write_bytes(b"well,sample,target,cq" + b",x" * 1_000_000 + b"\n")
    return path


def long_line(path: Path, size: int = 5_000_000) -> Path:
    """A text file that is one line of ``size`` bytes."""
    path.write_bytes(b"x" * size)
    return path


def nul_bytes(path: Path) -> Path:
    """A tidy CSV with a NUL byte in a cell."""
    path.write_bytes(b"well,sample,target,cq\nA1,s1,GAPDH,18.\x001\n")
    return path


def binary_data(path: Path) -> Path:
    """64 kB of random bytes (seeded)."""
    path.write_bytes(random.Random(12).randbytes(65536))
    return path


def unknown_encoding(path: Path) -> Path:
    """A tidy CSV holding bytes that are neither UTF-8, UTF-16 nor Windows-1252."""
    path.write_bytes(b"well,sample,target,cq\nA1,s\x81\x8d1,GAPDH,18.1\n")
    return path


#: Every builder, by the file name it writes (the suffix is the one a user would give).
BUILDERS: dict[str, Callable[[Path], Path]] = {
    "dense_bomb.xlsx": xlsx_dense_bomb,
    "sparse_bomb.xlsx": xlsx_sparse_bomb,
    "lying_dimension.xlsx": xlsx_lying_dimension,
    "repeat_bomb.ods": ods_repeat_bomb,
    "member_bomb.xlsx": zip_member_bomb,
    "entity_bomb.xlsx": xlsx_entity_bomb,
    "external_entity.xlsx": xlsx_external_entity,
    "dtd_after_comment.xlsx": xlsx_dtd_after_comment,
    "stream_size_lie.xls": xls_stream_size_lie,
    "huge_allocation.xls": xls_huge_allocation,
    "200mb.csv": csv_200mb,
    "many_rows.csv": csv_many_rows,
    "wide_header.csv": csv_wide_header,
    "million_columns.csv": csv_million_columns,
    "long_line.txt": long_line,
    "nul_bytes.csv": nul_bytes,
    "binary.bin": binary_data,
    "unknown_encoding.csv": unknown_encoding,
}


def build_all(folder: Path) -> dict[str, Path]:
    """Write every hostile file into ``folder``; ``{name: path}``."""
    folder.mkdir(parents=True, exist_ok=True)
    return {name: build(folder / name) for name, build in BUILDERS.items()}


if __name__ == "__main__":
    for path in build_all(Path(sys.argv[1])).values():
        print(f"{path.stat().st_size:>12,}  {path}")
