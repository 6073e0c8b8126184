"""The sessions of a multi-session event: list, create, read, change, delete and start
(PRODUCT.md §4, spec-review C2). Completing a session is attendance's (lectern.attendance).

Rules:

* Only a multi-session event has session items; a single-session event lists its one *virtual*
  session (id = the event id, lectern.events.sessions_view) which is changed through the event.
  Starting the virtual session takes the event from published to live.
* The event is the envelope: a session lies within the event's starts_at..ends_at, lasts at
  most 24 hours, and an event holds at most 100 sessions.
* A cancelled or completed event refuses every change. A live or completed session keeps its
  window (title, description and CPD hours may change); only a scheduled or cancelled session
  can be deleted (a started one has attendance).
* Adding, deleting or rescheduling a session (and starting one that takes the event live)
  changes the event's `revision`: the event's own rules (`required_sessions`,
  `is_multi_session`, its window — checked by `check_event_change` on event edits) read the
  sessions, so either side's conditional write fails if the other changed in between.

Access patterns (one table, lectern/data/sessions.py):

* list: GetItem Event → Query PK `EVENT#id`, SK begins_with `SESSION#` (1 per page; creation
  order, as session ids are UUIDv7). A single-session event: the GetItem only.
* read: BatchGetItem (Event, Session).
* create: Query PK `EVENT#id` (event + sessions, for the 100 cap) → TransactWriteItems (Put
  Session cond. new; Update Event revision cond. unchanged; audit).
* change: BatchGetItem → TransactWriteItems (Update Session cond. revision; Update Event
  revision when the window moves, else ConditionCheck Event still open; audit).
* delete: BatchGetItem → TransactWriteItems (Delete Session cond. status as read; Update Event
  `required_sessions` without it + revision cond. unchanged; audit).
* start: BatchGetItem → TransactWriteItems (Update Session scheduled → live; Update Event
  published → live, or ConditionCheck it is live; audit).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pynamodb.exceptions import TransactWriteError

from lectern import audit, cursors
from lectern.data import tx
from lectern.data.events import EventItem
from lectern.data.pagination import Page, PageRequest, query_page
from lectern.data.sessions import EventSessionItem
from lectern.deps import Deps
from lectern.errors import Conflict, NotFound, ValidationFailed
from lectern.events import sessions_view
from lectern.events.access import owned_event
from lectern.integrations.bus import DomainEvent
from lectern.request import RequestMeta

SESSION_PREFIX = "SESSION#"
MAX_SESSIONS = 100
MAX_DURATION = timedelta(hours=24)
OPEN_EVENT_STATUSES = ("draft", "published", "live")
STARTABLE_EVENT_STATUSES = ("published", "live")
CENT = Decimal("0.01")
RESOURCE = "event_session"

# Event fields whose change `check_event_change` must see the sessions for.
EVENT_FIELDS = frozenset({"required_sessions", "is_multi_session", "starts_at", "ends_at"})


@dataclass(frozen=True)
class Session:
    session_id: str
    event_id: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    cpd_hours: Decimal | None
    status: str
    required: bool
    virtual: bool
    zoom_meeting_id: str | None
    zoom_join_url: str | None
    started_at: datetime | None
    completed_at: datetime | None
    revision: int
    created_at: datetime
    updated_at: datetime


def _hours(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _of(event: EventItem, item: EventSessionItem) -> Session:
    return Session(
        session_id=item.session_id,
        event_id=item.event_id,
        title=item.title,
        description=item.description or "",
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        cpd_hours=_hours(item.cpd_hours),
        status=item.status,
        required=item.session_id in set(event.required_sessions or []),
        virtual=False,
        zoom_meeting_id=item.zoom_meeting_id,
        zoom_join_url=item.zoom_join_url,
        started_at=item.started_at,
        completed_at=item.completed_at,
        revision=int(item.revision or 0),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _virtual(event: EventItem) -> Session:
    """A single-session event's one session: the event itself (sessions_view decides the status)."""
    view = sessions_view.sessions_of(event)[0]
    return Session(
        session_id=view.session_id,
        event_id=view.event_id,
        title=view.title,
        description=event.description or "",
        starts_at=view.starts_at,
        ends_at=view.ends_at,
        cpd_hours=_hours(view.cpd_hours),
        status=view.status,
        required=view.required,
        virtual=True,
        zoom_meeting_id=view.zoom_meeting_id,
        zoom_join_url=view.zoom_join_url,
        started_at=event.started_at,
        completed_at=event.completed_at,
        revision=int(event.revision or 0),
        created_at=event.created_at,
        updated_at=event.updated_at,
    )


# ---------------------------------------------------------------- errors


def _not_found() -> NotFound:
    return NotFound("The session does not exist.")


def _changed() -> Conflict:
    return Conflict(
        "The session or its event changed meanwhile; reload them and try again.", code="edit_conflict"
    )


def _closed(event: EventItem) -> Conflict:
    return Conflict(
        f"The event is {event.status}; its sessions can no longer change.",
        code="event_closed",
        details=[{"event_status": event.status}],
    )


def _virtual_session() -> Conflict:
    return Conflict(
        "This is a single-session event: its one session is the event itself. Edit the event instead "
        "(or set is_multi_session on the event to give it sessions of its own).",
        code="virtual_session",
    )


def _not_scheduled(status: str) -> Conflict:
    return Conflict(
        f"The session is {status}; only a scheduled session can be started.",
        code="session_not_scheduled",
        details=[{"session_status": status}],
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _require_open(event: EventItem) -> None:
    if event.status not in OPEN_EVENT_STATUSES:
        raise _closed(event)


def _check_window(event: EventItem, starts_at: datetime, ends_at: datetime) -> None:
    """A session lies within its event and lasts more than nothing and at most 24 hours."""
    starts_at, ends_at = _aware(starts_at), _aware(ends_at)
    if ends_at <= starts_at:
        raise ValidationFailed.field("ends_at", "must be after starts_at", code="ends_before_start")
    if ends_at - starts_at > MAX_DURATION:
        raise ValidationFailed.field("ends_at", "a session lasts at most 24 hours", code="too_long")
    if starts_at < _aware(event.starts_at):
        raise ValidationFailed.field(
            "starts_at",
            f"must not be before the event starts ({_aware(event.starts_at).isoformat()})",
            code="outside_event",
        )
    if ends_at > _aware(event.ends_at):
        raise ValidationFailed.field(
            "ends_at",
            f"must not be after the event ends ({_aware(event.ends_at).isoformat()})",
            code="outside_event",
        )


def _publish(
    deps: Deps, name: str, event: EventItem, session_id: str, now: datetime, meta: RequestMeta
) -> None:
    deps.bus.publish(
        [
            DomainEvent(
                name,
                {"event_id": event.event_id, "session_id": session_id, "owner_id": event.owner_id},
                occurred_at=now,
                correlation_id=meta.correlation_id,
            )
        ]
    )


def _bump(event: EventItem, now: datetime, *extra: Any) -> list[Any]:
    return [EventItem.revision.set(int(event.revision or 0) + 1), EventItem.updated_at.set(now), *extra]


def _unchanged(event: EventItem) -> Any:
    return (EventItem.revision == int(event.revision or 0)) & (EventItem.status == event.status)


# ---------------------------------------------------------------- event rules


def check_event_change(event: EventItem, items: Iterable[EventSessionItem], changed: Iterable[str]) -> None:
    """An event edit (already applied to `event`) against the event's sessions; `changed` names
    the API fields sent. Used by lectern.events.service on create and update."""
    changed = set(changed)
    items = list(items)
    if not event.is_multi_session and items:
        raise Conflict(
            f"The event has {len(items)} session(s); delete them before making it a single-session event.",
            code="event_has_sessions",
            details=[{"field": "is_multi_session", "sessions": len(items)}],
        )
    if "required_sessions" in changed:
        wanted = [str(s) for s in event.required_sessions or []]
        usable = {s.session_id for s in items if s.status != "cancelled"}
        if len(set(wanted)) != len(wanted):
            raise ValidationFailed.field("required_sessions", "names a session twice", code="duplicate")
        unknown = [s for s in wanted if s not in usable]
        if unknown:
            raise ValidationFailed.field(
                "required_sessions",
                f"must name sessions of this event that are not cancelled; unknown: {', '.join(unknown)}",
                code="unknown_session",
            )
    if changed & {"starts_at", "ends_at"} and event.is_multi_session:
        lo, hi = _aware(event.starts_at), _aware(event.ends_at)
        for s in items:
            if s.status == "cancelled":
                continue
            if _aware(s.starts_at) < lo:
                raise ValidationFailed.field(
                    "starts_at",
                    f"the session “{s.title}” starts earlier ({_aware(s.starts_at).isoformat()}); "
                    "move or delete it first",
                    code="sessions_outside_event",
                )
            if _aware(s.ends_at) > hi:
                raise ValidationFailed.field(
                    "ends_at",
                    f"the session “{s.title}” ends later ({_aware(s.ends_at).isoformat()}); "
                    "move or delete it first",
                    code="sessions_outside_event",
                )


# ---------------------------------------------------------------- reads


def _event_and_session(
    owner_id: str, event_id: str, session_id: str
) -> tuple[EventItem, EventSessionItem | None]:
    """The owned event and the session item in one BatchGetItem; None for the virtual session."""
    ev_key = EventItem.key(event_id)
    s_key = EventSessionItem.key(event_id, session_id)
    found = tx.get_many([ev_key, s_key])
    event = found.get(ev_key)
    if not isinstance(event, EventItem) or event.owner_id != owner_id:
        raise NotFound("The event does not exist.")
    item = found.get(s_key)
    if isinstance(item, EventSessionItem) and item.owner_id == owner_id:
        return event, item
    if session_id == event_id and not event.is_multi_session:
        return event, None
    raise _not_found()


def get_session(owner_id: str, event_id: str, session_id: str) -> Session:
    event, item = _event_and_session(owner_id, event_id, session_id)
    return _virtual(event) if item is None else _of(event, item)


def list_sessions(owner_id: str, event_id: str, page: PageRequest) -> Page[Session]:
    event = owned_event(owner_id, event_id)
    scope = f"sessions:{event_id}:{owner_id}"
    if not event.is_multi_session:
        cursors.decode(page.cursor, scope)  # a forged cursor is still a 400
        return Page([_virtual(event)], None)
    got = query_page(
        EventSessionItem.query,
        page,
        scope,
        hash_key=EventItem.key(event_id)[0],
        range_key_condition=EventSessionItem.sk.startswith(SESSION_PREFIX),
        consistent_read=True,
    )
    return got.map(lambda i: _of(event, i))


# ---------------------------------------------------------------- writes


def create_session(
    *, owner_id: str, event_id: str, data: dict[str, Any], meta: RequestMeta, deps: Deps
) -> Session:
    event, items = sessions_view.load_owned(owner_id, event_id)
    _require_open(event)
    if not event.is_multi_session:
        raise Conflict(
            "This is a single-session event. Set is_multi_session to true on the event "
            "(PATCH /events/{id}) before adding sessions.",
            code="not_multi_session",
        )
    if len(items) >= MAX_SESSIONS:
        raise Conflict(f"An event has at most {MAX_SESSIONS} sessions.", code="too_many_sessions")
    _check_window(event, data["starts_at"], data["ends_at"])
    now = deps.clock.now()
    session_id = deps.ids()
    cpd = data.get("cpd_hours")
    item = EventSessionItem(
        *EventSessionItem.key(event_id, session_id),
        session_id=session_id,
        event_id=event_id,
        owner_id=owner_id,
        title=data["title"],
        description=data.get("description") or "",
        starts_at=_aware(data["starts_at"]).astimezone(UTC),
        ends_at=_aware(data["ends_at"]).astimezone(UTC),
        cpd_hours=None if cpd is None else float(cpd),
        status="scheduled",
        revision=0,
        created_at=now,
        updated_at=now,
    )
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
    with tx.write(on_condition_failed=_changed()) as t:
        t.save(item, condition=EventSessionItem.pk.does_not_exist())
        t.update(event, actions=_bump(event, now), condition=_unchanged(event))
        t.save(log.entry("lectern.session.created", RESOURCE, session_id, event_id=event_id))
    _publish(deps, "lectern.session.created", event, session_id, now, meta)
    return _of(event, item)


def update_session(
    *,
    owner_id: str,
    event_id: str,
    session_id: str,
    changes: dict[str, Any],
    expected_revision: int | None,
    meta: RequestMeta,
    deps: Deps,
) -> Session:
    """`changes` holds only the fields sent (`cpd_hours` may be None: not set)."""
    event, item = _event_and_session(owner_id, event_id, session_id)
    if item is None:
        raise _virtual_session()
    _require_open(event)
    revision = int(item.revision or 0)
    if expected_revision is not None and expected_revision != revision:
        raise _changed()
    if not changes:
        return _of(event, item)
    starts_at = _aware(changes.get("starts_at", item.starts_at)).astimezone(UTC)
    ends_at = _aware(changes.get("ends_at", item.ends_at)).astimezone(UTC)
    moves = starts_at != _aware(item.starts_at) or ends_at != _aware(item.ends_at)
    if moves:
        if item.status in ("live", "completed"):
            raise Conflict(
                f"The session is {item.status}; its times can no longer change "
                "(its title, description and CPD hours can).",
                code="session_started",
                details=[{"session_status": item.status}],
            )
        _check_window(event, starts_at, ends_at)

    now = deps.clock.now()
    s = EventSessionItem
    values: dict[str, Any] = {
        "title": changes.get("title", item.title),
        "description": changes.get("description", item.description or ""),
        "starts_at": starts_at,
        "ends_at": ends_at,
    }
    actions: list[Any] = [getattr(s, k).set(v) for k, v in values.items()]
    if "cpd_hours" in changes:
        cpd = changes["cpd_hours"]
        values["cpd_hours"] = None if cpd is None else float(cpd)
        actions.append(s.cpd_hours.remove() if cpd is None else s.cpd_hours.set(float(cpd)))
    actions += [s.revision.set(revision + 1), s.updated_at.set(now)]
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
    with tx.write(on_condition_failed=_changed()) as t:
        t.update(item, actions=actions, condition=(s.revision == revision) & (s.status == item.status))
        if moves:  # the window is the event's business too (see the module docstring)
            t.update(event, actions=_bump(event, now), condition=_unchanged(event))
        else:
            t.condition_check(
                EventItem, *EventItem.key(event_id), condition=EventItem.status.is_in(*OPEN_EVENT_STATUSES)
            )
        t.save(
            log.entry(
                "lectern.session.updated",
                RESOURCE,
                session_id,
                event_id=event_id,
                fields=",".join(sorted(changes)),
            )
        )
    for k, v in values.items():
        setattr(item, k, v)
    item.revision, item.updated_at = revision + 1, now
    _publish(deps, "lectern.session.updated", event, session_id, now, meta)
    return _of(event, item)


def delete_session(*, owner_id: str, event_id: str, session_id: str, meta: RequestMeta, deps: Deps) -> None:
    event, item = _event_and_session(owner_id, event_id, session_id)
    if item is None:
        raise _virtual_session()
    _require_open(event)
    if item.status in ("live", "completed"):
        raise Conflict(
            f"The session is {item.status} and has attendance; it cannot be deleted.",
            code="session_has_attendance",
            details=[{"session_status": item.status}],
        )
    now = deps.clock.now()
    required = [s for s in event.required_sessions or [] if s != session_id]
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
    with tx.write(on_condition_failed=_changed()) as t:
        t.delete(item, condition=EventSessionItem.status == item.status)
        t.update(
            event,
            actions=_bump(event, now, EventItem.required_sessions.set(required)),
            condition=_unchanged(event),
        )
        t.save(
            log.entry("lectern.session.deleted", RESOURCE, session_id, event_id=event_id, title=item.title)
        )
    _publish(deps, "lectern.session.deleted", event, session_id, now, meta)


def start_session(*, owner_id: str, event_id: str, session_id: str, meta: RequestMeta, deps: Deps) -> Session:
    """scheduled → live; a published event becomes live with it. The virtual session of a
    single-session event is the event: starting it takes the event from published to live."""
    event, item = _event_and_session(owner_id, event_id, session_id)
    _check_startable(event, item)
    now = deps.clock.now()
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
    event_goes_live = event.status == "published"
    try:
        with tx.write() as t:
            if item is not None:
                s = EventSessionItem
                t.update(
                    item,
                    actions=[
                        s.status.set("live"),
                        s.started_at.set(now),
                        s.revision.set(int(item.revision or 0) + 1),
                        s.updated_at.set(now),
                    ],
                    condition=s.status == "scheduled",
                )
            if event_goes_live:
                t.update(
                    event,
                    actions=_bump(event, now, EventItem.status.set("live"), EventItem.started_at.set(now)),
                    condition=EventItem.status == "published",
                )
                t.save(
                    log.entry(
                        "lectern.event.started", "event", event_id, **{"from": "published", "to": "live"}
                    )
                )
            else:
                t.condition_check(EventItem, *EventItem.key(event_id), condition=EventItem.status == "live")
            t.save(log.entry("lectern.session.started", RESOURCE, session_id, event_id=event_id))
    except TransactWriteError as exc:
        if not tx.cancelled_by_condition(exc):
            raise
        # Someone else moved first: explain from the state as it is now.
        fresh_event, fresh_item = _event_and_session(owner_id, event_id, session_id)
        _check_startable(fresh_event, fresh_item)
        raise _changed() from exc
    if event_goes_live:
        event.status, event.started_at, event.updated_at = "live", now, now
        event.revision = int(event.revision or 0) + 1
    if item is not None:
        item.status, item.started_at, item.updated_at = "live", now, now
        item.revision = int(item.revision or 0) + 1
    _publish(deps, "lectern.session.started", event, session_id, now, meta)
    return _virtual(event) if item is None else _of(event, item)


def _check_startable(event: EventItem, item: EventSessionItem | None) -> None:
    if event.status == "draft":
        raise Conflict("Publish the event before starting its sessions.", code="event_not_published")
    if event.status not in STARTABLE_EVENT_STATUSES:
        raise _closed(event)
    status = _virtual(event).status if item is None else item.status
    if status != "scheduled":
        raise _not_scheduled(status)
