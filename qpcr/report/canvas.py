"""The canvas every figure of qpcr is drawn on: a figure on its own Agg canvas (no pyplot
state), its layout settled once, and saved so that equal figures give equal files. The report's
figures (:mod:`qpcr.report.figures`) and the curve figures (:mod:`qpcr.calling.figures`) share it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["draw_png", "new_figure", "save_figure", "settle_layout"]


def new_figure(
    nrows: int, ncols: int, figsize: tuple[float, float], panels: int | None = None
) -> tuple[Figure, Any]:
    """A figure on its own Agg canvas (no pyplot state) and its grid of axes.

    Only the first ``panels`` cells of the grid (by rows; all when None) get axes, the others
    are None: nothing is built that is not drawn. Titles sit at the top of their axes: the
    automatic placement only moves a title clear of tick labels on top, which these figures
    never have, and measures every tick label of the axes at each draw to find that out.

    Parameters
    ----------
    nrows, ncols
        The grid's rows and columns.
    figsize
        Width and height in inches.
    panels
        How many cells get axes; None: all.

    Returns
    -------
    tuple
        The figure and a ``(nrows, ncols)`` object array of its axes (None where a cell has
        none).

    Examples
    --------
    >>> fig, axes = new_figure(2, 2, (6.0, 4.0), panels=3)
    >>> len(fig.axes), axes[1, 1] is None
    (3, True)
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(nrows, ncols)
    axes = np.full((nrows, ncols), None, dtype=object)
    with matplotlib.rc_context({"axes.titley": 1.0}):
        for i in range(nrows * ncols if panels is None else panels):
            axes.flat[i] = fig.add_subplot(grid[divmod(i, ncols)])
    return fig, axes


def settle_layout(fig: Figure) -> None:
    """``tight_layout`` once, now: afterwards the figure keeps no layout engine, so that each
    save draws it once instead of drawing it a first time to lay it out again.

    Parameters
    ----------
    fig
        A figure from :func:`new_figure`.

    Examples
    --------
    >>> fig, axes = new_figure(1, 1, (3.0, 2.0))
    >>> settle_layout(fig)
    >>> fig.get_layout_engine() is None
    True
    """
    fig.tight_layout()
    fig.set_layout_engine(None)


def save_figure(fig: Figure, fmt: str, path: Path | io.BytesIO) -> None:
    """Save without a creation date or software stamp, so equal figures give equal files: PNG
    at 300 dpi (:func:`draw_png`), SVG with its text kept as text, PDF.

    Parameters
    ----------
    fig
        A figure from :func:`new_figure`.
    fmt
        ``png``, ``svg`` or ``pdf``.
    path
        The file to write, or a buffer.

    Examples
    --------
    >>> fig, axes = new_figure(1, 1, (3.0, 2.0))
    >>> _ = axes[0, 0].set_title("MYC")
    >>> first, second = io.BytesIO(), io.BytesIO()
    >>> save_figure(fig, "svg", first)
    >>> save_figure(fig, "svg", second)
    >>> first.getvalue() == second.getvalue(), b">MYC</text>" in first.getvalue()
    (True, True)
    """
    if fmt == "png":
        data = draw_png(fig)()
        if isinstance(path, io.BytesIO):
            path.write(data)
        else:
            path.write_bytes(data)
        return
    import matplotlib

    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None, "Producer": None}}[fmt]
    # SVG text stays text (found by a search, selectable, editable in a drawing program; half
    # the bytes and 0.65x the CPU of outlining each glyph), in the PNG's font (DejaVu Sans) or
    # else another sans-serif; the element ids are the same in equal SVGs.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "qpcr"}):
        fig.savefig(path, format=fmt, dpi=300, metadata=metadata)


def draw_png(fig: Figure) -> Callable[[], bytes]:
    """The figure drawn at 300 dpi (as ``savefig`` draws it) now; the returned function
    encodes it (:func:`qpcr.report.png.png_encoder`), in this thread or another.

    Parameters
    ----------
    fig
        A figure from :func:`new_figure`.

    Returns
    -------
    callable
        No arguments; returns the PNG's bytes.

    Examples
    --------
    >>> fig, axes = new_figure(1, 1, (1.0, 0.5))
    >>> encode = draw_png(fig)
    >>> encode()[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from .png import png_encoder

    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)  # every figure here is made by new_figure
    dpi = fig.dpi
    fig.dpi = 300
    try:
        canvas.draw()
        return png_encoder(np.asarray(canvas.buffer_rgba()), 300)  # copies the pixels
    finally:
        fig.dpi = dpi
