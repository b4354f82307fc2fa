"""Valid defaults for test data; override only what a test is about."""

from __future__ import annotations

from datetime import date
from typing import Any

from digest.papers import ListedPaper, PaperText
from digest.store import SubscriberInput

DAY = date(2026, 3, 4)


def listed(id: str = "2603.00001", **kw: Any) -> ListedPaper:
    values: dict[str, Any] = {
        "title": f"A paper {id}",
        "abstract": f"We study things in paper {id}. It works.",
        "listing_day": DAY,
        "authors": ("Ada Lovelace", "Alan Turing"),
        "upvotes": 3,
    }
    values.update(kw)
    return ListedPaper(id=id, **values)


def paper_text(id: str = "2603.00001", **kw: Any) -> PaperText:
    values: dict[str, Any] = {
        "title": f"A paper {id}",
        "abstract": "We study things.",
        "upvotes": 0,
    }
    values.update(kw)
    return PaperText(id=id, **values)


def hf_item(
    id: str = "2603.00001",
    *,
    title: str | None = None,
    summary: str | None = None,
    upvotes: int = 3,
    day: date = DAY,
    authors: tuple[str, ...] = ("Ada Lovelace", "Alan Turing"),
    github: str | None = None,
    comments: int = 0,
) -> dict[str, Any]:
    """One item in the Hugging Face daily-papers format (see shared/samples)."""
    title = title or f"A paper {id}"
    summary = summary or f"We study things in paper {id}. It works."
    stamp = f"{day.isoformat()}T03:55:12.777Z"
    return {
        "paper": {
            "id": id,
            "authors": [
                {"_id": f"a{i}", "name": n, "hidden": False} for i, n in enumerate(authors)
            ],
            "publishedAt": f"{day.isoformat()}T01:00:00.000Z",
            "submittedOnDailyAt": stamp,
            "title": title,
            "summary": summary,
            "upvotes": upvotes,
            "githubRepo": github,
        },
        "publishedAt": f"{day.isoformat()}T01:00:00.000Z",
        "title": title,
        "summary": summary,
        "thumbnail": f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{id}.png",
        "numComments": comments,
    }


def subscriber(email: str = "ada@example.org", **kw: Any) -> SubscriberInput:
    values: dict[str, Any] = {"keywords": "diffusion, OOD"}
    values.update(kw)
    return SubscriberInput(email=email, **values)
