"""Reminders of an event and their delivery claims (issue 6).

| entity           | PK                     | SK                                     | TTL  |
|------------------|------------------------|----------------------------------------|------|
| Reminder         | EVENT#<event_id>       | REMINDER#<reminder_id>                 | —    |
| ReminderSlot     | EVENT#<event_id>       | REMINDERAT#<anchor>#<offset_minutes>   | —    |
| ReminderDelivery | REMINDER#<reminder_id> | GEN#<generation>#REG#<registration_id> | 90 d |

Reminder, while due: GSI2 `REMINDERS#DUE` / `<due_at UTC>#<reminder_id>` (sparse).

* A reminder is *armed* (due) while it carries the GSI2 keys; the sweep Queries `REMINDERS#DUE`
  with SK <= now. Sending everyone removes the keys (conditionally on the generation read).
* `generation` grows by one each time the reminder's time changes (the event moved, or the
  organiser changed the offset): deliveries are claimed per generation, so a moved event's
  reminder is sent again, once.
* `ReminderSlot` makes (anchor, offset) unique per event: written with `attribute_not_exists`
  in the reminder's transaction (two reminders at the same time would mail everyone twice).
* `ReminderDelivery` is the claim one sweep takes before mailing one registrant: PutItem with
  `attribute_not_exists(PK)` — or over a `sending` claim whose lease has run out (a crashed
  sweep) — then marked `sent` after SES accepted the message.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from lectern.data.base import TableItem

DUE_PK = "REMINDERS#DUE"


def utc_key(value: datetime) -> str:
    """A sortable UTC timestamp (second precision, fixed width) for the due index."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ReminderItem(TableItem, discriminator="Reminder"):
    reminder_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()
    anchor = UnicodeAttribute()  # before_start | after_end
    offset_minutes = NumberAttribute()
    subject = UnicodeAttribute(null=True)
    message = UnicodeAttribute(null=True)
    due_at = UTCDateTimeAttribute()
    generation = NumberAttribute(default=1)
    # scheduled (armed) | sent | missed (its time had passed when the event moved) | cancelled
    status = UnicodeAttribute(default="scheduled")
    sent_at = UTCDateTimeAttribute(null=True)
    sent_count = NumberAttribute(default=0)  # mails of the last completed generation
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()

    @staticmethod
    def key(event_id: str, reminder_id: str) -> tuple[str, str]:
        return f"EVENT#{event_id}", f"REMINDER#{reminder_id}"

    @staticmethod
    def due_index(due_at: datetime, reminder_id: str) -> tuple[str, str]:
        return DUE_PK, f"{utc_key(due_at)}#{reminder_id}"


class ReminderSlotItem(TableItem, discriminator="ReminderSlot"):
    reminder_id = UnicodeAttribute()

    @staticmethod
    def key(event_id: str, anchor: str, offset_minutes: int) -> tuple[str, str]:
        return f"EVENT#{event_id}", f"REMINDERAT#{anchor}#{int(offset_minutes)}"


class ReminderDeliveryItem(TableItem, discriminator="ReminderDelivery"):
    reminder_id = UnicodeAttribute()
    generation = NumberAttribute()
    registration_id = UnicodeAttribute()
    email = UnicodeAttribute()
    state = UnicodeAttribute()  # sending | sent
    claimed_at = UTCDateTimeAttribute()
    lease_until = UTCDateTimeAttribute()
    sent_at = UTCDateTimeAttribute(null=True)

    @staticmethod
    def key(reminder_id: str, generation: int, registration_id: str) -> tuple[str, str]:
        return f"REMINDER#{reminder_id}", f"GEN#{int(generation)}#REG#{registration_id}"

    @staticmethod
    def generation_prefix(generation: int) -> str:
        return f"GEN#{int(generation)}#REG#"
