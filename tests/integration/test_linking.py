"""Guest registrations become the account's once its email is verified (spec-review C5)."""

from __future__ import annotations

import pytest
from lectern.data.registrations import RegistrationItem

from tests.support.aws import last_token
from tests.support.builders import PASSWORD, login, signup, verified_account
from tests.support.events import make_event, user_id_of


@pytest.fixture
def organiser(api):
    return verified_account(api)


def _guest(api, event, email):
    r = api.post(f"/events/{event.event_id}/register/", {"email": email, "full_name": "Guest"})
    assert r.status == 201, r.json
    return r.json["uuid"]


def _reg(rid):
    return RegistrationItem.get(*RegistrationItem.key(rid), consistent_read=True)


def test_given_a_guest_registration_when_the_same_email_signs_up_and_verifies_then_it_is_linked(
    api, organiser
):
    a, b = make_event(organiser.token), make_event(organiser.token)
    r1, r2 = _guest(api, a, "x@example.org"), _guest(api, b, "X@Example.org")
    signup(api, "x@example.org")
    # before verification nothing is linked
    assert _reg(r1).user_id is None and _reg(r1).gsi2pk == "GUEST#x@example.org#REGS"
    assert api.post("/auth/verify-email/", {"token": last_token("x@example.org")}).status == 200
    me = login(api, "x@example.org", PASSWORD)
    uid = user_id_of(me.token)
    stored = _reg(r1)
    assert stored.user_id == uid and stored.gsi2pk == f"USER#{uid}#REGS"
    mine = api.get("/users/me/registrations/", token=me.token).json["items"]
    assert {i["uuid"] for i in mine} == {r1, r2} and all(i["user"] == uid for i in mine)
    # nothing left to link, and cancelling is now mine to do
    assert api.get("/users/me/link-registrations/", token=me.token).json["items"] == []
    assert api.post(f"/users/me/registrations/{r1}/cancel/", {}, token=me.token).status == 200


def test_someone_who_signs_up_with_anothers_email_but_never_verifies_gets_nothing(api, organiser):
    event = make_event(organiser.token)
    rid = _guest(api, event, "victim@example.org")
    signup(api, "victim@example.org")
    assert _reg(rid).user_id is None
    # an unverified account cannot log in — and even its verified neighbour with another email
    # sees nothing of the victim's registration
    other = verified_account(api)
    assert api.get("/users/me/link-registrations/", token=other.token).json["items"] == []
    linked = api.post("/users/me/link-registrations/", {}, token=other.token).json
    assert linked == {"linked": 0, "items": []}
    assert _reg(rid).user_id is None


def test_the_link_routes_list_and_link_registrations_made_after_verification(api, organiser):
    me = verified_account(api)
    event = make_event(organiser.token)
    rid = _guest(api, event, me.email)  # registered as a guest while signed out
    listed = api.get("/users/me/link-registrations/", token=me.token)
    assert listed.status == 200 and [i["uuid"] for i in listed.json["items"]] == [rid]
    r = api.post("/users/me/link-registrations/", {}, token=me.token)
    assert r.status == 200 and r.json["linked"] == 1 and r.json["items"][0]["uuid"] == rid
    assert _reg(rid).user_id == user_id_of(me.token)
    again = api.post("/users/me/link-registrations/", {}, token=me.token).json
    assert again["linked"] == 0


def test_linking_is_refused_for_an_unverified_email(api, organiser):
    """An account whose verification was withdrawn (e.g. the email changed) gets 403."""
    from lectern.data.accounts import UserItem

    me = verified_account(api)
    event = make_event(organiser.token)
    rid = _guest(api, event, me.email)
    user = UserItem.get(*UserItem.key(user_id_of(me.token)))
    user.update(actions=[UserItem.email_verified_at.remove()])
    for r in (
        api.get("/users/me/link-registrations/", token=me.token),
        api.post("/users/me/link-registrations/", {}, token=me.token),
    ):
        assert r.status == 403 and r.error_code == "email_not_verified"
    assert _reg(rid).user_id is None


def test_a_registration_linked_elsewhere_is_not_linked_twice(api, organiser):
    from lectern.deps import Deps
    from lectern.integrations.bus import MemoryPublisher
    from lectern.integrations.mail import MemoryMailer
    from lectern.registrations.linking import link_guest_registrations

    event = make_event(organiser.token)
    rid = _guest(api, event, "y@example.org")
    deps = Deps(mailer=MemoryMailer(), bus=MemoryPublisher())
    assert link_guest_registrations("user-1", "y@example.org", deps=deps) == 1
    assert link_guest_registrations("user-2", "y@example.org", deps=deps) == 0
    assert _reg(rid).user_id == "user-1"
