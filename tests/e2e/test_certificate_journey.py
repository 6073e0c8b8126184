"""The whole loop over real HTTP against the local API (issue 5): an organiser with a template
publishes a 3-session online event with automatic certificates; an attendee with an account
registers; Zoom provisioning (local ids) and signed webhooks play the sessions; the last
meeting's end completes the event → the Step Functions pipeline issues the certificate by itself
→ the attendee's download URL serves a PDF carrying their name → public verification says valid
→ the CPD summary counts the hours."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.e2e.http_support import post_zoom_webhook, signed_in, wait_for
from tools import zoom_payloads as zp

pytestmark = pytest.mark.e2e

NAME = "Łukasz Żółć"


def test_attendance_becomes_a_verifiable_certificate_and_cpd_hours(api_server: str) -> None:
    v1 = f"{api_server}/api/v1"
    org = {"Authorization": f"Bearer {signed_in(api_server)}"}
    me = {"Authorization": f"Bearer {signed_in(api_server, email='lukasz@example.org')}"}

    t = requests.post(
        f"{v1}/certificate-templates/",
        json={"name": "Ethics course", "orientation": "landscape"},
        headers=org,
        timeout=30,
    )
    assert t.status_code == 201, t.text
    # A course next week (publishing needs a future start); Zoom's times are simulated.
    day = (datetime.now(UTC) + timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
    r = requests.post(
        f"{v1}/events/",
        json={
            "title": "Three-day ethics course",
            "starts_at": day.isoformat(),
            "ends_at": (day + timedelta(days=2, hours=2)).isoformat(),
            "format": "online",
            "is_multi_session": True,
            "completion_type": "minimum_sessions",
            "minimum_sessions_required": 2,
            "minimum_attendance_percent": 75,
            "cpd_hours": 3,
            "cpd_category": "Ethics",
            "certificate_template": t.json()["uuid"],
            "auto_issue_certificates": True,
        },
        headers=org,
        timeout=30,
    )
    assert r.status_code == 201, r.text
    event_id = r.json()["uuid"]
    sessions = []
    for i in range(3):
        start = day + timedelta(days=i)
        s = requests.post(
            f"{v1}/events/{event_id}/sessions/",
            json={
                "title": f"Day {i + 1}",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=1)).isoformat(),
                "cpd_hours": 1,
            },
            headers=org,
            timeout=30,
        )
        assert s.status_code == 201, s.text
        sessions.append((s.json()["uuid"], start))
    assert (
        requests.post(f"{v1}/events/{event_id}/publish/", json={}, headers=org, timeout=30).status_code == 200
    )
    reg = requests.post(f"{v1}/events/{event_id}/register/", json={"full_name": NAME}, headers=me, timeout=30)
    assert reg.status_code == 201, reg.text
    reg_id = reg.json()["uuid"]

    def provisioned() -> dict[str, tuple[str, str]] | None:
        out = {}
        for sid, _ in sessions:
            meeting = requests.get(f"{v1}/events/{event_id}/sessions/{sid}/", headers=org, timeout=30).json()
            out[sid] = meeting.get("zoom_meeting_id")
        joins = requests.get(f"{v1}/users/me/registrations/{reg_id}/", headers=me, timeout=30).json()
        registrants = {j["session_id"]: j["registrant_id"] for j in joins.get("session_joins") or []}
        if not all(out.values()) or len(registrants) != 3:
            return None
        return {sid: (out[sid], registrants[sid]) for sid in out}

    zoom = wait_for("Zoom meetings and registrants", provisioned)

    # Day 1 and Day 2 attended in full, Day 3 missed: 2 of 3 → eligible.
    for index, (sid, start) in enumerate(sessions):
        meeting_id, registrant_id = zoom[sid]
        meeting = zp.Meeting(id=meeting_id, start_time=start)
        if index < 2:
            who = zp.Participant(NAME, email="lukasz@example.org", registrant_id=registrant_id)
            post_zoom_webhook(api_server, zp.participant_joined(meeting, who, start))
            post_zoom_webhook(api_server, zp.participant_left(meeting, who, start + timedelta(minutes=60)))
        post_zoom_webhook(api_server, zp.meeting_ended(meeting, start + timedelta(minutes=60)))

    def my_certificate() -> dict[str, Any] | None:
        items = requests.get(f"{v1}/users/me/certificates/", headers=me, timeout=30).json()["items"]
        return items[0] if items else None

    cert = wait_for("the certificate to be issued automatically", my_certificate, timeout=120)
    assert cert["status"] == "valid" and cert["holder_name"] == NAME
    assert cert["cpd_hours"] == 2  # one hour for each attended session

    dl = requests.get(f"{v1}/users/me/certificates/{cert['uuid']}/download/", headers=me, timeout=30)
    assert dl.status_code == 200, dl.text
    pdf = requests.get(dl.json()["url"], timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert NAME in text and cert["number"] in text

    public = requests.get(f"{v1}/public/certificates/{cert['number']}/", timeout=30)
    assert public.status_code == 200, public.text
    assert public.json()["status"] == "valid" and public.json()["signature_valid"] is True
    page = requests.get(f"{v1}/public/certificates/{cert['number']}/page/", timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]

    as_of = (day + timedelta(days=2)).date().isoformat()  # the hours count from the course's end
    summary = requests.get(
        f"{v1}/users/me/cpd-summary/", params={"as_of": as_of}, headers=me, timeout=30
    ).json()
    ethics = [c for c in summary["categories"] if c["category"] == "Ethics"]
    assert ethics and ethics[0]["certificate_hours"] == 2 and ethics[0]["certificates"] == 1
