"""Matrix factories and bodies for the certificates group. Each helper keeps to its own block
(templates first; certificates, verification and issue runs add theirs below)."""

from __future__ import annotations

from typing import Any

# ---------------------------------------------------------------- templates

TEMPLATE_BODY = {"name": "Attendance", "orientation": "landscape", "layout": {"title": "Certificate"}}


def _template(api: Any, owner: Any) -> str:
    r = api.post("/certificate-templates/", TEMPLATE_BODY, token=owner.token)
    assert r.status == 201, r.json
    return r.json["uuid"]


FACTORIES: dict[str, Any] = {"template_id": _template}

BODIES: dict[str, dict[str, Any]] = {
    "/certificate-templates": TEMPLATE_BODY,
    "/certificate-templates/{template_id}": {"name": "Renamed"},
    "/certificate-templates/{template_id}/preview": {},
    "/certificate-templates/{template_id}/images": {
        "kind": "logo",
        "content_type": "image/png",
        "size": 1000,
    },
}

# ---------------------------------------------------------------- certificates


def _certificate(api: Any, owner: Any) -> str:
    """A certificate the owner issued *and* holds (so the organiser's and the holder's routes
    both reach it), in the owner's newest published event when the `event_id` factory made one."""
    from tests.support import certificates as C
    from tests.support.matrix_registrations import _owners_newest_published_event

    event_id = _owners_newest_published_event(owner.token)
    ev = C.event(owner.token) if event_id is None else C.EventItem.get(*C.EventItem.key(event_id))
    rid = C.register(api, ev, token=owner.token)
    C.settle(rid)
    C.complete(ev)
    outcome = C.issue(ev, rid)
    assert outcome.certificate_id, outcome
    return outcome.certificate_id


FACTORIES["certificate_id"] = _certificate
BODIES["/certificates/{certificate_id}/revoke"] = {"reason": "Issued in error"}

# ---------------------------------------------------------------- issue runs


def _run(api: Any, owner: Any) -> str:
    """An issue run (queued, as the route creates it) of the owner's newest published event."""
    from datetime import UTC, datetime

    from lectern.certificates.pipeline import new_run
    from lectern.data.events import EventItem
    from lectern.ids import new_id

    from tests.support.events import make_event, user_id_of
    from tests.support.matrix_registrations import _owners_newest_published_event

    event_id = _owners_newest_published_event(owner.token) or make_event(owner.token).event_id
    event = EventItem.get(*EventItem.key(event_id))
    run = new_run(new_id(), event, user_id_of(owner.token), None, datetime.now(UTC))
    run.save()
    return run.run_id


FACTORIES["run_id"] = _run
BODIES["/events/{event_id}/certificates/issue"] = {}
