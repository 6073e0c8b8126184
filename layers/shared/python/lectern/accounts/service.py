"""Account use cases. Each takes its collaborators (`Deps`: clock, ids, mailer, bus) and the
request's origin (`RequestMeta`); none touches HTTP.

Enumeration: signup, login and password-reset answers never reveal whether an email has an
account — same status, same body, and (for login) the same argon2 work for unknown emails.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError

from lectern import audit
from lectern.accounts import emails
from lectern.accounts.models import RequestMeta, Session, TokenPair, User
from lectern.auth import passwords
from lectern.auth.tokens import RefreshToken, issue_access_token
from lectern.config import get_settings
from lectern.data import tx
from lectern.data.accounts import EmailClaimItem, OneTimeTokenItem, SessionItem, UserItem
from lectern.data.pagination import Page, PageRequest, query_page
from lectern.data.throttle import FailureWindowItem
from lectern.deps import Deps
from lectern.errors import (
    Conflict,
    InvalidCredentials,
    InvalidToken,
    NotFound,
    TooManyRequests,
    ValidationFailed,
)
from lectern.ids import new_secret_token, token_hash
from lectern.integrations.bus import DomainEvent
from lectern.throttle import FailureCounter, check_failures

VERIFY_TTL = timedelta(hours=24)
RESET_TTL = timedelta(hours=1)
MAX_USED_HASHES = 50
RESET_MAILS_PER_HOUR = 5


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_policy(password: str, email: str, field: str = "password") -> None:
    if len(password) < passwords.MIN_LENGTH:
        raise ValidationFailed.field(
            field, f"must be at least {passwords.MIN_LENGTH} characters", code="too_short"
        )
    if len(password) > passwords.MAX_LENGTH:
        raise ValidationFailed.field(
            field, f"must be at most {passwords.MAX_LENGTH} characters", code="too_long"
        )
    if password.strip().lower() == email or password.strip() == "":
        raise ValidationFailed.field(field, "must not be your email address", code="too_weak")


def _login_counters() -> tuple[FailureCounter, FailureCounter]:
    s = get_settings()
    return (
        FailureCounter("login-account", s.login_failures_per_account, s.login_window_seconds),
        FailureCounter("login-ip", s.login_failures_per_ip, s.login_window_seconds),
    )


def _reset_counter() -> FailureCounter:
    return FailureCounter("reset-mail", RESET_MAILS_PER_HOUR, 3600)


def _get_user(user_id: str) -> UserItem:
    try:
        return UserItem.get(*UserItem.key(user_id), consistent_read=True)
    except UserItem.DoesNotExist as exc:
        raise NotFound("The account does not exist.") from exc


def _user_by_email(email: str) -> UserItem | None:
    try:
        claim = EmailClaimItem.get(*EmailClaimItem.key(email), consistent_read=True)
    except EmailClaimItem.DoesNotExist:
        return None
    try:
        return UserItem.get(*UserItem.key(claim.user_id), consistent_read=True)
    except UserItem.DoesNotExist:
        return None


def _one_time_token(
    purpose: str, user: UserItem, now: datetime, ttl: timedelta
) -> tuple[str, OneTimeTokenItem]:
    token = new_secret_token()
    expires = now + ttl
    item = OneTimeTokenItem(
        *OneTimeTokenItem.key(token_hash(token)),
        purpose=purpose,
        user_id=user.user_id,
        email=user.email,
        expires_at=expires,
        ttl=expires,
    )
    return token, item


def _consume_token(token: str, purpose: str, now: datetime) -> OneTimeTokenItem:
    if not token or len(token) > 256:
        raise InvalidToken("The link is invalid or has expired.")
    try:
        item = OneTimeTokenItem.get(*OneTimeTokenItem.key(token_hash(token)), consistent_read=True)
    except OneTimeTokenItem.DoesNotExist as exc:
        raise InvalidToken("The link is invalid or has expired.") from exc
    if item.purpose != purpose or item.expires_at <= now:
        raise InvalidToken("The link is invalid or has expired.")
    return item


def _revoke_sessions(user_id: str, keep: str | None = None) -> int:
    """Delete every session of the user (except `keep`): one Query page + batched deletes."""
    revoked = 0
    items = SessionItem.query(f"USER#{user_id}", SessionItem.sk.startswith(SessionItem.PREFIX))
    with SessionItem.batch_write() as batch:
        for item in items:
            if item.session_id != keep:
                batch.delete(item)
                revoked += 1
    return revoked


# ---------------------------------------------------------------- signup & verification


def signup(
    *,
    email: str,
    password: str,
    full_name: str,
    professional_title: str,
    organization_name: str,
    meta: RequestMeta,
    deps: Deps,
) -> None:
    email = normalise_email(email)
    check_password_policy(password, email)
    now = deps.clock.now()
    password_hash = passwords.hash_password(password)  # always paid: same time either way
    user_id = deps.ids()
    log = audit.Auditor(actor_id=user_id, at=now, ids=deps.ids, ip=meta.ip)
    user = UserItem(
        *UserItem.key(user_id),
        user_id=user_id,
        email=email,
        password_hash=password_hash,
        full_name=full_name,
        professional_title=professional_title,
        organization_name=organization_name,
        created_at=now,
        updated_at=now,
    )
    claim = EmailClaimItem(*EmailClaimItem.key(email), user_id=user_id)
    token, token_item = _one_time_token("verify_email", user, now, VERIFY_TTL)
    try:
        with tx.write() as t:
            t.save(user, condition=UserItem.pk.does_not_exist())
            t.save(claim, condition=EmailClaimItem.pk.does_not_exist())
            t.save(token_item)
            t.save(log.entry("lectern.user.signed_up", "user", user_id))
    except TransactWriteError as exc:
        if not tx.cancelled_by_condition(exc):
            raise
        existing = _user_by_email(email)
        if existing is None:  # pragma: no cover - claim without user: nothing to tell anyone
            return
        if existing.email_verified_at is None:
            # Lost the first mail? A fresh link, to the address itself only.
            token, token_item = _one_time_token("verify_email", existing, now, VERIFY_TTL)
            token_item.save()
            deps.mailer.send(emails.verify_email(email, existing.full_name, token))
        else:
            deps.mailer.send(emails.already_registered(email, existing.full_name))
        return
    deps.mailer.send(emails.verify_email(email, full_name, token))


def resend_verification(*, email: str, deps: Deps) -> None:
    email = normalise_email(email)
    now = deps.clock.now()
    counter = _reset_counter()

    check_failures([(counter, f"verify:{email}")], now, "Too many emails requested; try again later.")
    user = _user_by_email(email)
    if user is None or user.email_verified_at is not None:
        return
    counter.add(f"verify:{email}", now)
    token, token_item = _one_time_token("verify_email", user, now, VERIFY_TTL)
    token_item.save()
    deps.mailer.send(emails.verify_email(email, user.full_name, token))


def verify_email(*, token: str, meta: RequestMeta, deps: Deps) -> User:
    now = deps.clock.now()
    item = _consume_token(token, "verify_email", now)
    user = _get_user(item.user_id)
    log = audit.Auditor(actor_id=user.user_id, at=now, ids=deps.ids, ip=meta.ip)
    if user.email != item.email:
        raise InvalidToken("The link is invalid or has expired.")
    with tx.write(on_condition_failed=InvalidToken("The link is invalid or has expired.")) as t:
        t.delete(item, condition=OneTimeTokenItem.pk.exists())
        t.update(
            user,
            actions=[
                UserItem.email_verified_at.set(user.email_verified_at or now),
                UserItem.updated_at.set(now),
            ],
            condition=UserItem.email == item.email,
        )
        t.save(log.entry("lectern.user.email_verified", "user", user.user_id))
    deps.bus.publish(
        [
            DomainEvent(
                "lectern.user.email_verified",
                {"user_id": user.user_id, "email": user.email},
                occurred_at=now,
                correlation_id=meta.correlation_id,
            )
        ]
    )
    user.email_verified_at = user.email_verified_at or now
    user.updated_at = now
    _link_guest_registrations(user, deps, meta)
    return User.of(user)


def _link_guest_registrations(user: UserItem, deps: Deps, meta: RequestMeta) -> None:
    """Guest registrations made with the now verified email become the account's (spec-review
    C5). Idempotent; a failure here never fails the verification (the user can link later at
    POST /users/me/link-registrations)."""
    from lectern.registrations.linking import link_guest_registrations

    try:
        link_guest_registrations(user.user_id, user.email, deps=deps, correlation_id=meta.correlation_id)
    except Exception:
        logging.getLogger("lectern.accounts").exception("linking guest registrations failed")


# ---------------------------------------------------------------- login, refresh, logout


def login(*, email: str, password: str, meta: RequestMeta, deps: Deps) -> TokenPair:
    email = normalise_email(email)
    now = deps.clock.now()
    account_counter, ip_counter = _login_counters()
    account_key, ip_key = account_counter.key(email, now), ip_counter.key(meta.ip, now)
    claim_key = EmailClaimItem.key(email)
    # One BatchGetItem: the email claim and both failure windows.
    found = tx.get_many([claim_key, account_key, ip_key], consistent=False)
    for counter, key in ((account_counter, account_key), (ip_counter, ip_key)):
        window = found.get(key)
        if isinstance(window, FailureWindowItem) and int(window.failures or 0) >= counter.limit:
            raise TooManyRequests(
                counter.retry_after(now), "Too many failed sign-in attempts; try again later."
            )
    claim = found.get(claim_key)
    user: UserItem | None = None
    if isinstance(claim, EmailClaimItem):
        try:
            user = UserItem.get(*UserItem.key(claim.user_id))
        except UserItem.DoesNotExist:
            user = None
    ok = passwords.verify_password(user.password_hash if user else passwords.dummy_hash(), password)
    if not ok or user is None:
        _record_login_failure(email, meta.ip, now, account_counter, ip_counter)
        raise InvalidCredentials()
    if user.email_verified_at is None:
        # Only someone who knows the password learns this.
        raise InvalidCredentials(
            "Confirm your email address first: we sent you a link.", code="email_not_verified"
        )
    return _open_session(user, meta, deps, now)


def _record_login_failure(
    email: str, ip: str, now: datetime, account_counter: FailureCounter, ip_counter: FailureCounter
) -> None:
    with tx.write() as t:
        for counter, key in ((account_counter, email), (ip_counter, ip)):
            item, actions = counter.increment(key, now)
            t.update(item, actions=actions)


def _open_session(user: UserItem, meta: RequestMeta, deps: Deps, now: datetime) -> TokenPair:
    log = audit.Auditor(actor_id=user.user_id, at=now, ids=deps.ids, ip=meta.ip)
    session_id = deps.ids()
    refresh = RefreshToken.new(user.user_id, session_id)
    ttl = now + timedelta(days=get_settings().refresh_token_ttl_days)
    session = SessionItem(
        *SessionItem.key(user.user_id, session_id),
        user_id=user.user_id,
        session_id=session_id,
        device=meta.device[:256],
        ip=meta.ip,
        refresh_hash=token_hash(refresh.secret),
        used_hashes=[],
        created_at=now,
        last_used_at=now,
        ttl=ttl,
    )
    with tx.write() as t:
        t.save(session, condition=SessionItem.pk.does_not_exist())
        t.save(log.entry("lectern.session.created", "user", user.user_id, session_id=session_id))
    access, expires_in = issue_access_token(user.user_id, session_id, now)
    return TokenPair(access_token=access, refresh_token=refresh.encode(), expires_in=expires_in)


def refresh(*, refresh_token: str, meta: RequestMeta, deps: Deps) -> TokenPair:
    now = deps.clock.now()
    presented = RefreshToken.decode(refresh_token)
    try:
        session = SessionItem.get(
            *SessionItem.key(presented.user_id, presented.session_id), consistent_read=True
        )
    except SessionItem.DoesNotExist as exc:
        raise InvalidToken("The refresh token is invalid or the session has ended.") from exc
    presented_hash = token_hash(presented.secret)
    log = audit.Auditor(actor_id=session.user_id, at=now, ids=deps.ids, ip=meta.ip)
    if presented_hash in (session.used_hashes or []):
        # A rotated-away token came back: someone holds a copy. End the whole session.
        session.delete()
        log.record(
            "lectern.session.refresh_reuse_detected", "user", session.user_id, session_id=session.session_id
        )
        raise InvalidToken(
            "This refresh token was already used; the session has been signed out.",
            code="refresh_token_reused",
        )
    if presented_hash != session.refresh_hash or (session.ttl and session.ttl <= now):
        raise InvalidToken("The refresh token is invalid or the session has ended.")
    new = RefreshToken.new(session.user_id, session.session_id)
    used: list[Any] = [*(session.used_hashes or []), presented_hash][-MAX_USED_HASHES:]
    ttl = now + timedelta(days=get_settings().refresh_token_ttl_days)
    try:
        session.update(
            actions=[
                SessionItem.refresh_hash.set(token_hash(new.secret)),
                SessionItem.used_hashes.set(used),
                SessionItem.last_used_at.set(now),
                SessionItem.ip.set(meta.ip),
                SessionItem.ttl.set(ttl),
            ],
            condition=SessionItem.refresh_hash == presented_hash,
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise InvalidToken("The refresh token is invalid or the session has ended.") from exc
        raise
    access, expires_in = issue_access_token(session.user_id, session.session_id, now)
    return TokenPair(access_token=access, refresh_token=new.encode(), expires_in=expires_in)


def logout(*, user_id: str, session_id: str, meta: RequestMeta, deps: Deps) -> None:
    revoke_session(
        user_id=user_id, session_id=session_id, meta=meta, deps=deps, action="lectern.session.logged_out"
    )


# ---------------------------------------------------------------- passwords


def request_password_reset(*, email: str, meta: RequestMeta, deps: Deps) -> None:
    email = normalise_email(email)
    now = deps.clock.now()
    log = audit.Auditor(actor_id=None, at=now, ids=deps.ids, ip=meta.ip)
    counter = _reset_counter()
    window_key, claim_key = counter.key(email, now), EmailClaimItem.key(email)
    found = tx.get_many([window_key, claim_key], consistent=False)
    window = found.get(window_key)
    if isinstance(window, FailureWindowItem) and int(window.failures or 0) >= counter.limit:
        return  # silently: a 429 only for real accounts would leak which emails exist
    claim = found.get(claim_key)
    if not isinstance(claim, EmailClaimItem):
        return
    try:
        user = UserItem.get(*UserItem.key(claim.user_id))
    except UserItem.DoesNotExist:
        return
    token, item = _one_time_token("password_reset", user, now, RESET_TTL)
    counted, actions = counter.increment(email, now)
    with tx.write() as t:
        t.update(counted, actions=actions)
        t.save(item)
        t.save(log.entry("lectern.user.password_reset_requested", "user", user.user_id))
    deps.mailer.send(emails.password_reset(email, user.full_name, token))


def confirm_password_reset(*, token: str, new_password: str, meta: RequestMeta, deps: Deps) -> None:
    now = deps.clock.now()
    item = _consume_token(token, "password_reset", now)
    user = _get_user(item.user_id)
    log = audit.Auditor(actor_id=user.user_id, at=now, ids=deps.ids, ip=meta.ip)
    if user.email != item.email:
        raise InvalidToken("The link is invalid or has expired.")
    check_password_policy(new_password, user.email, "new_password")
    new_hash = passwords.hash_password(new_password)
    with tx.write(on_condition_failed=InvalidToken("The link is invalid or has expired.")) as t:
        t.delete(item, condition=OneTimeTokenItem.pk.exists())
        actions: list[Any] = [
            UserItem.password_hash.set(new_hash),
            UserItem.password_changed_at.set(now),
            UserItem.updated_at.set(now),
        ]
        if user.email_verified_at is None:
            # The reset link proves control of the mailbox, just like the verification link.
            actions.append(UserItem.email_verified_at.set(now))
        t.update(user, actions=actions)
        t.save(log.entry("lectern.user.password_reset", "user", user.user_id))
    _revoke_sessions(user.user_id)
    deps.mailer.send(emails.password_changed(user.email, user.full_name))


def change_password(
    *, user_id: str, session_id: str, current_password: str, new_password: str, meta: RequestMeta, deps: Deps
) -> None:
    now = deps.clock.now()
    log = audit.Auditor(actor_id=user_id, at=now, ids=deps.ids, ip=meta.ip)
    user = _get_user(user_id)
    if not passwords.verify_password(user.password_hash, current_password):
        raise ValidationFailed.field("current_password", "is incorrect", code="incorrect")
    check_password_policy(new_password, user.email, "new_password")
    if current_password == new_password:
        raise ValidationFailed.field(
            "new_password", "must differ from the current password", code="unchanged"
        )
    with tx.write() as t:
        t.update(
            user,
            actions=[
                UserItem.password_hash.set(passwords.hash_password(new_password)),
                UserItem.password_changed_at.set(now),
                UserItem.updated_at.set(now),
            ],
            condition=UserItem.password_hash == user.password_hash,
        )
        t.save(log.entry("lectern.user.password_changed", "user", user_id))
    _revoke_sessions(user_id, keep=session_id)
    deps.mailer.send(emails.password_changed(user.email, user.full_name))


# ---------------------------------------------------------------- profile & sessions


def get_profile(user_id: str) -> User:
    return User.of(_get_user(user_id))


def update_profile(*, user_id: str, changes: dict[str, Any], meta: RequestMeta, deps: Deps) -> User:
    if not changes:
        return get_profile(user_id)
    now = deps.clock.now()
    log = audit.Auditor(actor_id=user_id, at=now, ids=deps.ids, ip=meta.ip)
    user = UserItem(*UserItem.key(user_id))
    actions = [getattr(UserItem, field).set(value) for field, value in changes.items()]
    actions.append(UserItem.updated_at.set(now))
    with tx.write(on_condition_failed=NotFound("The account does not exist.")) as t:
        t.update(user, actions=actions, condition=UserItem.pk.exists())
        t.save(log.entry("lectern.user.profile_updated", "user", user_id, fields=",".join(sorted(changes))))
    return get_profile(user_id)


def list_sessions(*, user_id: str, current_session_id: str, page: PageRequest) -> Page[Session]:
    got = query_page(
        SessionItem.query,
        page,
        scope=f"sessions:{user_id}",
        hash_key=f"USER#{user_id}",
        range_key_condition=SessionItem.sk.startswith(SessionItem.PREFIX),
        scan_index_forward=False,
    )
    return got.map(lambda item: Session.of(item, current_session_id))


def revoke_session(
    *, user_id: str, session_id: str, meta: RequestMeta, deps: Deps, action: str = "lectern.session.revoked"
) -> None:
    now = deps.clock.now()
    log = audit.Auditor(actor_id=user_id, at=now, ids=deps.ids, ip=meta.ip)
    with tx.write(on_condition_failed=NotFound("The session does not exist.")) as t:
        t.delete(SessionItem(*SessionItem.key(user_id, session_id)), condition=SessionItem.pk.exists())
        t.save(log.entry(action, "user", user_id, session_id=session_id))


__all__ = [
    "Conflict",
    "change_password",
    "confirm_password_reset",
    "get_profile",
    "list_sessions",
    "login",
    "logout",
    "refresh",
    "request_password_reset",
    "resend_verification",
    "revoke_session",
    "signup",
    "update_profile",
    "verify_email",
]
