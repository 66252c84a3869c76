"""The local web pages and HTTP API behind ``qpcr serve`` (optional extra ``qpcrkit[web]``).

:func:`create_app` builds the Starlette application: the pages ``GET /start`` (a blank
template), ``GET /`` (analyse an upload) and ``GET /check`` (check a reference plate), their
API ``POST /api/template`` (:mod:`qpcr.web.start`), ``POST /api/analyze``
(:mod:`qpcr.web.analyze`) and ``POST /api/check`` (:mod:`qpcr.web.check`), ``GET /api/health``,
and the results of each upload under ``/results/<id>/``. Uploads are read within the input
budget (:mod:`qpcr.web.upload`) and worked on in a pool of processes (:mod:`qpcr.web.pool`).
Starlette is imported here, so only ``qpcr serve`` and callers of this package need the extra;
``qpcr --help`` never imports it.
"""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
