"""Registering (guest or signed in), capacity and waitlist, cancelling and promotion, and the
organiser's and attendee's views.

Capacity is never exceeded because every change of `confirmed_count` / `waitlisted_count` is a
conditional update of the event inside the same transaction as the registration it accounts
for. Unlimited capacity is the *absence* of the `capacity` attribute (pynamodb does not store
`None`), so the confirmed-path condition is
`status = published AND (attribute_not_exists(capacity) OR confirmed_count < capacity)`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError

from lectern import audit
from lectern.auth.authorizer import authorize
from lectern.clock import Clock
from lectern.data import tx
from lectern.data.accounts import UserItem
from lectern.data.base import TableItem
from lectern.data.discounts import DiscountCodeItem
from lectern.data.events import EventItem
from lectern.data.invitations import InvitationItem
from lectern.data.pagination import Page, PageRequest, query_page
from lectern.data.registrations import RegistrationEmailItem, RegistrationItem
from lectern.deps import Deps
from lectern.discounts import pricing
from lectern.errors import Conflict, NotFound, PaymentRequired, ValidationFailed
from lectern.events.access import owned_event
from lectern.events.fields import validate_answers
from lectern.integrations.bus import DomainEvent
from lectern.registrations import emails
from lectern.registrations.model import Registration
from lectern.request import RequestMeta

logger = logging.getLogger("lectern.registrations")

MAX_ATTEMPTS = 6
# `cancelled_by` of a registration cancelled through the link in its mail (a guest has no user id).
BY_LINK = "registrant_link"


def payment_required() -> PaymentRequired:
    return PaymentRequired("Paid checkout is not available yet.", code="payment_not_available")


# ---------------------------------------------------------------- helpers


def optional_user(headers: dict[str, str] | None, clock: Clock) -> str | None:
    """The caller's user id when an Authorization header is sent; an invalid, expired or revoked
    token is a 401 (never a silent guest registration). No header → None (a guest)."""
    if not any(str(k).lower() == "authorization" for k in (headers or {})):
        return None
    return authorize(headers, clock).user_id


def _retryable(exc: TransactWriteError, attempt: int = 0) -> bool:
    """A failed condition or a conflict with another transaction on the same item (the event
    is a hot item under a rush) is retried; a conflict after a short jittered backoff."""
    if not tx.lost_race(exc):
        return False
    if "TransactionConflict" in tx.cancellation_codes(exc):
        tx.backoff(attempt)
    return True


def position_of(event_id: str, registration_id: str) -> int:
    """1-based waitlist position: Query GSI3 `WAITLIST#<event>` with `GSI3SK < mine`, Select COUNT."""
    pk, _ = RegistrationItem.waitlist_index(event_id, registration_id)
    before = TableItem.gsi3.count(pk, range_key_condition=TableItem.gsi3sk < registration_id)
    return int(before) + 1


def _fields(event: EventItem) -> list[dict[str, Any]]:
    value = event.custom_fields or []
    return list(value)


def _publish(deps: Deps, name: str, data: dict[str, Any], now: datetime, meta: RequestMeta) -> None:
    deps.bus.publish([DomainEvent(name, data, occurred_at=now, correlation_id=meta.correlation_id)])


def _send(deps: Deps, message: Any) -> None:
    try:
        deps.mailer.send(message)
    except Exception:  # a mail outage must not undo a stored registration
        logger.exception("registration mail not sent")


def _closed(event: EventItem, message: str = "Registration for this event is closed.") -> Conflict:
    details: list[dict[str, Any]] = [{"status": event.status}]
    if event.registration_closes_at:
        details.append({"registration_closes_at": event.registration_closes_at.isoformat()})
    return Conflict(message, code="registration_closed", details=details)


def _check_open(event: EventItem | None, now: datetime) -> EventItem:
    if event is None or event.status == "draft":
        raise NotFound("The event does not exist.")
    if event.status != "published":
        raise _closed(event)
    if event.registration_opens_at and now < event.registration_opens_at:
        raise Conflict(
            "Registration for this event has not opened yet.",
            code="registration_not_open",
            details=[{"registration_opens_at": event.registration_opens_at.isoformat()}],
        )
    if event.registration_closes_at and now >= event.registration_closes_at:
        raise _closed(event)
    return event


def _has_seat(event: EventItem) -> bool:
    return event.capacity is None or int(event.confirmed_count or 0) < int(event.capacity)


def _seat_condition() -> Any:
    return EventItem.capacity.does_not_exist() | (EventItem.confirmed_count < EventItem.capacity)


# ---------------------------------------------------------------- register


@dataclass(frozen=True)
class Applicant:
    email: str | None
    full_name: str
    professional_title: str = ""
    organization_name: str = ""
    custom_answers: dict[str, Any] | None = None
    discount_code: str | None = None
    invitation_token: str | None = None  # the `token=` of an invitation link (the email is locked)


def register(
    *, event_id: str, applicant: Applicant, user_id: str | None, meta: RequestMeta, deps: Deps
) -> Registration:
    now = deps.clock.now()
    event_key = EventItem.key(event_id)
    keys = [event_key]
    user_key = UserItem.key(user_id) if user_id else None
    if user_key:
        keys.append(user_key)
    code_key = DiscountCodeItem.key(event_id, applicant.discount_code) if applicant.discount_code else None
    if code_key:
        keys.append(code_key)
    invitation = None
    if applicant.invitation_token:
        # Through an invitation link: its invitation is read in the same BatchGetItem and marked
        # `registered` in the registration's transaction (lectern/invitations).
        from lectern.invitations import links as invitation_links
        from lectern.invitations import service as invitations

        invitation = invitation_links.read(applicant.invitation_token, now)
        if invitation.event_id != event_id:
            raise ValidationFailed.field(
                "invitation_token", "is for another event", code="invitation_mismatch"
            )
        keys.append(invitation.key())
    got = tx.get_many(keys)
    event = _check_open(got.get(event_key), now)  # type: ignore[arg-type]

    email = applicant.email
    invited: InvitationItem | None = None
    if invitation is not None:
        found = got.get(invitation.key())
        if email is None and not user_key and isinstance(found, InvitationItem):
            email = found.email  # pre-filled: the invited address
    if user_key:
        user = got.get(user_key)
        if not isinstance(user, UserItem):
            raise NotFound("The account does not exist.")
        if email is None:
            email = user.email
        elif email != user.email:
            raise ValidationFailed.field(
                "email", "must be your account's email address when you are signed in", code="email_mismatch"
            )
    if not email:
        raise ValidationFailed.field("email", "is required when you are not signed in", code="missing")
    if invitation is not None:
        invited = invitations.for_registration(invitation, found, email)

    answers = validate_answers(_fields(event), applicant.custom_answers or {})

    code_item = got.get(code_key) if code_key else None
    if not isinstance(code_item, DiscountCodeItem):
        code_item = None
    quote = pricing.quote_for_code(event, applicant.discount_code, code_item, now)
    amount_minor, code_used = int(quote.amount_minor), quote.code_used
    if amount_minor > 0:
        raise payment_required()
    if code_used is None:
        code_item = None

    registration_id = deps.ids()
    log = audit.Auditor(actor_id=user_id, at=now, ids=deps.ids, ip=meta.ip)
    item = RegistrationItem(
        *RegistrationItem.key(registration_id),
        registration_id=registration_id,
        event_id=event_id,
        owner_id=event.owner_id,
        user_id=user_id,
        email=email,
        full_name=applicant.full_name,
        professional_title=applicant.professional_title,
        organization_name=applicant.organization_name,
        status="confirmed",
        custom_answers=answers,
        discount_code_used=code_used,
        amount_paid_minor=amount_minor,
        currency=event.currency or "GBP",
        created_at=now,
        updated_at=now,
    )
    item.gsi1pk, item.gsi1sk = RegistrationItem.event_index(event_id, registration_id)
    item.gsi2pk, item.gsi2sk = RegistrationItem.person_index(user_id, email, registration_id)
    claim = RegistrationEmailItem(
        *RegistrationEmailItem.key(event_id, email), registration_id=registration_id
    )

    for attempt in range(MAX_ATTEMPTS):
        confirm = _has_seat(event)
        if not confirm and not event.waitlist_enabled:
            raise Conflict(
                "The event is full.", code="event_full", details=[{"capacity": int(event.capacity)}]
            )
        item.status = "confirmed" if confirm else "waitlisted"
        if confirm:
            item.gsi3pk = item.gsi3sk = None
        else:
            item.gsi3pk, item.gsi3sk = RegistrationItem.waitlist_index(event_id, registration_id)
        try:
            with tx.write() as t:
                t.save(claim, condition=RegistrationEmailItem.pk.does_not_exist())
                t.save(item, condition=RegistrationItem.pk.does_not_exist())
                if confirm:
                    t.update(
                        event,
                        actions=[EventItem.confirmed_count.add(1)],
                        condition=(EventItem.status == "published") & _seat_condition(),
                    )
                else:
                    t.update(
                        event,
                        actions=[EventItem.waitlisted_count.add(1)],
                        condition=(EventItem.status == "published") & (EventItem.waitlist_enabled == True),  # noqa: E712
                    )
                if code_item is not None:
                    pricing.use_in_transaction(t, code_item, now)
                if invited is not None:
                    t.update(
                        invited,
                        actions=[
                            InvitationItem.status.set("registered"),
                            InvitationItem.registration_id.set(registration_id),
                            InvitationItem.registered_at.set(now),
                            InvitationItem.updated_at.set(now),
                        ],
                        condition=(InvitationItem.invitation_id == invited.invitation_id)
                        & InvitationItem.status.is_in("sent", "declined"),
                    )
                t.save(
                    log.entry(
                        f"lectern.registration.{item.status}",
                        "registration",
                        registration_id,
                        event_id=event_id,
                    )
                )
        except TransactWriteError as exc:
            if not _retryable(exc, attempt):
                raise
            # Why did it fail? Re-read the claim, the event (and the code) in one call.
            claim_key = (claim.pk, claim.sk)
            invite_keys = [invitation.key()] if invitation is not None else []
            again = tx.get_many(
                [claim_key, event_key, *([code_key] if code_key and code_item else []), *invite_keys]
            )
            if claim_key in again:
                raise Conflict(
                    "This email address is already registered for this event.",
                    code="already_registered",
                    details=[{"field": "email", "code": "already_registered"}],
                ) from exc
            if invitation is not None:
                invited = invitations.for_registration(invitation, again.get(invitation.key()), email)
            event = _check_open(again.get(event_key), now)  # type: ignore[arg-type]
            if code_item is not None:
                fresh = again.get(code_key)  # type: ignore[arg-type]
                if not isinstance(fresh, DiscountCodeItem):
                    raise pricing.refusal("unknown_code") from exc
                pricing.quote(event, fresh, now)  # raises when the code is now exhausted or expired
                code_item = fresh
            continue
        break
    else:
        raise Conflict("The event is too busy right now; try again.", code="try_again")

    position = position_of(event_id, registration_id) if item.status == "waitlisted" else None
    _publish(
        deps,
        f"lectern.registration.{item.status}",
        {"registration_id": registration_id, "event_id": event_id, "user_id": user_id},
        now,
        meta,
    )
    if item.status == "confirmed":
        _send(deps, emails.confirmed(email, item.full_name, event, registration_id))
    else:
        _send(deps, emails.waitlisted(email, item.full_name, event, position, registration_id))
    return Registration.of(item, position)


# ---------------------------------------------------------------- reading


def registration_item(registration_id: str) -> RegistrationItem:
    """The registration (consistent read), or 404."""
    try:
        return RegistrationItem.get(*RegistrationItem.key(registration_id), consistent_read=True)
    except RegistrationItem.DoesNotExist as exc:
        raise NotFound("The registration does not exist.") from exc


def organisers_registration(owner_id: str, event_id: str, registration_id: str) -> RegistrationItem:
    """The registration if it belongs to `event_id` of `owner_id`; 404 otherwise (no leak)."""
    item = registration_item(registration_id)
    if item.owner_id != owner_id or item.event_id != event_id:
        raise NotFound("The registration does not exist.")
    return item


def _attendees(user_id: str, registration_id: str) -> RegistrationItem:
    item = registration_item(registration_id)
    if item.user_id != user_id:
        raise NotFound("The registration does not exist.")
    return item


def _out(item: RegistrationItem) -> Registration:
    pos = position_of(item.event_id, item.registration_id) if item.status == "waitlisted" else None
    return Registration.of(item, pos)


def get_for_organiser(owner_id: str, event_id: str, registration_id: str) -> Registration:
    return _out(organisers_registration(owner_id, event_id, registration_id))


def get_for_attendee(user_id: str, registration_id: str) -> Registration:
    return _out(_attendees(user_id, registration_id))


def list_for_event(
    owner_id: str, event_id: str, page: PageRequest, *, status: str | None = None, email: str | None = None
) -> Page[Registration]:
    """GetItem Event (ownership) → Query GSI1 `EVENT#<id>#REGS` (oldest first), filtered."""
    owned_event(owner_id, event_id)
    condition = None
    if status:
        condition = RegistrationItem.status == status
    if email:
        by_email = RegistrationItem.email == email
        condition = by_email if condition is None else condition & by_email
    pk, _ = RegistrationItem.event_index(event_id, "")
    got = query_page(
        TableItem.gsi1.query,
        page,
        f"regs:{event_id}:{owner_id}:{status or ''}:{email or ''}",
        hash_key=pk,
        filter_condition=condition,
    )
    return got.map(lambda i: Registration.of(i))


def list_for_user(user_id: str, page: PageRequest) -> Page[Registration]:
    """Query GSI2 `USER#<id>#REGS` newest first → BatchGetItem of the page's events (2 calls)."""
    pk, _ = RegistrationItem.person_index(user_id, "", "")
    got = query_page(TableItem.gsi2.query, page, f"myregs:{user_id}", hash_key=pk, scan_index_forward=False)
    items = [i for i in got.items if isinstance(i, RegistrationItem)]
    events: dict[str, EventItem] = {}
    keys = list({EventItem.key(i.event_id) for i in items})
    if keys:
        for found in tx.get_many(keys).values():
            if isinstance(found, EventItem):
                events[found.event_id] = found
    out = []
    for i in items:
        e = events.get(i.event_id)
        out.append(Registration.of(i, None, e.title if e else None, e.starts_at if e else None))
    return Page(out, got.next_cursor)


# ---------------------------------------------------------------- update (organiser)


def update(
    *,
    owner_id: str,
    event_id: str,
    registration_id: str,
    changes: dict[str, Any],
    meta: RequestMeta,
    deps: Deps,
) -> Registration:
    item = organisers_registration(owner_id, event_id, registration_id)
    if not changes:
        return _out(item)
    now = deps.clock.now()
    actions: list[Any] = [RegistrationItem.updated_at.set(now)]
    for name in ("full_name", "professional_title", "organization_name"):
        if name in changes:
            actions.append(getattr(RegistrationItem, name).set(changes[name]))
    if "custom_answers" in changes:
        event = owned_event(owner_id, event_id)
        answers = validate_answers(_fields(event), changes["custom_answers"] or {})
        actions.append(RegistrationItem.custom_answers.set(answers))
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
    with tx.write(on_condition_failed=NotFound("The registration does not exist.")) as t:
        t.update(item, actions=actions, condition=RegistrationItem.owner_id == owner_id)
        t.save(
            log.entry(
                "lectern.registration.updated", "registration", registration_id, fields=",".join(changes)
            )
        )
    return _out(registration_item(registration_id))


# ---------------------------------------------------------------- cancel and promote


def cancel_as_attendee(*, user_id: str, registration_id: str, meta: RequestMeta, deps: Deps) -> Registration:
    return _cancel(_attendees(user_id, registration_id), actor_id=user_id, meta=meta, deps=deps)


def cancel_by_link(*, token: str, meta: RequestMeta, deps: Deps) -> Registration:
    """The cancel link from the registrant's mail: no account needed (a guest's only way).
    Verifying the token makes no call; then as any cancel."""
    from lectern import signing

    claims = signing.read(emails.CANCEL_PURPOSE, token, deps.clock.now())
    item = registration_item(str(claims.get("r") or ""))
    return _cancel(item, actor_id=item.user_id, meta=meta, deps=deps)


def cancel_as_organiser(
    *, owner_id: str, event_id: str, registration_id: str, meta: RequestMeta, deps: Deps
) -> Registration:
    return _cancel(
        organisers_registration(owner_id, event_id, registration_id), actor_id=owner_id, meta=meta, deps=deps
    )


def _already_cancelled() -> Conflict:
    return Conflict("The registration is already cancelled.", code="already_cancelled")


def _oldest_waitlisted(event_id: str, after: str | None) -> RegistrationItem | None:
    pk, _ = RegistrationItem.waitlist_index(event_id, "")
    cond = TableItem.gsi3sk > after if after else None
    for i in TableItem.gsi3.query(pk, range_key_condition=cond, limit=1, page_size=1):
        if isinstance(i, RegistrationItem):
            return i
    return None


def _cancel(item: RegistrationItem, *, actor_id: str | None, meta: RequestMeta, deps: Deps) -> Registration:
    """GetItem Registration (done by the caller) → GetItem Event → Query GSI3 Limit 1 →
    TransactWriteItems (cancel cond. status, delete claim, promote cond. status = waitlisted,
    event counters, audit). A candidate that left meanwhile → the next one."""
    now = deps.clock.now()
    log = audit.Auditor(actor_id=actor_id, at=now, ids=deps.ids, ip=meta.ip)
    event = EventItem.get(*EventItem.key(item.event_id), consistent_read=True)
    skip_after: str | None = None
    promoted: RegistrationItem | None = None
    for attempt in range(MAX_ATTEMPTS):
        if item.status == "cancelled":
            raise _already_cancelled()
        was = item.status
        candidate = None
        if was == "confirmed" and event.waitlist_auto_promote:
            candidate = _oldest_waitlisted(item.event_id, skip_after)
        try:
            with tx.write() as t:
                t.update(
                    item,
                    actions=[
                        RegistrationItem.status.set("cancelled"),
                        RegistrationItem.cancelled_at.set(now),
                        RegistrationItem.cancelled_by.set(actor_id or BY_LINK),
                        RegistrationItem.updated_at.set(now),
                        RegistrationItem.gsi3pk.remove(),
                        RegistrationItem.gsi3sk.remove(),
                    ],
                    condition=RegistrationItem.status == was,
                )
                t.delete(
                    RegistrationEmailItem(*RegistrationEmailItem.key(item.event_id, item.email)),
                    condition=RegistrationEmailItem.registration_id == item.registration_id,
                )
                t.save(
                    log.entry("lectern.registration.cancelled", "registration", item.registration_id, was=was)
                )
                if was == "waitlisted":
                    t.update(
                        event, actions=[EventItem.waitlisted_count.add(-1)], condition=EventItem.pk.exists()
                    )
                elif candidate is not None:
                    t.update(
                        candidate,
                        actions=[
                            RegistrationItem.status.set("confirmed"),
                            RegistrationItem.promoted_from_waitlist_at.set(now),
                            RegistrationItem.updated_at.set(now),
                            RegistrationItem.gsi3pk.remove(),
                            RegistrationItem.gsi3sk.remove(),
                        ],
                        condition=RegistrationItem.status == "waitlisted",
                    )
                    t.update(
                        event, actions=[EventItem.waitlisted_count.add(-1)], condition=EventItem.pk.exists()
                    )
                    t.save(
                        log.entry(
                            "lectern.registration.promoted",
                            "registration",
                            candidate.registration_id,
                            replaces=item.registration_id,
                        )
                    )
                elif was == "confirmed":
                    t.update(
                        event, actions=[EventItem.confirmed_count.add(-1)], condition=EventItem.pk.exists()
                    )
        except TransactWriteError as exc:
            if not _retryable(exc, attempt):
                raise
            item = registration_item(item.registration_id)
            if item.status == "cancelled":
                raise _already_cancelled() from exc
            if candidate is not None:
                fresh = RegistrationItem.get(
                    *RegistrationItem.key(candidate.registration_id), consistent_read=True
                )
                if fresh.status != "waitlisted":
                    skip_after = candidate.registration_id  # it left meanwhile: the next one
            continue
        promoted = candidate
        break
    else:
        raise Conflict("The registration is changing right now; try again.", code="try_again")

    _publish(
        deps,
        "lectern.registration.cancelled",
        {"registration_id": item.registration_id, "event_id": item.event_id, "user_id": item.user_id},
        now,
        meta,
    )
    if promoted is not None:
        _publish(
            deps,
            "lectern.registration.promoted",
            {
                "registration_id": promoted.registration_id,
                "event_id": item.event_id,
                "user_id": promoted.user_id,
            },
            now,
            meta,
        )
        _send(deps, emails.promoted(promoted.email, promoted.full_name, event, promoted.registration_id))
    item.status, item.cancelled_at, item.cancelled_by, item.updated_at = (
        "cancelled",
        now,
        actor_id or BY_LINK,
        now,
    )
    item.gsi3pk = item.gsi3sk = None
    return Registration.of(item)


def promote(
    *, owner_id: str, event_id: str, registration_id: str, meta: RequestMeta, deps: Deps
) -> Registration:
    """The organiser moves a waitlisted registration up when there is a seat:
    GetItem Registration → GetItem Event → TransactWriteItems (reg cond. waitlisted, event cond. seat)."""
    item = organisers_registration(owner_id, event_id, registration_id)
    if item.status != "waitlisted":
        raise Conflict("Only a waitlisted registration can be promoted.", code="not_waitlisted")
    event = owned_event(owner_id, event_id)
    now = deps.clock.now()
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
    full = Conflict("The event is full.", code="event_full")
    if not _has_seat(event):
        raise full
    try:
        with tx.write() as t:
            t.update(
                item,
                actions=[
                    RegistrationItem.status.set("confirmed"),
                    RegistrationItem.promoted_from_waitlist_at.set(now),
                    RegistrationItem.updated_at.set(now),
                    RegistrationItem.gsi3pk.remove(),
                    RegistrationItem.gsi3sk.remove(),
                ],
                condition=RegistrationItem.status == "waitlisted",
            )
            t.update(
                event,
                actions=[EventItem.confirmed_count.add(1), EventItem.waitlisted_count.add(-1)],
                condition=_seat_condition(),
            )
            t.save(log.entry("lectern.registration.promoted", "registration", registration_id, manual=True))
    except TransactWriteError as exc:
        if not _retryable(exc):
            raise
        if registration_item(registration_id).status != "waitlisted":
            raise Conflict("Only a waitlisted registration can be promoted.", code="not_waitlisted") from exc
        raise full from exc
    _publish(
        deps,
        "lectern.registration.promoted",
        {"registration_id": registration_id, "event_id": event_id, "user_id": item.user_id},
        now,
        meta,
    )
    _send(deps, emails.promoted(item.email, item.full_name, event, item.registration_id))
    item.status, item.promoted_from_waitlist_at, item.updated_at = "confirmed", now, now
    item.gsi3pk = item.gsi3sk = None
    return Registration.of(item)
