"""Matrix factories for the users group (profile, sessions, CPD)."""

from __future__ import annotations

from typing import Any


def _requirement(api: Any, owner: Any) -> str:
    r = api.post(
        "/users/me/cpd-requirements/", {"category": "Ethics", "hours_required": 5}, token=owner.token
    )
    assert r.status == 201, r.json
    return r.json["uuid"]


def _activity(api: Any, owner: Any) -> str:
    body = {"title": "Talk", "category": "Ethics", "hours": 1, "completed_on": "2026-01-02"}
    r = api.post("/users/me/cpd-activities/", body, token=owner.token)
    assert r.status == 201, r.json
    return r.json["uuid"]


def _session(api: Any, owner: Any) -> str:
    return api.get("/users/me/sessions/", token=owner.token).json["items"][0]["uuid"]


FACTORIES = {"requirement_id": _requirement, "activity_id": _activity, "session_id": _session}

BODIES = {
    "/users/me": {"full_name": "Mallory"},
    "/users/me/change-password": {"current_password": "x" * 12, "new_password": "y" * 12},
    "/users/me/cpd-requirements": {"category": "Ethics", "hours_required": 5},
    "/users/me/cpd-requirements/{requirement_id}": {"hours_required": 7},
    "/users/me/cpd-activities": {
        "title": "Talk",
        "category": "Ethics",
        "hours": 1,
        "completed_on": "2026-01-02",
    },
    "/users/me/cpd-activities/{activity_id}": {"hours": 2},
}
