"""The certificate PDF: one page drawn with reportlab's canvas (fast: no platypus layout), a QR
code to the public verification page drawn as vector modules (segno's matrix, no image), and the
bundled DejaVu fonts so that any Latin-script name prints ("Łukasz Żółć", "Đặng Thị Ngọc").

`render_pdf(orientation=, layout=, facts=, verify_url=)` reads the layout keys documented in
`lectern.certificates.templates` (missing keys take `DEFAULT_LAYOUT`'s value) and the facts built
by `lectern.certificates.facts`. Images (background, logo, signature) are S3 keys in the layout;
the caller passes `images`, a loader from key to bytes (None when missing), so rendering itself
never touches AWS and tests need no bucket. An image that is missing or unreadable is left out —
a picture never fails a certificate.

The output is deterministic for the same inputs (reportlab's invariant mode: no timestamps or
random ids in the file).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lectern.certificates import templates

ImageLoader = Callable[[str], bytes | None]

FONT_DIR = Path(__file__).parent / "fonts"
_FONT_FILES = {
    "serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
    "sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
}
SAMPLE_NUMBER = "LCT-SAMP-LE00-0000-0000"


@functools.cache
def fonts() -> dict[str, tuple[str, str]]:
    """Register the bundled fonts once per process: family → (regular, bold) font names."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    out: dict[str, tuple[str, str]] = {}
    for family, (regular, bold) in _FONT_FILES.items():
        names = (f"Lectern-{family}", f"Lectern-{family}-Bold")
        for name, file in zip(names, (regular, bold), strict=True):
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / file)))
        out[family] = names
    return out


def _layout(layout: Mapping[str, Any] | None) -> dict[str, Any]:
    return templates.merged_layout(layout)


def placeholder_values(facts: Mapping[str, Any]) -> dict[str, str]:
    """The values of the layout texts' placeholders ({name}, {event}, ...)."""
    return {
        "name": str(facts.get("holder_name", "")),
        "event": str(facts.get("event_title", "")),
        "dates": str(facts.get("dates", "")),
        "hours": _hours_text(facts.get("cpd_hours")),
        "category": str(facts.get("cpd_category", "")),
    }


def _hours_text(value: Any) -> str:
    try:
        hours = float(value or 0)
    except (TypeError, ValueError):
        return ""
    text = f"{hours:.2f}".rstrip("0").rstrip(".")
    return f"{text} hour" if text == "1" else f"{text} hours"


@dataclass
class _Page:
    """The canvas plus what every drawing step needs. While `dry`, the text steps only measure
    (the content block is laid out once to know its height, then drawn centred)."""

    c: Any
    width: float
    height: float
    regular: str
    bold: str
    primary: Any
    text: Any
    border: Any
    dry: bool = False

    def centred(self, text: str, y: float, font: str, size: float, color: Any) -> None:
        if self.dry:
            return
        self.c.setFont(font, size)
        self.c.setFillColor(color)
        self.c.drawCentredString(self.width / 2, y, text)

    def rule(self, x1: float, y: float, x2: float, color: Any, width: float = 0.7) -> None:
        if self.dry:
            return
        self.c.setStrokeColor(color)
        self.c.setLineWidth(width)
        self.c.line(x1, y, x2, y)

    def fitted_size(self, text: str, font: str, size: float, max_width: float, floor: float = 10) -> float:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        while size > floor and stringWidth(text, font, size) > max_width:
            size -= 1
        return size

    def clipped(self, text: str, font: str, size: float, max_width: float) -> str:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        if stringWidth(text, font, size) <= max_width:
            return text
        while text and stringWidth(text + "…", font, size) > max_width:
            text = text[:-1]
        return text.rstrip() + "…"


def _image(images: ImageLoader | None, key: Any) -> Any:
    """An ImageReader for the layout's key, or None (no key, no loader, missing, unreadable)."""
    if not key or images is None:
        return None
    data = images(str(key))
    if not data:
        return None
    from reportlab.lib.utils import ImageReader

    try:
        reader = ImageReader(io.BytesIO(data))
        reader.getSize()
    except (OSError, ValueError, SyntaxError):
        return None
    return reader


def _draw_image(
    page: _Page, reader: Any, x: float, y: float, max_w: float, max_h: float, *, stretch: bool = False
) -> float:
    """Draw `reader` scaled into the box whose bottom-left is (x, y), centred horizontally (or
    stretched over the box); returns the drawn height (0 when the image could not be drawn)."""
    if reader is None:
        return 0.0
    iw, ih = reader.getSize()
    if not iw or not ih:
        return 0.0
    scale = min(max_w / iw, max_h / ih)
    w, h = (max_w, max_h) if stretch else (iw * scale, ih * scale)
    if page.dry:
        return h
    try:
        page.c.drawImage(reader, x + (max_w - w) / 2, y, w, h, mask="auto")
    except (OSError, ValueError, SyntaxError):
        return 0.0
    return h


def _qr(page: _Page, url: str, x: float, y: float, size: float) -> None:
    """The QR code as filled rectangles, one per horizontal run of dark modules, written as raw
    path operators in module units (a few hundred `re` operators; reportlab's per-number
    formatting would cost more than the encoding)."""
    import segno

    matrix = segno.make(url, error="m", micro=False).matrix
    n = len(matrix)
    runs: list[str] = []
    for row, bits in enumerate(matrix):
        top = n - 1 - row
        col = 0
        while col < n:
            if bits[col]:
                start = col
                while col < n and bits[col]:
                    col += 1
                runs.append(f"{start} {top} {col - start} 1 re")
            else:
                col += 1
    c = page.c
    c.saveState()
    c.setFillColor(page.text)
    module = size / n
    c.transform(module, 0, 0, module, x, y)
    c.addLiteral("\n".join([*runs, "f"]))
    c.restoreState()


def _border(page: _Page) -> None:
    c = page.c
    c.setStrokeColor(page.border)
    c.setLineWidth(3)
    c.rect(18, 18, page.width - 36, page.height - 36, stroke=1, fill=0)
    c.setLineWidth(0.8)
    c.rect(26, 26, page.width - 52, page.height - 52, stroke=1, fill=0)
    # Corner marks inside the frame.
    c.setLineWidth(1.5)
    for cx, cy, dx, dy in (
        (34, 34, 1, 1),
        (page.width - 34, 34, -1, 1),
        (34, page.height - 34, 1, -1),
        (page.width - 34, page.height - 34, -1, -1),
    ):
        c.line(cx, cy, cx + 22 * dx, cy)
        c.line(cx, cy, cx, cy + 22 * dy)


_ROW = 13.0


def _session_table(page: _Page, sessions: Sequence[Mapping[str, Any]], top: float, rows: int) -> float:
    """Session | Date | Attended | CPD hours with at most `rows` body rows (the rest summarised
    in one line); returns the table's height."""
    size = 8.5
    shown = list(sessions) if len(sessions) <= rows else list(sessions)[: max(0, rows - 1)]
    lines = 1 + len(shown) + (1 if len(shown) < len(sessions) else 0)
    if page.dry:
        return lines * _ROW
    c = page.c
    table_w = min(page.width - 160, 560)
    x0 = (page.width - table_w) / 2
    cols = (0.0, table_w * 0.50, table_w * 0.72, table_w * 0.88)
    y = top - _ROW
    c.setFont(page.bold, size)
    c.setFillColor(page.primary)
    for text, cx in zip(("Session", "Date", "Attended", "CPD hours"), cols, strict=True):
        c.drawString(x0 + cx, y + 3, text)
    page.rule(x0, y, x0 + table_w, page.border, 0.6)
    c.setFont(page.regular, size)
    c.setFillColor(page.text)
    for s in shown:
        y -= _ROW
        minutes = int(s.get("minutes") or 0)
        scheduled = int(s.get("scheduled_minutes") or 0)
        attended = f"{minutes} of {scheduled} min" if scheduled else f"{minutes} min"
        if not s.get("attended"):
            attended += " (not counted)"
        hours = "—" if s.get("cpd_hours") is None else _hours_text(s.get("cpd_hours")).split(" ")[0]
        title = page.clipped(str(s.get("title", "")), page.regular, size, cols[1] - 8)
        for text, cx in zip((title, str(s.get("date", "")), attended, hours), cols, strict=True):
            c.drawString(x0 + cx, y + 3, text)
    if len(shown) < len(sessions):
        y -= _ROW
        c.drawString(x0, y + 3, f"… and {len(sessions) - len(shown)} more sessions")
    return lines * _ROW


def _content(
    page: _Page,
    lay: Mapping[str, Any],
    facts: Mapping[str, Any],
    values: Mapping[str, str],
    top: float,
    bottom: float,
    logo: Any,
) -> float:
    """Logo, title, subtitle, name, body, dates and CPD, the session table, from `top` down;
    returns where it ended (the table gets the rows that fit above `bottom`)."""
    landscape_page = page.width > page.height
    gap = 1.0 if landscape_page else 1.35
    regular, bold = page.regular, page.bold
    text_width = page.width - (200 if landscape_page else 140)
    y = top
    logo_h = _draw_image(page, logo, (page.width - 180) / 2, y - 60, 180, 60)
    if logo_h:
        y -= logo_h + 18 * gap
    title = templates.fill(str(lay["title"]), values)
    size = page.fitted_size(title, bold, 32 if landscape_page else 28, text_width)
    y -= size
    page.centred(title, y, bold, size, page.primary)
    subtitle = templates.fill(str(lay["subtitle"]), values)
    if subtitle:
        y -= 32 * gap
        page.centred(page.clipped(subtitle, regular, 13, text_width), y, regular, 13, page.text)
    holder = values["name"]
    size = page.fitted_size(holder, bold, 34 if landscape_page else 30, text_width, floor=12)
    y -= 16 * gap + size
    page.centred(holder, y, bold, size, page.primary)
    y -= 10
    page.rule(page.width / 2 - 150, y, page.width / 2 + 150, page.border)
    professional = str(facts.get("professional_title") or "")
    if professional:
        y -= 16
        page.centred(page.clipped(professional, regular, 11, text_width), y, regular, 11, page.text)
    body = templates.fill(str(lay["body_text"]), values)
    if body:
        from reportlab.lib.utils import simpleSplit

        y -= 10 * gap
        for line in simpleSplit(body, regular, 13, text_width)[:6]:
            y -= 18
            page.centred(line, y, regular, 13, page.text)
    show = lay["show"]
    details: list[str] = []
    if show.get("dates") and values["dates"]:
        details.append(values["dates"])
    cpd = []
    if show.get("cpd_hours") and values["hours"]:
        cpd.append(f"CPD: {values['hours']}")
    if show.get("category") and values["category"]:
        cpd.append(f"Category: {values['category']}")
    if cpd:
        details.append("  ·  ".join(cpd))
    if details:
        y -= 8 * gap
    for line in details:
        y -= 16
        page.centred(page.clipped(line, regular, 11, text_width), y, regular, 11, page.text)
    sessions = facts.get("sessions") or []
    if show.get("session_breakdown") and facts.get("multi_session") and sessions:
        y -= 12 * gap
        rows = int((y - bottom) // _ROW) - 1
        if rows >= 1:
            y -= _session_table(page, sessions, y, rows)
    return y


def _bottom(
    page: _Page,
    lay: Mapping[str, Any],
    values: Mapping[str, str],
    issuer: str,
    number: str,
    issued_at: datetime | None,
    verify_url: str,
    signature: Any,
) -> None:
    """Signatory and issuer; under them the footer; along the frame the number (left) and the
    QR code (right)."""
    c, regular, bold = page.c, page.regular, page.bold
    show = lay["show"]
    landscape_page = page.width > page.height
    sign_x = page.width * 0.30
    if lay.get("signatory_name"):
        line_y = 122.0
        _draw_image(page, signature, sign_x - 80, line_y + 2, 160, 40)
        page.rule(sign_x - 90, line_y, sign_x + 90, page.text, 0.6)
        c.setFillColor(page.text)
        c.setFont(bold, 10)
        c.drawCentredString(sign_x, line_y - 13, page.clipped(str(lay["signatory_name"]), bold, 10, 200))
        if lay.get("signatory_title"):
            c.setFont(regular, 8.5)
            title = page.clipped(str(lay["signatory_title"]), regular, 8.5, 200)
            c.drawCentredString(sign_x, line_y - 25, title)
    if show.get("issuer") and issuer:
        issuer_x = page.width * (0.62 if lay.get("signatory_name") else 0.5)
        c.setFillColor(page.text)
        c.setFont(regular, 8.5)
        c.drawCentredString(issuer_x, 130, "Issued by")
        c.setFont(bold, 11)
        c.drawCentredString(issuer_x, 115, page.clipped(issuer, bold, 11, page.width * 0.28))
    if show.get("certificate_number"):
        c.setFillColor(page.text)
        c.setFont(regular, 8)
        c.drawString(46, 56, f"Certificate no. {number}")
        if issued_at is not None:
            c.drawString(46, 45, f"Issued {issued_at.day} {issued_at:%B %Y}")
    qr_size = 64.0 if landscape_page else 72.0
    if show.get("qr_code"):
        _qr(page, verify_url, page.width - 46 - qr_size, 50, qr_size)
        c.setFont(regular, 6.5)
        c.setFillColor(page.text)
        c.drawCentredString(page.width - 46 - qr_size / 2, 41, "Scan to verify")
    footer = templates.fill(str(lay.get("footer") or ""), values)
    if footer:
        from reportlab.lib.utils import simpleSplit

        for i, line in enumerate(simpleSplit(footer, regular, 7.5, page.width - 2 * 135)[:2]):
            page.centred(line, 78 - i * 9.5, regular, 7.5, page.text)


def render_pdf(
    *,
    orientation: str,
    layout: Mapping[str, Any] | None,
    facts: Mapping[str, Any],
    verify_url: str,
    number: str | None = None,
    issued_at: datetime | None = None,
    images: ImageLoader | None = None,
) -> bytes:
    """One certificate page as PDF bytes (see the module docstring). `number` and `issued_at`
    print in the corner (a preview without them prints a sample number)."""
    from reportlab.lib.colors import HexColor
    from reportlab.lib.pagesizes import A4, landscape, portrait
    from reportlab.pdfgen.canvas import Canvas

    lay = _layout(layout)
    regular, bold = fonts()[lay["font"] if lay["font"] in _FONT_FILES else "serif"]
    width, height = landscape(A4) if orientation == "landscape" else portrait(A4)
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(width, height), invariant=1, pageCompression=1)
    values = placeholder_values(facts)
    issuer = str(lay.get("issuer_name") or facts.get("issuer") or "")
    number = number or SAMPLE_NUMBER
    c.setTitle(f"{templates.fill(str(lay['title']), values)} — {values['name']}")
    c.setAuthor(issuer)
    c.setSubject(f"Certificate {number}")
    c.setCreator("Lectern")
    page = _Page(
        c,
        width,
        height,
        regular,
        bold,
        HexColor(str(lay["primary_color"])),
        HexColor(str(lay["text_color"])),
        HexColor(str(lay["border_color"])),
    )
    _draw_image(page, _image(images, lay.get("background_image_key")), 0, 0, width, height, stretch=True)
    _border(page)

    # The content block, measured first, then drawn centred between the top and the bottom rows.
    top, bottom = height - 52, 170.0
    logo = _image(images, lay.get("logo_image_key"))
    page.dry = True
    end = _content(page, lay, facts, values, top, bottom, logo)
    page.dry = False
    slack = max(0.0, (end - bottom) / 2)
    _content(page, lay, facts, values, top - slack, bottom, logo)
    signature = _image(images, lay.get("signature_image_key")) if lay.get("signatory_name") else None
    _bottom(page, lay, values, issuer, number, issued_at, verify_url, signature)
    c.showPage()
    c.save()
    return buf.getvalue()
