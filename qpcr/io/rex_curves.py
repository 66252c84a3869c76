"""The raw channels of a Rotor-Gene run file (``.rex``) as a long curve table, for
:func:`qpcr.read_curves`. The run file holds no Ct (the :mod:`qpcr.io.runfiles` format
recognises it and refuses it for an analysis), but it keeps every raw reading.

A ``<RawChannel>`` is one acquisition (``Cycling A.Green``, ``HRM A.HRM``): its readings start
at ``<StartX>`` and step by ``<StepX>`` in the unit of ``<XAxisLabel>`` (``Cycle``, else °C
for a melt), and hold one ``<Reading>`` (space-separated numbers) per rotor position, in
position order. ``well`` is the rotor position as text (``"25"``), as the Rotor-Gene results
reader writes it; ``sample`` is the name the run's sample table gives that position.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd

from ..errors import ExportParseError
from .inputs import read_input
from .registry import FileSample
from .safety import parse_xml

__all__ = ["read_rex"]

_COLUMNS = ["well", "sample", "reporter", "cycle", "temperature", "fluorescence", "kind"]


def _number(element: ET.Element, tag: str, where: str) -> float:
    """The number in ``<tag>`` of ``element``; a missing or unreadable one is refused."""
    text = (element.findtext(tag) or "").strip()
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not np.isfinite(value):
        raise ExportParseError(
            f"<{tag}> is '{text[:40]}'; expected a number", where=f"{where} <RawChannel>"
        )
    return value


def _names(root: ET.Element) -> dict[str, str]:
    """Rotor position → sample name ('' where the pages disagree)."""
    names: dict[str, str] = {}
    for sample in root.iter("Sample"):
        position = (sample.findtext("TubePosition") or "").strip()
        name = (sample.findtext("Name") or "").strip()
        if position:
            names[position] = name if names.get(position, name) == name else ""
    return names


def read_rex(path: Path, sample: FileSample) -> pd.DataFrame:
    r"""The raw channels of a Rotor-Gene ``.rex`` run file, long: ``well`` (rotor position),
    ``sample``, ``reporter`` (the channel's name), ``cycle`` or ``temperature``,
    ``fluorescence``, ``kind``.

    Parameters
    ----------
    path
        The run file.
    sample
        The file's head (unused: the whole file is parsed).

    Returns
    -------
    pandas.DataFrame
        One row per reading.

    Raises
    ------
    ExportParseError
        Broken XML, a channel without a number in ``<StartX>``/``<StepX>``, a reading that
        is not numbers.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "run.rex"
    >>> _ = path.write_text("<Experiment><RexHeader>REX 3.14</RexHeader><Samples><Page>"
    ...     "<Sample><Name>ntc</Name><TubePosition>2</TubePosition></Sample></Page></Samples>"
    ...     "<RawChannels><RawChannel><Name>Cycling A.Green</Name><StartX>1</StartX>"
    ...     "<StepX>1</StepX><XAxisLabel>Cycle</XAxisLabel><Reading>.5 .6</Reading>"
    ...     "<Reading>.4 .4</Reading></RawChannel></RawChannels></Experiment>")
    >>> read_rex(path, FileSample(path))
      well sample         reporter  cycle  temperature  fluorescence           kind
    0    1         Cycling A.Green    1.0          NaN           0.5  amplification
    1    1         Cycling A.Green    2.0          NaN           0.6  amplification
    2    2    ntc  Cycling A.Green    1.0          NaN           0.4  amplification
    3    2    ntc  Cycling A.Green    2.0          NaN           0.4  amplification
    >>> folder.cleanup()
    """
    where = str(path)
    root = parse_xml(read_input(path), where)
    names = _names(root)
    frames = []
    for channel in root.iter("RawChannel"):
        start, step = _number(channel, "StartX", where), _number(channel, "StepX", where)
        label = (channel.findtext("XAxisLabel") or "").strip().lower()
        kind, x_name = ("amplification", "cycle") if label == "cycle" else ("melt", "temperature")
        reporter = (channel.findtext("Name") or "").strip()
        for i, reading in enumerate(channel.iterfind("Reading")):
            try:
                values = np.array((reading.text or "").split(), dtype=float)
            except ValueError:
                values = np.array([np.nan])
            if not np.isfinite(values).all():
                raise ExportParseError(
                    f"reading {i + 1} of channel '{reporter}' holds something other than "
                    "numbers; expected space-separated numbers",
                    where=f"{where} <RawChannel>",
                )
            position = str(i + 1)
            frames.append(pd.DataFrame({
                "well": position, "sample": names.get(position, ""), "reporter": reporter,
                x_name: start + step * np.arange(len(values)), "fluorescence": values,
                "kind": kind,
            }))  # fmt: skip
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return table.reindex(columns=_COLUMNS)
