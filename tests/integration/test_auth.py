"""Accounts: signup, verification, login, refresh rotation, logout, password reset — each rule
stated as Given/When/Then in the test name and asserted on status, body and stored state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from lectern import secrets
from lectern.data.accounts import EmailClaimItem, SessionItem, UserItem
from lectern.data.audit import AuditItem

from tests.support.api import Api
from tests.support.aws import last_token, sent_emails
from tests.support.builders import PASSWORD, login, signup, verified_account


def _user(email: str) -> UserItem:
    claim = EmailClaimItem.get(*EmailClaimItem.key(email))
    return UserItem.get(*UserItem.key(claim.user_id))


def _actions(user_id: str) -> list[str]:
    return [a.action for a in AuditItem.query(f"AUDIT#user#{user_id}")]


# ---------------------------------------------------------------- signup


def test_signup_stores_lowercase_email_argon2id_hash_and_mails_a_link(api):
    r = api.post(
        "/auth/signup/",
        {
            "email": "  Ada@Example.ORG ",
            "password": PASSWORD,
            "full_name": "Ada",
            "professional_title": "Dr",
            "organization_name": "Analytical Society",
        },
    )
    assert r.status == 202
    user = _user("ada@example.org")
    assert user.email == "ada@example.org"
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORD not in user.password_hash
    assert user.email_verified_at is None
    mails = sent_emails("ada@example.org")
    assert len(mails) == 1 and "token=" in mails[0]["text"] and "token=" in mails[0]["html"]
    assert "lectern.user.signed_up" in _actions(user.user_id)


def test_signup_with_a_taken_email_answers_the_same_and_mails_the_owner(api):
    acct = verified_account(api)
    first = api.post("/auth/signup/", {"email": "fresh@example.org", "password": PASSWORD, "full_name": "A"})
    again = api.post(
        "/auth/signup/",
        {"email": acct.email.upper(), "password": "another password!", "full_name": "Impostor"},
    )
    assert again.status == first.status == 202
    assert again.json == first.json
    assert sent_emails(acct.email)[-1]["subject"] == "You already have a Lectern account"
    # The account is unchanged: the original password still works, the impostor's does not.
    login(api, acct.email)
    assert api.post("/auth/login/", {"email": acct.email, "password": "another password!"}).status == 401


def test_signup_again_before_verifying_resends_a_fresh_link(api):
    email = signup(api)
    first = last_token(email)
    signup(api, email)
    second = last_token(email)
    assert first != second
    assert api.post("/auth/verify-email/", {"token": second}).status == 200


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": "not-an-email", "password": PASSWORD, "full_name": "A"}, "email"),
        ({"email": "a@example.org", "password": "short", "full_name": "A"}, "password"),
        ({"email": "a@example.org", "password": "a@example.org", "full_name": "A"}, "password"),
        ({"email": "a@example.org", "password": PASSWORD, "full_name": "   "}, "full_name"),
        ({"email": "a@example.org", "password": PASSWORD}, "full_name"),
        ({"email": "a@example.org", "password": "x" * 300, "full_name": "A"}, "password"),
    ],
)
def test_signup_rejects_invalid_fields_naming_them_and_stores_nothing(api, body, field):
    r = api.post("/auth/signup/", body)
    assert r.status == 422
    assert field in {d["field"] for d in r.json["error"]["details"]}
    with pytest.raises(EmailClaimItem.DoesNotExist):
        EmailClaimItem.get(*EmailClaimItem.key("a@example.org"))
    assert sent_emails("a@example.org") == []


# ---------------------------------------------------------------- verification


def test_login_is_refused_until_the_email_is_verified(api):
    email = signup(api)
    r = api.post("/auth/login/", {"email": email, "password": PASSWORD})
    assert r.status == 401 and r.error_code == "email_not_verified"
    assert api.post("/auth/verify-email/", {"token": last_token(email)}).status == 200
    login(api, email)


def test_a_verification_token_works_once(api):
    email = signup(api)
    token = last_token(email)
    assert api.post("/auth/verify-email/", {"token": token}).status == 200
    r = api.post("/auth/verify-email/", {"token": token})
    assert r.status == 401 and r.error_code == "invalid_token"


def test_an_expired_or_unknown_verification_token_is_refused(api, monkeypatch):
    email = signup(api)
    token = last_token(email)
    assert api.post("/auth/verify-email/", {"token": "nope"}).status == 401
    later = datetime.now(UTC) + timedelta(hours=25)
    from lectern.deps import default_deps

    monkeypatch.setattr(default_deps().clock, "now", lambda: later)
    r = api.post("/auth/verify-email/", {"token": token})
    assert r.status == 401
    assert _user(email).email_verified_at is None


def test_resend_verification_answers_the_same_for_unknown_addresses(api):
    email = signup(api)
    a = api.post("/auth/resend-verification/", {"email": email})
    b = api.post("/auth/resend-verification/", {"email": "nobody@example.org"})
    assert a.status == b.status == 202 and a.json == b.json
    assert len(sent_emails(email)) == 2
    assert sent_emails("nobody@example.org") == []


# ---------------------------------------------------------------- login


def test_login_returns_the_token_contract(api):
    acct = verified_account(api)
    r = api.post("/auth/login/", {"email": acct.email.upper(), "password": PASSWORD})
    assert r.status == 200
    assert set(r.json) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert r.json["token_type"] == "Bearer"
    assert 0 < r.json["expires_in"] <= 900
    claims = jwt.decode(
        r.json["access_token"], secrets.derived_key("jwt"), algorithms=["HS256"], audience="lectern-api"
    )
    assert claims["exp"] - claims["iat"] <= 900


def test_unknown_email_and_wrong_password_answer_identically(api):
    acct = verified_account(api)
    a = api.post("/auth/login/", {"email": "nobody@example.org", "password": PASSWORD})
    b = api.post("/auth/login/", {"email": acct.email, "password": "wrong password here"})
    assert a.status == b.status == 401
    assert a.json == b.json
    assert a.error_code == "invalid_credentials"


def test_login_is_throttled_per_account_after_repeated_failures(api):
    acct = verified_account(api)
    for i in range(10):
        r = Api(ip=f"198.51.100.{i}").post(
            "/auth/login/", {"email": acct.email, "password": "wrong password!"}
        )
        assert r.status == 401
    r = Api(ip="198.51.100.99").post("/auth/login/", {"email": acct.email, "password": PASSWORD})
    assert r.status == 429
    assert int(r.headers["Retry-After"]) > 0
    # Another account is unaffected.
    other = verified_account(api)
    login(api, other.email)


def test_login_is_throttled_per_ip_across_accounts(api):
    attacker = Api(ip="192.0.2.66")
    for i in range(50):
        attacker.post("/auth/login/", {"email": f"victim{i}@example.org", "password": "guess-guess"})
    r = attacker.post("/auth/login/", {"email": "victim-last@example.org", "password": "guess-guess"})
    assert r.status == 429 and "Retry-After" in r.headers
    acct = verified_account(api)
    assert api.post("/auth/login/", {"email": acct.email, "password": PASSWORD}).status == 200


def test_login_creates_a_session_with_device_and_ip(api):
    acct = verified_account(api)
    sessions = list(
        SessionItem.query(f"USER#{_user(acct.email).user_id}", SessionItem.sk.startswith("SESSION#"))
    )
    assert len(sessions) == 1
    assert sessions[0].ip == api.ip and sessions[0].device == "lectern-tests"
    assert acct.refresh_token not in sessions[0].refresh_hash


# ---------------------------------------------------------------- refresh & logout


def test_refresh_rotates_and_reuse_revokes_the_whole_session(api):
    acct = verified_account(api)
    r1 = api.post("/auth/refresh/", {"refresh_token": acct.refresh_token})
    assert r1.status == 200
    new_refresh, new_access = r1.json["refresh_token"], r1.json["access_token"]
    assert new_refresh != acct.refresh_token
    assert api.get("/users/me/", token=new_access).status == 200
    reuse = api.post("/auth/refresh/", {"refresh_token": acct.refresh_token})
    assert reuse.status == 401 and reuse.error_code == "refresh_token_reused"
    assert api.post("/auth/refresh/", {"refresh_token": new_refresh}).status == 401
    assert api.get("/users/me/", token=new_access).status == 401
    assert "lectern.session.refresh_reuse_detected" in _actions(_user(acct.email).user_id)


def test_a_forged_refresh_token_for_a_real_session_does_not_revoke_it(api):
    from lectern.auth.tokens import RefreshToken

    acct = verified_account(api)
    real = RefreshToken.decode(acct.refresh_token)
    forged = RefreshToken(real.user_id, real.session_id, "guessed-secret").encode()
    assert api.post("/auth/refresh/", {"refresh_token": forged}).status == 401
    assert api.post("/auth/refresh/", {"refresh_token": acct.refresh_token}).status == 200


@pytest.mark.parametrize("token", ["", "x", "!!!", "a" * 600, "dXNlci5zZXNzaW9u"])
def test_malformed_refresh_tokens_are_refused(api, token):
    r = api.post("/auth/refresh/", {"refresh_token": token})
    assert r.status in (401, 422)


def test_logout_ends_the_session_at_once(api):
    acct = verified_account(api)
    assert api.post("/auth/logout/", token=acct.token).status == 204
    assert api.get("/users/me/", token=acct.token).status == 401
    assert api.post("/auth/refresh/", {"refresh_token": acct.refresh_token}).status == 401


# ---------------------------------------------------------------- password reset


def test_password_reset_request_answers_the_same_for_unknown_addresses(api):
    acct = verified_account(api)
    a = api.post("/auth/password-reset/", {"email": acct.email})
    b = api.post("/auth/password-reset/", {"email": "nobody@example.org"})
    assert a.status == b.status == 202 and a.json == b.json
    assert sent_emails(acct.email)[-1]["subject"] == "Reset your Lectern password"
    assert sent_emails("nobody@example.org") == []


def test_password_reset_sets_the_password_once_and_signs_out_everywhere(api):
    acct = verified_account(api)
    second = login(api, acct.email)
    api.post("/auth/password-reset/", {"email": acct.email})
    token = last_token(acct.email)
    r = api.post("/auth/password-reset/confirm/", {"token": token, "new_password": "a brand new passphrase"})
    assert r.status == 200
    for a in (acct, second):
        assert api.get("/users/me/", token=a.token).status == 401
    assert api.post("/auth/login/", {"email": acct.email, "password": PASSWORD}).status == 401
    login(api, acct.email, "a brand new passphrase")
    again = api.post(
        "/auth/password-reset/confirm/", {"token": token, "new_password": "yet another passphrase"}
    )
    assert again.status == 401
    assert sent_emails(acct.email)[-1]["subject"] == "Your Lectern password was changed"


def test_password_reset_confirm_validates_the_new_password_and_keeps_the_token(api):
    acct = verified_account(api)
    api.post("/auth/password-reset/", {"email": acct.email})
    token = last_token(acct.email)
    r = api.post("/auth/password-reset/confirm/", {"token": token, "new_password": "short"})
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == "new_password"
    ok = api.post("/auth/password-reset/confirm/", {"token": token, "new_password": "long enough passphrase"})
    assert ok.status == 200


def test_reset_mails_are_capped_per_address(api):
    acct = verified_account(api)
    for _ in range(8):
        assert api.post("/auth/password-reset/", {"email": acct.email}).status == 202
    resets = [m for m in sent_emails(acct.email) if m["subject"] == "Reset your Lectern password"]
    assert len(resets) == 5


def test_a_verification_token_cannot_reset_a_password(api):
    email = signup(api)
    token = last_token(email)
    r = api.post("/auth/password-reset/confirm/", {"token": token, "new_password": "long enough passphrase"})
    assert r.status == 401
