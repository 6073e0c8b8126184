"""The route groups: one Lambda function each behind API Gateway.

This list is the single source for the OpenAPI generator (tools/openapi.py), the CDK app and
the local runtime. Which paths a group serves, and which need a token, come from the group's
own routes (their OpenAPI operations, `security` set or not).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RouteGroup:
    name: str
    module: str  # importable module exposing `app` and `lambda_handler`
    description: str

    @property
    def handler(self) -> str:
        return f"{self.module}.lambda_handler"


GROUPS: tuple[RouteGroup, ...] = (
    RouteGroup("meta", "functions.meta.handler", "Health, OpenAPI document and interactive docs"),
    RouteGroup("auth", "functions.auth.handler", "Signup, email verification, login, tokens, password reset"),
    RouteGroup(
        "users", "functions.users.handler", "Profile, sessions, CPD requirements, activities, summary"
    ),
    RouteGroup(
        "events",
        "functions.events.handler",
        "Events, custom registration fields, discount codes, public event pages, iCalendar feeds",
    ),
    RouteGroup(
        "registrations",
        "functions.registrations.handler",
        "Registering, capacity and waitlist, organiser and attendee views, account linking",
    ),
    RouteGroup(
        "attendance",
        "functions.attendance.handler",
        "Session completion, aggregate attendance with explanations, overrides, unmatched participants",
    ),
    RouteGroup(
        "certificates",
        "functions.certificates.handler",
        "Certificate templates, issuing, downloads, public verification",
    ),
    RouteGroup("integrations", "functions.integrations.handler", "The organiser's Zoom connection (OAuth)"),
    RouteGroup("contacts", "functions.contacts.handler", "Contact lists and contacts, CSV import and export"),
    RouteGroup("outreach", "functions.outreach.handler", "Invitations and scheduled reminders"),
)

AUTHORIZER_MODULE = "functions.authorizer.handler"


def by_name(name: str) -> RouteGroup:
    for g in GROUPS:
        if g.name == name:
            return g
    raise KeyError(name)
