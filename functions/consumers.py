"""The bus consumers: EventBridge rule → SQS queue (+DLQ) → Lambda, one per consumer.

The single source for the CDK app (infra/constructs/workers.py) and the local runtime
(local/events.py, which mirrors the wiring with pollers). Add a consumer here and both follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Consumer:
    name: str  # short, [a-z0-9-]: names the queue, DLQ, rule and function
    handler: str  # "functions.workers.<module>.lambda_handler"
    pattern: dict[str, Any]  # EventBridge event pattern
    description: str = ""
    batch_size: int = 10
    visibility_timeout: int = 5  # seconds before a failed message is retried (local; AWS uses 6x timeout)
    max_receive_count: int = 3  # then it goes to the DLQ


CONSUMERS: tuple[Consumer, ...] = (
    Consumer(
        "attendance",
        "functions.workers.attendance.lambda_handler",
        {
            "$or": [
                {
                    "source": ["lectern.zoom"],
                    "detail-type": [
                        "meeting.participant_joined",
                        "meeting.participant_left",
                        "webinar.participant_joined",
                        "webinar.participant_left",
                        "meeting.ended",
                        "webinar.ended",
                    ],
                },
                {
                    "source": ["lectern"],
                    "detail-type": [
                        "lectern.event.updated",
                        "lectern.session.updated",
                        "lectern.session.deleted",
                        "lectern.session.cancelled",
                    ],
                },
            ]
        },
        "Zoom participant/ended events → attendance edges, session completion; recompute on rule changes",
    ),
    Consumer(
        "zoom-provisioning",
        "functions.workers.zoom_provisioning.lambda_handler",
        {
            "source": ["lectern"],
            "detail-type": [
                "lectern.event.published",
                "lectern.event.updated",
                "lectern.event.cancelled",
                "lectern.session.created",
                "lectern.session.updated",
                "lectern.session.cancelled",
                "lectern.session.deleted",
                "lectern.registration.confirmed",
                "lectern.registration.promoted",
                "lectern.registration.cancelled",
                "lectern.zoom.connected",
            ],
        },
        "Zoom meetings for published online events and sessions; a Zoom registrant per registration",
    ),
    Consumer(
        "certificates",
        "functions.workers.certificates.lambda_handler",
        {"source": ["lectern"], "detail-type": ["lectern.event.completed"]},
        "An event completed with auto_issue_certificates → its automatic issue run (once per event)",
    ),
    Consumer(
        "zoom-deauthorization",
        "functions.workers.zoom_deauthorization.lambda_handler",
        {"source": ["lectern.zoom"], "detail-type": ["app_deauthorized"]},
        "Zoom app_deauthorized → the organiser's Zoom connection is deleted",
    ),
    Consumer(
        "invitations",
        "functions.workers.invitations.lambda_handler",
        {
            "source": ["lectern"],
            "detail-type": ["lectern.invitation.mail_requested", "lectern.invitation.run_requested"],
        },
        "Invitation mails (claimed before sending: once per invitation) and large contact-list runs",
        batch_size=4,  # ≤ 100 mails per invocation
        visibility_timeout=60,
    ),
    Consumer(
        "reminders",
        "functions.workers.reminders.lambda_handler",
        {"source": ["lectern"], "detail-type": ["lectern.event.updated", "lectern.event.cancelled"]},
        "An event moved or was cancelled → its reminders re-armed for the new time, or disarmed",
    ),
)
