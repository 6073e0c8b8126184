"""Where a request came from (for sessions, throttles and the audit log)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RequestMeta:
    ip: str = "unknown"
    device: str = ""
    correlation_id: str = ""
