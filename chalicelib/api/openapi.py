"""`GET /openapi.json`: the route only. The description is built by api/openapi_document.py, loaded on the
first request (its builders and the modules whose constants it states cost ~11 ms of `import app` that no
other route needs); the process keeps the text."""
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib import lazy
from chalicelib.api.http import api

if TYPE_CHECKING:  # types only: loaded on the first request (see above)
    from chalicelib.api import openapi_document as description
else:
    description = lazy.module("chalicelib.api.openapi_document")

bp = Blueprint(__name__)


@bp.route("/openapi.json", methods=["GET"])
@api
def openapi_json() -> Response:
    return Response(body=document_text(), status_code=200,
                    headers={"Content-Type": "application/json; charset=utf-8", "Cache-Control": "public, max-age=300"})


def document() -> dict[str, Any]:
    return description.document()


def document_text() -> str:
    return description.document_text()
