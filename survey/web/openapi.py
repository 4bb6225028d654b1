"""What the OpenAPI document says about errors: the body every API error has, per status."""

from __future__ import annotations

import msgspec
from litestar.openapi.datastructures import ResponseSpec

DESCRIPTIONS = {
    400: "The request is malformed; the detail says what is wrong",
    401: "No credentials: send Authorization: Bearer TOKEN or sign in",
    403: "The credentials lack the role this needs",
    404: "The form or version named does not exist",
    409: "A published version cannot change",
    413: "The body is larger than the server accepts",
    415: "The body's media type is not one this route takes",
    422: "The definition has problems; each says where",
}


class ProblemBody(msgspec.Struct):
    """One problem with a definition: where it is and what is wrong."""

    where: str
    message: str
    severity: str


class ErrorBody(msgspec.Struct, omit_defaults=True):
    """The body of every API error."""

    status: int
    detail: str
    problems: list[ProblemBody] | None = None


def errors(*codes: int) -> dict[int, ResponseSpec]:
    """The error responses a route documents, besides 401/403 from its guard and 400/413 from its body."""
    return {
        code: ResponseSpec(data_container=ErrorBody, description=DESCRIPTIONS[code], generate_examples=False)
        for code in sorted({400, 401, 403, 413, *codes})
    }
