"""CPD entities, in the user's partition so the summary is one Query.

| entity         | PK             | SK                 |
|----------------|----------------|--------------------|
| CpdRequirement | USER#<user_id> | CPDREQ#<id>        |
| CpdActivity    | USER#<user_id> | CPDACT#<id>        |
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from lectern.data.base import TableItem


class CpdRequirementItem(TableItem, discriminator="CpdRequirement"):
    requirement_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    category = UnicodeAttribute()
    category_key = UnicodeAttribute()  # casefolded, for uniqueness and matching
    hours_required = NumberAttribute()
    period = UnicodeAttribute(default="yearly")
    period_start_month = NumberAttribute(default=1)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()

    PREFIX = "CPDREQ#"

    @staticmethod
    def key(user_id: str, requirement_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"CPDREQ#{requirement_id}"


class CpdActivityItem(TableItem, discriminator="CpdActivity"):
    """A self-logged external activity (a conference elsewhere, reading, a course)."""

    activity_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    title = UnicodeAttribute()
    provider = UnicodeAttribute(default="")
    category = UnicodeAttribute()
    category_key = UnicodeAttribute()
    hours = NumberAttribute()
    completed_on = UnicodeAttribute()  # ISO date
    notes = UnicodeAttribute(default="")
    evidence_url = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()

    PREFIX = "CPDACT#"

    @staticmethod
    def key(user_id: str, activity_id: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"CPDACT#{activity_id}"


class CpdCategoryClaimItem(TableItem, discriminator="CpdCategoryClaim"):
    """Makes a category appear in at most one requirement per user (written in the same
    transaction as the requirement). SK prefix `CPDCAT#` keeps it inside the summary Query's
    `CPD` range; the summary ignores it."""

    requirement_id = UnicodeAttribute()

    @staticmethod
    def key(user_id: str, category_key: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"CPDCAT#{category_key}"
