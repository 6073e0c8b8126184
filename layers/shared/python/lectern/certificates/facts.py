"""What a certificate says (its *facts*), its public number, and the signature over both.

Facts
-----
`build_facts(event, sessions, registration, issuer=...)` is the one place that turns an event,
its sessions and a registration into the dict stored on the certificate, printed on the PDF and
shown by public verification. Only JSON types (str, int, float, bool, list, dict, None), so the
stored copy reads back identical and the signature is reproducible.

CPD hours: when any (non-cancelled) session of a multi-session event sets `cpd_hours`, the
certificate earns the hours of the sessions *attended* (a session without hours adds none);
otherwise the event's `cpd_hours`.

Number
------
`LCT-XXXX-XXXX-XXXX-XXXX`: 80 random bits in Crockford base32 (no I, L, O, U), so numbers
are unguessable (2^80) and easy to read out over the phone.

Signature
---------
HMAC-SHA256 with the key `lectern.secrets.derived_key("certificate-signature")`, over canonical
JSON (sorted keys, no whitespace, UTF-8) of the facts, the number and the issue time. Verification
is online by design — only the server can say whether a certificate is still valid (revoked and
superseded are states, not facts) — so a symmetric key is enough and costs nothing to import or
compute; an offline-verifiable signature (Ed25519) would still report "valid" for a revoked
certificate.

The holder's personal fields (`PERSONAL_FIELDS`) are not signed directly: the signature covers
their keyed digest, which the signature string carries (`v1.<digest>.<mac>`). So after the holder
is erased (the name removed from the facts) the certificate still verifies, with the name
withheld; while the name is present, changing it breaks the digest and verification fails.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets as _random
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lectern import secrets
from lectern.data.certificates import CertificateItem, CpdCertificateEntryItem
from lectern.data.events import EventItem
from lectern.data.registrations import RegistrationItem
from lectern.events.sessions_view import SessionView

FACTS_VERSION = 1
PERSONAL_FIELDS: tuple[str, ...] = ("holder_name", "professional_title")
WITHHELD = "(withheld)"
SIGNATURE_VERSION = "v1"
_KEY_PURPOSE = "certificate-signature"

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
NUMBER_PREFIX = "LCT"
_GROUP = "[0-9A-HJKMNP-TV-Z]{4}"
_NUMBER = re.compile(rf"^LCT-{_GROUP}-{_GROUP}-{_GROUP}-{_GROUP}$")
DASH = "\u2013"  # the en dash of date ranges
_CENT = Decimal("0.01")


# ---------------------------------------------------------------- facts


def _hours(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(_CENT, rounding=ROUND_HALF_UP)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _day(dt: datetime) -> str:
    return f"{dt.day} {dt:%B %Y}"


def when(starts_at: datetime, ends_at: datetime, timezone: str) -> str:
    """The event's dates as printed: "1 March 2030, 10:00-11:00 (Europe/London)", or over several
    days "28 February 2030 10:00 - 2 March 2030 17:00 (Europe/London)" (with en dashes)."""
    tz = zone(timezone)
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    label = f"({tz.key})"
    if start.date() == end.date():
        return f"{_day(start)}, {start:%H:%M}{DASH}{end:%H:%M} {label}"
    return f"{_day(start)} {start:%H:%M} {DASH} {_day(end)} {end:%H:%M} {label}"


def _session_minutes(registration: RegistrationItem, session_id: str) -> tuple[int, bool]:
    got = (registration.session_attendance or {}).get(session_id) or {}
    return int(got.get("minutes") or 0), bool(got.get("attended"))


def cpd_hours(event: EventItem, sessions: Sequence[SessionView], attended: Iterable[str]) -> Decimal:
    """The hours a certificate earns (see the module docstring)."""
    counted = [s for s in sessions if s.status != "cancelled" and not s.virtual]
    if event.is_multi_session and any(s.cpd_hours is not None for s in counted):
        done = set(attended)
        return sum((_hours(s.cpd_hours) for s in counted if s.session_id in done), Decimal("0.00"))
    return _hours(event.cpd_hours)


def build_facts(
    event: EventItem,
    sessions: Sequence[SessionView],
    registration: RegistrationItem,
    *,
    issuer: str,
    explanation: str = "",
) -> dict[str, Any]:
    """The facts of `registration`'s certificate for `event` (sessions from
    `sessions_view.sessions_of`); `explanation` is the eligibility sentence that counted."""
    tz = zone(event.timezone)
    rows: list[dict[str, Any]] = []
    attended_ids: list[str] = []
    for s in sessions:
        if s.status == "cancelled":
            continue
        minutes, attended = _session_minutes(registration, s.session_id)
        if attended:
            attended_ids.append(s.session_id)
        rows.append(
            {
                "session_id": s.session_id,
                "title": s.title,
                "date": _day(s.starts_at.astimezone(tz)),
                "scheduled_minutes": s.duration_seconds // 60,
                "minutes": minutes,
                "attended": attended,
                "cpd_hours": None if s.cpd_hours is None else float(_hours(s.cpd_hours)),
            }
        )
    multi = bool(event.is_multi_session)
    return {
        "version": FACTS_VERSION,
        "holder_name": registration.full_name,
        "professional_title": registration.professional_title or "",
        "event_id": event.event_id,
        "event_title": event.title,
        "starts_at": event.starts_at.astimezone(UTC).isoformat(),
        "ends_at": event.ends_at.astimezone(UTC).isoformat(),
        "timezone": tz.key,
        "dates": when(event.starts_at, event.ends_at, tz.key),
        "cpd_hours": float(cpd_hours(event, sessions, attended_ids)),
        "cpd_category": event.cpd_category or "",
        "multi_session": multi,
        "sessions": rows if multi else [],
        "sessions_attended": len(attended_ids),
        "sessions_total": len(rows),
        "attended_minutes": int(registration.total_attendance_minutes or 0),
        "issuer": issuer,
        "eligibility": explanation,
    }


def sample_facts() -> dict[str, Any]:
    """Facts for template previews: a three-session event and a name with diacritics."""
    sessions = [
        ("Foundations", "2 March 2030", 90, 90, 1.5),
        ("Case studies", "9 March 2030", 90, 84, 1.5),
        ("Assessment and reflection", "16 March 2030", 60, 58, 1.0),
    ]
    return {
        "version": FACTS_VERSION,
        "holder_name": "Łukasz Żółć-Nuñez",
        "professional_title": "Chartered Physiotherapist",
        "event_id": "00000000-0000-4000-8000-000000000000",
        "event_title": "Clinical Reasoning in Practice",
        "starts_at": "2030-03-02T09:00:00+00:00",
        "ends_at": "2030-03-16T10:00:00+00:00",
        "timezone": "Europe/London",
        "dates": f"2 March 2030 09:00 {DASH} 16 March 2030 10:00 (Europe/London)",
        "cpd_hours": 4.0,
        "cpd_category": "Clinical practice",
        "multi_session": True,
        "sessions": [
            {
                "session_id": f"00000000-0000-4000-8000-00000000000{i}",
                "title": title,
                "date": day,
                "scheduled_minutes": scheduled,
                "minutes": minutes,
                "attended": True,
                "cpd_hours": hours,
            }
            for i, (title, day, scheduled, minutes, hours) in enumerate(sessions, start=1)
        ],
        "sessions_attended": 3,
        "sessions_total": 3,
        "attended_minutes": 232,
        "issuer": "Example Training Ltd",
        "eligibility": "Eligible: attended 3 of 3 sessions (at least 2 required).",
    }


def withheld(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The facts with the holder's personal fields replaced by "(withheld)"."""
    out = dict(facts)
    for key in PERSONAL_FIELDS:
        out[key] = WITHHELD
    return out


def erased(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The facts without the holder's personal fields (what to store when the holder is erased;
    the signature still verifies — see the module docstring)."""
    return {k: v for k, v in facts.items() if k not in PERSONAL_FIELDS}


def ledger_entry(cert: CertificateItem, user_id: str, status: str | None = None) -> CpdCertificateEntryItem:
    """The holder's CPD ledger line for a certificate, in their partition (its hours count in
    the CPD summary while its status is valid). The hours count on the event's last day, in the
    event's timezone."""
    facts: dict[str, Any] = dict(cert.facts or {})
    ends = str(facts.get("ends_at") or cert.issued_at.isoformat())
    last_day = datetime.fromisoformat(ends).astimezone(zone(str(facts.get("timezone") or "UTC"))).date()
    return CpdCertificateEntryItem(
        *CpdCertificateEntryItem.key(user_id, cert.certificate_id),
        certificate_id=cert.certificate_id,
        user_id=user_id,
        title=str(facts.get("event_title") or ""),
        provider=str(facts.get("issuer") or ""),
        category=str(facts.get("cpd_category") or ""),
        hours=float(facts.get("cpd_hours") or 0),
        completed_on=last_day.isoformat(),
        status=status or cert.status,
    )


# ---------------------------------------------------------------- number


def new_number() -> str:
    """`LCT-XXXX-XXXX-XXXX-XXXX`: 80 random bits, Crockford base32."""
    value = int.from_bytes(_random.token_bytes(10), "big")
    chars = "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(16)))
    return "-".join([NUMBER_PREFIX, chars[0:4], chars[4:8], chars[8:12], chars[12:16]])


def normalise_number(text: str) -> str | None:
    """A number as typed (any case, spaces around, O/I/L misread as 0/1) → its canonical form,
    or None when it cannot be a certificate number."""
    value = text.strip().upper()
    if len(value) != 23 or not value.startswith(f"{NUMBER_PREFIX}-"):
        return None
    value = NUMBER_PREFIX + value[3:].replace("O", "0").replace("I", "1").replace("L", "1")
    return value if _NUMBER.match(value) else None


# ---------------------------------------------------------------- signature


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _mac(key: bytes, value: Any) -> str:
    digest = hmac.new(key, _canonical(value), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _personal_digest(key: bytes, facts: Mapping[str, Any]) -> str:
    return _mac(key, {"personal": {k: facts.get(k, "") for k in PERSONAL_FIELDS}})


def _signed_mac(key: bytes, facts: Mapping[str, Any], digest: str, number: str, issued_at: datetime) -> str:
    return _mac(
        key,
        {
            "facts": {k: v for k, v in facts.items() if k not in PERSONAL_FIELDS},
            "personal": digest,
            "number": number,
            "issued_at": issued_at.astimezone(UTC).isoformat(),
        },
    )


def sign(facts: Mapping[str, Any], number: str, issued_at: datetime) -> str:
    """`v1.<keyed digest of the personal fields>.<HMAC over everything>`."""
    key = secrets.derived_key(_KEY_PURPOSE)
    digest = _personal_digest(key, facts)
    return ".".join([SIGNATURE_VERSION, digest, _signed_mac(key, facts, digest, number, issued_at)])


def verify_signature(facts: Mapping[str, Any], number: str, issued_at: datetime, signature: str) -> bool:
    parts = (signature or "").split(".")
    if len(parts) != 3 or parts[0] != SIGNATURE_VERSION:
        return False
    _, digest, mac = parts
    key = secrets.derived_key(_KEY_PURPOSE)
    if any(k in facts for k in PERSONAL_FIELDS) and not hmac.compare_digest(
        digest, _personal_digest(key, facts)
    ):
        return False
    return hmac.compare_digest(mac, _signed_mac(key, facts, digest, number, issued_at))


def verify(certificate: CertificateItem) -> bool:
    """True when the stored facts, number and issue time are what was signed."""
    facts = certificate.facts if isinstance(certificate.facts, Mapping) else {}
    return verify_signature(facts, certificate.number, certificate.issued_at, certificate.signature)
