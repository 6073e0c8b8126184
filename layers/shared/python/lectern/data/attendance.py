"""Attendance entities (PRODUCT.md §4).

- AttendanceEdge: PK `REG#<registration_id>` (or `UNMATCHED#<event_id>#<participant_key>` while
  nobody matched), SK `EDGE#<session_id>#<at UTC, ms>#<kind>#<device>`; GSI1 (matched edges only)
  `EDGES#<event_id>` / `<registration_id>#<SK>`.
- UnmatchedParticipant: PK `EVENT#<event_id>`, SK `UNMATCHED#<participant_key>`.

An edge is one observed join or leave. Its key *is* its identity, so a redelivered webhook
writes the same item again and changes nothing, and the order edges arrive in does not matter:
a registration's attendance is always recomputed from the full set of its edges (one Query of
the registration's partition returns the Registration item and all its edges). The per-session
result (minutes, segments, first join, last leave) is kept on the Registration item
(`session_attendance`), written with a condition on `attendance_version` so two concurrent
recomputes never let a stale one win.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import (
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)

from lectern.data.base import TableItem


def at_key(at: datetime) -> str:
    """UTC, millisecond precision: sorts as text in time order."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AttendanceEdgeItem(TableItem, discriminator="AttendanceEdge"):
    event_id = UnicodeAttribute()
    session_id = UnicodeAttribute()
    registration_id = UnicodeAttribute(null=True)  # None while unmatched
    kind = UnicodeAttribute()  # joined | left
    at = UTCDateTimeAttribute()
    device = UnicodeAttribute()  # pairs a join with its leave (Zoom's per-connection participant id)
    source = UnicodeAttribute(default="zoom")  # zoom | manual | assigned
    participant_name = UnicodeAttribute(default="")
    participant_email = UnicodeAttribute(default="")
    recorded_at = UTCDateTimeAttribute()

    @staticmethod
    def sort_key(session_id: str, at: datetime, kind: str, device: str) -> str:
        return f"EDGE#{session_id}#{at_key(at)}#{kind}#{device}"

    @staticmethod
    def event_index(event_id: str, registration_id: str, sort_key: str) -> tuple[str, str]:
        """GSI1: every matched edge of an event, so completing a session recomputes everyone from
        a few Query pages instead of one Query per registration."""
        return f"EDGES#{event_id}", f"{registration_id}#{sort_key}"

    @staticmethod
    def registration_pk(registration_id: str) -> str:
        return f"REG#{registration_id}"

    @staticmethod
    def unmatched_pk(event_id: str, participant_key: str) -> str:
        return f"UNMATCHED#{event_id}#{participant_key}"


class UnmatchedParticipantItem(TableItem, discriminator="UnmatchedParticipant"):
    """A participant no registration matched (by registrant id or exact email): the organiser
    reviews these and assigns each to a registration (audited). Once assigned, later edges of the
    same participant go straight to that registration."""

    event_id = UnicodeAttribute()
    participant_key = UnicodeAttribute()
    name = UnicodeAttribute(default="")
    email = UnicodeAttribute(default="")
    session_ids = UnicodeSetAttribute(default=set)
    first_seen_at = UTCDateTimeAttribute()
    last_seen_at = UTCDateTimeAttribute()
    edge_count = NumberAttribute(default=0)  # grows monotonically (stale recounts lose)
    assigned_registration_id = UnicodeAttribute(null=True)
    assigned_by = UnicodeAttribute(null=True)
    assigned_at = UTCDateTimeAttribute(null=True)

    @staticmethod
    def key(event_id: str, participant_key: str) -> tuple[str, str]:
        return f"EVENT#{event_id}", f"UNMATCHED#{participant_key}"
