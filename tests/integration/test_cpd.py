"""CPD requirements, self-logged activities and the summary against requirements."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.support.builders import verified_account


@pytest.fixture
def me(api):
    return verified_account(api)


def _req(api, me, **kw):
    body = {"category": "Ethics", "hours_required": 5, **kw}
    return api.post("/users/me/cpd-requirements/", body, token=me.token)


def _act(api, me, **kw):
    body = {
        "title": "Regulatory update webinar",
        "category": "Ethics",
        "hours": 1.5,
        "completed_on": "2026-03-01",
        **kw,
    }
    return api.post("/users/me/cpd-activities/", body, token=me.token)


def test_requirement_crud(api, me):
    r = _req(api, me, period_start_month=4)
    assert r.status == 201
    rid = r.json["uuid"]
    assert (
        r.json | {"uuid": rid} == r.json
        and r.json["period"] == "yearly"
        and r.json["period_start_month"] == 4
    )
    assert api.get(f"/users/me/cpd-requirements/{rid}/", token=me.token).json["hours_required"] == 5
    p = api.patch(f"/users/me/cpd-requirements/{rid}/", {"hours_required": 7.5}, token=me.token)
    assert p.status == 200 and p.json["hours_required"] == 7.5
    assert [i["uuid"] for i in api.get("/users/me/cpd-requirements/", token=me.token).json["items"]] == [rid]
    assert api.delete(f"/users/me/cpd-requirements/{rid}/", token=me.token).status == 204
    assert api.get(f"/users/me/cpd-requirements/{rid}/", token=me.token).status == 404
    # Deleting frees the category.
    assert _req(api, me).status == 201


def test_one_requirement_per_category_case_insensitively(api, me):
    assert _req(api, me, category="Ethics").status == 201
    dup = _req(api, me, category="  ethics ")
    assert dup.status == 409 and dup.error_code == "duplicate_category"
    other = _req(api, me, category="Clinical skills")
    assert other.status == 201
    moved = api.patch(
        f"/users/me/cpd-requirements/{other.json['uuid']}/", {"category": "ETHICS"}, token=me.token
    )
    assert moved.status == 409
    renamed = api.patch(
        f"/users/me/cpd-requirements/{other.json['uuid']}/", {"category": "Leadership"}, token=me.token
    )
    assert renamed.status == 200
    assert _req(api, me, category="clinical SKILLS").status == 201  # the old category was released


@pytest.mark.parametrize(
    "body, field",
    [
        ({"category": "", "hours_required": 5}, "category"),
        ({"category": "Ethics", "hours_required": 0}, "hours_required"),
        ({"category": "Ethics", "hours_required": -1}, "hours_required"),
        ({"category": "Ethics", "hours_required": 5, "period": "monthly"}, "period"),
        ({"category": "Ethics", "hours_required": 5, "period_start_month": 13}, "period_start_month"),
        ({"category": "Ethics", "hours_required": "lots"}, "hours_required"),
    ],
)
def test_requirement_validation_names_the_field(api, me, body, field):
    r = api.post("/users/me/cpd-requirements/", body, token=me.token)
    assert r.status == 422
    assert field in {d["field"] for d in r.json["error"]["details"]}
    assert api.get("/users/me/cpd-requirements/", token=me.token).json["items"] == []


def test_activity_crud_and_newest_first(api, me):
    a = _act(api, me, title="First")
    b = _act(api, me, title="Second", evidence_url="https://example.org/cert.pdf")
    assert a.status == b.status == 201
    assert b.json["evidence_url"] == "https://example.org/cert.pdf"
    listed = api.get("/users/me/cpd-activities/", token=me.token).json["items"]
    assert [x["title"] for x in listed] == ["Second", "First"]
    p = api.patch(
        f"/users/me/cpd-activities/{a.json['uuid']}/", {"hours": 2, "notes": "with workshop"}, token=me.token
    )
    assert p.status == 200 and p.json["hours"] == 2 and p.json["notes"] == "with workshop"
    assert api.delete(f"/users/me/cpd-activities/{a.json['uuid']}/", token=me.token).status == 204
    assert api.delete(f"/users/me/cpd-activities/{a.json['uuid']}/", token=me.token).status == 404


def test_activity_cannot_be_in_the_future_or_have_a_bad_url(api, me):
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    r = _act(api, me, completed_on=tomorrow)
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == "completed_on"
    r = _act(api, me, evidence_url="javascript:alert(1)")
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == "evidence_url"
    assert api.get("/users/me/cpd-activities/", token=me.token).json["items"] == []


def test_summary_adds_hours_per_category_and_period_against_requirements(api, me):
    # Requirement: 5 h of Ethics per year starting in April.
    _req(api, me, category="Ethics", hours_required=5, period_start_month=4)
    _act(api, me, category="ethics", hours=2, completed_on="2026-04-01")  # in period 2026-04..2027-03
    _act(api, me, category="Ethics ", hours=1.25, completed_on="2026-03-31")  # previous period
    _act(api, me, category="Ethics", hours=3.5, completed_on="2026-10-15")  # in period
    _act(api, me, category="Clinical", hours=4, completed_on="2026-06-01")  # no requirement: calendar year
    r = api.get("/users/me/cpd-summary/", token=me.token, query={"as_of": "2026-11-01"})
    assert r.status == 200, r.json
    s = r.json
    [ethics] = s["requirements"]
    assert (ethics["period_start"], ethics["period_end"]) == ("2026-04-01", "2027-03-31")
    assert ethics["hours_earned"] == 5.5 and ethics["hours_remaining"] == 0 and ethics["met"] is True
    assert ethics["percent_complete"] == 100
    periods = {(c["category"], c["period_start"]): c for c in s["categories"]}
    assert periods[("Ethics", "2026-04-01")]["hours"] == 5.5
    assert periods[("Ethics", "2026-04-01")]["activities"] == 2
    assert periods[("Ethics", "2025-04-01")]["hours"] == 1.25
    assert periods[("Clinical", "2026-01-01")]["hours"] == 4
    assert s["total_hours_current_year"] == 10.75


def test_summary_for_a_new_user_is_empty_but_complete(api, me):
    _req(api, me, category="Ethics", hours_required=5)
    r = api.get("/users/me/cpd-summary/", token=me.token)
    [ethics] = r.json["requirements"]
    assert ethics["hours_earned"] == 0 and ethics["hours_remaining"] == 5 and ethics["met"] is False
    assert r.json["categories"] == []


def test_summary_rejects_a_bad_date(api, me):
    r = api.get("/users/me/cpd-summary/", token=me.token, query={"as_of": "yesterday"})
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == "as_of"
