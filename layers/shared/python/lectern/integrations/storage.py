"""Private files through short-lived presigned URLs only.

Keys are always built by `scoped_key(owner_scope, ...)` so a URL can never reach outside its
owner's prefix; GETs expire in minutes; uploads are presigned POSTs whose policy pins the
exact key, a content-length range and the content type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lectern import aws
from lectern.config import get_settings
from lectern.errors import ValidationFailed

DOWNLOAD_TTL_SECONDS = 300
UPLOAD_TTL_SECONDS = 600
MAX_TTL_SECONDS = 3600
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class PresignedGet:
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict[str, str]
    key: str
    expires_at: datetime


def safe_name(name: str) -> str:
    cleaned = _SAFE.sub("-", name).strip(".-")[:100]
    return cleaned or "file"


def scoped_key(scope: str, *parts: str) -> str:
    """`scope` is e.g. `users/<id>` or `events/<id>`; every part is sanitised."""
    if not scope or ".." in scope or scope.startswith("/"):
        raise ValueError("invalid storage scope")
    return "/".join([scope.strip("/"), *(safe_name(p) for p in parts)])


def presign_get(
    key: str, now: datetime, *, ttl: int = DOWNLOAD_TTL_SECONDS, filename: str | None = None
) -> PresignedGet:
    ttl = min(ttl, MAX_TTL_SECONDS)
    params: dict[str, Any] = {"Bucket": get_settings().files_bucket, "Key": key}
    if filename:
        params["ResponseContentDisposition"] = f'attachment; filename="{safe_name(filename)}"'
    url = aws.client("s3").generate_presigned_url("get_object", Params=params, ExpiresIn=ttl)
    return PresignedGet(url=url, expires_at=now + timedelta(seconds=ttl))


def presign_post(
    key: str,
    now: datetime,
    *,
    content_type: str,
    allowed_types: frozenset[str],
    max_bytes: int,
    ttl: int = UPLOAD_TTL_SECONDS,
) -> PresignedPost:
    if content_type not in allowed_types:
        raise ValidationFailed.field(
            "content_type", f"must be one of {', '.join(sorted(allowed_types))}", code="unsupported_type"
        )
    ttl = min(ttl, MAX_TTL_SECONDS)
    post = aws.client("s3").generate_presigned_post(
        Bucket=get_settings().files_bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[
            {"key": key},
            {"Content-Type": content_type},
            ["content-length-range", 1, max_bytes],
        ],
        ExpiresIn=ttl,
    )
    return PresignedPost(
        url=post["url"], fields=post["fields"], key=key, expires_at=now + timedelta(seconds=ttl)
    )
