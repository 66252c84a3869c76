"""Regenerate the deliberately broken inputs in this folder (run from anywhere).

Every file here must end in an ``InputError`` subclass through ``qpcr.io.read_run``
(``tests/test_io_sniff.py``). All files are written by this script; none comes from elsewhere
except ``truncated_rdml_zip.rdml``, the first 4000 bytes of ``../exports/rdml/
rdml_v1_0_stepone_std.rdml`` (MIT, see that folder's PROVENANCE.md).
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
RDML_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<rdml xmlns="http://www.rdml.org" version="1.3">'
)
RDML_BODY = (
    '<sample id="s1"><type>unkn</type></sample><target id="T"/>'
    '<experiment id="e"><run id="r"><pcrFormat>free format</pcrFormat>'
    '<react id="{well}"><sample id="s1"/><data><tar id="T"/><cq>21.5</cq></data></react>'
    "</run></experiment></rdml>"
)


def _laughs() -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rdml [' + "".join(entities) + "]>\n"
        '<rdml xmlns="http://www.rdml.org" version="1.3"><sample id="&lol9;"/></rdml>'
    ).encode()


def _xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _zip_bomb(path: Path) -> None:
    """About 1 kB on disk, 1 GiB when inflated (bzip2 of spaces inside an RDML root)."""
    block = b" " * (16 * 2**20)
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_BZIP2, compresslevel=9) as archive,
        archive.open("rdml_data.xml", "w", force_zip64=True) as member,
    ):
        member.write(RDML_HEAD)
        for _ in range(64):
            member.write(block)
        member.write(b"</rdml>")


def main() -> None:
    tidy = "sample,target,Cq\nctrl,GAPDH,18.2\nctrl,MYC,24.1\n"
    files: dict[str, bytes] = {
        "empty.csv": b"",
        "header_only.csv": b"well,sample,target,Cq\n",
        "other_table.csv": b"sepal_length,sepal_width,species\n5.1,3.5,setosa\n4.9,3.0,setosa\n",
        "binary_blob.bin": bytes(random.Random(7).randrange(256) for _ in range(4096)),
        "wrong_encoding_utf32.csv": tidy.encode("utf-32"),
        "wrong_encoding_latin1_declared_utf8.xml": RDML_HEAD
        + RDML_BODY.format(well="A1").replace("s1", "Zelllinie-\xe9").encode("latin-1"),
        "truncated_rdml.xml": (RDML_HEAD + RDML_BODY.format(well="A1").encode())[:200],
        "truncated_workbook.xlsx": _xlsx([["sample", "target", "Cq"], ["a", "b", 20.0]])[:900],
        "empty_sheet.xlsx": _xlsx([]),
        "entity_bomb.xml": _laughs(),
        "external_entity.xml": b'<?xml version="1.0"?>\n<!DOCTYPE rdml [<!ENTITY x SYSTEM '
        b'"file:///etc/passwd">]>\n<rdml xmlns="http://www.rdml.org" version="1.3">'
        b'<sample id="&x;"/></rdml>',
        "well_q25.csv": b"well,sample,target,Cq\nA1,ctrl,GAPDH,18.2\nQ25,ctrl,MYC,24.1\n",
        "well_q25_rdml.xml": RDML_HEAD + RDML_BODY.format(well="Q25").encode(),
        "rdml_no_runs.xml": RDML_HEAD + b'<sample id="s1"><type>unkn</type></sample></rdml>',
        "tidy_bad_cq.csv": b"sample,target,Cq\nctrl,GAPDH,eighteen\n",
        "truncated_rdml_zip.rdml": (
            HERE.parent / "exports" / "rdml" / "rdml_v1_0_stepone_std.rdml"
        ).read_bytes()[:4000],
    }
    for name, data in files.items():
        (HERE / name).write_bytes(data)
    _zip_bomb(HERE / "zip_bomb.rdml")


if __name__ == "__main__":
    main()
