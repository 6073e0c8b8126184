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
    "/certificate-templates/{template_id}/images": {"kind": "logo", "content_type": "image/png", "size": 1000},
}
