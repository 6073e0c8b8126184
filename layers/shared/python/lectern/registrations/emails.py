"""Registration mails: confirmed, waitlisted, promoted — each with the event's .ics attached."""

from __future__ import annotations

from html import escape

from lectern.config import get_settings
from lectern.data.events import EventItem
from lectern.events.ics import event_calendar
from lectern.integrations.mail import Attachment, Email


def _ics(event: EventItem) -> tuple[Attachment, ...]:
    data = event_calendar([event])
    if isinstance(data, str):
        data = data.encode("utf-8")
    return (Attachment("event.ics", "text/calendar", data),)


def cancel_link(registration_id: str, event: EventItem) -> str:
    """A link that cancels this registration without signing in (it went to the registrant's
    address, which is the proof), valid until the event ends."""
    from lectern import signing

    token = signing.issue(CANCEL_PURPOSE, {"r": registration_id}, event.ends_at)
    return f"{get_settings().app_base_url.rstrip('/')}/registrations/cancel?token={token}"


CANCEL_PURPOSE = "registration-cancel"


def _mail(to: str, subject: str, lines: list[str], event: EventItem, cancel: str | None = None) -> Email:
    link = f"{get_settings().app_base_url.rstrip('/')}/events/{event.event_id}"
    footer = [
        f"Event page: {link}",
        *([f"Cannot come? Cancel your registration: {cancel}"] if cancel else []),
    ]
    text = "\n\n".join([*lines, *footer]) + "\n\n— Lectern\n"
    body = "".join(f"<p>{escape(line)}</p>" for line in lines)
    body += f'<p><a href="{escape(link)}">Event page</a></p>'
    if cancel:
        body += f'<p>Cannot come? <a href="{escape(cancel)}">Cancel your registration</a></p>'
    html = f"<!doctype html><html><body>{body}<p>— Lectern</p></body></html>"
    return Email(to=to, subject=subject, text=text, html=html, attachments=_ics(event))


def _when(event: EventItem) -> str:
    return f"{event.starts_at.isoformat()} ({event.timezone})"


def confirmed(to: str, name: str, event: EventItem, registration_id: str | None = None) -> Email:
    return _mail(
        to,
        f"You are registered: {event.title}",
        [f"Hello {name},", f"Your place at “{event.title}” is confirmed.", f"It starts at {_when(event)}."],
        event,
        cancel_link(registration_id, event) if registration_id else None,
    )


def waitlisted(
    to: str, name: str, event: EventItem, position: int | None, registration_id: str | None = None
) -> Email:
    where = f"You are number {position} on the waitlist." if position else "You are on the waitlist."
    return _mail(
        to,
        f"You are on the waitlist: {event.title}",
        [
            f"Hello {name},",
            f"“{event.title}” is full. {where}",
            "We will email you if a place becomes free and it is offered to you.",
        ],
        event,
        cancel_link(registration_id, event) if registration_id else None,
    )


def promoted(to: str, name: str, event: EventItem, registration_id: str | None = None) -> Email:
    return _mail(
        to,
        f"A place is yours: {event.title}",
        [
            f"Hello {name},",
            f"A place became free at “{event.title}” and you have been moved from the waitlist: "
            "your registration is confirmed.",
            f"It starts at {_when(event)}.",
        ],
        event,
        cancel_link(registration_id, event) if registration_id else None,
    )
