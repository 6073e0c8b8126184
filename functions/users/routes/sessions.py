"""My signed-in sessions (devices), and revoking one."""

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from lectern.accounts import service
from lectern.deps import default_deps
from lectern.http import BEARER, CursorQuery, LimitQuery, page_request, principal, request_meta
from lectern.schemas import UUIDPath

from functions.users.schemas import SessionOut, SessionPage

router = Router()


@router.get("/users/me/sessions", summary="List my sessions", tags=["users"], security=BEARER)
def list_sessions(limit: LimitQuery = 50, cursor: CursorQuery = None) -> SessionPage:
    me = principal(router)
    page = service.list_sessions(
        user_id=me.user_id, current_session_id=me.session_id, page=page_request(limit, cursor)
    )
    return SessionPage(
        items=[
            SessionOut(
                uuid=s.session_id,
                device=s.device,
                ip=s.ip,
                created_at=s.created_at,
                last_used_at=s.last_used_at,
                current=s.current,
            )
            for s in page.items
        ],
        next_cursor=page.next_cursor,
    )


@router.delete(
    "/users/me/sessions/<session_id>",
    summary="Revoke one of my sessions",
    tags=["users"],
    status_code=204,
    security=BEARER,
)
def revoke_session(session_id: Annotated[UUIDPath, Path()]) -> None:
    me = principal(router)
    service.revoke_session(
        user_id=me.user_id, session_id=str(session_id), meta=request_meta(router), deps=default_deps()
    )
