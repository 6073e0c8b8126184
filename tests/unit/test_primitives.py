"""Pure building blocks: ids, cursors, tokens, passwords, errors, storage keys."""

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lectern import cursors, ids
from lectern.errors import InvalidCursor, InvalidToken, TooManyRequests


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    from lectern import secrets

    monkeypatch.setattr(secrets, "_master", lambda: b"unit-test-master-secret")


def test_uuid7_is_a_time_ordered_v7_uuid():
    a = ids.uuid7()
    b = ids.uuid7()
    assert a.version == 7 and a.variant == uuid.RFC_4122
    assert str(a)[:8] <= str(b)[:8]
    many = [ids.new_id() for _ in range(2000)]
    assert len(set(many)) == 2000


@given(st.dictionaries(st.sampled_from(["PK", "SK", "GSI1PK"]), st.text(max_size=40), min_size=1))
def test_cursor_round_trip(key):
    token = cursors.encode({k: {"S": v} for k, v in key.items()}, "scope-a")
    assert cursors.decode(token, "scope-a") == {k: {"S": v} for k, v in key.items()}


def test_cursor_is_bound_to_its_scope_and_tamper_proof():
    token = cursors.encode({"PK": {"S": "USER#1"}}, "sessions:alice")
    with pytest.raises(InvalidCursor):
        cursors.decode(token, "sessions:mallory")
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(InvalidCursor):
        cursors.decode(flipped, "sessions:alice")
    for junk in ("", "!!!", "a", "A" * 10):
        if junk:
            with pytest.raises(InvalidCursor):
                cursors.decode(junk, "sessions:alice")
    assert cursors.decode(None, "x") is None and cursors.encode(None, "x") is None


def test_access_tokens_expire_and_are_bound_to_the_key(monkeypatch):
    from lectern import secrets
    from lectern.auth.tokens import issue_access_token, verify_access_token

    now = datetime.now(UTC)
    token, ttl = issue_access_token("u1", "s1", now)
    assert ttl <= 900
    claims = verify_access_token(token, now)
    assert (claims.user_id, claims.session_id) == ("u1", "s1")
    with pytest.raises(InvalidToken):
        verify_access_token(token, now + timedelta(seconds=ttl + 1))
    monkeypatch.setattr(secrets, "_master", lambda: b"another deployment")
    with pytest.raises(InvalidToken):
        verify_access_token(token, now)


def test_refresh_token_encoding_round_trips_and_rejects_garbage():
    from lectern.auth.tokens import RefreshToken

    t = RefreshToken.new("user-1", "session-1")
    assert RefreshToken.decode(t.encode()) == t
    for junk in ("", "###", "Zm9v", "x" * 600):
        with pytest.raises(InvalidToken):
            RefreshToken.decode(junk)


def test_password_hashing_meets_owasp_floor():
    from lectern.auth import passwords

    h = passwords.hash_password("a long passphrase")
    assert h.startswith("$argon2id$")
    params = dict(p.split("=") for p in h.split("$")[3].split(","))
    assert int(params["m"]) >= 19 * 1024 and int(params["t"]) >= 2 and int(params["p"]) >= 1
    assert passwords.verify_password(h, "a long passphrase")
    assert not passwords.verify_password(h, "a long passphrasE")
    assert not passwords.verify_password("not a hash", "x")


def test_settings_refuse_weaker_argon2_than_owasp(monkeypatch):
    from lectern.config import Settings, SettingsError

    with pytest.raises(SettingsError):
        Settings.from_env({"LECTERN_ARGON2_MEMORY_KIB": "1024"})
    with pytest.raises(SettingsError):
        Settings.from_env({"LECTERN_ACCESS_TOKEN_TTL_SECONDS": "3600"})
    with pytest.raises(SettingsError):
        Settings.from_env({"LECTERN_LOCAL_MODE": "maybe"})
    with pytest.raises(SettingsError):
        Settings.from_env({"LECTERN_CORS_ORIGINS": "https://not-json"})
    s = Settings.from_env({"LECTERN_CORS_ORIGINS": '["https://a.example"]', "LECTERN_LOCAL_MODE": "true"})
    assert s.cors_origins == ["https://a.example"] and s.local_mode is True


def test_too_many_requests_carries_retry_after():
    err = TooManyRequests(0.2)
    assert err.headers == {"Retry-After": "1"} and err.status == 429


def test_storage_keys_are_scoped_and_sanitised():
    from lectern.integrations.storage import safe_name, scoped_key

    assert scoped_key("users/u1", "../../etc/passwd") == "users/u1/etc-passwd"
    assert safe_name("my report (final).pdf") == "my-report-final-.pdf"
    for bad in ("", "/abs", "a/../b"):
        with pytest.raises(ValueError):
            scoped_key(bad, "x")


def test_importing_every_module_needs_no_environment_or_aws(monkeypatch):
    """No env read, client or network at import: importing every lectern module with an empty
    environment must work."""
    import subprocess
    import sys

    code = (
        "import pkgutil, importlib, lectern\n"
        "for m in pkgutil.walk_packages(lectern.__path__, 'lectern.'):\n"
        "    importlib.import_module(m.name)\n"
        "import functions.auth.handler, functions.users.handler\n"
        "import functions.meta.handler, functions.authorizer.handler\n"
        "import boto3\n"
        "print('ok')\n"
    )
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": os.environ.get("PYTHONPATH", "") or ".:layers/shared/python",
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    assert out.returncode == 0, out.stderr[-2000:]


@pytest.mark.parametrize(
    "value, ok",
    [
        ("ada@example.org", True),
        ("Ada.Lovelace+cpd@Sub.Example.CO.UK", True),
        ("o'brien@example.ie", True),
        ("plainaddress", False),
        ("a@b", False),
        ("a@@example.org", False),
        ("a b@example.org", False),
        (".ada@example.org", False),
        ("ada@-example.org", False),
        ("ada@example..org", False),
        ("x" * 65 + "@example.org", False),
        ("a@" + "b" * 250 + ".org", False),
        ("ada@example.org\n", True),
    ],
)
def test_email_syntax(value, ok):
    from lectern.schemas import Email
    from pydantic import TypeAdapter, ValidationError

    adapter = TypeAdapter(Email)
    if ok:
        assert adapter.validate_python(value) == value.strip().lower()
    else:
        with pytest.raises(ValidationError):
            adapter.validate_python(value)
