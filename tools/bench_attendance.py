"""Bench scenarios for issue 4 (Zoom webhook, attendance), registered into tools.bench_ops, plus
the throughput run: N participant events through the attendance worker, time and calls.

Imported by `tools.bench_ops.run_operations` (scenarios) and `tools.bench` (throughput), after the
test environment is set; imports nothing from lectern at module import.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from tools.bench_ops import Harness, _published_event, _register, scenario

WEBHOOK_SECRET = "bench-zoom-webhook-secret"
START = datetime(2030, 3, 1, 10, 0, tzinfo=UTC)


def _at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def _single_event(h: Harness, token: str) -> str:
    return _published_event(
        h, token, starts_at=START.isoformat(), ends_at=_at(60).isoformat(), minimum_attendance_percent=80
    )


def _meeting(event_id: str, session_id: str, owner_id: str) -> Any:
    from tests.support.attendance import link_meeting

    return link_meeting(event_id, session_id, owner_id)


def _owner_id(token: str) -> str:
    from tests.support.events import user_id_of

    return user_id_of(token)


@scenario("webhooks.zoom_ack")
def _zoom_ack(h: Harness) -> None:
    from functions.webhooks import zoom as webhook
    from local.apigw import function_url_event
    from tests.support.api import FakeContext
    from tools import zoom_payloads as zp

    os.environ["LECTERN_ZOOM_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    raw = zp.encode(zp.participant_joined(zp.Meeting(id="81234567890"), zp.Participant("José 🎓"), _at(0)))
    event = function_url_event(
        "POST", "/webhooks/zoom", raw_body=raw, headers=zp.signed_headers(WEBHOOK_SECRET.encode(), raw)
    )
    webhook.lambda_handler(event, FakeContext())  # warm: secret fetched and cached once per container
    with h.measure():
        reply = webhook.lambda_handler(event, FakeContext())
    if reply["statusCode"] != 200:
        raise RuntimeError(f"webhook answered {reply['statusCode']}: {reply.get('body')}")


def _deliver(body: dict[str, Any]) -> str:
    from tests.support.attendance import deliver

    return deliver(body)


def _matched_setup(h: Harness, *, by_email: bool) -> tuple[Any, Any, Any]:
    from tests.support.attendance import link_registrant, reg_item
    from tools import zoom_payloads as zp

    organiser = h.account()
    event_id = _single_event(h, organiser.token)
    reg = reg_item(
        h.api.post(
            f"/events/{event_id}/register/", {"email": "alice@example.org", "full_name": "Alice"}
        ).json["uuid"]
    )
    meeting = _meeting(event_id, event_id, _owner_id(organiser.token))
    rid = "" if by_email else link_registrant(meeting, reg, event_id)
    return organiser, meeting, zp.Participant("Alice", email="alice@example.org", registrant_id=rid)


@scenario("attendance.participant_event")
def _participant_event(h: Harness) -> None:
    from tools import zoom_payloads as zp

    _, meeting, alice = _matched_setup(h, by_email=False)
    _deliver(zp.participant_joined(meeting, alice, _at(0)))
    with h.measure():
        outcome = _deliver(zp.participant_left(meeting, alice, _at(50)))
    if outcome != "matched":
        raise RuntimeError(outcome)


@scenario("attendance.participant_event_by_email")
def _participant_by_email(h: Harness) -> None:
    from tools import zoom_payloads as zp

    _, meeting, alice = _matched_setup(h, by_email=True)
    _deliver(zp.participant_joined(meeting, alice, _at(0)))
    with h.measure():
        outcome = _deliver(zp.participant_left(meeting, alice, _at(50)))
    if outcome != "matched":
        raise RuntimeError(outcome)


@scenario("attendance.participant_event_duplicate")
def _participant_duplicate(h: Harness) -> None:
    from tools import zoom_payloads as zp

    _, meeting, alice = _matched_setup(h, by_email=False)
    body = zp.participant_joined(meeting, alice, _at(0))
    _deliver(body)
    with h.measure():
        _deliver(body)


@scenario("attendance.aggregate")
def _aggregate(h: Harness) -> None:
    organiser = h.account()
    event_id = _single_event(h, organiser.token)
    for _ in range(3):
        _register(h, event_id)
    with h.measure():
        r = h.api.get(f"/events/{event_id}/aggregate-attendance/", token=organiser.token)
    h.expect(r, 200)


@scenario("attendance.session_attendance")
def _session_attendance(h: Harness) -> None:
    organiser = h.account()
    event_id = _single_event(h, organiser.token)
    reg = _register(h, event_id)
    with h.measure():
        r = h.api.get(f"/registrations/{reg['uuid']}/session-attendance/", token=organiser.token)
    h.expect(r, 200)


@scenario("attendance.override")
def _override(h: Harness) -> None:
    organiser = h.account()
    event_id = _single_event(h, organiser.token)
    reg = _register(h, event_id)
    with h.measure():
        r = h.api.post(
            f"/events/{event_id}/registrations/{reg['uuid']}/override-attendance/",
            {"eligible": True, "reason": "Connection problems"},
            token=organiser.token,
        )
    h.expect(r, 200)


@scenario("attendance.complete_session")
def _complete(h: Harness) -> None:
    """A single-session event with one attendee still connected: the organiser completes it."""
    from tools import zoom_payloads as zp

    organiser, meeting, alice = _matched_setup(h, by_email=False)
    _deliver(zp.participant_joined(meeting, alice, _at(0)))
    event_id = _event_of(meeting.id)
    with h.measure():
        r = h.api.post(f"/events/{event_id}/sessions/{event_id}/complete/", {}, token=organiser.token)
    h.expect(r, 200)


def _event_of(meeting_id: str) -> str:
    from lectern.data.zoom import ZoomMeetingItem

    return ZoomMeetingItem.get(*ZoomMeetingItem.key(meeting_id)).event_id


# ---------------------------------------------------------------- throughput


def throughput(participants: int = 500, events_each: int = 20) -> dict[str, Any]:
    """`participants` x `events_each` participant events (joins and leaves, a second device for
    every fifth person, a redelivery of every tenth event) through the worker, then the meeting
    ends. Counted: DynamoDB calls by operation, seconds."""
    from moto import mock_aws

    import tests.conftest  # noqa: F401  test environment
    from tests.support import attendance as A
    from tests.support.aws import provision, reset_caches
    from tests.support.events import make_event
    from tools import zoom_payloads as zp
    from tools.bench_ops import Recorder

    rec = Recorder()
    rec.install()
    try:
        with mock_aws():
            from local.emulator import speed_up_moto, untrack_dynamodb_models

            speed_up_moto()  # else moto sorts the table per Query and copies it per transaction
            untrack_dynamodb_models()  # else moto keeps every transaction's table snapshot in memory
            reset_caches()
            provision()
            from lectern.auth.tokens import issue_access_token  # noqa: F401  (settings warm)

            from tests.support import builders
            from tests.support.api import Api

            api = Api(ip="198.51.100.200")
            organiser = builders.verified_account(
                api, "throughput@example.org", "correct horse battery staple"
            )
            event = make_event(organiser.token, starts_at=START, ends_at=_at(events_each * 5 + 10))
            meeting = A.link_meeting(event.event_id, event.event_id, event.owner_id)
            people = []
            for i in range(participants):
                r = api.post(
                    f"/events/{event.event_id}/register/",
                    {"email": f"p{i}@example.org", "full_name": f"P {i}"},
                )
                reg = A.reg_item(r.json["uuid"])
                rid = A.link_registrant(meeting, reg, event.event_id) if i % 2 == 0 else ""
                people.append(zp.Participant(f"P {i}", email=f"p{i}@example.org", registrant_id=rid))
            bodies: list[dict[str, Any]] = []
            for i, p in enumerate(people):
                device = p.on_another_device() if i % 5 == 0 else p
                for k in range(events_each // 2):
                    who = device if k % 2 else p
                    bodies.append(zp.participant_joined(meeting, who, _at(k * 10 + 1)))
                    bodies.append(zp.participant_left(meeting, who, _at(k * 10 + 8)))
            d = A.deps(_at(events_each * 5 + 20))
            outcomes: Counter[str] = Counter()
            with rec.window() as calls:
                t0 = time.perf_counter()
                for n, body in enumerate(bodies):
                    outcomes[A.deliver(body, d)] += 1
                    if n % 10 == 0:
                        outcomes[A.deliver(body, d)] += 1  # a redelivery
                processing = time.perf_counter() - t0
                t1 = time.perf_counter()
                A.deliver(zp.meeting_ended(meeting, _at(events_each * 5 + 10)), d)
                completion = time.perf_counter() - t1
            ddb = Counter(c.operation for c in calls if c.service == "dynamodb")
            delivered = sum(outcomes.values())
            processing_calls = sum(ddb.values())
            return {
                "participants": participants,
                "participant_events": len(bodies),
                "deliveries": delivered,
                "outcomes": dict(outcomes),
                "seconds_processing": round(processing, 1),
                "seconds_completion": round(completion, 1),
                "per_event_ms": round(1000 * processing / max(1, delivered), 2),
                "dynamodb_calls": processing_calls,
                "calls_per_delivery": round(processing_calls / max(1, delivered), 2),
                "dynamodb_by_operation": dict(ddb),
            }
    finally:
        rec.uninstall()
        reset_caches()
