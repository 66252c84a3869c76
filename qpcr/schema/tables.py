"""Output tables: every column of every table an analysis returns (``qpcr.pipeline.Results``)
and writes (``<table>.csv`` and a sheet of ``results.xlsx``). ``docs/columns.md`` and the
README's "What you get" are generated from these declarations (``qpcr.report.docs``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from .codes import SEVERITIES
from .columns import DTYPES, SCALES, Column, Slot, Table
from .curves import CURVE_CALLS
from .melt import MELT
from .wells import CQ_STATUSES, SAMPLE_TYPES

__all__ = [
    "DTYPES",
    "SCALES",
    "TABLES",
    "Column",
    "Slot",
    "Table",
    "output_scale",
]


def _c(name: str, dtype: str, scale: str, meaning: str, unit: str = "") -> Column:
    return Column(name, dtype, scale, meaning, unit)


def _opt(column: Column) -> Column:
    return replace(column, optional=True)


# Columns shared by several tables (one declaration each).
_PLATE = _c("plate", "text", "text", "plate: the export's file stem unless the export names plates")
_WELL = _c("well", "text", "text", "well position (A1, B12, ...)")
_SAMPLE = _c("sample", "text", "text", "sample name")
_TARGET = _c("target", "text", "text", "target (gene) name, after [aliases]")
_CQ_MEAN = _c("cq_mean", "float", "Cq", "mean Cq of the technical replicates used", "cycles")
_CONTRAST = _c(
    "contrast",
    "text",
    "text",
    "the comparison: '<group> vs control' or the name of a [[contrasts]] entry",
)
_COMPARISON = _c(
    "comparison",
    "text",
    "text",
    "the comparison in words, the same label in every table, the terminal, the workbook and "
    "report.html: '<group> vs <control group>' or the name of a [[contrasts]] entry",
)
_P_ROLE = _c(
    "p_role",
    "text",
    "text",
    "'primary': the comparison's result to report; "
    "'sensitivity': the other analysis of the same comparison (two-group test or "
    "factorial model; see the methods text)",
)
_FOLD_CHANGE = _c("fold_change", "float", "fold change", "fold change (2^log2 fold change)")
_CI_LOW = _c("ci_low", "float", "fold change", "lower confidence limit of fold_change")
_CI_HIGH = _c("ci_high", "float", "fold change", "upper confidence limit of fold_change")
_FC_CI_LOW = _c(
    "fc_ci_low",
    "float",
    "fold change",
    "same as ci_low (deprecated duplicate, kept for one release)",
)
_FC_CI_HIGH = _c(
    "fc_ci_high",
    "float",
    "fold change",
    "same as ci_high (deprecated duplicate, kept for one release)",
)
_SE = _c("se", "float", "log2", "standard error of the log2 fold change", "log2")
_DF = _c("df", "float", "statistic", "degrees of freedom of the test")
_STATISTIC = _c("statistic", "float", "statistic", "the test's statistic (t for the t-tests)")
_P_VALUE = _c("p_value", "float", "p", "p-value of the test (unadjusted)")
_P_ADJ = _c("p_adj", "float", "p", "p-value adjusted within the comparison (setting adjust)")
_ADJUST = _c("adjust", "text", "text", "the adjustment method (holm, bh, bonferroni, none)")
_TEST = _c(
    "test",
    "text",
    "text",
    "the test: paired t, welch, student, permutation, paired permutation (sign flips within "
    "each biological replicate); 'mann-whitney (Hodges-Lehmann)' or "
    "'wilcoxon signed-rank (Hodges-Lehmann)': fold_change is 2^(Hodges-Lehmann shift) and the "
    "CI its rank interval",
)
_BOUND = _c(
    "bound",
    "text",
    "text",
    "'≤'/'≥' when non-detects make fold_change an upper/lower bound, '?' both, '' exact",
)
_NOTE = _c("note", "text", "text", "why a number is missing or qualified ('' when none)")
_N_USED = _c("n_used", "int", "count", "wells with a Cq used")
_CENSORED = _c(
    "censored",
    "bool",
    "flag",
    "the Cq used includes non-detects set at the detection limit (a bound)",
)
_UPPER = _c("upper_bound", "bool", "flag", "log2_rq is an upper bound (censored target Cq)")
_ITEM = _c("item", "text", "text", "'target' or 'ratio'")
_NAME = _c("name", "text", "text", "the target or ratio analysed")
_RATIO = _c("ratio", "text", "text", "ratio name from [ratios] (numerator/denominator target)")
_FACTORS = Slot("factors", "one column per design factor: the compared group's level")
_DESIGN = Slot("design", "one column per design factor, then the biological-replicate column")
_REPLICATES = (
    _N_USED,
    _CQ_MEAN,
    _c("cq_sd", "float", "Cq", "SD of the technical replicates (n − 1)", "cycles"),
    _c("cq_se", "float", "Cq", "standard error of cq_mean (cq_sd / √n_used)", "cycles"),
    _c("cq_range", "float", "Cq", "highest minus lowest Cq of the replicates", "cycles"),
    _opt(_c("n_censored", "int", "count", "wells used at the detection limit (non-detects)")),
)
_N_WELLS = _c("n", "int", "count", "wells of the sample and target")
_N_UNITS = _c("n", "int", "count", "biological replicates in the compared group")

TABLES: Final[dict[str, Table]] = {
    "wells": Table(
        "wells.csv",
        "input well × target, with its layout columns and why it is excluded",
        "always",
        (
            _PLATE, _WELL, _SAMPLE, _TARGET,
            _c("sample_type", "text", "text", f"well role ({', '.join(SAMPLE_TYPES)}; RDML types "
               "and ipc), or the instrument's own label when qpcr does not know it"),
            _opt(_c("reporter", "text", "text", "reporter dye")),
            _c("cq", "float", "Cq", "Cq as exported, or called from the curve (see cq_source); "
               "empty: no Cq, see cq_status", "cycles"),
            _c("cq_status", "text", "text", f"state of the Cq: {', '.join(CQ_STATUSES)}"),
            _opt(_c("cq_source", "text", "text", "where the Cq came from: instrument (the export), "
                    "or linreg or cpd2 (called from the well's amplification curve; "
                    "cq_source)")),
            _opt(_c("omitted", "bool", "flag", "the well was omitted in the instrument software")),
            _opt(_c("flags", "text", "text", "QC flags the instrument software set on the well "
                    "(VENDOR_FLAGS codes, ';'-joined; '' when none)")),
            _opt(_c("call", "text", "text", "the instrument software's call on the well: "
                    "presence/absence, or the genotype (as exported)")),
            _opt(_c("quantity", "float", "quantity", "standard quantity (layout, else export)")),
            _opt(_c("tm", "float", "statistic", "melting temperature", "°C")),
            _c("source", "text", "text", "the export file the row was read from"),
            _opt(_c("sample_export", "text", "text", "the export's sample name where the layout's "
                    "replaced it (sample_names = 'layout'; '' elsewhere)")),
            Slot("layout", "every other column of the layout and the export: design factors, "
                 "replicate, irc, instrument extras"),
            _c("censored", "bool", "flag",
               "the Cq used is the detection limit (a non-detect kept as a bound)"),
            _c("excluded", "bool", "flag", "the well is not quantified (see exclude_code)"),
            _c("exclude_code", "text", "text",
               "why the well is excluded: a code of EXCLUDE_REASONS ('' when used)"),
            _c("exclude_reason", "text", "text", "exclude_code as a sentence, with details"),
            _c("outlier", "bool", "flag", "the outlier rule singled the well out (excluded unless "
               "keep_outliers)"),
        ),
    ),
    "replicates": Table(
        "replicates.csv",
        "sample × target (× plate when plates are normalised separately): mean, SD and "
        "range of the technical replicates' Cq",
        "always",
        (
            _opt(_PLATE), _SAMPLE, _TARGET, _N_WELLS, *_REPLICATES, _DESIGN,
        ),
    ),
    "samples": Table(
        "samples.csv",
        "sample × target: ΔCq against the reference genes and the relative quantity",
        "when reference genes are set",
        (
            _opt(_PLATE), _SAMPLE, _TARGET, _N_WELLS, *_REPLICATES, _DESIGN, _CENSORED,
            _c("ref_cq", "float", "Cq", "mean efficiency-weighted Cq of the reference genes",
               "cycles at E = 2"),
            _c("delta_cq", "float", "Cq", "ΔCq = weighted Cq(target) − ref_cq", "cycles at E = 2"),
            _c("log2_rq", "float", "log2", "log2 relative quantity = −ΔCq (calibrated with plates)",
               "log2"),
            _c("rel_quantity", "float", "ratio", "relative quantity 2^log2_rq"),
            _c("se_log2_rq", "float", "log2", "propagated standard error of log2_rq (pairing = "
               "well: SD of the per-well ΔCq / √wells)", "log2"),
            _NOTE,
            _opt(_c("delta_cq_sd", "float", "Cq", "SD of the per-well ΔCq (pairing = well: target "
                    "and reference genes in the same well)", "cycles at E = 2")),
            _opt(_c("plate_cf_log2", "float", "log2",
                    "log2 calibration factor of the sample's plate and target", "log2")),
            _opt(_c("se_plate_cf_log2", "float", "log2", "standard error of plate_cf_log2",
                    "log2")),
            _UPPER,
            _c("not_detected", "bool", "flag",
               "every well of the target in this sample is a non-detect"),
            _opt(_c("delta_delta_cq", "float", "Cq", "ΔΔCq = delta_cq − delta_cq of the "
                    "calibrator sample ([control] sample)", "cycles at E = 2")),
            _opt(_c("rq", "float", "ratio", "relative quantity vs the calibrator sample, "
                    "2^−delta_delta_cq")),
            _opt(_c("rq_min", "float", "ratio", "lower limit of rq from the technical "
                    "replicates' SE (not a confidence interval for the biology)")),
            _opt(_c("rq_max", "float", "ratio", "upper limit of rq from the technical "
                    "replicates' SE (not a confidence interval for the biology)")),
        ),
    ),
    "fold_changes": Table(
        "fold_changes.csv",
        "target × comparison (each group vs the control group, then each [[contrasts]] "
        "entry): fold change with its CI, p and adjusted p",
        "when reference genes are set",
        (
            _CONTRAST, _TARGET, _FACTORS, _N_UNITS,
            _c("n_ref", "int", "count", "biological replicates in the reference (control) group"),
            _c("log2_fold_change", "float", "log2", "log2 fold change = −ΔΔCq", "log2"),
            _SE, _DF, _STATISTIC, _FOLD_CHANGE, _CI_LOW, _CI_HIGH, _P_VALUE, _TEST, _BOUND, _NOTE,
            _P_ADJ, _ADJUST, _opt(_COMPARISON), _opt(_P_ROLE),
        ),
    ),
    "ratios": Table(
        "ratios.csv",
        "ratio × group: the group's geometric-mean ratio with its CI and its fold change "
        "vs the control group (then each [[contrasts]] entry)",
        "when [ratios] are set",
        (
            _RATIO,
            _c("contrast", "text", "text", "'control' for the control group's own row, else as "
               "in fold_changes.csv"),
            _FACTORS,
            _c("n", "int", "count", "biological replicates in the group"),
            _c("value", "float", "ratio", "geometric mean of the per-sample ratios of the group"),
            _c("value_ci_low", "float", "ratio", "lower confidence limit of value"),
            _c("value_ci_high", "float", "ratio", "upper confidence limit of value"),
            _FOLD_CHANGE, _CI_LOW, _CI_HIGH, _FC_CI_LOW, _FC_CI_HIGH, _P_VALUE, _TEST, _BOUND,
            _NOTE, _P_ADJ, _ADJUST, _opt(_COMPARISON), _opt(_P_ROLE),
        ),
    ),
    "ratio_samples": Table(
        None,
        "ratio × sample: the per-sample ratio",
        "when [ratios] are set",
        (
            _RATIO, _SAMPLE, _DESIGN,
            _c("log2_ratio", "float", "log2", "log2 RQ(numerator) − log2 RQ(denominator)", "log2"),
            _c("ratio_value", "float", "ratio", "the ratio 2^log2_ratio"),
            _c("upper_bound", "bool", "flag", "the numerator is censored: an upper bound"),
            _c("lower_bound", "bool", "flag", "the denominator is censored: a lower bound"),
        ),
    ),
    "qc": Table(
        "qc.csv",
        "QC event: replicate spread, control amplification, missing reference, non-"
        "detects, standard curves, reference genes",
        "always",
        (
            _PLATE, _WELL, _SAMPLE, _TARGET,
            _c("code", "text", "text", "what happened: a code of QC_EVENTS"),
            _c("rule", "text", "text", "the code as spelled before (deprecated: use code)"),
            _c("severity", "text", "text", f"how serious: {', '.join(SEVERITIES)}"),
            _c("observed", "float", "statistic",
               "the number the rule tested (unit of threshold)"),
            _c("value", "float", "statistic",
               "same as observed (deprecated duplicate, kept for one release)"),
            _c("threshold", "float", "statistic", "the rule's limit"),
            _c("message", "text", "text", "the event in words"),
        ),
    ),
    "anova": Table(
        "anova.csv",
        "target or ratio × model term: two-way ANOVA on log2 values with the biological "
        "replicate as block",
        "when the design has factors",
        (
            _ITEM, _NAME,
            _c("term", "text", "text", "model term (a factor, an interaction a:b, the block)"),
            _c("sum_sq", "float", "statistic", "sum of squares", "log2²"),
            _DF,
            _c("F", "float", "statistic", "F statistic"),
            _P_VALUE,
            _c("ss_type", "text", "text", "type of sums of squares (II, or III when unbalanced; "
               "'III (mixed model, Satterthwaite)' when donors are incomplete)"),
            _NOTE,
            _opt(_c("den_df", "float", "statistic", "denominator df of F (Satterthwaite), when "
                    "incomplete donors are kept in the random-intercept mixed model")),
        ),
    ),
    "contrasts": Table(
        "contrasts.csv",
        "target or ratio × contrast: simple effects and interactions of the factorial "
        "model, with CI and adjusted p",
        "when the design has factors",
        (
            _ITEM, _NAME,
            _c("contrast", "text", "text", "the effect, e.g. 'oxygen: hypoxia vs normoxia | "
               "treatment=vehicle', or an interaction"),
            _c("kind", "text", "text", "'simple' (effect within a level) or 'interaction'"),
            _c("estimate_log2", "float", "log2", "the contrast's estimate (log2 fold change, or "
               "log2 ratio of fold changes)", "log2"),
            _c("se", "float", "log2", "standard error of estimate_log2", "log2"),
            _DF, _STATISTIC, _P_VALUE,
            _c("ci_low_log2", "float", "log2", "lower confidence limit of estimate_log2", "log2"),
            _c("ci_high_log2", "float", "log2", "upper confidence limit of estimate_log2", "log2"),
            _FOLD_CHANGE, _CI_LOW, _CI_HIGH, _FC_CI_LOW, _FC_CI_HIGH,
            _c("test", "text", "text", "the method (factorial_method): rcbd, paired t, welch; "
               "rcbd with incomplete donors: mixed model (REML, Satterthwaite df)"),
            _c("n", "int", "count", "biological samples (blocks when paired)"),
            _NOTE, _P_ADJ, _ADJUST, _opt(_COMPARISON), _opt(_P_ROLE),
        ),
    ),
    "standard_curves": Table(
        "standard_curves.csv",
        "plate × target: slope, intercept, R², efficiency with its CI",
        "when standards have quantities",
        (
            _PLATE, _TARGET,
            _c("slope", "float", "statistic", "slope of Cq on log10 quantity", "cycles per log10"),
            _c("intercept", "float", "Cq", "Cq at quantity 1", "cycles"),
            _c("r_squared", "float", "statistic", "R² of the fit"),
            _c("efficiency", "float", "efficiency", "amplification factor 10^(−1/slope)"),
            _c("efficiency_ci_low", "float", "efficiency", "lower confidence limit of efficiency"),
            _c("efficiency_ci_high", "float", "efficiency", "upper confidence limit of efficiency"),
            _c("n_points", "int", "count", "standard wells fitted"),
            _c("n_levels", "int", "count", "dilution levels"),
            _c("se_efficiency", "float", "efficiency", "standard error of efficiency"),
            _c("replicates_per_level", "int", "count", "fewest wells at any dilution level"),
            _c("log10_range", "float", "statistic", "span of the standards", "log10"),
            _NOTE,
        ),
    ),
    "quantities": Table(
        "quantities.csv",
        "plate × sample × target: unknowns read off the plate's standard curve",
        "when standards have quantities",
        (
            _PLATE, _SAMPLE, _TARGET,
            _c("n", "int", "count", "wells with a Cq"),
            _CQ_MEAN,
            _c("quantity", "float", "quantity", "10^((cq_mean − intercept)/slope)"),
            _c("upper_bound", "bool", "flag",
               "the mean includes a non-detect at the limit: quantity is an upper bound"),
        ),
    ),
    "reference_genes": Table(
        "reference_genes.csv",
        "candidate reference gene, best first: geNorm M, NormFinder, BestKeeper",
        "when candidate_genes are set",
        (
            _TARGET,
            _c("rank", "int", "count", "consensus rank (geNorm order, NormFinder breaks the tie)"),
            _c("genorm_m", "float", "statistic", "geNorm M within all candidates"),
            _c("genorm_rank", "int", "count", "geNorm rank (the best pair shares rank 1)"),
            _c("normfinder_stability", "float", "statistic", "NormFinder stability ρ (lower is "
               "better)"),
            _c("bestkeeper_sd", "float", "Cq", "BestKeeper SD of Cq", "cycles"),
            _c("bestkeeper_cv", "float", "statistic", "BestKeeper coefficient of variation", "%"),
            _c("bestkeeper_r", "float", "statistic", "BestKeeper correlation with the index"),
            _c("bestkeeper_p", "float", "p", "p-value of bestkeeper_r"),
            _c("recommended", "bool", "flag",
               "in geNorm's recommended set (never a gene with a warning)"),
            _c("warning", "text", "text", "why the gene should not be used here; '' when none"),
        ),
    ),
    "genorm_steps": Table(
        "genorm_steps.csv",
        "geNorm exclusion step: mean M and pairwise variation V",
        "when candidate_genes are set",
        (
            _c("step", "int", "count", "exclusion round (1 = all candidates)"),
            _c("genes_left", "int", "count", "candidates in this round"),
            _c("excluded_gene", "text", "text", "the gene excluded in this round ('' in the last)"),
            _c("excluded", "text", "text",
               "same as excluded_gene (deprecated duplicate, kept for one release)"),
            _c("mean_m", "float", "statistic", "mean geNorm M of the genes left"),
            _c("pairwise", "text", "text", "label of v, e.g. V2/3"),
            _c("v", "float", "statistic", "pairwise variation V n/n+1 (n + 1 = genes_left)"),
        ),
    ),
    "plate_calibration": Table(
        "plate_calibration.csv",
        "plate × target: the calibration factor",
        "with several plates",
        (
            _PLATE, _TARGET,
            _opt(_c("n_irc", "int", "count", "inter-run calibrators used")),
            _opt(_c("n_control", "int", "count", "control-group samples used (no calibrators)")),
            _c("log2_cf", "float", "log2", "log2 calibration factor", "log2"),
            _c("cf", "float", "ratio", "calibration factor 2^log2_cf"),
            _c("se_log2_cf", "float", "log2", "standard error of log2_cf", "log2"),
        ),
    ),
    "results_long": Table(
        "results_long.csv",
        "quantity (a fold change, a group's ratio, a ratio's fold change or a sample's "
        "relative quantity) with its CI and p: the tidy long form for R and notebooks",
        "with --tidy",
        (
            _c("contrast", "text", "text", "the comparison as in fold_changes.csv; 'control' "
               "for a ratio of the control group; '' for a sample's relative quantity"),
            _c("target", "text", "text", "target (gene) name, or the ratio name for ratio "
               "measures"),
            _DESIGN,
            _c("sample", "text", "text", "sample name (relative_quantity rows; '' otherwise)"),
            _c("measure", "text", "text", "fold_change (fold_changes.csv), ratio and "
               "ratio_fold_change (ratios.csv value and fold_change) or relative_quantity "
               "(samples.csv rel_quantity)"),
            _c("value", "float", "ratio", "the quantity, on the linear scale"),
            _c("ci_low", "float", "fold change", "lower confidence limit of value (empty for "
               "relative_quantity)"),
            _c("ci_high", "float", "fold change", "upper confidence limit of value (empty for "
               "relative_quantity)"),
            _P_VALUE, _P_ADJ,
            _c("p_role", "text", "text", "p_role of the row's result in fold_changes.csv or "
               "ratios.csv ('primary': the p to report; 'sensitivity': the factorial model's "
               "contrast in contrasts.csv is the primary result); '' where there is no p"),
            _c("comparison", "text", "text", "the comparison in words, as in fold_changes.csv "
               "and ratios.csv ('' for a sample's relative quantity)"),
        ),
    ),
    "settings_applied": Table(
        "settings_applied.csv",
        "entry of the per-target settings of a batch ([efficiency], [assay_single_copy_cq], "
        "[ratios]): the plates it applied to and those that lack its target",
        "by qpcr batch",
        (
            _c("setting", "text", "text", "where the entry was given: the settings file and its "
               "table, or the option"),
            _c("entry", "text", "text", "the entry (efficiency of 'VEGFA', ratio 'VEGFA/BMP2')"),
            _c("plates", "int", "count", "plates analysed with the entry"),
            _c("applied", "int", "count", "plates it applied to (the others lack its target)"),
            _c("not_applied", "text", "text", "the plates (export) it did not apply to, "
               "';'-joined ('' when none)"),
        ),
    ),
    "warnings": Table(
        "warnings.csv",
        "warning or note of a plate's analysis (what qpcr analyze prints and provenance.json "
        "records)",
        "by qpcr batch",
        (
            _c("kind", "text", "text", "warning (a result may need a second look) or note (what "
               "the analysis did, e.g. a settings entry left out on a plate without its target)"),
            _c("message", "text", "text", "the text, as qpcr analyze prints it"),
        ),
    ),
    "curves": CURVE_CALLS,
    "melt": MELT,
}  # fmt: skip


def output_scale(name: str) -> str | None:
    """The scale of an output column name (None when no table declares it).

    Parameters
    ----------
    name
        A column name.

    Returns
    -------
    str or None
        A key of :data:`SCALES`, from the first table that declares the column.

    Examples
    --------
    >>> output_scale("fold_change"), output_scale("cq_mean"), output_scale("Group")
    ('fold change', 'Cq', None)
    """
    for table in TABLES.values():
        for column in table.columns:
            if isinstance(column, Column) and column.name == name:
                return column.scale
    return None
