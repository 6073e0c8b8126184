"""Throttles whose state lives in the table (so they hold across Lambda instances).

* `FailureCounter`: fixed-window counters of failures (login guessing, per account and per IP).
  Checking several counters is one BatchGetItem; recording a failure is one UpdateItem each.
* `TokenBucket`: a token bucket in one item (429 with Retry-After): one read and one conditional
  write (optimistic, retried on contention).
* `take_bulk`: THE bulk budget (spec-review M6). Every bulk operation of an organiser — bulk
  registration add, bulk attendance, bulk certificate issue, invitations, contact import — takes
  from one bucket per organiser (`BUCKET#bulk#<owner_id>`), each at its own cost (`BULK_COSTS`),
  so hammering one route also slows the others and a loop cannot spread itself over routes.
  Dry runs never take tokens.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
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


# ------------------------------------------------------------------ the one bulk bucket

#: Units in a full bucket (an organiser's burst) and the refill: one unit every 4 s = 15 a minute,
#: 900 an hour. A real organiser's session (a bulk add, a few hundred invitations, an attendance
#: fix, a certificate run) fits in the burst; a loop gets 429 after a handful of calls and then one
#: call per `cost * 4 s`.
BULK_CAPACITY = 30
BULK_REFILL_PER_SECOND = 1 / 4
BULK_BUCKET = TokenBucket("bulk", capacity=BULK_CAPACITY, refill_per_second=BULK_REFILL_PER_SECOND)

#: Cost per request (* `units`). Operations over many addresses pass `units=per_hundred(n)`.
BULK_COSTS: MappingProxyType[str, int] = MappingProxyType(
    {
        "registrations.bulk_add": 2,  # ≤ 200 people through the registration use case
        "attendance.bulk": 1,  # ≤ 200 (registration, session) entries
        "certificates.issue": 5,  # a Step Functions run: renders and mails a certificate each
        "invitations.send": 1,  # * ⌈addresses / 100⌉ (500 addresses = 5 units)
        "invitations.resend": 1,  # one mail
        "contacts.import": 1,  # * ⌈rows / 1000⌉
    }
)


def per_hundred(count: int) -> int:
    """Units for an operation over `count` addresses: one per started hundred (at least one)."""
    return max(1, math.ceil(count / 100))


def bulk_cost(operation: str, units: int = 1) -> int:
    """Tokens an operation takes: its cost * units, capped at the capacity (one very large
    operation — a 10,000-contact list — empties the bucket rather than being refused forever)."""
    return min(BULK_CAPACITY, BULK_COSTS[operation] * max(1, units))


def take_bulk(owner_id: str, now: datetime, operation: str, units: int = 1) -> None:
    """Take the organiser's tokens for one bulk operation or raise 429 with Retry-After.

    One GetItem (consistent) + one conditional PutItem on `BUCKET#bulk#<owner_id>`."""
    BULK_BUCKET.take(owner_id, now, bulk_cost(operation, units))


def bulk_budget_text(operation: str) -> str:
    """The sentence a bulk route's OpenAPI description uses for its throttle."""
    cost = BULK_COSTS[operation]
    units = "unit" if cost == 1 else "units"
    return (
        f"A real run takes {cost} {units} from the organiser's one bulk budget, shared by every bulk "
        f"operation ({BULK_CAPACITY} units in a burst, refilled 1 unit per {1 / BULK_REFILL_PER_SECOND:g} s "
        "→ 429 with Retry-After); a dry run is free."
    )
