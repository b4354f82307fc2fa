"""Validating subscriber input (CLI, CSV, web) into `SubscriberInput` values."""

from __future__ import annotations

import csv
import io
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


def normalize_email(raw: str) -> str:
    try:
        info = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InputError(f"invalid email {raw.strip()!r}: {exc}") from None
    # The domain is case-insensitive; the local part is kept as written but compared lowered.
    return info.normalized.lower()


def normalize_keywords(raw: str, *, what: str = "keywords", required: bool = True) -> str:
    """Comma-separated interests, trimmed, spaces collapsed, duplicates dropped."""
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


@dataclass(frozen=True)
class CsvRow:
    line: int
    value: SubscriberInput | None
    error: str | None


def read_csv(text: str) -> Iterator[CsvRow]:
    """Rows of an import file (header `email,keywords[,exclude,send_at,tz]`, `;` between keywords).

    Raises InputError when the header itself is wrong; a bad row is yielded with its error.
    """
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise InputError("the CSV file is empty; expected a header email,keywords") from None
    if header[:2] != ["email", "keywords"] or not set(header) <= set(CSV_COLUMNS):
        raise InputError(
            f"CSV header {','.join(header)!r} must be email,keywords[,exclude,send_at,tz]"
        )
    for values in reader:
        line = reader.line_num
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
