"""Phrase matching on token slots agrees with a plain reading of the postings."""

from __future__ import annotations

import random

from digest.ranking.interests import split_items
from digest.ranking.matching import Occurrence, TextIndex

WORDS = ["train", "ing", "pre", "model", "Models", "LLMs", "of", "the", "x", "ray", "net"]


def text(rng: random.Random) -> str:
    out = []
    for _ in range(rng.randint(0, 30)):
        out.append(rng.choice(WORDS))
        out.append(rng.choice([" ", " ", "-", ". ", ", "]))
    return "".join(out)


def reference(index: TextIndex, keys: tuple[str, ...]) -> dict[int, list[Occurrence]]:
    """The key sequence found by walking the postings: each next key where the last ended
    (a compound of several tokens counts as one step), all in one sentence."""
    lists = [index.postings.get(k) for k in keys]
    if not all(lists):
        return {}
    out: dict[int, list[Occurrence]] = {}
    first = lists[0]
    assert first is not None
    for paper, occurrences in first.items():
        found = []
        for f, pos, n in occurrences:
            end = pos + n
            for other in lists[1:]:
                assert other is not None
                at = {(g, p): m for g, p, m in other.get(paper, [])}
                step = at.get((f, end))
                if step is None:
                    break
                end += step
            else:
                sentences = index.tokens[paper][f].sentences
                if sentences[pos] == sentences[end - 1]:
                    found.append((f, pos, end - pos))
        if found:
            out[paper] = found
    return out


def as_occurrences(index: TextIndex, keys: tuple[str, ...]) -> dict[int, list[Occurrence]]:
    hits = index.phrase(keys)
    slots = index.slots
    out: dict[int, list[Occurrence]] = {}
    for at, n in zip(hits.at.tolist(), hits.n.tolist(), strict=True):
        paper, f = int(slots.paper[at]), int(slots.field[at])
        out.setdefault(paper, []).append((f, _position(index, paper, f, at), n))
    return out


def _position(index: TextIndex, paper: int, f: int, at: int) -> int:
    """The token position in its field of a slot (slots of a field are consecutive)."""
    slots = index.slots
    start = at
    while start > 0 and slots.paper[start - 1] == paper and slots.field[start - 1] == f:
        start -= 1
    return at - start


def test_phrases_on_slots_match_the_postings():
    rng = random.Random(4)
    index = TextIndex()
    for j in range(40):
        index.add(j, (text(rng), text(rng)))
    keys = [k for k in index.postings if index.df(k) >= 5]  # common keys: phrases occur
    for _ in range(400):
        phrase = tuple(rng.choice(keys) for _ in range(rng.randint(1, 3)))
        assert as_occurrences(index, phrase) == reference(index, phrase), phrase


def test_split_items_keeps_commas_inside_quotes_and_runs_an_open_quote_to_the_end():
    assert split_items('a, "b, c", d') == ["a", '"b, c"', "d"]
    assert split_items('a, "b, c, d') == ["a", '"b, c, d']
    assert split_items('x"y,z"w, v') == ['x"y,z"w', "v"]
    assert split_items(' , ,a,, "" ,') == ["a", '""']


def test_a_phrase_never_runs_across_a_sentence_end():
    index = TextIndex()
    index.add(0, ("Vocabulary extension", "We add a new language. Adaptation is cheap."))
    index.add(1, ("Language adaptation for Estonian", "Language adaptation is cheap."))
    found = as_occurrences(index, ("languag", "adapt"))
    assert found == {1: [(0, 0, 2), (1, 0, 2)]}
