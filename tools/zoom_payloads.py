"""Zoom webhook bodies in Zoom's real shapes, and signed deliveries of them.

Shared by the simulator (`tools/simulate.py`) and the tests (which must not be the only place
these shapes live: the simulator cannot import from tests/). Builders return plain dicts;
`encode` turns one into the bytes Zoom would send (compact JSON, UTF-8, non-ASCII as is), and
`signed_headers` signs those exact bytes the way Zoom does.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lectern.zoom.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

ACCOUNT_ID = "lectern-local-account"
HOST_ID = "lectern-local-host"


def zoom_time(at: datetime) -> str:
    """Zoom's timestamps: ISO 8601 UTC, seconds, `Z`."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


@dataclass(frozen=True)
class Meeting:
    """One meeting instance as Zoom describes it in webhooks."""

    id: str  # the meeting number (what provisioning stored as zoom_meeting_id)
    uuid: str = field(default_factory=lambda: uuid.uuid4().hex[:22] + "==")  # this instance
    topic: str = "Lectern session"
    start_time: datetime | None = None
    duration: int = 60  # minutes
    timezone: str = "UTC"
    type: int = 2  # 2 = scheduled meeting (webinars: 5)

    def object(self) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "id": self.id,
            "uuid": self.uuid,
            "host_id": HOST_ID,
            "topic": self.topic,
            "type": self.type,
            "duration": self.duration,
            "timezone": self.timezone,
        }
        if self.start_time is not None:
            obj["start_time"] = zoom_time(self.start_time)
        return obj


@dataclass(frozen=True)
class Participant:
    """One participant connection (a second device is another `participant_uuid`)."""

    user_name: str
    email: str = ""
    registrant_id: str = ""
    user_id: str = field(default_factory=lambda: str(uuid.uuid4().int % 10**8))
    participant_uuid: str = field(default_factory=lambda: str(uuid.uuid4()).upper())
    participant_user_id: str = ""

    def on_another_device(self) -> Participant:
        return Participant(
            user_name=self.user_name,
            email=self.email,
            registrant_id=self.registrant_id,
            participant_user_id=self.participant_user_id,
        )

    def fields(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "user_name": self.user_name,
            "id": self.participant_user_id,
            "participant_uuid": self.participant_uuid,
            "email": self.email,
            "registrant_id": self.registrant_id,
            "participant_user_id": self.participant_user_id,
        }


def _event(name: str, event_ts: int, obj: dict[str, Any]) -> dict[str, Any]:
    return {"event": name, "event_ts": event_ts, "payload": {"account_id": ACCOUNT_ID, "object": obj}}


def participant_joined(
    meeting: Meeting, who: Participant, at: datetime, *, kind: str = "meeting"
) -> dict[str, Any]:
    obj = {**meeting.object(), "participant": {**who.fields(), "join_time": zoom_time(at)}}
    return _event(f"{kind}.participant_joined", epoch_ms(at), obj)


def participant_left(
    meeting: Meeting,
    who: Participant,
    at: datetime,
    *,
    reason: str = "left the meeting",
    kind: str = "meeting",
) -> dict[str, Any]:
    participant = {**who.fields(), "leave_time": zoom_time(at), "leave_reason": reason}
    obj = {**meeting.object(), "participant": participant}
    return _event(f"{kind}.participant_left", epoch_ms(at), obj)


def meeting_ended(meeting: Meeting, at: datetime, *, kind: str = "meeting") -> dict[str, Any]:
    obj = {**meeting.object(), "end_time": zoom_time(at)}
    return _event(f"{kind}.ended", epoch_ms(at), obj)


def url_validation(plain_token: str, *, event_ts: int | None = None) -> dict[str, Any]:
    return {
        "event": "endpoint.url_validation",
        "event_ts": event_ts if event_ts is not None else int(time.time() * 1000),
        "payload": {"plainToken": plain_token},
    }


def encode(body: dict[str, Any]) -> bytes:
    """The bytes Zoom sends: compact JSON, UTF-8, non-ASCII characters unescaped."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signed_headers(secret: bytes, raw: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """Zoom's headers for `raw`, signed at `timestamp` (epoch seconds; default: now)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "content-type": "application/json; charset=utf-8",
        "user-agent": "Zoom Marketplace/1.0a",
        TIMESTAMP_HEADER: ts,
        SIGNATURE_HEADER: sign(secret, ts, raw),
    }
