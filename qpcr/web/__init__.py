"""The local web page and HTTP API behind ``qpcr serve`` (optional extra ``qpcrkit[web]``).

:func:`create_app` builds the Starlette application: ``GET /`` (the upload page),
``GET /api/health``, ``POST /api/analyze`` (:mod:`qpcr.web.analyze`) and the results of each
analysis under ``/results/<id>/``. Starlette is imported here, so only ``qpcr serve`` and
callers of this package need the extra; ``qpcr --help`` never imports it.
"""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
