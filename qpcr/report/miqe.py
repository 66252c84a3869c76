"""``miqe.md``: the MIQE items that concern data analysis, filled from the run itself.

MIQE (Bustin et al., Clin Chem 2009; MIQE 2.0, 2025) lists what a qPCR publication must report.
Each item here is read from the analysis (:class:`~qpcr.results.Results`), not from a template,
and marked ``documented`` (the run says it; the line gives the values), ``not applicable`` or
``missing`` (the user adds it by hand; the line says what).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from ..atomic import atomic_write

if TYPE_CHECKING:
    from ..results import Results

__all__ = ["MiqeItem", "miqe_items", "write_miqe"]

DOCUMENTED, NOT_APPLICABLE, MISSING = "documented", "not applicable", "missing"


class MiqeItem(NamedTuple):
    """One checklist line: the MIQE item, its status and what the run says (or what to add).
    A named tuple: a frozen dataclass costs 0.5 ms to make when the module loads."""

    item: str
    status: str
    detail: str


def _reference_genes(results: Results) -> list[MiqeItem]:
    refs = results.reference_genes
    if not refs:
        return [MiqeItem("Reference genes", NOT_APPLICABLE, "no normalisation to reference "
                         "genes (absolute quantification from standard curves)")]  # fmt: skip
    mean = "the geometric mean of their relative quantities" if len(refs) > 1 else "its quantity"
    line = MiqeItem("Reference genes", DOCUMENTED, f"{', '.join(refs)}; each sample normalised "
                    f"to {mean}")  # fmt: skip
    stability = results.tables.get("reference_genes")
    if stability is None or stability.empty:
        return [line, MiqeItem("Reference gene validation", MISSING, "stability not assessed in "
                               "this run: set candidate_genes (geNorm, NormFinder, BestKeeper) or "
                               "cite the validation")]  # fmt: skip
    ranked = ", ".join(f"{r.target} (geNorm M {r.genorm_m:.3f})"
                       for r in stability.itertuples())  # fmt: skip
    return [
        line,
        MiqeItem(
            "Reference gene validation",
            DOCUMENTED,
            f"stability of {len(stability)} candidates, best first: {ranked}",
        ),
    ]


def _efficiency(results: Results) -> MiqeItem:
    sources = results.efficiency_sources()
    parts = [f"{t}: E = {s.efficiency:.3f} ({s.method})" for t, s in sources.items()]
    assumed = [t for t, s in sources.items() if s.kind == "assumed"]
    if assumed:
        return MiqeItem(
            "PCR efficiency",
            MISSING,
            f"E = 2 assumed for {', '.join(assumed)}: "
            "determine it (standard curve) and report it; " + "; ".join(parts),
        )
    return MiqeItem("PCR efficiency", DOCUMENTED, "; ".join(parts))


def _controls(results: Results, kind: str, name: str, code: str) -> MiqeItem:
    wells = results.wells
    rows = [i for i, t in enumerate(wells["sample_type"].tolist()) if t == kind]
    if not rows:
        return MiqeItem(name, MISSING, f"no {kind} wells in this run: report these controls or "
                        "why they were not run")  # fmt: skip
    qc = results.qc
    hits = qc["code"].tolist().count(code) if "code" in qc else len(qc)
    amplified = int(pd.notna(wells["cq"].to_numpy()[rows]).sum())
    targets = wells["target"].tolist()
    distinct = len({targets[i] for i in rows if pd.notna(targets[i])})
    detail = (f"{len(rows)} wells over {distinct} targets; {amplified} "
              f"amplified, {hits} within {results.config.ntc_margin:g} cycles of the "
              "samples (qc.csv)")  # fmt: skip
    return MiqeItem(name, DOCUMENTED, detail)


def _cq(results: Results) -> MiqeItem:
    found = sorted({" on ".join(p for p in (r.software, r.instrument) if p)
                    for r in results.runs if r.instrument})  # fmt: skip
    if not found:
        return MiqeItem(
            "Cq determination",
            MISSING,
            "the inputs name no instrument: add the "
            "instrument, its software and the threshold and baseline settings",
        )
    return MiqeItem(
        "Cq determination",
        DOCUMENTED,
        f"Cq as called by {'; '.join(found)} (read, "
        "not recalled); add the threshold and baseline settings if not automatic",
    )


def _handling(results: Results) -> MiqeItem:
    cfg, wells = results.config, results.wells
    codes = wells["exclude_code"].tolist()
    outliers = sum(1 for c in codes if isinstance(c, str) and c.startswith("outlier"))
    in_samples = zip(wells["cq_status"].tolist(), wells["sample_type"].tolist(), strict=True)
    nondetects = sum(
        1 for status, kind in in_samples if status == "undetermined" and kind == "unkn"
    )
    kept = " (kept: keep_outliers)" if cfg.keep_outliers else ""
    isolated = codes.count("isolated_nondetect")
    return MiqeItem("Outliers and non-detects", DOCUMENTED,
                    f"outlier rule {cfg.outlier_rule}, threshold {cfg.outlier_threshold:g}: "
                    f"{outliers} well(s) excluded{kept}; {nondetects} non-detect(s) in sample "
                    f"wells, policy {cfg.nondetect_policy} at Cq {cfg.nondetect_limit:g}; "
                    f"isolated non-detects excluded: {isolated}")  # fmt: skip


def _replicates(results: Results) -> MiqeItem:
    n = results.replicates.get("n", pd.Series(dtype=float))
    technical = (f"technical replicates per sample and target {int(min(n))}-{int(max(n))}"
                 if len(n) else "no technical replicates")  # fmt: skip
    column = results.config.replicate
    if column is None:
        return MiqeItem("Replicates", MISSING, f"{technical}; the biological replicate is not "
                        "named (set replicate): each sample counts as one")  # fmt: skip
    levels = results.samples[column].nunique() if column in results.samples else 0
    return MiqeItem("Replicates", DOCUMENTED, f"{technical}; biological replicate '{column}' "
                    f"({levels} levels)")  # fmt: skip


def _statistics(results: Results) -> MiqeItem:
    frames = [f for f in (results.fold_changes, results.ratios) if not f.empty]
    if not frames:
        return MiqeItem("Statistical methods", NOT_APPLICABLE, "no comparisons in this run")
    tests = sorted({str(t) for f in frames if "test" in f for t in f["test"].dropna() if t})
    cfg = results.config
    anova = "" if "anova" not in results.tables else f"; ANOVA ({cfg.factorial_method})"
    return MiqeItem("Statistical methods", DOCUMENTED,
                    f"tests {', '.join(tests)} on log2 fold changes; {100 * (1 - cfg.alpha):g} % "
                    f"CI; p adjusted ({cfg.adjust}){anova}")  # fmt: skip


def _software() -> MiqeItem:
    from .tables import versions

    found = versions()
    names = ", ".join(f"{k} {v}" for k, v in found.items() if v != "not installed")
    return MiqeItem("Software", DOCUMENTED, names)


def miqe_items(results: Results) -> list[MiqeItem]:
    """The data-analysis items of MIQE, each read from ``results``.

    Parameters
    ----------
    results
        A finished analysis.

    Returns
    -------
    list of MiqeItem
        Reference genes and their validation, efficiency, NTC and no-RT controls, Cq
        determination, outlier and non-detect handling, replicates, statistics, software.

    Examples
    --------
    ``example_results()`` is a small analysis (see the repository's ``conftest.py``):

    >>> [(i.item, i.status) for i in miqe_items(example_results())]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('Reference genes', 'documented'), ('Reference gene validation', 'missing'),
     ('PCR efficiency', 'missing'), ('No-template controls', 'missing'),
     ('No-RT controls', 'missing'), ('Cq determination', 'missing'),
     ('Outliers and non-detects', 'documented'), ('Replicates', 'missing'),
     ('Statistical methods', 'documented'), ('Software', 'documented')]
    """
    return [
        *_reference_genes(results),
        _efficiency(results),
        _controls(results, "ntc", "No-template controls", "ntc_amplification"),
        _controls(results, "nrt", "No-RT controls", "nrt_amplification"),
        _cq(results),
        _handling(results),
        _replicates(results),
        _statistics(results),
        _software(),
    ]


def write_miqe(results: Results, path: Path) -> Path:
    """Write :func:`miqe_items` as a Markdown table.

    Parameters
    ----------
    results
        A finished analysis.
    path
        The ``miqe.md`` to write.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> text = write_miqe(example_results(), Path(folder.name) / "miqe.md").read_text("utf-8")
    >>> print(text.splitlines()[6])
    | Reference genes | documented | GAPDH; each sample normalised to its quantity |
    >>> folder.cleanup()
    """
    lines = [
        "# MIQE checklist: data analysis",
        "",
        "The items of MIQE (Bustin et al. 2009; MIQE 2.0, 2025) on data analysis, read from this "
        "run. Add the **missing** ones by hand.",
        "",
        "| Item | Status | This run |",
        "|---|---|---|",
    ]
    for item in miqe_items(results):
        detail = item.detail.replace("|", "\\|")
        status = f"**{item.status}**" if item.status == MISSING else item.status
        lines.append(f"| {item.item} | {status} | {detail} |")
    text = "\n".join(lines) + "\n"
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
