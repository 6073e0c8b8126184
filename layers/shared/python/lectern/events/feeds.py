"""Personal calendar feeds: a secret URL per user listing every event they are registered for.

* `CalendarFeedItem` (`CALFEED#<sha256(token)>` / `FEED`) resolves a token to its user; only
  the hash is in its key.
* `CalendarFeedPointerItem` (`USER#<user_id>` / `CALFEED`) holds the user's current token, so
  the URL can be shown again and rotation knows which feed item to delete.
"""

from __future__ import annotations

from datetime import datetime

from lectern import audit
from lectern.config import get_settings
from lectern.data import tx
from lectern.data.events import CalendarFeedItem, CalendarFeedPointerItem, EventItem
from lectern.data.registrations import ACTIVE_STATUSES, RegistrationItem
from lectern.deps import Deps
from lectern.errors import Conflict, NotFound
from lectern.events.access import PUBLIC_STATUSES
from lectern.events.ics import event_calendar
from lectern.ids import new_secret_token, token_hash
from lectern.request import RequestMeta

TOKEN_BYTES = 32


def feed_url(token: str) -> str:
    from urllib.parse import urlsplit

    base = urlsplit(get_settings().app_base_url)
    return f"{base.scheme}://{base.netloc}/api/v1/public/calendar/{token}.ics"


def _pointer(user_id: str) -> CalendarFeedPointerItem | None:
    try:
        return CalendarFeedPointerItem.get(*CalendarFeedPointerItem.key(user_id), consistent_read=True)
    except CalendarFeedPointerItem.DoesNotExist:
        return None


def _feed_item(token: str, user_id: str) -> CalendarFeedItem:
    return CalendarFeedItem(*CalendarFeedItem.key(token_hash(token)), user_id=user_id)


def get_or_create_feed(*, user_id: str, meta: RequestMeta, deps: Deps) -> tuple[str, datetime]:
    """The user's feed (token, created_at), created on first use."""
    current = _pointer(user_id)
    if current is not None:
        return current.token, current.created_at
    now = deps.clock.now()
    log = audit.Auditor(actor_id=user_id, at=now, ids=deps.ids, ip=meta.ip)
    token = new_secret_token(TOKEN_BYTES)
    pointer = CalendarFeedPointerItem(
        *CalendarFeedPointerItem.key(user_id), user_id=user_id, token=token, created_at=now
    )
    try:
        with tx.write(on_condition_failed=Conflict("retry")) as t:
            t.save(pointer, condition=CalendarFeedPointerItem.pk.does_not_exist())
            t.save(_feed_item(token, user_id), condition=CalendarFeedItem.pk.does_not_exist())
            t.save(log.entry("lectern.calendar_feed.created", "user", user_id))
    except Conflict:
        # Another request created it first: show that one.
        raced = _pointer(user_id)
        if raced is None:
            raise
        return raced.token, raced.created_at
    return token, now


def rotate_feed(*, user_id: str, meta: RequestMeta, deps: Deps) -> tuple[str, datetime]:
    """A new token; the old URL stops working in the same transaction."""
    current = _pointer(user_id)
    if current is None:
        return get_or_create_feed(user_id=user_id, meta=meta, deps=deps)
    now = deps.clock.now()
    log = audit.Auditor(actor_id=user_id, at=now, ids=deps.ids, ip=meta.ip)
    token = new_secret_token(TOKEN_BYTES)
    conflict = Conflict("The feed was rotated meanwhile; try again.", code="edit_conflict")
    with tx.write(on_condition_failed=conflict) as t:
        t.delete(_feed_item(current.token, user_id))
        t.save(_feed_item(token, user_id), condition=CalendarFeedItem.pk.does_not_exist())
        t.update(
            current,
            actions=[CalendarFeedPointerItem.token.set(token), CalendarFeedPointerItem.created_at.set(now)],
            condition=CalendarFeedPointerItem.token == current.token,
        )
        t.save(log.entry("lectern.calendar_feed.rotated", "user", user_id))
    return token, now


def _user_of(token: str) -> str:
    try:
        return CalendarFeedItem.get(*CalendarFeedItem.key(token_hash(token)), consistent_read=True).user_id
    except CalendarFeedItem.DoesNotExist as exc:
        raise NotFound("The calendar feed does not exist.") from exc


def feed_events(user_id: str) -> list[EventItem]:
    """Events of the user's active registrations: Query GSI2 `USER#<id>#REGS` (all pages), then
    BatchGetItem the events (100 keys per call)."""
    regs = RegistrationItem.query(
        f"USER#{user_id}#REGS",
        index_name="GSI2",
        filter_condition=RegistrationItem.status.is_in(*ACTIVE_STATUSES),
    )
    event_ids = sorted({r.event_id for r in regs})
    if not event_ids:
        return []
    events = EventItem.batch_get([EventItem.key(e) for e in event_ids])
    return [e for e in events if isinstance(e, EventItem) and e.status in PUBLIC_STATUSES]


def feed_calendar(token: str) -> bytes:
    return event_calendar(feed_events(_user_of(token)), name="Lectern — my events")
