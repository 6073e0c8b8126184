"""The organiser's events: create, list, read, change, delete, and the status actions
(publish, unpublish, cancel, duplicate).

Every write is one TransactWriteItems carrying the event, its slug claim when the slug is
written or moved, and the audit entry. Edits are conditional on `revision` (optimistic
concurrency); capacity and deletion are conditional on the registration counters, so they hold
against concurrent registrations.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pynamodb.exceptions import TransactWriteError

from lectern import audit
from lectern.certificates import templates as certificate_templates
from lectern.data import tx
from lectern.data.base import TableItem
from lectern.data.events import EventItem, EventSlugItem
from lectern.data.pagination import Page, PageRequest, query_page
from lectern.data.registrations import ACTIVE_STATUSES, RegistrationItem
from lectern.deps import Deps
from lectern.errors import Conflict, NotFound, ValidationFailed
from lectern.events import sessions as event_sessions
from lectern.events import sessions_view, slugs
from lectern.events.access import owned_event
from lectern.events.mails import event_cancelled
from lectern.integrations.bus import DomainEvent
from lectern.request import RequestMeta

logger = logging.getLogger("lectern.events")

MAX_SLUG_ATTEMPTS = 20
CENT = Decimal("0.01")

# API field → stored attribute, where they differ.
_RENAMED = {"price": "price_minor", "certificate_template": "certificate_template_id"}


# ---------------------------------------------------------------- helpers


def utc_key(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def price_of(item: EventItem) -> Decimal:
    return (Decimal(int(item.price_minor or 0)) / 100).quantize(CENT)


def cpd_hours_of(item: EventItem) -> Decimal:
    return Decimal(str(item.cpd_hours or 0)).quantize(CENT, rounding=ROUND_HALF_UP)


def _stored(name: str, value: Any) -> tuple[str, Any]:
    """An API field and value as the stored attribute and value."""
    if name == "price":
        return "price_minor", int((Decimal(value) * 100).to_integral_value(rounding=ROUND_HALF_UP))
    if name == "required_sessions":
        return name, [str(v) for v in value or []]
    if isinstance(value, Decimal):
        return _RENAMED.get(name, name), float(value)
    if isinstance(value, datetime):
        return name, value.astimezone(UTC)
    if name == "certificate_template" and value is not None:
        return "certificate_template_id", str(value)
    return _RENAMED.get(name, name), value


def _check_consistency(item: EventItem) -> None:
    if item.ends_at <= item.starts_at:
        raise ValidationFailed.field("ends_at", "must be after starts_at", code="ends_before_start")
    opens, closes = item.registration_opens_at, item.registration_closes_at
    if opens is not None and closes is not None and closes < opens:
        raise ValidationFailed.field(
            "registration_closes_at", "must not be before registration_opens_at", code="closes_before_opens"
        )


def _transition_error(item: EventItem, wanted: str) -> Conflict:
    return Conflict(
        f"The event is {item.status}; it cannot become {wanted}.",
        code="invalid_status_transition",
        details=[{"current_status": item.status, "wanted_status": wanted}],
    )


def _has_registrations(what: str) -> Conflict:
    return Conflict(
        f"The event has active registrations (confirmed or waitlisted); it cannot be {what}. "
        "Cancel the event instead.",
        code="event_has_registrations",
    )


def _edit_conflict() -> Conflict:
    return Conflict("The event changed meanwhile; reload it and try again.", code="edit_conflict")


def _slug_taken(slug: str) -> Conflict:
    return Conflict(
        f"You already have an event with the slug “{slug}”; choose another.",
        code="slug_taken",
        details=[{"field": "slug", "code": "taken"}],
    )


def _capacity_below(confirmed: int, wanted: int) -> Conflict:
    return Conflict(
        f"The event already has {confirmed} confirmed registrations; the capacity cannot be lowered "
        f"to {wanted}.",
        code="capacity_below_confirmed",
        details=[{"field": "capacity", "confirmed_count": confirmed}],
    )


def _slug_claim(owner_id: str, slug: str, event_id: str) -> EventSlugItem:
    return EventSlugItem(*EventSlugItem.key(owner_id, slug), event_id=event_id)


def _publish(deps: Deps, name: str, item: EventItem, now: datetime, meta: RequestMeta, **extra: Any) -> None:
    deps.bus.publish(
        [
            DomainEvent(
                name,
                {"event_id": item.event_id, "owner_id": item.owner_id, "status": item.status, **extra},
                occurred_at=now,
                correlation_id=meta.correlation_id,
            )
        ]
    )


def _save_new(
    item: EventItem, explicit_slug: str | None, log: audit.Auditor, action: str, **details: Any
) -> None:
    """Write a new event with its slug claim (one transaction per attempt). A generated slug
    that is taken moves on to `-2`, `-3`, …; an explicit one is a 409."""
    base = explicit_slug or slugs.slugify(item.title)
    for attempt in range(1, MAX_SLUG_ATTEMPTS + 2):
        if explicit_slug:
            slug = explicit_slug
        elif attempt <= MAX_SLUG_ATTEMPTS:
            slug = slugs.with_suffix(base, attempt)
        else:  # a very popular title: make it unique with the id
            slug = slugs.with_suffix(base[:60], 1).rstrip("-") + "-" + item.event_id[-12:]
        item.slug = slug
        try:
            with tx.write() as t:
                t.save(
                    _slug_claim(item.owner_id, slug, item.event_id),
                    condition=EventSlugItem.pk.does_not_exist(),
                )
                t.save(item, condition=EventItem.pk.does_not_exist())
                t.save(log.entry(action, "event", item.event_id, **details))
            return
        except TransactWriteError as exc:
            if not tx.cancelled_by_condition(exc):
                raise
            if explicit_slug:
                raise _slug_taken(slug) from exc
    raise Conflict("Could not find a free slug for this event; give one explicitly.", code="slug_taken")


# ---------------------------------------------------------------- create / read / list


def create_event(*, owner_id: str, data: dict[str, Any], meta: RequestMeta, deps: Deps) -> EventItem:
    now = deps.clock.now()
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
    if data.get("certificate_template") is not None:
        certificate_templates.check_reference(owner_id, str(data["certificate_template"]))
    event_id = deps.ids()
    values: dict[str, Any] = {}
    explicit_slug = data.get("slug")
    for name, value in data.items():
        if name == "slug" or value is None:
            continue
        attr, stored = _stored(name, value)
        values[attr] = stored
    item = EventItem(
        *EventItem.key(event_id),
        event_id=event_id,
        owner_id=owner_id,
        slug="",
        status="draft",
        confirmed_count=0,
        waitlisted_count=0,
        revision=0,
        custom_fields=[],
        created_at=now,
        updated_at=now,
        **values,
    )
    _check_consistency(item)
    event_sessions.check_event_change(item, [], values)  # no sessions yet: none can be required
    item.gsi1pk, item.gsi1sk = EventItem.owner_index(owner_id, utc_key(item.starts_at), event_id)
    _save_new(item, explicit_slug, log, "lectern.event.created")
    return item


def get_event(owner_id: str, event_id: str) -> EventItem:
    return owned_event(owner_id, event_id)


def list_events(
    owner_id: str,
    page: PageRequest,
    *,
    status: str | None = None,
    starts_after: datetime | None = None,
    starts_before: datetime | None = None,
) -> Page[EventItem]:
    """One Query of GSI1 per page: the date range is a key condition, the status a filter
    (so a page may hold fewer than `limit` events and still have a next cursor)."""
    lo = utc_key(starts_after) if starts_after else None
    hi = utc_key(starts_before) if starts_before else None
    key = TableItem.gsi1sk
    condition: Any
    if lo and hi:
        condition = key.between(lo, hi)  # keys are "<iso>#<id>": nothing equals `hi` itself
    elif lo:
        condition = key >= lo
    elif hi:
        condition = key < hi
    else:
        condition = None
    kwargs: dict[str, Any] = {"hash_key": f"OWNER#{owner_id}#EVENTS", "range_key_condition": condition}
    if status:
        kwargs["filter_condition"] = EventItem.status == status
    scope = f"events:{owner_id}:{status or ''}:{lo or ''}:{hi or ''}"
    return query_page(functools.partial(EventItem.query, index_name="GSI1"), page, scope, **kwargs)


# ---------------------------------------------------------------- update / delete


def update_event(
    *,
    owner_id: str,
    event_id: str,
    changes: dict[str, Any],
    expected_revision: int | None,
    meta: RequestMeta,
    deps: Deps,
) -> EventItem:
    # Changes the sessions constrain read them with the event (one Query instead of the GetItem).
    session_items = None
    if changes.keys() & event_sessions.EVENT_FIELDS:
        item, session_items = sessions_view.load_owned(owner_id, event_id)
    else:
        item = owned_event(owner_id, event_id)
    revision = int(item.revision or 0)
    if expected_revision is not None and expected_revision != revision:
        raise _edit_conflict()
    if not changes:
        return item
    template = changes.get("certificate_template")
    if template is not None and str(template) != item.certificate_template_id:
        certificate_templates.check_reference(owner_id, str(template))
    now = deps.clock.now()
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
    new_slug = changes.pop("slug", None)
    moving_slug = new_slug is not None and new_slug != item.slug
    old_slug = item.slug
    stored = dict(_stored(k, v) for k, v in changes.items())
    if not stored and not moving_slug:
        return item  # only the current slug was sent: nothing to write
    for attr, value in stored.items():
        setattr(item, attr, value)
    _check_consistency(item)
    if session_items is not None:
        event_sessions.check_event_change(item, session_items, stored)
    new_capacity = stored.get("capacity") if "capacity" in stored else None
    confirmed = int(item.confirmed_count or 0)
    if new_capacity is not None and confirmed > new_capacity:
        raise _capacity_below(confirmed, int(new_capacity))

    actions = []
    for attr, value in stored.items():
        attribute = getattr(EventItem, attr)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    if moving_slug:
        actions.append(EventItem.slug.set(new_slug))
    if "starts_at" in stored:
        item.gsi1sk = EventItem.owner_index(owner_id, utc_key(item.starts_at), event_id)[1]
        actions.append(TableItem.gsi1sk.set(item.gsi1sk))
    actions += [EventItem.updated_at.set(now), EventItem.revision.set(revision + 1)]
    condition = EventItem.revision == revision
    if new_capacity is not None:
        condition &= EventItem.confirmed_count <= int(new_capacity)
    fields = sorted([*stored, *(["slug"] if moving_slug else [])])
    try:
        with tx.write() as t:
            if moving_slug:
                t.delete(_slug_claim(owner_id, old_slug, event_id))
                t.save(_slug_claim(owner_id, new_slug, event_id), condition=EventSlugItem.pk.does_not_exist())
            t.update(item, actions=actions, condition=condition)
            t.save(log.entry("lectern.event.updated", "event", event_id, fields=",".join(fields)))
    except TransactWriteError as exc:
        if not tx.cancelled_by_condition(exc):
            raise
        raise _why_update_failed(
            owner_id, event_id, revision, new_capacity, new_slug if moving_slug else None
        ) from exc
    if moving_slug:
        item.slug = new_slug
    item.updated_at = now
    item.revision = revision + 1
    # Attendance recomputes when the rule or the times changed; Zoom moves the meeting.
    _publish(deps, "lectern.event.updated", item, now, meta, fields=fields)
    return item


def _why_update_failed(
    owner_id: str, event_id: str, revision: int, capacity: int | None, slug: str | None
) -> Exception:
    """A cancelled edit: read the event again to say which condition failed."""
    try:
        current = owned_event(owner_id, event_id)
    except NotFound as exc:
        return exc
    if int(current.revision or 0) != revision:
        return _edit_conflict()
    if capacity is not None and int(current.confirmed_count or 0) > capacity:
        return _capacity_below(int(current.confirmed_count), int(capacity))
    if slug is not None:
        return _slug_taken(slug)
    return _edit_conflict()


def delete_event(*, owner_id: str, event_id: str, meta: RequestMeta, deps: Deps) -> None:
    item = owned_event(owner_id, event_id)
    if int(item.confirmed_count or 0) + int(item.waitlisted_count or 0) > 0:
        raise _has_registrations("deleted")
    now = deps.clock.now()
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
    with tx.write(on_condition_failed=_has_registrations("deleted")) as t:
        t.delete(
            item,
            condition=EventItem.pk.exists()
            & (EventItem.confirmed_count == 0)
            & (EventItem.waitlisted_count == 0),
        )
        t.delete(_slug_claim(owner_id, item.slug, event_id))
        t.save(log.entry("lectern.event.deleted", "event", event_id, slug=item.slug))


# ---------------------------------------------------------------- actions


def _set_status(
    item: EventItem,
    wanted: str,
    allowed_from: tuple[str, ...],
    log: audit.Auditor,
    action: str,
    now: datetime,
    extra: list[Any] | None = None,
    extra_condition: Any = None,
    on_failed: Exception | None = None,
) -> None:
    if item.status not in allowed_from:
        raise _transition_error(item, wanted)
    revision = int(item.revision or 0)
    previous = item.status
    condition = (EventItem.status == previous) & (EventItem.revision == revision)
    if extra_condition is not None:
        condition &= extra_condition
    actions = [
        EventItem.status.set(wanted),
        EventItem.revision.set(revision + 1),
        EventItem.updated_at.set(now),
        *(extra or []),
    ]
    with tx.write(on_condition_failed=on_failed or _edit_conflict()) as t:
        t.update(item, actions=actions, condition=condition)
        t.save(log.entry(action, "event", item.event_id, **{"from": previous, "to": wanted}))
    item.status = wanted
    item.revision = revision + 1
    item.updated_at = now


def publish_event(*, owner_id: str, event_id: str, meta: RequestMeta, deps: Deps) -> EventItem:
    item = owned_event(owner_id, event_id)
    now = deps.clock.now()
    if item.status != "draft":
        raise _transition_error(item, "published")
    if not (item.title or "").strip():
        raise ValidationFailed.field("title", "an event needs a title to be published", code="required")
    if item.starts_at <= now:
        raise ValidationFailed.field(
            "starts_at", "must be in the future to publish the event", code="in_past"
        )
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
    _set_status(
        item,
        "published",
        ("draft",),
        log,
        "lectern.event.published",
        now,
        extra=[EventItem.published_at.set(now)],
    )
    item.published_at = now
    _publish(deps, "lectern.event.published", item, now, meta)
    return item


def unpublish_event(*, owner_id: str, event_id: str, meta: RequestMeta, deps: Deps) -> EventItem:
    item = owned_event(owner_id, event_id)
    if item.status != "published":
        raise _transition_error(item, "draft")
    if int(item.confirmed_count or 0) + int(item.waitlisted_count or 0) > 0:
        raise _has_registrations("unpublished")
    now = deps.clock.now()
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
    _set_status(
        item,
        "draft",
        ("published",),
        log,
        "lectern.event.unpublished",
        now,
        extra_condition=(EventItem.confirmed_count == 0) & (EventItem.waitlisted_count == 0),
        on_failed=Conflict(
            "The event changed meanwhile (or gained registrations); reload it and try again.",
            code="edit_conflict",
        ),
    )
    _publish(deps, "lectern.event.unpublished", item, now, meta)
    return item


def active_registrations(event_id: str) -> Iterator[RegistrationItem]:
    """Every active registration of an event: Query GSI1 `EVENT#<id>#REGS`, all pages."""
    hash_key = RegistrationItem.event_index(event_id, "")[0]
    yield from RegistrationItem.query(
        hash_key,
        index_name="GSI1",
        filter_condition=RegistrationItem.status.is_in(*ACTIVE_STATUSES),
    )


def cancel_event(*, owner_id: str, event_id: str, meta: RequestMeta, deps: Deps) -> EventItem:
    item = owned_event(owner_id, event_id)
    if item.status in ("cancelled", "completed"):
        raise _transition_error(item, "cancelled")
    now = deps.clock.now()
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
    _set_status(
        item,
        "cancelled",
        ("draft", "published", "live"),
        log,
        "lectern.event.cancelled",
        now,
        extra=[EventItem.cancelled_at.set(now)],
    )
    item.cancelled_at = now
    failed = 0
    for reg in active_registrations(event_id):
        try:
            deps.mailer.send(event_cancelled(reg.email, reg.full_name, item))
        except Exception:  # one bad address must not stop the others (the cancel is already done)
            failed += 1
            logger.exception("cancellation mail not sent", extra={"registration_id": reg.registration_id})
    if failed:
        logger.warning("cancellation mails failed", extra={"event_id": event_id, "failed": failed})
    _publish(deps, "lectern.event.cancelled", item, now, meta)
    return item


def duplicate_event(*, owner_id: str, event_id: str, meta: RequestMeta, deps: Deps) -> EventItem:
    source = owned_event(owner_id, event_id)
    now = deps.clock.now()
    log = audit.Auditor(actor_id=owner_id, at=now, ids=deps.ids, ip=meta.ip)
    new_id = deps.ids()
    copied = {
        name: getattr(source, name)
        for name in (
            "title",
            "description",
            "starts_at",
            "ends_at",
            "timezone",
            "format",
            "location",
            "capacity",
            "waitlist_enabled",
            "waitlist_auto_promote",
            "registration_opens_at",
            "registration_closes_at",
            "price_minor",
            "currency",
            "cpd_hours",
            "cpd_category",
            "certificate_template_id",
            "auto_issue_certificates",
            "minimum_attendance_percent",
            "is_multi_session",
            "completion_type",
            "minimum_sessions_required",
            "minimum_attendance_percent_total",
        )
    }
    fields = [{**f, "field_id": deps.ids()} for f in (source.custom_fields or [])]
    item = EventItem(
        *EventItem.key(new_id),
        event_id=new_id,
        owner_id=owner_id,
        slug="",
        status="draft",
        required_sessions=[],  # sessions are not copied, so none can be required
        custom_fields=fields,
        confirmed_count=0,
        waitlisted_count=0,
        revision=0,
        created_at=now,
        updated_at=now,
        **copied,
    )
    item.gsi1pk, item.gsi1sk = EventItem.owner_index(owner_id, utc_key(item.starts_at), new_id)
    _save_new(item, None, log, "lectern.event.duplicated", source_event_id=event_id)
    return item
