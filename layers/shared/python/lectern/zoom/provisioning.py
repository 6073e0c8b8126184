"""Zoom meetings for online events and a Zoom registrant (personal join link) per registration.

Driven by domain events (thin payloads: every step re-reads state) and idempotent under
redelivery: a meeting is created only for a session without one and stored with a condition
that none was stored meanwhile; a registrant only for a session missing from the
registration's `zoom_joins`.

Whose Zoom: the organiser's connection. Without Zoom app credentials `LocalZoom` gives local
ids (`zoom_status = "local"`); with credentials but no usable connection nothing is created and
the event says `zoom_status = "not_connected"` (connecting later provisions it).

Zoom's create call is not idempotent. A meeting is written right after Zoom answers; when the
write loses (another delivery stored one first, or the event was cancelled) or fails, ours is
deleted at Zoom. Only a crash between Zoom's answer and our write can leave an orphan meeting.
Adding the same email to a meeting again returns Zoom's existing registrant, so registrants do
not duplicate.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError

from lectern import audit
from lectern.data import tx
from lectern.data.events import EventItem
from lectern.data.registrations import RegistrationItem
from lectern.data.sessions import EventSessionItem
from lectern.data.zoom import ZoomMeetingItem, ZoomRegistrantItem
from lectern.deps import Deps
from lectern.errors import NotFound
from lectern.events import sessions_view
from lectern.events.sessions_view import SessionView
from lectern.integrations.zoom import (
    Gateway,
    Meeting,
    ZoomError,
    ZoomGone,
    ZoomRejected,
    ZoomUnauthorized,
)
from lectern.zoom.connection import NeedsReconnect, NotConnected, OrganiserZoom

logger = logging.getLogger("lectern.zoom")

ONLINE_FORMATS = ("online", "hybrid")
ZOOM_EVENT_STATUSES = ("published", "live")
KIND = "meeting"  # the gateway also creates webinars; events have no field choosing one yet
REGISTRANT_RETRIES = 3
# Event fields whose change matters to its meeting (or to whether it needs one).
ZOOM_FIELDS = frozenset({"title", "starts_at", "ends_at", "timezone", "format", "description"})
# Failures retrying cannot fix (after one token refresh): recorded, not retried.
PERMANENT = (ZoomRejected, ZoomGone, ZoomUnauthorized)


def meetings_index(event_id: str, session_id: str) -> tuple[str, str]:
    """GSI1 of ZoomMeetingItem: an event's meetings by session (found after a session is gone)."""
    return f"EVENT#{event_id}#ZOOMMTGS", session_id


def split_name(full_name: str) -> tuple[str, str]:
    parts = (full_name or "").strip().split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


def _wants_zoom(event: EventItem) -> bool:
    return event.format in ONLINE_FORMATS and event.status in ZOOM_EVENT_STATUSES


def _open(event: EventItem, gateway: Gateway, now: datetime) -> OrganiserZoom | None:
    zoom = OrganiserZoom(event.owner_id, gateway, now)
    try:
        zoom.ensure()
    except (NotConnected, NeedsReconnect):
        return None
    return zoom


def _system(deps: Deps, now: datetime) -> audit.Auditor:
    return audit.Auditor(actor_id=None, at=now, ids=deps.ids)


# ---------------------------------------------------------------- dispatch


def handle(detail_type: str, data: dict[str, Any], *, gateway: Gateway, deps: Deps) -> str:
    """One domain event (the consumer's pattern in functions/consumers.py lists the kinds).
    Returns what was done (for the log)."""
    if detail_type in ("lectern.event.published", "lectern.session.created"):
        return provision_event(str(data["event_id"]), gateway=gateway, deps=deps)
    if detail_type == "lectern.event.updated":
        fields = data.get("fields")
        if isinstance(fields, list) and not set(fields) & ZOOM_FIELDS:
            return "unchanged"  # e.g. the price or capacity: nothing Zoom knows about
        return sync_event(str(data["event_id"]), None, gateway=gateway, deps=deps)
    if detail_type == "lectern.session.updated":
        return sync_event(str(data["event_id"]), str(data["session_id"]), gateway=gateway, deps=deps)
    if detail_type in ("lectern.session.deleted", "lectern.session.cancelled"):
        return remove_meetings(
            str(data["event_id"]),
            str(data["session_id"]),
            owner_id=str(data.get("owner_id") or ""),
            gateway=gateway,
            deps=deps,
        )
    if detail_type == "lectern.event.cancelled":
        return remove_meetings(
            str(data["event_id"]), None, owner_id=str(data.get("owner_id") or ""), gateway=gateway, deps=deps
        )
    if detail_type in ("lectern.registration.confirmed", "lectern.registration.promoted"):
        return register(str(data["registration_id"]), gateway=gateway, deps=deps)
    if detail_type == "lectern.registration.cancelled":
        return unregister(str(data["registration_id"]), gateway=gateway, deps=deps)
    if detail_type == "lectern.zoom.connected":
        return provision_waiting(str(data["owner_id"]), gateway=gateway, deps=deps)
    return "ignored"


# ---------------------------------------------------------------- meetings


def _mark(event: EventItem, status: str) -> None:
    """The event's zoom_status (UpdateItem), unless it already says so."""
    if event.zoom_status == status:
        return
    try:
        event.update(actions=[EventItem.zoom_status.set(status)], condition=EventItem.pk.exists())
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", "") != "ConditionalCheckFailedException":
            raise
    event.zoom_status = status


def _topic(event: EventItem, view: SessionView) -> str:
    return event.title if view.virtual else f"{event.title} — {view.title}"


def _store_meeting(
    event: EventItem,
    session: EventSessionItem | None,
    view: SessionView,
    meeting: Meeting,
    log: audit.Auditor,
    now: datetime,
) -> None:
    """One TransactWriteItems: the meeting on its session (or single-session event), on
    condition that none is there yet, with its ZoomMeetingItem and an audit entry."""
    item = ZoomMeetingItem(
        *ZoomMeetingItem.key(meeting.meeting_id),
        meeting_id=meeting.meeting_id,
        event_id=event.event_id,
        session_id=view.session_id,
        owner_id=event.owner_id,
        kind=meeting.kind,
        join_url=meeting.join_url,
        local=meeting.local,
        created_at=now,
    )
    item.gsi1pk, item.gsi1sk = meetings_index(event.event_id, view.session_id)
    with tx.write() as t:
        if session is None:
            t.update(
                event,
                actions=[
                    EventItem.zoom_meeting_id.set(meeting.meeting_id),
                    EventItem.zoom_join_url.set(meeting.join_url),
                    EventItem.zoom_status.set("local" if meeting.local else "created"),
                ],
                condition=EventItem.zoom_meeting_id.does_not_exist()
                & EventItem.status.is_in(*ZOOM_EVENT_STATUSES),
            )
        else:
            t.update(
                session,
                actions=[
                    EventSessionItem.zoom_meeting_id.set(meeting.meeting_id),
                    EventSessionItem.zoom_join_url.set(meeting.join_url),
                ],
                condition=EventSessionItem.pk.exists()
                & EventSessionItem.zoom_meeting_id.does_not_exist()
                & (EventSessionItem.status != "cancelled"),
            )
        t.save(item, condition=ZoomMeetingItem.pk.does_not_exist())
        t.save(
            log.entry(
                "lectern.zoom.meeting_created",
                "event",
                event.event_id,
                session_id=view.session_id,
                meeting_id=meeting.meeting_id,
                local=meeting.local,
            )
        )


def _create_meeting(
    zoom: OrganiserZoom,
    event: EventItem,
    session: EventSessionItem | None,
    view: SessionView,
    deps: Deps,
    now: datetime,
) -> bool:
    """Create and store one meeting; False when another delivery stored one first (ours is
    then deleted at Zoom)."""
    duration = max(1, math.ceil(view.duration_seconds / 60))
    meeting = zoom.create_meeting(
        _topic(event, view), view.starts_at, duration, event.timezone, event.description or ""
    )
    try:
        _store_meeting(event, session, view, meeting, _system(deps, now), now)
    except Exception as exc:
        _delete_quietly(zoom, meeting.meeting_id, meeting.local)
        if isinstance(exc, TransactWriteError) and tx.cancelled_by_condition(exc):
            logger.info("meeting stored meanwhile; ours deleted", extra={"session_id": view.session_id})
            return False
        raise
    return True


def _delete_quietly(zoom: OrganiserZoom, meeting_id: str, local: bool) -> None:
    if local:
        return
    try:
        zoom.delete_meeting(meeting_id, kind=KIND)
    except ZoomGone:
        pass
    except ZoomError as exc:
        logger.warning("zoom meeting not deleted", extra={"meeting_id": meeting_id, "error": str(exc)})


def provision_event(event_id: str, *, gateway: Gateway, deps: Deps) -> str:
    """A meeting for every non-cancelled session without one, then registrants for every
    confirmed registration. In-person events and drafts: nothing."""
    now = deps.clock.now()
    try:
        event, items = sessions_view.load(event_id)  # 1 Query
    except NotFound:
        return "no_event"
    if not _wants_zoom(event):
        return "not_online"
    zoom = _open(event, gateway, now)
    if zoom is None:
        _mark(event, "not_connected")
        return "not_connected"
    by_id = {s.session_id: s for s in items}
    created = 0
    try:
        for view in sessions_view.sessions_of(event, items):
            if view.status == "cancelled" or view.zoom_meeting_id:
                continue
            created += _create_meeting(
                zoom, event, None if view.virtual else by_id[view.session_id], view, deps, now
            )
    except PERMANENT as exc:
        logger.warning("zoom refused a meeting", extra={"event_id": event_id, "error": str(exc)})
        _mark(event, "failed")
        return "failed"
    if created:
        event, items = sessions_view.load(event_id)  # the meeting ids as stored (ours or a winner's)
    if event.is_multi_session:
        _mark(event, "local" if zoom.local else "created")
    added = _register_all(event, items, zoom, deps, now)
    return f"meetings:{created} registrants:{added}"


def provision_waiting(owner_id: str, *, gateway: Gateway, deps: Deps) -> str:
    """After the organiser connects Zoom: provision their upcoming events that waited for it
    (Query GSI1 `OWNER#<id>#EVENTS` from now, filtered on zoom_status)."""
    now = deps.clock.now()
    hash_key, _ = EventItem.owner_index(owner_id, "", "")
    waiting = [
        e.event_id
        for e in EventItem.gsi1.query(
            hash_key,
            EventItem.gsi1sk > now.isoformat(),
            filter_condition=(EventItem.zoom_status == "not_connected")
            & EventItem.status.is_in(*ZOOM_EVENT_STATUSES),
        )
        if isinstance(e, EventItem)
    ]
    for event_id in waiting:
        provision_event(event_id, gateway=gateway, deps=deps)
    return f"provisioned:{len(waiting)}"


def sync_event(event_id: str, session_id: str | None, *, gateway: Gateway, deps: Deps) -> str:
    """After an edit: a session (or event) that needs a meeting gets one; one that has a meeting
    gets its topic and window sent to Zoom (PATCH is idempotent); a cancelled one loses it."""
    now = deps.clock.now()
    try:
        event, items = sessions_view.load(event_id)
    except NotFound:
        return "no_event"
    if not _wants_zoom(event):
        return "not_online"
    views = sessions_view.sessions_of(event, items)
    if session_id is not None:
        views = [v for v in views if v.session_id == session_id]
        if not views:
            return "no_session"
    if any(v.status != "cancelled" and not v.zoom_meeting_id for v in views):
        return provision_event(event_id, gateway=gateway, deps=deps)
    with_meeting = [v for v in views if v.zoom_meeting_id and v.status != "cancelled"]
    if not with_meeting or gateway.local:
        return "unchanged"
    zoom = _open(event, gateway, now)
    if zoom is None:
        return "not_connected"
    for view in with_meeting:
        meeting_id = str(view.zoom_meeting_id)
        duration = max(1, math.ceil(view.duration_seconds / 60))
        try:
            zoom.update_meeting(
                meeting_id,
                topic=_topic(event, view),
                start_time=view.starts_at,
                duration_min=duration,
                kind=KIND,
            )
        except PERMANENT as exc:
            logger.warning("zoom meeting not updated", extra={"meeting_id": meeting_id, "error": str(exc)})
    return f"updated:{len(with_meeting)}"


def _meetings_of(event_id: str, session_id: str | None) -> list[ZoomMeetingItem]:
    hash_key, _ = meetings_index(event_id, "")
    condition = ZoomMeetingItem.gsi1sk == session_id if session_id is not None else None
    return [m for m in ZoomMeetingItem.gsi1.query(hash_key, condition) if isinstance(m, ZoomMeetingItem)]


def remove_meetings(
    event_id: str, session_id: str | None, *, owner_id: str, gateway: Gateway, deps: Deps
) -> str:
    """A deleted or cancelled session (or a cancelled event): delete its meetings at Zoom, best
    effort (Query GSI1, then one Zoom call each). Our ZoomMeetingItems stay, so a late webhook
    still finds its session."""
    meetings = [m for m in _meetings_of(event_id, session_id) if not m.local]
    if not meetings:
        return "none"
    owner = owner_id or meetings[0].owner_id
    zoom = OrganiserZoom(owner, gateway, deps.clock.now())
    try:
        zoom.ensure()
    except (NotConnected, NeedsReconnect):
        return "not_connected"
    for m in meetings:
        try:
            zoom.delete_meeting(m.meeting_id, kind=m.kind)
        except ZoomGone:
            pass
        except PERMANENT as exc:
            logger.warning("zoom meeting not deleted", extra={"meeting_id": m.meeting_id, "error": str(exc)})
    return f"deleted:{len(meetings)}"


# ---------------------------------------------------------------- registrants


@dataclass(frozen=True)
class _Target:
    session_id: str
    meeting_id: str
    starts_at: datetime


def _targets(event: EventItem, items: Iterable[EventSessionItem]) -> list[_Target]:
    return [
        _Target(v.session_id, str(v.zoom_meeting_id), v.starts_at)
        for v in sessions_view.sessions_of(event, items)
        if v.zoom_meeting_id and v.status != "cancelled"
    ]


def _joins(reg: RegistrationItem) -> dict[str, Any]:
    value = reg.zoom_joins
    if hasattr(value, "as_dict"):
        value = value.as_dict()
    return dict(value or {})


def _confirmed(event_id: str) -> Iterator[RegistrationItem]:
    hash_key, _ = RegistrationItem.event_index(event_id, "")
    for item in RegistrationItem.gsi1.query(
        hash_key, filter_condition=RegistrationItem.status == "confirmed"
    ):
        if isinstance(item, RegistrationItem):
            yield item


def _register_all(
    event: EventItem, items: list[EventSessionItem], zoom: OrganiserZoom, deps: Deps, now: datetime
) -> int:
    targets = _targets(event, items)
    if not targets:
        return 0
    return sum(_register_one(reg, event, targets, zoom, deps, now) for reg in _confirmed(event.event_id))


def _register_one(
    reg: RegistrationItem,
    event: EventItem,
    targets: list[_Target],
    zoom: OrganiserZoom,
    deps: Deps,
    now: datetime,
) -> int:
    """A Zoom registrant for each session meeting the registration lacks. What Zoom gave is
    stored even when a later call fails (then the failure propagates), so a retry resumes."""
    missing = [t for t in targets if t.session_id not in _joins(reg)]
    if not missing:
        return 0
    first, last = split_name(reg.full_name)
    added: dict[str, dict[str, Any]] = {}
    failure: ZoomError | None = None
    for target in missing:
        try:
            r = zoom.add_registrant(target.meeting_id, reg.email, first, last, kind=KIND)
        except PERMANENT as exc:
            logger.warning(
                "zoom refused a registrant",
                extra={
                    "registration_id": reg.registration_id,
                    "session_id": target.session_id,
                    "error": str(exc),
                },
            )
            continue
        except ZoomError as exc:
            failure = exc
            break
        added[target.session_id] = {
            "registrant_id": r.registrant_id,
            "join_url": r.join_url,
            "meeting_id": target.meeting_id,
            "starts_at": target.starts_at.isoformat(),
        }
    if added:
        _store_joins(reg, event, added, zoom, deps, now)
    if failure is not None:
        raise failure
    return len(added)


def _store_joins(
    reg: RegistrationItem,
    event: EventItem,
    added: dict[str, dict[str, Any]],
    zoom: OrganiserZoom,
    deps: Deps,
    now: datetime,
) -> None:
    """One TransactWriteItems: `zoom_joins` on the registration (conditional on the value read:
    optimistic, since it is one JSON attribute), a ZoomRegistrantItem per new registrant, and
    an audit entry. A lost race re-reads and merges."""
    log = _system(deps, now)
    for _ in range(REGISTRANT_RETRIES):
        old = _joins(reg)
        fresh = {sid: j for sid, j in added.items() if sid not in old}
        if not fresh:
            return
        unchanged = RegistrationItem.zoom_joins == old
        if not old:
            unchanged = unchanged | RegistrationItem.zoom_joins.does_not_exist()
        try:
            with tx.write() as t:
                t.update(
                    reg,
                    actions=[RegistrationItem.zoom_joins.set({**old, **fresh})],
                    condition=unchanged & (RegistrationItem.status == "confirmed"),
                )
                for session_id, join in fresh.items():
                    t.save(
                        ZoomRegistrantItem(
                            *ZoomRegistrantItem.key(join["meeting_id"], join["registrant_id"]),
                            registrant_id=join["registrant_id"],
                            meeting_id=join["meeting_id"],
                            registration_id=reg.registration_id,
                            event_id=event.event_id,
                            session_id=session_id,
                            created_at=now,
                        )
                    )
                t.save(
                    log.entry(
                        "lectern.zoom.registrants_added",
                        "registration",
                        reg.registration_id,
                        sessions=",".join(sorted(fresh)),
                    )
                )
            return
        except TransactWriteError as exc:
            if not tx.cancelled_by_condition(exc):
                raise
        try:
            reg = RegistrationItem.get(*RegistrationItem.key(reg.registration_id), consistent_read=True)
        except RegistrationItem.DoesNotExist:
            return
        if reg.status != "confirmed":  # cancelled meanwhile: withdraw what we just added
            _cancel_registrants(reg, fresh, zoom)
            return
    raise ZoomErrorRetry("zoom_joins kept changing; retry later")


class ZoomErrorRetry(RuntimeError):
    """The registration kept changing under us: let the message be retried."""


def register(registration_id: str, *, gateway: Gateway, deps: Deps) -> str:
    """A confirmed (or promoted) registration: registrants for its event's session meetings.
    GetItem (registration) + Query (event and sessions) + the organiser's connection."""
    now = deps.clock.now()
    try:
        reg = RegistrationItem.get(*RegistrationItem.key(registration_id), consistent_read=True)
    except RegistrationItem.DoesNotExist:
        return "no_registration"
    if reg.status != "confirmed":
        return f"status:{reg.status}"
    try:
        event, items = sessions_view.load(reg.event_id)
    except NotFound:
        return "no_event"
    if not _wants_zoom(event):
        return "not_online"
    targets = _targets(event, items)
    if not targets or all(t.session_id in _joins(reg) for t in targets):
        return "nothing_to_do"  # no meetings yet (publishing adds everyone) or already done
    zoom = _open(event, gateway, now)
    if zoom is None:
        return "not_connected"
    return f"registrants:{_register_one(reg, event, targets, zoom, deps, now)}"


def _cancel_registrants(reg: RegistrationItem, joins: dict[str, Any], zoom: OrganiserZoom) -> int:
    done = 0
    for join in joins.values():
        registrant_id = str(join.get("registrant_id") or "")
        if not registrant_id or registrant_id.startswith("local-") or zoom.local:
            continue
        try:
            zoom.cancel_registrant(str(join["meeting_id"]), registrant_id, reg.email, kind=KIND)
            done += 1
        except (ZoomGone, ZoomRejected):
            pass  # the meeting or registrant is gone already
    return done


def unregister(registration_id: str, *, gateway: Gateway, deps: Deps) -> str:
    """A cancelled registration: its Zoom registrants are cancelled (their join links stop
    working). `zoom_joins` stays as a record. Retryable Zoom errors propagate (cancelling again
    is harmless)."""
    try:
        reg = RegistrationItem.get(*RegistrationItem.key(registration_id), consistent_read=True)
    except RegistrationItem.DoesNotExist:
        return "no_registration"
    joins = _joins(reg)
    if reg.status != "cancelled" or not joins or gateway.local:
        return "nothing_to_do"
    zoom = OrganiserZoom(reg.owner_id, gateway, deps.clock.now())
    try:
        zoom.ensure()
    except (NotConnected, NeedsReconnect):
        return "not_connected"
    return f"cancelled:{_cancel_registrants(reg, joins, zoom)}"
