"""The Zoom webhook (functions/webhooks/zoom.py) in-process on moto, with function URL events.

What is proved: the signature is checked over the raw bytes as received, in constant time,
with a ±300 s timestamp window, before anything else; only a signed URL-validation challenge is
answered; a verified event is stored byte-identical (one item per identity, so Zoom's retries
collapse) and put on the bus exactly as the contract says (captured through a real moto
EventBridge rule → SQS queue); a refused request stores nothing and publishes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lectern import aws
from lectern.clock import FixedClock
from lectern.config import get_settings
from lectern.data.webhooks import ZoomWebhookItem
from lectern.zoom import webhook
from lectern.zoom.webhook import event_identity, sign

from functions.webhooks import zoom as handler
from local.apigw import function_url_event
from tests.support.api import FakeContext
from tools import zoom_payloads as zp

SECRET = b"test-zoom-webhook-secret"
NOW = datetime(2026, 3, 10, 18, 30, tzinfo=UTC)
TS = int(NOW.timestamp())
MEETING = zp.Meeting(id="81234567890", uuid="4444AAAiAAAAAiAiAiiAii==", start_time=NOW)
JOSE = zp.Participant(user_name="José Ñúñez 🎓", email="jose@example.org", registrant_id="reg-jose")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class Zoom:
    """Deliver webhooks to the handler; read what was stored and published."""

    queue_url: str
    clock: FixedClock

    def deliver(
        self,
        raw: bytes,
        headers: dict[str, str] | None = None,
        *,
        method: str = "POST",
        base64_body: bool | None = None,
    ) -> Reply:
        event = function_url_event(method, "/", raw_body=raw, headers=headers, base64_body=base64_body)
        result = handler.handle(event, clock=self.clock)
        return Reply(result["statusCode"], result["headers"], json.loads(result["body"]))

    def send(self, body: dict[str, Any], *, ts: int = TS, secret: bytes = SECRET) -> Reply:
        raw = zp.encode(body)
        return self.deliver(raw, zp.signed_headers(secret, raw, timestamp=ts))

    def published(self) -> list[dict[str, Any]]:
        sqs = aws.client("sqs")
        out: list[dict[str, Any]] = []
        while True:
            got = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                return out
            for m in got:
                out.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])

    @staticmethod
    def stored() -> list[ZoomWebhookItem]:
        return [i for i in ZoomWebhookItem.scan() if isinstance(i, ZoomWebhookItem)]


@pytest.fixture
def zoom(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Zoom]:
    monkeypatch.setenv("LECTERN_ZOOM_WEBHOOK_SECRET", SECRET.decode())
    monkeypatch.delenv("LECTERN_ZOOM_SECRET_NAME", raising=False)
    sqs, events = aws.client("sqs"), aws.client("events")
    queue_url = sqs.create_queue(QueueName="zoom-capture")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = get_settings().event_bus_name
    events.put_rule(
        Name="zoom-capture", EventBusName=bus, EventPattern=json.dumps({"source": ["lectern.zoom"]})
    )
    events.put_targets(Rule="zoom-capture", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    yield Zoom(queue_url, FixedClock(NOW))


def joined(at: datetime = NOW, who: zp.Participant = JOSE) -> dict[str, Any]:
    return zp.participant_joined(MEETING, who, at)


def assert_refused(zoom: Zoom, reply: Reply, status: int, code: str) -> None:
    assert reply.status == status, reply.body
    assert set(reply.body["error"]) == {"code", "message", "details"}
    assert reply.body["error"]["code"] == code
    assert zoom.stored() == []
    assert zoom.published() == []


# -- accepted ----------------------------------------------------------------------------------


def test_signed_event_is_stored_byte_identical_and_published_once(zoom: Zoom) -> None:
    # Given a participant_joined whose body holds "José", "Ñúñez" and an emoji as raw UTF-8
    body = joined()
    raw = zp.encode(body)
    assert "José".encode() in raw and "🎓".encode() in raw and b"\\u" not in raw
    # When Zoom delivers it signed
    reply = zoom.deliver(raw, zp.signed_headers(SECRET, raw, timestamp=TS))
    # Then 200 accepted
    assert reply.status == 200 and reply.body == {"status": "accepted"}
    # and the raw body is stored exactly as received, under its identity
    identity = event_identity(body)
    (item,) = zoom.stored()
    assert (item.pk, item.sk) == (f"ZOOMEVT#{identity}", "RAW")
    assert item.raw.encode("utf-8") == raw
    assert item.event == "meeting.participant_joined" and item.event_ts == zp.epoch_ms(NOW)
    assert item.meeting_id == MEETING.id and item.received_at == NOW
    assert item.gsi1pk == f"ZOOMLOG#{MEETING.id}"
    assert item.gsi1sk == f"{zp.epoch_ms(NOW):013d}#{identity}"
    assert item.ttl == NOW + timedelta(days=7)
    # and exactly one bus entry with the contract's envelope
    (entry,) = zoom.published()
    assert entry["source"] == "lectern.zoom" and entry["detail-type"] == "meeting.participant_joined"
    assert entry["detail"] == {
        "identity": identity,
        "event": "meeting.participant_joined",
        "event_ts": zp.epoch_ms(NOW),
        "payload": body["payload"],
    }
    assert entry["detail"]["payload"]["object"]["participant"]["user_name"] == "José Ñúñez 🎓"


def test_the_meeting_log_lists_a_meetings_deliveries_in_event_time_order(zoom: Zoom) -> None:
    later, earlier = joined(NOW + timedelta(minutes=5)), zp.participant_left(MEETING, JOSE, NOW)
    for body in (later, earlier, zp.meeting_ended(MEETING, NOW + timedelta(hours=1))):
        assert zoom.send(body).status == 200
    log = [i for i in ZoomWebhookItem.gsi1.query(f"ZOOMLOG#{MEETING.id}") if isinstance(i, ZoomWebhookItem)]
    assert [i.event for i in log] == [
        "meeting.participant_left",
        "meeting.participant_joined",
        "meeting.ended",
    ]


def test_the_same_event_three_times_is_one_item_and_three_puts(zoom: Zoom) -> None:
    body = joined()
    raw = zp.encode(body)
    for delay in (0, 60, 240):  # Zoom's retries: the same body, signed again later
        zoom.clock.current = NOW + timedelta(seconds=delay)
        reply = zoom.deliver(raw, zp.signed_headers(SECRET, raw, timestamp=TS + delay))
        assert reply.status == 200
    assert [i.identity for i in zoom.stored()] == [event_identity(body)]
    published = zoom.published()
    assert len(published) == 3
    assert {e["detail"]["identity"] for e in published} == {event_identity(body)}


def test_identity_tells_apart_what_zoom_tells_apart() -> None:
    second_device = JOSE.on_another_device()
    base = joined()
    assert event_identity(base) == event_identity(json.loads(zp.encode(base)))
    assert event_identity(base) != event_identity(joined(NOW + timedelta(seconds=1)))  # a rejoin
    assert event_identity(base) != event_identity(joined(who=second_device))  # another device
    assert event_identity(base) != event_identity(zp.participant_left(MEETING, JOSE, NOW))
    ended = zp.meeting_ended(MEETING, NOW)
    key = f"meeting.ended|{MEETING.uuid}||{ended['event_ts']}"
    assert event_identity(ended) == hashlib.sha256(key.encode()).hexdigest()
    without_uuid = {"event": "meeting.participant_joined", "event_ts": 5, "payload": {"object": {}}}
    assert event_identity(without_uuid) == hashlib.sha256(b"meeting.participant_joined|||5").hexdigest()


def test_unknown_event_types_are_stored_and_published_too(zoom: Zoom) -> None:
    body = {"event": "recording.completed", "event_ts": zp.epoch_ms(NOW), "payload": {"object": {"id": 42}}}
    assert zoom.send(body).status == 200
    (item,) = zoom.stored()
    assert item.event == "recording.completed" and item.meeting_id == "42"
    (entry,) = zoom.published()
    assert entry["detail-type"] == "recording.completed"


def test_an_event_without_a_meeting_is_stored_outside_the_meeting_log(zoom: Zoom) -> None:
    body = {"event": "app_deauthorized", "event_ts": 1, "payload": {"account_id": "a", "user_id": "u"}}
    assert zoom.send(body).status == 200
    (item,) = zoom.stored()
    assert item.meeting_id is None and item.gsi1pk is None
    assert [e["detail-type"] for e in zoom.published()] == ["app_deauthorized"]


def test_a_base64_encoded_body_is_verified_over_its_decoded_bytes(zoom: Zoom) -> None:
    raw = zp.encode(joined())
    reply = zoom.deliver(raw, zp.signed_headers(SECRET, raw, timestamp=TS), base64_body=True)
    assert reply.status == 200
    (item,) = zoom.stored()
    assert item.raw.encode() == raw


def test_timestamps_within_300_seconds_either_way_are_accepted(zoom: Zoom) -> None:
    assert zoom.send(joined(), ts=TS - 300).status == 200
    assert zoom.send(joined(NOW + timedelta(seconds=1)), ts=TS + 300).status == 200
    assert len(zoom.stored()) == 2


def test_signed_url_validation_answers_the_encrypted_token_and_stores_nothing(zoom: Zoom) -> None:
    reply = zoom.send(zp.url_validation("qgg8vlvZRS6UYooatFL8Aw", event_ts=zp.epoch_ms(NOW)))
    assert reply.status == 200
    expected = hmac.new(SECRET, b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert reply.body == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}
    assert zoom.stored() == [] and zoom.published() == []


def test_url_validation_without_a_plain_token_is_400(zoom: Zoom) -> None:
    body = {"event": "endpoint.url_validation", "event_ts": 1, "payload": {}}
    assert_refused(zoom, zoom.send(body), 400, "invalid_event")


def test_the_handler_runs_with_the_powertools_context_and_the_real_clock(zoom: Zoom) -> None:
    raw = zp.encode(joined())
    event = function_url_event("POST", "/", raw_body=raw, headers=zp.signed_headers(SECRET, raw))
    result = handler.lambda_handler(event, FakeContext())
    assert result["statusCode"] == 200 and json.loads(result["body"]) == {"status": "accepted"}
    assert result["headers"]["Content-Type"] == "application/json"


def test_the_secret_comes_from_secrets_manager_when_named(
    zoom: Zoom, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lectern import secrets
    from lectern.config import reset_settings

    aws.client("secretsmanager").create_secret(
        Name="lectern/test/zoom",
        SecretString=json.dumps({"webhook_secret_token": "from-aws", "client_id": "", "client_secret": ""}),
    )
    monkeypatch.setenv("LECTERN_ZOOM_SECRET_NAME", "lectern/test/zoom")
    monkeypatch.setenv("LECTERN_ZOOM_WEBHOOK_SECRET", "not-this-one")
    reset_settings()
    secrets.clear_cache()
    try:
        assert zoom.send(joined(), secret=b"from-aws").status == 200
        assert len(zoom.stored()) == 1 and len(zoom.published()) == 1
        refused = zoom.send(joined(NOW + timedelta(seconds=1)), secret=b"not-this-one")
        assert refused.status == 401 and refused.body["error"]["code"] == "invalid_signature"
        assert len(zoom.stored()) == 1 and zoom.published() == []
    finally:
        monkeypatch.delenv("LECTERN_ZOOM_SECRET_NAME")
        reset_settings()
        secrets.clear_cache()


# -- refused: nothing stored, nothing published -----------------------------------------------


def test_reserialised_body_with_the_original_signature_is_401(zoom: Zoom) -> None:
    # Given Zoom's bytes and their genuine signature
    body = joined()
    raw = zp.encode(body)
    headers = zp.signed_headers(SECRET, raw, timestamp=TS)
    # When the same JSON arrives serialised differently (what spec-review H8's re-serialising
    # verifier would have to reproduce byte for byte)
    variants = [
        json.dumps(body).encode(),  # default separators, \u escapes for é and the emoji
        json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode(),
        json.dumps(body, ensure_ascii=False, indent=1).encode(),
    ]
    for variant in variants:
        assert variant != raw and json.loads(variant) == body
        # Then each is refused
        assert_refused(zoom, zoom.deliver(variant, headers), 401, "invalid_signature")


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda h: h.pop("x-zm-signature"), id="no-signature"),
        pytest.param(lambda h: h.pop("x-zm-request-timestamp"), id="no-timestamp"),
        pytest.param(lambda h: h.clear(), id="no-headers"),
        pytest.param(lambda h: h.update({"x-zm-signature": ""}), id="empty-signature"),
        pytest.param(lambda h: h.update({"x-zm-signature": "v0=" + "0" * 64}), id="zero-signature"),
        pytest.param(lambda h: h.update({"x-zm-signature": h["x-zm-signature"][3:]}), id="no-v0-prefix"),
        pytest.param(lambda h: h.update({"x-zm-signature": h["x-zm-signature"].upper()}), id="upper-hex"),
        pytest.param(lambda h: h.update({"x-zm-signature": "v0=é"}), id="non-ascii-signature"),
        pytest.param(lambda h: h.update({"x-zm-request-timestamp": "soon"}), id="timestamp-not-a-number"),
        pytest.param(lambda h: h.update({"x-zm-request-timestamp": str(TS * 1000)}), id="timestamp-in-ms"),
        pytest.param(lambda h: h.update({"x-zm-request-timestamp": str(TS + 1)}), id="other-timestamp"),
    ],
)
def test_missing_or_wrong_headers_are_401(zoom: Zoom, mutate: Any) -> None:
    raw = zp.encode(joined())
    headers = zp.signed_headers(SECRET, raw, timestamp=TS)
    mutate(headers)
    assert_refused(zoom, zoom.deliver(raw, headers), 401, "invalid_signature")


def test_wrong_secret_is_401(zoom: Zoom) -> None:
    assert_refused(zoom, zoom.send(joined(), secret=b"someone-elses-secret"), 401, "invalid_signature")


@pytest.mark.parametrize("offset", [-301, 301, -86_400])
def test_stale_or_future_timestamps_are_401_even_when_correctly_signed(zoom: Zoom, offset: int) -> None:
    reply = zoom.send(joined(), ts=TS + offset)
    assert_refused(zoom, reply, 401, "invalid_signature")
    assert "300 seconds" in reply.body["error"]["message"]


def test_a_forged_event_stores_nothing_and_publishes_nothing(zoom: Zoom) -> None:
    # Given a genuine delivery, and a forged one reusing its headers with a different attendee
    genuine = zp.encode(joined())
    headers = zp.signed_headers(SECRET, genuine, timestamp=TS)
    forged = genuine.replace(b"jose@example.org", b"mallory@example.org")
    # When the forgery arrives
    reply = zoom.deliver(forged, headers)
    # Then 401, and no trace of it anywhere
    assert_refused(zoom, reply, 401, "invalid_signature")


def test_unsigned_url_validation_is_401_without_a_token(zoom: Zoom) -> None:
    raw = zp.encode(zp.url_validation("plain-token-123", event_ts=zp.epoch_ms(NOW)))
    reply = zoom.deliver(raw, {"content-type": "application/json"})
    assert_refused(zoom, reply, 401, "invalid_signature")
    assert "encryptedToken" not in json.dumps(reply.body)
    expected = hmac.new(SECRET, b"plain-token-123", hashlib.sha256).hexdigest()
    assert expected not in json.dumps(reply.body)


def test_wrongly_signed_url_validation_is_401_without_a_token(zoom: Zoom) -> None:
    reply = zoom.send(zp.url_validation("plain-token-123", event_ts=1), secret=b"guess")
    assert_refused(zoom, reply, 401, "invalid_signature")
    assert "encryptedToken" not in json.dumps(reply.body)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{not json", "malformed_json"),
        (b"\xff\xfe{}", "malformed_json"),
        (b'{"event": "meeting.ended", "event_ts": NaN}', "malformed_json"),
        (b"[1, 2]", "invalid_event"),
        (b'"meeting.ended"', "invalid_event"),
        (b'{"payload": {}}', "invalid_event"),
        (b'{"event": ""}', "invalid_event"),
        (b'{"event": 7}', "invalid_event"),
        (b'{"event": "meeting.ended", "event_ts": "yesterday"}', "invalid_event"),
        (b'{"event": "meeting.ended", "event_ts": -1}', "invalid_event"),
        (b"", "malformed_json"),
    ],
)
def test_signed_but_invalid_bodies_are_400(zoom: Zoom, raw: bytes, code: str) -> None:
    reply = zoom.deliver(raw, zp.signed_headers(SECRET, raw, timestamp=TS))
    assert_refused(zoom, reply, 400, code)


def test_invalid_json_is_checked_only_after_the_signature(zoom: Zoom) -> None:
    reply = zoom.deliver(b"{not json", {"x-zm-signature": "v0=00", "x-zm-request-timestamp": str(TS)})
    assert_refused(zoom, reply, 401, "invalid_signature")


def test_an_oversized_body_is_413(zoom: Zoom) -> None:
    body = joined()
    body["payload"]["object"]["topic"] = "x" * webhook.MAX_BODY_BYTES
    raw = zp.encode(body)
    assert_refused(
        zoom, zoom.deliver(raw, zp.signed_headers(SECRET, raw, timestamp=TS)), 413, "payload_too_large"
    )


def test_a_body_of_exactly_the_limit_is_verified(zoom: Zoom) -> None:
    body = joined()
    padding = webhook.MAX_BODY_BYTES - len(zp.encode(body))
    body["payload"]["object"]["topic"] += "x" * padding
    raw = zp.encode(body)
    assert len(raw) == webhook.MAX_BODY_BYTES
    assert zoom.deliver(raw, zp.signed_headers(SECRET, raw, timestamp=TS)).status == 200
    (entry,) = zoom.published()
    # too big for one EventBridge entry with its envelope: the consumer reads the stored raw item
    assert entry["detail"]["payload"] is None and entry["detail"]["payload_omitted"] is True


def test_invalid_base64_is_400(zoom: Zoom) -> None:
    event = function_url_event("POST", "/", headers={"x-zm-signature": "v0=1"})
    event["body"], event["isBase64Encoded"] = "!!not base64!!", True
    result = handler.handle(event, clock=zoom.clock)
    assert result["statusCode"] == 400
    assert json.loads(result["body"])["error"]["code"] == "malformed_body"
    assert zoom.stored() == []


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "OPTIONS"])
def test_other_methods_are_405(zoom: Zoom, method: str) -> None:
    raw = zp.encode(joined())
    reply = zoom.deliver(raw, zp.signed_headers(SECRET, raw, timestamp=TS), method=method)
    assert_refused(zoom, reply, 405, "method_not_allowed")
    assert reply.headers["Allow"] == "POST"


def test_no_secret_configured_is_503(zoom: Zoom, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LECTERN_ZOOM_WEBHOOK_SECRET")
    reply = zoom.send(joined())
    assert_refused(zoom, reply, 503, "webhook_not_configured")


# -- failures after verification: 500, so Zoom retries -----------------------------------------


def test_a_bus_failure_answers_500_and_the_retry_lands(zoom: Zoom, monkeypatch: pytest.MonkeyPatch) -> None:
    body = joined()
    raw = zp.encode(body)
    headers = zp.signed_headers(SECRET, raw, timestamp=TS)

    class DownBus:
        def put_events(self, Entries: Any) -> dict[str, Any]:
            return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure"}]}

    real_client = aws.client
    monkeypatch.setattr(aws, "client", lambda s: DownBus() if s == "events" else real_client(s))
    # When the bus refuses the entry
    reply = zoom.deliver(raw, headers)
    # Then 500 (not acknowledged: Zoom delivers again), the envelope carries the correlation id
    assert reply.status == 500 and reply.body["error"]["code"] == "internal_error"
    assert set(reply.body["error"]["details"][0]) == {"correlation_id"}
    # And the retry stores the same item again and publishes
    monkeypatch.setattr(aws, "client", real_client)
    assert zoom.deliver(raw, headers).status == 200
    assert [i.identity for i in zoom.stored()] == [event_identity(body)]
    assert len(zoom.published()) == 1


def test_a_storage_failure_answers_500_and_publishes_nothing(
    zoom: Zoom, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_store(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("table unavailable")

    monkeypatch.setattr(webhook, "store", broken_store)
    reply = zoom.send(joined())
    assert reply.status == 500 and reply.body["error"]["code"] == "internal_error"
    assert zoom.published() == []


def test_sign_is_zooms_documented_construction() -> None:
    raw = b'{"event":"meeting.started"}'
    expected = "v0=" + hmac.new(b"k", b"v0:1700000000:" + raw, hashlib.sha256).hexdigest()
    assert sign(b"k", "1700000000", raw) == expected


def test_nothing_of_the_body_is_logged(zoom: Zoom, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.INFO, logger="zoom-webhook")
    handler.logger.setLevel(logging.INFO)
    try:
        zoom.send(joined())
        zoom.send(joined(), secret=b"wrong")
    finally:
        handler.logger.setLevel(logging.WARNING)
    messages = [r.getMessage() for r in caplog.records]
    assert "zoom webhook accepted" in messages and "zoom webhook refused" in messages
    logged = json.dumps([r.__dict__ for r in caplog.records], default=str, ensure_ascii=False)
    assert "meeting_id" in logged and MEETING.id in logged  # what is logged: ids, never people
    for personal in ("jose@example.org", "José", "Ñúñez", "reg-jose"):
        assert personal not in logged
