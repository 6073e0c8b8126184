"""Issuing one certificate (eligible, ineligible, overridden, cancelled, event not completed,
twice, two at once), revoke and re-issue, the organiser's and the holder's lists and downloads
(presigned, minutes, the certificate's own key, 404 for anyone else), the guest's mailed link,
the CPD summary and linking a guest's certificates to their new account — and the DynamoDB
calls each costs."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from botocore.client import BaseClient
from lectern import aws
from lectern.certificates import access, issuing
from lectern.certificates import facts as F
from lectern.config import get_settings
from lectern.data.audit import AuditItem
from lectern.data.certificates import (
    CertificateItem,
    CertificateNumberItem,
    CertificateTemplateItem,
    CpdCertificateEntryItem,
)
from lectern.data.registrations import RegistrationItem
from pypdf import PdfReader

import functions.certificates.handler as certificates_handler
from tests.support import certificates as C
from tests.support.aws import last_token, sent_emails
from tests.support.builders import signup, verified_account
from tests.support.calls import dynamodb_calls
from tests.support.events import user_id_of
from tests.support.pipelines import live_certificate


@pytest.fixture
def organiser(api):
    return verified_account(api)


@pytest.fixture
def holder(api):
    return verified_account(api)


def _pdf_keys(event_id: str) -> list[str]:
    got = aws.client("s3").list_objects_v2(
        Bucket=get_settings().files_bucket, Prefix=f"certificates/{event_id}/"
    )
    return [o["Key"] for o in got.get("Contents", [])]


def _pdf_text(key: str) -> str:
    body = aws.client("s3").get_object(Bucket=get_settings().files_bucket, Key=key)["Body"].read()
    return PdfReader(io.BytesIO(body)).pages[0].extract_text()


def _certificates_of(event_id: str) -> list[CertificateItem]:
    return [
        c for c in CertificateItem.gsi1.query(f"EVENT#{event_id}#CERTS") if isinstance(c, CertificateItem)
    ]


def _cpd_entry(user_id: str, certificate_id: str) -> CpdCertificateEntryItem | None:
    try:
        return CpdCertificateEntryItem.get(
            *CpdCertificateEntryItem.key(user_id, certificate_id), consistent_read=True
        )
    except CpdCertificateEntryItem.DoesNotExist:
        return None


def _certificate_mails(email: str) -> list[dict]:
    return [m for m in sent_emails(email) if m["subject"].startswith("Your certificate")]


def _ready(api, organiser, *, token=None, email=None, eligible=True, **fields):
    ev = C.event(organiser.token, **fields)
    rid = C.register(api, ev, token=token, email=email)
    C.settle(rid, eligible=eligible, minutes=55 if eligible else 10)
    C.complete(ev)
    return ev, rid


# -- issue_one -----------------------------------------------------------------------------------


def test_given_an_eligible_account_holder_then_one_certificate_is_issued_stored_signed_and_mailed(
    api, organiser, holder
):
    ev, rid = _ready(api, organiser, token=holder.token)
    d = C.deps()

    outcome = C.issue(ev, rid, d)

    assert outcome.status == "issued" and outcome.reason == "" and outcome.registration_id == rid
    cert = C.certificate(outcome.certificate_id)
    holder_id = user_id_of(holder.token)
    assert cert.status == "valid" and cert.user_id == holder_id and cert.owner_id == ev.owner_id
    assert cert.facts["holder_name"] == "Ana Ćosić" and cert.facts["cpd_hours"] == 1.5
    assert cert.facts["issuer"] == "Ada Lovelace"  # the organiser's display name
    assert F.verify(cert)
    assert (
        CertificateNumberItem.get(*CertificateNumberItem.key(cert.number)).certificate_id
        == cert.certificate_id
    )
    assert live_certificate(rid) == cert.certificate_id
    assert (cert.gsi1pk, cert.gsi2pk) == (f"EVENT#{ev.event_id}#CERTS", f"USER#{holder_id}#CERTS")
    # The PDF: private, at the certificate's own key, naming the holder.
    assert (
        _pdf_keys(ev.event_id) == [f"certificates/{ev.event_id}/{cert.certificate_id}.pdf"] == [cert.pdf_key]
    )
    head = aws.client("s3").head_object(Bucket=get_settings().files_bucket, Key=cert.pdf_key)
    assert head["ContentType"] == "application/pdf"
    assert "Ana Ćosić" in _pdf_text(cert.pdf_key) and cert.number in _pdf_text(cert.pdf_key)
    # The CPD ledger, the audit log, the bus and the mail.
    entry = _cpd_entry(holder_id, cert.certificate_id)
    assert entry is not None and entry.status == "valid" and entry.hours == 1.5 and entry.category == "Ethics"
    assert [a.action for a in AuditItem.query(f"AUDIT#certificate#{cert.certificate_id}")] == [
        "lectern.certificate.issued"
    ]
    assert [(e.detail_type, e.data["certificate_id"]) for e in d.bus.events] == [
        ("lectern.certificate.issued", cert.certificate_id)
    ]
    [mail] = _certificate_mails(holder.email)
    assert cert.number in mail["text"] and "/me/certificates" in mail["text"] and "token=" not in mail["text"]


def test_given_computed_ineligible_then_skipped_and_nothing_is_stored(api, organiser):
    ev, rid = _ready(api, organiser, email="late@example.org", eligible=False)

    outcome = C.issue(ev, rid)

    assert (outcome.status, outcome.reason, outcome.certificate_id) == ("skipped", "not_eligible", None)
    assert (
        live_certificate(rid) is None and _certificates_of(ev.event_id) == [] and _pdf_keys(ev.event_id) == []
    )


def test_given_an_override_to_eligible_then_issued_and_the_facts_say_so(api, organiser):
    ev, rid = _ready(api, organiser, email="late@example.org", eligible=False)
    r = api.post(
        f"/events/{ev.event_id}/registrations/{rid}/override-attendance/",
        {"eligible": True, "reason": "Technical difficulties"},
        token=organiser.token,
    )
    assert r.status == 200, r.json

    outcome = C.issue(ev, rid)

    assert outcome.status == "issued"
    assert "override" in C.certificate(outcome.certificate_id).facts["eligibility"]


def test_given_an_override_to_ineligible_then_force_does_not_issue(api, organiser):
    ev, rid = _ready(api, organiser, email="a@example.org")
    api.post(
        f"/events/{ev.event_id}/registrations/{rid}/override-attendance/",
        {"eligible": False, "reason": "Left early"},
        token=organiser.token,
    )
    assert C.issue(ev, rid, force=True).reason == "not_eligible"


def test_given_a_cancelled_registration_then_skipped(api, organiser):
    ev = C.event(organiser.token)
    rid = C.register(api, ev, email="gone@example.org")
    C.settle(rid)
    r = api.post(f"/events/{ev.event_id}/registrations/{rid}/cancel/", {}, token=organiser.token)
    assert r.status == 200, r.json
    C.complete(ev)

    assert C.issue(ev, rid).reason == "registration_cancelled"
    assert _certificates_of(ev.event_id) == []


def test_given_the_event_is_not_completed_then_skipped(api, organiser):
    ev = C.event(organiser.token)
    rid = C.register(api, ev, email="early@example.org")
    C.settle(rid)

    outcome = C.issue(ev, rid)

    assert (outcome.status, outcome.reason) == ("skipped", "event_not_completed")


def test_given_unknown_or_foreign_ids_then_skipped_not_raised(api, organiser):
    ev, rid = _ready(api, organiser, email="a@example.org")
    other, _ = _ready(api, organiser, email="b@example.org")
    assert C.issue(ev, "00000000-0000-4000-8000-000000000000").reason == "registration_not_found"
    assert C.issue(other, rid).reason == "registration_not_found"  # not this event's registration
    unknown = issuing.issue_one(
        event_id="00000000-0000-4000-8000-000000000000", registration_id=rid, run_id=None, deps=C.deps()
    )
    assert unknown.reason == "event_not_found"


def test_given_issue_twice_then_one_certificate(api, organiser):
    ev, rid = _ready(api, organiser, email="twice@example.org")

    first = C.issue(ev, rid)
    second = C.issue(ev, rid)
    forced = C.issue(ev, rid, force=True)

    assert first.status == "issued"
    assert (second.status, second.reason, second.certificate_id) == (
        "skipped",
        "already_issued",
        first.certificate_id,
    )
    assert (forced.status, forced.reason) == ("skipped", "already_issued")  # a valid one is never duplicated
    assert [c.certificate_id for c in _certificates_of(ev.event_id)] == [first.certificate_id]
    assert len(_pdf_keys(ev.event_id)) == 1


def test_given_two_concurrent_issues_then_one_wins_and_the_loser_deletes_its_pdf(api, organiser, monkeypatch):
    """Deterministic interleave: while the first issue uploads its PDF (after its reads), the
    second runs to completion; the first's transaction then fails on the pointer's condition."""
    ev, rid = _ready(api, organiser, email="race@example.org")
    upload = issuing._upload
    uploaded: list[str] = []
    inner: list[issuing.IssueOutcome] = []

    def interleaved(p):
        uploaded.append(p.certificate.pdf_key)
        upload(p)
        if len(uploaded) == 1:
            inner.append(C.issue(ev, rid))

    monkeypatch.setattr(issuing, "_upload", interleaved)

    outer = C.issue(ev, rid)

    assert inner[0].status == "issued"
    assert (outer.status, outer.reason, outer.certificate_id) == (
        "skipped",
        "already_issued",
        inner[0].certificate_id,
    )
    assert [c.certificate_id for c in _certificates_of(ev.event_id)] == [inner[0].certificate_id]
    winner = C.certificate(inner[0].certificate_id).pdf_key
    assert _pdf_keys(ev.event_id) == [winner]  # the loser's orphan PDF was deleted
    assert len(uploaded) == 2 and uploaded[0] != winner
    assert len(_certificate_mails("race@example.org")) == 1


def test_given_transactions_in_flight_on_its_items_then_the_same_certificate_is_committed_again(
    api, organiser, monkeypatch
):
    """Concurrent issues of one event count the same template version: DynamoDB cancels a
    transaction whose items another one holds (TransactionConflict). The prepared certificate is
    committed again after a short backoff — not read, rendered or uploaded again."""
    from contextlib import contextmanager

    from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

    ev, rid = _ready(api, organiser, email="busy@example.org")
    real_write = issuing.tx.write
    conflicts = [2]
    prepared: list[str] = []
    real_prepare = issuing.prepare

    @contextmanager
    def busy_write(*args, **kw):
        if conflicts[0]:
            conflicts[0] -= 1
            cause = VerboseClientError(
                {"Error": {"Code": "TransactionCanceledException", "Message": "conflict"}},
                "TransactWriteItems",
                cancellation_reasons=[None, CancellationReason(code="TransactionConflict")],
            )
            raise TransactWriteError("Failed to write transaction items", cause=cause)
        with real_write(*args, **kw) as t:
            yield t

    def counted_prepare(*args, **kw):
        p = real_prepare(*args, **kw)
        prepared.append(p.certificate.certificate_id)
        return p

    monkeypatch.setattr(issuing.tx, "write", busy_write)
    monkeypatch.setattr(issuing, "prepare", counted_prepare)
    monkeypatch.setattr(issuing.time, "sleep", lambda s: None)

    outcome = C.issue(ev, rid)

    assert outcome.status == "issued" and prepared == [outcome.certificate_id]
    assert conflicts == [0] and len(_pdf_keys(ev.event_id)) == 1


def test_given_a_template_then_its_version_is_recorded_and_counted(api, organiser):
    r = api.post(
        "/certificate-templates/",
        {"name": "Branded", "orientation": "portrait", "layout": {"title": "Certificate of {category}"}},
        token=organiser.token,
    )
    assert r.status == 201, r.json
    template_id = r.json["uuid"]
    ev, rid = _ready(api, organiser, email="t@example.org", certificate_template_id=template_id)

    cert = C.certificate(C.issue(ev, rid).certificate_id)

    assert (cert.template_id, cert.template_version) == (template_id, 1)
    version = CertificateTemplateItem.get(*CertificateTemplateItem.key(template_id, 1), consistent_read=True)
    assert version.issued_count == 1
    assert "Certificate of Ethics" in _pdf_text(cert.pdf_key)


def test_given_an_in_place_edit_between_render_and_commit_then_the_certificate_shows_the_new_design(
    api, organiser, monkeypatch
):
    r = api.post(
        "/certificate-templates/", {"name": "Plain", "layout": {"title": "Old title"}}, token=organiser.token
    )
    template_id = r.json["uuid"]
    ev, rid = _ready(api, organiser, email="edit@example.org", certificate_template_id=template_id)
    real_upload = issuing._upload
    edits = []

    def upload_then_edit(p):
        real_upload(p)
        if not edits:  # the organiser edits the (still unissued) template in place meanwhile
            reply = api.patch(
                f"/certificate-templates/{template_id}/",
                {"layout": {"title": "New title"}},
                token=organiser.token,
            )
            edits.append(reply.json)
            assert reply.status == 200 and reply.json["version"] == 1, reply.json

    monkeypatch.setattr(issuing, "_upload", upload_then_edit)
    cert = C.certificate(C.issue(ev, rid).certificate_id)

    assert cert.template_version == 1
    text = _pdf_text(cert.pdf_key)
    assert "New title" in text and "Old title" not in text


def test_issue_one_calls(api, organiser, monkeypatch):
    ev, rid = _ready(api, organiser, email="calls@example.org")
    calls: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counted(client, operation, params):
        calls[f"{client.meta.service_model.service_name}:{operation}"] += 1
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counted)
    C.issue(ev, rid)
    assert calls == {
        "dynamodb:Query": 1,
        "dynamodb:BatchGetItem": 1,
        "dynamodb:TransactWriteItems": 1,
        "s3:PutObject": 1,
        "ses:SendRawEmail": 1,
    }
    calls.clear()
    C.issue(ev, rid)
    assert calls == {"dynamodb:Query": 1, "dynamodb:BatchGetItem": 1}


# -- revoke and re-issue -------------------------------------------------------------------------


def test_revoke_with_a_reason_then_cpd_hours_stop_counting_and_automatic_runs_do_not_reissue(
    api, organiser, holder
):
    cert = C.issued(api, organiser.token, holder_token=holder.token)
    path = f"/certificates/{cert.certificate_id}/revoke/"

    r = api.post(path, {"reason": "Issued in error"}, token=organiser.token)

    assert r.status == 200, r.json
    assert (r.json["status"], r.json["revoked_reason"]) == ("revoked", "Issued in error")
    stored = C.certificate(cert.certificate_id)
    assert (stored.status, stored.revoked_reason, stored.revoked_by) == (
        "revoked",
        "Issued in error",
        user_id_of(organiser.token),
    )
    assert _cpd_entry(user_id_of(holder.token), cert.certificate_id).status == "revoked"
    summary = api.get("/users/me/cpd-summary/", token=holder.token).json
    assert summary["categories"] == [] and summary["total_hours_current_year"] == 0
    assert "lectern.certificate.revoked" in [
        a.action for a in AuditItem.query(f"AUDIT#certificate#{cert.certificate_id}")
    ]
    # Again → 409; an empty reason → 422; another organiser → 404; nothing issued behind its back.
    assert api.post(path, {"reason": "again"}, token=organiser.token).error_code == "certificate_not_valid"
    assert api.post(path, {"reason": " "}, token=organiser.token).status == 422
    assert api.post(path, {"reason": "x"}, token=holder.token).status == 404
    ev = C.EventItem.get(*C.EventItem.key(cert.event_id))
    assert C.issue(ev, cert.registration_id).reason == "already_issued"


def test_force_replaces_a_revoked_certificate_which_stays_revoked_and_names_its_replacement(api, organiser):
    cert = C.issued(api, organiser.token, email="again@example.org")
    api.post(f"/certificates/{cert.certificate_id}/revoke/", {"reason": "Wrong date"}, token=organiser.token)
    ev = C.EventItem.get(*C.EventItem.key(cert.event_id))

    outcome = C.issue(ev, cert.registration_id, force=True)

    assert outcome.status == "issued" and outcome.certificate_id != cert.certificate_id
    old = C.certificate(cert.certificate_id)
    assert (old.status, old.superseded_by) == ("revoked", outcome.certificate_id)
    assert C.certificate(outcome.certificate_id).supersedes == cert.certificate_id
    assert live_certificate(cert.registration_id) == outcome.certificate_id


def test_reissue_after_a_name_correction_supersedes_the_old_one(api, organiser, holder):
    cert = C.issued(api, organiser.token, holder_token=holder.token)
    r = api.patch(
        f"/events/{cert.event_id}/registrations/{cert.registration_id}/",
        {"full_name": "Ana Ćosić-Horvat"},
        token=organiser.token,
    )
    assert r.status == 200, r.json

    r = api.post(f"/certificates/{cert.certificate_id}/reissue/", token=organiser.token)

    assert r.status == 201, r.json
    new_id, new_number = r.json["uuid"], r.json["number"]
    assert new_number != cert.number and r.json["holder_name"] == "Ana Ćosić-Horvat"
    assert r.json["supersedes"] == cert.certificate_id and r.json["status"] == "valid"
    old = C.certificate(cert.certificate_id)
    assert (old.status, old.superseded_by) == ("superseded", new_id)
    assert live_certificate(cert.registration_id) == new_id
    holder_id = user_id_of(holder.token)
    assert _cpd_entry(holder_id, cert.certificate_id) is None
    assert _cpd_entry(holder_id, new_id).status == "valid"
    assert api.get("/users/me/cpd-summary/", token=holder.token).json["total_hours_current_year"] == 1.5
    assert "Ana Ćosić-Horvat" in _pdf_text(C.certificate(new_id).pdf_key)
    # The old one cannot be re-issued again, and nobody else can re-issue.
    again = api.post(f"/certificates/{cert.certificate_id}/reissue/", token=organiser.token)
    assert (again.status, again.error_code) == (409, "certificate_superseded")
    assert api.post(f"/certificates/{new_id}/reissue/", token=holder.token).status == 404
    # The holder's old download is refused; the new one works.
    assert (
        api.get(f"/users/me/certificates/{cert.certificate_id}/download/", token=holder.token).status == 409
    )
    assert api.get(f"/users/me/certificates/{new_id}/download/", token=holder.token).status == 200


def test_reissue_of_a_cancelled_registration_is_refused(api, organiser):
    cert = C.issued(api, organiser.token, email="c@example.org")
    reg = C.registration(cert.registration_id)
    reg.update(actions=[RegistrationItem.status.set("cancelled")])

    r = api.post(f"/certificates/{cert.certificate_id}/reissue/", token=organiser.token)

    assert (r.status, r.error_code) == (409, "registration_cancelled")
    assert C.certificate(cert.certificate_id).status == "valid"


# -- lists and downloads -------------------------------------------------------------------------


def _assert_presigned(reply, cert: CertificateItem, now: datetime):
    assert reply.status == 200, reply.json
    url = urlsplit(reply.json["url"])
    query = parse_qs(url.query)
    assert url.path == f"/{cert.pdf_key}"  # the certificate's own key, nothing else
    assert query["X-Amz-Expires"] == ["300"]
    assert query["response-content-disposition"] == [f'attachment; filename="certificate-{cert.number}.pdf"']
    expires = datetime.fromisoformat(reply.json["expires_at"].replace("Z", "+00:00"))
    assert timedelta(minutes=4) < expires - now <= timedelta(minutes=5, seconds=5)
    got = requests.get(reply.json["url"], timeout=10)  # moto serves presigned GETs
    assert got.status_code == 200 and got.content.startswith(b"%PDF")


def test_the_holder_lists_and_downloads_their_certificates_and_nobody_else_can(api, organiser, holder):
    first = C.issued(api, organiser.token, holder_token=holder.token)
    second = C.issued(api, organiser.token, holder_token=holder.token)
    now = datetime.now(UTC)

    page = api.get("/users/me/certificates/", token=holder.token, query={"limit": "1"})
    rest = api.get(
        "/users/me/certificates/",
        token=holder.token,
        query={"limit": "1", "cursor": page.json["next_cursor"]},
    )

    assert [i["uuid"] for i in page.json["items"] + rest.json["items"]] == [
        second.certificate_id,
        first.certificate_id,
    ]
    assert page.json["items"][0]["number"] == second.number
    assert page.json["items"][0]["verify_url"].endswith(f"/public/certificates/{second.number}/page")
    _assert_presigned(
        api.get(f"/users/me/certificates/{first.certificate_id}/download/", token=holder.token), first, now
    )
    # The organiser is not the holder; a stranger is nobody.
    stranger = verified_account(api)
    for token in (organiser.token, stranger.token):
        r = api.get(f"/users/me/certificates/{first.certificate_id}/download/", token=token)
        assert (r.status, r.error_code) == (404, "not_found")
    assert api.get("/users/me/certificates/", token=stranger.token).json["items"] == []
    foreign = api.get(
        "/users/me/certificates/", token=stranger.token, query={"cursor": page.json["next_cursor"]}
    )
    assert foreign.error_code == "invalid_cursor"


def test_the_organiser_lists_and_downloads_an_events_certificates(api, organiser):
    ev = C.event(organiser.token)
    rids = [C.register(api, ev, email=f"p{i}@example.org") for i in range(3)]
    for rid in rids:
        C.settle(rid)
    C.complete(ev)
    ids = [C.issue(ev, rid).certificate_id for rid in rids]
    api.post(f"/certificates/{ids[0]}/revoke/", {"reason": "Duplicate"}, token=organiser.token)
    base = f"/events/{ev.event_id}/certificates/"

    page = api.get(base, token=organiser.token, query={"limit": "2"})
    rest = api.get(base, token=organiser.token, query={"limit": "2", "cursor": page.json["next_cursor"]})
    revoked = api.get(base, token=organiser.token, query={"status": "revoked"})

    assert [i["uuid"] for i in page.json["items"] + rest.json["items"]] == ids
    assert rest.json["next_cursor"] is None
    assert [i["uuid"] for i in revoked.json["items"]] == [ids[0]]
    cert = C.certificate(ids[1])
    _assert_presigned(api.get(f"{base}{ids[1]}/download/", token=organiser.token), cert, datetime.now(UTC))
    assert api.get(f"{base}{ids[0]}/download/", token=organiser.token).status == 200  # revoked: still theirs
    # Another organiser: 404 for the list and the download; a certificate of another event: 404.
    other = verified_account(api)
    assert api.get(base, token=other.token).status == 404
    assert api.get(f"{base}{ids[1]}/download/", token=other.token).status == 404
    other_event = C.event(organiser.token)
    assert (
        api.get(
            f"/events/{other_event.event_id}/certificates/{ids[1]}/download/", token=organiser.token
        ).status
        == 404
    )


def test_a_guest_downloads_with_the_mailed_link_until_it_expires(api, organiser):
    cert = C.issued(api, organiser.token, email="guest@example.org")
    [mail] = _certificate_mails("guest@example.org")
    assert f"/api/v1/public/certificates/{cert.number}/download?token=" in mail["text"]
    token = last_token("guest@example.org")
    path = f"/public/certificates/{cert.number}/download/"

    _assert_presigned(api.get(path, query={"token": token}), cert, datetime.now(UTC))
    browser = api.get(path, query={"token": token}, headers={"Accept": "text/html,application/xhtml+xml"})
    assert browser.status == 303 and f"/{cert.pdf_key}?" in browser.headers["Location"]
    # Forged, for another certificate, expired, missing: refused.
    other = C.issued(api, organiser.token, email="guest@example.org")
    expired, _ = access.download_token(cert.certificate_id, datetime.now(UTC) - timedelta(days=8))
    for bad in (token[:-2] + "xx", last_token("guest@example.org"), expired, "123-abc", "garbage"):
        r = api.get(path, query={"token": bad})
        assert (r.status, r.error_code) == (401, "invalid_token"), bad
    assert api.get(path).status == 422
    assert api.get(f"/public/certificates/{other.number}/download/", query={"token": token}).status == 401
    # Revoked: the link no longer downloads.
    api.post(f"/certificates/{cert.certificate_id}/revoke/", {"reason": "Error"}, token=organiser.token)
    assert api.get(path, query={"token": token}).error_code == "certificate_not_valid"


def test_calls_per_route(api, organiser, holder, monkeypatch):
    count = dynamodb_calls(monkeypatch, certificates_handler)
    cert = C.issued(api, organiser.token, holder_token=holder.token)
    t, h = organiser.token, holder.token
    base = f"/events/{cert.event_id}/certificates/"

    assert count(lambda: api.get(base, token=t)) == {"GetItem": 1, "Query": 1}
    assert count(lambda: api.get(f"{base}{cert.certificate_id}/download/", token=t)) == {"GetItem": 1}
    assert count(lambda: api.get("/users/me/certificates/", token=h)) == {"Query": 1}
    assert count(lambda: api.get(f"/users/me/certificates/{cert.certificate_id}/download/", token=h)) == {
        "GetItem": 1
    }
    number = f"/public/certificates/{cert.number}/"
    assert count(lambda: api.get(number)) == {"UpdateItem": 1, "GetItem": 2}
    assert count(lambda: api.get(number + "page/")) == {"UpdateItem": 1, "GetItem": 2}
    revoke = f"/certificates/{cert.certificate_id}/revoke/"
    assert count(lambda: api.post(revoke, {"reason": "x"}, token=t)) == {
        "GetItem": 1,
        "TransactWriteItems": 1,
    }
    reissue = f"/certificates/{cert.certificate_id}/reissue/"
    assert count(lambda: api.post(reissue, token=t)) == {
        "GetItem": 1,
        "Query": 1,
        "BatchGetItem": 1,
        "TransactWriteItems": 1,
    }


# -- CPD ledger and account linking ----------------------------------------------------------------


def test_the_cpd_summary_adds_certificate_hours_to_activities_across_organisers(api, holder):
    first_org, second_org = verified_account(api), verified_account(api)
    C.issued(api, first_org.token, holder_token=holder.token, cpd_hours=1.5, cpd_category="Ethics")
    C.issued(api, second_org.token, holder_token=holder.token, cpd_hours=2, cpd_category="ethics ")
    today = datetime.now(UTC).date()
    r = api.post(
        "/users/me/cpd-activities/",
        {"title": "Journal club", "category": "Ethics", "hours": 1, "completed_on": today.isoformat()},
        token=holder.token,
    )
    assert r.status == 201, r.json
    r = api.post(
        "/users/me/cpd-requirements/", {"category": "Ethics", "hours_required": 10}, token=holder.token
    )
    assert r.status == 201, r.json

    s = api.get(
        "/users/me/cpd-summary/",
        token=holder.token,
        query={"as_of": (today + timedelta(days=10)).isoformat()},
    )

    assert s.status == 200, s.json
    [cat] = [c for c in s.json["categories"] if c["category"].strip().lower() == "ethics"]
    assert (cat["hours"], cat["certificates"], cat["activities"]) == (4.5, 2, 1)
    assert (cat["certificate_hours"], cat["activity_hours"]) == (3.5, 1.0)
    [req] = s.json["requirements"]
    assert req["hours_earned"] == 4.5 and req["hours_remaining"] == 5.5


def test_a_guests_certificates_move_to_the_account_they_verify(api, organiser):
    cert = C.issued(api, organiser.token, email="newbie@example.org")
    assert C.certificate(cert.certificate_id).gsi2pk == "GUEST#newbie@example.org#CERTS"

    signup(api, "newbie@example.org")
    r = api.post("/auth/verify-email/", {"token": last_token("newbie@example.org")})
    assert r.status == 200, r.json
    token = api.post(
        "/auth/login/", {"email": "newbie@example.org", "password": "correct horse battery staple"}
    ).json["access_token"]
    user_id = user_id_of(token)

    moved = C.certificate(cert.certificate_id)
    assert (moved.user_id, moved.gsi2pk) == (user_id, f"USER#{user_id}#CERTS")
    assert [i["uuid"] for i in api.get("/users/me/certificates/", token=token).json["items"]] == [
        cert.certificate_id
    ]
    assert _cpd_entry(user_id, cert.certificate_id).status == "valid"
    assert api.get("/users/me/cpd-summary/", token=token).json["total_hours_current_year"] == 1.5
    assert api.get(f"/users/me/certificates/{cert.certificate_id}/download/", token=token).status == 200
    # Linking again changes nothing.
    again = api.post("/users/me/link-registrations/", {}, token=token)
    assert again.status in (200, 201), again.json
    assert (
        len(
            list(
                CpdCertificateEntryItem.query(
                    f"USER#{user_id}", CpdCertificateEntryItem.sk.startswith("CPDCERT#")
                )
            )
        )
        == 1
    )
