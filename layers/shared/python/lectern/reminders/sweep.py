"""The reminder sweep: send every due reminder to each confirmed registrant once.

Run by a scheduled EventBridge rule (every 5 minutes; functions/workers/reminder_sweep.py) and,
in local mode, by a timer thread (local/server.py). Two sweeps may run at once (a slow one and
the next tick, a retried invocation): correctness never depends on there being one.

Per due reminder:

1. BatchGetItem (Event, Reminder; consistent) — the GSI is eventually consistent, so the
   reminder is read again: still armed, same generation, due. A cancelled or deleted event
   disarms it (nothing sent); an event whose times no longer give this `due_at` (the bus
   consumer has not run yet) reschedules it instead of sending.
2. Query `REMINDER#<id>` / `GEN#<g>#` (consistent) — the claims of this generation so far, so a
   sweep resuming a large event skips who is done without a write each.
3. Query GSI1 `EVENT#<id>#REGS` filtered on `confirmed` (1 per page of 1 MB).
4. BatchGetItem of the suppression list (1 per 100 addresses): suppressed addresses are skipped.
5. Per registrant: PutItem `ReminderDelivery` (state `sending`, lease 15 min) with
   `attribute_not_exists(PK) OR (state = sending AND lease_until < now)` — the claim — then
   SES SendRawEmail, then UpdateItem state `sent`. A claim lost to another sweep is skipped. A
   failed send deletes its own claim (conditional on its claim time) so a later sweep retries.
6. When every confirmed registrant has a `sent` claim (or is suppressed), UpdateItem the
   reminder: status `sent`, GSI2 keys removed — conditional on the generation read, so a
   reminder rescheduled meanwhile stays armed for its new time.

Calls: per reminder 1 BatchGetItem + 1 Query + ⌈regs/page⌉ Query + ⌈regs/100⌉ BatchGetItem + 1
UpdateItem; per registrant 1 PutItem + 1 UpdateItem (+ the SES call).

Exactly once, honestly: the claim makes two sweeps never mail the same (reminder, generation,
registrant) while both are alive. The one remaining duplicate window: a sweep that dies after
SES accepted a message but before its UpdateItem `sent` leaves a `sending` claim; after the lease
(15 min, longer than the Lambda timeout, so a live sweep never loses its claim) another sweep
takes it and mails that person again — at most one extra copy per crash, per person caught in
that instant (one, since a sweep sends one mail at a time). The opposite failure (never sent) is
not possible: the reminder stays armed until every claim is `sent`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pynamodb.exceptions import DeleteError, PutError

from lectern.data import tx
from lectern.data.events import EventItem
from lectern.data.registrations import RegistrationItem
from lectern.data.reminders import DUE_PK, ReminderDeliveryItem, ReminderItem, utc_key
from lectern.deps import Deps
from lectern.integrations.suppression import suppressed
from lectern.reminders.mails import reminder_mail
from lectern.reminders.service import due_at, reschedule_one

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)
DELIVERY_TTL = timedelta(days=90)
DEFAULT_BUDGET_SECONDS = 240.0  # of the sweep function's 5-minute timeout


@dataclass
class SweepResult:
    reminders: int = 0  # due reminders looked at
    completed: int = 0  # sent to everyone and disarmed
    sent: int = 0  # mails sent by this sweep
    skipped_suppressed: int = 0
    held_by_others: int = 0  # claims another sweep holds (or won) — left to it
    failed: int = 0  # sends that failed (retried by a later sweep)
    cancelled: int = 0  # disarmed: the event was cancelled or deleted
    rescheduled: int = 0  # the event had moved: re-armed for the new time
    out_of_time: bool = False
    outcomes: list[str] = field(default_factory=list)


def due_reminders(now: datetime) -> list[ReminderItem]:
    """Query GSI2 `REMINDERS#DUE`, SK <= now (every page; a handful of items at a time)."""
    # SK is `<utc>#<id>`; '$' sorts after '#', so `< <now>$` takes every reminder due at <= now.
    return list(ReminderItem.query(DUE_PK, ReminderItem.gsi2sk < f"{utc_key(now)}$", index_name="GSI2"))


def sweep(
    deps: Deps,
    now: datetime | None = None,
    *,
    budget_seconds: float = DEFAULT_BUDGET_SECONDS,
    monotonic: Callable[[], float] = time.monotonic,
) -> SweepResult:
    now = now or deps.clock.now()
    deadline = monotonic() + budget_seconds
    result = SweepResult()
    for due in due_reminders(now):
        if monotonic() > deadline:
            result.out_of_time = True
            break
        result.reminders += 1
        result.outcomes.append(
            send_reminder(due.event_id, due.reminder_id, now, deps, result, deadline, monotonic)
        )
    return result


def send_reminder(
    event_id: str,
    reminder_id: str,
    now: datetime,
    deps: Deps,
    result: SweepResult,
    deadline: float = float("inf"),
    monotonic: Callable[[], float] = time.monotonic,
) -> str:
    ekey, rkey = EventItem.key(event_id), ReminderItem.key(event_id, reminder_id)
    got = tx.get_many([ekey, rkey])
    reminder, event = got.get(rkey), got.get(ekey)
    if not isinstance(reminder, ReminderItem) or reminder.gsi2pk is None or reminder.due_at > now:
        return "not_due"  # deleted, already done by another sweep, or rescheduled later
    if not isinstance(event, EventItem) or event.status == "cancelled":
        result.cancelled += reschedule_one(event if isinstance(event, EventItem) else None, reminder, now)
        return "cancelled"
    if due_at(event, reminder.anchor, int(reminder.offset_minutes)) != reminder.due_at:
        result.rescheduled += reschedule_one(event, reminder, now)
        return "rescheduled"

    generation = int(reminder.generation or 1)
    claims = {
        d.registration_id: d
        for d in ReminderDeliveryItem.query(
            f"REMINDER#{reminder_id}",
            ReminderDeliveryItem.sk.startswith(ReminderDeliveryItem.generation_prefix(generation)),
            consistent_read=True,
        )
    }
    registrants = list(
        RegistrationItem.query(
            RegistrationItem.event_index(event_id, "")[0],
            index_name="GSI1",
            filter_condition=RegistrationItem.status == "confirmed",
        )
    )
    todo = [r for r in registrants if getattr(claims.get(r.registration_id), "state", None) != "sent"]
    blocked = suppressed(r.email for r in todo)
    complete = True
    for reg in todo:
        held = claims.get(reg.registration_id)
        if held is not None and held.lease_until > now:
            result.held_by_others += 1  # another sweep is sending it right now
            complete = False
            continue
        if reg.email.strip().casefold() in blocked:
            result.skipped_suppressed += 1
            continue
        if monotonic() > deadline:
            result.out_of_time = True
            complete = False
            break
        claim = _claim(reminder, generation, reg, now)
        if claim is None:
            result.held_by_others += 1
            complete = False
            continue
        try:
            deps.mailer.send(reminder_mail(reminder, event, reg))
        except Exception:
            logger.exception("reminder not sent", extra={"reminder_id": reminder_id})
            _release(claim)
            result.failed += 1
            complete = False
            continue
        claim.update(actions=[ReminderDeliveryItem.state.set("sent"), ReminderDeliveryItem.sent_at.set(now)])
        result.sent += 1
    if not complete:
        return "partial"
    done = sum(1 for r in registrants if r.email.strip().casefold() not in blocked)
    try:
        reminder.update(
            actions=[
                ReminderItem.status.set("sent"),
                ReminderItem.sent_at.set(now),
                ReminderItem.sent_count.set(done),
                ReminderItem.updated_at.set(now),
                ReminderItem.gsi2pk.remove(),
                ReminderItem.gsi2sk.remove(),
            ],
            condition=(ReminderItem.generation == generation) & ReminderItem.gsi2pk.exists(),
        )
    except Exception as exc:
        if getattr(exc, "cause_response_code", "") != "ConditionalCheckFailedException":
            raise
        return "superseded"  # rescheduled meanwhile (stays armed) or finished by another sweep
    result.completed += 1
    return "sent"


def _claim(
    reminder: ReminderItem, generation: int, reg: RegistrationItem, now: datetime
) -> ReminderDeliveryItem | None:
    """Claim one (reminder, generation, registrant) for this sweep, or None if another has it."""
    item = ReminderDeliveryItem(
        *ReminderDeliveryItem.key(reminder.reminder_id, generation, reg.registration_id),
        reminder_id=reminder.reminder_id,
        generation=generation,
        registration_id=reg.registration_id,
        email=reg.email,
        state="sending",
        claimed_at=now,
        lease_until=now + LEASE,
        ttl=now + DELIVERY_TTL,
    )
    D = ReminderDeliveryItem
    expired = (D.state == "sending") & (D.lease_until < now)
    try:
        item.save(condition=D.pk.does_not_exist() | expired)
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return None
    return item


def _release(claim: ReminderDeliveryItem) -> None:
    """Give a claim back after a failed send (only if it is still ours)."""
    try:
        claim.delete(
            condition=(ReminderDeliveryItem.state == "sending")
            & (ReminderDeliveryItem.claimed_at == claim.claimed_at)
        )
    except DeleteError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
