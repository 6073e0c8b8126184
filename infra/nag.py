"""cdk-nag v3 acknowledgements, each with its reason (CDK's native `Validations.acknowledge`).

cdk-nag 3 runs as a policy-validation plugin at synthesis (`Validations.of(app).add_plugins`);
an acknowledgement covers the construct it is attached to and everything below it. A rule that
reports several findings on one resource (IAM5) is acknowledged per finding:
`AwsSolutions-IAM5[Resource::*]`.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    if len(reason) < 20:
        raise ValueError(f"{rule}: give a real reason for acknowledging it")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))
