"""Request/response models of the auth group."""

from lectern.schemas import Email, Name, OpaqueToken, OptionalText, Password, Request, Response
from pydantic import Field


class SignupRequest(Request):
    email: Email
    password: Password
    full_name: Name
    professional_title: OptionalText = ""
    organization_name: OptionalText = ""


class EmailOnly(Request):
    email: Email


class TokenRequest(Request):
    token: OpaqueToken


class LoginRequest(Request):
    email: Email
    password: Password


class RefreshRequest(Request):
    refresh_token: OpaqueToken


class ResetConfirmRequest(Request):
    token: OpaqueToken
    new_password: Password


class TokenResponse(Response):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires")


class Accepted(Response):
    detail: str


class VerifiedResponse(Response):
    detail: str
    email: str
