"""Inviting people to an event (PRODUCT.md §3; data model: docs/data-model.md, issue 6).

Sending to up to 500 addresses, or to a contact list of the organiser's (the same rules):

* GetItem Event (ownership; 404 for another organiser's; 409 when cancelled, completed or not
  published) — then, for a real run, the organiser's bulk budget (lectern/throttle.py: GetItem +
  conditional PutItem; 429 with Retry-After).
* Screening: per address `invalid_address` / `duplicate` (in this request, case-insensitively);
  then ONE `tx.get_many` of the existing `Invitation` and `RegistrationEmail` items of every
  remaining address (BatchGetItem, 100 keys per call) → `already_invited` / `already_registered`;
  and the suppression list (`suppressed()`, BatchGetItem) → `suppressed`.
* Writes: one `Invitation` item per included address through BatchWriteItem (25 per call), so 500
  invitations are 20 BatchWriteItem calls plus a constant; one audit entry for the request.
* Mail: NOT sent in the request. The invitations are asked for on the bus
  (`lectern.invitation.mail_requested`, 25 addresses per event, 10 events per PutEvents) and the
  `invitations` consumer (functions/workers/invitations.py → lectern.invitations.delivery) sends
  them, claiming each mail first with a conditional update, so a redelivered message never mails
  an invitation twice and a failed send is retried. If the bus refuses the events, the request
  sends the mails itself before answering: nothing acknowledged is lost.
* A contact list of more than 500 members becomes an `InvitationRun` (202) processed page by page
  by the same consumer, with its progress at `GET /events/{id}/invitations/runs/{run_id}/`.

The dry run does the same reads and writes nothing (and takes no throttle token).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError

from lectern import audit
from lectern.data import tx
from lectern.data.base import TableItem
from lectern.data.events import EventItem
from lectern.data.invitations import InvitationItem, InvitationRunItem, email_key
from lectern.data.pagination import Page, PageRequest, query_page
from lectern.data.registrations import RegistrationEmailItem
from lectern.deps import Deps
from lectern.errors import Conflict, NotFound, TooManyRequests, ValidationFailed
from lectern.events.access import owned_event
from lectern.integrations.bus import DomainEvent
from lectern.integrations.suppression import suppressed
from lectern.invitations import contact_lists, links
from lectern.request import RequestMeta
from lectern.schemas import _email
from lectern.throttle import per_hundred, take_bulk

logger = logging.getLogger("lectern.invitations")

MAX_ADDRESSES = 500
MAIL_CHUNK = 25  # addresses per `mail_requested` bus event
RESEND_INTERVAL = timedelta(minutes=1)
RUN_TTL = timedelta(days=30)
MAIL_REQUESTED = "lectern.invitation.mail_requested"
RUN_REQUESTED = "lectern.invitation.run_requested"
CLOSED_STATUSES = ("cancelled", "completed")

REASONS = ("invalid_address", "duplicate", "already_registered", "already_invited", "suppressed")
MESSAGES = {
    "invalid_address": "This is not a valid email address.",
    "duplicate": "This address appears earlier in the request.",
    "already_registered": "This address is already registered for the event.",
    "already_invited": "This address has already been invited to the event.",
    "suppressed": "Mail to this address bounced or was reported as spam; it gets no bulk mail.",
}


# ---------------------------------------------------------------- domain views


@dataclass(frozen=True)
class Invitation:
    invitation_id: str
    event_id: str
    email: str
    status: str
    message: str | None
    mailed_at: datetime | None
    mail_pending: bool
    resend_count: int
    registration_id: str | None
    created_at: datetime
    updated_at: datetime
    registered_at: datetime | None = None
    declined_at: datetime | None = None
    revoked_at: datetime | None = None
    run_id: str | None = None

    @classmethod
    def of(cls, item: InvitationItem) -> Invitation:
        return cls(
            invitation_id=item.invitation_id,
            event_id=item.event_id,
            email=item.email,
            status=item.status,
            message=item.message,
            mailed_at=item.mailed_at,
            mail_pending=item.status == "sent" and int(item.mailed_seq or 0) < int(item.mail_seq or 0),
            resend_count=int(item.resend_count or 0),
            registration_id=item.registration_id,
            created_at=item.created_at,
            updated_at=item.updated_at,
            registered_at=item.registered_at,
            declined_at=item.declined_at,
            revoked_at=item.revoked_at,
            run_id=item.run_id,
        )


@dataclass(frozen=True)
class Outcome:
    index: int
    email: str
    included: bool
    reason: str | None = None
    message: str | None = None
    invitation_id: str | None = None


@dataclass(frozen=True)
class Run:
    run_id: str
    event_id: str
    contact_list_id: str
    status: str
    total: int | None
    processed: int
    invited: int
    skipped: int
    reasons: dict[str, int]
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    error: str | None

    @classmethod
    def of(cls, item: InvitationRunItem) -> Run:
        return cls(
            run_id=item.run_id,
            event_id=item.event_id,
            contact_list_id=item.contact_list_id,
            status=item.status,
            total=int(item.total) if item.total else None,
            processed=int(item.processed or 0),
            invited=int(item.invited or 0),
            skipped=int(item.skipped or 0),
            reasons={str(k): int(v) for k, v in dict(item.reasons or {}).items()},
            created_at=item.created_at,
            updated_at=item.updated_at,
            finished_at=item.finished_at,
            error=item.error,
        )


@dataclass(frozen=True)
class Result:
    dry_run: bool
    total: int
    invited: int
    skipped: int
    reasons: dict[str, int]
    results: list[Outcome] = field(default_factory=list)
    run: Run | None = None


@dataclass(frozen=True)
class Target:
    """Whom to invite: addresses, or a contact list (exactly one)."""

    emails: Sequence[str] | None = None
    contact_list_id: str | None = None


# ---------------------------------------------------------------- screening


def _normal(raw: str) -> str | None:
    try:
        return email_key(_email(raw))
    except (ValueError, TypeError, AttributeError):
        return None


def check_event(event: EventItem) -> EventItem:
    if event.status in CLOSED_STATUSES:
        raise Conflict(
            f"The event is {event.status}: nobody can be invited any more.",
            code="event_closed",
            details=[{"status": event.status}],
        )
    if event.status == "draft":
        raise Conflict(
            "Publish the event before inviting people (the invitation link registers them).",
            code="event_not_published",
            details=[{"status": event.status}],
        )
    return event


def assess(event_id: str, addresses: Sequence[str], run_id: str | None = None) -> list[Outcome]:
    """Who of `addresses` would be invited and why not. Reads: one `tx.get_many` of the existing
    invitations and registration claims (BatchGetItem per 100 keys) and the suppression list.

    With `run_id`, an address this run already invited (a retried step) counts as included again."""
    seen: set[str] = set()
    early: list[Outcome | None] = []
    normal: list[str | None] = []
    for i, raw in enumerate(addresses):
        email = _normal(raw)
        normal.append(email)
        if email is None:
            early.append(Outcome(i, str(raw)[:320], False, "invalid_address", MESSAGES["invalid_address"]))
        elif email in seen:
            early.append(Outcome(i, email, False, "duplicate", MESSAGES["duplicate"]))
        else:
            seen.add(email)
            early.append(None)
    candidates = sorted(seen)
    keys: list[tuple[str, str]] = []
    for e in candidates:
        keys.append(InvitationItem.key(event_id, e))
        keys.append(RegistrationEmailItem.key(event_id, e))
    found = tx.get_many(keys)
    blocked = suppressed(candidates) if candidates else set()
    out: list[Outcome] = []
    for i, (pre, email) in enumerate(zip(early, normal, strict=True)):
        if pre is not None:
            out.append(pre)
            continue
        assert email is not None
        if isinstance(found.get(RegistrationEmailItem.key(event_id, email)), RegistrationEmailItem):
            out.append(Outcome(i, email, False, "already_registered", MESSAGES["already_registered"]))
            continue
        existing = found.get(InvitationItem.key(event_id, email))
        if isinstance(existing, InvitationItem):
            if run_id is not None and existing.run_id == run_id:
                out.append(Outcome(i, email, True, invitation_id=existing.invitation_id))
            else:
                out.append(
                    Outcome(
                        i,
                        email,
                        False,
                        "already_invited",
                        MESSAGES["already_invited"],
                        invitation_id=existing.invitation_id,
                    )
                )
            continue
        if email in blocked:
            out.append(Outcome(i, email, False, "suppressed", MESSAGES["suppressed"]))
            continue
        out.append(Outcome(i, email, True))
    return out


def _summary(dry_run: bool, results: list[Outcome], run: Run | None = None) -> Result:
    reasons = Counter(r.reason for r in results if not r.included and r.reason)
    invited = sum(1 for r in results if r.included)
    return Result(
        dry_run=dry_run,
        total=len(results),
        invited=invited,
        skipped=len(results) - invited,
        reasons=dict(reasons),
        results=results,
        run=run,
    )


def _addresses(owner_id: str, target: Target) -> tuple[list[str], bool, int | None]:
    """The addresses of the target, whether it is a list too large for one request, and the
    list's member count (when the list says)."""
    if target.contact_list_id is None:
        emails = list(target.emails or [])
        if not emails:
            raise ValidationFailed.field("emails", "must name at least one address", code="too_short")
        if len(emails) > MAX_ADDRESSES:
            raise ValidationFailed.field(
                "emails",
                f"at most {MAX_ADDRESSES} addresses per request (got {len(emails)}); "
                "invite a contact list for more",
                code="too_many",
            )
        return emails, False, None
    listed = contact_lists.owned(owner_id, target.contact_list_id)
    members, more = contact_lists.first_members(target.contact_list_id, MAX_ADDRESSES)
    return members, more, contact_lists.count_of(listed)


# ---------------------------------------------------------------- invite


def preview(*, owner_id: str, event_id: str, target: Target, deps: Deps) -> Result:
    """What `invite` would do now, without writing anything (a large list is read whole)."""
    check_event(owned_event(owner_id, event_id))
    emails, more, _ = _addresses(owner_id, target)
    if more and target.contact_list_id:
        emails = contact_lists.all_members(target.contact_list_id)
    return _summary(True, assess(event_id, emails))


def build_items(
    event: EventItem,
    emails: Sequence[str],
    *,
    message: str | None,
    now: datetime,
    deps: Deps,
    run_id: str | None = None,
    contact_list_id: str | None = None,
) -> list[InvitationItem]:
    items = []
    for email in emails:
        invitation_id = deps.ids()
        item = InvitationItem(
            *InvitationItem.key(event.event_id, email),
            invitation_id=invitation_id,
            event_id=event.event_id,
            owner_id=event.owner_id,
            email=email,
            status="sent",
            message=message,
            run_id=run_id,
            contact_list_id=contact_list_id,
            mail_seq=1,
            mailed_seq=0,
            last_mail_requested_at=now,
            resend_count=0,
            created_at=now,
            updated_at=now,
        )
        item.gsi1pk, item.gsi1sk = InvitationItem.id_index(invitation_id)
        items.append(item)
    return items


def write_items(items: Sequence[InvitationItem]) -> None:
    """BatchWriteItem, 25 per call (pynamodb resends unprocessed items)."""
    with InvitationItem.batch_write() as batch:
        for item in items:
            batch.save(item)


def request_mail(
    event_id: str, emails: Sequence[str], *, deps: Deps, now: datetime, correlation_id: str
) -> None:
    """Ask the mail consumer to send these invitations; if the bus refuses, send them here."""
    if not emails:
        return
    events = [
        DomainEvent(
            MAIL_REQUESTED,
            {"event_id": event_id, "emails": list(emails[start : start + MAIL_CHUNK])},
            occurred_at=now,
            correlation_id=correlation_id,
        )
        for start in range(0, len(emails), MAIL_CHUNK)
    ]
    try:
        deps.bus.publish(events)
    except Exception:
        logger.exception("invitation mail events not published: sending in the request")
        from lectern.invitations import delivery

        for start in range(0, len(emails), MAIL_CHUNK):
            delivery.deliver(event_id, emails[start : start + MAIL_CHUNK], deps)


def invite(
    *,
    owner_id: str,
    event_id: str,
    target: Target,
    message: str | None,
    meta: RequestMeta,
    deps: Deps,
) -> Result:
    event = check_event(owned_event(owner_id, event_id))
    now = deps.clock.now()
    emails, more, count = _addresses(owner_id, target)
    if more:
        assert target.contact_list_id is not None
        # One unit per started hundred members (capped at the bucket: a huge list empties it).
        take_bulk(owner_id, now, "invitations.send", per_hundred(max(count or 0, MAX_ADDRESSES + 1)))
        return _summary(False, [], start_run(event, target.contact_list_id, count, message, meta, deps))
    take_bulk(owner_id, now, "invitations.send", per_hundred(len(emails)))
    results = assess(event_id, emails)
    included = [r.email for r in results if r.included]
    items = build_items(
        event, included, message=message, now=now, deps=deps, contact_list_id=target.contact_list_id
    )
    write_items(items)
    ids = {i.email: i.invitation_id for i in items}
    results = [
        Outcome(r.index, r.email, True, invitation_id=ids[r.email]) if r.included else r for r in results
    ]
    summary = _summary(False, results)
    audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip).record(
        "lectern.invitation.created",
        "event",
        event_id,
        total=summary.total,
        invited=summary.invited,
        skipped=summary.skipped,
        contact_list_id=target.contact_list_id,
    )
    request_mail(event_id, included, deps=deps, now=now, correlation_id=meta.correlation_id)
    return summary


# ---------------------------------------------------------------- background runs (large lists)


def start_run(
    event: EventItem,
    contact_list_id: str,
    total: int | None,
    message: str | None,
    meta: RequestMeta,
    deps: Deps,
) -> Run:
    now = deps.clock.now()
    run_id = deps.ids()
    item = InvitationRunItem(
        *InvitationRunItem.key(event.event_id, run_id),
        run_id=run_id,
        event_id=event.event_id,
        owner_id=event.owner_id,
        contact_list_id=contact_list_id,
        message=message,
        status="running",
        total=total or 0,
        step=0,
        created_at=now,
        updated_at=now,
        ttl=now + RUN_TTL,
    )
    log = audit.Auditor(actor_id=event.owner_id, at=now, ids=deps.ids, ip=meta.ip)
    with tx.write() as t:
        t.save(item, condition=InvitationRunItem.pk.does_not_exist())
        t.save(
            log.entry(
                "lectern.invitation.run_started",
                "event",
                event.event_id,
                run_id=run_id,
                contact_list_id=contact_list_id,
            )
        )
    deps.bus.publish(
        [
            DomainEvent(
                RUN_REQUESTED,
                {"event_id": event.event_id, "run_id": run_id, "step": 0},
                occurred_at=now,
                correlation_id=meta.correlation_id,
            )
        ]
    )
    return Run.of(item)


def get_run(owner_id: str, event_id: str, run_id: str) -> Run:
    event_key = EventItem.key(event_id)
    run_key = InvitationRunItem.key(event_id, run_id)
    got = tx.get_many([event_key, run_key])
    event = got.get(event_key)
    run = got.get(run_key)
    if (
        not isinstance(event, EventItem)
        or event.owner_id != owner_id
        or not isinstance(run, InvitationRunItem)
    ):
        raise NotFound("The invitation run does not exist.")
    return Run.of(run)


# ---------------------------------------------------------------- the organiser's views


def _by_id(owner_id: str, event_id: str, invitation_id: str) -> InvitationItem:
    """Query GSI1 `INVITE#<id>` (one call); another organiser's or event's → 404."""
    pk, sk = InvitationItem.id_index(invitation_id)
    for item in TableItem.gsi1.query(pk, TableItem.gsi1sk == sk, limit=1):
        if isinstance(item, InvitationItem) and item.event_id == event_id and item.owner_id == owner_id:
            return item
    raise NotFound("The invitation does not exist.")


def get(owner_id: str, event_id: str, invitation_id: str) -> Invitation:
    return Invitation.of(_by_id(owner_id, event_id, invitation_id))


def list_for_event(owner_id: str, event_id: str, status: str | None, page: PageRequest) -> Page[Invitation]:
    """GetItem Event (ownership) + one Query of the event's partition (`INVITE#` prefix, ordered by
    address) per page; a status filter is applied by DynamoDB to the page (a filtered page may hold
    fewer than `limit` items and still have a next cursor)."""
    owned_event(owner_id, event_id)
    kwargs: dict[str, Any] = {}
    if status:
        kwargs["filter_condition"] = InvitationItem.status == status
    result = query_page(
        InvitationItem.query,
        page,
        f"invitations:{event_id}:{status or ''}",
        hash_key=f"EVENT#{event_id}",
        range_key_condition=InvitationItem.sk.startswith("INVITE#"),
        **kwargs,
    )
    return result.map(Invitation.of)


def _fresh(item: InvitationItem) -> InvitationItem:
    try:
        return InvitationItem.get(item.pk, item.sk, consistent_read=True)
    except InvitationItem.DoesNotExist as exc:
        raise NotFound("The invitation does not exist.") from exc


def _not_open(status: str, action: str) -> Conflict:
    if status == "revoked":
        return Conflict(f"The invitation was revoked; it cannot be {action}.", code="invitation_revoked")
    return Conflict(
        f"The invitee has already registered; the invitation cannot be {action}.", code="invitation_used"
    )


def resend(*, owner_id: str, event_id: str, invitation_id: str, meta: RequestMeta, deps: Deps) -> Invitation:
    """A new mail with a new link (the old link still works). At most once a minute per invitation
    (429 with Retry-After). Query GSI1 + TransactWriteItems (conditional update + audit) + PutEvents."""
    item = _by_id(owner_id, event_id, invitation_id)
    now = deps.clock.now()
    event = check_event(owned_event(owner_id, event_id))
    for attempt in range(2):
        if item.status not in ("sent", "declined"):
            raise _not_open(item.status, "resent")
        due = item.last_mail_requested_at + RESEND_INTERVAL
        if now < due:
            raise TooManyRequests(
                int((due - now).total_seconds()) + 1,
                "This invitation was mailed less than a minute ago; wait before resending.",
            )
        log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
        try:
            with tx.write() as t:
                t.update(
                    item,
                    actions=[
                        InvitationItem.status.set("sent"),
                        InvitationItem.mail_seq.add(1),
                        InvitationItem.resend_count.add(1),
                        InvitationItem.last_mail_requested_at.set(now),
                        InvitationItem.updated_at.set(now),
                    ],
                    condition=(InvitationItem.invitation_id == invitation_id)
                    & InvitationItem.status.is_in("sent", "declined")
                    & (InvitationItem.last_mail_requested_at <= now - RESEND_INTERVAL),
                )
                t.save(log.entry("lectern.invitation.resent", "invitation", invitation_id, event_id=event_id))
        except TransactWriteError as exc:
            if attempt or not tx.lost_race(exc):
                raise
            item = _fresh(item)
            if item.invitation_id != invitation_id:
                raise NotFound("The invitation does not exist.") from exc
            continue
        break
    # The item as the update left it (no second read).
    item.status = "sent"
    item.mail_seq = int(item.mail_seq or 1) + 1
    item.resend_count = int(item.resend_count or 0) + 1
    item.last_mail_requested_at = item.updated_at = now
    request_mail(event.event_id, [item.email], deps=deps, now=now, correlation_id=meta.correlation_id)
    return Invitation.of(item)


def revoke(*, owner_id: str, event_id: str, invitation_id: str, meta: RequestMeta, deps: Deps) -> None:
    """The link stops working (409 `invitation_revoked` for the invitee). Revoking twice is a no-op;
    a used invitation (registered) cannot be revoked (409). Query GSI1 + TransactWriteItems."""
    item = _by_id(owner_id, event_id, invitation_id)
    now = deps.clock.now()
    for attempt in range(2):
        if item.status == "revoked":
            return
        if item.status == "registered":
            raise _not_open(item.status, "revoked")
        log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
        try:
            with tx.write() as t:
                t.update(
                    item,
                    actions=[
                        InvitationItem.status.set("revoked"),
                        InvitationItem.revoked_at.set(now),
                        InvitationItem.updated_at.set(now),
                    ],
                    condition=(InvitationItem.invitation_id == invitation_id)
                    & InvitationItem.status.is_in("sent", "declined"),
                )
                t.save(
                    log.entry("lectern.invitation.revoked", "invitation", invitation_id, event_id=event_id)
                )
        except TransactWriteError as exc:
            if attempt or not tx.lost_race(exc):
                raise
            item = _fresh(item)
            if item.invitation_id != invitation_id:
                raise NotFound("The invitation does not exist.") from exc
            continue
        return


# ---------------------------------------------------------------- the invitee's side


@dataclass(frozen=True)
class Opened:
    invitation: Invitation
    event: EventItem


def open_link(token: str, deps: Deps) -> Opened:
    """The invitation and its event for the invitee (one BatchGetItem)."""
    claims = links.read(token, deps.clock.now())
    event_key = EventItem.key(claims.event_id)
    got = tx.get_many([claims.key(), event_key])
    item = links.check(claims, got.get(claims.key()))
    event = got.get(event_key)
    if not isinstance(event, EventItem):
        raise links.revoked()
    return Opened(Invitation.of(item), event)


def decline(token: str, deps: Deps) -> Opened:
    """status → declined (idempotent). A used invitation cannot be declined (409)."""
    now = deps.clock.now()
    opened = open_link(token, deps)
    inv = opened.invitation
    if inv.status == "declined":
        return opened
    if inv.status == "registered":
        raise _not_open(inv.status, "declined")
    item = InvitationItem(*InvitationItem.key(inv.event_id, inv.email))
    try:
        item.update(
            actions=[
                InvitationItem.status.set("declined"),
                InvitationItem.declined_at.set(now),
                InvitationItem.updated_at.set(now),
            ],
            condition=(InvitationItem.invitation_id == inv.invitation_id) & (InvitationItem.status == "sent"),
        )
    except Exception as exc:
        if getattr(exc, "cause_response_code", "") != "ConditionalCheckFailedException":
            raise
        return decline(token, deps)  # the state changed under us: answer for the new one
    return Opened(Invitation.of(_fresh(item)), opened.event)


def for_registration(claims: links.LinkClaims, item: object, email: str) -> InvitationItem:
    """The invitation a registration through the link uses: valid, unused, for exactly this
    address (the address is locked)."""
    inv = links.check(claims, item)
    if inv.status == "registered":
        raise _not_open(inv.status, "used again")
    if email_key(email) != inv.email:
        raise ValidationFailed.field(
            "email",
            f"must be the invited address ({inv.email}): an invitation is for one address",
            code="email_locked",
        )
    return inv
