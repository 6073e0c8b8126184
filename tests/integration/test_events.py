"""The organiser's events: create (slugs), list (filters, pages), read, change (revision,
capacity, slug moves), delete, and the actions publish / unpublish / cancel / duplicate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lectern.data.audit import AuditItem
from lectern.data.events import EventItem, EventSlugItem
from lectern.data.registrations import RegistrationItem
from lectern.deps import default_deps
from lectern.ids import new_id
from lectern.integrations.bus import MemoryPublisher

from tests.support.aws import sent_emails
from tests.support.builders import verified_account
from tests.support.events import make_event, user_id_of

START = "2030-03-01T10:00:00+00:00"
END = "2030-03-01T12:00:00+00:00"


@pytest.fixture
def me(api):
    return verified_account(api)


@pytest.fixture
def bus():
    publisher = MemoryPublisher()
    default_deps().bus = publisher
    return publisher


def _create(api, me, **kw):
    body = {"title": "Ethics in practice", "starts_at": START, "ends_at": END, **kw}
    return api.post("/events/", body, token=me.token)


def _stored(event_id: str) -> EventItem:
    return EventItem.get(*EventItem.key(event_id), consistent_read=True)


def _slug_owner(owner_id: str, slug: str) -> str | None:
    try:
        return EventSlugItem.get(*EventSlugItem.key(owner_id, slug), consistent_read=True).event_id
    except EventSlugItem.DoesNotExist:
        return None


def _audit_actions(event_id: str) -> list[str]:
    return sorted(i.action for i in AuditItem.query(f"AUDIT#event#{event_id}"))


def _register(
    event: EventItem, email: str, status: str = "confirmed", user_id: str | None = None
) -> RegistrationItem:
    """A registration stored directly (the registration routes are another area's), counters kept."""
    rid = new_id()
    now = datetime.now(UTC)
    reg = RegistrationItem(
        *RegistrationItem.key(rid),
        registration_id=rid,
        event_id=event.event_id,
        owner_id=event.owner_id,
        user_id=user_id,
        email=email,
        full_name="Ada Attendee",
        status=status,
        created_at=now,
        updated_at=now,
    )
    reg.gsi1pk, reg.gsi1sk = RegistrationItem.event_index(event.event_id, rid)
    reg.gsi2pk, reg.gsi2sk = RegistrationItem.person_index(user_id, email, rid)
    reg.save()
    if status == "confirmed":
        event.update(actions=[EventItem.confirmed_count.add(1)])
    elif status == "waitlisted":
        event.update(actions=[EventItem.waitlisted_count.add(1)])
    return reg


# ---------------------------------------------------------------- create


def test_given_a_full_body_when_creating_then_201_with_every_field_and_a_draft_is_stored(api, me):
    template = api.post("/certificate-templates/", {"name": "Ours"}, token=me.token).json["uuid"]
    r = _create(
        api,
        me,
        description="How to decide well",
        timezone="Europe/London",
        format="hybrid",
        location="Room 4, Leeds",
        capacity=30,
        waitlist_enabled=True,
        registration_opens_at="2030-01-01T09:00:00+01:00",
        registration_closes_at="2030-02-28T18:00:00+00:00",
        price=12.5,
        currency="EUR",
        cpd_hours=1.75,
        cpd_category="Ethics",
        certificate_template=template,
        auto_issue_certificates=False,
        minimum_attendance_percent=75,
        is_multi_session=True,
        completion_type="percentage",
        minimum_attendance_percent_total=60,
    )
    assert r.status == 201, r.json
    body = r.json
    assert body["status"] == "draft" and body["slug"] == "ethics-in-practice"
    assert body["price"] == 12.5 and body["currency"] == "EUR" and body["cpd_hours"] == 1.75
    assert body["waitlist_auto_promote"] is True  # default (M3)
    assert body["confirmed_count"] == 0 and body["waitlisted_count"] == 0 and body["published_at"] is None
    assert body["registration_opens_at"] == "2030-01-01T08:00:00Z"
    assert body["required_sessions"] == []  # a new event has no sessions to require (test_sessions.py)
    assert body["certificate_template"] == template
    assert set(body) >= {"uuid", "created_at", "updated_at", "revision", "custom_fields"}
    item = _stored(body["uuid"])
    assert item.owner_id == user_id_of(me.token) and item.price_minor == 1250 and item.status == "draft"
    assert item.gsi1pk == f"OWNER#{item.owner_id}#EVENTS"
    assert item.gsi1sk == f"2030-03-01T10:00:00+00:00#{item.event_id}"
    assert _slug_owner(item.owner_id, "ethics-in-practice") == item.event_id
    assert _audit_actions(item.event_id) == ["lectern.event.created"]


def test_given_an_accented_title_when_creating_then_the_slug_is_transliterated(api, me):
    r = _create(api, me, title="Éthique & déontologie — 2030")
    assert r.json["slug"] == "ethique-and-deontologie-2030"


def test_given_a_taken_generated_slug_when_creating_then_a_suffix_is_added(api, me):
    slugs = [_create(api, me).json["slug"] for _ in range(3)]
    assert slugs == ["ethics-in-practice", "ethics-in-practice-2", "ethics-in-practice-3"]


def test_given_another_owner_uses_the_slug_when_creating_then_it_is_still_free_for_me(api, me):
    other = verified_account(api)
    assert _create(api, other).json["slug"] == "ethics-in-practice"
    assert _create(api, me).json["slug"] == "ethics-in-practice"


def test_given_a_taken_explicit_slug_when_creating_then_409_slug_taken_and_nothing_stored(api, me):
    assert _create(api, me, slug="ethics").status == 201
    r = _create(api, me, slug="ethics", title="Another")
    assert r.status == 409 and r.error_code == "slug_taken"
    titles = [i["title"] for i in api.get("/events/", token=me.token).json["items"]]
    assert titles == ["Ethics in practice"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"ends_at": "2030-03-01T09:00:00+00:00"}, "ends_at"),
        ({"ends_at": START}, "ends_at"),
        ({"starts_at": "2030-03-01T10:00:00"}, "starts_at"),  # naive: no offset
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"format": "webinar"}, "format"),
        ({"capacity": 0}, "capacity"),
        ({"price": -1}, "price"),
        ({"price": 1.234}, "price"),
        ({"currency": "eur"}, "currency"),
        ({"currency": "ABC"}, "currency"),
        ({"cpd_hours": 1000.5}, "cpd_hours"),
        ({"cpd_hours": 1.005}, "cpd_hours"),
        ({"minimum_attendance_percent": 101}, "minimum_attendance_percent"),
        ({"completion_type": "most"}, "completion_type"),
        ({"required_sessions": ["nope"]}, "required_sessions.0"),
        ({"certificate_template": "nope"}, "certificate_template"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"slug": "x" * 81}, "slug"),
        ({"title": "  "}, "title"),
        ({"status": "published"}, "status"),
        (
            {
                "registration_opens_at": "2030-02-01T00:00:00+00:00",
                "registration_closes_at": "2030-01-01T00:00:00+00:00",
            },
            "registration_closes_at",
        ),
    ],
)
def test_given_bad_fields_when_creating_then_422_naming_the_field_and_nothing_stored(api, me, extra, field):
    r = _create(api, me, **extra)
    assert r.status == 422, r.json
    assert field in {d["field"] for d in r.json["error"]["details"]}, r.json
    assert api.get("/events/", token=me.token).json["items"] == []


# ---------------------------------------------------------------- read / list


def test_given_my_event_when_reading_then_200_and_another_organiser_gets_404(api, me):
    eid = _create(api, me).json["uuid"]
    assert api.get(f"/events/{eid}/", token=me.token).json["uuid"] == eid
    other = verified_account(api)
    assert api.get(f"/events/{eid}/", token=other.token).status == 404


def test_given_events_when_listing_then_only_mine_ordered_by_start_with_light_items(api, me):
    late = _create(
        api, me, title="Late", starts_at="2030-05-01T10:00:00+00:00", ends_at="2030-05-01T11:00:00+00:00"
    )
    early = _create(
        api, me, title="Early", starts_at="2030-04-01T10:00:00+02:00", ends_at="2030-04-01T11:00:00+02:00"
    )
    _create(api, verified_account(api), title="Not mine")
    items = api.get("/events/", token=me.token).json["items"]
    assert [i["title"] for i in items] == ["Early", "Late"]
    assert "description" not in items[0] and "custom_fields" not in items[0]  # lighter list schema (L1)
    assert items[0]["uuid"] == early.json["uuid"] and items[1]["uuid"] == late.json["uuid"]


def test_given_filters_when_listing_then_status_and_date_range_apply(api, me):
    for month in (1, 2, 3, 4):
        _create(
            api,
            me,
            title=f"M{month}",
            starts_at=f"2030-0{month}-10T10:00:00+00:00",
            ends_at=f"2030-0{month}-10T11:00:00+00:00",
        )
    m2 = next(i for i in api.get("/events/", token=me.token).json["items"] if i["title"] == "M2")
    assert api.post(f"/events/{m2['uuid']}/publish/", token=me.token).status == 200

    def titles(**query):
        r = api.get("/events/", token=me.token, query=query)
        assert r.status == 200, r.json
        return [i["title"] for i in r.json["items"]]

    assert titles(starts_after="2030-02-10T10:00:00+00:00") == ["M2", "M3", "M4"]
    assert titles(starts_before="2030-03-10T10:00:00+00:00") == ["M1", "M2"]
    assert titles(starts_after="2030-02-01T00:00:00+01:00", starts_before="2030-04-01T00:00:00Z") == [
        "M2",
        "M3",
    ]
    assert titles(status="published") == ["M2"]
    assert titles(status="draft", starts_after="2030-02-01T00:00:00Z") == ["M3", "M4"]


@pytest.mark.parametrize(
    "query",
    [{"status": "open"}, {"starts_after": "2030-01-01T00:00:00"}, {"starts_before": "soon"}, {"limit": "0"}],
)
def test_given_bad_filters_when_listing_then_422(api, me, query):
    r = api.get("/events/", token=me.token, query=query)
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == next(iter(query))


def test_given_many_events_when_paging_then_every_event_once_and_cursors_are_bound_to_filters(api, me):
    ids = {_create(api, me, title=f"E{i}").json["uuid"] for i in range(5)}
    seen, cursor = [], None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = api.get("/events/", token=me.token, query=query).json
        seen += [i["uuid"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids)
    first = api.get("/events/", token=me.token, query={"limit": "2"}).json
    r = api.get(
        "/events/", token=me.token, query={"limit": "2", "status": "draft", "cursor": first["next_cursor"]}
    )
    assert r.status == 400 and r.error_code == "invalid_cursor"


# ---------------------------------------------------------------- update


def test_given_changes_when_patching_then_only_they_change_and_revision_increases(api, me):
    created = _create(api, me, capacity=10).json
    r = api.patch(
        f"/events/{created['uuid']}/", {"title": "New title", "capacity": None, "price": 5}, token=me.token
    )
    assert r.status == 200, r.json
    assert r.json["title"] == "New title" and r.json["capacity"] is None and r.json["price"] == 5
    assert r.json["slug"] == created["slug"]  # the slug does not follow the title
    assert r.json["revision"] == created["revision"] + 1
    item = _stored(created["uuid"])
    assert item.title == "New title" and item.capacity is None and item.price_minor == 500
    assert "lectern.event.updated" in _audit_actions(created["uuid"])


def test_given_a_new_start_when_patching_then_the_listing_key_moves(api, me):
    eid = _create(api, me).json["uuid"]
    api.patch(
        f"/events/{eid}/",
        {"starts_at": "2030-02-01T10:00:00+00:00", "ends_at": "2030-02-01T11:00:00+00:00"},
        token=me.token,
    )
    assert _stored(eid).gsi1sk.startswith("2030-02-01T10:00:00+00:00#")
    assert [
        i["uuid"]
        for i in api.get("/events/", token=me.token, query={"starts_before": "2030-02-02T00:00:00Z"}).json[
            "items"
        ]
    ] == [eid]


def test_given_ends_before_the_stored_start_when_patching_then_422(api, me):
    eid = _create(api, me).json["uuid"]
    r = api.patch(f"/events/{eid}/", {"ends_at": "2030-03-01T09:00:00+00:00"}, token=me.token)
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == "ends_at"
    assert _stored(eid).ends_at == datetime(2030, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "body", [{"title": None}, {"starts_at": None}, {"status": "live"}, {"confirmed_count": 3}]
)
def test_given_null_for_a_required_field_or_a_read_only_field_when_patching_then_422(api, me, body):
    eid = _create(api, me).json["uuid"]
    r = api.patch(f"/events/{eid}/", body, token=me.token)
    assert r.status == 422 and next(iter(body)) in {d["field"] for d in r.json["error"]["details"]}


def test_given_a_stale_revision_when_patching_then_409_edit_conflict(api, me):
    created = _create(api, me).json
    assert (
        api.patch(f"/events/{created['uuid']}/", {"title": "A", "revision": 0}, token=me.token).status == 200
    )
    r = api.patch(f"/events/{created['uuid']}/", {"title": "B", "revision": 0}, token=me.token)
    assert r.status == 409 and r.error_code == "edit_conflict"
    assert _stored(created["uuid"]).title == "A"


def test_given_a_concurrent_edit_between_read_and_write_then_409_edit_conflict(api, me, monkeypatch):
    from lectern.events import service

    eid = _create(api, me).json["uuid"]
    real = service.owned_event

    def read_then_someone_edits(owner_id, event_id):
        item = real(owner_id, event_id)
        _stored(event_id).update(actions=[EventItem.revision.add(1)])
        return item

    monkeypatch.setattr(service, "owned_event", read_then_someone_edits)
    r = api.patch(f"/events/{eid}/", {"title": "Lost"}, token=me.token)
    assert r.status == 409 and r.error_code == "edit_conflict"
    assert _stored(eid).title == "Ethics in practice"


def test_given_confirmed_registrations_when_lowering_capacity_below_them_then_409(api, me):
    event = make_event(me.token, capacity=5)
    for n in range(3):
        _register(event, f"a{n}@example.com")
    r = api.patch(f"/events/{event.event_id}/", {"capacity": 2}, token=me.token)
    assert r.status == 409 and r.error_code == "capacity_below_confirmed"
    assert "3 confirmed" in r.json["error"]["message"]
    assert _stored(event.event_id).capacity == 5
    assert api.patch(f"/events/{event.event_id}/", {"capacity": 3}, token=me.token).status == 200


def test_given_a_registration_lands_between_read_and_write_then_the_capacity_condition_holds(
    api, me, monkeypatch
):
    from lectern.events import service

    event = make_event(me.token, capacity=5)
    _register(event, "a@example.com")
    real = service.owned_event

    def read_then_someone_registers(owner_id, event_id):
        item = real(owner_id, event_id)
        _stored(event_id).update(actions=[EventItem.confirmed_count.add(1)])
        return item

    monkeypatch.setattr(service, "owned_event", read_then_someone_registers)
    r = api.patch(f"/events/{event.event_id}/", {"capacity": 1}, token=me.token)
    assert r.status == 409 and r.error_code == "capacity_below_confirmed"
    assert _stored(event.event_id).capacity == 5


def test_given_a_new_slug_when_patching_then_the_claim_moves(api, me):
    created = _create(api, me).json
    owner = user_id_of(me.token)
    r = api.patch(f"/events/{created['uuid']}/", {"slug": "ethics-2030"}, token=me.token)
    assert r.status == 200 and r.json["slug"] == "ethics-2030"
    assert _slug_owner(owner, "ethics-2030") == created["uuid"]
    assert _slug_owner(owner, "ethics-in-practice") is None
    # The old slug is free again.
    assert _create(api, me).json["slug"] == "ethics-in-practice"


def test_given_a_slug_of_another_of_my_events_when_patching_then_409_slug_taken(api, me):
    first = _create(api, me).json
    second = _create(api, me, title="Other").json
    r = api.patch(f"/events/{second['uuid']}/", {"slug": first["slug"]}, token=me.token)
    assert r.status == 409 and r.error_code == "slug_taken"
    assert _stored(second["uuid"]).slug == "other"
    assert _slug_owner(user_id_of(me.token), "other") == second["uuid"]


def test_given_another_organisers_event_when_patching_then_404_and_unchanged(api, me):
    eid = _create(api, me).json["uuid"]
    r = api.patch(f"/events/{eid}/", {"title": "Hijacked"}, token=verified_account(api).token)
    assert r.status == 404 and _stored(eid).title == "Ethics in practice"


# ---------------------------------------------------------------- delete


def test_given_an_event_without_registrations_when_deleting_then_it_and_its_slug_go(api, me):
    eid = _create(api, me).json["uuid"]
    assert api.delete(f"/events/{eid}/", token=me.token).status == 204
    assert api.get(f"/events/{eid}/", token=me.token).status == 404
    assert _slug_owner(user_id_of(me.token), "ethics-in-practice") is None
    assert "lectern.event.deleted" in _audit_actions(eid)


@pytest.mark.parametrize("status", ["confirmed", "waitlisted"])
def test_given_active_registrations_when_deleting_then_409_and_kept(api, me, status):
    event = make_event(me.token)
    _register(event, "a@example.com", status=status)
    r = api.delete(f"/events/{event.event_id}/", token=me.token)
    assert r.status == 409 and r.error_code == "event_has_registrations"
    assert _stored(event.event_id)


# ---------------------------------------------------------------- actions


def test_given_a_draft_in_the_future_when_publishing_then_published_with_a_domain_event(api, me, bus):
    eid = _create(api, me).json["uuid"]
    r = api.post(f"/events/{eid}/publish/", token=me.token)
    assert r.status == 200 and r.json["status"] == "published" and r.json["published_at"]
    assert _stored(eid).status == "published"
    assert [e.detail_type for e in bus.events] == ["lectern.event.published"]
    assert bus.events[0].data["event_id"] == eid
    assert "lectern.event.published" in _audit_actions(eid)


def test_given_a_draft_in_the_past_when_publishing_then_422_naming_starts_at(api, me, bus):
    event = make_event(me.token, status="draft", starts_at=datetime.now(UTC) - timedelta(hours=1))
    r = api.post(f"/events/{event.event_id}/publish/", token=me.token)
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == "starts_at"
    assert _stored(event.event_id).status == "draft" and bus.events == []


@pytest.mark.parametrize(
    ("status", "action", "wanted"),
    [
        ("published", "publish", "published"),
        ("cancelled", "publish", "published"),
        ("draft", "unpublish", "draft"),
        ("cancelled", "unpublish", "draft"),
        ("cancelled", "cancel", "cancelled"),
        ("completed", "cancel", "cancelled"),
    ],
)
def test_given_an_invalid_transition_then_409_naming_both_statuses(api, me, status, action, wanted):
    event = make_event(me.token, status=status)
    r = api.post(f"/events/{event.event_id}/{action}/", token=me.token)
    assert r.status == 409 and r.error_code == "invalid_status_transition"
    assert r.json["error"]["details"] == [{"current_status": status, "wanted_status": wanted}]
    assert _stored(event.event_id).status == status


def test_given_a_published_event_without_registrations_when_unpublishing_then_draft(api, me):
    event = make_event(me.token)
    r = api.post(f"/events/{event.event_id}/unpublish/", token=me.token)
    assert r.status == 200 and r.json["status"] == "draft"
    assert "lectern.event.unpublished" in _audit_actions(event.event_id)


def test_given_registrations_when_unpublishing_then_409(api, me):
    event = make_event(me.token)
    _register(event, "a@example.com")
    r = api.post(f"/events/{event.event_id}/unpublish/", token=me.token)
    assert r.status == 409 and r.error_code == "event_has_registrations"
    assert _stored(event.event_id).status == "published"


def test_given_registrants_when_cancelling_then_every_active_one_is_mailed(api, me, bus):
    event = make_event(me.token, title="Risk workshop")
    for status, email in [
        ("confirmed", "c@example.com"),
        ("waitlisted", "w@example.com"),
        ("pending_payment", "p@example.com"),
        ("cancelled", "gone@example.com"),
    ]:
        _register(event, email, status=status)
    for n in range(30):
        _register(event, f"bulk{n}@example.com")
    r = api.post(f"/events/{event.event_id}/cancel/", token=me.token)
    assert r.status == 200 and r.json["status"] == "cancelled" and r.json["cancelled_at"]
    for email in ["c@example.com", "w@example.com", "p@example.com", "bulk29@example.com"]:
        mails = sent_emails(email)
        assert len(mails) == 1 and "Risk workshop" in mails[0]["subject"], email
    assert sent_emails("gone@example.com") == []
    assert len([m for m in sent_emails() if m["subject"].startswith("Cancelled")]) == 33
    assert [e.detail_type for e in bus.events] == ["lectern.event.cancelled"]
    assert _stored(event.event_id).status == "cancelled"
    assert "lectern.event.cancelled" in _audit_actions(event.event_id)


def test_given_an_event_with_fields_when_duplicating_then_a_fresh_draft_copy(api, me):
    event = make_event(me.token, capacity=10, price_minor=900)
    _register(event, "a@example.com")
    field = api.post(
        f"/events/{event.event_id}/custom-fields/", {"label": "Diet", "type": "text"}, token=me.token
    ).json
    r = api.post(f"/events/{event.event_id}/duplicate/", token=me.token)
    assert r.status == 201, r.json
    copy = r.json
    assert copy["uuid"] != event.event_id and copy["status"] == "draft" and copy["title"] == event.title
    assert copy["slug"] == "ethics-in-practice"  # generated anew from the title
    assert copy["confirmed_count"] == 0 and copy["published_at"] is None and copy["revision"] == 0
    assert copy["capacity"] == 10 and copy["price"] == 9
    assert [f["label"] for f in copy["custom_fields"]] == ["Diet"]
    assert copy["custom_fields"][0]["uuid"] != field["uuid"]
    assert _slug_owner(user_id_of(me.token), "ethics-in-practice") == copy["uuid"]
    assert _audit_actions(copy["uuid"]) == ["lectern.event.duplicated"]


@pytest.mark.parametrize("action", ["publish", "unpublish", "cancel", "duplicate"])
def test_given_another_organisers_event_when_acting_then_404_and_unchanged(api, me, action):
    event = make_event(me.token)
    r = api.post(f"/events/{event.event_id}/{action}/", token=verified_account(api).token)
    assert r.status == 404
    assert _stored(event.event_id).status == "published"


def test_given_a_mail_fails_when_cancelling_then_the_others_are_still_sent(api, me, monkeypatch):
    event = make_event(me.token)
    for email in ("bounce@example.com", "ok@example.com"):
        _register(event, email)
    mailer = default_deps().mailer
    real_send = mailer.send

    def flaky(message):
        if message.to == "bounce@example.com":
            raise RuntimeError("SES said no")
        real_send(message)

    monkeypatch.setattr(mailer, "send", flaky)
    r = api.post(f"/events/{event.event_id}/cancel/", token=me.token)
    assert r.status == 200 and _stored(event.event_id).status == "cancelled"
    assert len(sent_emails("ok@example.com")) == 1


def test_given_only_the_current_slug_when_patching_then_nothing_is_written(api, me):
    created = _create(api, me).json
    r = api.patch(f"/events/{created['uuid']}/", {"slug": created["slug"]}, token=me.token)
    assert r.status == 200 and r.json["revision"] == created["revision"]
    assert _slug_owner(user_id_of(me.token), created["slug"]) == created["uuid"]
