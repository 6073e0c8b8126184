"""Login, refresh-token rotation, logout."""

from aws_lambda_powertools.event_handler.api_gateway import Router
from lectern.accounts import service
from lectern.accounts.models import TokenPair
from lectern.deps import default_deps
from lectern.http import BEARER, principal, request_meta

from functions.auth.schemas import LoginRequest, RefreshRequest, TokenResponse

router = Router()


def _tokens(pair: TokenPair) -> TokenResponse:
    return TokenResponse(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        token_type=pair.token_type,
        expires_in=pair.expires_in,
    )


@router.post("/auth/login", summary="Sign in: access token + rotating refresh token", tags=["auth"])
def login(body: LoginRequest) -> TokenResponse:
    return _tokens(
        service.login(
            email=str(body.email), password=body.password, meta=request_meta(router), deps=default_deps()
        )
    )


@router.post(
    "/auth/refresh",
    summary="Exchange a refresh token for a new pair (reusing an old one ends the session)",
    tags=["auth"],
)
def refresh(body: RefreshRequest) -> TokenResponse:
    return _tokens(
        service.refresh(refresh_token=body.refresh_token, meta=request_meta(router), deps=default_deps())
    )


@router.post(
    "/auth/logout", summary="Sign out of the current session", tags=["auth"], status_code=204, security=BEARER
)
def logout() -> None:
    me = principal(router)
    service.logout(
        user_id=me.user_id, session_id=me.session_id, meta=request_meta(router), deps=default_deps()
    )
