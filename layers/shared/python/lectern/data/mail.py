"""Addresses that bounced or complained: never sent bulk mail again (issue 6).

| entity          | PK                            | SK         |
|-----------------|-------------------------------|------------|
| MailSuppression | SUPPRESS#<casefolded email>   | SUPPRESS   |
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute

from lectern.data.base import TableItem


class MailSuppressionItem(TableItem, discriminator="MailSuppression"):
    email = UnicodeAttribute()
    reason = UnicodeAttribute()  # "bounce" | "complaint"
    detail = UnicodeAttribute(null=True)  # e.g. the bounce type SES reported
    suppressed_at = UTCDateTimeAttribute()

    @staticmethod
    def key(email: str) -> tuple[str, str]:
        return f"SUPPRESS#{email.strip().casefold()}", "SUPPRESS"
