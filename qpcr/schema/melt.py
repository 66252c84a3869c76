"""The melt table (``melt.csv``): one row per melt curve, with its products as
:func:`qpcr.melt.melt_peaks` calls them (methods in :mod:`qpcr.melt`)."""

from __future__ import annotations

from typing import Final

from .columns import Column, Table

__all__ = ["MELT", "MELT_QC"]

#: Per-well melt QC codes of the ``qc`` column (their sentences: :data:`qpcr.schema.QC_EVENTS`).
MELT_QC: Final = ("melt_no_peak", "melt_multiple_peaks", "melt_tm_off", "melt_primer_dimer")

MELT: Final = Table(
    file="melt.csv",
    rows="one melt curve: plate × well × target (× reporter)",
    when="when the export holds melt curves",
    columns=(
        Column("plate", "text", "text", "plate: the export's run id, else its file stem"),
        Column("well", "text", "text", "well position (A1, B12, ...)"),
        Column("sample", "text", "text", "sample name; '' when the export names none"),
        Column("target", "text", "text", "target (gene) name; '' when the export names none"),
        Column("tm", "float", "statistic", "melting temperature of the main (tallest) peak; "
               "NaN without a peak", "°C"),
        Column("peak_height", "float", "statistic", "−dF/dT at the main peak's top, in the "
               "curve's fluorescence units per °C"),
        Column("n_peaks", "int", "count", "peaks (products) in the −dF/dT curve"),
        Column("primer_dimer", "bool", "flag", "a peak more than DIMER_GAP (3 °C) below the "
               "target's consensus Tm: primer-dimer"),
        Column("reporter", "text", "text", "reporter dye; '' when the export names none"),
        Column("peak_area", "float", "statistic", "area of the main peak above the straight "
               "line joining its two bases (fluorescence units)"),
        Column("target_tm", "float", "statistic", "the consensus Tm of the target on the "
               "plate: median main-peak Tm of its tall-peaked non-control wells", "°C"),
        Column("tm_off", "bool", "flag", "the main peak is more than TM_TOLERANCE (1 °C) "
               "from target_tm"),
        Column("product_peak", "bool", "flag", "a peak within TM_TOLERANCE of target_tm: the "
               "target's product melted in the well"),
        Column("qc", "text", "text", f"melt QC codes, ';'-separated: {', '.join(MELT_QC)}"),
    ),
)  # fmt: skip
