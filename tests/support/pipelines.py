"""The Step Functions pipelines in tests: the deployed definition (functions/pipelines) executed
by moto in-process, its Lambda tasks dispatched to their handlers (local/stepfunctions.py), plus
builders for completed events with registrations in every state certificates care about."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lectern.config import reset_settings
from lectern.data.certificates import IssueRunItem, RegistrationCertificateItem
from lectern.data.events import EventItem
from lectern.data.registrations import RegistrationItem
from lectern.deps import default_deps
from lectern.ids import new_id

from local import stepfunctions

STAGE = "test"


@dataclass
class Pipelines:
    deployed: list[stepfunctions.Deployed]

    @property
    def arns(self) -> list[str]:
        return [d.arn for d in self.deployed]

    def wait(self, timeout: float = 60.0) -> None:
        """Until every execution (and those it continued into) has ended."""
        stepfunctions.wait_idle(self.arns, timeout=timeout)

    def executions(self) -> list[dict[str, Any]]:
        from lectern import aws

        sfn = aws.client("stepfunctions")
        out = []
        for arn in self.arns:
            for e in sfn.list_executions(stateMachineArn=arn)["executions"]:
                out.append(sfn.describe_execution(executionArn=e["executionArn"]))
        return out


@pytest.fixture(name="pipelines")
def pipelines_fixture(aws_env: None) -> Iterator[Pipelines]:
    """The issue pipeline deployed on moto; LECTERN_ISSUE_STATE_MACHINE_ARN points at it."""
    with stepfunctions.execution_enabled():
        region = os.environ.get("LECTERN_REGION", "eu-west-1")
        deployed = stepfunctions.deploy(stage=STAGE, region=region)
        env = stepfunctions.settings_env(deployed)
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        reset_settings()
        default_deps.cache_clear()
        p = Pipelines(deployed)
        try:
            yield p
            p.wait()
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            reset_settings()
            for d in deployed:
                stepfunctions.Dispatcher.unregister([f.name for f in d.functions])


# -- builders -----------------------------------------------------------------------------------


def complete(event: EventItem) -> EventItem:
    event.update(actions=[EventItem.status.set("completed")])
    return event


def registration(
    event: EventItem,
    *,
    email: str | None = None,
    name: str = "Ada Lovelace",
    status: str = "confirmed",
    eligible: bool = True,
    override: bool | None = None,
) -> RegistrationItem:
    """A registration as attendance left it: eligible or not, maybe overridden by the organiser."""
    rid = new_id()
    now = datetime.now(UTC)
    email = email or f"person-{rid[:8]}@example.org"
    reg = RegistrationItem(
        *RegistrationItem.key(rid),
        registration_id=rid,
        event_id=event.event_id,
        owner_id=event.owner_id,
        email=email,
        full_name=name,
        status=status,
        attendance_eligible=eligible,
        attendance_explanation="Attended 55 of 60 minutes." if eligible else "Attended 10 of 60 minutes.",
        attendance_percent=92 if eligible else 17,
        total_attendance_minutes=55 if eligible else 10,
        attendance_override=override,
        attendance_override_reason="Technical difficulties" if override is not None else None,
        attendance_override_by=event.owner_id if override is not None else None,
        created_at=now - timedelta(days=1),
        updated_at=now,
    )
    reg.gsi1pk, reg.gsi1sk = RegistrationItem.event_index(event.event_id, rid)
    reg.gsi2pk, reg.gsi2sk = RegistrationItem.person_index(None, email, rid)
    reg.save()
    return reg


def run_item(run_id: str) -> IssueRunItem:
    return IssueRunItem.get(*IssueRunItem.key(run_id), consistent_read=True)


def live_certificate(registration_id: str) -> str | None:
    try:
        return RegistrationCertificateItem.get(
            *RegistrationCertificateItem.key(registration_id), consistent_read=True
        ).certificate_id
    except RegistrationCertificateItem.DoesNotExist:
        return None
