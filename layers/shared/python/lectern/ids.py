"""Identifiers and secrets. Resource ids are UUIDv7 (time-ordered, so sort keys built from
them list in creation order); one-time tokens are 256-bit random strings stored only as hashes."""

from __future__ import annotations

import hashlib
import os
import secrets
import time
import uuid
from typing import Protocol


def uuid7() -> uuid.UUID:
    """RFC 9562 UUID version 7: 48-bit Unix milliseconds, then 74 random bits."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


class IdFactory(Protocol):
    def __call__(self) -> str: ...


def new_id() -> str:
    return str(uuid7())


def new_secret_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """Tokens are stored only as SHA-256 hashes: a table dump grants nothing."""
    return hashlib.sha256(token.encode()).hexdigest()
