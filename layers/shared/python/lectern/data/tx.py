"""Transactions over the shared connection (one botocore client for the whole table)."""

from __future__ import annotations

from collections.abc import Iterator
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


def cancelled_by_condition(exc: TransactWriteError) -> bool:
    """True when a transaction was cancelled because one of its conditions failed (as opposed
    to throttling or a conflict with another transaction)."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return any(r is not None and getattr(r, "code", "") == "ConditionalCheckFailed" for r in reasons)
