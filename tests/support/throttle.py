"""Pinning the clock the one bulk bucket sees, so a test that drains it is not refilled by a slow
machine (1 unit per 4 s): `pin_bulk_clock(monkeypatch)` before the loop."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from lectern import throttle


class _Pinned:
    def __init__(self, bucket: throttle.TokenBucket, at: datetime) -> None:
        self.bucket, self.at = bucket, at

    def take(self, key: str, now: datetime, cost: int = 1, **kw: Any) -> None:
        self.bucket.take(key, self.at, cost, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.bucket, name)


def pin_bulk_clock(monkeypatch: pytest.MonkeyPatch, at: datetime | None = None) -> None:
    monkeypatch.setattr(throttle, "BULK_BUCKET", _Pinned(throttle.BULK_BUCKET, at or datetime.now(UTC)))
