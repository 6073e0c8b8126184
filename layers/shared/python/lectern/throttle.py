"""Throttles whose state lives in the table (so they hold across Lambda instances).

* `FailureCounter`: fixed-window counters of failures (login guessing, per account and per IP).
  Checking several counters is one BatchGetItem; recording a failure is one UpdateItem each.
* `TokenBucket`: per-organiser buckets for bulk operations (429 with Retry-After): one read and
  one conditional write (optimistic, retried on contention).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError

from lectern.data.throttle import FailureWindowItem, TokenBucketItem
from lectern.errors import TooManyRequests
from lectern.ids import new_id


@dataclass(frozen=True)
class FailureCounter:
    scope: str
    limit: int
    window_seconds: int

    def window(self, now: datetime) -> int:
        ts = int(now.timestamp())
        return ts - ts % self.window_seconds

    def key(self, key: str, now: datetime) -> tuple[str, str]:
        return FailureWindowItem.key(self.scope, key, self.window(now))

    def retry_after(self, now: datetime) -> int:
        return self.window(now) + self.window_seconds - int(now.timestamp())

    def increment(self, key: str, now: datetime) -> tuple[FailureWindowItem, list[Any]]:
        """The item and update actions that count one failure (to run alone or in a transaction)."""
        pk, sk = self.key(key, now)
        expires = datetime.fromtimestamp(self.window(now) + 2 * self.window_seconds, UTC)
        return FailureWindowItem(pk, sk), [
            FailureWindowItem.failures.add(1),
            FailureWindowItem.ttl.set(expires),
            # An update that creates the item must also write the discriminator.
            FailureWindowItem.entity.set(FailureWindowItem),
        ]

    def add(self, key: str, now: datetime) -> None:
        item, actions = self.increment(key, now)
        item.update(actions=actions)


def check_failures(checks: Sequence[tuple[FailureCounter, str]], now: datetime, message: str) -> None:
    """Raise 429 if any counter has reached its limit in the current window (one BatchGetItem)."""
    keys = [c.key(k, now) for c, k in checks]
    counts = {(i.pk, i.sk): int(i.failures or 0) for i in FailureWindowItem.batch_get(keys)}
    for (counter, _), key in zip(checks, keys, strict=True):
        if counts.get(key, 0) >= counter.limit:
            raise TooManyRequests(counter.retry_after(now), message)


@dataclass(frozen=True)
class TokenBucket:
    scope: str
    capacity: int
    refill_per_second: float

    def take(self, key: str, now: datetime, cost: int = 1, *, attempts: int = 3) -> None:
        """Take `cost` tokens or raise 429 with the seconds until enough have refilled."""
        if cost > self.capacity:
            raise TooManyRequests(
                math.ceil(cost / self.refill_per_second),
                f"This request needs {cost} units; at most {self.capacity} fit in one burst.",
            )
        pk, sk = TokenBucketItem.key(self.scope, key)
        now_ms = int(now.timestamp() * 1000)
        for _ in range(attempts):
            condition: Any
            try:
                current = TokenBucketItem.get(pk, sk, consistent_read=True)
                elapsed = max(0, now_ms - int(current.refilled_at_ms)) / 1000
                tokens = min(self.capacity, float(current.tokens) + elapsed * self.refill_per_second)
                condition = TokenBucketItem.revision == current.revision
            except TokenBucketItem.DoesNotExist:
                tokens = float(self.capacity)
                condition = TokenBucketItem.pk.does_not_exist()
            if tokens < cost:
                wait = math.ceil((cost - tokens) / self.refill_per_second)
                raise TooManyRequests(wait, "Too many bulk operations; wait before trying again.")
            item = TokenBucketItem(
                pk,
                sk,
                tokens=tokens - cost,
                refilled_at_ms=now_ms,
                revision=new_id(),
                ttl=now + timedelta(seconds=self.capacity / self.refill_per_second + 3600),
            )
            try:
                item.save(condition=condition)
                return
            except PutError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise
        raise TooManyRequests(1, "Too many concurrent bulk operations; try again.")
