"""Applied Biosystems / Thermo Fisher exports (export-formats.md §1).

Five formats are registered, each with its own content sniffer:

``thermo_classic``
    ``* Key = Value`` header and ``[Section]`` blocks (txt, any delimiter) written by 7500,
    StepOne, ViiA 7, QuantStudio 6/7/12K Flex (and D&A v1 text exports), or a workbook whose
    ``Results`` sheet has ``Block Type``/value rows then ``Well, Well Position, ..., Sample Name,
    Target Name, ..., CT``.
``thermo_da_v1``
    QuantStudio Design & Analysis v1: CSV whose first cell is ``Block Type`` (key/value rows,
    then the table), or a workbook like the classic one whose table has ``Amp Status`` or whose
    header has ``Stage/ Cycle where Ct Analysis is performed``.
``thermo_da_v2``
    Design & Analysis v2 workbook: ``Results`` sheet (``Primary_result`` in D&A 4.3 / Diomni)
    with ``Software Name and Version`` (or ``Software name``) or a table header
    ``Sample, Target, ..., Cq``; a Primary Analysis table (``Well Position, Task, Reporter, Cq``)
    has no sample or target names, which a layout gives.
``thermo_wellresult``
    D&A ``WellResult-*.csv`` well table: header line ``Well,Omit,Sample,Target,...,Task,...,Cq``.
``thermo_sds``
    SDS 2.x (7900HT): first line ``SDS 2.x<TAB>AQ Results``; ``Detector Name`` is the target.

All return one row per well × target with ``well, sample, target, sample_type, reporter, cq,
cq_status, omitted`` (+ ``quantity``, ``tm`` when present, ``call`` when the run has the
instrument's presence/absence or genotype calls, and ``flags`` when the table has flag columns
such as ``BADROX``/``HIGHSD``: the codes set to ``Y``, ';'-joined) and, when
the file has curves, the long tables ``amplification`` (``well, target, cycle, rn, delta_rn,
fluorescence`` with fluorescence = Rn) and ``melt`` (``well, target, reading, temperature,
fluorescence, derivative``).

Genotyping tables (``Allele1 Ct``, ``Allele2 Ct``) become one row per well × allele
(:mod:`~qpcr.io.thermo.genotyping`). Workbooks are opened by their content, whatever the
file is called.

Modules: :mod:`~qpcr.io.thermo.classic`, :mod:`~qpcr.io.thermo.design_analysis` (v1 and v2),
:mod:`~qpcr.io.thermo.wellresult` and :mod:`~qpcr.io.thermo.sds`, each registering its formats;
``_keyed`` (key/value rows then the results table) and ``_common`` (results, wells and curve
tables, header blocks) are shared.
"""

# Each module registers its formats when imported; imported in the order of registration
# (``qpcr formats`` lists the formats in that order).
# isort: off
from .classic import read_classic, sniff_classic
from .design_analysis import read_da_v1, read_da_v2, sniff_da_v1, sniff_da_v2
from .wellresult import read_wellresult, sniff_wellresult
from .sds import read_sds, sniff_sds
# isort: on

__all__ = [
    "read_classic",
    "read_da_v1",
    "read_da_v2",
    "read_sds",
    "read_wellresult",
    "sniff_classic",
    "sniff_da_v1",
    "sniff_da_v2",
    "sniff_sds",
    "sniff_wellresult",
]
