"""What one email shows, as plain values: papers trimmed, shortened and highlighted.

Highlighted text is built from escaped pieces and our own <mark> tags, never by marking
paper text as safe, so a title like `<script>` arrives in the email as text.

A `DigestItem` holds nothing about the subscriber (their feedback links are the email's
`feedback_url` plus the item's `more_query` / `less_query`), so one item serves every
subscriber who gets that paper for the same matches; items are cached.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from markupsafe import Markup, escape

from digest.ranking import Match, ScoredPaper, Span
from digest.ranking.interests import parse_interests
from digest.ranking.matching import sentence_ends
from digest.ranking.metadata import chip
from digest.tokens import Links, feedback_query

ABSTRACT_LIMIT = 380  # characters kept from an abstract, cut at a sentence end
ABSTRACT_FLOOR = 160  # a sentence end before this is too early to stop at
ABSTRACT_SLACK = 40  # an abstract only this much over the limit is kept whole
LONG_SENTENCE = 520  # a first sentence up to this long is kept whole
MATCH_SENTENCE = 240  # the most shown of a later sentence holding a matched term
SUBJECT_KEYWORDS = 3
SUBJECT_KEYWORDS_CHARS = 40
MARK = Markup('<mark style="background-color:#fde68a;color:#111827;padding:0 1px;">')
_END_MARK = Markup("</mark>")


@dataclass(frozen=True)
class DigestItem:
    """One paper in an email, the same for everyone it is shown to with these matches."""

    id: str
    title: str
    title_html: Markup
    authors: str  # "A, B, C et al."
    upvotes: int
    num_comments: int
    on_hf: bool  # listed by Hugging Face: its upvotes are the trending signal shown
    categories: tuple[str, ...]  # arXiv categories, when arXiv announced it
    keywords: tuple[str, ...]  # matched interests, as chips
    why: str  # "OOD (title), diffusion (abstract)"
    abstract: str  # trimmed excerpt, plain
    abstract_html: Markup  # the same excerpt, escaped, matched terms in <mark>
    trimmed: bool
    paper_url: str  # the title's link: the Hugging Face page, or arXiv's for arXiv-only papers
    hf_url: str
    arxiv_url: str
    pdf_url: str
    code_url: str | None
    project_url: str | None
    more_query: str  # "?paper=<id>&vote=more", appended to the email's feedback_url
    less_query: str


@dataclass(frozen=True)
class DigestContext:
    """Everything a digest (or its "nothing new" note) shows."""

    email: str
    keywords: tuple[str, ...]
    keywords_label: str  # all interests, for the header and footer
    items: tuple[DigestItem, ...]
    total_new: int
    digest_date: date
    date_label: str  # "Mar 4"
    subject: str
    empty_subject: str
    header: str
    preview: str
    manage_url: str
    unsubscribe_url: str
    feed_url: str
    view_url: str | None
    feedback_url: str  # signed for this subscriber; each paper's links add its query


def _why(match: Match) -> str:
    shown = chip(match.keyword)
    return shown if shown != match.keyword else f"{shown} ({' and '.join(match.where)})"


def split_keywords(keywords: str) -> tuple[str, ...]:
    """Interests as a person would write them, read by the one interest parser:
    'OOD, "world model", RLHF^2, -survey' -> ("OOD", "world model", "RLHF"); exclusions and
    weights are not interests to show."""
    return tuple(chip(i.text) for i in parse_interests(keywords, strict=False).include)


def short_authors(authors: Sequence[str], keep: int = 3) -> str:
    names = [" ".join(a.split()) for a in authors if a and a.strip()]
    if len(names) <= keep:
        return ", ".join(names)
    return ", ".join(names[:keep]) + " et al."


def sentence_cut(text: str, limit: int = ABSTRACT_LIMIT) -> int:
    """Where to cut `text`: after a sentence when one ends in a sensible place."""
    if len(text) <= limit + ABSTRACT_SLACK:
        return len(text)
    ends = sentence_ends(text)
    fitting = [e for e in ends if ABSTRACT_FLOOR <= e <= limit]
    if fitting:
        return fitting[-1]
    if ends and ends[0] <= LONG_SENTENCE:
        return ends[0]
    space = text.rfind(" ", 0, limit)
    return space if space > ABSTRACT_FLOOR else limit


def _sentence_around(text: str, pos: int) -> tuple[int, int]:
    """The sentence holding offset `pos`, narrowed to words near it when very long."""
    ends = sentence_ends(text)
    start = max((e for e in ends if e <= pos), default=0)
    while start < pos and text[start].isspace():
        start += 1
    end = min((e for e in ends if e > pos), default=len(text))
    if end - start > MATCH_SENTENCE:
        if pos - start > MATCH_SENTENCE // 3:
            start = text.find(" ", pos - MATCH_SENTENCE // 3, pos) + 1 or pos
        if end - pos > MATCH_SENTENCE * 2 // 3:
            end = text.rfind(" ", pos, pos + MATCH_SENTENCE * 2 // 3)
            end = end if end > pos else pos + MATCH_SENTENCE * 2 // 3
    return start, end


def excerpt_ranges(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of an abstract to show: its beginning, cut at a sentence end, and when
    no matched term falls in that, a shorter beginning plus the sentence with the first."""
    cut = sentence_cut(text)
    if cut >= len(text) or not spans or any(s < cut for s, _ in spans):
        return [(0, cut)]
    start, end = _sentence_around(text, min(s for s, _ in spans))
    head = sentence_cut(text, ABSTRACT_LIMIT - min(end - start, MATCH_SENTENCE) // 2)
    if start < head:
        return [(0, cut)]
    return [(0, head), (start, end)]


@functools.lru_cache(maxsize=8192)  # many subscribers get the same paper for the same terms
def excerpt(text: str, spans: tuple[tuple[int, int], ...]) -> tuple[str, Markup, bool]:
    """(plain excerpt, the same escaped with matched terms marked, whether text was cut)."""
    plain: list[str] = []
    marked: list[Markup] = []
    ranges = excerpt_ranges(text, spans)
    for a, b in ranges:
        piece = text[a:b].rstrip().rstrip(",;:")
        b = a + len(piece)
        plain.append(piece)
        marked.append(highlight(piece, [(s - a, e - a) for s, e in spans if s < b and e > a]))
    last = ranges[-1][1]
    tail = " …" if last < len(text) and not plain[-1].endswith((".", "!", "?")) else ""
    return (
        " ".join((" … ".join(plain) + tail).split()),
        Markup(" … ".join(marked) + tail),  # pieces already escaped; the tail needs none
        ranges != [(0, len(text))],
    )


def highlight(text: str, spans: Iterable[tuple[int, int]]) -> Markup:
    """`text` escaped, with each (start, end) range wrapped in <mark>; ranges may overlap."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[str] = []
    pos = 0
    for start, end in merged:
        out += [escape(text[pos:start]), MARK, escape(text[start:end]), _END_MARK]
        pos = end
    out.append(escape(text[pos:]))
    return Markup("".join(out))  # every piece is escaped or ours: no second escape pass


class Paper(Protocol):
    """What an email shows of a stored paper (digest.store.tables.Paper has these)."""

    id: str
    title: str
    abstract: str
    authors: list[str]
    upvotes: int
    num_comments: int
    github_url: str | None
    project_url: str | None
    source: str  # hf | arxiv | hf,arxiv
    categories: list[str]


def _spans(spans: Iterable[Span], field: str) -> list[tuple[int, int]]:
    return [(s.start, s.end) for s in spans if s.field == field]


def build_item(paper: Paper, scored: ScoredPaper) -> DigestItem:
    """What `paper` shows when it matched as `scored` says (cached by content: the same
    paper reaches many subscribers for the same matches)."""
    return _item(
        paper.id, paper.title, paper.abstract, tuple(paper.authors), paper.upvotes,
        paper.num_comments, paper.github_url, paper.project_url, scored.matches,
        "hf" in paper.source.split(","), tuple(paper.categories),
    )  # fmt: skip


@functools.lru_cache(maxsize=16384)
def _item(
    paper_id: str,
    title: str,
    abstract: str,
    authors: tuple[str, ...],
    upvotes: int,
    num_comments: int,
    code_url: str | None,
    project_url: str | None,
    matches: tuple[Match, ...],
    on_hf: bool,
    categories: tuple[str, ...],
) -> DigestItem:
    spans = [s for m in matches for s in m.spans]  # overlaps are joined when marked
    excerpt_text, excerpt_html, trimmed = excerpt(abstract, tuple(_spans(spans, "abstract")))
    return DigestItem(
        id=paper_id,
        title=" ".join(title.split()),
        title_html=highlight(title, _spans(spans, "title")),
        authors=short_authors(authors),
        upvotes=upvotes,
        num_comments=num_comments,
        on_hf=on_hf,
        categories=categories,
        keywords=tuple(chip(m.keyword) for m in matches),
        why=", ".join(_why(m) for m in matches),
        abstract=excerpt_text,
        abstract_html=excerpt_html,
        trimmed=trimmed,
        paper_url=paper_url(paper_id, on_hf),
        hf_url=f"https://huggingface.co/papers/{paper_id}",
        arxiv_url=f"https://arxiv.org/abs/{paper_id}",
        pdf_url=f"https://arxiv.org/pdf/{paper_id}",
        code_url=code_url or None,
        project_url=project_url or None,
        more_query=feedback_query(paper_id, 1),
        less_query=feedback_query(paper_id, -1),
    )


def paper_url(paper_id: str, on_hf: bool) -> str:
    """Where a paper's title links: its Hugging Face page (upvotes, discussion) when Hugging
    Face listed it, else its arXiv abstract page."""
    if on_hf:
        return f"https://huggingface.co/papers/{paper_id}"
    return f"https://arxiv.org/abs/{paper_id}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def keywords_label(
    keywords: Sequence[str], most: int = SUBJECT_KEYWORDS, chars: int = SUBJECT_KEYWORDS_CHARS
) -> str:
    """ "OOD, diffusion, world models +2 more": at most `most` names and about `chars` long."""
    shown: list[str] = []
    for kw in keywords:
        if len(shown) == most or (shown and len(", ".join([*shown, kw])) > chars):
            break
        shown.append(kw if len(kw) <= chars else kw[: chars - 1] + "…")
    rest = len(keywords) - len(shown)
    return ", ".join(shown) + (f" +{rest} more" if rest else "")


def _subject_keywords(keywords: Sequence[str], items: Sequence[DigestItem]) -> list[str]:
    """The interests that matched something, in the subscriber's order; all if none did."""
    matched = {k.lower() for item in items for k in item.keywords}
    hit = [k for k in keywords if k.lower() in matched]
    return hit or list(keywords)


def build_digest_context(
    *,
    email: str,
    keywords: str,
    papers: Sequence[tuple[Paper, ScoredPaper]],
    total_new: int,
    digest_date: date,
    links: Links,
    public_id: str,
    token_version: int = 0,
    view_link: bool = False,
) -> DigestContext:
    """The values one subscriber's email shows, papers in the order given (best first);
    `view_link` adds the link to the web copy (not in the web copy itself)."""
    items = tuple(build_item(p, s) for p, s in papers)
    interests = split_keywords(keywords)
    label = keywords_label(interests, most=len(interests), chars=200)
    day = f"{digest_date:%b} {digest_date.day}"
    on = keywords_label(_subject_keywords(interests, items))
    total = max(total_new, len(items))
    verb = "matches" if len(items) == 1 else "match"
    yours = "keyword" if len(interests) == 1 else "keywords"
    header = f"{plural(total, 'new paper')} today; {len(items)} {verb} your {yours} {label}"
    view = links.view(public_id, digest_date, token_version) if view_link else None
    return DigestContext(
        email=email,
        keywords=interests,
        keywords_label=label,
        items=items,
        total_new=total,
        digest_date=digest_date,
        date_label=day,
        subject=f"{plural(len(items), 'new paper')} on {on} — {day}",
        empty_subject=f"Nothing new on {on} — {day}",
        header=header,
        preview=" · ".join(item.title for item in items[:3]),
        manage_url=links.manage(public_id, token_version),
        unsubscribe_url=links.unsubscribe(public_id, token_version),
        feed_url=links.feed(public_id, token_version),
        view_url=view,
        feedback_url=links.feedback_base(public_id, token_version),
    )
