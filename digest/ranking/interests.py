"""The interest language: what a subscriber types, parsed into interests (pure).

    OOD, "diffusion language models", RLHF^2, -survey

Comma-separated interests. A "quoted phrase" must match as a phrase (an unquoted
multi-word interest also matches where all its words stand close together in one sentence,
never one alone);
`a + b` needs both parts in one paper; `author:"Name"` and `cat:cs.CL` match a paper's
authors and arXiv categories (digest.ranking.metadata);
`-term` excludes papers that mention it; `term^2` weighs an interest (0 < w <= 10).
Commas inside quotes do not split.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from digest.ranking import metadata
from digest.ranking.matching import TOKEN  # a word: letters or digits, of any script

MAX_WEIGHT = 10.0
_WEIGHT = re.compile(r"\^\s*([0-9]*\.?[0-9]+)\s*$")


class InterestError(ValueError):
    """An interest that cannot be parsed; the message is one line naming it."""


@dataclass(frozen=True)
class Interest:
    text: str  # as the subscriber wrote it (without -, ^w or quotes)
    written: str  # the whole item as written, e.g. '"normalizing flows"^2'
    phrase: bool = False  # quoted: only the exact phrase counts
    weight: float = 1.0


@dataclass(frozen=True)
class Interests:
    include: tuple[Interest, ...]
    exclude: tuple[Interest, ...]


# One item: a run of characters up to a comma outside double quotes (a quote left open runs
# to the end of the text); matched a run at a time, not a character at a time (twice as fast).
_ITEM = re.compile(r'(?:[^,"]+|"[^"]*"?)+')


def split_items(raw: str) -> list[str]:
    """Comma-separated items, commas inside double quotes kept; empty items dropped."""
    if not raw:
        return []
    items = raw.split(",") if '"' not in raw else _ITEM.findall(raw)
    return [" ".join(i.split()) for i in items if i.strip()]


@lru_cache(maxsize=65536)
def parse_item(item: str) -> tuple[Interest, bool]:
    """One item -> (interest, excluded). Raises InterestError on a malformed item."""
    written = " ".join(item.split())
    body = written
    excluded = body.startswith("-")
    if excluded:
        body = body[1:].strip()
    weight = 1.0
    m = _WEIGHT.search(body)
    if m:
        weight = float(m.group(1))
        body = body[: m.start()].strip()
        if not 0 < weight <= MAX_WEIGHT:
            raise InterestError(f"interest {written!r}: weight must be above 0 and at most 10")
    elif "^" in body:
        raise InterestError(f"interest {written!r}: a weight is written term^2")
    if body.count('"') % 2:
        raise InterestError(f"interest {written!r}: unbalanced quote")
    phrase = len(body) >= 2 and body.startswith('"') and body.endswith('"')
    text = " ".join(body.replace('"', " ").split())
    if not TOKEN.search(text):
        raise InterestError(f"interest {written!r}: no letters or digits to match")
    for part in text.split("+"):
        named = metadata.split(part)
        why = named and metadata.problem(*named)
        if why:
            raise InterestError(f"interest {written!r}: {why}")
    return Interest(text=text, written=written, phrase=phrase, weight=weight), excluded


def plus_parts(text: str, phrase: bool) -> list[str]:
    """The parts of an interest written `a + b` (each holding a letter or a digit), or [text]:
    a quoted interest is one phrase, "+" and all. The one rule of where a combination splits."""
    if phrase or "+" not in text:
        return [text]
    parts = [p for p in map(str.strip, text.split("+")) if TOKEN.search(p)]
    return parts or [text]


def parse_interests(keywords: str, exclude: str = "", strict: bool = True) -> Interests:
    """Parse a profile's keywords and its extra comma-separated excludes.

    strict=False skips malformed items instead of raising (for stored profiles).
    """
    include: list[Interest] = []
    excluded: list[Interest] = []
    for raw, force_exclude in ((keywords, False), (exclude, True)):
        for item in split_items(raw):
            try:
                interest, is_excluded = parse_item(item)
            except InterestError:
                if strict:
                    raise
                continue
            (excluded if is_excluded or force_exclude else include).append(interest)
    return Interests(tuple(include), tuple(excluded))


def validate_interests(keywords: str, exclude: str = "") -> Interests:
    """Strict parse for user input: needs at least one interest to look for."""
    parsed = parse_interests(keywords, exclude, strict=True)
    if not parsed.include:
        raise InterestError('give at least one interest to look for, e.g. "diffusion, OOD"')
    return parsed
