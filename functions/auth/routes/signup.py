"""Signup and email verification."""

from aws_lambda_powertools.event_handler.api_gateway import Router
from lectern.accounts import service
from lectern.deps import default_deps
from lectern.http import request_meta

from functions.auth.schemas import Accepted, EmailOnly, SignupRequest, TokenRequest, VerifiedResponse

router = Router()

SIGNUP_ACCEPTED = "If this address can be used, we have sent a confirmation link to it."


@router.post(
    "/auth/signup", summary="Create an account (sends a verification email)", tags=["auth"], status_code=202
)
def signup(body: SignupRequest) -> Accepted:
    service.signup(
        email=str(body.email),
        password=body.password,
        full_name=body.full_name,
        professional_title=body.professional_title,
        organization_name=body.organization_name,
        meta=request_meta(router),
        deps=default_deps(),
    )
    return Accepted(detail=SIGNUP_ACCEPTED)


@router.post("/auth/verify-email", summary="Confirm an email address with the emailed token", tags=["auth"])
def verify_email(body: TokenRequest) -> VerifiedResponse:
    user = service.verify_email(token=body.token, meta=request_meta(router), deps=default_deps())
    return VerifiedResponse(detail="Your email address is confirmed.", email=user.email)


@router.post(
    "/auth/resend-verification", summary="Send a new verification email", tags=["auth"], status_code=202
)
def resend_verification(body: EmailOnly) -> Accepted:
    service.resend_verification(email=str(body.email), deps=default_deps())
    return Accepted(detail=SIGNUP_ACCEPTED)
