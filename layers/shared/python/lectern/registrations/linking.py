"""Linking guest registrations to an account (spec-review C5).

Only ever for a *verified* email: `verify_email` calls `link_guest_registrations` after its
transaction (the verification is the proof of owning the address), and the
`/users/me/link-registrations` routes refuse an unverified account.

Query GSI2 `GUEST#<email>#REGS` → per registration one TransactWriteItems (conditional update
`attribute_not_exists(user_id)` moving its GSI2 keys to `USER#<user_id>#REGS`, plus its audit
entry): 1 + n calls. Then the guest's certificates: Query GSI2 `GUEST#<email>#CERTS` → per
certificate one TransactWriteItems (conditional update moving its GSI2 keys to
`USER#<user_id>#CERTS`, its CPD ledger entry in the user's partition, audit): 1 + m calls.
Both passes are idempotent (what moved no longer answers the guest queries) and run on every link,
so an interrupted link is finished by the next one.
"""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from lectern import audit
from lectern.certificates.facts import ledger_entry
from lectern.data import tx
from lectern.data.accounts import UserItem
from lectern.data.base import TableItem
from lectern.data.certificates import CertificateItem
from lectern.data.registrations import RegistrationItem
from lectern.deps import Deps
from lectern.errors import Forbidden, NotFound
from lectern.integrations.bus import DomainEvent
from lectern.registrations.model import Registration

MAX_GUEST_REGISTRATIONS = 500


def _guest_items(email: str) -> list[RegistrationItem]:
    pk, _ = RegistrationItem.person_index(None, email, "")
    return [
        i
        for i in TableItem.gsi2.query(pk, limit=MAX_GUEST_REGISTRATIONS)
        if isinstance(i, RegistrationItem) and not i.user_id
    ]


def link_guest_registrations(user_id: str, email: str, *, deps: Deps, correlation_id: str = "") -> int:
    """How many guest registrations made with `email` were linked to `user_id`."""
    return len(_link(user_id, email, deps=deps, correlation_id=correlation_id))


def _link(user_id: str, email: str, *, deps: Deps, correlation_id: str = "") -> list[Registration]:
    """Attach every unlinked guest registration made with `email` to `user_id`; returns those
    linked (a registration linked concurrently by another call is skipped, never linked twice)."""
    now = deps.clock.now()
    linked: list[Registration] = []
    log = audit.Auditor(actor_id=user_id, at=now, ids=deps.ids)
    for item in _guest_items(email):
        pk, sk = RegistrationItem.person_index(user_id, email, item.registration_id)
        try:
            with tx.write() as t:
                t.update(
                    item,
                    actions=[
                        RegistrationItem.user_id.set(user_id),
                        RegistrationItem.gsi2pk.set(pk),
                        RegistrationItem.gsi2sk.set(sk),
                        RegistrationItem.updated_at.set(now),
                    ],
                    condition=RegistrationItem.user_id.does_not_exist() & (RegistrationItem.email == email),
                )
                t.save(
                    log.entry(
                        "lectern.registration.linked", "registration", item.registration_id, user_id=user_id
                    )
                )
        except TransactWriteError as exc:
            if tx.cancelled_by_condition(exc):
                continue  # linked meanwhile by another call
            raise
        item.user_id, item.gsi2pk, item.gsi2sk, item.updated_at = user_id, pk, sk, now
        linked.append(Registration.of(item))
    _link_certificates(user_id, email, log)
    if linked:
        deps.bus.publish(
            [
                DomainEvent(
                    "lectern.registration.linked",
                    {"user_id": user_id, "registration_ids": [r.registration_id for r in linked]},
                    occurred_at=now,
                    correlation_id=correlation_id,
                )
            ]
        )
    return linked


def _link_certificates(user_id: str, email: str, log: audit.Auditor) -> int:
    """Move the guest's certificates to the account and put their CPD ledger entries (a
    superseded certificate earns nothing: its replacement does). How many moved."""
    pk, _ = CertificateItem.holder_index(None, email, "")
    moved = 0
    for found in TableItem.gsi2.query(pk, limit=MAX_GUEST_REGISTRATIONS):
        cert: CertificateItem | None = found if isinstance(found, CertificateItem) else None
        # A certificate revoked or re-issued meanwhile (its status is part of the condition, so
        # its ledger entry is never stale) is read again once; one linked meanwhile is skipped.
        for _ in range(2):
            if cert is None or cert.user_id:
                break
            gsi2pk, gsi2sk = CertificateItem.holder_index(user_id, email, cert.certificate_id)
            try:
                with tx.write() as t:
                    t.update(
                        cert,
                        actions=[
                            CertificateItem.user_id.set(user_id),
                            CertificateItem.gsi2pk.set(gsi2pk),
                            CertificateItem.gsi2sk.set(gsi2sk),
                        ],
                        condition=CertificateItem.user_id.does_not_exist()
                        & (CertificateItem.email == email)
                        & (CertificateItem.status == cert.status),
                    )
                    if cert.status != "superseded":
                        t.save(ledger_entry(cert, user_id))
                    t.save(log.entry("lectern.certificate.linked", "certificate", cert.certificate_id))
            except TransactWriteError as exc:
                if not tx.cancelled_by_condition(exc):
                    raise
                cert = CertificateItem.get(*CertificateItem.key(cert.certificate_id), consistent_read=True)
                continue
            moved += 1
            break
    return moved


def _verified_user(user_id: str) -> UserItem:
    try:
        user = UserItem.get(*UserItem.key(user_id), consistent_read=True)
    except UserItem.DoesNotExist as exc:
        raise NotFound("The account does not exist.") from exc
    if not user.email_verified_at:
        raise Forbidden("Verify your email address first.", code="email_not_verified")
    return user


def linkable(user_id: str) -> list[Registration]:
    """Guest registrations made with the caller's verified email and not yet linked
    (GetItem User → Query GSI2 `GUEST#<email>#REGS`)."""
    user = _verified_user(user_id)
    return [Registration.of(i) for i in _guest_items(user.email)]


def link(user_id: str, *, deps: Deps, correlation_id: str = "") -> list[Registration]:
    user = _verified_user(user_id)
    return _link(user_id, user.email, deps=deps, correlation_id=correlation_id)
