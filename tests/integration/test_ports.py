"""The ports' AWS adapters against moto: event bus batching and failures, presigned URLs
(expiry, key scoping, size and type conditions), mail as multipart text + HTML."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest
from lectern import aws
from lectern.config import get_settings
from lectern.errors import ValidationFailed
from lectern.integrations import storage
from lectern.integrations.bus import DomainEvent, EventBridgePublisher, PublishFailed
from lectern.integrations.mail import Email, SesMailer

from tests.support.aws import sent_emails

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class _CountingEvents:
    def __init__(self, fail_index: int | None = None) -> None:
        self.calls: list[list[dict]] = []
        self.fail_index = fail_index

    def put_events(self, Entries):
        self.calls.append(Entries)
        results = [{"EventId": str(i)} for i in range(len(Entries))]
        failed = 0
        if self.fail_index is not None and len(self.calls) == 2:
            results[self.fail_index] = {"ErrorCode": "InternalFailure", "ErrorMessage": "boom"}
            failed = 1
        return {"FailedEntryCount": failed, "Entries": results}


def _events(n: int) -> list[DomainEvent]:
    return [
        DomainEvent("lectern.test.happened", {"i": i}, occurred_at=NOW, correlation_id="c") for i in range(n)
    ]


def test_events_go_out_in_batches_of_ten_with_the_envelope(monkeypatch, aws_env):
    fake = _CountingEvents()
    monkeypatch.setattr(aws, "client", lambda service: fake)
    EventBridgePublisher().publish(_events(25))
    assert [len(c) for c in fake.calls] == [10, 10, 5]
    entry = fake.calls[0][0]
    assert entry["Source"] == "lectern" and entry["DetailType"] == "lectern.test.happened"
    assert entry["EventBusName"] == get_settings().event_bus_name
    detail = json.loads(entry["Detail"])
    assert set(detail) == {"id", "occurred_at", "correlation_id", "version", "data"}
    assert detail["version"] == 1 and detail["data"] == {"i": 0}


def test_a_failed_entry_raises_naming_it(monkeypatch, aws_env):
    fake = _CountingEvents(fail_index=3)
    monkeypatch.setattr(aws, "client", lambda service: fake)
    with pytest.raises(PublishFailed, match="InternalFailure"):
        EventBridgePublisher().publish(_events(15))
    assert len(fake.calls) == 2


def test_events_reach_the_real_bus(aws_env):
    EventBridgePublisher().publish(_events(3))  # moto accepts them on the provisioned bus


def test_presigned_get_expires_in_minutes_and_names_the_key(aws_env):
    key = storage.scoped_key("users/u1", "certificate.pdf")
    aws.client("s3").put_object(Bucket=get_settings().files_bucket, Key=key, Body=b"%PDF")
    got = storage.presign_get(key, NOW, filename="My certificate.pdf")
    q = parse_qs(urlparse(got.url).query)
    assert urlparse(got.url).path.endswith("/users/u1/certificate.pdf")
    assert int(q["X-Amz-Expires"][0]) == storage.DOWNLOAD_TTL_SECONDS <= 300
    assert got.expires_at == datetime(2026, 11, 26, 12, 5, tzinfo=UTC)
    assert "My-certificate.pdf" in q["response-content-disposition"][0]
    capped = storage.presign_get(key, NOW, ttl=86400)
    assert int(parse_qs(urlparse(capped.url).query)["X-Amz-Expires"][0]) == storage.MAX_TTL_SECONDS


def test_presigned_post_pins_key_type_and_size(aws_env):
    key = storage.scoped_key("events/e1/uploads", "logo.png")
    post = storage.presign_post(
        key, NOW, content_type="image/png", allowed_types=frozenset({"image/png"}), max_bytes=1_000_000
    )
    policy = json.loads(base64.b64decode(post.fields["policy"]))
    conditions = policy["conditions"]
    assert {"key": key} in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1, 1_000_000] in conditions
    assert post.fields["key"] == key
    with pytest.raises(ValidationFailed) as err:
        storage.presign_post(
            key, NOW, content_type="text/html", allowed_types=frozenset({"image/png"}), max_bytes=10
        )
    assert err.value.details[0]["field"] == "content_type"


def test_mail_is_multipart_text_and_html(aws_env):
    SesMailer().send(
        Email(to="Ada@Example.org", subject="Hi — ünïcode", text="plain body", html="<p>html body</p>")
    )
    [mail] = sent_emails("ada@example.org")
    assert mail["subject"] == "Hi — ünïcode"
    assert mail["text"].strip() == "plain body" and "<p>html body</p>" in mail["html"]
