"""The reminder mail: the organiser's subject/message (or a default), the join link (the
registrant's personal Zoom link if they have one, else the event's), the event page, a cancel
link before the event, and the event's .ics."""

from __future__ import annotations

from html import escape

from lectern.data.events import EventItem
from lectern.data.registrations import RegistrationItem
from lectern.data.reminders import ReminderItem
from lectern.events.ics import event_calendar, event_url
from lectern.integrations.mail import Attachment, Email


def join_url(event: EventItem, registration: RegistrationItem) -> str | None:
    personal = (registration.zoom_joins or {}).get(event.event_id) or {}
    url = personal.get("join_url") if isinstance(personal, dict) else None
    return str(url) if url else (event.zoom_join_url or None)


def _when(event: EventItem) -> str:
    return f"{event.starts_at.isoformat()} ({event.timezone})"


def reminder_mail(reminder: ReminderItem, event: EventItem, registration: RegistrationItem) -> Email:
    before = reminder.anchor == "before_start"
    subject = reminder.subject or (
        f"Reminder: {event.title}" if before else f"Thank you for attending {event.title}"
    )
    lines = [f"Hello {registration.full_name},"]
    if reminder.message:
        lines.append(reminder.message)
    elif before:
        lines.append(f"A reminder: “{event.title}” starts at {_when(event)}.")
    else:
        lines.append(f"Thank you for attending “{event.title}”.")
    link = join_url(event, registration) if before else None
    if before and event.location:
        lines.append(f"Where: {event.location}")
    page = event_url(event.event_id)
    cancel = None
    if before:
        from lectern.registrations.emails import cancel_link

        cancel = cancel_link(registration.registration_id, event)
    links = [
        *([("Join online", link)] if link else []),
        ("Event page", page),
        *([("Cannot come? Cancel your registration", cancel)] if cancel else []),
    ]
    text = "\n\n".join([*lines, *(f"{label}: {url}" for label, url in links)]) + "\n\n— Lectern\n"
    body = "".join(f"<p>{escape(line)}</p>" for line in lines)
    body += "".join(f'<p><a href="{escape(url)}">{escape(label)}</a></p>' for label, url in links)
    html = f"<!doctype html><html><body>{body}<p>— Lectern</p></body></html>"
    data = event_calendar([event])
    ics = data.encode("utf-8") if isinstance(data, str) else data
    return Email(
        to=registration.email,
        subject=subject,
        text=text,
        html=html,
        attachments=(Attachment("event.ics", "text/calendar", ics),),
    )
