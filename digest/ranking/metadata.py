"""Interests in a paper's metadata (pure): `author:"Ada Lovelace"` and `cat:cs.CL`.

An author matches when the family names agree and every given name written agrees with the
paper's, in full or as an initial ("A. Lovelace", "Ada Lovelace", "ada lovelace" and
"Adá Lovelace" are one person; "Alan Lovelace" is not). A category matches one of the
paper's arXiv categories, case forgiven ("cat:cs.cl").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from digest.ranking.matching import plain

PREFIXES = ("author", "cat")
_PREFIX = re.compile(r"^\s*(author|cat)\s*:\s*(.*?)\s*$", re.I)
CATEGORY = re.compile(r"^[a-z][a-z\-]*(\.[a-z][a-z\-]*)?$", re.I)  # cs.CL, stat.ML, q-bio.NC


def split(text: str) -> tuple[str, str] | None:
    """("author" | "cat", value) for a metadata interest, None for a text interest."""
    m = _PREFIX.match(text)
    if m is None:
        return None
    return m.group(1).lower(), m.group(2)


def problem(kind: str, value: str) -> str | None:
    """Why a metadata interest cannot match anything, or None."""
    if kind == "cat" and not CATEGORY.match(value):
        return f"{value!r} is not an arXiv category like cs.CL"
    if kind == "author" and not _name_tokens(value):
        return 'give an author\'s name, e.g. author:"Ada Lovelace"'
    return None


def label(kind: str, value: str) -> str:
    """How a match is shown: "by Ada Lovelace", "in cs.CL"."""
    return f"by {value}" if kind == "author" else f"in {value}"


def chip(interest: str) -> str:
    """An interest as its chip shows it: metadata ones say why ("by ...", "in ...")."""
    named = split(interest)
    return label(*named) if named else interest


def _name_tokens(name: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", plain(name).lower())


def _same_person(wanted: list[str], author: list[str]) -> bool:
    if not author or wanted[-1] != author[-1]:
        return False
    given, theirs = wanted[:-1], author[:-1]
    if len(given) > len(theirs):
        return False
    return all(a == b or (len(a) == 1 and b.startswith(a)) or (len(b) == 1 and a.startswith(b))
               for a, b in zip(given, theirs, strict=False))  # fmt: skip


def matching(
    kind: str, value: str, meta: Sequence[tuple[tuple[str, ...], tuple[str, ...]]]
) -> list[int]:
    """The papers (positions in `meta`: (authors, categories) each) that the interest names."""
    if kind == "cat":
        wanted = value.lower()
        return [j for j, (_, cats) in enumerate(meta) if any(c.lower() == wanted for c in cats)]
    name = _name_tokens(value)
    if not name:
        return []
    return [
        j
        for j, (authors, _) in enumerate(meta)
        if any(_same_person(name, _name_tokens(a)) for a in authors)
    ]
