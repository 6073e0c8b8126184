"""One error model. Domain code raises these; `lectern.http` maps them to the envelope
`{"error": {"code", "message", "details"}}` in exactly one place.

The codes are a stable catalogue: clients may switch on them.
"""

from __future__ import annotations

from typing import Any


class LecternError(Exception):
    status: int = 400
    code: str = "bad_request"
    message: str = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.details = details or []
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequest(LecternError):
    status = 400
    code = "bad_request"


class InvalidCursor(BadRequest):
    code = "invalid_cursor"
    message = "The pagination cursor is invalid or belongs to another listing."


class Unauthorized(LecternError):
    status = 401
    code = "unauthorized"
    message = "Authentication is required."


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    message = "The email or password is incorrect."


class InvalidToken(Unauthorized):
    code = "invalid_token"
    message = "The token is invalid or has expired."


class PaymentRequired(LecternError):
    status = 402
    code = "payment_required"
    message = "Payment is required."


class Forbidden(LecternError):
    status = 403
    code = "forbidden"
    message = "You may not do this."


class NotFound(LecternError):
    """Also the answer for another tenant's resources: existence is never leaked."""

    status = 404
    code = "not_found"
    message = "The resource does not exist."


class Conflict(LecternError):
    status = 409
    code = "conflict"
    message = "The request conflicts with the current state."


class PayloadTooLarge(LecternError):
    status = 413
    code = "payload_too_large"
    message = "The request body is too large."


class UnsupportedMediaType(LecternError):
    status = 415
    code = "unsupported_media_type"
    message = "Send the request body as JSON (Content-Type: application/json)."


class ValidationFailed(LecternError):
    status = 422
    code = "validation_failed"
    message = "Some fields are invalid."

    @classmethod
    def field(cls, field: str, message: str, *, code: str = "invalid") -> ValidationFailed:
        return cls(
            f"{field}: {message}",
            details=[{"field": field, "code": code, "message": message}],
        )


class TooManyRequests(LecternError):
    status = 429
    code = "too_many_requests"
    message = "Too many requests; try again later."

    def __init__(self, retry_after: int, message: str | None = None, **kw: Any) -> None:
        retry_after = max(1, int(retry_after))
        super().__init__(message, headers={"Retry-After": str(retry_after)}, **kw)
        self.retry_after = retry_after
        self.details = self.details or [{"retry_after_seconds": retry_after}]
