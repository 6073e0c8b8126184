"""Mails about events sent to their registrants."""

from __future__ import annotations

from html import escape

from lectern.data.events import EventItem
from lectern.events.ics import event_url
from lectern.integrations.mail import Email


def event_cancelled(to: str, name: str, event: EventItem) -> Email:
    when = event.starts_at.strftime("%d %B %Y, %H:%M UTC")
    lines = [
        f"Hello {name},",
        f"The event “{event.title}” planned for {when} has been cancelled by its organiser.",
        "Your registration is cancelled with it; if you paid, the organiser will be in touch about a refund.",
    ]
    link = event_url(event.event_id)
    text = "\n\n".join([*lines, f"Event page: {link}"]) + "\n\n— Lectern\n"
    html = (
        "<!doctype html><html><body>"
        + "".join(f"<p>{escape(line)}</p>" for line in lines)
        + f'<p><a href="{escape(link)}">Event page</a></p><p>— Lectern</p></body></html>'
    )
    return Email(to=to, subject=f"Cancelled: {event.title}", text=text, html=html)
