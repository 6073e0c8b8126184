"""The audit log: use cases record who did what to which resource, with dotted action names
(`lectern.user.password_changed`). `entry()` builds the item so it can join the use case's own
transaction; `record()` writes it alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lectern.data.audit import AuditItem
from lectern.data.pagination import Page, PageRequest, query_page


@dataclass(frozen=True)
class AuditEntry:
    entry_id: str
    action: str
    actor_id: str | None
    resource_type: str
    resource_id: str
    at: datetime
    details: dict[str, Any]


def entry(
    *,
    action: str,
    actor_id: str | None,
    resource_type: str,
    resource_id: str,
    at: datetime,
    entry_id: str,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditItem:
    pk, sk = AuditItem.key(resource_type, resource_id, at.isoformat(), entry_id)
    item = AuditItem(
        pk,
        sk,
        entry_id=entry_id,
        action=action,
        actor_id=actor_id,
        resource_type=resource_type,
        resource_id=resource_id,
        at=at,
        ip=ip,
        details={k: str(v) for k, v in (details or {}).items()},
    )
    if actor_id:
        item.gsi1pk = f"ACTOR#{actor_id}"
        item.gsi1sk = sk
    return item


def record(**kwargs: Any) -> None:
    entry(**kwargs).save()


@dataclass(frozen=True)
class Auditor:
    """Who is acting, from where and when — bound once per use case, then
    `log.entry("lectern.user.password_changed", "user", user_id)` for each thing it does."""

    actor_id: str | None
    at: datetime
    ids: Callable[[], str]
    ip: str | None = None

    def entry(self, action: str, resource_type: str, resource_id: str, **details: Any) -> AuditItem:
        return entry(
            action=action,
            actor_id=self.actor_id,
            resource_type=resource_type,
            resource_id=resource_id,
            at=self.at,
            entry_id=self.ids(),
            ip=self.ip,
            details=details or None,
        )

    def record(self, action: str, resource_type: str, resource_id: str, **details: Any) -> None:
        self.entry(action, resource_type, resource_id, **details).save()


def _to_domain(item: AuditItem) -> AuditEntry:
    return AuditEntry(
        entry_id=item.entry_id,
        action=item.action,
        actor_id=item.actor_id,
        resource_type=item.resource_type,
        resource_id=item.resource_id,
        at=item.at,
        details=dict(item.details.as_dict() if hasattr(item.details, "as_dict") else item.details),
    )


def for_resource(resource_type: str, resource_id: str, page: PageRequest, scope: str) -> Page[AuditEntry]:
    got = query_page(
        AuditItem.query,
        page,
        scope,
        hash_key=f"AUDIT#{resource_type}#{resource_id}",
        scan_index_forward=False,
    )
    return got.map(_to_domain)
