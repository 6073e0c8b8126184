"""Builders for certificate tests: an event whose registrations are made over HTTP (as an
account holder or a guest), attendance settled as eligible or not, the event completed, and
certificates issued with `issue_one` under an injected clock, ids and a capturing bus (mail goes
through SES on moto, readable with `tests.support.aws.sent_emails`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lectern.certificates import issuing
from lectern.clock import FixedClock
from lectern.data.certificates import CertificateItem
from lectern.data.events import EventItem
from lectern.data.registrations import RegistrationItem
from lectern.deps import Deps
from lectern.ids import new_id
from lectern.integrations.bus import MemoryPublisher

from tests.support.events import make_event


def deps(now: datetime | None = None) -> Deps:
    return Deps(clock=FixedClock(now or datetime.now(UTC)), bus=MemoryPublisher())


def event(owner_token: str, **fields: Any) -> EventItem:
    """A published event with CPD hours, open for registration (complete it with `complete`)."""
    values: dict[str, Any] = {"cpd_hours": 1.5, "cpd_category": "Ethics", "title": "Ethics in practice"}
    values.update(fields)
    return make_event(owner_token, **values)


def register(
    api: Any, ev: EventItem, *, token: str | None = None, email: str | None = None, name: str = "Ana Ćosić"
) -> str:
    """A registration over HTTP: signed in with `token` (linked to that account) or as a guest."""
    body: dict[str, Any] = {"full_name": name}
    if email:
        body["email"] = email
    r = api.post(f"/events/{ev.event_id}/register/", body, token=token)
    assert r.status == 201, r.json
    return str(r.json["uuid"])


def settle(registration_id: str, eligible: bool = True, minutes: int = 55) -> None:
    """Attendance as a recompute would leave it."""
    reg = registration(registration_id)
    reg.update(
        actions=[
            RegistrationItem.attendance_eligible.set(eligible),
            RegistrationItem.attendance_explanation.set(
                f"Attended {minutes} of 60 minutes ({'at least' if eligible else 'less than'} 80% required)."
            ),
            RegistrationItem.total_attendance_minutes.set(minutes),
            RegistrationItem.attendance_percent.set(round(minutes * 100 / 60)),
        ]
    )


def complete(ev: EventItem) -> EventItem:
    ev.update(actions=[EventItem.status.set("completed"), EventItem.completed_at.set(datetime.now(UTC))])
    return ev


def registration(registration_id: str) -> RegistrationItem:
    return RegistrationItem.get(*RegistrationItem.key(registration_id), consistent_read=True)


def certificate(certificate_id: str) -> CertificateItem:
    return CertificateItem.get(*CertificateItem.key(certificate_id), consistent_read=True)


def issue(ev: EventItem, registration_id: str, d: Deps | None = None, **kw: Any) -> issuing.IssueOutcome:
    return issuing.issue_one(
        event_id=ev.event_id, registration_id=registration_id, run_id=None, deps=d or deps(), **kw
    )


def issued(
    api: Any, owner_token: str, *, holder_token: str | None = None, email: str | None = None, **fields: Any
) -> CertificateItem:
    """One certificate of a new completed event of the owner's, held by the account of
    `holder_token` (or a guest with `email`)."""
    ev = event(owner_token, **fields)
    if holder_token is None:
        email = email or f"guest-{new_id()[:13]}@example.org"
    rid = register(api, ev, token=holder_token, email=email if holder_token is None else None)
    settle(rid)
    complete(ev)
    outcome = issue(ev, rid)
    assert outcome.status == "issued", outcome
    assert outcome.certificate_id
    return certificate(outcome.certificate_id)
