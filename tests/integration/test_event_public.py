"""Public event pages, the event's .ics, and the personal calendar feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from lectern.data.events import CalendarFeedItem, CalendarFeedPointerItem, EventItem
from lectern.data.registrations import RegistrationItem
from lectern.ids import new_id, token_hash

from tests.support.builders import verified_account
from tests.support.events import make_event, user_id_of

ICS = "text/calendar; charset=utf-8"


@pytest.fixture
def me(api):
    return verified_account(api)


def _register(event: EventItem, user_id: str | None, email: str, status: str = "confirmed") -> None:
    rid = new_id()
    now = datetime.now(UTC)
    reg = RegistrationItem(
        *RegistrationItem.key(rid),
        registration_id=rid,
        event_id=event.event_id,
        owner_id=event.owner_id,
        user_id=user_id,
        email=email,
        full_name="Ada",
        status=status,
        created_at=now,
        updated_at=now,
    )
    reg.gsi1pk, reg.gsi1sk = RegistrationItem.event_index(event.event_id, rid)
    reg.gsi2pk, reg.gsi2sk = RegistrationItem.person_index(user_id, email, rid)
    reg.save()


def _vevents(raw: bytes) -> list:
    return Calendar.from_ical(raw).walk("VEVENT")


# ---------------------------------------------------------------- public page


def test_given_a_published_event_when_anyone_reads_it_then_the_public_view_without_internals(api, me):
    event = make_event(me.token, capacity=10, confirmed_count=4, waitlisted_count=2, price_minor=1999)
    r = api.get(f"/public/events/{event.event_id}/")
    assert r.status == 200, r.json
    body = r.json
    assert body["uuid"] == event.event_id and body["spots_left"] == 6 and body["price"] == 19.99
    assert body["calendar_url"].endswith(f"/api/v1/public/events/{event.event_id}/calendar.ics")
    for hidden in ("owner_id", "confirmed_count", "waitlisted_count", "revision", "certificate_template"):
        assert hidden not in body


def test_given_unlimited_capacity_then_spots_left_is_null(api, me):
    event = make_event(me.token)
    assert api.get(f"/public/events/{event.event_id}/").json["spots_left"] is None


def test_given_a_full_event_then_spots_left_is_zero_not_negative(api, me):
    event = make_event(me.token, capacity=2, confirmed_count=3)
    assert api.get(f"/public/events/{event.event_id}/").json["spots_left"] == 0


@pytest.mark.parametrize("status", ["published", "live", "completed", "cancelled"])
def test_given_a_visible_status_then_public(api, me, status):
    event = make_event(me.token, status=status)
    assert api.get(f"/public/events/{event.event_id}/").json["status"] == status


def test_given_a_draft_or_unknown_event_then_404(api, me):
    draft = make_event(me.token, status="draft")
    assert api.get(f"/public/events/{draft.event_id}/").status == 404
    assert api.get(f"/public/events/{draft.event_id}/calendar.ics").status == 404
    assert api.get(f"/public/events/{new_id()}/").status == 404
    r = api.get("/public/events/not-a-uuid/calendar.ics")
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == "event_id"


# ---------------------------------------------------------------- the event's .ics


def test_given_a_published_event_when_fetching_its_ics_then_one_vevent_in_utc(api, me):
    starts = datetime(2030, 6, 1, 9, 30, tzinfo=UTC)
    event = make_event(
        me.token,
        starts_at=starts,
        title="Risk; law, and ethics",
        description="Line 1\nLine 2",
        location="Room 4",
        revision=3,
    )
    r = api.get(f"/public/events/{event.event_id}/calendar.ics")
    assert r.status == 200 and r.headers["Content-Type"] == ICS
    assert b"UID:" + event.event_id.encode() + b"@lectern" in r.raw
    assert b"DTSTART:20300601T093000Z" in r.raw and b"DTEND:20300601T103000Z" in r.raw
    (vevent,) = _vevents(r.raw)
    assert str(vevent["SUMMARY"]) == "Risk; law, and ethics"
    assert str(vevent["DESCRIPTION"]) == "Line 1\nLine 2" and str(vevent["LOCATION"]) == "Room 4"
    assert str(vevent["URL"]) == f"https://app.lectern.test/events/{event.event_id}"
    assert vevent["SEQUENCE"] == 3 and str(vevent["STATUS"]) == "CONFIRMED"


def test_given_a_cancelled_event_then_its_ics_says_cancelled(api, me):
    event = make_event(me.token, status="cancelled")
    (vevent,) = _vevents(api.get(f"/public/events/{event.event_id}/calendar.ics").raw)
    assert str(vevent["STATUS"]) == "CANCELLED"


def test_given_the_organiser_publishes_and_cancels_then_the_sequence_grows(api, me):
    eid = api.post(
        "/events/",
        {"title": "T", "starts_at": "2030-01-01T10:00:00Z", "ends_at": "2030-01-01T11:00:00Z"},
        token=me.token,
    ).json["uuid"]
    api.post(f"/events/{eid}/publish/", token=me.token)
    (first,) = _vevents(api.get(f"/public/events/{eid}/calendar.ics").raw)
    api.post(f"/events/{eid}/cancel/", token=me.token)
    (second,) = _vevents(api.get(f"/public/events/{eid}/calendar.ics").raw)
    assert second["SEQUENCE"] > first["SEQUENCE"] and str(second["UID"]) == str(first["UID"])


# ---------------------------------------------------------------- personal feed


def _feed(api, acct):
    r = api.get("/users/me/calendar-feed/", token=acct.token)
    assert r.status == 200, r.json
    return r.json


def _token(url: str) -> str:
    assert url.startswith("https://app.lectern.test/api/v1/public/calendar/") and url.endswith(".ics")
    return url.rsplit("/", 1)[1][: -len(".ics")]


def test_given_no_feed_when_asking_then_created_once_and_shown_again(api, me):
    first = _feed(api, me)
    again = _feed(api, me)
    assert first == again
    token = _token(first["url"])
    assert len(token) >= 43  # 32 random bytes, urlsafe
    uid = user_id_of(me.token)
    assert CalendarFeedItem.get(*CalendarFeedItem.key(token_hash(token))).user_id == uid
    assert CalendarFeedPointerItem.get(*CalendarFeedPointerItem.key(uid)).token == token
    # Only the hash is a key: the token itself is not.
    assert CalendarFeedItem.key(token_hash(token))[0] != f"CALFEED#{token}"


def test_given_registrations_when_reading_the_feed_then_every_active_registered_event(api, me):
    organiser = verified_account(api)
    uid = user_id_of(me.token)
    later = make_event(organiser.token, title="Later", starts_at=datetime.now(UTC) + timedelta(days=20))
    sooner = make_event(organiser.token, title="Sooner")
    cancelled_reg = make_event(organiser.token, title="I cancelled")
    cancelled_event = make_event(organiser.token, title="Called off", status="cancelled")
    make_event(organiser.token, title="Not registered")
    _register(later, uid, me.email)
    _register(sooner, uid, me.email, status="waitlisted")
    _register(cancelled_reg, uid, me.email, status="cancelled")
    _register(cancelled_event, uid, me.email)
    _register(make_event(organiser.token, title="Someone else's"), None, "guest@example.com")
    url = _feed(api, me)["url"]
    r = api.get(url.replace("https://app.lectern.test", ""))
    assert r.status == 200 and r.headers["Content-Type"] == ICS
    events = _vevents(r.raw)
    # Ordered by start (make_event starts a week ahead, at creation time).
    assert [str(e["SUMMARY"]) for e in events] == ["Sooner", "Called off", "Later"]
    statuses = {str(e["SUMMARY"]): str(e["STATUS"]) for e in events}
    assert statuses["Called off"] == "CANCELLED"


def test_given_no_registrations_then_an_empty_calendar(api, me):
    r = api.get(_feed(api, me)["url"].replace("https://app.lectern.test", ""))
    assert r.status == 200 and _vevents(r.raw) == [] and b"BEGIN:VCALENDAR" in r.raw


def test_given_a_rotation_then_the_old_url_stops_working_at_once(api, me):
    old = _feed(api, me)["url"]
    r = api.post("/users/me/calendar-feed/rotate/", token=me.token)
    assert r.status == 200
    new = r.json["url"]
    assert new != old and _feed(api, me)["url"] == new
    assert api.get(old.replace("https://app.lectern.test", "")).status == 404
    assert api.get(new.replace("https://app.lectern.test", "")).status == 200
    assert CalendarFeedItem.count(f"CALFEED#{token_hash(_token(old))}") == 0


def test_given_no_feed_yet_when_rotating_then_one_is_created(api, me):
    r = api.post("/users/me/calendar-feed/rotate/", token=me.token)
    assert r.status == 200 and _feed(api, me)["url"] == r.json["url"]


@pytest.mark.parametrize("token", ["x" * 43, "short", "bad*chars" * 5])
def test_given_an_unknown_or_malformed_token_then_4xx_and_never_a_calendar(api, token):
    r = api.get(f"/public/calendar/{token}.ics")
    assert r.status in (404, 422) and r.json["error"]
    if token == "x" * 43:
        assert r.status == 404


def test_given_two_users_then_each_feed_is_their_own(api, me):
    other = verified_account(api)
    assert _feed(api, me)["url"] != _feed(api, other)["url"]
