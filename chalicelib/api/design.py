"""The card's images, as an owner designs them in the console: upload a logo, icon or strip (a PNG or
JPEG body, resized to every size both wallets need) and go back to the default. Scoped to the token's
merchant like every admin route: another merchant's program is 404."""
from datetime import UTC, datetime

from chalice import Blueprint, Response

from chalicelib import auth, log
from chalicelib.api.http import api, content_type, json_response
from chalicelib.api.pos import raw_body
from chalicelib.store import programs as program_store
from chalicelib.store.records import Program
from chalicelib.usecases import images

bp = Blueprint(__name__)
IMAGE_TYPES = ["image/png", "image/jpeg"]


def _program(program_id: str, permission: str) -> Program:
    principal = auth.verify_admin_token(bp.current_request.headers.get("authorization"))
    principal.require(permission)
    log.bind(actor_role=principal.role)
    return program_store.get_for_merchant(principal.merchant_id or "", program_id)


@bp.route("/admin/programs/{program_id}/images", methods=["GET"])
@api
def list_images(program_id: str) -> Response:
    """The program's uploaded images with every size's URL (kinds not uploaded use the default design)."""
    program = _program(program_id, "programs:read")
    return json_response({"items": images.previews(program)})


@bp.route("/admin/programs/{program_id}/images/{kind}", methods=["PUT"], content_types=IMAGE_TYPES)
@api
def upload_image(program_id: str, kind: str) -> Response:
    program = _program(program_id, "programs:write")
    request = bp.current_request
    answer = images.upload(program, images.read_kind(kind), raw_body(request), content_type(request),
                           datetime.now(UTC))
    log.info("program_image_uploaded", program_id=program.program_id, kind=kind, version=answer["version"])
    return json_response(answer)


@bp.route("/admin/programs/{program_id}/images/{kind}", methods=["DELETE"])
@api
def remove_image(program_id: str, kind: str) -> Response:
    program = _program(program_id, "programs:write")
    images.remove(program, images.read_kind(kind), datetime.now(UTC))
    log.info("program_image_removed", program_id=program.program_id, kind=kind)
    return Response(body="", status_code=204)
