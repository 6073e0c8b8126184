"""Mail port. Production sends through SES; local mode uses the same SES adapter against the
embedded emulator, which captures every message (read back at GET /_dev/emails)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from lectern import aws
from lectern.config import get_settings


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str


class Mailer(Protocol):
    def send(self, message: Email) -> None: ...


class SesMailer:
    def send(self, message: Email) -> None:
        aws.client("ses").send_email(
            Source=get_settings().mail_from,
            Destination={"ToAddresses": [message.to]},
            Message={
                "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": message.text, "Charset": "UTF-8"},
                    "Html": {"Data": message.html, "Charset": "UTF-8"},
                },
            },
        )


class MemoryMailer:
    """A fake for unit tests."""

    def __init__(self) -> None:
        self.sent: list[Email] = []

    def send(self, message: Email) -> None:
        self.sent.append(message)
