"""The steps of an analysis after reading (see docs/internals.md), each usable on its own.

:func:`qpcr.pipeline.read_wells` reads the exports and joins the layout; then
:func:`~qpcr.stages.quality.quality` applies QC, :func:`~qpcr.stages.quantify.quantify`
normalises, :func:`~qpcr.stages.comparisons.compare` compares the groups and
:func:`~qpcr.stages.comparisons.adjust` adjusts the p-values. :func:`qpcr.analyze` composes
them; the package ``qpcr`` exports each step by name.
"""
