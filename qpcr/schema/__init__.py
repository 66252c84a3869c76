"""The project's declarations of its tables and codes.

- :mod:`qpcr.schema.wells`: the tidy wells table every reader returns, its vocabularies
  (sample types, Cq states, non-detect tokens) and :func:`check_wells`;
- :mod:`qpcr.schema.codes`: why a well is excluded and what a QC event is, with their sentences;
- :mod:`qpcr.schema.tables`: every column of every output table, from which the writers order
  their columns (:mod:`qpcr.schema.conform`) and ``docs/columns.md`` is generated.

Every public name is importable from ``qpcr.schema`` itself.
"""

from __future__ import annotations

from .codes import CONTROL_TYPES, EXCLUDE_REASONS, QC_EVENTS, SEVERITIES, exclude_sentence
from .conform import columns_of, conform, conform_columns
from .tables import DTYPES, SCALES, TABLES, Column, Slot, Table, output_scale
from .wells import (
    CQ_STATUSES,
    NON_DETECT_TOKENS,
    REQUIRED_COLUMNS,
    SAMPLE_TYPE_ALIASES,
    SAMPLE_TYPES,
    VENDOR_FLAGS,
    check_wells,
    normalise_sample_type,
)

__all__ = [
    "CONTROL_TYPES",
    "CQ_STATUSES",
    "DTYPES",
    "EXCLUDE_REASONS",
    "NON_DETECT_TOKENS",
    "QC_EVENTS",
    "REQUIRED_COLUMNS",
    "SAMPLE_TYPES",
    "SAMPLE_TYPE_ALIASES",
    "SCALES",
    "SEVERITIES",
    "TABLES",
    "VENDOR_FLAGS",
    "Column",
    "Slot",
    "Table",
    "check_wells",
    "columns_of",
    "conform",
    "conform_columns",
    "exclude_sentence",
    "normalise_sample_type",
    "output_scale",
]
