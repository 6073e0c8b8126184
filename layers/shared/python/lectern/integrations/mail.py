"""Mail port. Production sends through SES; local mode uses the same SES adapter against the
embedded emulator, which captures every message (read back at GET /_dev/emails)."""

from __future__ import annotations

from dataclasses import dataclass
from email import message_from_bytes, message_from_string
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import formatdate, make_msgid
from typing import Protocol

from lectern import aws
from lectern.config import get_settings


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "text/calendar"
    data: bytes


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


class Mailer(Protocol):
    def send(self, message: Email) -> None: ...


class SesMailer:
    """Sends a multipart/alternative (text + HTML) message with SES SendRawEmail, through the
    deployment's configuration set when one is configured (its event destination reports
    bounces and complaints: functions/workers/mail_feedback.py)."""

    def send(self, message: Email) -> None:
        settings = get_settings()
        config_set = settings.ses_configuration_set
        extra = {"ConfigurationSetName": config_set} if config_set else {}
        aws.client("ses").send_raw_email(
            Source=settings.mail_from,
            Destinations=[message.to],
            RawMessage={"Data": to_mime(message, settings.mail_from).as_bytes()},
            **extra,
        )


def to_mime(message: Email, sender: str) -> EmailMessage:
    mime = EmailMessage()
    mime["Subject"] = message.subject
    mime["From"] = sender
    mime["To"] = message.to
    mime["Date"] = formatdate(localtime=False)
    mime["Message-ID"] = make_msgid(domain="lectern")
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    for a in message.attachments:
        maintype, _, subtype = a.content_type.partition("/")
        mime.add_attachment(a.data, maintype=maintype, subtype=subtype or "octet-stream", filename=a.filename)
    return mime


def from_mime(raw: str | bytes) -> dict[str, str]:
    """Subject, recipient, text and HTML of a raw message (the local mail viewer reads these)."""
    parsed = (
        message_from_bytes(raw, policy=default_policy)
        if isinstance(raw, bytes)
        else message_from_string(raw, policy=default_policy)
    )
    out = {"to": str(parsed["To"] or ""), "subject": str(parsed["Subject"] or ""), "text": "", "html": ""}
    for part in parsed.walk():  # type: ignore[attr-defined]
        ctype = part.get_content_type()
        if part.get_content_disposition() == "attachment":
            continue
        if ctype == "text/plain" and not out["text"]:
            out["text"] = part.get_content()
        elif ctype == "text/html" and not out["html"]:
            out["html"] = part.get_content()
    return out


class MemoryMailer:
    """A fake for unit tests."""

    def __init__(self) -> None:
        self.sent: list[Email] = []

    def send(self, message: Email) -> None:
        self.sent.append(message)
