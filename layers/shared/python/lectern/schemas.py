"""Building blocks shared by every group's request/response schemas."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
OpaqueToken = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]


class Request(BaseModel):
    """Every request body: unknown fields are an error (a typo never silently does nothing)."""

    # defer_build: a cold function builds the validators of the route it serves, not of all.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, defer_build=True)


class Response(BaseModel):
    model_config = ConfigDict(from_attributes=True, defer_build=True)


# Path ids are UUIDs: anything else is a 422 naming the parameter, before any lookup.
UUIDPath = uuid.UUID


# Email addresses: a syntax check only — the verification mail is the real proof. Hand-written
# instead of pydantic's EmailStr because email-validator's import costs ~50 ms of every cold
# start (docs/decisions/0001-foundation.md). Internationalised domains must be given in their
# ASCII (punycode) form.
_EMAIL = re.compile(
    r"^(?=.{3,254}$)(?=[^@]{1,64}@)"
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def _email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        raise ValueError("must be a valid email address")
    return value.lower()


Email = Annotated[str, StringConstraints(max_length=320), AfterValidator(_email)]
