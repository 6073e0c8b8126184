"""Public verification of a certificate by its number (no sign-in): what it says, whether it is
still valid, and whether the record is intact (its signature).

* `verify_url(number)` — the one URL the QR code and the mails point at: the HTML page.
* `lookup(number)` — GetItem `CERTNO#<number>` → GetItem `CERT#<id>` (2 calls; a third GetItem
  only for a superseded certificate, to name its replacement's number).
* `throttle(ip, now)` — every public certificate request counts in a per-IP fixed window
  (one UpdateItem ADD returning the new count): over `RATE_LIMIT` a minute → 429 Retry-After.
* `html_page(view)` — the page a person reads; everything interpolated is escaped.

An unknown, malformed or not-yet-written number is the same 404. After the holder is erased the
certificate still verifies, with the name "(withheld)".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote, urlsplit

from lectern.certificates import facts as F
from lectern.config import get_settings
from lectern.data.certificates import CertificateItem, CertificateNumberItem
from lectern.errors import NotFound, TooManyRequests
from lectern.throttle import FailureCounter

RATE_LIMIT = 60  # requests per IP per window
RATE_WINDOW_SECONDS = 60
PUBLIC_REQUESTS = FailureCounter("certificate-public", limit=RATE_LIMIT, window_seconds=RATE_WINDOW_SECONDS)
# The facts a verifier sees (internal ids and the eligibility sentence are left out).
PUBLIC_FACTS: tuple[str, ...] = (
    "holder_name",
    "professional_title",
    "event_title",
    "dates",
    "starts_at",
    "ends_at",
    "timezone",
    "cpd_hours",
    "cpd_category",
    "multi_session",
    "sessions_attended",
    "sessions_total",
    "attended_minutes",
)
PUBLIC_SESSION_FACTS: tuple[str, ...] = (
    "title",
    "date",
    "minutes",
    "scheduled_minutes",
    "attended",
    "cpd_hours",
)


def origin() -> str:
    base = urlsplit(get_settings().app_base_url)
    return f"{base.scheme}://{base.netloc}"


def verify_url(number: str) -> str:
    """The public verification page of a certificate (printed as the QR code)."""
    return f"{origin()}/api/v1/public/certificates/{quote(number)}/page"


def json_url(number: str) -> str:
    return f"{origin()}/api/v1/public/certificates/{quote(number)}"


def throttle(ip: str, now: datetime) -> None:
    """Count this request for `ip`; 429 with Retry-After once the window's budget is spent."""
    item, actions = PUBLIC_REQUESTS.increment(ip, now)
    item.update(actions=actions)
    if int(item.failures or 0) > RATE_LIMIT:
        raise TooManyRequests(
            PUBLIC_REQUESTS.retry_after(now),
            "Too many certificate look-ups from this address; wait a minute.",
        )


def _unknown() -> NotFound:
    return NotFound("No certificate has this number.")


def lookup(number: str) -> CertificateItem:
    """The certificate with this public number (any case; 404 when there is none)."""
    canonical = F.normalise_number(number)
    if canonical is None:
        raise _unknown()
    try:
        pointer = CertificateNumberItem.get(*CertificateNumberItem.key(canonical))
        return CertificateItem.get(*CertificateItem.key(pointer.certificate_id))
    except (CertificateNumberItem.DoesNotExist, CertificateItem.DoesNotExist) as exc:
        raise _unknown() from exc


def _number_of(certificate_id: str | None) -> str | None:
    if not certificate_id:
        return None
    try:
        return CertificateItem.get(*CertificateItem.key(certificate_id)).number
    except CertificateItem.DoesNotExist:
        return None


@dataclass(frozen=True)
class Verification:
    number: str
    status: str  # valid | revoked | superseded
    signature_valid: bool
    issued_at: datetime
    issuer: str
    facts: dict[str, Any]
    sessions: list[dict[str, Any]]
    revoked_reason: str | None
    revoked_at: datetime | None
    superseded_by_number: str | None
    holder_withheld: bool

    @property
    def trustworthy(self) -> bool:
        """Valid and intact: the only state the page shows as VALID."""
        return self.status == "valid" and self.signature_valid


def public_facts(cert: CertificateItem) -> tuple[dict[str, Any], list[dict[str, Any]], bool]:
    stored: dict[str, Any] = dict(cert.facts) if isinstance(cert.facts, dict) else {}
    withheld = bool(cert.holder_erased) or not all(k in stored for k in F.PERSONAL_FIELDS)
    shown = F.withheld(stored) if withheld else stored
    sessions = [
        {k: s.get(k) for k in PUBLIC_SESSION_FACTS}
        for s in (shown.get("sessions") or [])
        if isinstance(s, dict)
    ]
    return {k: shown.get(k) for k in PUBLIC_FACTS}, sessions, withheld


def verification(number: str) -> Verification:
    cert = lookup(number)
    public, sessions, withheld = public_facts(cert)
    return Verification(
        number=cert.number,
        status=cert.status,
        signature_valid=F.verify(cert),
        issued_at=cert.issued_at,
        issuer=str((cert.facts or {}).get("issuer") or ""),
        facts=public,
        sessions=sessions,
        revoked_reason=cert.revoked_reason if cert.status == "revoked" else None,
        revoked_at=cert.revoked_at if cert.status == "revoked" else None,
        superseded_by_number=_number_of(cert.superseded_by),
        holder_withheld=withheld,
    )


# ---------------------------------------------------------------- the HTML page

_CSS = """
body{margin:0;background:#f4f5f7;color:#1d2430;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif}
main{max-width:720px;margin:32px auto;padding:0 16px}
.card{background:#fff;border-radius:10px;box-shadow:0 1px 4px rgba(0,0,0,.12);overflow:hidden}
.banner{padding:20px 24px;color:#fff}
.banner h1{margin:0;font-size:26px;letter-spacing:.04em}
.banner p{margin:4px 0 0}
.valid{background:#1e7a46}.revoked{background:#b42318}.superseded{background:#b54708}.tampered{background:#7a1e1e}
.body{padding:20px 24px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:8px 20px;margin:0}
dt{color:#5b6576}dd{margin:0;font-weight:600}
table{width:100%;border-collapse:collapse;margin-top:16px;font-size:14px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e4e7ec}
.number{font-family:ui-monospace,Menlo,Consolas,monospace}
footer{color:#5b6576;font-size:13px;margin-top:16px}
"""


def _banner(v: Verification) -> tuple[str, str, str]:
    """CSS class, heading and sentence."""
    if not v.signature_valid:
        return (
            "tampered",
            "NOT VERIFIED — RECORD ALTERED",
            "This certificate's record failed its integrity check: what it says may have been "
            "changed after it was issued. Do not rely on it; contact the issuer.",
        )
    if v.status == "revoked":
        reason = f" Reason: {v.revoked_reason}." if v.revoked_reason else ""
        return "revoked", "REVOKED", f"The issuer has revoked this certificate.{reason}"
    if v.status == "superseded":
        later = f" by certificate {v.superseded_by_number}" if v.superseded_by_number else ""
        return (
            "superseded",
            "SUPERSEDED",
            f"This certificate was replaced{later} (for example after a name correction).",
        )
    return "valid", "VALID", "This certificate was issued by the issuer below and has not been revoked."


def _row(label: str, value: Any) -> str:
    if value in (None, ""):
        return ""
    return f"<dt>{escape(label)}</dt><dd>{escape(str(value))}</dd>"


def _day(at: datetime) -> str:
    return f"{at.day} {at:%B %Y}"


def _hours(value: Any) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return ""


def html_page(v: Verification) -> str:
    css_class, heading, sentence = _banner(v)
    f = v.facts
    rows = [
        _row("Certificate number", v.number),
        _row("Awarded to", f.get("holder_name")),
        _row("Professional title", f.get("professional_title") if not v.holder_withheld else None),
        _row("Event", f.get("event_title")),
        _row("Dates", f.get("dates")),
        _row("CPD hours", _hours(f.get("cpd_hours"))),
        _row("CPD category", f.get("cpd_category")),
        _row("Issued by", v.issuer),
        _row("Issued on", _day(v.issued_at)),
    ]
    if v.status == "revoked" and v.revoked_at is not None:
        rows.append(_row("Revoked on", _day(v.revoked_at)))
    if v.status == "superseded" and v.superseded_by_number:
        rows.append(_row("Replaced by", v.superseded_by_number))
    table = ""
    if f.get("multi_session") and v.sessions:
        body = "".join(
            "<tr>"
            f"<td>{escape(str(s.get('title') or ''))}</td>"
            f"<td>{escape(str(s.get('date') or ''))}</td>"
            f"<td>{escape(str(int(s.get('minutes') or 0)))} min"
            f"{'' if s.get('attended') else ' (not counted)'}</td>"
            f"<td>{escape(_hours(s.get('cpd_hours')) or '—')}</td>"
            "</tr>"
            for s in v.sessions
        )
        table = (
            "<table><thead><tr><th>Session</th><th>Date</th><th>Attended</th><th>CPD hours</th></tr></thead>"
            f"<tbody>{body}</tbody></table>"
        )
    withheld = (
        "<p>The holder's name is withheld at their request; the certificate itself remains valid.</p>"
        if v.holder_withheld and v.trustworthy
        else ""
    )
    title = f"{heading.title()} certificate {v.number}"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body><main>"
        f'<div class="card"><div class="banner {css_class}"><h1>{escape(heading)}</h1>'
        f"<p>{escape(sentence)}</p></div>"
        f'<div class="body"><dl>{"".join(rows)}</dl>{table}{withheld}</div></div>'
        "<footer>Verified by Lectern against the issuer's records at the time of this request. "
        f'Machine-readable: <a href="{escape(json_url(v.number))}">{escape(json_url(v.number))}</a>'
        "</footer></main></body></html>"
    )


def not_found_page() -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>Certificate not found</title><style>{_CSS}</style></head><body><main>"
        '<div class="card"><div class="banner tampered"><h1>NOT FOUND</h1>'
        "<p>No certificate has this number. Check the number on the certificate, "
        "or scan its QR code again.</p></div></div></main></body></html>"
    )
