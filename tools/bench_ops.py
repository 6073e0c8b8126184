"""Bench section 1: DynamoDB calls per operation of the floors table (docs/data-model.md).

Each scenario sets up its preconditions with the test builders (uncounted), then performs
exactly one operation inside `h.measure()` through the HTTP-level harness (tests/support/api.py:
the real authorizer for secured routes, then the route group's `lambda_handler`), under moto.

Counting: `botocore.client.BaseClient._make_api_call` is wrapped, so every API call of every
botocore client is seen — pynamodb's (it builds its own botocore session and calls
`client._make_api_call` directly) and boto3's alike. A call is recorded before it is sent, so a
cancelled TransactWriteItems counts. Calls made inside `tests.support.api.authorize` (wrapped
while benching) are tagged "authorizer" and reported apart from the operation's own calls.

Imports only the standard library at import time; the harness is imported by `run_operations`
after the test environment is set (importing tests.conftest sets the same env the tests use).
"""

from __future__ import annotations

import itertools
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new passphrase 2024"
PAST_DAY = "2024-03-15"  # a completed_on safely in the past


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    phase: str  # "operation" | "authorizer"


class Recorder:
    """Counts botocore API calls while active."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.active = False
        self.phase = "operation"
        self._undo: list[Callable[[], None]] = []

    def install(self) -> None:
        from botocore.client import BaseClient

        original = BaseClient._make_api_call
        rec = self

        def _make_api_call(client: Any, operation_name: str, api_params: Any) -> Any:
            if rec.active:
                rec.calls.append(Call(client.meta.service_model.service_name, operation_name, rec.phase))
            return original(client, operation_name, api_params)

        BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]
        self._undo.append(lambda: setattr(BaseClient, "_make_api_call", original))

    def tag_authorizer(self, module: Any) -> None:
        """Wrap `module.authorize` so calls made inside it are tagged "authorizer"."""
        original = module.authorize
        rec = self

        def authorize(headers: Any, clock: Any) -> Any:
            previous, rec.phase = rec.phase, "authorizer"
            try:
                return original(headers, clock)
            finally:
                rec.phase = previous

        module.authorize = authorize
        self._undo.append(lambda: setattr(module, "authorize", original))

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    @contextmanager
    def window(self) -> Iterator[list[Call]]:
        self.calls = []
        self.active = True
        try:
            yield self.calls
        finally:
            self.active = False


class BenchFailure(Exception):
    pass


@dataclass
class Harness:
    """What a scenario gets: the HTTP-level api, builders, and `measure()`."""

    api: Any
    rec: Recorder
    builders: Any
    last_token: Callable[[str], str]
    measured: list[list[Call]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @contextmanager
    def measure(self) -> Iterator[None]:
        with self.rec.window() as calls:
            yield
        self.measured.append(list(calls))

    def expect(self, reply: Any, status: int, code: str | None = None) -> None:
        if reply.status != status or (code is not None and reply.error_code != code):
            raise BenchFailure(
                f"expected {status}{' ' + code if code else ''}, got {reply.status}: {reply.json}"
            )

    def email(self) -> str:
        return f"bench{next(_EMAILS)}@example.org"

    def account(self) -> Any:
        return self.builders.verified_account(self.api, self.email(), PASSWORD)

    def second_session(self, acct: Any) -> Any:
        return self.builders.login(self.api, acct.email, acct.password)

    def create(self, path: str, body: dict[str, Any], token: str) -> dict[str, Any]:
        """A precondition through the API (not counted)."""
        r = self.api.post(path, body, token=token)
        self.expect(r, 201)
        return dict(r.json)


def requirement(category: str = "Ethics", hours: float = 10) -> dict[str, Any]:
    return {"category": category, "hours_required": hours}


def activity(title: str = "Ethics webinar", category: str = "Ethics", hours: float = 1.5) -> dict[str, Any]:
    return {
        "title": title,
        "provider": "Bench Institute",
        "category": category,
        "hours": hours,
        "completed_on": PAST_DAY,
        "notes": "bench",
    }


_EMAILS = itertools.count(1)
REQS = "/users/me/cpd-requirements/"
ACTS = "/users/me/cpd-activities/"

# ---------------------------------------------------------------- scenarios, by operation id

Scenario = Callable[[Harness], None]
OPERATIONS: dict[str, Scenario] = {}


def scenario(op_id: str) -> Callable[[Scenario], Scenario]:
    def register(fn: Scenario) -> Scenario:
        OPERATIONS[op_id] = fn
        return fn

    return register


@scenario("auth.signup")
def _signup(h: Harness) -> None:
    body = {"email": h.email(), "password": PASSWORD, "full_name": "Ada Lovelace"}
    with h.measure():
        r = h.api.post("/auth/signup/", body)
    h.expect(r, 202)


@scenario("auth.signup_existing")
def _signup_existing(h: Harness) -> None:
    acct = h.account()  # verified: the owner gets an "already registered" mail
    body = {"email": acct.email, "password": PASSWORD, "full_name": "Someone Else"}
    with h.measure():
        r = h.api.post("/auth/signup/", body)
    h.expect(r, 202)


@scenario("auth.verify_email")
def _verify_email(h: Harness) -> None:
    email = h.builders.signup(h.api, h.email(), PASSWORD)
    token = h.last_token(email)
    with h.measure():
        r = h.api.post("/auth/verify-email/", {"token": token})
    h.expect(r, 200)


@scenario("auth.login")
def _login(h: Harness) -> None:
    acct = h.account()
    with h.measure():
        r = h.api.post("/auth/login/", {"email": acct.email, "password": PASSWORD})
    h.expect(r, 200)


@scenario("auth.login_failed")
def _login_failed(h: Harness) -> None:
    acct = h.account()
    with h.measure():
        r = h.api.post("/auth/login/", {"email": acct.email, "password": "not the right password"})
    h.expect(r, 401, "invalid_credentials")


@scenario("auth.refresh")
def _refresh(h: Harness) -> None:
    acct = h.account()
    with h.measure():
        r = h.api.post("/auth/refresh/", {"refresh_token": acct.refresh_token})
    h.expect(r, 200)


@scenario("auth.refresh_reuse")
def _refresh_reuse(h: Harness) -> None:
    acct = h.account()
    h.expect(h.api.post("/auth/refresh/", {"refresh_token": acct.refresh_token}), 200)  # rotate it away
    with h.measure():
        r = h.api.post("/auth/refresh/", {"refresh_token": acct.refresh_token})
    h.expect(r, 401, "refresh_token_reused")


@scenario("auth.logout")
def _logout(h: Harness) -> None:
    acct = h.account()
    with h.measure():
        r = h.api.post("/auth/logout/", token=acct.token)
    h.expect(r, 204)


@scenario("auth.password_reset")
def _password_reset(h: Harness) -> None:
    acct = h.account()
    with h.measure():
        r = h.api.post("/auth/password-reset/", {"email": acct.email})
    h.expect(r, 202)


@scenario("auth.password_reset_confirm")
def _password_reset_confirm(h: Harness) -> None:
    acct = h.account()
    h.second_session(acct)  # two sessions to end
    h.expect(h.api.post("/auth/password-reset/", {"email": acct.email}), 202)
    token = h.last_token(acct.email)
    with h.measure():
        r = h.api.post("/auth/password-reset/confirm/", {"token": token, "new_password": NEW_PASSWORD})
    h.expect(r, 200)


@scenario("authorizer")
def _authorizer(h: Harness) -> None:
    from lectern.auth.authorizer import authorize
    from lectern.clock import SystemClock

    acct = h.account()
    headers = {"Authorization": f"Bearer {acct.token}"}
    clock = SystemClock()
    with h.measure():
        decision = authorize(headers, clock)
    if not decision.user_id:
        raise BenchFailure("authorize() returned no principal")


@scenario("users.me")
def _me(h: Harness) -> None:
    acct = h.account()
    with h.measure():
        r = h.api.get("/users/me/", token=acct.token)
    h.expect(r, 200)


@scenario("users.me_update")
def _me_update(h: Harness) -> None:
    acct = h.account()
    with h.measure():
        r = h.api.patch(
            "/users/me/",
            {"full_name": "Ada King", "organization_name": "Analytical Engines"},
            token=acct.token,
        )
    h.expect(r, 200)


@scenario("users.change_password")
def _change_password(h: Harness) -> None:
    acct = h.account()
    h.second_session(acct)  # another session for the change to end
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    with h.measure():
        r = h.api.post("/users/me/change-password/", body, token=acct.token)
    h.expect(r, 204)


@scenario("users.sessions_list")
def _sessions_list(h: Harness) -> None:
    acct = h.account()
    h.second_session(acct)
    with h.measure():
        r = h.api.get("/users/me/sessions/", token=acct.token)
    h.expect(r, 200)


@scenario("users.session_revoke")
def _session_revoke(h: Harness) -> None:
    acct = h.account()
    h.second_session(acct)
    listing = h.api.get("/users/me/sessions/", token=acct.token)
    h.expect(listing, 200)
    other = next(s["uuid"] for s in listing.json["items"] if not s["current"])
    with h.measure():
        r = h.api.delete(f"/users/me/sessions/{other}/", token=acct.token)
    h.expect(r, 204)


@scenario("cpd.requirement_create")
def _requirement_create(h: Harness) -> None:
    acct = h.account()
    with h.measure():
        r = h.api.post(REQS, requirement(), token=acct.token)
    h.expect(r, 201)


@scenario("cpd.requirement_get")
def _requirement_get(h: Harness) -> None:
    acct = h.account()
    req = h.create(REQS, requirement(), acct.token)
    with h.measure():
        r = h.api.get(f"{REQS}{req['uuid']}/", token=acct.token)
    h.expect(r, 200)


@scenario("cpd.requirements_list")
def _requirements_list(h: Harness) -> None:
    acct = h.account()
    h.create(REQS, requirement("Ethics"), acct.token)
    h.create(REQS, requirement("Technical", 20), acct.token)
    with h.measure():
        r = h.api.get(REQS, token=acct.token)
    h.expect(r, 200)


@scenario("cpd.requirement_update")
def _requirement_update(h: Harness) -> None:
    acct = h.account()
    req = h.create(REQS, requirement(), acct.token)
    with h.measure():  # a category change: the claim moves in the same transaction
        r = h.api.patch(
            f"{REQS}{req['uuid']}/", {"category": "Ethics and law", "hours_required": 12}, token=acct.token
        )
    h.expect(r, 200)


@scenario("cpd.requirement_delete")
def _requirement_delete(h: Harness) -> None:
    acct = h.account()
    req = h.create(REQS, requirement(), acct.token)
    with h.measure():
        r = h.api.delete(f"{REQS}{req['uuid']}/", token=acct.token)
    h.expect(r, 204)


@scenario("cpd.activity_create")
def _activity_create(h: Harness) -> None:
    acct = h.account()
    with h.measure():
        r = h.api.post(ACTS, activity(), token=acct.token)
    h.expect(r, 201)


@scenario("cpd.activity_get")
def _activity_get(h: Harness) -> None:
    acct = h.account()
    act = h.create(ACTS, activity(), acct.token)
    with h.measure():
        r = h.api.get(f"{ACTS}{act['uuid']}/", token=acct.token)
    h.expect(r, 200)


@scenario("cpd.activities_list")
def _activities_list(h: Harness) -> None:
    acct = h.account()
    h.create(ACTS, activity("One"), acct.token)
    h.create(ACTS, activity("Two", "Technical", 3), acct.token)
    with h.measure():
        r = h.api.get(ACTS, token=acct.token)
    h.expect(r, 200)


@scenario("cpd.activity_update")
def _activity_update(h: Harness) -> None:
    acct = h.account()
    act = h.create(ACTS, activity(), acct.token)
    with h.measure():
        r = h.api.patch(f"{ACTS}{act['uuid']}/", {"hours": 2.0, "notes": "corrected"}, token=acct.token)
    h.expect(r, 200)


@scenario("cpd.activity_delete")
def _activity_delete(h: Harness) -> None:
    acct = h.account()
    act = h.create(ACTS, activity(), acct.token)
    with h.measure():
        r = h.api.delete(f"{ACTS}{act['uuid']}/", token=acct.token)
    h.expect(r, 204)


@scenario("cpd.summary")
def _summary(h: Harness) -> None:
    acct = h.account()
    h.create(REQS, requirement("Ethics", 5), acct.token)
    h.create(ACTS, activity("One"), acct.token)
    h.create(ACTS, activity("Two", "Technical", 3), acct.token)
    with h.measure():
        r = h.api.get("/users/me/cpd-summary/", token=acct.token)
    h.expect(r, 200)


# ---------------------------------------------------------------- events and registrations

EVENT = {
    "title": "Bench webinar",
    "starts_at": "2030-03-01T10:00:00+00:00",
    "ends_at": "2030-03-01T12:00:00+00:00",
    "timezone": "Europe/London",
}


def _published_event(h: Harness, token: str, **fields: Any) -> str:
    event = h.create("/events/", {**EVENT, **fields}, token)
    h.expect(h.api.post(f"/events/{event['uuid']}/publish/", token=token), 200)
    return str(event["uuid"])


def _register(h: Harness, event_id: str, status: int = 201) -> dict[str, Any]:
    r = h.api.post(f"/events/{event_id}/register/", {"email": h.email(), "full_name": "Guest Bench"})
    h.expect(r, status)
    return dict(r.json)


@scenario("events.create")
def _event_create(h: Harness) -> None:
    acct = h.account()
    with h.measure():
        r = h.api.post("/events/", EVENT, token=acct.token)
    h.expect(r, 201)


@scenario("events.get")
def _event_get(h: Harness) -> None:
    acct = h.account()
    event = h.create("/events/", EVENT, acct.token)
    with h.measure():
        r = h.api.get(f"/events/{event['uuid']}/", token=acct.token)
    h.expect(r, 200)


@scenario("events.list")
def _events_list(h: Harness) -> None:
    acct = h.account()
    for _ in range(3):
        h.create("/events/", EVENT, acct.token)
    with h.measure():
        r = h.api.get("/events/", token=acct.token)
    h.expect(r, 200)


@scenario("events.update")
def _event_update(h: Harness) -> None:
    acct = h.account()
    event = h.create("/events/", EVENT, acct.token)
    with h.measure():
        r = h.api.patch(f"/events/{event['uuid']}/", {"capacity": 50}, token=acct.token)
    h.expect(r, 200)


@scenario("events.publish")
def _event_publish(h: Harness) -> None:
    acct = h.account()
    event = h.create("/events/", EVENT, acct.token)
    with h.measure():
        r = h.api.post(f"/events/{event['uuid']}/publish/", token=acct.token)
    h.expect(r, 200)


@scenario("events.public_get")
def _event_public(h: Harness) -> None:
    acct = h.account()
    event_id = _published_event(h, acct.token)
    with h.measure():
        r = h.api.get(f"/public/events/{event_id}/")
    h.expect(r, 200)


@scenario("registrations.register")
def _registration_register(h: Harness) -> None:
    acct = h.account()
    event_id = _published_event(h, acct.token, capacity=10)
    with h.measure():
        r = h.api.post(f"/events/{event_id}/register/", {"email": h.email(), "full_name": "Guest Bench"})
    h.expect(r, 201)


@scenario("registrations.register_waitlisted")
def _registration_waitlisted(h: Harness) -> None:
    acct = h.account()
    event_id = _published_event(h, acct.token, capacity=1, waitlist_enabled=True)
    _register(h, event_id)
    with h.measure():
        r = h.api.post(f"/events/{event_id}/register/", {"email": h.email(), "full_name": "Guest Bench"})
    h.expect(r, 201)
    if r.json.get("status") != "waitlisted":
        raise BenchFailure(f"expected a waitlisted registration, got {r.json}")


@scenario("registrations.cancel_promote")
def _registration_cancel_promote(h: Harness) -> None:
    acct = h.account()
    event_id = _published_event(h, acct.token, capacity=1, waitlist_enabled=True)
    first = _register(h, event_id)
    _register(h, event_id)
    with h.measure():
        r = h.api.post(f"/events/{event_id}/registrations/{first['uuid']}/cancel/", token=acct.token)
    h.expect(r, 200)


@scenario("registrations.organiser_list")
def _registrations_list(h: Harness) -> None:
    acct = h.account()
    event_id = _published_event(h, acct.token)
    for _ in range(3):
        _register(h, event_id)
    with h.measure():
        r = h.api.get(f"/events/{event_id}/registrations/", token=acct.token)
    h.expect(r, 200)


@scenario("registrations.mine")
def _registrations_mine(h: Harness) -> None:
    organiser = h.account()
    attendee = h.account()
    for _ in range(2):
        event_id = _published_event(h, organiser.token)
        h.expect(h.api.post(f"/events/{event_id}/register/", {"full_name": "Me"}, token=attendee.token), 201)
    with h.measure():
        r = h.api.get("/users/me/registrations/", token=attendee.token)
    h.expect(r, 200)


@scenario("discounts.validate")
def _discount_validate(h: Harness) -> None:
    acct = h.account()
    event_id = _published_event(h, acct.token, price=20)
    h.create(
        f"/events/{event_id}/discount-codes/",
        {"code": "BENCH10", "kind": "percent", "amount": 10},
        acct.token,
    )
    with h.measure():
        r = h.api.post(f"/events/{event_id}/discount-codes/validate/", {"code": "bench10"})
    h.expect(r, 200)


# ---------------------------------------------------------------- runner


def _result(op_id: str, floor: int | None) -> dict[str, Any]:
    return {
        "operation": op_id,
        "floor": floor,
        "calls": None,
        "dynamodb_ops": [],
        "authz": None,
        "authz_ops": [],
        "ses": None,
        "events": None,
        "other": [],
        "verdict": "MISSING",
        "error": None,
        "notes": [],
    }


def run_operations(floors: dict[str, int]) -> dict[str, Any]:
    from moto import mock_aws

    import tests.conftest  # noqa: F401  sets the test environment before lectern reads settings
    from tests.support import api as api_module
    from tests.support import builders
    from tests.support.aws import last_token, provision, reset_caches

    rec = Recorder()
    rec.install()
    rec.tag_authorizer(api_module)
    results = []
    try:
        with mock_aws():
            reset_caches()
            provision()
            for op_id, floor in floors.items():
                res = _result(op_id, floor)
                results.append(res)
                fn = OPERATIONS.get(op_id)
                if fn is None:
                    res["error"] = "no bench scenario for this operation (add one to tools/bench_ops.py)"
                    continue
                h = Harness(
                    api=api_module.Api(ip=f"198.51.100.{len(results)}"),
                    rec=rec,
                    builders=builders,
                    last_token=last_token,
                )
                res["notes"] = h.notes
                try:
                    fn(h)
                    if len(h.measured) != 1:
                        raise BenchFailure(f"scenario measured {len(h.measured)} windows, expected 1")
                except Exception as exc:  # noqa: BLE001  report and go on with the others
                    res["verdict"] = "ERROR"
                    where = traceback.extract_tb(exc.__traceback__)[-1]
                    message = " ".join(str(exc).split())
                    message = message if len(message) <= 300 else message[:297] + "..."
                    res["error"] = f"{type(exc).__name__}: {message} ({where.filename}:{where.lineno})"
                    continue
                calls = h.measured[0]
                op_calls = [c for c in calls if c.phase == "operation"]
                authz_calls = [c for c in calls if c.phase == "authorizer"]
                ddb = [c.operation for c in op_calls if c.service == "dynamodb"]
                res.update(
                    calls=len(ddb),
                    dynamodb_ops=ddb,
                    authz=sum(1 for c in authz_calls if c.service == "dynamodb"),
                    authz_ops=[c.operation for c in authz_calls if c.service == "dynamodb"],
                    ses=sum(1 for c in op_calls if c.service in ("ses", "sesv2")),
                    events=sum(1 for c in op_calls if c.service == "events"),
                    other=[
                        f"{c.service}:{c.operation}"
                        for c in op_calls
                        if c.service not in ("dynamodb", "ses", "sesv2", "events")
                    ],
                    verdict="PASS" if len(ddb) <= floor else "FAIL",
                )
    finally:
        rec.uninstall()
        reset_caches()
    unlisted = [op for op in OPERATIONS if op not in floors]
    return {
        "operations": results,
        "unlisted": unlisted,
        "method": "calls counted while the route group handler runs; authorizer calls tagged apart (authz)",
    }


# Scenarios of later areas register themselves into OPERATIONS (they import only the standard
# library and this module at import time).
from tools import bench_attendance, bench_outreach  # noqa: E402,F401
