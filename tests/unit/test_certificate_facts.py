"""Certificate facts (hours, dates, sessions), numbers and the signature: any change to a signed
fact, the number or the issue time fails verification; erasing the holder does not."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lectern.certificates import facts as F
from lectern.data.certificates import CertificateItem
from lectern.data.events import EventItem
from lectern.data.registrations import RegistrationItem
from lectern.events.sessions_view import SessionView, sessions_of

START = datetime(2030, 3, 1, 10, 0, tzinfo=UTC)
ISSUED = datetime(2030, 3, 20, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    from lectern import secrets

    monkeypatch.setattr(secrets, "_master", lambda: b"unit-test-master-secret")


def _event(**fields) -> EventItem:
    values = {
        "event_id": "e1",
        "owner_id": "o1",
        "title": "Ethics in practice",
        "slug": "ethics",
        "starts_at": START,
        "ends_at": START + timedelta(hours=1),
        "timezone": "Europe/London",
        "cpd_hours": 1.5,
        "cpd_category": "Ethics",
        "status": "completed",
        "created_at": START,
        "updated_at": START,
    }
    values.update(fields)
    return EventItem("EVENT#e1", "EVENT", **values)


def _reg(**fields) -> RegistrationItem:
    values = {
        "registration_id": "r1",
        "event_id": "e1",
        "owner_id": "o1",
        "email": "ana@example.org",
        "full_name": "Ana Ćosić",
        "professional_title": "Physiotherapist",
        "status": "confirmed",
        "total_attendance_minutes": 55,
        "created_at": START,
        "updated_at": START,
    }
    values.update(fields)
    return RegistrationItem("REG#r1", "REG", **values)


def _session(sid: str, day: int, hours: float | None, status: str = "completed") -> SessionView:
    start = START + timedelta(days=day)
    return SessionView(
        session_id=sid,
        event_id="e1",
        title=f"Session {sid}",
        starts_at=start,
        ends_at=start + timedelta(minutes=90),
        status=status,
        cpd_hours=None if hours is None else Decimal(str(hours)),
        required=False,
        zoom_meeting_id=None,
        zoom_join_url=None,
        virtual=False,
    )


def _attendance(*attended: str, minutes: int = 80) -> dict:
    return {sid: {"minutes": minutes, "seconds": minutes * 60, "attended": True} for sid in attended}


# ---------------------------------------------------------------- facts


def test_a_single_session_event_earns_the_events_hours_with_its_dates_in_its_timezone():
    event = _event()

    f = F.build_facts(event, sessions_of(event), _reg(), issuer="Example Ltd", explanation="Eligible.")

    assert f["holder_name"] == "Ana Ćosić" and f["professional_title"] == "Physiotherapist"
    assert f["cpd_hours"] == 1.5 and f["cpd_category"] == "Ethics"
    assert f["dates"] == f"1 March 2030, 10:00{F.DASH}11:00 (Europe/London)"
    assert f["multi_session"] is False and f["sessions"] == []
    assert f["issuer"] == "Example Ltd" and f["eligibility"] == "Eligible."
    assert f["starts_at"] == "2030-03-01T10:00:00+00:00"


def test_summer_time_is_printed_in_local_time():
    summer = START.replace(month=7)
    event = _event(starts_at=summer, ends_at=summer + timedelta(hours=2))

    f = F.build_facts(event, sessions_of(event), _reg(), issuer="X")

    assert f["dates"] == f"1 July 2030, 11:00{F.DASH}13:00 (Europe/London)"


def test_a_multi_session_event_with_session_hours_earns_those_of_the_sessions_attended():
    event = _event(is_multi_session=True, ends_at=START + timedelta(days=2, hours=2))
    sessions = [
        _session("a", 0, 1.5),
        _session("b", 1, 1.0),
        _session("c", 2, None),
        _session("d", 2, 3, "cancelled"),
    ]
    reg = _reg(session_attendance={**_attendance("a", "c"), "b": {"minutes": 10, "attended": False}})

    f = F.build_facts(event, sessions, reg, issuer="X")

    assert f["cpd_hours"] == 1.5  # a (1.5) + c (none); b not attended; d cancelled
    assert [s["title"] for s in f["sessions"]] == ["Session a", "Session b", "Session c"]
    assert [(s["minutes"], s["attended"], s["cpd_hours"]) for s in f["sessions"]] == [
        (80, True, 1.5),
        (10, False, 1.0),
        (80, True, None),
    ]
    assert f["sessions_attended"] == 2 and f["sessions_total"] == 3
    assert f["dates"].startswith("1 March 2030 10:00")


def test_a_multi_session_event_without_session_hours_earns_the_events():
    event = _event(is_multi_session=True, cpd_hours=6)
    f = F.build_facts(event, [_session("a", 0, None), _session("b", 1, None)], _reg(), issuer="X")
    assert f["cpd_hours"] == 6.0


def test_sample_facts_have_every_key_real_facts_have():
    event = _event()
    real = F.build_facts(event, sessions_of(event), _reg(), issuer="X")
    assert set(F.sample_facts()) == set(real)


# ---------------------------------------------------------------- numbers


def test_numbers_are_80_random_bits_in_crockford_groups():
    numbers = {F.new_number() for _ in range(2000)}

    assert len(numbers) == 2000
    for n in list(numbers)[:200]:
        assert re.fullmatch(r"LCT(-[0-9A-HJKMNP-TV-Z]{4}){4}", n), n


def test_a_number_as_typed_is_normalised_and_anything_else_is_none():
    n = F.new_number()
    assert F.normalise_number(f"  {n.lower()} ") == n
    assert F.normalise_number("LCT-0O1I-L000-0000-0000") == "LCT-0011-1000-0000-0000"
    for bad in ("", "LCT", "LCT-UUUU-0000-0000-0000", "XYZ-0000-0000-0000-0000", n + "0", "../../etc"):
        assert F.normalise_number(bad) is None


# ---------------------------------------------------------------- signature


def _cert(facts=None, number="LCT-7K3M-Q9XW-2HRT-B4NZ", issued_at=ISSUED) -> CertificateItem:
    facts = facts if facts is not None else F.sample_facts()
    return CertificateItem(
        "CERT#c1",
        "CERT",
        certificate_id="c1",
        number=number,
        event_id="e1",
        owner_id="o1",
        registration_id="r1",
        email="a@example.org",
        facts=facts,
        signature=F.sign(facts, number, issued_at),
        issued_at=issued_at,
    )


def test_an_untouched_certificate_verifies():
    assert F.verify(_cert())


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("holder_name", "Someone Else"),
        ("professional_title", "Surgeon"),
        ("cpd_hours", 40.0),
        ("cpd_category", "Other"),
        ("event_title", "A different course"),
        ("issuer", "Fake Institute"),
        ("dates", "1 January 2020"),
    ],
)
def test_given_a_tampered_fact_then_verification_fails(key, value):
    cert = _cert()
    cert.facts = {**cert.facts, key: value}
    assert not F.verify(cert)


def test_given_a_tampered_session_row_or_number_or_issue_time_then_verification_fails():
    cert = _cert()
    rows = [dict(s) for s in cert.facts["sessions"]]
    rows[0]["minutes"] = 999
    cert.facts = {**cert.facts, "sessions": rows}
    assert not F.verify(cert)

    cert = _cert()
    cert.number = "LCT-0000-0000-0000-0000"
    assert not F.verify(cert)

    cert = _cert()
    cert.issued_at = ISSUED - timedelta(days=365)
    assert not F.verify(cert)


def test_given_a_forged_or_malformed_signature_then_verification_fails(monkeypatch):
    from lectern import secrets

    cert = _cert()
    monkeypatch.setattr(secrets, "_master", lambda: b"another deployment")
    assert not F.verify(cert)  # signed with another key
    monkeypatch.setattr(secrets, "_master", lambda: b"unit-test-master-secret")
    for bad in ("", "v1", "v2." + cert.signature[3:], cert.signature + "x", "v1..x"):
        cert.signature = bad
        assert not F.verify(cert)


def test_after_the_holder_is_erased_the_certificate_still_verifies_but_a_new_name_does_not():
    cert = _cert()
    cert.facts = F.erased(cert.facts)
    assert "holder_name" not in cert.facts
    assert F.verify(cert)

    cert.facts = {**cert.facts, "holder_name": "Impostor", "professional_title": ""}
    assert not F.verify(cert)


def test_the_signature_survives_the_json_round_trip_of_the_stored_facts():
    import json

    cert = _cert()
    cert.facts = json.loads(json.dumps(cert.facts))
    assert F.verify(cert)


@given(st.text(max_size=60), st.floats(min_value=0, max_value=1000, allow_nan=False))
def test_any_name_and_hours_sign_and_verify(name, hours):
    facts = {**F.sample_facts(), "holder_name": name, "cpd_hours": hours}
    sig = F.sign(facts, "LCT-7K3M-Q9XW-2HRT-B4NZ", ISSUED)
    assert F.verify_signature(facts, "LCT-7K3M-Q9XW-2HRT-B4NZ", ISSUED, sig)
    assert not F.verify_signature(
        {**facts, "holder_name": name + "x"}, "LCT-7K3M-Q9XW-2HRT-B4NZ", ISSUED, sig
    )


def test_withheld_replaces_only_the_personal_fields():
    shown = F.withheld(F.sample_facts())
    assert shown["holder_name"] == F.WITHHELD and shown["professional_title"] == F.WITHHELD
    assert shown["event_title"] == F.sample_facts()["event_title"]
