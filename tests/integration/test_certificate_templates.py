"""Certificate templates (PRODUCT.md §6, spec-review H1): create, list (lighter), read, change
in place or as a new version once certificates were issued with the latest one, versions,
concurrent edits (interleaved deterministically), delete, image uploads (scoped presigned
POSTs), the sample preview, the layout's validation naming `layout.<field>`, another
organiser's templates (404), events naming a template, and DynamoDB calls per operation."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pytest
from lectern import aws
from lectern.certificates import templates
from lectern.config import get_settings
from lectern.data import tx
from lectern.data.audit import AuditItem
from lectern.data.certificates import CertificateTemplateHeadItem as Head
from lectern.data.certificates import CertificateTemplateItem as Item
from lectern.deps import default_deps
from lectern.request import RequestMeta

import functions.certificates.handler as certificates_handler
from tests.support.builders import verified_account
from tests.support.calls import dynamodb_calls
from tests.support.events import user_id_of

BASE = "/certificate-templates/"
META = RequestMeta(ip="203.0.113.9", correlation_id="test")


@pytest.fixture
def me(api):
    return verified_account(api)


def _create(api, me, **body):
    r = api.post(BASE, {"name": "Attendance", **body}, token=me.token)
    assert r.status == 201, r.json
    return r.json


def _head(template_id: str) -> Head | None:
    try:
        return Head.get(*Head.key(template_id), consistent_read=True)
    except Head.DoesNotExist:
        return None


def _versions(template_id: str) -> list[Item]:
    return list(Item.query(f"TEMPLATE#{template_id}", Item.sk.startswith("V#"), consistent_read=True))


def _audit(template_id: str) -> list[str]:
    return [i.action for i in AuditItem.query(f"AUDIT#certificate_template#{template_id}")]


def _issue(template_id: str, times: int = 1) -> None:
    """What issuing does to the template: count_issue on the latest version inside the issuing
    transaction (here a transaction of its own)."""
    head = _head(template_id)
    assert head is not None
    for _ in range(times):
        item = templates.version_for_issue(head.owner_id, template_id)
        assert item is not None
        with tx.write() as t:
            templates.count_issue(t, item)


def _upload(key: str, body: bytes = b"\x89PNG\r\n\x1a\n") -> None:
    aws.client("s3").put_object(
        Bucket=get_settings().files_bucket, Key=key, Body=body, ContentType="image/png"
    )


def _image_key(api, me, template_id: str, kind: str = "logo") -> str:
    r = api.post(
        f"{BASE}{template_id}/images/",
        {"kind": kind, "content_type": "image/png", "size": 100},
        token=me.token,
    )
    assert r.status == 201, r.json
    return r.json["key"]


# ---------------------------------------------------------------- create


def test_given_a_name_only_when_creating_then_version_1_with_the_default_layout(api, me):
    body = _create(api, me)
    tid = body["uuid"]
    assert body["version"] == 1 and body["is_latest_version"] is True and body["issued_count"] == 0
    assert body["original_template"] == tid and body["version_id"] != tid
    assert body["orientation"] == "landscape"
    assert body["layout"] == templates.DEFAULT_LAYOUT
    owner = user_id_of(me.token)
    head = _head(tid)
    assert head.owner_id == owner and int(head.latest_version) == 1 and int(head.revision) == 0
    (v1,) = _versions(tid)
    assert v1.gsi1pk == f"OWNER#{owner}#TEMPLATES" and v1.gsi1sk == tid
    assert _audit(tid) == ["lectern.certificate_template.created"]


def test_given_a_partial_layout_when_creating_then_it_is_normalised_over_the_defaults(api, me):
    body = _create(
        api,
        me,
        orientation="portrait",
        layout={
            "title": "  Certificate of Completion {name} ",
            "primary_color": "#abcdef",
            "font": "sans",
            "show": {"qr_code": False},
            "signatory_name": "Dr Ada",
        },
    )
    lay = body["layout"]
    assert body["orientation"] == "portrait"
    assert lay["title"] == "Certificate of Completion {name}" and lay["primary_color"] == "#ABCDEF"
    assert lay["font"] == "sans" and lay["signatory_name"] == "Dr Ada"
    assert lay["show"] == {**templates.DEFAULT_LAYOUT["show"], "qr_code": False}
    assert _versions(body["uuid"])[0].layout == lay


@pytest.mark.parametrize(
    ("layout", "field", "code"),
    [
        ({"title": "  "}, "layout.title", "string_too_short"),
        ({"title": "x" * 121}, "layout.title", "string_too_long"),
        ({"body_text": "Well done {first_name}"}, "layout.body_text", "unknown_placeholder"),
        ({"footer": "{name.__class__}"}, "layout.footer", "unknown_placeholder"),
        ({"subtitle": "a { b"}, "layout.subtitle", "unbalanced_brace"),
        ({"body_text": "{name!r}"}, "layout.body_text", "unknown_placeholder"),
        ({"font": "comic"}, "layout.font", None),
        ({"primary_color": "red"}, "layout.primary_color", "color"),
        ({"border_color": "#12345"}, "layout.border_color", "color"),
        ({"show": {"qr_code": "yes"}}, "layout.show.qr_code", None),
        ({"show": {"confetti": True}}, "layout.show.confetti", None),
        ({"watermark": "x"}, "layout.watermark", None),
        (
            {"logo_image_key": "templates/someone/else/logo/x.png"},
            "layout.logo_image_key",
            "foreign_image_key",
        ),
        ({"issuer_name": 7}, "layout.issuer_name", None),
    ],
)
def test_given_a_bad_layout_when_creating_then_422_names_the_field_and_nothing_is_stored(
    api, me, layout, field, code
):
    r = api.post(BASE, {"name": "T", "layout": layout}, token=me.token)
    assert r.status == 422, r.json
    details = r.json["error"]["details"]
    assert field in {d["field"] for d in details}, details
    if code:
        assert code in {d["code"] for d in details}
    assert api.get(BASE, token=me.token).json["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "name"), ({"name": ""}, "name"), ({"name": "T", "orientation": "square"}, "orientation")],
)
def test_given_bad_fields_when_creating_then_422_names_them(api, me, body, field):
    r = api.post(BASE, body, token=me.token)
    assert r.status == 422
    assert field in {d["field"] for d in r.json["error"]["details"]}


# ---------------------------------------------------------------- list / read


def test_given_templates_when_listing_then_newest_first_lighter_than_the_detail_and_paged(api, me):
    first = _create(api, me, name="First")["uuid"]
    second = _create(api, me, name="Second")["uuid"]
    other = verified_account(api)
    _create(api, other, name="Not mine")
    r = api.get(BASE, token=me.token)
    assert r.status == 200
    assert [i["uuid"] for i in r.json["items"]] == [second, first]
    assert set(r.json["items"][0]) == {
        "uuid",
        "name",
        "orientation",
        "version",
        "issued_count",
        "created_at",
        "updated_at",
    }
    page = api.get(BASE, token=me.token, query={"limit": "1"}).json
    assert [i["uuid"] for i in page["items"]] == [second] and page["next_cursor"]
    rest = api.get(BASE, token=me.token, query={"limit": "1", "cursor": page["next_cursor"]}).json
    assert [i["uuid"] for i in rest["items"]] == [first]
    # A cursor is bound to its listing: another organiser cannot replay it.
    r = api.get(BASE, token=other.token, query={"cursor": page["next_cursor"]})
    assert r.status == 400 and r.error_code == "invalid_cursor"


def test_given_my_template_when_reading_then_the_latest_version(api, me):
    tid = _create(api, me, layout={"title": "Hello"})["uuid"]
    r = api.get(f"{BASE}{tid}/", token=me.token)
    assert r.status == 200 and r.json["layout"]["title"] == "Hello" and r.json["version"] == 1


def test_given_another_organisers_template_when_touching_it_then_404_everywhere_and_nothing_changes(api, me):
    tid = _create(api, me)["uuid"]
    mallory = verified_account(api)
    t = mallory.token
    for r in (
        api.get(f"{BASE}{tid}/", token=t),
        api.patch(f"{BASE}{tid}/", {"name": "Mine now"}, token=t),
        api.delete(f"{BASE}{tid}/", token=t),
        api.get(f"{BASE}{tid}/versions/", token=t),
        api.post(f"{BASE}{tid}/preview/", {}, token=t),
        api.post(f"{BASE}{tid}/images/", {"kind": "logo", "content_type": "image/png", "size": 10}, token=t),
    ):
        assert r.status == 404, r.json
        assert r.error_code == "not_found"
    assert api.get(BASE, token=t).json["items"] == []
    assert int(_head(tid).revision) == 0 and _versions(tid)[0].name == "Attendance"
    assert templates.version_for_issue(user_id_of(t), tid) is None


def test_given_an_unknown_template_when_reading_then_404(api, me):
    r = api.get(f"{BASE}0190a8f0-0000-7000-8000-000000000001/", token=me.token)
    assert r.status == 404 and r.error_code == "not_found"
    r = api.get(f"{BASE}0190a8f0-0000-7000-8000-000000000001/versions/", token=me.token)
    assert r.status == 404


# ---------------------------------------------------------------- edit: in place / new version


def test_given_no_issued_certificates_when_editing_then_the_latest_version_changes_in_place(api, me):
    created = _create(api, me, layout={"show": {"qr_code": False}})
    tid = created["uuid"]
    r = api.patch(
        f"{BASE}{tid}/",
        {"name": "Renamed", "layout": {"title": "New {event}", "show": {"dates": False}}},
        token=me.token,
    )
    assert r.status == 200, r.json
    body = r.json
    assert body["version"] == 1 and body["version_id"] == created["version_id"] and body["name"] == "Renamed"
    # Layout keys merge; show merges flag by flag.
    assert body["layout"]["title"] == "New {event}"
    assert body["layout"]["show"]["qr_code"] is False and body["layout"]["show"]["dates"] is False
    assert body["layout"]["subtitle"] == templates.DEFAULT_LAYOUT["subtitle"]
    (v1,) = _versions(tid)
    assert v1.name == "Renamed" and v1.layout == body["layout"]
    assert int(_head(tid).revision) == 1 and int(_head(tid).latest_version) == 1
    assert _audit(tid) == ["lectern.certificate_template.created", "lectern.certificate_template.updated"]


def test_given_an_edit_that_changes_nothing_when_patching_then_nothing_is_written(api, me):
    tid = _create(api, me, layout={"title": "Same"})["uuid"]
    for body in ({}, {"name": "Attendance"}, {"layout": {"title": "Same"}}, {"name": None}):
        r = api.patch(f"{BASE}{tid}/", body, token=me.token)
        assert r.status == 200, r.json
    assert int(_head(tid).revision) == 0
    assert _audit(tid) == ["lectern.certificate_template.created"]


def test_given_issued_certificates_when_editing_then_a_new_version_and_the_old_one_keeps_its_design(api, me):
    created = _create(api, me, layout={"title": "Old design"})
    tid = created["uuid"]
    _issue(tid, times=2)
    r = api.patch(f"{BASE}{tid}/", {"layout": {"title": "New design"}}, token=me.token)
    assert r.status == 200, r.json
    body = r.json
    assert body["version"] == 2 and body["is_latest_version"] is True and body["issued_count"] == 0
    assert body["version_id"] != created["version_id"] and body["original_template"] == tid
    assert body["uuid"] == tid and body["name"] == "Attendance"
    v1, v2 = _versions(tid)
    assert v1.layout["title"] == "Old design" and int(v1.issued_count) == 2
    assert v1.is_latest_version is False and v1.gsi1pk is None and v1.gsi1sk is None
    assert v2.layout["title"] == "New design" and v2.is_latest_version is True
    assert v2.gsi1pk == f"OWNER#{user_id_of(me.token)}#TEMPLATES"
    head = _head(tid)
    assert int(head.latest_version) == 2 and int(head.revision) == 1
    # The list shows the template once, at its latest version; the read answers it too.
    items = api.get(BASE, token=me.token).json["items"]
    assert [(i["uuid"], i["version"]) for i in items] == [(tid, 2)]
    assert api.get(f"{BASE}{tid}/", token=me.token).json["layout"]["title"] == "New design"
    assert templates.version_for_issue(user_id_of(me.token), tid).version == 2
    assert _audit(tid)[-1] == "lectern.certificate_template.versioned"
    # Version 2 has no certificates yet: the next edit changes it in place.
    r = api.patch(f"{BASE}{tid}/", {"name": "Again"}, token=me.token)
    assert r.json["version"] == 2 and len(_versions(tid)) == 2 and _versions(tid)[0].name == "Attendance"


def test_given_versions_when_listing_them_then_newest_first_with_their_layouts_and_paged(api, me):
    tid = _create(api, me, layout={"title": "One"})["uuid"]
    _issue(tid)
    api.patch(f"{BASE}{tid}/", {"layout": {"title": "Two"}}, token=me.token)
    _issue(tid)
    api.patch(f"{BASE}{tid}/", {"layout": {"title": "Three"}}, token=me.token)
    r = api.get(f"{BASE}{tid}/versions/", token=me.token)
    assert r.status == 200
    items = r.json["items"]
    assert [(i["version"], i["layout"]["title"], i["is_latest_version"]) for i in items] == [
        (3, "Three", True),
        (2, "Two", False),
        (1, "One", False),
    ]
    assert [i["issued_count"] for i in items] == [0, 1, 1]
    assert len({i["version_id"] for i in items}) == 3 and {i["original_template"] for i in items} == {tid}
    page = api.get(f"{BASE}{tid}/versions/", token=me.token, query={"limit": "2"}).json
    assert [i["version"] for i in page["items"]] == [3, 2]
    rest = api.get(
        f"{BASE}{tid}/versions/", token=me.token, query={"limit": "2", "cursor": page["next_cursor"]}
    )
    assert [i["version"] for i in rest.json["items"]] == [1]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"layout": {"body_text": "{nom}"}}, "layout.body_text"),
        ({"layout": {"text_color": "#GGGGGG"}}, "layout.text_color"),
        ({"layout": {"show": {"qr_code": None}}}, "layout.show.qr_code"),
        ({"orientation": "diagonal"}, "orientation"),
        ({"name": "  "}, "name"),
        ({"layout": {"extra": 1}}, "layout.extra"),
    ],
)
def test_given_a_bad_change_when_patching_then_422_names_the_field_and_nothing_changes(api, me, body, field):
    tid = _create(api, me)["uuid"]
    r = api.patch(f"{BASE}{tid}/", body, token=me.token)
    assert r.status == 422, r.json
    assert field in {d["field"] for d in r.json["error"]["details"]}
    assert int(_head(tid).revision) == 0 and _versions(tid)[0].layout == templates.DEFAULT_LAYOUT


# ---------------------------------------------------------------- concurrent edits


def _edit(owner_id: str, tid: str, **changes) -> Item:
    return templates.update_template(
        owner_id=owner_id, template_id=tid, changes=changes, meta=META, deps=default_deps()
    )


def _latest_count(tid: str) -> int:
    return sum(1 for v in _versions(tid) if v.is_latest_version)


def test_given_two_edits_that_read_the_same_revision_then_the_second_write_loses(api, me):
    owner = user_id_of(me.token)
    tid = _create(api, me)["uuid"]
    a = templates.prepare_edit(owner, tid, {"name": "A"})
    b = templates.prepare_edit(owner, tid, {"layout": {"title": "B"}})
    templates.commit_edit(a, owner_id=owner, meta=META, deps=default_deps())
    with pytest.raises(templates.LostRace):
        templates.commit_edit(b, owner_id=owner, meta=META, deps=default_deps())
    (v1,) = _versions(tid)
    assert v1.name == "A" and v1.layout["title"] == templates.DEFAULT_LAYOUT["title"]
    assert int(_head(tid).revision) == 1


def test_given_two_edits_of_a_used_template_that_read_together_then_never_two_latest_versions(api, me):
    owner = user_id_of(me.token)
    tid = _create(api, me)["uuid"]
    _issue(tid)
    a = templates.prepare_edit(owner, tid, {"name": "A"})
    b = templates.prepare_edit(owner, tid, {"name": "B"})
    assert a.new_version and b.new_version
    templates.commit_edit(a, owner_id=owner, meta=META, deps=default_deps())
    with pytest.raises(templates.LostRace):
        templates.commit_edit(b, owner_id=owner, meta=META, deps=default_deps())
    assert [v.version for v in _versions(tid)] == [1, 2] and _latest_count(tid) == 1
    assert int(_head(tid).latest_version) == 2
    # B's retry reads version 2 (no certificates) and changes it in place.
    assert _edit(owner, tid, name="B").version == 2
    assert [v.name for v in _versions(tid)] == ["Attendance", "B"] and _latest_count(tid) == 1


def test_given_an_edit_interleaved_with_another_then_it_retries_once_and_both_changes_stand(
    api, me, monkeypatch
):
    tid = _create(api, me)["uuid"]
    _issue(tid)
    real = templates.prepare_edit
    reads = []

    def interleaved(owner_id, template_id, changes):
        plan = real(owner_id, template_id, changes)
        reads.append(plan.latest.version)
        if len(reads) == 1:  # another organiser tab saves between this edit's read and its write
            r = api.patch(f"{BASE}{tid}/", {"name": "Other tab"}, token=me.token)
            assert r.status == 200 and r.json["version"] == 2
        return plan

    monkeypatch.setattr(templates, "prepare_edit", interleaved)
    r = api.patch(f"{BASE}{tid}/", {"layout": {"title": "Mine"}}, token=me.token)
    assert r.status == 200, r.json
    assert r.json["version"] == 2 and r.json["name"] == "Other tab" and r.json["layout"]["title"] == "Mine"
    assert reads == [1, 1, 2]  # mine, the other tab's, my retry
    assert [v.version for v in _versions(tid)] == [1, 2] and _latest_count(tid) == 1


def test_given_an_edit_that_loses_every_time_then_409_edit_conflict_and_only_the_winners_are_stored(
    api, me, monkeypatch
):
    owner = user_id_of(me.token)
    tid = _create(api, me)["uuid"]
    real = templates.prepare_edit
    n = [0]

    def always_beaten(owner_id, template_id, changes):
        plan = real(owner_id, template_id, changes)
        n[0] += 1
        winner = real(owner_id, template_id, {"name": f"Winner {n[0]}"})
        templates.commit_edit(winner, owner_id=owner, meta=META, deps=default_deps())  # commits first
        return plan

    monkeypatch.setattr(templates, "prepare_edit", always_beaten)
    r = api.patch(f"{BASE}{tid}/", {"layout": {"title": "Loser"}}, token=me.token)
    monkeypatch.setattr(templates, "prepare_edit", real)
    assert r.status == 409 and r.error_code == "edit_conflict"
    (v1,) = _versions(tid)
    assert v1.name == "Winner 2" and v1.layout["title"] == templates.DEFAULT_LAYOUT["title"]
    assert int(_head(tid).revision) == 2


def test_given_a_certificate_issued_between_an_edits_read_and_write_then_the_edit_makes_a_new_version(
    api, me, monkeypatch
):
    tid = _create(api, me, layout={"title": "As issued"})["uuid"]
    real = templates.prepare_edit
    calls = [0]

    def issue_meanwhile(owner_id, template_id, changes):
        plan = real(owner_id, template_id, changes)
        calls[0] += 1
        if calls[0] == 1:
            assert not plan.new_version  # it read "no certificates": in place...
            _issue(tid)  # ...but a certificate is issued with version 1 before it writes
        return plan

    monkeypatch.setattr(templates, "prepare_edit", issue_meanwhile)
    r = api.patch(f"{BASE}{tid}/", {"layout": {"title": "Changed"}}, token=me.token)
    assert r.status == 200 and r.json["version"] == 2
    v1, v2 = _versions(tid)
    assert v1.layout["title"] == "As issued" and int(v1.issued_count) == 1
    assert v2.layout["title"] == "Changed" and _latest_count(tid) == 1


# ---------------------------------------------------------------- delete


def test_given_an_unused_template_when_deleting_then_every_item_goes(api, me):
    tid = _create(api, me)["uuid"]
    api.patch(f"{BASE}{tid}/", {"name": "Edited"}, token=me.token)
    r = api.delete(f"{BASE}{tid}/", token=me.token)
    assert r.status == 204
    assert _head(tid) is None and _versions(tid) == []
    assert api.get(f"{BASE}{tid}/", token=me.token).status == 404
    assert api.get(BASE, token=me.token).json["items"] == []
    assert _audit(tid)[-1] == "lectern.certificate_template.deleted"
    assert templates.version_for_issue(user_id_of(me.token), tid) is None
    assert api.delete(f"{BASE}{tid}/", token=me.token).status == 404


def test_given_a_template_with_issued_certificates_when_deleting_then_409_and_it_stays(api, me):
    tid = _create(api, me)["uuid"]
    _issue(tid)
    r = api.delete(f"{BASE}{tid}/", token=me.token)
    assert r.status == 409 and r.error_code == "template_has_certificates"
    assert _head(tid) is not None and len(_versions(tid)) == 1
    # A later version without certificates of its own: the older one still has them.
    api.patch(f"{BASE}{tid}/", {"name": "v2"}, token=me.token)
    r = api.delete(f"{BASE}{tid}/", token=me.token)
    assert r.status == 409 and r.error_code == "template_has_certificates"
    assert len(_versions(tid)) == 2


def test_given_a_certificate_issued_while_deleting_then_409_and_nothing_is_deleted(api, me, monkeypatch):
    tid = _create(api, me)["uuid"]
    real = templates._owned_head
    calls = [0]

    def issue_meanwhile(owner_id, template_id):
        head = real(owner_id, template_id)
        calls[0] += 1
        if calls[0] == 1:
            _issue(tid)
        return head

    monkeypatch.setattr(templates, "_owned_head", issue_meanwhile)
    r = api.delete(f"{BASE}{tid}/", token=me.token)
    assert r.status == 409 and r.error_code == "template_has_certificates"
    assert _head(tid) is not None and int(_versions(tid)[0].issued_count) == 1


# ---------------------------------------------------------------- issuing contract


def test_version_for_issue_and_count_issue(api, me):
    owner = user_id_of(me.token)
    assert templates.version_for_issue(owner, None) is None
    assert templates.layout_of(None) == templates.DEFAULT_LAYOUT
    tid = _create(api, me, layout={"title": "Ours"})["uuid"]
    item = templates.version_for_issue(owner, tid)
    assert item.version == 1 and templates.layout_of(item)["title"] == "Ours"
    assert templates.version_for_issue("someone-else", tid) is None
    _issue(tid, times=3)
    assert int(_versions(tid)[0].issued_count) == 3
    # The version must exist: counting an issue of a deleted version fails the transaction.
    ghost = Item(*Item.key(tid, 9))
    with pytest.raises(Exception), tx.write() as t:  # noqa: B017 - pynamodb's TransactWriteError
        templates.count_issue(t, ghost)
    assert [v.version for v in _versions(tid)] == [1]


# ---------------------------------------------------------------- images


def _policy(fields: dict) -> dict:
    return json.loads(base64.b64decode(fields["policy"]))


@pytest.mark.parametrize(
    ("kind", "limit"), [("background", 5 * 1024 * 1024), ("logo", 1024 * 1024), ("signature", 1024 * 1024)]
)
def test_given_an_image_upload_then_a_presigned_post_scoped_to_the_template_with_type_and_size_pinned(
    api, me, kind, limit
):
    tid = _create(api, me)["uuid"]
    before = datetime.now(UTC)
    r = api.post(
        f"{BASE}{tid}/images/", {"kind": kind, "content_type": "image/jpeg", "size": 1000}, token=me.token
    )
    assert r.status == 201, r.json
    body = r.json
    owner = user_id_of(me.token)
    assert body["key"].startswith(f"templates/{owner}/{tid}/{kind}/") and body["key"].endswith(".jpg")
    assert body["fields"]["key"] == body["key"] and body["fields"]["Content-Type"] == "image/jpeg"
    conditions = _policy(body["fields"])["conditions"]
    assert {"key": body["key"]} in conditions
    assert {"Content-Type": "image/jpeg"} in conditions
    assert ["content-length-range", 1, limit] in conditions
    assert urlparse(body["url"]).netloc.startswith(get_settings().files_bucket)
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert before + timedelta(minutes=5) < expires <= datetime.now(UTC) + timedelta(minutes=10)
    # Two uploads never share a key.
    assert _image_key(api, me, tid, kind) != body["key"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "logo", "content_type": "image/png", "size": 1024 * 1024 + 1}, "size"),
        ({"kind": "background", "content_type": "image/png", "size": 5 * 1024 * 1024 + 1}, "size"),
        ({"kind": "logo", "content_type": "image/gif", "size": 10}, "content_type"),
        ({"kind": "logo", "content_type": "image/svg+xml", "size": 10}, "content_type"),
        ({"kind": "watermark", "content_type": "image/png", "size": 10}, "kind"),
        ({"kind": "logo", "content_type": "image/png", "size": 0}, "size"),
    ],
)
def test_given_a_bad_image_upload_then_422_names_the_field(api, me, body, field):
    tid = _create(api, me)["uuid"]
    r = api.post(f"{BASE}{tid}/images/", body, token=me.token)
    assert r.status == 422, r.json
    assert field in {d["field"] for d in r.json["error"]["details"]}


def test_given_an_uploaded_image_when_setting_its_key_then_stored_and_only_own_uploaded_keys_pass(api, me):
    tid = _create(api, me)["uuid"]
    other_tid = _create(api, me, name="Other")["uuid"]
    key = _image_key(api, me, tid, "logo")
    # Not uploaded yet.
    r = api.patch(f"{BASE}{tid}/", {"layout": {"logo_image_key": key}}, token=me.token)
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == "layout.logo_image_key"
    assert r.json["error"]["details"][0]["code"] == "image_not_uploaded"
    _upload(key)
    # Another template's, another kind's, another tenant's prefix: refused.
    foreign_kind = key.replace("/logo/", "/background/")
    own_other = _image_key(api, me, other_tid, "logo")
    _upload(own_other)
    mallory = verified_account(api)
    mallory_tid = _create(api, mallory)["uuid"]
    theirs = _image_key(api, mallory, mallory_tid, "logo")
    _upload(theirs)
    for field, value in (
        ("background_image_key", key),
        ("logo_image_key", own_other),
        ("logo_image_key", theirs),
        ("logo_image_key", foreign_kind),
        ("logo_image_key", f"templates/{user_id_of(me.token)}/{tid}/logo/../../../x.png"),
    ):
        r = api.patch(f"{BASE}{tid}/", {"layout": {field: value}}, token=me.token)
        assert r.status == 422, (field, value)
        assert r.json["error"]["details"][0] == {
            "field": f"layout.{field}",
            "code": "foreign_image_key",
            "message": r.json["error"]["details"][0]["message"],
        }
    r = api.patch(f"{BASE}{tid}/", {"layout": {"logo_image_key": key}}, token=me.token)
    assert r.status == 200 and r.json["layout"]["logo_image_key"] == key
    assert _versions(tid)[0].layout["logo_image_key"] == key
    assert templates.load_image(key) == b"\x89PNG\r\n\x1a\n"
    r = api.patch(f"{BASE}{tid}/", {"layout": {"logo_image_key": None}}, token=me.token)
    assert r.status == 200 and r.json["layout"]["logo_image_key"] is None


def test_load_image_reads_only_template_images():
    assert templates.load_image("users/someone/avatar.png") is None
    assert templates.load_image("templates/../users/x.png") is None


# ---------------------------------------------------------------- preview


def _stored_object(url: str) -> tuple[bytes, str]:
    key = urlparse(url).path.lstrip("/")
    bucket = get_settings().files_bucket
    if key.startswith(bucket + "/"):  # path-style URL
        key = key[len(bucket) + 1 :]
    return aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read(), key


def test_given_my_template_when_previewing_then_a_short_lived_download_of_a_sample_pdf_under_tmp(api, me):
    tid = _create(api, me, layout={"title": "Preview me"})["uuid"]
    key = _image_key(api, me, tid, "logo")
    _upload(key)
    api.patch(f"{BASE}{tid}/", {"layout": {"logo_image_key": key}}, token=me.token)
    revision = int(_head(tid).revision)
    r = api.post(f"{BASE}{tid}/preview/", {}, token=me.token)
    assert r.status == 200, r.json
    assert set(r.json) == {"url", "expires_at"}
    expires = datetime.fromisoformat(r.json["expires_at"].replace("Z", "+00:00"))
    assert expires <= datetime.now(UTC) + timedelta(minutes=5)
    assert "X-Amz-Signature" in r.json["url"]
    pdf, stored_key = _stored_object(r.json["url"])
    assert pdf.startswith(b"%PDF")
    assert stored_key.startswith(f"tmp/previews/{user_id_of(me.token)}/{tid}/") and stored_key.endswith(
        ".pdf"
    )
    assert int(_head(tid).revision) == revision  # a preview changes nothing


def test_given_unsaved_changes_when_previewing_then_they_render_and_nothing_is_saved(api, me):
    tid = _create(api, me)["uuid"]
    r = api.post(
        f"{BASE}{tid}/preview/",
        {"orientation": "portrait", "layout": {"title": "Draft {name}", "font": "sans"}},
        token=me.token,
    )
    assert r.status == 200, r.json
    assert _stored_object(r.json["url"])[0].startswith(b"%PDF")
    assert (
        _versions(tid)[0].layout == templates.DEFAULT_LAYOUT and _versions(tid)[0].orientation == "landscape"
    )
    r = api.post(f"{BASE}{tid}/preview/", {"layout": {"title": "{oops}"}}, token=me.token)
    assert r.status == 422 and r.json["error"]["details"][0]["field"] == "layout.title"


# ---------------------------------------------------------------- events name a template


EVENT = {"title": "Course", "starts_at": "2030-03-01T10:00:00Z", "ends_at": "2030-03-01T11:00:00Z"}


def test_given_an_event_when_it_names_a_template_then_only_my_existing_ones(api, me):
    mine = _create(api, me)["uuid"]
    theirs = _create(api, verified_account(api))["uuid"]
    r = api.post("/events/", {**EVENT, "certificate_template": mine}, token=me.token)
    assert r.status == 201 and r.json["certificate_template"] == mine
    eid = r.json["uuid"]
    for bad in (theirs, "0190a8f0-0000-7000-8000-000000000001"):
        r = api.post("/events/", {**EVENT, "certificate_template": bad}, token=me.token)
        assert r.status == 422 and r.json["error"]["details"][0]["field"] == "certificate_template"
        r = api.patch(f"/events/{eid}/", {"certificate_template": bad}, token=me.token)
        assert r.status == 422 and r.json["error"]["details"][0]["field"] == "certificate_template"
    assert api.get(f"/events/{eid}/", token=me.token).json["certificate_template"] == mine
    r = api.patch(f"/events/{eid}/", {"certificate_template": None}, token=me.token)
    assert r.status == 200 and r.json["certificate_template"] is None
    # A deleted template: the event's issues fall back to the built-in layout.
    api.patch(f"/events/{eid}/", {"certificate_template": mine}, token=me.token)
    assert api.delete(f"{BASE}{mine}/", token=me.token).status == 204
    assert templates.version_for_issue(user_id_of(me.token), mine) is None


# ---------------------------------------------------------------- DynamoDB calls per operation


@pytest.fixture
def count(monkeypatch):
    return dynamodb_calls(monkeypatch, certificates_handler)


def test_calls_per_operation(api, me, count):
    t = me.token
    assert count(lambda: api.post(BASE, {"name": "Counted"}, token=t)) == {"TransactWriteItems": 1}
    tid = api.get(BASE, token=t).json["items"][0]["uuid"]
    one = f"{BASE}{tid}/"
    assert count(lambda: api.get(BASE, token=t)) == {"Query": 1}
    assert count(lambda: api.get(one, token=t)) == {"Query": 1}
    assert count(lambda: api.get(one + "versions/", token=t)) == {"Query": 1}
    # In place and as a new version: head + latest version, then one transaction.
    assert count(lambda: api.patch(one, {"name": "In place"}, token=t)) == {
        "GetItem": 2,
        "TransactWriteItems": 1,
    }
    _issue(tid)
    assert count(lambda: api.patch(one, {"name": "Version 2"}, token=t)) == {
        "GetItem": 2,
        "TransactWriteItems": 1,
    }
    # Nothing changes: the reads only.
    assert count(lambda: api.patch(one, {"name": "Version 2"}, token=t)) == {"GetItem": 2}
    body = {"kind": "logo", "content_type": "image/png", "size": 10}
    assert count(lambda: api.post(one + "images/", body, token=t)) == {"GetItem": 1}
    assert count(lambda: api.post(one + "preview/", {}, token=t)) == {"Query": 1}
    unused = api.post(BASE, {"name": "Unused"}, token=t).json["uuid"]
    assert count(lambda: api.delete(f"{BASE}{unused}/", token=t)) == {"GetItem": 1, "TransactWriteItems": 1}
