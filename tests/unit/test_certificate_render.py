"""The certificate PDF: Latin-script names of every kind print (read back from the PDF's text
layer), the session breakdown, both orientations, images from a loader (and a broken one never
fails the render), the QR code encodes the verification URL, and the output is deterministic."""

from __future__ import annotations

import io
import re

import pytest
import segno
from lectern.certificates import facts as F
from lectern.certificates import render
from PIL import Image
from pypdf import PdfReader

URL = "https://app.lectern.test/api/v1/public/certificates/LCT-7K3M-Q9XW-2HRT-B4NZ/page"
NUMBER = "LCT-7K3M-Q9XW-2HRT-B4NZ"


def _pdf(orientation="landscape", layout=None, facts=None, **kw) -> bytes:
    return render.render_pdf(
        orientation=orientation,
        layout=layout or {},
        facts=facts or F.sample_facts(),
        verify_url=URL,
        number=NUMBER,
        **kw,
    )


def _text(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def _png(width: int, height: int, color=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "PNG")
    return buf.getvalue()


def _images(pdf: bytes) -> int:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    xobjects = page["/Resources"].get("/XObject") or {}
    return sum(1 for x in xobjects.values() if x.get_object()["/Subtype"] == "/Image")


@pytest.mark.parametrize(
    "name",
    [
        "Łukasz Żółć",
        "José Nuñez",
        "Đặng Thị Ngọc",
        "Søren Ærøskøbing",
        "Ġużeppi Ċaqnu",
        "Zoë Brontë-Çelik",
        "Ștefan Țurcanu",
        "Ľudmila Šťastná",
    ],
)
def test_given_a_latin_script_name_then_the_pdf_text_contains_it(name):
    facts = {**F.sample_facts(), "holder_name": name}

    text = _text(_pdf(facts=facts))

    assert name in text


def test_given_the_default_layout_then_the_facts_print():
    text = _text(_pdf(issued_at=None))

    f = F.sample_facts()
    for expected in ("Certificate of Attendance", f["event_title"], "CPD: 4 hours", "Clinical practice"):
        assert expected in text
    assert f"Certificate no. {NUMBER}" in text
    assert "Issued by" in text and f["issuer"] in text
    assert "2 March 2030" in text


def test_given_a_multi_session_event_then_the_breakdown_prints_only_when_the_layout_shows_it():
    with_table = _text(_pdf(layout={"show": {"session_breakdown": True}}))
    without = _text(_pdf(layout={"show": {"session_breakdown": False}}))

    for title in ("Foundations", "Case studies", "Assessment and reflection"):
        assert title in with_table
        assert title not in without
    assert "84 of 90 min" in with_table


def test_given_more_sessions_than_fit_then_the_rest_are_summarised():
    facts = F.sample_facts()
    facts["sessions"] = [{**facts["sessions"][0], "title": f"Session {i}"} for i in range(60)]

    text = _text(_pdf(orientation="landscape", layout={"show": {"session_breakdown": True}}, facts=facts))

    assert "Session 0" in text
    assert re.search(r"… and \d+ more sessions", text)


@pytest.mark.parametrize(("orientation", "wide"), [("landscape", True), ("portrait", False)])
def test_given_an_orientation_then_the_page_is_a4_that_way(orientation, wide):
    page = PdfReader(io.BytesIO(_pdf(orientation))).pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)

    assert sorted((round(width), round(height))) == [595, 842]
    assert (width > height) is wide


def test_given_images_then_they_are_drawn_and_a_broken_or_missing_one_is_left_out():
    layout = {
        "background_image_key": "bg",
        "logo_image_key": "logo",
        "signature_image_key": "sig",
        "signatory_name": "Dr Ana Ćosić",
        "signatory_title": "Director of Education",
    }
    good = {"bg": _png(40, 28, (250, 245, 230)), "logo": _png(30, 10), "sig": _png(20, 6)}

    assert _images(_pdf(layout=layout, images=good.get)) == 3
    broken = {"bg": b"not an image", "logo": _png(30, 10)}  # sig missing
    pdf = _pdf(layout=layout, images=broken.get)
    assert _images(pdf) == 1
    assert "Dr Ana Ćosić" in _text(pdf) and "Director of Education" in _text(pdf)
    assert _images(_pdf(layout=layout)) == 0  # no loader at all


def test_the_qr_code_encodes_the_verification_url():
    pdf = _pdf()

    content = PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data().decode("latin-1")
    runs = re.findall(r"^(\d+) (\d+) (\d+) 1 re$", content, flags=re.M)
    expected = segno.make(URL, error="m", micro=False).matrix
    n = len(expected)
    drawn = [[0] * n for _ in range(n)]
    for x, y, w in ((int(a), int(b), int(c)) for a, b, c in runs):
        for col in range(x, x + w):
            drawn[n - 1 - y][col] = 1
    assert drawn == [[int(bool(b)) for b in row] for row in expected]


def test_given_the_qr_code_is_hidden_then_none_is_drawn():
    content = PdfReader(io.BytesIO(_pdf(layout={"show": {"qr_code": False}}))).pages[0].get_contents()
    assert not re.search(rb"^\d+ \d+ \d+ 1 re$", content.get_data(), flags=re.M)


def test_placeholders_in_the_layout_texts_are_filled():
    layout = {"title": "Certificate — {category}", "body_text": "{name} completed {event} ({hours})."}

    text = _text(_pdf(layout=layout))

    assert "Certificate — Clinical practice" in text
    assert "Łukasz Żółć-Nuñez completed Clinical Reasoning in Practice (4 hours)." in text


def test_the_same_inputs_give_the_same_bytes():
    layout = {"show": {"session_breakdown": True}, "font": "sans"}
    assert _pdf(layout=layout) == _pdf(layout=layout)
    assert _pdf(layout=layout) != _pdf(layout={**layout, "font": "serif"})


def test_the_fonts_are_registered_once_and_embedded():
    render.fonts()
    before = render.fonts.cache_info().misses
    pdf = _pdf(layout={"font": "sans"})

    assert render.fonts.cache_info().misses == before
    fonts = {
        str(f.get_object()["/BaseFont"])
        for f in PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"].values()
    }
    assert any("DejaVuSans" in f for f in fonts), fonts
    assert b"/FontFile2" in pdf  # TrueType embedded (subset), not a base-14 reference
