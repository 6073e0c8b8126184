"""SES feedback → the suppression list: permanent bounces and complaints suppress the address,
transient bounces do not; the parser reads the EventBridge, SNS and SQS shapes SES uses. The mail
adapter sends through the configuration set when one is configured."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from lectern.config import reset_settings
from lectern.data.mail import MailSuppressionItem
from lectern.deps import Deps
from lectern.integrations.mail import Email, SesMailer
from lectern.integrations.suppression import suppressed

from functions.workers import mail_feedback

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

MAIL = {
    "timestamp": "2026-11-27T08:59:58.000Z",
    "source": "Lectern <no-reply@lectern.test>",
    "sourceArn": "arn:aws:ses:eu-west-1:123456789012:identity/lectern.test",
    "sendingAccountId": "123456789012",
    "messageId": "0102018f-aaaa-bbbb-cccc-000000000000-000000",
    "destination": ["ada@example.org"],
    "tags": {"ses:configuration-set": ["lectern-test"]},
}

PERMANENT_BOUNCE = {
    "eventType": "Bounce",
    "bounce": {
        "bounceType": "Permanent",
        "bounceSubType": "General",
        "bouncedRecipients": [
            {
                "emailAddress": "Ada@Example.org",
                "action": "failed",
                "status": "5.1.1",
                "diagnosticCode": "smtp; 550 5.1.1 user unknown",
            }
        ],
        "timestamp": "2026-11-27T09:00:01.000Z",
        "feedbackId": "0102018f-feedback",
        "reportingMTA": "dsn; a8-1.smtp-out.eu-west-1.amazonses.com",
    },
    "mail": MAIL,
}

TRANSIENT_BOUNCE = {
    "eventType": "Bounce",
    "bounce": {
        "bounceType": "Transient",
        "bounceSubType": "MailboxFull",
        "bouncedRecipients": [{"emailAddress": "full@example.org", "status": "4.2.2"}],
        "timestamp": "2026-11-27T09:00:01.000Z",
        "feedbackId": "x",
    },
    "mail": MAIL,
}

COMPLAINT = {
    "eventType": "Complaint",
    "complaint": {
        "complainedRecipients": [{"emailAddress": "grumpy@example.org"}],
        "timestamp": "2026-11-27T10:00:00.000Z",
        "feedbackId": "y",
        "userAgent": "Mozilla/5.0",
        "complaintFeedbackType": "abuse",
        "arrivalDate": "2026-11-27T09:59:00.000Z",
    },
    "mail": MAIL,
}


def eventbridge(record):
    detail_type = {"Bounce": "Email Bounced", "Complaint": "Email Complaint Received"}[record["eventType"]]
    return {
        "version": "0",
        "id": "e0b1c2d3-0000-0000-0000-000000000000",
        "detail-type": detail_type,
        "source": "aws.ses",
        "account": "123456789012",
        "time": "2026-11-27T09:00:02Z",
        "region": "eu-west-1",
        "resources": ["arn:aws:ses:eu-west-1:123456789012:configuration-set/lectern-test"],
        "detail": record,
    }


def sns(record):
    return {
        "Type": "Notification",
        "MessageId": "m",
        "TopicArn": "arn:aws:sns:eu-west-1:123456789012:lectern-test-mail-feedback",
        "Message": json.dumps(record),
        "Timestamp": "2026-11-27T09:00:02.000Z",
    }


@pytest.mark.parametrize("envelope", [eventbridge, sns, lambda r: r, lambda r: json.dumps(sns(r))])
def test_a_permanent_bounce_is_parsed_from_every_envelope(envelope):
    (f,) = mail_feedback.parse(envelope(PERMANENT_BOUNCE), NOW)
    assert (f.email, f.reason, f.detail) == ("Ada@Example.org", "bounce", "Permanent/General")
    assert f.at == datetime(2026, 11, 27, 9, 0, 1, tzinfo=UTC)


def test_a_transient_bounce_suppresses_nothing():
    assert mail_feedback.parse(eventbridge(TRANSIENT_BOUNCE), NOW) == []
    undetermined = {
        **PERMANENT_BOUNCE,
        "bounce": {**PERMANENT_BOUNCE["bounce"], "bounceType": "Undetermined"},
    }
    assert mail_feedback.parse(undetermined, NOW) == []


def test_a_complaint_and_an_identity_notification_are_understood():
    (f,) = mail_feedback.parse(eventbridge(COMPLAINT), NOW)
    assert (f.email, f.reason, f.detail) == ("grumpy@example.org", "complaint", "abuse")
    legacy = {"notificationType": "Bounce", "bounce": PERMANENT_BOUNCE["bounce"], "mail": MAIL}
    assert [x.email for x in mail_feedback.parse(sns(legacy), NOW)] == ["Ada@Example.org"]


@pytest.mark.parametrize(
    "junk",
    [
        None,
        "not json",
        {},
        {"eventType": "Delivery", "delivery": {}, "mail": MAIL},
        {"source": "aws.ses", "detail": "garbage"},
        {"eventType": "Bounce", "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"x": 1}, "y"]}},
        {"eventType": "Complaint", "complaint": None},
    ],
)
def test_anything_else_suppresses_nothing(junk):
    assert mail_feedback.parse(junk, NOW) == []


def test_the_worker_suppresses_permanent_bounces_and_complaints_once(aws_env):
    deps = Deps()
    assert mail_feedback.handle(eventbridge(PERMANENT_BOUNCE), deps) == "suppressed:1"
    assert mail_feedback.handle(eventbridge(PERMANENT_BOUNCE), deps) == "suppressed:1"  # idempotent
    assert mail_feedback.handle(eventbridge(TRANSIENT_BOUNCE), deps) == "ignored"
    assert mail_feedback.handle(eventbridge(COMPLAINT), deps) == "suppressed:1"
    assert suppressed(["ada@example.org", "full@example.org", "grumpy@example.org"]) == {
        "ada@example.org",
        "grumpy@example.org",
    }
    items = {i.email: i for i in MailSuppressionItem.scan()}
    assert (
        items["ada@example.org"].reason == "bounce" and items["ada@example.org"].detail == "Permanent/General"
    )
    assert items["grumpy@example.org"].reason == "complaint"


def test_the_sqs_lambda_handler_reports_no_failures(aws_env):
    records = [
        {
            "messageId": "1",
            "body": json.dumps(eventbridge(PERMANENT_BOUNCE)),
            "receiptHandle": "r",
            "attributes": {},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn",
            "awsRegion": "eu-west-1",
        },
    ]

    class Ctx:
        function_name = "mail-feedback"
        memory_limit_in_mb = 256
        invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:mail-feedback"
        aws_request_id = "req"

    out = mail_feedback.lambda_handler({"Records": records}, Ctx())
    assert out == {"batchItemFailures": []}
    assert suppressed(["ada@example.org"]) == {"ada@example.org"}


def test_mail_goes_through_the_configuration_set_when_one_is_set(monkeypatch):
    calls = []

    class FakeSes:
        def send_raw_email(self, **kw):
            calls.append(kw)

    from lectern import aws

    monkeypatch.setattr(aws, "client", lambda name: FakeSes())
    message = Email(to="ada@example.org", subject="Hi", text="t", html="<p>h</p>")
    reset_settings()
    SesMailer().send(message)
    assert "ConfigurationSetName" not in calls[-1]
    monkeypatch.setenv("LECTERN_SES_CONFIGURATION_SET", "lectern-test")
    reset_settings()
    try:
        SesMailer().send(message)
    finally:
        monkeypatch.delenv("LECTERN_SES_CONFIGURATION_SET")
        reset_settings()
    assert calls[-1]["ConfigurationSetName"] == "lectern-test" and calls[-1]["Destinations"] == [
        "ada@example.org"
    ]
