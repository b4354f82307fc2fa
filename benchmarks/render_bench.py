"""Render cost per digest email: MJML compiled once per Renderer vs compiled for every email.

    python benchmarks/render_bench.py [--emails 200] [--papers 10]

Builds the emails from the shared corpus (../shared/corpus/papers.json beside the repository, or DIGEST_CORPUS),
each with different papers, matched keywords and highlights, renders every one both ways
(HTML and text part), checks that both ways give the same HTML, and prints milliseconds per
email and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from datetime import date
from pathlib import Path
from typing import Any

from digest.ranking import Match, ScoredPaper, Span
from digest.render.renderer import DigestContext, Renderer, build_digest_context, wrap
from digest.store.tables import Paper
from digest.tokens import Links

CORPUS = Path(
    os.environ.get(
        "DIGEST_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus" / "papers.json"
    )
)
KEYWORDS = ("diffusion", "out-of-distribution", "language model", "detection", "graph", "robot")


def scored(paper: Paper) -> ScoredPaper:
    """Exact-phrase matches, enough to exercise chips and highlights."""
    matches = []
    for kw in KEYWORDS:
        where: list[str] = []
        spans = []
        for field in ("title", "abstract"):
            for m in re.finditer(re.escape(kw), getattr(paper, field), re.IGNORECASE):
                spans.append(Span(field, m.start(), m.end()))
                if field not in where:
                    where.append(field)
        if where:
            matches.append(Match(kw, tuple(where), (kw,), tuple(spans)))
    return ScoredPaper(paper.id, 1.0, 1.0, 0.0, tuple(matches))


def inputs(n_emails: int, n_papers: int) -> list[dict[str, Any]]:
    """Keyword arguments of build_digest_context for each email."""
    rows = json.loads(CORPUS.read_text())
    links = Links("https://digest.example.org", "benchmark-secret-0123456789")
    papers = [
        Paper(
            id=f"2603.{i:05d}",
            title=row["title"],
            abstract=row["abstract"],
            authors=[f"Author {j}" for j in range(i % 7)],
            upvotes=i % 50,
            num_comments=i % 4,
            github_url=f"https://github.com/example/p{i}" if i % 3 == 0 else None,
            listing_day=date(2026, 3, 4),
        )
        for i, row in enumerate(rows)
    ]
    out = []
    for e in range(n_emails):
        chosen = [papers[(e * 7 + k) % len(papers)] for k in range(n_papers)]
        out.append(
            {
                "email": f"reader{e}@example.org",
                "keywords": ", ".join(KEYWORDS[: 2 + e % 4]),
                "papers": [(p, scored(p)) for p in chosen],
                "total_new": len(rows),
                "digest_date": date(2026, 3, 4),
                "links": links,
                "public_id": f"bench{e + 1:07d}",
                "view_link": True,
            }
        )
    return out


def html_ms(renderer: Renderer, ctxs: list[DigestContext]) -> tuple[float, list[str]]:
    start = time.perf_counter()
    html = [renderer.html("digest", renderer.values(ctx)) for ctx in ctxs]
    return (time.perf_counter() - start) * 1000 / len(ctxs), html


def email_ms(renderer: Renderer, ctxs: list[DigestContext]) -> float:
    wrap.cache_clear()  # each way pays the same text-wrapping misses
    start = time.perf_counter()
    for ctx in ctxs:
        renderer.digest(ctx)
    return (time.perf_counter() - start) * 1000 / len(ctxs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=200)
    parser.add_argument("--papers", type=int, default=10)
    args = parser.parse_args()
    if not CORPUS.is_file():
        raise SystemExit(f"corpus {CORPUS} not found (set DIGEST_CORPUS)")
    kwargs = inputs(args.emails, args.papers)
    t0 = time.perf_counter()
    ctxs = [build_digest_context(**kw) for kw in kwargs]
    build_ms = (time.perf_counter() - t0) * 1000 / len(ctxs)
    naive, ours = Renderer(compile_once=False), Renderer()
    naive.digest(ctxs[0])  # warm both: imports, template loading, our one compile
    ours.digest(ctxs[0])
    naive_ms, naive_html = html_ms(naive, ctxs)
    ours_ms, ours_html = html_ms(ours, ctxs)
    naive_all, ours_all = email_ms(naive, ctxs), email_ms(ours, ctxs)
    same = sum(a == b for a, b in zip(naive_html, ours_html, strict=True))
    print(f"{args.emails} emails x {args.papers} papers from {CORPUS}")
    print(f"build context (trim, highlight, sign links):       {build_ms:7.3f} ms/email")
    print(f"HTML, naive (Jinja -> MJML compile per email):     {naive_ms:7.3f} ms/email")
    print(f"HTML, ours  (MJML compiled once, Jinja per email): {ours_ms:7.3f} ms/email")
    print(f"ratio naive/ours (HTML): {naive_ms / ours_ms:.1f}x")
    print(f"whole email (HTML + text part): naive {naive_all:.3f} ms, ours {ours_all:.3f} ms,")
    print(f"  ratio {naive_all / ours_all:.1f}x")
    print(f"MJML compiles: naive {naive.compile_count}, ours {ours.compile_count}")
    print(f"identical HTML: {same}/{len(ctxs)}")


if __name__ == "__main__":
    main()
