"""Builders for the common journeys, so tests state only what matters to them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from tests.support.api import Api
from tests.support.aws import last_token

_n = itertools.count(1)
PASSWORD = "correct horse battery staple"


@dataclass
class Account:
    email: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def token(self) -> str:
        return self.access_token


def signup(api: Api, email: str | None = None, password: str = PASSWORD, **extra: str) -> str:
    email = email or f"user{next(_n)}@example.org"
    body = {
        "email": email,
        "password": password,
        "full_name": extra.pop("full_name", "Ada Lovelace"),
        **extra,
    }
    r = api.post("/auth/signup/", body)
    assert r.status == 202, r.json
    return email


def verified_account(api: Api, email: str | None = None, password: str = PASSWORD) -> Account:
    email = signup(api, email, password)
    r = api.post("/auth/verify-email/", {"token": last_token(email)})
    assert r.status == 200, r.json
    return login(api, email, password)


def login(api: Api, email: str, password: str = PASSWORD) -> Account:
    r = api.post("/auth/login/", {"email": email, "password": password})
    assert r.status == 200, r.json
    return Account(email, password, r.json["access_token"], r.json["refresh_token"])
