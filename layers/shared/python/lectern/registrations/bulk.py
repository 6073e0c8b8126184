"""Bulk add of registrations by the organiser (with a dry-run preview), throttled per organiser
(spec-review M6).

* The dry run reads, writes nothing and costs no throttle token: GetItem Event (ownership) →
  BatchGetItem of the `RegistrationEmail` claims (100 keys per call, so ≤ 5 calls for 500
  people). It predicts each person's outcome from the event's counters in request order, the
  same order the real run uses.
* The real run takes one token from the organiser's table-backed bucket (GetItem + conditional
  PutItem), then adds each person through `lectern.registrations.service.register` — the single
  registration use case, so capacity, waitlist and the one-active-registration-per-email rule
  are enforced exactly as for a person registering themselves (≈ 2 calls per person: its
  BatchGetItem and TransactWriteItems). People added in bulk get no mail unless `notify`.

Sequential, in request order (so the dry run's prediction of who is confirmed and who is
waitlisted holds); about 2-4 DynamoDB/EventBridge calls per person. People not reached within
`TIME_BUDGET_SECONDS` are answered `not_processed` instead of the whole request timing out.

Invalid emails and duplicates inside the request are reported per person, not as a 422 for the
whole request, so one typo in a pasted list does not block the other 499.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lectern import audit
from lectern.data.events import EventItem
from lectern.data.registrations import RegistrationEmailItem
from lectern.deps import Deps
from lectern.errors import Conflict, LecternError, ValidationFailed
from lectern.events.access import owned_event
from lectern.events.fields import validate_answers
from lectern.integrations.mail import Email as Mail
from lectern.registrations import service
from lectern.request import RequestMeta
from lectern.schemas import _email
from lectern.throttle import take_bulk

MAX_REGISTRANTS = 500
BATCH_GET_LIMIT = 100

# 5 bulk requests in a burst, then one every 12 seconds, per organiser (dry runs are free).

# API Gateway gives up after 29 s: people not reached within this budget are answered
# `not_processed` (send them again: those already added come back as `already_registered`).
TIME_BUDGET_SECONDS = 20.0
_monotonic = time.monotonic


@dataclass(frozen=True)
class Registrant:
    email: str
    full_name: str
    professional_title: str = ""
    organization_name: str = ""
    custom_answers: dict[str, Any] | None = None


@dataclass(frozen=True)
class Outcome:
    index: int
    email: str
    added: bool  # (dry run: would be added)
    status: str | None  # confirmed | waitlisted (what they got / would get)
    reason: str | None  # why not added, or `would_be_waitlisted` / `waitlisted`
    message: str | None = None
    registration_id: str | None = None


@dataclass(frozen=True)
class BulkResult:
    dry_run: bool
    total: int
    added: int
    confirmed: int
    waitlisted: int
    skipped: int
    results: list[Outcome]


class _NoMail:
    """Bulk-added people get no mail unless the organiser asks for it."""

    def send(self, message: Mail) -> None:
        return None


def _normal_email(raw: str) -> str | None:
    try:
        return _email(raw)
    except ValueError:
        return None


def _event_open(event: EventItem, now: Any) -> None:
    """The whole request is refused when nobody could be added (same rules as registering)."""
    if event.status != "published":
        raise Conflict(
            "Registrations can only be added to a published event.",
            code="registration_closed",
            details=[{"status": event.status}],
        )
    if int(event.price_minor or 0) > 0:
        raise service.payment_required()  # the same error as registering one person
    if event.registration_opens_at and now < event.registration_opens_at:
        raise Conflict("Registration for this event has not opened yet.", code="registration_not_open")
    if event.registration_closes_at and now >= event.registration_closes_at:
        raise Conflict("Registration for this event is closed.", code="registration_closed")


def _claimed(event_id: str, emails: Sequence[str]) -> set[str]:
    """Emails with an active registration for the event (BatchGetItem, 100 keys per call)."""
    keys = [RegistrationEmailItem.key(event_id, e) for e in emails]
    out: set[str] = set()
    for start in range(0, len(keys), BATCH_GET_LIMIT):
        for item in RegistrationEmailItem.batch_get(
            keys[start : start + BATCH_GET_LIMIT], consistent_read=True
        ):
            out.add(item.sk.removeprefix("EMAIL#"))
    return out


def _answers_problem(event: EventItem, answers: dict[str, Any] | None) -> ValidationFailed | None:
    try:
        validate_answers(list(event.custom_fields or []), answers or {})
    except ValidationFailed as err:
        return err
    return None


def _reason_of(err: LecternError) -> str:
    if isinstance(err, ValidationFailed):
        fields = [str(d.get("field", "")) for d in err.details]
        if any(f.startswith("custom_answers") for f in fields):
            return "invalid_custom_answers"
        if "email" in fields:
            return "invalid_email"
        return "invalid"
    return err.code


def _screen(registrants: Sequence[Registrant]) -> tuple[list[Outcome | None], list[str | None]]:
    """Per person: an Outcome when they are already excluded (bad or repeated email), and the
    normalised email."""
    seen: set[str] = set()
    early: list[Outcome | None] = []
    emails: list[str | None] = []
    for i, r in enumerate(registrants):
        email = _normal_email(r.email)
        emails.append(email)
        if email is None:
            early.append(
                Outcome(i, r.email, False, None, "invalid_email", "This is not a valid email address.")
            )
        elif email in seen:
            early.append(
                Outcome(
                    i,
                    email,
                    False,
                    None,
                    "duplicate_in_request",
                    "This email appears earlier in the request.",
                )
            )
        else:
            seen.add(email)
            early.append(None)
    return early, emails


def _summary(dry_run: bool, results: list[Outcome]) -> BulkResult:
    added = [r for r in results if r.added]
    return BulkResult(
        dry_run=dry_run,
        total=len(results),
        added=len(added),
        confirmed=sum(1 for r in added if r.status == "confirmed"),
        waitlisted=sum(1 for r in added if r.status == "waitlisted"),
        skipped=len(results) - len(added),
        results=results,
    )


def preview(*, owner_id: str, event_id: str, registrants: Sequence[Registrant], deps: Deps) -> BulkResult:
    """What `add` would do now, without writing anything."""
    event = owned_event(owner_id, event_id)
    _event_open(event, deps.clock.now())
    early, emails = _screen(registrants)
    claimed = _claimed(event_id, [e for e, o in zip(emails, early, strict=True) if o is None and e])
    capacity = None if event.capacity is None else int(event.capacity)
    seats = None if capacity is None else max(0, capacity - int(event.confirmed_count or 0))
    results: list[Outcome] = []
    for i, (r, out, email) in enumerate(zip(registrants, early, emails, strict=True)):
        if out is not None:
            results.append(out)
            continue
        assert email is not None
        if email in claimed:
            results.append(
                Outcome(i, email, False, None, "already_registered", "This email is already registered.")
            )
            continue
        problem = _answers_problem(event, r.custom_answers)
        if problem is not None:
            results.append(Outcome(i, email, False, None, "invalid_custom_answers", problem.message))
            continue
        if seats is None or seats > 0:
            if seats is not None:
                seats -= 1
            results.append(Outcome(i, email, True, "confirmed", None))
        elif event.waitlist_enabled:
            results.append(
                Outcome(i, email, True, "waitlisted", "would_be_waitlisted", "The event is full: waitlisted.")
            )
        else:
            results.append(Outcome(i, email, False, None, "event_full", "The event is full."))
    return _summary(True, results)


def add(
    *,
    owner_id: str,
    event_id: str,
    registrants: Sequence[Registrant],
    notify: bool,
    meta: RequestMeta,
    deps: Deps,
) -> BulkResult:
    """Add each person through the registration use case; per-person results in request order."""
    event = owned_event(owner_id, event_id)
    now = deps.clock.now()
    _event_open(event, now)
    take_bulk(owner_id, now, "registrations.bulk_add")
    person_deps = deps if notify else dataclasses.replace(deps, mailer=_NoMail())
    early, emails = _screen(registrants)
    results: list[Outcome] = []
    started = _monotonic()
    for i, (r, out, email) in enumerate(zip(registrants, early, emails, strict=True)):
        if out is not None:
            results.append(out)
            continue
        if _monotonic() - started > TIME_BUDGET_SECONDS:
            message = "Not reached within this request's time budget; send this person again."
            results.append(Outcome(i, email or r.email, False, None, "not_processed", message))
            continue
        try:
            reg = service.register(
                event_id=event_id,
                applicant=service.Applicant(
                    email=email,
                    full_name=r.full_name,
                    professional_title=r.professional_title,
                    organization_name=r.organization_name,
                    custom_answers=r.custom_answers or {},
                ),
                user_id=None,
                meta=meta,
                deps=person_deps,
            )
        except LecternError as err:
            results.append(Outcome(i, email or r.email, False, None, _reason_of(err), err.message))
            continue
        reason = "waitlisted" if reg.status == "waitlisted" else None
        results.append(Outcome(i, reg.email, True, reg.status, reason, None, reg.registration_id))
    summary = _summary(False, results)
    audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip).record(
        "lectern.registration.bulk_added",
        "event",
        event_id,
        total=summary.total,
        added=summary.added,
        skipped=summary.skipped,
        notify=notify,
    )
    return summary
