"""Reading a contacts CSV file: encoding, header mapping, per-row validation.

* Encoding: UTF-8, with or without a byte-order mark. Anything else (Latin-1, UTF-16 "Unicode
  text") is a 422 `invalid_encoding` naming the first bad byte. A body that reached us as text
  with U+FFFD replacement characters (API Gateway replaced bytes that were not UTF-8) is the
  same 422.
* Delimiter: comma; a header line with semicolons and no comma (spreadsheets in many European
  locales) is read with semicolons.
* Header mapping: each contact field is found by its common header names, compared
  case-insensitively and ignoring spaces, '-' and '_' (`HEADER_ALIASES`); `first name` +
  `last name` columns make the name when there is no name column. An explicit mapping
  (`map_email=Work Email`, ...) names the header for a field and wins over the guess; a header
  it names that the file lacks is a 422 naming the parameter. No email column → 422
  `missing_email_column`. Other columns are ignored (listed in the report).
* Rows: numbered as a spreadsheet shows them (the header is row 1). Blank rows are skipped and
  counted. Each problem is reported as (row, field, code, message): `missing`, `invalid_email`,
  `too_long`. Cells are trimmed; a leading `'` that our export put before a formula-like cell is
  removed again.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from lectern.errors import ValidationFailed
from lectern.registrations.export import FORMULA_START
from lectern.schemas import _EMAIL

MAX_ROWS = 10_000
FIELDS = ("email", "name", "title", "organization", "notes")
MAX_LENGTH = {"email": 320, "name": 200, "title": 200, "organization": 200, "notes": 5000}

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email", "emailaddress", "mail", "workemail", "emailid"),
    "name": ("name", "fullname", "contactname", "displayname"),
    "title": ("title", "jobtitle", "professionaltitle", "position", "role"),
    "organization": (
        "organization",
        "organisation",
        "company",
        "companyname",
        "organizationname",
        "organisationname",
        "employer",
    ),
    "notes": ("notes", "note", "comments", "comment"),
}
FIRST_NAME = ("firstname", "givenname", "forename")
LAST_NAME = ("lastname", "surname", "familyname")


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    code: str
    message: str


@dataclass(frozen=True)
class Person:
    row: int
    email: str
    name: str = ""
    title: str = ""
    organization: str = ""
    notes: str = ""


@dataclass
class Parsed:
    mapping: dict[str, str]  # field -> header as written
    people: list[Person] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total_rows: int = 0
    blank_rows: int = 0
    ignored_columns: list[str] = field(default_factory=list)


def _norm_header(text: str) -> str:
    return re.sub(r"[\s_\-.]+", "", text.strip().casefold())


def decode(raw: bytes | str) -> str:
    """The file's text, or 422 `invalid_encoding`."""
    if isinstance(raw, str):
        if "\ufffd" in raw:
            raise _encoding_error("it contains bytes that are not UTF-8 (shown as �)")
        return raw[1:] if raw.startswith("\ufeff") else raw
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.start + 1].hex()
        raise _encoding_error(f"byte 0x{bad} at position {exc.start} is not valid UTF-8") from exc


def _encoding_error(why: str) -> ValidationFailed:
    return ValidationFailed.field(
        "file",
        f"The file is not UTF-8 text: {why}. Save it as “CSV UTF-8” and upload it again.",
        code="invalid_encoding",
    )


def _unquote(cell: str) -> str:
    cell = cell.strip()
    if len(cell) > 1 and cell[0] == "'" and cell[1] in FORMULA_START:
        return cell[1:]
    return cell


def _mapping(header: list[str], explicit: dict[str, str]) -> tuple[dict[str, int], dict[str, str], list[int]]:
    """field -> column index, field -> header text, and the name-part columns (first, last)."""
    norm = [_norm_header(h) for h in header]
    cols: dict[str, int] = {}
    for fname, wanted in explicit.items():
        if not wanted:
            continue
        target = _norm_header(wanted)
        idx = next((i for i, h in enumerate(norm) if h == target), None)
        if idx is None:
            raise ValidationFailed.field(
                f"map_{fname}",
                f"The file has no column “{wanted}” "
                f"(its columns: {', '.join(h for h in header if h) or 'none'}).",
                code="unknown_column",
            )
        cols[fname] = idx
    taken = set(cols.values())
    for fname in FIELDS:
        if fname in cols:
            continue
        for alias in HEADER_ALIASES[fname]:
            idx = next((i for i, h in enumerate(norm) if h == alias and i not in taken), None)
            if idx is not None:
                cols[fname] = idx
                taken.add(idx)
                break
    parts: list[int] = []
    if "name" not in cols:
        first = next((i for i, h in enumerate(norm) if h in FIRST_NAME and i not in taken), None)
        last = next((i for i, h in enumerate(norm) if h in LAST_NAME and i not in taken), None)
        parts = [i for i in (first, last) if i is not None]
        taken.update(parts)
    names = {f: header[i].strip() for f, i in cols.items()}
    if parts:
        names["name"] = " + ".join(header[i].strip() for i in parts)
    return cols, names, parts


def parse(raw: bytes | str, explicit: dict[str, str] | None = None) -> Parsed:
    text = decode(raw)
    if "\x00" in text:
        raise ValidationFailed.field(
            "file",
            "The file contains NUL characters: it is not a CSV text file (a spreadsheet workbook?). "
            "Export it as “CSV UTF-8”.",
            code="malformed_csv",
        )
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        while header is not None and not any(c.strip() for c in header):
            header = next(reader, None)
    except csv.Error as exc:
        raise ValidationFailed.field("file", f"Row 1 is not valid CSV: {exc}.", code="malformed_csv") from exc
    if header is None:
        raise ValidationFailed.field("file", "The file is empty: it needs a header row.", code="empty_file")
    cols, names, parts = _mapping(header, explicit or {})
    if "email" not in cols:
        raise ValidationFailed.field(
            "email",
            "The file has no email column (looked for a header such as “Email”, “E-mail” or “Email address”; "
            f"its columns: {', '.join(h.strip() for h in header if h.strip()) or 'none'}). "
            "Name the column with map_email.",
            code="missing_email_column",
        )
    used = set(cols.values()) | set(parts)
    out = Parsed(
        mapping=names,
        ignored_columns=[h.strip() for i, h in enumerate(header) if i not in used and h.strip()],
    )
    row_no = 1
    try:
        for record in reader:
            row_no += 1
            if not any(c.strip() for c in record):
                out.blank_rows += 1
                continue
            out.total_rows += 1
            if out.total_rows > MAX_ROWS:
                raise ValidationFailed.field(
                    "file",
                    f"The file has more than {MAX_ROWS} rows; split it into files of at most {MAX_ROWS}.",
                    code="too_many_rows",
                )
            _row(out, row_no, record, cols, parts)
    except csv.Error as exc:
        raise ValidationFailed.field(
            "file", f"Row {row_no} is not valid CSV: {exc}.", code="malformed_csv"
        ) from exc
    return out


def _cell(record: list[str], idx: int | None) -> str:
    return _unquote(record[idx]) if idx is not None and idx < len(record) else ""


def _row(out: Parsed, row_no: int, record: list[str], cols: dict[str, int], parts: list[int]) -> None:
    values = {f: _cell(record, cols.get(f)) for f in FIELDS}
    if parts:
        values["name"] = " ".join(v for v in (_cell(record, i) for i in parts) if v)
    errors = check(row_no, values)
    if errors:
        out.errors.extend(errors)
        return
    out.people.append(Person(row=row_no, **values))


def check(row_no: int, values: dict[str, str]) -> list[RowError]:
    """The problems of one person's fields (empty when it can be imported)."""
    errors = []
    email = values.get("email", "")
    if not email:
        errors.append(RowError(row_no, "email", "missing", "The email address is empty."))
    elif len(email) > MAX_LENGTH["email"] or not _EMAIL.match(email):
        errors.append(
            RowError(row_no, "email", "invalid_email", f"“{email[:100]}” is not a valid email address.")
        )
    for fname in FIELDS[1:]:
        if len(values.get(fname, "")) > MAX_LENGTH[fname]:
            errors.append(RowError(row_no, fname, "too_long", f"Longer than {MAX_LENGTH[fname]} characters."))
    return errors
