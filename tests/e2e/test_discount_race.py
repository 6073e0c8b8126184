"""Discount-code uses under concurrency, over real HTTP against `make dev`'s server: an event
priced 20.00 with a 100% code limited to 10 uses, hit by 100 simultaneous registrations all
giving the code → exactly 10 registered with the code (free), 90 refused with 422 naming
`discount_code` (`exhausted`), and the code's used_count is 10 (spec-review H4)."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e.http_support import published_event, session, signed_in

pytestmark = pytest.mark.e2e

MAX_USES = 10
REGISTRANTS = 100
WORKERS = 32


def _priced_event_with_code(v1: str, auth: dict[str, str]) -> tuple[str, str]:
    event_id = published_event(v1, auth, title="Free with the code", price="20.00", currency="GBP")
    code = {"code": "Free-Ten", "kind": "percent", "amount": 100, "max_uses": MAX_USES}
    r = requests.post(f"{v1}/events/{event_id}/discount-codes/", json=code, headers=auth, timeout=30)
    assert r.status_code == 201, r.text
    return event_id, r.json()["uuid"]


def test_a_code_with_ten_uses_is_used_exactly_ten_times_by_a_hundred_simultaneous_registrations(api_server):
    v1 = f"{api_server}/api/v1"
    auth = {"Authorization": f"Bearer {signed_in(api_server)}"}
    event_id, code_id = _priced_event_with_code(v1, auth)
    tag = uuid.uuid4().hex[:8]

    def register(i: int) -> requests.Response:
        body = {
            "email": f"d{i}-{tag}@example.org",
            "full_name": f"Registrant {i}",
            "discount_code": "free-ten",
        }
        return session().post(
            f"{v1}/events/{event_id}/register/", json=body, timeout=900
        )  # correctness, not latency: a loaded emulator may queue a request for minutes

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        replies = list(pool.map(register, range(REGISTRANTS)))
    elapsed = time.perf_counter() - started
    print(f"\n{REGISTRANTS} registrations with a {MAX_USES}-use code, {WORKERS} workers: {elapsed:.1f}s")

    outcomes = Counter(r.status_code for r in replies)
    assert outcomes == {201: MAX_USES, 422: REGISTRANTS - MAX_USES}, [
        (r.status_code, r.text[:200]) for r in replies if r.status_code not in (201, 422)
    ]
    for r in replies:
        if r.status_code == 201:
            body = r.json()
            assert (body["status"], body["discount_code_used"], body["amount_paid"]) == (
                "confirmed",
                "Free-Ten",
                0,
            )
        else:
            err = r.json()["error"]
            assert err["details"][0]["field"] == "discount_code", err
            assert err["details"][0]["code"] == "exhausted", err

    codes = requests.get(f"{v1}/events/{event_id}/discount-codes/", headers=auth, timeout=30).json()["items"]
    assert [(c["uuid"], c["used_count"]) for c in codes] == [(code_id, MAX_USES)]
    event = requests.get(f"{v1}/events/{event_id}/", headers=auth, timeout=30).json()
    assert event["confirmed_count"] == MAX_USES
    listed = requests.get(
        f"{v1}/events/{event_id}/registrations/", params={"limit": 200}, headers=auth, timeout=60
    ).json()["items"]
    assert len(listed) == MAX_USES and all(i["discount_code_used"] == "Free-Ten" for i in listed)
