"""Validating subscriber input (CLI, CSV, web) into `SubscriberInput` values."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from digest.config import MAX_PAPERS_PER_EMAIL, parse_hhmm, parse_timezone
from digest.ranking.interests import InterestError, split_items, validate_interests
from digest.store import SubscriberInput

MAX_KEYWORDS = 20
MAX_KEYWORD_LEN = 100
FREQUENCIES = ("daily", "weekly", "paused")


class InputError(ValueError):
    """Bad subscriber input; the message is one line naming the problem."""


# C0 controls but tab, line feed and carriage return (whitespace: a pasted list may hold
# them, and they count as spaces), DEL and the C1 controls. NUL breaks a Subject header,
# ESC reaches terminals, and XML (the Atom feed) allows none of them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x1B: "ESC", 0x7F: "DEL"}


def check_text(value: str, what: str) -> str:
    """`value` unless it holds a control character; the error names the field and the
    character (the one way every text field is checked: CLI, CSV and web form)."""
    found = _CONTROL.search(value)
    if found is None:
        return value
    code = ord(found.group())
    name = f" ({_CONTROL_NAMES[code]})" if code in _CONTROL_NAMES else ""
    raise InputError(
        f"{what}: control character U+{code:04X}{name} at position {found.start() + 1} "
        "is not allowed; type plain text"
    )


def normalize_email(raw: str) -> str:
    try:
        info = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InputError(f"invalid email {raw.strip()!r}: {exc}") from None
    # The domain is case-insensitive; the local part is kept as written but compared lowered.
    return info.normalized.lower()


def normalize_keywords(raw: str, *, what: str = "keywords", required: bool = True) -> str:
    """Comma-separated interests, trimmed, spaces collapsed, duplicates dropped."""
    check_text(raw, what)
    seen: set[str] = set()
    out: list[str] = []
    for item in split_items(raw):
        term = re.sub(r"\s+", " ", item).strip()
        if not term:
            continue
        if len(term) > MAX_KEYWORD_LEN:
            raise InputError(
                f"{what}: {term[:30]!r}... is longer than {MAX_KEYWORD_LEN} characters"
            )
        if term.count('"') % 2:
            raise InputError(f"{what}: unbalanced quote in {term!r}")
        key = term.lower()
        if key not in seen:
            seen.add(key)
            out.append(term)
    if required and not out:
        raise InputError(f'{what}: give at least one keyword, e.g. --keywords "diffusion, OOD"')
    if len(out) > MAX_KEYWORDS:
        raise InputError(f"{what}: at most {MAX_KEYWORDS} keywords, got {len(out)}")
    return ", ".join(out)


def parse_max_papers(raw: str | int) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise InputError(f"max papers: {raw!r} is not a whole number") from None
    if not 1 <= value <= MAX_PAPERS_PER_EMAIL:
        raise InputError(f"max papers: {value} is not between 1 and {MAX_PAPERS_PER_EMAIL}")
    return value


def make_input(
    email: str,
    keywords: str,
    exclude: str = "",
    send_at: str | None = None,
    tz: str | None = None,
    max_papers: str | int | None = None,
    frequency: str | None = None,
) -> SubscriberInput:
    """Validate every field; raise InputError naming the first bad one."""
    for what, given in (
        ("email", email),
        ("keywords", keywords),
        ("exclude", exclude),
        ("send time", send_at),
        ("time zone", tz),
        ("max papers", max_papers),
        ("frequency", frequency),
    ):
        if isinstance(given, str):
            check_text(given, what)
    try:
        send = parse_hhmm(send_at) if send_at else None
    except ValueError as exc:
        raise InputError(f"send time: {exc}") from None
    try:
        zone = parse_timezone(tz) if tz else None
    except ValueError as exc:
        raise InputError(f"time zone: {exc}") from None
    if frequency is not None and frequency not in FREQUENCIES:
        raise InputError(f"frequency: {frequency!r} is not one of {', '.join(FREQUENCIES)}")
    keywords = normalize_keywords(keywords)
    exclude = normalize_keywords(exclude, what="exclude", required=False)
    try:
        validate_interests(keywords, exclude)
    except InterestError as exc:
        raise InputError(f"keywords: {exc}") from None
    return SubscriberInput(
        email=normalize_email(email),
        keywords=keywords,
        exclude=exclude,
        send_at=send,
        timezone=zone,
        max_papers=parse_max_papers(max_papers) if max_papers not in (None, "") else None,
        frequency=frequency,
    )


CSV_COLUMNS = ("email", "keywords", "exclude", "send_at", "tz")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class CsvRow:
    line: int
    value: SubscriberInput | None
    error: str | None


def _csv_fields(line: str) -> list[str]:
    """One physical line as CSV fields. A field never spans lines here: a quote left open is
    an error on the line where it starts, so it cannot swallow the rows after it."""
    try:
        return next(csv.reader([line], strict=True))
    except csv.Error as exc:
        if "end of data" in str(exc):
            raise InputError(
                "a quoted field starts on this line and does not close on it (a missing or "
                'stray "; write "" for a quote inside a quoted field)'
            ) from None
        raise InputError(
            f'malformed CSV ({exc}): a quoted field must end just before a comma; write "" '
            "for a quote inside it"
        ) from None


def read_csv(text: str) -> Iterator[CsvRow]:
    """Rows of an import file (header `email,keywords[,exclude,send_at,tz]`, `;` between keywords).

    Each line is one row: a quoted field that does not close on its line is an error naming
    that line (and the next lines are read as rows of their own). Raises InputError when the
    header itself is wrong; a bad row is yielded with its error.
    """
    lines = _LINE_BREAK.split(text)
    try:
        header = [h.strip().lower() for h in _csv_fields(lines[0])] if lines[0].strip() else []
    except InputError as exc:
        raise InputError(f"CSV header: {exc}") from None
    if not header:
        raise InputError("the CSV file is empty; expected a header email,keywords")
    if header[:2] != ["email", "keywords"] or not set(header) <= set(CSV_COLUMNS):
        raise InputError(
            f"CSV header {','.join(header)!r} must be email,keywords[,exclude,send_at,tz]"
        )
    for line, raw in enumerate(lines[1:], start=2):
        if not raw.strip():
            continue
        try:
            values = _csv_fields(raw)
        except InputError as exc:
            yield CsvRow(line, None, str(exc))
            continue
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(header):
            yield CsvRow(line, None, f"{len(values)} columns, the header has {len(header)}")
            continue
        row = dict(zip(header, values, strict=False))
        try:
            value = make_input(
                row["email"],
                row.get("keywords", "").replace(";", ","),
                row.get("exclude", "").replace(";", ","),
                row.get("send_at") or None,
                row.get("tz") or None,
            )
        except InputError as exc:
            yield CsvRow(line, None, str(exc))
        else:
            yield CsvRow(line, value, None)


@dataclass(frozen=True)
class CsvImport:
    """A whole import file checked: the rows to import (the last row of a repeated address),
    the bad rows (line, error) and the repeated ones (line, earlier line, address)."""

    values: tuple[SubscriberInput, ...]
    bad: tuple[tuple[int, str], ...]
    duplicates: tuple[tuple[int, int, str], ...]
    rows: int


def check_csv(text: str) -> CsvImport:
    """Every row of an import file checked before anything is stored (all or nothing)."""
    latest: dict[str, SubscriberInput] = {}
    first_line: dict[str, int] = {}
    bad: list[tuple[int, str]] = []
    duplicates: list[tuple[int, int, str]] = []
    rows = 0
    for row in read_csv(text):
        rows += 1
        if row.value is None:
            bad.append((row.line, row.error or "bad row"))
            continue
        email = row.value.email
        if email in first_line:
            duplicates.append((row.line, first_line[email], email))
        else:
            first_line[email] = row.line
        latest[email] = row.value
    return CsvImport(tuple(latest.values()), tuple(bad), tuple(duplicates), rows)
