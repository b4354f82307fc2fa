"""Interests too broad or too quiet to pick papers (pure). One that matches a large share of
the indexed papers, listed next to specific ones, fills the digest on its own; combining it
with `+` (`quantization + LLM`) keeps what the subscriber meant. One that matches none of a
week of papers may be written in words its papers do not use (`LLM uncertainty estimation`
where they say "confidence estimation" or "calibration"): the subscriber is told, so a digest
does not stay silent without a reason they can see. An acronym whose long forms in the papers
mean different things (`MLM`: masked language model, multimodal language model) matches
papers on each: the subscriber is told, and can write out the one they mean."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from digest.ranking.acronyms import meanings
from digest.ranking.index import RankIndex
from digest.ranking.interests import Interest, parse_interests, plus_parts
from digest.ranking.matching import surface_keys

BROAD_SHARE = 0.2  # of the indexed papers (a week of listings on the pages, `digest rank`'s set)
MIN_PAPERS = 20  # fewer papers say too little about an interest's breadth


def _matched(
    index: RankIndex, keywords: str, leave_out: frozenset[str]
) -> tuple[int, list[tuple[Interest, int]]]:
    """How many indexed papers are not in `leave_out`, and how many of them each included
    interest matches."""
    among = [j for j, p in enumerate(index.papers) if p.id not in leave_out]
    counts = []
    for interest in parse_interests(keywords, strict=False).include:
        scores = index.book.concept(interest.text, interest.phrase).scores
        counts.append((interest, sum(1 for j in among if j in scores)))
    return len(among), counts


def broad_interests(
    index: RankIndex, keywords: str, leave_out: frozenset[str] = frozenset()
) -> list[tuple[str, float]]:
    """(interest as written, share of papers it matches) for each broad interest listed next
    to others, among the indexed papers but `leave_out`; empty when the profile has one
    interest (a broad one is then what was meant)."""
    return _broad(*_matched(index, keywords, leave_out))


def _broad(among: int, counts: list[tuple[Interest, int]]) -> list[tuple[str, float]]:
    if len(counts) < 2 or among < MIN_PAPERS:
        return []
    shares = [(i.text, n / among) for i, n in counts if len(plus_parts(i.text, i.phrase)) == 1]
    return [(text, share) for text, share in shares if share >= BROAD_SHARE]


def broad_note(found: list[tuple[str, float]]) -> str:
    """One sentence for the pages and `digest rank`, or "" when nothing is broad."""
    if not found:
        return ""
    parts = ", ".join(f"{text} ({share:.0%} of these papers)" for text, share in found)
    example = found[0][0]
    return (
        f"Very broad: {parts}. Alone it fills your digest; to narrow it, combine it with "
        f'another interest using +, e.g. "{example} + your topic".'
    )


def quiet_interests(
    index: RankIndex, keywords: str, leave_out: frozenset[str] = frozenset()
) -> list[str]:
    """The interests (as written) that match none of the indexed papers but `leave_out`;
    empty when fewer than MIN_PAPERS papers are left (too few to say)."""
    return _quiet(*_matched(index, keywords, leave_out))


def _quiet(among: int, counts: list[tuple[Interest, int]]) -> list[str]:
    if among < MIN_PAPERS:
        return []
    return [i.text for i, n in counts if n == 0]


class Notes(NamedTuple):
    """What the pages and `digest rank` say about a profile's interests ("" where nothing)."""

    broad: str
    quiet: str
    ambiguous: str


def breadth_notes(
    index: RankIndex, keywords: str, leave_out: frozenset[str] = frozenset()
) -> Notes:
    """The broad, quiet and ambiguous notes of `keywords` among the indexed papers but
    `leave_out`, from one count of each interest's matches (the pages show them as the
    subscriber types)."""
    among, counts = _matched(index, keywords, leave_out)
    return Notes(
        broad_note(_broad(among, counts)),
        quiet_note(_quiet(among, counts), among),
        ambiguous_note(_ambiguous(index, [interest for interest, _ in counts])),
    )


def quiet_note(found: list[str], papers: int) -> str:
    """One sentence for the pages and `digest rank`, or "" when every interest matched."""
    if not found:
        return ""
    names = ", ".join(found)
    it = "it" if len(found) == 1 else "them"
    return (
        f"No match among these {papers} papers for {names}: papers may name {it} in other "
        "words. Try a shorter or more common wording, or another name of the topic."
    )


def ambiguous_interests(index: RankIndex, keywords: str) -> list[tuple[str, list[str]]]:
    """(interest as written, a long form of each meaning) for each included acronym whose
    long forms mean different things (acronyms.meanings), most used first."""
    return _ambiguous(index, parse_interests(keywords, strict=False).include)


def _ambiguous(index: RankIndex, interests: Sequence[Interest]) -> list[tuple[str, list[str]]]:
    """An acronym written alone, or alone as a part of `a + b` (matched alone there too:
    `MLM + pretraining`); inside a longer phrase the other words pick the meaning."""
    out = []
    for interest in interests:
        for part in plus_parts(interest.text, interest.phrase):
            keys = surface_keys(part)
            known = index.long_forms.get(keys[0]) if len(keys) == 1 else None
            if known is not None:
                groups = meanings(*known)
                if len(groups) > 1:
                    out.append((part, [g[0] for g in groups]))
    return out


def ambiguous_note(found: list[tuple[str, list[str]]]) -> str:
    """One sentence for the pages and `digest rank`, or "" when no acronym is ambiguous."""
    if not found:
        return ""
    parts = "; ".join(f"{short} is {' or '.join(longs)}" for short, longs in found)
    example = found[0][1][0]
    return (
        f"More than one meaning in papers: {parts}. You get papers on each; to get one, "
        f'write it out, e.g. "{example}".'
    )
