"""``POST /api/template``: the Start page's short form in, a blank template out.

The form's values are read as the options of ``qpcr template`` are (:func:`qpcr.settings.
split_names`, :func:`qpcr.settings.name_values`) and the workbook is written by
:func:`qpcr.template.write_template` in a worker process: the template is declared once, there.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from ..errors import InputError, InternalError, QpcrError
from .upload import check_fields, error_response, read_form

# The route, template_route, is mounted by qpcr.web.create_app.
__all__ = ["FILE_NAME"]

#: The form's fields (text values), as ``qpcr template`` names its options.
_FIELDS = ("plate", "targets", "reference_genes", "factors", "replicate")
#: The name the template downloads under.
FILE_NAME = "qpcr-template.xlsx"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def template_route(request: Request) -> Response:
    """The route: the form read, the workbook written in a worker process, sent as a file."""
    form = None
    try:
        form = await read_form(request, max_files=0)
        check_fields(form, list(_FIELDS))
        values: dict[str, str] = {}
        for field in _FIELDS:
            value = form.get(field, "")
            if not isinstance(value, str):
                raise InputError("a file; expected a text value", where=field)
            values[field] = value
        content = await request.app.state.pool.run(_template, values)
    except QpcrError as exc:
        if isinstance(exc, InternalError):
            raise
        return error_response(exc)
    finally:
        if form is not None:
            await form.close()
    disposition = f'attachment; filename="{FILE_NAME}"'
    return Response(content, media_type=_XLSX, headers={"content-disposition": disposition})


def _template(values: dict[str, str]) -> bytes:
    """In a worker: the template of the form's ``values`` (text, as typed), as bytes.

    ``targets`` and ``reference_genes`` are comma-separated names; ``factors`` holds one
    ``FACTOR=LEVEL,...`` per line; ``plate`` is the number of wells (default 96) and
    ``replicate`` the replicate column's name (default ``donor``).
    """
    from ..settings import name_values, split_names
    from ..template import write_template

    plate = values["plate"].strip() or "96"
    if not plate.isdigit():
        raise InputError(f"plate size {plate!r}; expected a number of wells", where="plate")
    lines = [line for line in values["factors"].splitlines() if line.strip()]
    factors = name_values(lines, "factors", "FACTOR=LEVEL,...")
    with tempfile.TemporaryDirectory(prefix="qpcr-template-") as folder:
        path = Path(folder) / FILE_NAME
        write_template(
            path,
            plate=int(plate),
            targets=split_names([values["targets"]]),
            reference_genes=split_names([values["reference_genes"]]),
            factors={name: split_names([levels]) for name, levels in factors.items()},
            replicate=values["replicate"].strip() or "donor",
        )
        return path.read_bytes()
