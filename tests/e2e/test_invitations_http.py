"""Invitations over real HTTP against the local API (issue 6 proof): 500 invitations in one request
→ 500 mails captured (sent by the bus consumer), and one invitee registers through the link in
their mail with the address locked."""

from __future__ import annotations

import re
import uuid
from urllib.parse import unquote

import pytest
import requests

from tests.e2e.http_support import published_event, signed_in, wait_for

pytestmark = pytest.mark.e2e

_INVITE_TOKEN = re.compile(r"/invitations/open\?token=([^&\s\"'<>]+)")


def test_500_invitations_are_mailed_and_one_invitee_registers_through_the_link(api_server: str) -> None:
    v1 = f"{api_server}/api/v1"
    auth = {"Authorization": f"Bearer {signed_in(api_server)}"}
    event_id = published_event(v1, auth)
    tag = uuid.uuid4().hex[:8]
    emails = [f"invitee{i:03d}.{tag}@example.org" for i in range(500)]

    preview = requests.post(
        f"{v1}/events/{event_id}/invitations/",
        params={"dry_run": "true"},
        json={"emails": [*emails[:499], emails[0].upper()]},
        headers=auth,
        timeout=60,
    )
    assert preview.status_code == 200, preview.text
    assert (preview.json()["invited"], preview.json()["reasons"]) == (499, {"duplicate": 1})

    r = requests.post(
        f"{v1}/events/{event_id}/invitations/",
        json={"emails": emails, "message": "Join us"},
        headers=auth,
        timeout=120,
    )
    assert r.status_code == 201, r.text
    assert r.json()["invited"] == 500

    def mailed() -> list[dict[str, str]] | None:
        items = requests.get(f"{api_server}/_dev/emails", timeout=30).json()["items"]
        mine = [m for m in items if tag in m["to"] and m["subject"].startswith("You are invited")]
        return mine if len(mine) >= 500 else None

    mails = wait_for("500 invitation mails", mailed, timeout=240)
    assert len(mails) == 500
    assert len({m["to"] for m in mails}) == 500  # one each

    invitee = emails[123]
    mail = next(m for m in mails if invitee in m["to"])
    found = _INVITE_TOKEN.search(mail["text"])
    assert found, mail["text"]
    token = unquote(found.group(1))

    opened = requests.get(f"{v1}/invitations/open/", params={"token": token}, timeout=30)
    assert opened.status_code == 200, opened.text
    assert opened.json()["email"] == invitee and opened.json()["email_locked"] is True
    assert opened.json()["event"]["uuid"] == event_id

    wrong = requests.post(
        f"{v1}/events/{event_id}/register/",
        json={"email": "someone.else@example.org", "full_name": "Ivy", "invitation_token": token},
        timeout=30,
    )
    assert wrong.status_code == 422, wrong.text
    reg = requests.post(
        f"{v1}/events/{event_id}/register/",
        json={"full_name": "Ivy Invitee", "invitation_token": token},
        timeout=30,
    )
    assert reg.status_code == 201, reg.text
    assert reg.json()["email"] == invitee and reg.json()["status"] == "confirmed"

    invitation_id = opened.json()["invitation"]
    detail = requests.get(f"{v1}/events/{event_id}/invitations/{invitation_id}/", headers=auth, timeout=30)
    assert detail.status_code == 200, detail.text
    assert detail.json()["status"] == "registered"
    registered = requests.get(
        f"{v1}/events/{event_id}/invitations/", params={"status": "registered"}, headers=auth, timeout=30
    )
    assert [x["email"] for x in registered.json()["items"]] == [invitee]
