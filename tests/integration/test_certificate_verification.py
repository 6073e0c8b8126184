"""Public verification by number (no sign-in): valid, revoked with its reason, superseded naming
its replacement, tampered records, unknown numbers, an erased holder — as JSON and as a page a
person reads — and the per-IP rate limit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lectern.certificates import facts as F
from lectern.certificates import verification
from lectern.data.certificates import CertificateItem

import functions.certificates.routes.verification as routes
from tests.support import certificates as C
from tests.support.builders import verified_account


@pytest.fixture
def organiser(api):
    return verified_account(api)


@pytest.fixture
def cert(api, organiser):
    return C.issued(api, organiser.token, email="holder@example.org")


def _json(api, number, ip="198.51.100.1"):
    return api.get(f"/public/certificates/{number}/", ip=ip)


def _page(api, number, ip="198.51.100.1"):
    r = api.get(f"/public/certificates/{number}/page/", ip=ip)
    return r, r.raw.decode()


def test_a_valid_certificate_verifies_with_its_facts_and_issuer(api, cert):
    r = _json(api, cert.number)

    assert r.status == 200, r.json
    body = r.json
    assert (body["number"], body["status"], body["signature_valid"]) == (cert.number, "valid", True)
    assert body["issuer"] == "Ada Lovelace" and body["holder_withheld"] is False
    assert body["facts"]["holder_name"] == "Ana Ćosić" and body["facts"]["cpd_hours"] == 1.5
    assert body["facts"]["event_title"] == "Ethics in practice" and body["facts"]["cpd_category"] == "Ethics"
    assert body["revoked_reason"] is None and body["superseded_by_number"] is None
    assert body["page_url"] == verification.verify_url(cert.number)
    # Nothing internal or personal beyond the certificate's own facts.
    flat = r.raw.decode()
    for secret in (cert.email, cert.registration_id, cert.certificate_id, cert.signature, "eligibility"):
        assert secret not in flat


def test_the_page_says_valid_and_shows_the_facts(api, cert):
    r, html = _page(api, cert.number)

    assert r.status == 200 and r.headers["Content-Type"].startswith("text/html")
    assert "<h1>VALID</h1>" in html
    for text in ("Ana Ćosić", "Ethics in practice", "Ada Lovelace", cert.number, "1.5"):
        assert text in html
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["Cache-Control"] == "no-store"


def test_a_number_is_found_whatever_its_case(api, cert):
    assert _json(api, cert.number.lower()).json["number"] == cert.number


def test_a_revoked_certificate_says_so_with_its_reason(api, organiser, cert):
    api.post(
        f"/certificates/{cert.certificate_id}/revoke/",
        {"reason": "Attendance misreported"},
        token=organiser.token,
    )

    body = _json(api, cert.number).json
    _, html = _page(api, cert.number)

    assert (body["status"], body["revoked_reason"], body["signature_valid"]) == (
        "revoked",
        "Attendance misreported",
        True,
    )
    assert body["revoked_at"]
    assert "<h1>REVOKED</h1>" in html and "Attendance misreported" in html and "VALID</h1>" not in html


def test_a_superseded_certificate_names_its_replacement(api, organiser, cert):
    r = api.post(f"/certificates/{cert.certificate_id}/reissue/", token=organiser.token)
    new_number = r.json["number"]

    body = _json(api, cert.number).json
    _, html = _page(api, cert.number)

    assert (body["status"], body["superseded_by_number"]) == ("superseded", new_number)
    assert "<h1>SUPERSEDED</h1>" in html and new_number in html
    assert _json(api, new_number).json["status"] == "valid"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda f: {**f, "cpd_hours": 40.0},
        lambda f: {**f, "holder_name": "Mallory Impostor"},
        lambda f: {**f, "event_title": "Advanced Surgery"},
    ],
)
def test_a_tampered_record_is_reported_and_never_shown_as_valid(api, cert, tamper):
    stored = C.certificate(cert.certificate_id)
    stored.update(actions=[CertificateItem.facts.set(tamper(dict(stored.facts)))])

    body = _json(api, cert.number).json
    _, html = _page(api, cert.number)

    assert body["signature_valid"] is False
    assert "NOT VERIFIED" in html and "<h1>VALID</h1>" not in html


def test_unknown_and_malformed_numbers_are_the_same_404(api, cert):
    unknown = F.new_number()
    replies = [_json(api, n) for n in (unknown, "LCT-0000", "not a number", cert.number + "X")]

    assert {(r.status, r.error_code) for r in replies} == {(404, "not_found")}
    assert len({r.raw for r in replies}) == 1  # the same body whatever was wrong
    page, html = _page(api, unknown)
    assert page.status == 404 and "NOT FOUND" in html


def test_after_the_holder_is_erased_the_certificate_verifies_with_the_name_withheld(api, cert):
    stored = C.certificate(cert.certificate_id)
    stored.update(
        actions=[
            CertificateItem.holder_erased.set(True),
            CertificateItem.facts.set(F.erased(dict(stored.facts))),
        ]
    )

    body = _json(api, cert.number).json
    _, html = _page(api, cert.number)

    assert (body["status"], body["signature_valid"], body["holder_withheld"]) == ("valid", True, True)
    assert (
        body["facts"]["holder_name"] == "(withheld)" and body["facts"]["event_title"] == "Ethics in practice"
    )
    assert "Ana Ćosić" not in html and "(withheld)" in html and "<h1>VALID</h1>" in html


def test_the_erased_flag_alone_withholds_the_name(api, cert):
    C.certificate(cert.certificate_id).update(actions=[CertificateItem.holder_erased.set(True)])
    body = _json(api, cert.number).json
    assert body["facts"]["holder_name"] == "(withheld)" and body["signature_valid"] is True


def test_everything_on_the_page_is_escaped(api, organiser):
    ev = C.event(organiser.token, title='<img src=x onerror="alert(1)">', cpd_category="<b>Ethics</b>")
    rid = C.register(api, ev, email="x@example.org", name="<script>alert('x')</script> Ann")
    C.settle(rid)
    C.complete(ev)
    number = C.certificate(C.issue(ev, rid).certificate_id).number

    _, html = _page(api, number)

    assert "<script>alert" not in html and "<img src=x" not in html and "<b>Ethics" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Ann" in html


def test_more_than_60_lookups_a_minute_from_one_ip_get_429_with_retry_after(api, cert, monkeypatch):
    # One fixed instant, so the 61 requests cannot straddle two windows.
    frozen = C.deps(datetime(2031, 5, 5, 12, 0, 30, tzinfo=UTC))
    monkeypatch.setattr(routes, "default_deps", lambda: frozen)
    ip = "203.0.113.99"
    statuses = [_json(api, cert.number, ip=ip).status for _ in range(verification.RATE_LIMIT)]
    assert set(statuses) == {200}

    over = _json(api, cert.number, ip=ip)
    page, _ = _page(api, cert.number, ip=ip)
    unknown = _json(api, F.new_number(), ip=ip)

    for r in (over, page, unknown):
        assert (r.status, r.error_code) == (429, "too_many_requests")
        assert int(r.headers["Retry-After"]) == 30
    assert _json(api, cert.number, ip="203.0.113.100").status == 200  # another address is unaffected
