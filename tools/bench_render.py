"""Bench: render + store one certificate, as a ratio to a bare reportlab render of the same page.

The floor is the same page drawn with reportlab directly — the same fonts (DejaVu), the same
strings at the same sizes, the same QR code as vector modules — with nothing of ours around it:
no layout merge, no facts, no template, no storage. The measured operation is what issuing does
per certificate: `render_pdf` with the default layout and realistic multi-session facts, then the
PDF put to the files bucket (moto, in-process). Both run in the same process, interleaved, after a
warm-up (fonts registered once per process in both), median of N.

Imports only the standard library at module import.
"""

from __future__ import annotations

import io
import statistics
import time
from typing import Any

VERIFY = "https://app.lectern.example/api/v1/public/certificates/LCT-ABCD-EFGH-JKLM-NPQR/page"


def _facts() -> dict[str, Any]:
    from lectern.certificates.facts import sample_facts

    facts = dict(sample_facts())
    facts["holder_name"] = "Łukasz Żółć"
    return facts


def _bare(facts: dict[str, Any]) -> bytes:
    """The floor: the same strings, fonts and QR, drawn straight onto a reportlab canvas."""
    import segno
    from lectern.certificates.render import fonts
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfgen import canvas

    regular, bold = fonts()["serif"]
    buf = io.BytesIO()
    width, height = landscape(A4)
    c = canvas.Canvas(buf, pagesize=(width, height), invariant=1)
    c.setLineWidth(3)
    c.rect(20, 20, width - 40, height - 40)
    c.setFont(bold, 34)
    c.drawCentredString(width / 2, height - 110, "Certificate of Attendance")
    c.setFont(bold, 30)
    c.drawCentredString(width / 2, height - 200, str(facts.get("holder_name", "")))
    c.setFont(regular, 14)
    y = height - 240
    for key in ("event_title", "dates", "cpd_category", "issuer"):
        c.drawCentredString(width / 2, y, str(facts.get(key, "")))
        y -= 22
    for s in facts.get("sessions") or []:
        c.drawString(120, y, f"{s.get('title', '')}  {s.get('minutes', '')} min  {s.get('cpd_hours', '')} h")
        y -= 16
    qr = segno.make(VERIFY, error="m")
    size = 90
    matrix = [list(line) for line in qr.matrix]
    module = size / len(matrix)
    path = c.beginPath()  # every dark module in one path: the cheapest way to draw a QR
    for row, line in enumerate(matrix):
        for col, dark in enumerate(line):
            if dark:
                path.rect(width - 130 + col * module, 40 + size - (row + 1) * module, module, module)
    c.drawPath(path, stroke=0, fill=1)
    c.setFont(regular, 9)
    c.drawString(40, 40, "LCT-ABCD-EFGH-JKLM-NPQR")
    c.showPage()
    c.save()
    return buf.getvalue()


def _ours(facts: dict[str, Any]) -> bytes:
    from lectern import aws
    from lectern.certificates.render import render_pdf
    from lectern.certificates.templates import default_layout
    from lectern.config import get_settings

    pdf = render_pdf(orientation="landscape", layout=default_layout(), facts=facts, verify_url=VERIFY)
    aws.client("s3").put_object(
        Bucket=get_settings().files_bucket,
        Key="certificates/bench/one.pdf",
        Body=pdf,
        ContentType="application/pdf",
        ServerSideEncryption="AES256",
    )
    return pdf


def render_ratio(runs: int = 30) -> dict[str, Any]:
    from moto import mock_aws

    import tests.conftest  # noqa: F401  the test environment
    from tests.support.aws import provision, reset_caches

    with mock_aws():
        reset_caches()
        provision()
        facts = _facts()
        for _ in range(3):  # warm: fonts, the S3 client, segno
            _bare(facts)
            _ours(facts)
        bare: list[float] = []
        ours: list[float] = []
        for _ in range(runs):
            t = time.perf_counter()
            _bare(facts)
            bare.append(time.perf_counter() - t)
            t = time.perf_counter()
            _ours(facts)
            ours.append(time.perf_counter() - t)
        reset_caches()
    floor, measured = statistics.median(bare), statistics.median(ours)
    return {
        "runs": runs,
        "bare_ms": round(floor * 1000, 1),
        "render_and_store_ms": round(measured * 1000, 1),
        "ratio": round(measured / floor, 2),
        "target": 1.3,
        "verdict": "PASS" if measured / floor <= 1.3 else "MISS",
    }
