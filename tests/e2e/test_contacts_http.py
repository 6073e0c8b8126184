"""Contacts over real HTTP through the local gateway: a CSV import sent as `text/csv` (bigger
than the JSON body limit), a file that is not UTF-8, the report afterwards and the export."""

from __future__ import annotations

import csv
import io

import pytest
import requests

from tests.e2e.http_support import signed_in

pytestmark = pytest.mark.e2e


def test_csv_import_and_export_over_http(api_server: str, api_v1: str) -> None:
    auth = {"Authorization": f"Bearer {signed_in(api_server)}"}
    r = requests.post(f"{api_v1}/contact-lists/", json={"name": "HTTP list"}, headers=auth, timeout=30)
    assert r.status_code == 201, r.text
    lid = r.json()["uuid"]

    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["E-mail", "Full name", "Company", "Notes"])
    n = 5000
    for i in range(n):
        w.writerow([f"http{i:05d}@example.org", f"Person {i} — Zoë", "Org", "imported over HTTP"])
    data = ("\ufeff" + out.getvalue()).encode()
    assert len(data) > 256 * 1024  # over the JSON body limit: the CSV path takes it
    csv_headers = {**auth, "Content-Type": "text/csv; charset=utf-8"}
    r = requests.post(f"{api_v1}/contact-lists/{lid}/import/", data=data, headers=csv_headers, timeout=120)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["created"] == n and report["errors"] == []
    again = requests.get(f"{api_v1}/contact-lists/{lid}/imports/{report['uuid']}/", headers=auth, timeout=30)
    assert again.status_code == 200 and again.json() == report

    latin1 = "Email,Name\nzoe@example.org,Zoë\n".encode("latin-1")
    r = requests.post(f"{api_v1}/contact-lists/{lid}/import/", data=latin1, headers=csv_headers, timeout=30)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0]["code"] == "invalid_encoding"

    r = requests.get(f"{api_v1}/contact-lists/{lid}/export/", headers=auth, timeout=120)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8"))))
    assert rows[0] == ["email", "name", "title", "organization", "notes"]
    assert len(rows) == n + 1 and rows[1][1] == "Person 0 — Zoë"
