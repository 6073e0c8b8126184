"""The suppression list: addresses SES reported as bounced or complained about. Bulk mail
(invitations, reminders) skips them; transactional mail the person asked for (a password reset,
their own registration) is still attempted — SES's account-level list has the last word."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from lectern.data import tx
from lectern.data.mail import MailSuppressionItem


def suppressed(emails: Iterable[str]) -> set[str]:
    """The casefolded addresses among `emails` that are suppressed (BatchGetItem, 100 keys per call)."""
    wanted = {e.strip().casefold() for e in emails if e and e.strip()}
    found = tx.get_many(MailSuppressionItem.key(e) for e in sorted(wanted))
    return {i.email for i in found.values() if isinstance(i, MailSuppressionItem)}


def suppress(email: str, reason: str, at: datetime, detail: str | None = None) -> None:
    """Record a bounce or complaint (idempotent: the first reason and time are kept)."""
    pk, sk = MailSuppressionItem.key(email)
    item = MailSuppressionItem(
        pk, sk, email=email.strip().casefold(), reason=reason, detail=detail, suppressed_at=at
    )
    try:
        item.save(condition=MailSuppressionItem.pk.does_not_exist())
    except Exception as exc:
        if getattr(exc, "cause_response_code", "") != "ConditionalCheckFailedException":
            raise
