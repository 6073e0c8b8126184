"""Building blocks shared by every group's request/response schemas."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
OpaqueToken = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]


class Request(BaseModel):
    """Every request body: unknown fields are an error (a typo never silently does nothing)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class Response(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# Path ids are UUIDs: anything else is a 422 naming the parameter, before any lookup.
UUIDPath = uuid.UUID
