"""Issuing, revoking and re-issuing certificates (PRODUCT.md §6).

`issue_one` is the unit the pipeline maps over (and what an automatic run calls per
registration). At most one *live* certificate per registration, whatever the retries or races:
the `RegistrationCertificate` pointer is written with `attribute_not_exists` in the issuing
transaction, and the loser of a race deletes the PDF it uploaded and answers
`skipped / already_issued`.

Calls per issued certificate:
  Query event partition (event + sessions) → BatchGetItem (registration, its certificate
  pointer, the organiser's profile) → [Query the template's latest version, when the event names
  one] → S3 PutObject (the PDF) → TransactWriteItems (pointer cond. not exists, registration
  condition check, certificate, number cond. not exists, template count, CPD entry, audit) →
  SES SendRawEmail → EventBridge PutEvents.
A skip costs the two reads only.

Revoke: GetItem → TransactWriteItems (certificate cond. valid, CPD entry → revoked, audit).
The pointer stays, so automatic runs never silently issue again; `reissue` is the deliberate way.

Re-issue (after a name correction): GetItem certificate → the two issue reads → render → S3 →
TransactWriteItems (pointer cond. still the old certificate, old certificate → superseded cond.
unchanged, new certificate + number, template count, old CPD entry deleted, new one put,
audit). A revoked certificate can be re-issued too: it stays revoked and names its replacement.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any, Literal
from urllib.parse import urlencode

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from lectern import audit, aws
from lectern.attendance.recompute import effective
from lectern.certificates import access, render, templates, verification
from lectern.certificates import facts as F
from lectern.config import get_settings
from lectern.data import tx
from lectern.data.accounts import UserItem
from lectern.data.base import TableItem
from lectern.data.certificates import (
    CertificateItem,
    CertificateNumberItem,
    CertificateTemplateItem,
    CpdCertificateEntryItem,
    RegistrationCertificateItem,
)
from lectern.data.events import EventItem
from lectern.data.registrations import RegistrationItem
from lectern.deps import Deps
from lectern.errors import Conflict, NotFound
from lectern.events import sessions_view
from lectern.events.sessions_view import SessionView
from lectern.integrations import storage
from lectern.integrations.bus import DomainEvent
from lectern.integrations.mail import Email
from lectern.request import RequestMeta

logger = logging.getLogger("lectern.certificates")

PDF_CONTENT_TYPE = "application/pdf"
MAX_ATTEMPTS = 3  # reads after a lost race
CONFLICT_ATTEMPTS = 6  # commits of one prepared certificate while other transactions hold its items
CONFLICT_BACKOFF_SECONDS = 0.025
RESOURCE = "certificate"

Status = Literal["issued", "skipped", "failed"]


@dataclass(frozen=True)
class IssueOutcome:
    registration_id: str
    status: Status
    certificate_id: str | None
    reason: str  # "" when issued; else e.g. not_eligible, already_issued, registration_cancelled


def pdf_key(event_id: str, certificate_id: str) -> str:
    return storage.scoped_key(f"certificates/{event_id}", f"{certificate_id}.pdf")


# ---------------------------------------------------------------- reading


@dataclass
class Snapshot:
    """What issuing reads: the event and its sessions (one Query), then the registration, its
    live-certificate pointer and the organiser's profile (one BatchGetItem)."""

    event: EventItem
    sessions: list[SessionView]
    registration: RegistrationItem | None
    live: RegistrationCertificateItem | None
    organiser: UserItem | None


def read(event_id: str, registration_id: str) -> Snapshot | None:
    """None when the event does not exist."""
    try:
        event, items = sessions_view.load(event_id)
    except NotFound:
        return None
    keys = [
        RegistrationItem.key(registration_id),
        RegistrationCertificateItem.key(registration_id),
        UserItem.key(event.owner_id),
    ]
    snap = Snapshot(event, sessions_view.sessions_of(event, items), None, None, None)
    for item in TableItem.batch_get(keys, consistent_read=True):
        if isinstance(item, RegistrationItem):
            snap.registration = item
        elif isinstance(item, RegistrationCertificateItem):
            snap.live = item
        elif isinstance(item, UserItem):
            snap.organiser = item
    return snap


def skip_reason(
    event: EventItem,
    registration: RegistrationItem | None,
    live: RegistrationCertificateItem | None,
) -> str | None:
    """Why a registration gets no certificate now (None: it would be issued). The pipeline's dry
    run uses the same rule."""
    if registration is None or registration.event_id != event.event_id:
        return "registration_not_found"
    if registration.status == "cancelled":
        return "registration_cancelled"
    if registration.status != "confirmed":
        return "registration_not_confirmed"
    if event.status != "completed":
        return "event_not_completed"
    if live is not None:
        return "already_issued"
    if not effective(registration)[0]:
        return "not_eligible"
    return None


def issuer_name(organiser: UserItem | None) -> str:
    if organiser is None:
        return ""
    return organiser.organization_name or organiser.full_name or ""


# ---------------------------------------------------------------- building one certificate


@dataclass
class Prepared:
    certificate: CertificateItem
    template: CertificateTemplateItem | None
    pdf: bytes


def prepare(snap: Snapshot, registration: RegistrationItem, *, run_id: str | None, deps: Deps) -> Prepared:
    """The certificate item (facts, number, signature) and its PDF; nothing is written."""
    event = snap.event
    template = templates.version_for_issue(event.owner_id, event.certificate_template_id)
    layout = templates.layout_of(template)
    issuer = str(layout.get("issuer_name") or "") or issuer_name(snap.organiser)
    _, explanation = effective(registration)
    facts = F.build_facts(event, snap.sessions, registration, issuer=issuer, explanation=explanation)
    certificate_id = deps.ids()
    number = F.new_number()
    now = deps.clock.now()
    cert = CertificateItem(
        *CertificateItem.key(certificate_id),
        certificate_id=certificate_id,
        number=number,
        event_id=event.event_id,
        owner_id=event.owner_id,
        registration_id=registration.registration_id,
        user_id=registration.user_id,
        email=registration.email,
        template_id=template.template_id if template else None,
        template_version=int(template.version) if template else None,
        facts=facts,
        signature=F.sign(facts, number, now),
        status="valid",
        pdf_key=pdf_key(event.event_id, certificate_id),
        run_id=run_id,
        issued_at=now,
    )
    cert.gsi1pk, cert.gsi1sk = CertificateItem.event_index(event.event_id, certificate_id)
    cert.gsi2pk, cert.gsi2sk = CertificateItem.holder_index(
        registration.user_id, registration.email, certificate_id
    )
    pdf = render.render_pdf(
        orientation=template.orientation if template else "landscape",
        layout=layout,
        facts=facts,
        verify_url=verification.verify_url(number),
        number=number,
        issued_at=now,
        images=templates.load_image,
    )
    return Prepared(cert, template, pdf)


def _upload(p: Prepared) -> None:
    """Private object; encryption is the bucket's default (SSE-S3)."""
    aws.client("s3").put_object(
        Bucket=get_settings().files_bucket,
        Key=p.certificate.pdf_key,
        Body=p.pdf,
        ContentType=PDF_CONTENT_TYPE,
        ContentDisposition=f'attachment; filename="{access.filename(p.certificate)}"',
    )


def _delete_pdf(key: str | None) -> None:
    if key:
        aws.client("s3").delete_object(Bucket=get_settings().files_bucket, Key=key)


def _same_holder(cert: CertificateItem) -> Any:
    """Condition: the certificate is still held as read (an account link meanwhile moves its
    ledger entry, so the transaction must read again)."""
    if cert.user_id:
        return CertificateItem.user_id == cert.user_id
    return CertificateItem.user_id.does_not_exist()


def _registration_unchanged(t: TransactWrite, reg: RegistrationItem) -> None:
    """Still confirmed, and still held by the same account (or still a guest's): a concurrent
    cancel or account link makes the issue read again."""
    holder = (
        RegistrationItem.user_id == reg.user_id if reg.user_id else RegistrationItem.user_id.does_not_exist()
    )
    t.condition_check(
        RegistrationItem,
        *RegistrationItem.key(reg.registration_id),
        condition=(RegistrationItem.status == "confirmed") & holder,
    )


def _add_new(t: TransactWrite, p: Prepared) -> None:
    cert = p.certificate
    t.save(cert, condition=CertificateItem.pk.does_not_exist())
    t.save(
        CertificateNumberItem(*CertificateNumberItem.key(cert.number), certificate_id=cert.certificate_id),
        condition=CertificateNumberItem.pk.does_not_exist(),
    )
    if p.template is not None:
        templates.count_issue(t, p.template)
    if cert.user_id:
        t.save(F.ledger_entry(cert, cert.user_id))


def _commit(build: Callable[[TransactWrite], None], *, sleep: Callable[[float], None] = time.sleep) -> None:
    """One TransactWriteItems; a cancellation by `TransactionConflict` alone (another
    transaction on one of its items in flight — e.g. concurrent issues counting the same template
    version) is retried with jittered backoff, without reading or rendering again. A failed
    condition raises at once."""
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            with tx.write() as t:
                build(t)
            return
        except TransactWriteError as exc:
            if not tx.conflict_only(exc) or attempt == CONFLICT_ATTEMPTS - 1:
                raise
            tx.backoff(attempt, CONFLICT_BACKOFF_SECONDS, sleep=sleep)


# ---------------------------------------------------------------- mail and events


def _mail(cert: CertificateItem, now: datetime) -> Email:
    base = get_settings().app_base_url.rstrip("/")
    facts: dict[str, Any] = dict(cert.facts or {})
    name = str(facts.get("holder_name") or "")
    event = str(facts.get("event_title") or "")
    verify = verification.verify_url(cert.number)
    lines = [
        f"Hello {name},",
        f"Your certificate for “{event}” is ready (certificate number {cert.number}).",
    ]
    if cert.user_id:
        link, label = f"{base}/me/certificates", "My certificates"
        lines.append("Sign in to Lectern to download it at any time from your certificates.")
    else:
        token, expires = access.download_token(cert.certificate_id, now)
        link = (
            f"{verification.origin()}{access.guest_download_path(cert.number)}?{urlencode({'token': token})}"
        )
        label = "Download my certificate"
        lines.append(
            f"Download it with the link below until {expires.day} {expires:%B %Y}. Create a Lectern "
            "account with this email address to keep it under your certificates."
        )
    lines.append(f"Anyone can check it is genuine at {verify}")
    text = "\n\n".join([*lines, f"{label}: {link}"]) + "\n\n— Lectern\n"
    body = "".join(f"<p>{escape(line)}</p>" for line in lines)
    body += f'<p><a href="{escape(link)}">{escape(label)}</a></p><p>{escape(link)}</p>'
    html = f"<!doctype html><html><body>{body}<p>— Lectern</p></body></html>"
    return Email(to=cert.email, subject=f"Your certificate: {event}"[:200], text=text, html=html)


def _notify(cert: CertificateItem, deps: Deps, correlation_id: str, now: datetime) -> None:
    try:
        deps.mailer.send(_mail(cert, now))
    except Exception:  # a mail outage must not undo an issued certificate
        logger.exception("certificate mail not sent", extra={"certificate_id": cert.certificate_id})
    deps.bus.publish(
        [
            DomainEvent(
                "lectern.certificate.issued",
                {
                    "certificate_id": cert.certificate_id,
                    "number": cert.number,
                    "event_id": cert.event_id,
                    "registration_id": cert.registration_id,
                    "owner_id": cert.owner_id,
                    "user_id": cert.user_id,
                    "run_id": cert.run_id,
                    "supersedes": cert.supersedes,
                },
                occurred_at=now,
                correlation_id=correlation_id,
            )
        ]
    )


# ---------------------------------------------------------------- issue


def _first_issue(t: TransactWrite, *, reg: RegistrationItem, p: Prepared, log: audit.Auditor) -> None:
    """The issuing transaction: the registration's pointer (cond. none yet), the registration
    unchanged, the certificate and its number, the template count, the CPD entry, the audit."""
    cert = p.certificate
    t.save(
        RegistrationCertificateItem(
            *RegistrationCertificateItem.key(reg.registration_id),
            certificate_id=cert.certificate_id,
            event_id=cert.event_id,
        ),
        condition=RegistrationCertificateItem.pk.does_not_exist(),
    )
    _registration_unchanged(t, reg)
    _add_new(t, p)
    t.save(
        log.entry(
            "lectern.certificate.issued",
            RESOURCE,
            cert.certificate_id,
            event_id=cert.event_id,
            registration_id=reg.registration_id,
            number=cert.number,
            run_id=cert.run_id or "",
        )
    )


def issue_one(
    *,
    event_id: str,
    registration_id: str,
    run_id: str | None,
    deps: Deps,
    force: bool = False,
    correlation_id: str = "",
) -> IssueOutcome:
    """Issue the registration's certificate if it is due (see the module docstring).

    `force=True` is for a deliberate organiser request: a registration whose certificate was
    revoked gets a new one (the revoked one stays revoked and names it). It never overrides
    eligibility — only the organiser's override on the registration does — and never makes a
    second live certificate."""
    for _ in range(MAX_ATTEMPTS):
        snap = read(event_id, registration_id)
        if snap is None:
            return IssueOutcome(registration_id, "skipped", None, "event_not_found")
        reg, live = snap.registration, snap.live
        reason = skip_reason(snap.event, reg, live)
        if reason == "already_issued" and force and live is not None and reg is not None:
            return _replace_revoked(snap, reg, live, run_id=run_id, deps=deps, correlation_id=correlation_id)
        if reason is not None or reg is None:
            return IssueOutcome(
                registration_id,
                "skipped",
                live.certificate_id if live else None,
                reason or "registration_not_found",
            )
        p = prepare(snap, reg, run_id=run_id, deps=deps)
        cert = p.certificate
        _upload(p)
        log = audit.Auditor(snap.event.owner_id, cert.issued_at, deps.ids)
        try:
            _commit(functools.partial(_first_issue, reg=reg, p=p, log=log))
        except TransactWriteError as exc:
            _delete_pdf(cert.pdf_key)  # the orphan: no record points at it
            if tx.lost_race(exc):
                continue  # read again: another issue won, or the registration changed
            raise
        _notify(cert, deps, correlation_id, cert.issued_at)
        return IssueOutcome(registration_id, "issued", cert.certificate_id, "")
    return IssueOutcome(registration_id, "failed", None, "conflict")


def _replace_revoked(
    snap: Snapshot,
    reg: RegistrationItem,
    live: RegistrationCertificateItem,
    *,
    run_id: str | None,
    deps: Deps,
    correlation_id: str,
) -> IssueOutcome:
    old = access.get(live.certificate_id)
    if old.status != "revoked":
        return IssueOutcome(reg.registration_id, "skipped", old.certificate_id, "already_issued")
    if not effective(reg)[0]:
        return IssueOutcome(reg.registration_id, "skipped", old.certificate_id, "not_eligible")
    try:
        new = _supersede(old, snap, reg, actor_id=None, ip=None, run_id=run_id, deps=deps)
    except Conflict:
        return IssueOutcome(reg.registration_id, "skipped", old.certificate_id, "already_issued")
    _notify(new, deps, correlation_id, new.issued_at)
    return IssueOutcome(reg.registration_id, "issued", new.certificate_id, "")


# ---------------------------------------------------------------- revoke and re-issue


def _changed() -> Conflict:
    return Conflict("The certificate changed meanwhile; reload it.", code="certificate_changed")


def revoke(
    *, owner_id: str, certificate_id: str, reason: str, meta: RequestMeta, deps: Deps
) -> CertificateItem:
    now = deps.clock.now()
    log = audit.Auditor(owner_id, now, deps.ids, meta.ip)
    for _ in range(MAX_ATTEMPTS):
        cert = access.owned(owner_id, certificate_id)
        if cert.status != "valid":
            raise Conflict(f"The certificate is already {cert.status}.", code="certificate_not_valid")
        try:
            _revoke_once(cert, owner_id, reason, now, log)
        except TransactWriteError as exc:
            if tx.lost_race(exc):
                continue  # revoked, re-issued or linked meanwhile: read again
            raise
        break
    else:
        raise _changed()
    cert.status, cert.revoked_reason, cert.revoked_at, cert.revoked_by = "revoked", reason, now, owner_id
    deps.bus.publish(
        [
            DomainEvent(
                "lectern.certificate.revoked",
                {
                    "certificate_id": certificate_id,
                    "number": cert.number,
                    "event_id": cert.event_id,
                    "owner_id": owner_id,
                    "user_id": cert.user_id,
                },
                occurred_at=now,
                correlation_id=meta.correlation_id,
            )
        ]
    )
    return cert


def _revoke_once(
    cert: CertificateItem, owner_id: str, reason: str, now: datetime, log: audit.Auditor
) -> None:
    with tx.write() as t:
        t.update(
            cert,
            actions=[
                CertificateItem.status.set("revoked"),
                CertificateItem.revoked_reason.set(reason),
                CertificateItem.revoked_at.set(now),
                CertificateItem.revoked_by.set(owner_id),
            ],
            condition=(CertificateItem.status == "valid")
            & (CertificateItem.owner_id == owner_id)
            & _same_holder(cert),
        )
        if cert.user_id:
            t.save(F.ledger_entry(cert, cert.user_id, status="revoked"))
        t.save(
            log.entry(
                "lectern.certificate.revoked",
                RESOURCE,
                cert.certificate_id,
                event_id=cert.event_id,
                number=cert.number,
                reason=reason,
            )
        )


def reissue(*, owner_id: str, certificate_id: str, meta: RequestMeta, deps: Deps) -> CertificateItem:
    """A new certificate (new number) from the registration as it is now — e.g. a corrected
    name — replacing `certificate_id`, which becomes superseded (or stays revoked) and names it."""
    old = access.owned(owner_id, certificate_id)
    if old.status == "superseded":
        raise Conflict(
            "This certificate was already replaced; re-issue its replacement instead.",
            code="certificate_superseded",
        )
    snap = read(old.event_id, old.registration_id)
    if snap is None:
        raise NotFound("The event does not exist.")
    reg = snap.registration
    reason = skip_reason(snap.event, reg, None)
    if reason is not None or reg is None:
        raise Conflict(
            f"The certificate cannot be re-issued: {reason}.", code=reason or "registration_not_found"
        )
    if snap.live is None or snap.live.certificate_id != old.certificate_id:
        raise _changed()
    new = _supersede(old, snap, reg, actor_id=owner_id, ip=meta.ip, run_id=None, deps=deps)
    _notify(new, deps, meta.correlation_id, new.issued_at)
    return new


def _supersede(
    old: CertificateItem,
    snap: Snapshot,
    reg: RegistrationItem,
    *,
    actor_id: str | None,
    ip: str | None,
    run_id: str | None,
    deps: Deps,
) -> CertificateItem:
    """Issue a replacement of `old` and swap the registration's pointer, in one transaction
    conditioned on `old` still being the live certificate in the state we read."""
    p = prepare(snap, reg, run_id=run_id, deps=deps)
    new = p.certificate
    new.supersedes = old.certificate_id
    _upload(p)
    log = audit.Auditor(actor_id or old.owner_id, new.issued_at, deps.ids, ip)
    old_actions: list[Action] = [CertificateItem.superseded_by.set(new.certificate_id)]
    if old.status == "valid":
        old_actions.append(CertificateItem.status.set("superseded"))

    def build(t: TransactWrite) -> None:
        t.update(
            RegistrationCertificateItem(*RegistrationCertificateItem.key(reg.registration_id)),
            actions=[RegistrationCertificateItem.certificate_id.set(new.certificate_id)],
            condition=RegistrationCertificateItem.certificate_id == old.certificate_id,
        )
        _registration_unchanged(t, reg)
        t.update(
            old,
            actions=old_actions,
            condition=(CertificateItem.status == old.status)
            & CertificateItem.superseded_by.does_not_exist()
            & _same_holder(old),
        )
        _add_new(t, p)
        if old.user_id:
            t.delete(CpdCertificateEntryItem(*CpdCertificateEntryItem.key(old.user_id, old.certificate_id)))
        t.save(
            log.entry(
                "lectern.certificate.reissued",
                RESOURCE,
                new.certificate_id,
                event_id=new.event_id,
                registration_id=reg.registration_id,
                supersedes=old.certificate_id,
                number=new.number,
            )
        )

    try:
        _commit(build)
    except TransactWriteError as exc:
        _delete_pdf(new.pdf_key)
        if tx.lost_race(exc):
            raise _changed() from exc
        raise
    return new
