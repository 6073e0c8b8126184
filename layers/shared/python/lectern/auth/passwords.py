"""argon2id password hashing at (or above) OWASP's floor: m=19 MiB, t=2, p=1."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import Type

from lectern.config import get_settings

MIN_LENGTH = 10
MAX_LENGTH = 256


@functools.cache
def _hasher() -> PasswordHasher:
    s = get_settings()
    return PasswordHasher(
        time_cost=s.argon2_time_cost,
        memory_cost=s.argon2_memory_kib,
        parallelism=s.argon2_parallelism,
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


@functools.cache
def dummy_hash() -> str:
    """A real hash to verify against when the account does not exist, so that an unknown
    email costs the same time as a wrong password (no enumeration by timing)."""
    return hash_password("lectern-dummy-password-for-timing")
