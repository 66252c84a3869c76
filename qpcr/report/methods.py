"""The methods text, written from what the run did: the exclusion rules that removed wells,
each target's efficiency source, the tests, model and adjustment used, and software versions.

The wording of each test, adjustment, outlier rule and non-detect policy is declared beside its
vocabulary; this module only chooses and joins.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import pandas as pd

from .. import __version__
from ..censoring import POLICY_METHODS_TEXT
from ..groups import group_label
from ..lowcopy import methods_text as low_copy_methods_text
from ..outliers import RULE_METHODS_TEXT
from ..stats import ADJUST_METHODS_TEXT, TEST_METHODS_TEXT
from ..stats.linear import MIXED_TEST

if TYPE_CHECKING:
    from ..results import Results

__all__ = ["methods_text"]

#: The test named in the ``test`` column of the result tables, in methods wording.
_USED_TEST_TEXT: dict[str, str] = {
    "paired t": "a paired t-test on the differences within each biological replicate",
    "paired permutation": "a randomisation test flipping the signs of the differences within "
    "each biological replicate",
    **{k: v for k, v in TEST_METHODS_TEXT.items() if k not in ("auto", "paired")},
    # the rank tests' labels (unpaired and paired); one wording covers both
    **dict.fromkeys(
        ("mann-whitney (Hodges-Lehmann)", "wilcoxon signed-rank (Hodges-Lehmann)"),
        TEST_METHODS_TEXT["mann-whitney"],
    ),
}

_FACTORIAL_TEXT = {
    "rcbd": "a two-way ANOVA of the log2 values ({factors}) with the biological replicate "
    "({replicate}) as block (randomised complete block design); its simple effects and "
    "interaction contrasts use the model's pooled residual variance",
    "paired": "paired differences between the biological replicates' ({replicate}) log2 values "
    "for each simple effect and interaction ({factors})",
    "welch": "Welch-type contrasts of the group means of the log2 values ({factors})",
}


def _count(n: int, noun: str) -> str:
    """``1 well``, ``2 wells``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _exclusion_counts(wells: pd.DataFrame) -> Counter:
    """How many excluded wells carry each exclusion code ('' for a missing code)."""
    excluded = zip(wells["exclude_code"].tolist(), wells["excluded"].tolist(), strict=True)
    return Counter("" if pd.isna(code) else code for code, gone in excluded if gone)


def _exclusions(results: Results) -> str:
    """One sentence per exclusion rule that removed wells, with the count."""
    cfg = results.config
    wells = results.wells
    codes = _exclusion_counts(wells)
    out = []
    outliers = sum(n for code, n in codes.items() if str(code).startswith("outlier_"))
    rule = RULE_METHODS_TEXT[cfg.outlier_rule].format(threshold=cfg.outlier_threshold)
    if cfg.outlier_rule == "poisson":  # its text ends with the zero-copy wells left out
        rule += f" ({_count(int(codes.get('zero_copy', 0)), 'well')})"
    if cfg.outlier_rule != "none":
        kept = "kept (keep_outliers)" if cfg.keep_outliers else "excluded"
        rule += f"; the deviating well of a flagged set was {kept} ({_count(outliers, 'well')})"
    out.append(rule + ".")
    if codes.get("isolated_nondetect"):
        out.append(
            "A non-detect whose technical replicates all amplified more than "
            f"{cfg.ntc_margin:g} cycles below the cycle limit {cfg.nondetect_limit:g} was "
            "treated as a failed reaction and excluded "
            f"({_count(int(codes['isolated_nondetect']), 'well')})."
        )
    named = {
        "omitted": "omitted in the instrument software",
        "vendor_flag": "flagged by the instrument software with "
        + ", ".join(cfg.exclude_flags or ("a listed flag",)),
        "invalid_cq": "without a valid Cq",
        "nondetect": "undetermined and excluded by the non-detect policy",
    }
    for code, text in named.items():
        if codes.get(code):
            out.append(f"{_count(int(codes[code]), 'well').capitalize()} {text} were excluded.")
    return " ".join(out)


def _low_copy(results: Results) -> str:
    """Which low-copy targets (those with a ``low_copy`` note) took the Cq of their copies and
    which kept the mean Cq, and why (:func:`qpcr.lowcopy.methods_text`)."""
    qc = results.qc
    if qc.empty or "code" not in qc:
        return ""
    rows = zip(qc["code"].tolist(), qc["target"].tolist(), strict=True)
    low = list(dict.fromkeys(str(t) for code, t in rows if isinstance(code, str)
                             and code == "low_copy"))  # fmt: skip
    text = low_copy_methods_text(low, results.config) if low else ""
    return " " + text if text else ""


def _cq_source(results: Results) -> str:
    """Where Cq came from, when the run called any from the curves (else nothing: the
    instrument's)."""
    calls, wells = results.curve_calls, results.wells
    if calls is None or "cq_source" not in wells or wells["cq_source"].eq("instrument").all():
        return ""
    from ..calling import METHODS

    method = {"linreg": "LinRegPCR (Ruijter et al. 2009): baseline per well, window of "
              "linearity, and the crossing of one common threshold per amplicon",
              "cpd2": METHODS["cpd2"]}[calls.method]  # fmt: skip
    called = wells[wells["cq_source"].ne("instrument")]
    plates = list(dict.fromkeys(called["plate"].astype(str)))
    where = "" if len(called) == len(wells) else (
        f" on plate(s) {', '.join(plates)}; the other Cq values are the instrument software's"
    )  # fmt: skip
    return f" Cq values were called from the raw amplification curves with {method}{where}."


def _efficiency(results: Results) -> str:
    """Each target's efficiency source: settings, standard curve or amplification curves, or
    E = 2 assumed."""
    given, used = results.config.efficiency, results.efficiency
    targets = list(results.targets)
    if not used:
        return (
            "All targets were assumed to amplify with E = 2 (100 %), i.e. the 2^-ΔΔCq method "
            "(Livak & Schmittgen 2001)."
        )
    curve = [t for t in targets if t in used and t not in given]
    setting = [t for t in targets if t in given]
    assumed = [t for t in targets if t not in used]

    def listed(names: list[str]) -> str:
        return "; ".join(f"{t} {used[t]:.3f} ({100 * (used[t] - 1):.1f} %)" for t in names)

    parts = []
    if curve and results.config.efficiency_source == "curves":
        parts.append(
            "from the amplification curves (each amplicon's mean reaction efficiency, "
            f"LinRegPCR; its standard error propagated) for {listed(curve)}"
        )
    elif curve:
        parts.append(f"from the standard curves on the plate(s) for {listed(curve)}")
    if setting:
        parts.append(f"as given in the settings for {listed(setting)}")
    if assumed:
        parts.append(f"assumed to be 2 (100 %) for {', '.join(assumed)}")
    return (
        f"Amplification efficiencies (amplification factor E) were taken {'; and '.join(parts)}. "
        "Each Cq was weighted by log2 E, which makes the calculation the efficiency-corrected "
        "model of Pfaffl (2001) and, with several reference genes, the qBase normalised "
        "relative quantity (Hellemans et al. 2007)."
    )


def _tests(results: Results) -> str:
    """The tests the comparisons used, the model when there is one, and the adjustment."""
    cfg = results.config
    used = [t for t in _values(results, "test") if pd.notna(t)]
    names = [str(t) for t in dict.fromkeys(used) if str(t)]
    tests = " or ".join(_USED_TEST_TEXT.get(t, t) for t in names) or TEST_METHODS_TEXT[cfg.test]
    why = ""
    if cfg.test == "auto" and "paired t" in names:
        why = (
            "; the test setting 'auto' pairs the groups when both hold the same biological "
            "replicates, which removes the variation between replicates"
        )
    text = f"Each group was compared with the control group with {tests}{why}."
    contrasts = results.tables.get("contrasts", pd.DataFrame())
    if not contrasts.empty:
        model = _FACTORIAL_TEXT[cfg.factorial_method].format(
            factors=" × ".join(results.factors), replicate=cfg.replicate or "sample"
        )
        if "test" in contrasts and MIXED_TEST in contrasts["test"].tolist():
            model += (
                "; as biological replicates missed samples, it was fitted as a linear mixed "
                "model with a random intercept per replicate (REML, Satterthwaite degrees of "
                "freedom), which keeps every sample of an incomplete replicate"
            )
        text += (
            f" The factorial design was also analysed with {model} (anova.csv, contrasts.csv). "
            f"{_primary(results)} The model's interaction contrasts test whether one factor's "
            "effect depends on the other."
        )
    return text + (
        f" p-values were adjusted within each comparison across targets and ratios with "
        f"{ADJUST_METHODS_TEXT[cfg.adjust]}."
    )


def _values(results: Results, column: str) -> list[Any]:
    """The cells of ``column`` in fold_changes, then in ratios (a table without it adds none)."""
    tables = (results.fold_changes, results.ratios)
    return [value for table in tables if column in table for value in table[column].tolist()]


def _primary(results: Results) -> str:
    """Which of the two analyses of a comparison is primary, and why (the ``p_role`` column)."""
    roles = _values(results, "p_role")
    two_group = (
        "the two-group comparisons (fold_changes.csv, ratios.csv), because each rests only on "
        "the two groups it names; the model's contrasts for the same comparisons (the same "
        "comparison label in contrasts.csv) borrow the residual variance of every group and "
        "are a sensitivity analysis"
    )
    second = roles.count("sensitivity")
    if not second:
        return f"The primary results (p_role 'primary') are those of {two_group}."
    return (
        f"The primary results (p_role 'primary') are those of {two_group}, except for {second} "
        f"of the {roles.count('primary') + second} results, whose two-group "
        "test did not pair the biological replicates "
        f"({results.config.replicate}) while the model took them into account: for those the "
        "model's contrast is primary, because it keeps the "
        "comparison within each replicate, and the two-group test is the sensitivity analysis."
    )


def _by_well(results: Results) -> str:
    """How ΔCq was paired: per well for multiplex wells (the ``delta_cq_sd`` column)."""
    if "delta_cq_sd" not in results.samples:
        return ""
    return (
        ", taken per well (target and reference genes measured in the same well) and then "
        "averaged per sample"
    )


def _versions() -> str:
    from .tables import versions

    found = versions()
    names = ("python", "numpy", "pandas", "scipy")
    return ", ".join(f"{n.capitalize() if n == 'python' else n} {found[n]}" for n in names)


def methods_text(results: Results) -> str:
    """A methods paragraph describing what was computed, ready to adapt for a paper.

    Parameters
    ----------
    results
        A finished analysis.

    Returns
    -------
    str
        The paragraph: averaging, the exclusion rules that removed wells (with counts),
        non-detects, normalisation, each target's efficiency source, the tests, the factorial
        model when there is one, the adjustment and the software versions.

    Examples
    --------
    ``example_results()`` is a small analysis (see the repository's ``conftest.py``):

    >>> text = methods_text(example_results())
    >>> print(text[:48])
    Relative quantification was performed with qpcr
    >>> "Welch's t-test" in text, "assumed to amplify with E = 2" in text
    (True, True)
    """
    from ..calibrator import CALIBRATOR_METHODS_TEXT, calibrator_sample

    cfg = results.config
    refs = ", ".join(results.reference_genes)
    nondetects = POLICY_METHODS_TEXT[cfg.nondetect_policy].format(limit=cfg.nondetect_limit)
    head = (
        f"Relative quantification was performed with qpcr {__version__} ({_versions()}). "
        "Technical replicate Cq values were averaged arithmetically per sample and target; "
        "wells omitted in the instrument software, control wells and standards were not "
        f"quantified, and undetermined (non-detect) wells were {nondetects}.{_cq_source(results)} "
        f"{_exclusions(results)}{_low_copy(results)} Each sample's target Cq was normalised "
        f"to the mean Cq of the reference genes {refs} (the geometric mean of their relative "
        "quantities): "
        f"ΔCq = Cq(target) − mean Cq(reference){_by_well(results)}. {_efficiency(results)}"
    )
    calibrator = calibrator_sample(cfg)
    if calibrator is not None:
        level = 100 * (1 - cfg.alpha)
        return f"{head} {CALIBRATOR_METHODS_TEXT.format(name=calibrator, level=level)}"
    ratios = ""
    if cfg.ratios:
        ratios = (
            f" Ratios ({', '.join(cfg.ratios)}) were computed per sample as the ratio of the two "
            "targets' relative quantities (the reference genes cancel), analysed on the log2 "
            "scale in the same way and summarised per group as geometric means."
        )
    return (
        f"{head} Fold changes are 2^-ΔΔCq with ΔΔCq = mean ΔCq(group) − mean ΔCq(control group "
        f"{group_label(cfg.control)}). Statistics were computed on the log2 scale (−ΔCq) with "
        f"one value per biological replicate ({cfg.replicate or 'sample'}); technical "
        f"replicates were not counted as n. {_tests(results)} "
        f"{100 * (1 - cfg.alpha):g} % confidence intervals of the log2 fold change were "
        f"back-transformed to the fold-change scale.{ratios}"
    )
