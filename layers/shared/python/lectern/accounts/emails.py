"""The account mails. Links carry their token as a `token=` query parameter."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from lectern.config import get_settings
from lectern.integrations.mail import Email


def _link(path: str, token: str) -> str:
    return f"{get_settings().app_base_url.rstrip('/')}{path}?{urlencode({'token': token})}"


def _wrap(to: str, subject: str, lines: list[str], link: str | None = None, label: str = "") -> Email:
    text = "\n\n".join(lines + ([f"{label}: {link}"] if link else [])) + "\n\n— Lectern\n"
    body = "".join(f"<p>{escape(line)}</p>" for line in lines)
    if link:
        body += f'<p><a href="{escape(link)}">{escape(label)}</a></p><p>{escape(link)}</p>'
    html = f"<!doctype html><html><body>{body}<p>— Lectern</p></body></html>"
    return Email(to=to, subject=subject, text=text, html=html)


def verify_email(to: str, name: str, token: str) -> Email:
    return _wrap(
        to,
        "Confirm your email address",
        [
            f"Hello {name},",
            "Confirm your email address to finish setting up your Lectern account.",
            "The link is valid for 24 hours.",
        ],
        _link("/verify-email", token),
        "Confirm my email",
    )


def already_registered(to: str, name: str) -> Email:
    return _wrap(
        to,
        "You already have a Lectern account",
        [
            f"Hello {name},",
            "Someone (probably you) tried to create a Lectern account with this address, "
            "which already has one. You can sign in, or reset your password if you have forgotten it.",
            "If this was not you, you can ignore this message.",
        ],
        f"{get_settings().app_base_url.rstrip('/')}/login",
        "Sign in",
    )


def password_reset(to: str, name: str, token: str) -> Email:
    return _wrap(
        to,
        "Reset your Lectern password",
        [
            f"Hello {name},",
            "We received a request to reset your password. The link is valid for one hour "
            "and can be used once.",
            "If you did not ask for this, ignore this message: your password is unchanged.",
        ],
        _link("/reset-password", token),
        "Choose a new password",
    )


def password_changed(to: str, name: str) -> Email:
    return _wrap(
        to,
        "Your Lectern password was changed",
        [
            f"Hello {name},",
            "The password of your Lectern account was just changed and your other sessions were signed out.",
            "If this was not you, reset your password now and contact support.",
        ],
    )
