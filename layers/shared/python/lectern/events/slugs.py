"""Event slugs: lower-case ASCII words joined by hyphens, at most 80 characters."""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 80
PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FALLBACK = "event"

# Letters NFKD does not decompose into an ASCII base letter.
_SPECIAL = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ø": "o",
        "Ø": "o",
        "đ": "d",
        "Đ": "d",
        "ł": "l",
        "Ł": "l",
        "þ": "th",
        "Þ": "th",
        "ð": "d",
        "Ð": "d",
        "\u0131": "i",
        "&": " and ",
    }
)


def slugify(text: str) -> str:
    """`"Éthique & pratique!"` → `"ethique-and-pratique"`; never empty (falls back to "event")."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_SPECIAL)).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > MAX_LENGTH:
            if not slug:
                slug = word[:MAX_LENGTH]
            break
        slug = candidate
    return slug or FALLBACK


def with_suffix(base: str, n: int) -> str:
    """The n-th candidate for a generated slug: base, base-2, base-3, … (still ≤ 80 chars)."""
    if n <= 1:
        return base
    suffix = f"-{n}"
    return base[: MAX_LENGTH - len(suffix)].rstrip("-") + suffix


def is_valid(slug: str) -> bool:
    return len(slug) <= MAX_LENGTH and bool(PATTERN.match(slug))
