"""Discount code entities (spec-review H4).

| entity        | PK               | SK                    |
|---------------|------------------|-----------------------|
| DiscountCode  | EVENT#<event_id> | CODE#<CODE UPPERCASE> |
| DiscountCodeId| EVENT#<event_id> | CODEID#<code_id>      |

Keyed by the upper-cased code, so codes are case-insensitively unique per event and the
registration path reads a code with one GetItem (batched with the event). `used_count` only
grows through a conditional update inside the registration transaction
(`used_count < max_uses`), so uses never overshoot. `DiscountCodeId` maps the uuid in the
organiser's routes to the code.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from lectern.data.base import TableItem


class DiscountCodeItem(TableItem, discriminator="DiscountCode"):
    code_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    code = UnicodeAttribute()  # as the organiser typed it
    kind = UnicodeAttribute()  # percent | fixed
    amount = NumberAttribute()  # percent 1..100, or minor units for fixed
    max_uses = NumberAttribute(null=True)  # None = unlimited
    used_count = NumberAttribute(default=0)
    valid_from = UTCDateTimeAttribute(null=True)
    valid_until = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()

    @staticmethod
    def key(event_id: str, code: str) -> tuple[str, str]:
        return f"EVENT#{event_id}", f"CODE#{code.strip().upper()}"


class DiscountCodeIdItem(TableItem, discriminator="DiscountCodeId"):
    code = UnicodeAttribute()

    @staticmethod
    def key(event_id: str, code_id: str) -> tuple[str, str]:
        return f"EVENT#{event_id}", f"CODEID#{code_id}"
