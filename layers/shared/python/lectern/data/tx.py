"""Transactions over the shared connection (one botocore client for the whole table)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactGet, TransactWrite

from lectern.data.base import TableItem


@contextmanager
def write(
    idempotency_token: str | None = None, *, on_condition_failed: Exception | None = None
) -> Iterator[TransactWrite]:
    """`with tx.write() as t: t.save(...); t.update(...)` — all or nothing, one call.

    With `on_condition_failed`, a transaction cancelled because one of its conditions failed
    raises that error instead (e.g. `NotFound(...)`, `Conflict(...)`)."""
    try:
        with TransactWrite(
            connection=TableItem._get_connection().connection,
            client_request_token=idempotency_token,
        ) as transaction:
            yield transaction
    except TransactWriteError as exc:
        if on_condition_failed is not None and cancelled_by_condition(exc):
            raise on_condition_failed from exc
        raise


def get() -> TransactGet:
    return TransactGet(connection=TableItem._get_connection().connection)


def get_many(keys: Iterable[tuple[str, str]], *, consistent: bool = True) -> dict[tuple[str, str], TableItem]:
    """Items of any entity by key, in one BatchGetItem per 100 keys (consistent by default);
    a missing item is simply absent from the result."""
    wanted = list(keys)
    if not wanted:
        return {}
    return {(i.pk, i.sk): i for i in TableItem.batch_get(wanted, consistent_read=consistent)}


def cancellation_codes(exc: TransactWriteError) -> set[str]:
    """Why DynamoDB cancelled a transaction: the codes of its per-item reasons
    (`ConditionalCheckFailed`, `TransactionConflict`, ...)."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return {str(getattr(r, "code", "") or "") for r in reasons if r is not None} - {"", "None"}


def cancelled_by_condition(exc: TransactWriteError) -> bool:
    """True when a transaction was cancelled because one of its conditions failed (as opposed
    to throttling or a conflict with another transaction)."""
    return "ConditionalCheckFailed" in cancellation_codes(exc)


def lost_race(exc: TransactWriteError) -> bool:
    """A lost race worth reading again for: a condition failed, or another transaction on one
    of the same items was in flight."""
    return bool(cancellation_codes(exc) & {"ConditionalCheckFailed", "TransactionConflict"})


def conflict_only(exc: TransactWriteError) -> bool:
    """Cancelled by a conflicting transaction alone — retrying the same writes may succeed."""
    codes = cancellation_codes(exc)
    return "TransactionConflict" in codes and "ConditionalCheckFailed" not in codes


def backoff(attempt: int, base: float = 0.02, *, sleep: Callable[[float], None] = time.sleep) -> None:
    """Full-jitter exponential backoff before retry `attempt` (0-based)."""
    sleep(random.uniform(0, base * 2**attempt))  # noqa: S311 - jitter, not security
