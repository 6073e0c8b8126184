"""The invitation mail: the organiser's note, the event, and the invitee's own link (register with
the address locked, or decline)."""

from __future__ import annotations

from html import escape

from lectern.data.events import EventItem
from lectern.integrations.mail import Email
from lectern.invitations import links


def invitation(to: str, event: EventItem, token: str, message: str | None) -> Email:
    accept = links.url(token, "open")
    decline = links.url(token, "decline")
    lines = [
        "Hello,",
        f"You are invited to “{event.title}”.",
        f"It starts at {event.starts_at.isoformat()} ({event.timezone}).",
        *([f"A note from the organiser: {message}"] if message else []),
    ]
    text = "\n\n".join(
        [
            *lines,
            f"Register (your address is already filled in): {accept}",
            f"Cannot come? Decline: {decline}",
        ]
    )
    text += "\n\n— Lectern\n"
    body = "".join(f"<p>{escape(line)}</p>" for line in lines)
    body += f'<p><a href="{escape(accept)}">Register</a></p>'
    body += f'<p>Cannot come? <a href="{escape(decline)}">Decline the invitation</a></p>'
    html = f"<!doctype html><html><body>{body}<p>— Lectern</p></body></html>"
    return Email(to=to, subject=f"You are invited: {event.title}", text=text, html=html)
