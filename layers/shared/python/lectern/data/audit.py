"""Audit log entries: who did what to which resource, and when.

| entity     | PK                              | SK                  | GSI1PK          | GSI1SK            |
|------------|---------------------------------|---------------------|-----------------|-------------------|
| AuditEntry | AUDIT#<resource_type>#<id>      | <at>#<entry_id>     | ACTOR#<user_id> | <at>#<entry_id>   |
"""

from __future__ import annotations

from pynamodb.attributes import MapAttribute, UnicodeAttribute, UTCDateTimeAttribute

from lectern.data.base import TableItem


class AuditItem(TableItem, discriminator="AuditEntry"):
    entry_id = UnicodeAttribute()
    action = UnicodeAttribute()  # dotted: lectern.user.password_changed
    actor_id = UnicodeAttribute(null=True)  # None for anonymous/system
    resource_type = UnicodeAttribute()
    resource_id = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    ip = UnicodeAttribute(null=True)
    details = MapAttribute(default=dict)  # type: ignore[var-annotated]

    @staticmethod
    def key(resource_type: str, resource_id: str, at_iso: str, entry_id: str) -> tuple[str, str]:
        return f"AUDIT#{resource_type}#{resource_id}", f"{at_iso}#{entry_id}"
