"""The one bulk bucket (spec-review M6): every bulk operation of an organiser takes from one
token bucket kept in the table (`BUCKET#bulk#<owner_id>`), so hammering one route slows the others
and the limit holds across Lambda instances (no state in the process)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lectern.data.throttle import TokenBucketItem
from lectern.errors import TooManyRequests
from lectern.throttle import (
    BULK_CAPACITY,
    BULK_COSTS,
    BULK_REFILL_PER_SECOND,
    TokenBucket,
    bulk_cost,
    per_hundred,
    take_bulk,
)

from tests.support.builders import verified_account
from tests.support.events import make_event
from tests.support.throttle import pin_bulk_clock

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.fixture
def env(aws_env):
    return None


def _drain(owner: str, operation: str) -> int:
    n = 0
    while True:
        try:
            take_bulk(owner, NOW, operation)
        except TooManyRequests:
            return n
        n += 1


def test_one_bucket_is_shared_by_every_bulk_operation(env):
    assert _drain("alice", "attendance.bulk") == BULK_CAPACITY // BULK_COSTS["attendance.bulk"]
    for operation in BULK_COSTS:
        with pytest.raises(TooManyRequests) as exc:
            take_bulk("alice", NOW, operation)
        assert 1 <= int(exc.value.headers["Retry-After"]) <= 60
    take_bulk("bob", NOW, "certificates.issue")  # a bucket per organiser
    assert {i.pk for i in TokenBucketItem.scan()} == {"BUCKET#bulk#alice", "BUCKET#bulk#bob"}


def test_the_state_is_in_the_table_so_it_holds_across_instances(env):
    take_bulk("alice", NOW, "certificates.issue")
    # A fresh Lambda instance: a new bucket object with no memory of the first.
    elsewhere = TokenBucket("bulk", capacity=BULK_CAPACITY, refill_per_second=BULK_REFILL_PER_SECOND)
    left = BULK_CAPACITY - BULK_COSTS["certificates.issue"]
    elsewhere.take("alice", NOW, left)
    with pytest.raises(TooManyRequests):
        elsewhere.take("alice", NOW, 1)
    with pytest.raises(TooManyRequests):
        take_bulk("alice", NOW, "attendance.bulk")


def test_the_bucket_refills_and_retry_after_says_when(env):
    _drain("alice", "registrations.bulk_add")
    with pytest.raises(TooManyRequests) as exc:
        take_bulk("alice", NOW, "certificates.issue")
    wait = int(exc.value.headers["Retry-After"])
    assert wait == pytest.approx(BULK_COSTS["certificates.issue"] / BULK_REFILL_PER_SECOND, abs=1)
    with pytest.raises(TooManyRequests):
        take_bulk("alice", NOW + timedelta(seconds=wait - 2), "certificates.issue")
    take_bulk("alice", NOW + timedelta(seconds=wait), "certificates.issue")


def test_costs_scale_with_size_and_one_huge_operation_empties_the_bucket_but_runs():
    assert per_hundred(1) == 1 and per_hundred(100) == 1 and per_hundred(101) == 2 and per_hundred(0) == 1
    assert bulk_cost("invitations.send", per_hundred(500)) == 5
    assert bulk_cost("invitations.send", per_hundred(10_000)) == BULK_CAPACITY
    with pytest.raises(KeyError):
        bulk_cost("no.such.operation")


def test_a_loop_over_one_route_also_throttles_another_route(api, monkeypatch):
    owner = verified_account(api)
    pin_bulk_clock(monkeypatch)
    event = make_event(owner.token)
    url = f"/events/{event.event_id}/registrations/bulk-attendance/"
    one = {"entries": [{"registration_id": "00000000-0000-4000-8000-000000000000", "minutes": 1}]}
    fits = BULK_CAPACITY // BULK_COSTS["attendance.bulk"]
    statuses = [api.patch(url, one, token=owner.token).status for _ in range(fits + 1)]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {200}, statuses
    r = api.post(
        f"/events/{event.event_id}/registrations/",
        {"registrants": [{"email": "x@example.org", "full_name": "X"}]},
        token=owner.token,
    )
    assert r.status == 429 and "Retry-After" in r.headers
