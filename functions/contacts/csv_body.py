"""A `text/csv` body for the import route.

The shared resolver (lectern.http) accepts JSON bodies of up to 256 KB only. A CSV import is
bigger (a 10,000-row file is ~1 MB) and not JSON, so the contacts handler detaches a CSV body of
`POST /contact-lists/{uuid}/import` before the resolver sees the event (`detach`) and the route
reads it back (`upload`), applying the CSV limit: `MAX_CSV_BYTES` (5 MB — under Lambda's 6 MB
synchronous payload limit; API Gateway's own limit is 10 MB) → 413 `payload_too_large`.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from lectern.errors import BadRequest, PayloadTooLarge

MAX_CSV_BYTES = 5 * 1024 * 1024
CSV_TYPES = frozenset({"text/csv", "application/csv", "text/comma-separated-values"})
_KEY = "lecternCsvBody"
_IMPORT_PATH = re.compile(r"/contact-lists/[^/]+/import/?$")


def _content_type(event: dict[str, Any]) -> str:
    headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
    return str(headers.get("content-type") or "").split(";")[0].strip().lower()


def detach(event: dict[str, Any]) -> dict[str, Any]:
    """The event with a CSV import body moved aside (unchanged for anything else)."""
    if (
        str(event.get("httpMethod", "")).upper() != "POST"
        or not _IMPORT_PATH.search(str(event.get("path") or ""))
        or _content_type(event) not in CSV_TYPES
    ):
        return event
    headers = {k: v for k, v in (event.get("headers") or {}).items() if str(k).lower() != "content-type"}
    multi = {
        k: v for k, v in (event.get("multiValueHeaders") or {}).items() if str(k).lower() != "content-type"
    }
    return {
        **event,
        "headers": headers,
        "multiValueHeaders": multi,
        "body": None,
        "isBase64Encoded": False,
        _KEY: {"body": event.get("body") or "", "base64": bool(event.get("isBase64Encoded"))},
    }


def upload(r: Any) -> bytes | str | None:
    """The detached CSV body of the current request (bytes when it came base64-encoded, else the
    text API Gateway passed), or None when the request sent no CSV body."""
    held = r.current_event.raw_event.get(_KEY)
    if held is None:
        return None
    body = str(held["body"])
    if held["base64"]:
        if len(body) * 3 // 4 > MAX_CSV_BYTES + 3:
            raise _too_large()
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadRequest("The body is not valid base64.", code="malformed_body") from exc
        if len(raw) > MAX_CSV_BYTES:
            raise _too_large()
        return raw
    if len(body) > MAX_CSV_BYTES or len(body.encode("utf-8", "surrogatepass")) > MAX_CSV_BYTES:
        raise _too_large()
    return body


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The CSV file is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB ({MAX_CSV_BYTES} bytes); "
        "split it into smaller files."
    )
