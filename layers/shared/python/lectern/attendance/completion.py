"""Completing a session — by the organiser (`POST .../sessions/<id>/complete`) or by Zoom's
meeting/webinar ended event — and with it, possibly, the event.

* The session becomes `completed` (condition: it was scheduled or live), in one transaction
  with its audit entry; a single-session event's virtual session *is* the event, so the event
  becomes `completed`.
* A multi-session event completes when its last open session completes. Two sessions
  completing at once could each see the other still open, so after writing, the event is
  re-read and, if every session is done, moved to `completed` by a conditional update that only
  one caller can win.
* Every registration's attendance is then recomputed (open segments close at the completion
  time, eligibility becomes final) and `lectern.session.completed` /
  `lectern.event.completed` go on the bus (certificates listen to the latter).

Completing an already-completed session is a no-op for Zoom's redeliveries and a 409 for the
organiser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import TransactWriteError

from lectern import audit
from lectern.attendance.recompute import EventContext, recompute_event
from lectern.data import tx
from lectern.data.events import EventItem
from lectern.data.sessions import EventSessionItem
from lectern.deps import Deps
from lectern.errors import Conflict, NotFound
from lectern.events import sessions_view
from lectern.integrations.bus import DomainEvent
from lectern.request import RequestMeta

OPEN = ("scheduled", "live")
EVENT_RUNNING = ("published", "live")
DONE = ("completed", "cancelled")


@dataclass(frozen=True)
class Completed:
    event: EventItem
    session: sessions_view.SessionView
    event_completed: bool
    recomputed: int


def _not_open(session: sessions_view.SessionView) -> Conflict:
    return Conflict(
        f"The session is {session.status}; only a scheduled or live session can be completed.",
        code="session_not_open",
    )


def _event_not_running(event: EventItem) -> Conflict:
    return Conflict(
        f"The event is {event.status}; sessions complete only while it is published or live.",
        code="event_not_running",
    )


def complete_session(
    *,
    event_id: str,
    session_id: str,
    at: datetime,
    deps: Deps,
    meta: RequestMeta,
    actor_id: str | None,
    owner_id: str | None = None,
    idempotent: bool = False,
) -> Completed:
    """`owner_id` set: the organiser's request (another organiser's event is 404).
    `idempotent`: Zoom's ended event — an already completed session is not an error."""
    event, items = sessions_view.load_owned(owner_id, event_id) if owner_id else sessions_view.load(event_id)
    ctx = EventContext.of(event, items)
    session = ctx.session(session_id)
    if session is None:
        raise NotFound("The session does not exist.")
    if session.status not in OPEN:
        if idempotent and session.status == "completed":
            return Completed(event, session, event.status == "completed", 0)
        raise _not_open(session)
    if event.status not in EVENT_RUNNING:
        raise _event_not_running(event)

    now = deps.clock.now()
    log = audit.Auditor(actor_id, now, deps.ids, meta.ip)
    event_completed = False
    if session.virtual:
        event_completed = _complete_event(event, at, now, log, via="session")
    else:
        item = next(s for s in items if s.session_id == session_id)
        with tx.write(on_condition_failed=_not_open(session)) as t:
            t.update(
                item,
                actions=[
                    EventSessionItem.status.set("completed"),
                    EventSessionItem.completed_at.set(at),
                    EventSessionItem.revision.set(int(item.revision or 0) + 1),
                    EventSessionItem.updated_at.set(now),
                ],
                condition=EventSessionItem.status.is_in(*OPEN),
            )
            t.save(log.entry("lectern.session.completed", "event_session", session_id, event_id=event_id))
        event, items = sessions_view.load(event_id)
        if all(s.status in DONE for s in items) and event.status in EVENT_RUNNING:
            event_completed = _complete_event(event, at, now, log, via="last_session")
        ctx = EventContext.of(event, items)

    if event_completed:
        event, items = sessions_view.load(event_id)
        ctx = EventContext.of(event, items)
    changed = recompute_event(event_id, now, ctx)
    events = [
        DomainEvent(
            "lectern.session.completed",
            {"event_id": event_id, "session_id": session_id, "owner_id": event.owner_id},
            occurred_at=now,
            correlation_id=meta.correlation_id,
        )
    ]
    if event_completed:
        events.append(
            DomainEvent(
                "lectern.event.completed",
                {"event_id": event_id, "owner_id": event.owner_id, "status": "completed"},
                occurred_at=now,
                correlation_id=meta.correlation_id,
            )
        )
    deps.bus.publish(events)
    refreshed = ctx.session(session_id) or session
    return Completed(event, refreshed, event_completed, changed)


def _complete_event(event: EventItem, at: datetime, now: datetime, log: audit.Auditor, via: str) -> bool:
    """published|live → completed; False if someone else already did it."""
    try:
        with tx.write() as t:
            t.update(
                event,
                actions=[
                    EventItem.status.set("completed"),
                    EventItem.completed_at.set(at),
                    EventItem.revision.set(int(event.revision or 0) + 1),
                    EventItem.updated_at.set(now),
                ],
                condition=EventItem.status.is_in(*EVENT_RUNNING),
            )
            t.save(log.entry("lectern.event.completed", "event", event.event_id, via=via))
    except TransactWriteError as exc:
        if tx.cancelled_by_condition(exc):
            return False
        raise
    return True
