"""Throttle state kept in the table, so limits hold across Lambda instances.

| entity        | PK                          | SK                 |
|---------------|-----------------------------|--------------------|
| FailureWindow | THROTTLE#<scope>#<key>      | WINDOW#<start>     |
| TokenBucket   | BUCKET#<scope>#<key>        | BUCKET             |
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from lectern.data.base import TableItem


class FailureWindowItem(TableItem, discriminator="FailureWindow"):
    failures = NumberAttribute(default=0)

    @staticmethod
    def key(scope: str, key: str, window_start: int) -> tuple[str, str]:
        return f"THROTTLE#{scope}#{key}", f"WINDOW#{window_start}"


class TokenBucketItem(TableItem, discriminator="TokenBucket"):
    tokens = NumberAttribute()
    refilled_at_ms = NumberAttribute()
    revision = UnicodeAttribute()

    @staticmethod
    def key(scope: str, key: str) -> tuple[str, str]:
        return f"BUCKET#{scope}#{key}", "BUCKET"
