"""An event's reminders: the organiser's CRUD and rescheduling when the event moves (issue 6).

A reminder is an offset before the event's start (`before_start`, e.g. 1440 and 60 minutes) or
after its end (`after_end`, e.g. a follow-up 1440 minutes after). Its `due_at` is derived from
the event's times; while it waits it is *armed* (carries the sparse GSI2 keys
`REMINDERS#DUE` / `<due_at>#<id>`) and lectern.reminders.sweep sends it.

Access patterns (lectern/data/reminders.py), DynamoDB calls:

* list: GetItem Event (ownership) → Query PK `EVENT#id`, SK begins_with `REMINDER#` (1 per page).
* get: BatchGetItem (Event, Reminder) — 1.
* create: GetItem Event → Query the event's reminders (limit and duplicate check) →
  TransactWriteItems (Put Reminder cond. new; Put ReminderSlot cond. new — a racing duplicate is
  a 409; ConditionCheck Event owner and not cancelled; Put audit) — 3.
* update: BatchGetItem (Event, Reminder) → TransactWriteItems (Update Reminder cond. generation
  as read; a new time also Deletes the old ReminderSlot and Puts the new one cond. new) — 2.
* delete: BatchGetItem → TransactWriteItems (Delete Reminder, Delete ReminderSlot, audit) — 2.
* reschedule (the event moved or was cancelled; the bus consumer and the sweep): GetItem Event →
  Query reminders → one conditional UpdateItem per reminder whose time changed.

A new time means `generation + 1`: deliveries are claimed per generation, so a moved event's
reminder goes to everyone again, once. A reminder whose new time has already passed is still
sent (at the next sweep) while the event has not started (`before_start`); otherwise it is
`missed`. Creating or changing a reminder to a time already past is a 422 instead (the organiser
is there to choose another offset).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError

from lectern import audit
from lectern.data import tx
from lectern.data.events import EventItem
from lectern.data.pagination import Page, PageRequest, query_page
from lectern.data.reminders import ReminderItem, ReminderSlotItem
from lectern.deps import Deps
from lectern.errors import Conflict, NotFound, ValidationFailed
from lectern.events.access import owned_event
from lectern.request import RequestMeta

ANCHORS = ("before_start", "after_end")
MAX_OFFSET_MINUTES = 60 * 24 * 60  # 60 days
MAX_REMINDERS_PER_EVENT = 10
REMINDER_PREFIX = "REMINDER#"


@dataclass(frozen=True)
class Reminder:
    reminder_id: str
    event_id: str
    anchor: str
    offset_minutes: int
    subject: str | None
    message: str | None
    due_at: datetime
    status: str
    generation: int
    sent_at: datetime | None
    sent_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, i: ReminderItem) -> Reminder:
        return cls(
            reminder_id=i.reminder_id,
            event_id=i.event_id,
            anchor=i.anchor,
            offset_minutes=int(i.offset_minutes),
            subject=i.subject,
            message=i.message,
            due_at=i.due_at,
            status=i.status,
            generation=int(i.generation or 1),
            sent_at=i.sent_at,
            sent_count=int(i.sent_count or 0),
            created_at=i.created_at,
            updated_at=i.updated_at,
        )


# ---------------------------------------------------------------- rules


def due_at(event: EventItem, anchor: str, offset_minutes: int) -> datetime:
    if anchor == "before_start":
        return event.starts_at - timedelta(minutes=int(offset_minutes))
    return event.ends_at + timedelta(minutes=int(offset_minutes))


def _check_offset(anchor: str, offset_minutes: int) -> None:
    if anchor not in ANCHORS:
        raise ValidationFailed.field("anchor", "Must be before_start or after_end.")
    if not 0 <= offset_minutes <= MAX_OFFSET_MINUTES:
        raise ValidationFailed.field("offset_minutes", f"Must be from 0 to {MAX_OFFSET_MINUTES} (60 days).")


def _check_future(due: datetime, now: datetime) -> None:
    if due <= now:
        raise ValidationFailed.field(
            "offset_minutes",
            f"This reminder would be due at {due.isoformat()}, which has already passed.",
            code="in_the_past",
        )


def _not_found() -> NotFound:
    return NotFound("The reminder does not exist.")


def _duplicate(anchor: str, offset_minutes: int) -> Conflict:
    return Conflict(
        f"This event already has a reminder {offset_minutes} minutes {_words(anchor)}.",
        code="duplicate_reminder",
        details=[{"field": "offset_minutes", "code": "duplicate"}],
    )


def _words(anchor: str) -> str:
    return "before the start" if anchor == "before_start" else "after the end"


def _cancelled_event() -> Conflict:
    return Conflict("The event is cancelled; its reminders are not sent.", code="event_cancelled")


def _changed() -> Conflict:
    return Conflict(
        "The reminder was changed at the same time; read it again and retry.", code="concurrent_change"
    )


def _arm(item: ReminderItem, due: datetime) -> None:
    item.due_at = due
    item.gsi2pk, item.gsi2sk = ReminderItem.due_index(due, item.reminder_id)


def _event_and_reminder(owner_id: str, event_id: str, reminder_id: str) -> tuple[EventItem, ReminderItem]:
    """Ownership and the reminder in one BatchGetItem; 404 for another organiser's either way."""
    ekey, rkey = EventItem.key(event_id), ReminderItem.key(event_id, reminder_id)
    got = tx.get_many([ekey, rkey])
    event, reminder = got.get(ekey), got.get(rkey)
    if not isinstance(event, EventItem) or event.owner_id != owner_id:
        raise NotFound("The event does not exist.")
    if not isinstance(reminder, ReminderItem):
        raise _not_found()
    return event, reminder


def _event_reminders(event_id: str) -> list[ReminderItem]:
    return list(
        ReminderItem.query(
            f"EVENT#{event_id}",
            ReminderItem.sk.startswith(REMINDER_PREFIX),
            consistent_read=True,
        )
    )


# ---------------------------------------------------------------- organiser


def list_reminders(owner_id: str, event_id: str, page: PageRequest) -> Page[Reminder]:
    owned_event(owner_id, event_id)
    got = query_page(
        ReminderItem.query,
        page,
        f"reminders:{event_id}:{owner_id}",
        hash_key=f"EVENT#{event_id}",
        range_key_condition=ReminderItem.sk.startswith(REMINDER_PREFIX),
    )
    return got.map(Reminder.of)


def get_reminder(owner_id: str, event_id: str, reminder_id: str) -> Reminder:
    return Reminder.of(_event_and_reminder(owner_id, event_id, reminder_id)[1])


@dataclass(frozen=True)
class RecipientLine:
    registration_id: str
    email: str
    full_name: str
    included: bool
    reason: str  # confirmed | waitlisted | pending_payment | suppressed


@dataclass(frozen=True)
class Preview:
    due_at: datetime
    recipients: int
    skipped: int
    results: list[RecipientLine]  # at most PREVIEW_LINES, confirmed first
    truncated: bool


PREVIEW_LINES = 1000


def _check_new(
    owner_id: str, event_id: str, anchor: str, offset_minutes: int, now: datetime
) -> tuple[EventItem, datetime]:
    """A new reminder's checks: GetItem Event (404) → Query its reminders (409 duplicate or too
    many) → its time not already past (422). The event and the reminder's due time."""
    _check_offset(anchor, offset_minutes)
    event = owned_event(owner_id, event_id)
    if event.status == "cancelled":
        raise _cancelled_event()
    existing = _event_reminders(event_id)
    if any(r.anchor == anchor and int(r.offset_minutes) == offset_minutes for r in existing):
        raise _duplicate(anchor, offset_minutes)
    if len(existing) >= MAX_REMINDERS_PER_EVENT:
        raise Conflict(
            f"An event has at most {MAX_REMINDERS_PER_EVENT} reminders.", code="too_many_reminders"
        )
    due = due_at(event, anchor, offset_minutes)
    _check_future(due, now)
    return event, due


def preview_reminder(
    *, owner_id: str, event_id: str, anchor: str, offset_minutes: int, deps: Deps
) -> Preview:
    """The dry run of a create: the same checks (404, 409, 422), nothing written, and who would
    get it if it were sent now — each active registrant, included or why not.

    GetItem Event → Query reminders → Query GSI1 registrations (1 per page) → BatchGetItem of the
    suppression list (1 per 100 addresses)."""
    due = _check_new(owner_id, event_id, anchor, offset_minutes, deps.clock.now())[1]
    from lectern.data.registrations import ACTIVE_STATUSES, RegistrationItem
    from lectern.integrations.suppression import suppressed

    regs = list(
        RegistrationItem.query(
            RegistrationItem.event_index(event_id, "")[0],
            index_name="GSI1",
            filter_condition=RegistrationItem.status.is_in(*ACTIVE_STATUSES),
        )
    )
    blocked = suppressed(r.email for r in regs if r.status == "confirmed")
    lines = []
    for r in regs:
        if r.status != "confirmed":
            lines.append(RecipientLine(r.registration_id, r.email, r.full_name, False, r.status))
        elif r.email.strip().casefold() in blocked:
            lines.append(RecipientLine(r.registration_id, r.email, r.full_name, False, "suppressed"))
        else:
            lines.append(RecipientLine(r.registration_id, r.email, r.full_name, True, "confirmed"))
    lines.sort(key=lambda x: (not x.included, x.email.casefold()))
    included = sum(1 for x in lines if x.included)
    return Preview(due, included, len(lines) - included, lines[:PREVIEW_LINES], len(lines) > PREVIEW_LINES)


def create_reminder(
    *,
    owner_id: str,
    event_id: str,
    anchor: str,
    offset_minutes: int,
    subject: str | None,
    message: str | None,
    meta: RequestMeta,
    deps: Deps,
) -> Reminder:
    now = deps.clock.now()
    due = _check_new(owner_id, event_id, anchor, offset_minutes, now)[1]
    reminder_id = deps.ids()
    item = ReminderItem(
        *ReminderItem.key(event_id, reminder_id),
        reminder_id=reminder_id,
        event_id=event_id,
        owner_id=owner_id,
        anchor=anchor,
        offset_minutes=offset_minutes,
        subject=subject,
        message=message,
        due_at=due,
        generation=1,
        status="scheduled",
        sent_count=0,
        created_at=now,
        updated_at=now,
    )
    _arm(item, due)
    slot = ReminderSlotItem(*ReminderSlotItem.key(event_id, anchor, offset_minutes), reminder_id=reminder_id)
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
    try:
        with tx.write() as t:
            t.save(item, condition=ReminderItem.pk.does_not_exist())
            t.save(slot, condition=ReminderSlotItem.pk.does_not_exist())
            t.condition_check(
                EventItem,
                *EventItem.key(event_id),
                condition=(EventItem.owner_id == owner_id) & (EventItem.status != "cancelled"),
            )
            t.save(log.entry("lectern.reminder.created", "reminder", reminder_id, event_id=event_id))
    except TransactWriteError as exc:
        if not tx.cancelled_by_condition(exc):
            raise
        raise _why_write_failed(owner_id, event_id, anchor, offset_minutes) from exc
    return Reminder.of(item)


def _why_write_failed(owner_id: str, event_id: str, anchor: str, offset_minutes: int) -> Exception:
    slot_key = ReminderSlotItem.key(event_id, anchor, offset_minutes)
    got = tx.get_many([EventItem.key(event_id), slot_key])
    event = got.get(EventItem.key(event_id))
    if not isinstance(event, EventItem) or event.owner_id != owner_id:
        return NotFound("The event does not exist.")
    if event.status == "cancelled":
        return _cancelled_event()
    if slot_key in got:
        return _duplicate(anchor, offset_minutes)
    return _changed()


def update_reminder(
    *,
    owner_id: str,
    event_id: str,
    reminder_id: str,
    changes: dict[str, Any],
    meta: RequestMeta,
    deps: Deps,
) -> Reminder:
    """`changes` holds only the fields sent (subject/message may be None: back to the default)."""
    event, item = _event_and_reminder(owner_id, event_id, reminder_id)
    if not changes:
        return Reminder.of(item)
    if event.status == "cancelled":
        raise _cancelled_event()
    anchor = changes.get("anchor", item.anchor)
    offset = int(changes.get("offset_minutes", item.offset_minutes))
    _check_offset(anchor, offset)
    moved = (anchor, offset) != (item.anchor, int(item.offset_minutes))
    now = deps.clock.now()
    generation = int(item.generation or 1)
    actions: list[Any] = [ReminderItem.updated_at.set(now)]
    for name in ("subject", "message"):
        if name in changes:
            attr = getattr(ReminderItem, name)
            actions.append(attr.remove() if changes[name] is None else attr.set(changes[name]))
            setattr(item, name, changes[name])
    old_slot = ReminderSlotItem(*ReminderSlotItem.key(event_id, item.anchor, int(item.offset_minutes)))
    new_slot = ReminderSlotItem(*ReminderSlotItem.key(event_id, anchor, offset), reminder_id=reminder_id)
    if moved:
        due = due_at(event, anchor, offset)
        _check_future(due, now)
        item.anchor, item.offset_minutes, item.generation, item.status = (
            anchor,
            offset,
            generation + 1,
            "scheduled",
        )
        _arm(item, due)
        actions += [
            ReminderItem.anchor.set(anchor),
            ReminderItem.offset_minutes.set(offset),
            ReminderItem.generation.set(generation + 1),
            ReminderItem.status.set("scheduled"),
            ReminderItem.due_at.set(due),
            ReminderItem.gsi2pk.set(item.gsi2pk),
            ReminderItem.gsi2sk.set(item.gsi2sk),
        ]
    item.updated_at = now
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
    try:
        with tx.write() as t:
            if moved:
                t.delete(old_slot)
                t.save(new_slot, condition=ReminderSlotItem.pk.does_not_exist())
            t.update(item, actions=actions, condition=ReminderItem.generation == generation)
            t.save(
                log.entry(
                    "lectern.reminder.updated", "reminder", reminder_id, changed=",".join(sorted(changes))
                )
            )
    except TransactWriteError as exc:
        if not tx.cancelled_by_condition(exc):
            raise
        if moved and ReminderSlotItem.key(event_id, anchor, offset) in tx.get_many(
            [ReminderSlotItem.key(event_id, anchor, offset)]
        ):
            raise _duplicate(anchor, offset) from exc
        raise _changed() from exc
    return Reminder.of(item)


def delete_reminder(*, owner_id: str, event_id: str, reminder_id: str, meta: RequestMeta, deps: Deps) -> None:
    _, item = _event_and_reminder(owner_id, event_id, reminder_id)
    now = deps.clock.now()
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
    slot = ReminderSlotItem(*ReminderSlotItem.key(event_id, item.anchor, int(item.offset_minutes)))
    with tx.write(on_condition_failed=_not_found()) as t:
        t.delete(item, condition=ReminderItem.pk.exists())
        t.delete(slot)
        t.save(log.entry("lectern.reminder.deleted", "reminder", reminder_id, event_id=event_id))


# ---------------------------------------------------------------- the event moved / was cancelled


def reschedule(event_id: str, deps: Deps) -> str:
    """Bring every reminder of the event in line with its current times and status (idempotent:
    a redelivered or out-of-order bus event changes nothing more). Returns what was done."""
    try:
        event = EventItem.get(*EventItem.key(event_id), consistent_read=True)
    except EventItem.DoesNotExist:
        event = None
    now = deps.clock.now()
    changed = 0
    for item in _event_reminders(event_id):
        changed += reschedule_one(event, item, now)
    return f"rescheduled:{changed}"


def reschedule_one(event: EventItem | None, item: ReminderItem, now: datetime) -> int:
    """One reminder against its event: disarm it (event gone or cancelled), or give it the
    event's current time with `generation + 1`. 1 if written, 0 if nothing to do or a
    concurrent change won (it read newer state)."""
    generation = int(item.generation or 1)
    armed = item.gsi2pk is not None
    actions: list[Any]
    if event is None or event.status == "cancelled":
        if not armed:
            return 0  # already sent, missed or cancelled: its history stays as it is
        actions = [
            ReminderItem.status.set("cancelled"),
            ReminderItem.gsi2pk.remove(),
            ReminderItem.gsi2sk.remove(),
            ReminderItem.updated_at.set(now),
        ]
    else:
        due = due_at(event, item.anchor, int(item.offset_minutes))
        if due == item.due_at:
            return 0
        still_useful = due > now or (item.anchor == "before_start" and event.starts_at > now)
        actions = [
            ReminderItem.due_at.set(due),
            ReminderItem.generation.set(generation + 1),
            ReminderItem.updated_at.set(now),
        ]
        if still_useful:
            pk, sk = ReminderItem.due_index(due, item.reminder_id)
            actions += [
                ReminderItem.status.set("scheduled"),
                ReminderItem.gsi2pk.set(pk),
                ReminderItem.gsi2sk.set(sk),
            ]
        elif armed:
            actions += [
                ReminderItem.status.set("missed"),
                ReminderItem.gsi2pk.remove(),
                ReminderItem.gsi2sk.remove(),
            ]
    try:
        item.update(actions=actions, condition=ReminderItem.generation == generation)
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", "") != "ConditionalCheckFailedException":
            raise
        return 0
    return 1
