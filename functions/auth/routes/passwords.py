"""Password reset by email."""

from aws_lambda_powertools.event_handler.api_gateway import Router
from lectern.accounts import service
from lectern.deps import default_deps
from lectern.http import request_meta

from functions.auth.schemas import Accepted, EmailOnly, ResetConfirmRequest

router = Router()


@router.post("/auth/password-reset", summary="Email a password-reset link", tags=["auth"], status_code=202)
def password_reset(body: EmailOnly) -> Accepted:
    service.request_password_reset(email=str(body.email), meta=request_meta(router), deps=default_deps())
    return Accepted(detail="If this address has an account, we have sent a reset link to it.")


@router.post(
    "/auth/password-reset/confirm",
    summary="Set a new password with the emailed token (signs out every session)",
    tags=["auth"],
)
def password_reset_confirm(body: ResetConfirmRequest) -> Accepted:
    service.confirm_password_reset(
        token=body.token, new_password=body.new_password, meta=request_meta(router), deps=default_deps()
    )
    return Accepted(detail="Your password has been changed. Sign in with the new password.")
