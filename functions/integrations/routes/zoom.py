"""The organiser's Zoom connection: status, connect (OAuth authorize URL with a signed state),
Zoom's callback (no token: the browser comes back from Zoom), disconnect."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from lectern.deps import default_deps
from lectern.http import BEARER, errors, principal, request_meta
from lectern.integrations import zoom as zoom_gateway
from lectern.zoom import connection

from functions.integrations.schemas import ZoomConnectionOut, ZoomConnectOut

router = Router()
TAGS = ["integrations"]

CodeQuery = Annotated[str | None, Query(max_length=2048, description="Zoom's authorization code")]
StateQuery = Annotated[str | None, Query(max_length=2048, description="The state from the connect call")]
ErrorQuery = Annotated[str | None, Query(max_length=200, description="Set by Zoom when the user declined")]

REDIRECT: dict[int, OpenAPIResponse] = {
    302: {
        "description": "Back to the app (`Location`): `?connected=1`, or `?error=<code>` (nothing stored)",
        "content": {"text/plain": {"schema": {"type": "string", "maxLength": 0}}},
    }
}


@router.get("/integrations/zoom", summary="My Zoom connection", tags=TAGS, security=BEARER)
def get_zoom() -> ZoomConnectionOut:
    s = connection.status(principal(router).user_id, zoom_gateway.gateway())
    return ZoomConnectionOut(
        connected=s.connected,
        status=s.status,  # type: ignore[arg-type]
        mode=s.mode,  # type: ignore[arg-type]
        zoom_user_id=s.zoom_user_id,
        zoom_account_id=s.zoom_account_id,
        connected_at=s.connected_at,
        expires_at=s.expires_at,
    )


@router.post(
    "/integrations/zoom/connect",
    summary="Start connecting Zoom: the authorize URL (with a signed, single-use state)",
    tags=TAGS,
    security=BEARER,
    openapi_extensions=errors("409"),
)
def connect_zoom() -> ZoomConnectOut:
    url, expires_at = connection.start(
        owner_id=principal(router).user_id, gateway=zoom_gateway.gateway(), deps=default_deps()
    )
    return ZoomConnectOut(authorize_url=url, state_expires_at=expires_at)


@router.get(
    "/integrations/zoom/callback",
    summary="Zoom's OAuth redirect: verifies the state, stores the connection, redirects to the app",
    tags=TAGS,
    responses=REDIRECT,
    openapi_extensions=errors("409"),
)
def zoom_callback(
    code: CodeQuery = None, state: StateQuery = None, error: ErrorQuery = None
) -> Response[str]:
    location = connection.complete(
        code=code,
        state=state,
        error=error,
        gateway=zoom_gateway.gateway(),
        deps=default_deps(),
        meta=request_meta(router),
    )
    return Response(302, "text/plain", "", headers={"Location": location, "Cache-Control": "no-store"})


@router.delete(
    "/integrations/zoom",
    summary="Disconnect Zoom (revoked at Zoom, best effort)",
    tags=TAGS,
    status_code=204,
    security=BEARER,
)
def disconnect_zoom() -> None:
    connection.disconnect(
        owner_id=principal(router).user_id,
        gateway=zoom_gateway.gateway(),
        deps=default_deps(),
        meta=request_meta(router),
    )
