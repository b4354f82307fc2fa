"""`digest rank`: rank the stored papers for a keyword profile, with the reasons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import click

from digest import store
from digest.cli.app import DATE, App, BadInput, echo_json, echo_table, pass_app
from digest.papers import PaperText
from digest.ranking import (
    NearMiss,
    Profile,
    ScoredPaper,
    Span,
    breadth_notes,
    build_index,
    near_misses,
    rank_profiles,
)
from digest.ranking.acronyms import learn_acronyms, select_expansions
from digest.ranking.interests import InterestError, validate_interests
from digest.store.engine import session_scope
from digest.subscribers.inputs import InputError, check_text

WINDOW_DAYS = 7
MAX_TOP = 1000
MAX_NEAR = 100


@click.command("rank")
@click.option("--keywords", required=True, help='Interests, e.g. "OOD, \\"diffusion models\\"^2".')
@click.option("--exclude", default="", help="Comma-separated terms that remove a paper.")
@click.option("--since", type=DATE, help="Only papers listed on or after this day.")
@click.option("--all", "everything", is_flag=True, help="Every stored paper.")
@click.option("--top", default=10, show_default=True, help=f"How many papers (1-{MAX_TOP}).")
@click.option(
    "--near",
    default=0,
    show_default=True,
    help=f"Also list this many near misses (0-{MAX_NEAR}): papers holding words of an "
    "interest that do not qualify, with the words found. They are never sent.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a JSON array, best first: id, title, score, matched, where, terms, highlights.",
)
@pass_app
def rank(
    app: App,
    keywords: str,
    exclude: str,
    since: date | None,
    everything: bool,
    top: int,
    near: int,
    as_json: bool,
) -> None:
    """Rank stored papers for KEYWORDS and say why each was picked.

    By default the papers listed in the last 7 days up to the newest stored listing day;
    --since D from day D; --all every stored paper. Use it to tune keywords before
    subscribing (the syntax is the same as `digest subscribe --keywords`).

    \b
    Interest syntax (comma-separated):
      knowledge distillation   the phrase, its acronym (KD), or all its words close together
      machine unlearning       also its well-known other names ("unlearning")
      "normalizing flows"      quoted: only the exact phrase
      quantization + LLM       both parts must match the same paper
      RLHF^2, -survey          a weight (0-10); a term whose papers are never picked
      author:"Ada Lovelace"    papers by that author (accents, initials, case forgiven)
      cat:cs.CL + diffusion    papers in an arXiv category (-cat:cs.CV: never those)
    A paper qualifies when an interest is central to it: in the title, or in two sentences
    of the abstract; a passing mention is not a match. --near N lists the papers that just
    missed (one word of an interest, a passing mention, one part of `a + b`) and why. Notes
    on stderr name a very broad interest listed next to specific ones, an interest that
    matches none of these papers (its papers may use other words), and an acronym that
    means more than one thing in papers (MLM: masked or multimodal language model).

    \b
    Examples:
      digest rank --keywords "OOD, KD"
      digest rank --keywords '"diffusion language models", RLHF^2' --exclude survey --all
      digest rank --keywords "normalizing flows" --since 2026-03-01 --top 5 --json
      digest rank --keywords "quantization + LLM, speculative decoding" --all
      digest rank --keywords "machine unlearning" --near 5
    """
    if since is not None and everything:
        raise BadInput("--since cannot be combined with --all")
    if not 1 <= top <= MAX_TOP:
        raise BadInput(f"--top must be between 1 and {MAX_TOP}, got {top}")
    if not 0 <= near <= MAX_NEAR:
        raise BadInput(f"--near must be between 0 and {MAX_NEAR}, got {near}")
    try:
        check_text(keywords, "--keywords")
        check_text(exclude, "--exclude")
        validate_interests(keywords, exclude)
    except InputError as exc:
        raise BadInput(str(exc)) from None
    except InterestError as exc:
        raise BadInput(f"--keywords: {exc}") from None
    with session_scope(app.engine) as session:
        papers = store.paper_texts(session)
        acronyms = select_expansions(store.acronym_counts(session))
    if not papers:
        if as_json:
            echo_json([])
        else:
            click.echo("no papers stored yet: run `digest fetch` first")
        return
    if not acronyms:  # a store filled before acronyms were learned at fetch time
        acronyms = select_expansions(learn_acronyms(f"{p.title}\n{p.abstract}" for p in papers))
    first = _first_day(papers, since, everything)
    outside = frozenset(
        p.id for p in papers if first is not None and (p.listing_day or date.min) < first
    )
    profile = Profile("rank", keywords, exclude, max_papers=top, already_sent=outside)
    index = build_index(papers, acronyms)
    results = rank_profiles(index, [profile])[0]
    missed = near_misses(index, profile, near, [r.paper_id for r in results]) if near else []
    pool = len(papers) - len(outside)
    notes = breadth_notes(index, keywords, outside)
    if notes.broad:
        click.echo(f"note: {notes.broad}", err=True)
    if notes.quiet and results:  # else the table says that nothing matches
        click.echo(f"note: {notes.quiet}", err=True)
    if notes.ambiguous:
        click.echo(f"note: {notes.ambiguous}", err=True)
    by_id = {p.id: p for p in papers}
    if as_json:
        echo_json(
            [_as_dict(r, by_id[r.paper_id]) for r in results]
            + [_near_dict(m, by_id[m.paper_id]) for m in missed]
        )
    else:
        _print_table(results, by_id, first, pool)
        _print_near(missed, by_id, near)


def _first_day(papers: list[PaperText], since: date | None, everything: bool) -> date | None:
    if everything:
        return None
    if since is not None:
        return since
    newest = max((p.listing_day for p in papers if p.listing_day), default=None)
    return newest - timedelta(days=WINDOW_DAYS - 1) if newest else None


def _as_dict(r: ScoredPaper, p: PaperText) -> dict[str, Any]:
    return {
        "id": r.paper_id,
        "title": p.title,
        "score": r.score,
        "relevance": r.relevance,
        "trending": r.trending,
        "upvotes": p.upvotes,
        "categories": list(p.categories),
        "listing_day": p.listing_day.isoformat() if p.listing_day else None,
        "near": False,
        "matched": list(r.matched),
        "where": {m.keyword: list(m.where) for m in r.matches},
        "terms": {m.keyword: list(m.terms) for m in r.matches},
        "highlights": [
            {"field": s.field, "start": s.start, "end": s.end, "text": _text(p, s)} for s in r.spans
        ],
    }


def _near_dict(m: NearMiss, p: PaperText) -> dict[str, Any]:
    """A near miss: never sent; `found` says which words of which interest it holds."""
    return {
        "id": m.paper_id,
        "title": p.title,
        "near": True,
        "near_score": m.score,
        "listing_day": p.listing_day.isoformat() if p.listing_day else None,
        "found": {interest: list(words) for interest, words in m.found},
    }


def _print_near(missed: Sequence[NearMiss], by_id: dict[str, PaperText], asked: int) -> None:
    if not asked:
        return
    if not missed:
        click.echo("no near misses: no other paper holds a word of these interests")
        return
    click.echo("near misses (never sent: an interest's words without the interest):")
    rows = [
        [
            n,
            m.paper_id,
            by_id[m.paper_id].title,
            "; ".join(f"{i}: {', '.join(words)}" for i, words in m.found),
        ]
        for n, m in enumerate(missed, 1)
    ]
    echo_table(["#", "id", "title", "words found"], rows)


def _text(p: PaperText, span: Span) -> str:
    return (p.title if span.field == "title" else p.abstract)[span.start : span.end]


def _why(r: ScoredPaper) -> str:
    return "; ".join(f"{m.keyword} ({'+'.join(m.where)})" for m in r.matches)


def _print_table(
    results: Sequence[ScoredPaper], by_id: dict[str, PaperText], first: date | None, pool: int
) -> None:
    scope = f"listed since {first}" if first else "all stored papers"
    if not results:
        click.echo(
            f"no paper matches among {pool} ({scope}); try other keywords or --all"
            " (--near 5 lists the papers that hold their words)"
        )
        return
    rows = [
        [
            n,
            r.paper_id,
            f"{r.score:.2f}",
            by_id[r.paper_id].upvotes,
            by_id[r.paper_id].title,
            _why(r),
        ]
        for n, r in enumerate(results, 1)
    ]
    echo_table(["#", "id", "score", "upvotes", "title", "why"], rows)
    click.echo(f"{len(results)} of {pool} papers ({scope})")
