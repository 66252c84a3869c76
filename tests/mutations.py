"""Seeded mutations of the real exports in ``tests/data``: the fuzz corpus shared by
``tests/test_fuzz_mutations.py`` (a fixed number of cases) and ``scripts/fuzz.py`` (as long as
one asks).

A case is fully determined by ``(seed, index)``: :func:`make_case` picks a fixture and one to
three mutators with a ``random.Random`` seeded from both numbers, so any case a long run finds
can be rebuilt alone. Mutators work on bytes; zip containers (xlsx, rdml, run files) and gzip
files also get their members mutated (decompressed, changed, compressed again), corrupted in
place or inflated (a member repeated a few times, a few MB at most: decompression bombs are
the input budget's business and live in ``tests/hostile.py``).
"""

from __future__ import annotations

import gzip
import io
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data"
#: Folders of real exports mutated (layouts and templates are real files too).
SEED_FOLDERS = ("exports", "template")

#: Tokens that trip parsers: non-detect words, sentinels, bad numbers and wells, markup.
TOKENS = [b"", b"NaN", b"-1", b"1e999", b"-0", b"Undetermined", b"Q25", b"A0", b"0", b"99999",
          b"\x00", b"\xff\xfe", b"\"", b";", b"\t", b"\n\n", b",,,,", b"<", b"&amp;", b"]]>",
          b"</rdml>", b"<react id=\"x\">", b"\xc3\x28", b"Well", b"Cq", b"[Results]",
          b"1,234.5", b"1.234,5", b"9" * 400, b"-1e308", b"inf", b"A25", b"P24",
          b"<tmp>1,234.5</tmp>", b"\xef\xbb\xbf"]  # fmt: skip
#: Characters swapped by :func:`swap_separators`.
SEPARATORS = [b",", b";", b"\t", b".", b" ", b"\n", b'"']
#: Largest inflated member written by :func:`zip_inflate`.
INFLATE_LIMIT = 4_000_000

Mutator = Callable[[random.Random, bytes], bytes]


def corpus() -> dict[str, bytes]:
    """Every real export under ``tests/data`` (relative name → bytes), sorted by name."""
    files = {}
    for folder in SEED_FOLDERS:
        for path in sorted((DATA / folder).rglob("*")):
            if path.is_file() and path.suffix != ".md":
                files[path.relative_to(DATA).as_posix()] = path.read_bytes()
    return dict(sorted(files.items()))


def bit_flips(rng: random.Random, data: bytes) -> bytes:
    """One to eight random bits flipped."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def truncate(rng: random.Random, data: bytes) -> bytes:
    """Cut at a random byte."""
    return data[: rng.randrange(len(data) + 1)]


def insert_token(rng: random.Random, data: bytes) -> bytes:
    """A parser-tripping token written over up to 12 bytes at a random place."""
    pos = rng.randrange(len(data) + 1)
    return data[:pos] + rng.choice(TOKENS) + data[pos + rng.randint(0, 12) :]


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def duplicate_lines(rng: random.Random, data: bytes) -> bytes:
    """A run of one to twenty lines repeated one to five times in place."""
    lines = _lines(data)
    start = rng.randrange(len(lines))
    block = lines[start : start + rng.randint(1, 20)]
    return b"\n".join(lines[:start] + block * rng.randint(2, 6) + lines[start + len(block) :])


def shuffle_lines(rng: random.Random, data: bytes) -> bytes:
    """A window of lines (or all of them) shuffled."""
    lines = _lines(data)
    start = rng.randrange(len(lines))
    end = len(lines) if rng.random() < 0.3 else start + rng.randint(2, 40)
    window = lines[start:end]
    rng.shuffle(window)
    return b"\n".join(lines[:start] + window + lines[end:])


def swap_separators(rng: random.Random, data: bytes) -> bytes:
    """One separator character replaced by another, everywhere or in a window of lines."""
    old, new = rng.sample(SEPARATORS, 2)
    if rng.random() < 0.5:
        return data.replace(old, new)
    lines = _lines(data)
    start = rng.randrange(len(lines))
    end = start + rng.randint(1, 30)
    middle = [line.replace(old, new) for line in lines[start:end]]
    return b"\n".join(lines[:start] + middle + lines[end:])


#: Mutators of plain bytes (text files, and the members of containers).
BYTE_MUTATORS: dict[str, Mutator] = {
    "bit_flips": bit_flips,
    "truncate": truncate,
    "insert_token": insert_token,
    "duplicate_lines": duplicate_lines,
    "shuffle_lines": shuffle_lines,
    "swap_separators": swap_separators,
}


def _rezip(data: bytes, change: Callable[[str, bytes], bytes | None]) -> bytes:
    """The zip with each member replaced by ``change(name, content)`` (None keeps it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info)
            new = change(info.filename, content)
            kept = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            kept.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(kept, content if new is None else new)
    return out.getvalue()


def _pick_member(rng: random.Random, data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = [i.filename for i in archive.infolist() if not i.is_dir()]
    return rng.choice(names)


def zip_member(rng: random.Random, data: bytes) -> bytes:
    """One member of a zip decompressed, mutated by a byte mutator and compressed again."""
    name = _pick_member(rng, data)
    mutator = rng.choice(list(BYTE_MUTATORS.values()))
    return _rezip(data, lambda member, content: mutator(rng, content) if member == name else None)


def zip_corrupt(rng: random.Random, data: bytes) -> bytes:
    """Bytes of one member's compressed stream overwritten (bad CRC, bad deflate data)."""
    name = _pick_member(rng, data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(name)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    if info.compress_size == 0:
        return bit_flips(rng, data)
    out = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        out[start + rng.randrange(info.compress_size)] = rng.randrange(256)
    return bytes(out)


def zip_inflate(rng: random.Random, data: bytes) -> bytes:
    """One member's content repeated (up to :data:`INFLATE_LIMIT` bytes)."""
    name = _pick_member(rng, data)

    def grow(member: str, content: bytes) -> bytes | None:
        if member != name or not content:
            return None
        times = max(2, min(rng.randint(2, 50), INFLATE_LIMIT // len(content)))
        return content * times

    return _rezip(data, grow)


def gzip_member(rng: random.Random, data: bytes) -> bytes:
    """The gzip's content decompressed, mutated by a byte mutator and compressed again."""
    content = gzip.decompress(data)
    return gzip.compress(rng.choice(list(BYTE_MUTATORS.values()))(rng, content), mtime=0)


def mutators_for(data: bytes) -> dict[str, Mutator]:
    """The mutators that apply to ``data``: the byte ones, plus the container ones."""
    found = dict(BYTE_MUTATORS)
    if data.startswith(b"PK\x03\x04") and _is_zip(data):
        found.update(zip_member=zip_member, zip_corrupt=zip_corrupt, zip_inflate=zip_inflate)
    elif data.startswith(b"\x1f\x8b") and _is_gzip(data):
        found["gzip_member"] = gzip_member
    return found


def _is_zip(data: bytes) -> bool:
    """A zip whose members all read (not encrypted, not broken)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return bool(archive.namelist()) and archive.testzip() is None
    except (zipfile.BadZipFile, ValueError, RuntimeError):
        return False


def _is_gzip(data: bytes) -> bool:
    try:
        gzip.decompress(data)
    except (OSError, EOFError):
        return False
    return True


@dataclass(frozen=True)
class Case:
    """One mutated export: the fixture it came from, the mutators applied, the bytes."""

    seed: int
    index: int
    source: str
    steps: tuple[str, ...]
    data: bytes

    @property
    def label(self) -> str:
        """``seed:index source step+step`` (enough to rebuild the case)."""
        return f"{self.seed}:{self.index} {self.source} {'+'.join(self.steps)}"


def make_case(files: dict[str, bytes], seed: int, index: int) -> Case:
    """Case ``index`` of the run seeded ``seed`` over ``files`` (from :func:`corpus`).

    Examples
    --------
    >>> files = {"exports/x.csv": b"sample,target,Cq\\ns1,GAPDH,18.1\\n"}
    >>> make_case(files, 1, 0) == make_case(files, 1, 0)
    True
    """
    rng = random.Random(f"{seed}-{index}")
    source = rng.choice(sorted(files))
    data, steps = files[source], []
    for step in range(rng.choice((1, 1, 1, 2, 2, 3))):
        if not data:
            break
        # container mutators need an intact container: only the first step may use them
        choices = mutators_for(data) if step == 0 else BYTE_MUTATORS
        name, mutator = rng.choice(sorted(choices.items()))
        data = mutator(rng, data)
        steps.append(name)
    return Case(seed, index, source, tuple(steps), data)
