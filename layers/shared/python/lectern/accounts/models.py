"""Domain objects returned by the accounts use cases (never pynamodb items)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lectern.data.accounts import SessionItem, UserItem
from lectern.request import RequestMeta

__all__ = ["RequestMeta", "Session", "TokenPair", "User"]


@dataclass(frozen=True)
class User:
    user_id: str
    email: str
    full_name: str
    professional_title: str
    organization_name: str
    timezone: str
    email_verified: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, item: UserItem) -> User:
        return cls(
            user_id=item.user_id,
            email=item.email,
            full_name=item.full_name,
            professional_title=item.professional_title or "",
            organization_name=item.organization_name or "",
            timezone=item.timezone or "UTC",
            email_verified=item.email_verified_at is not None,
            created_at=item.created_at,
            updated_at=item.updated_at,
        )


@dataclass(frozen=True)
class Session:
    session_id: str
    device: str
    ip: str
    created_at: datetime
    last_used_at: datetime
    current: bool

    @classmethod
    def of(cls, item: SessionItem, current_session_id: str | None) -> Session:
        return cls(
            session_id=item.session_id,
            device=item.device or "",
            ip=item.ip or "",
            created_at=item.created_at,
            last_used_at=item.last_used_at,
            current=item.session_id == current_session_id,
        )


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"
