"""Matrix factories for the attendance group: `participant_id` (an unmatched Zoom participant in
the owner's newest published event — the `event_id` factory runs first for templates naming both)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from lectern.data.attendance import UnmatchedParticipantItem

from tests.support.events import make_event
from tests.support.matrix_registrations import _owners_newest_published_event


def _participant(api: Any, owner: Any) -> str:
    event_id = _owners_newest_published_event(owner.token) or make_event(owner.token).event_id
    key = str(uuid.uuid4())
    now = datetime.now(UTC)
    UnmatchedParticipantItem(
        *UnmatchedParticipantItem.key(event_id, key),
        event_id=event_id,
        participant_key=key,
        name="Guest 1234",
        session_ids={event_id},
        first_seen_at=now,
        last_seen_at=now,
        edge_count=1,
    ).save()
    return key


FACTORIES = {"participant_id": _participant}

BODIES = {
    "/events/{event_id}/registrations/{registration_id}/override-attendance": {
        "eligible": True,
        "reason": "Technical difficulties",
    },
    "/events/{event_id}/unmatched-participants/{participant_id}/assign": {
        "registration": "00000000-0000-4000-8000-000000000000"
    },
    "/events/{event_id}/registrations/bulk-attendance": {
        "entries": [{"registration_id": "00000000-0000-4000-8000-000000000000", "minutes": 10}]
    },
}
