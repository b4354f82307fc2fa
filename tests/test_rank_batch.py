"""Batched ranking gives every profile exactly what ranking it alone gives."""

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from digest.ranking import Profile, build_index, rank_papers, rank_profiles
from digest.ranking import ranker as rank_module
from digest.ranking.explanations import _distinct
from tests.factories import paper_text

PHRASES = [
    "out-of-distribution detection",
    "OOD inputs",
    "knowledge distillation",
    "KD for students",
    "large language models",
    "LLMs",
    "an LLM agent",
    "reinforcement learning from human feedback",
    "RLHF",
    "normalizing flows",
    "diffusion models",
    "diffusion language models",
    "pre-training",
    "pretraining data",
    "graph neural networks",
    "a survey",
]
INTERESTS = [
    "OOD",
    "KD",
    "LLM",
    "LLMs",
    "llm",
    "RLHF",
    "diffusion",
    "diffusion models",
    '"normalizing flows"',
    "flows",
    "pretraining",
    "pre-training",
    "graph neural networks",
    "GNN",
    "knowledge distillation",
    "agents",
    "nothing at all",
]
START = datetime(2026, 11, 1, tzinfo=UTC)


def corpus(rng: random.Random, n: int) -> list:
    papers = []
    for i in range(n):
        title = " and ".join(rng.sample(PHRASES, rng.randint(1, 3)))
        words = rng.sample(PHRASES, 4)
        abstract = f"We study {words[0]} with {words[1]}. Then {words[2]} meets {words[3]}."
        seen = START + timedelta(hours=rng.randint(0, 200)) if i % 7 else None
        papers.append(
            paper_text(
                f"p{i}",
                title=title,
                abstract=abstract,
                upvotes=rng.randint(0, 150),
                first_seen_at=seen,
            )
        )
    return papers


def profile(rng: random.Random, key: int, ids: list[str]) -> Profile:
    items = []
    for kw in rng.sample(INTERESTS, rng.randint(1, 4)):
        roll = rng.random()
        items.append(f"{kw}^{rng.choice([2, 0.5, 3])}" if roll < 0.2 else kw)
        if roll > 0.9:
            items.append(f"-{rng.choice(INTERESTS)}")
    options: dict = {}
    roll = rng.random()
    if roll < 0.15:
        options["since"] = START + timedelta(hours=rng.randint(0, 200))
    elif roll < 0.25:
        options["already_sent"] = frozenset(rng.sample(ids, 3))
    elif roll < 0.3:
        options["liked"] = (rng.choice(ids),)
    elif roll < 0.33:
        options["disliked"] = (rng.choice(ids),)
    if rng.random() < 0.2:
        options["max_papers"] = rng.choice([0, 1, 3, 50])
    if rng.random() < 0.1:
        options["exclude"] = rng.choice(["survey", "KD, agents"])
    return Profile(key, ", ".join(items), **options)


@pytest.mark.parametrize("seed", [1, 2])
def test_many_random_profiles_batched_equal_each_ranked_alone(monkeypatch, seed):
    rng = random.Random(seed)
    papers = corpus(rng, 40)
    ids = [p.id for p in papers]
    # a pool of profiles, drawn with repeats: equal profiles share answers across blocks
    pool = [profile(rng, k, ids) for k in range(150)]
    profiles = [rng.choice(pool) for _ in range(300)]
    monkeypatch.setattr(rank_module, "CHUNK", 16)
    monkeypatch.setattr(rank_module, "BLOCK", 64)
    batch = rank_profiles(build_index(papers), profiles)
    alone = {id(p): tuple(rank_papers(papers, p)) for p in pool}
    assert batch == [alone[id(p)] for p in profiles]
    assert sum(map(len, batch)) > 300  # the profiles do find papers
    assert len({r.paper_id for results in batch for r in results}) > 20


def test_spans_merged_one_by_one_when_texts_are_too_long_to_pack():
    rng = random.Random(3)
    papers = corpus(rng, 30)
    profiles = [profile(rng, k, [p.id for p in papers]) for k in range(100)]
    expected = rank_profiles(build_index(papers), profiles)
    index = build_index(papers)
    index.explainer.packable = False
    assert rank_profiles(index, profiles) == expected
    assert any(len(r.matches) > 1 for results in expected for r in results)


def test_distinct_results_group_the_same_with_small_and_huge_keys():
    whys = np.array([5, 3, 5, 5, 3, 7], dtype=np.int64)
    bits = np.array([1, 2, 1, 9, 2, 1], dtype=np.int64)
    groups = []
    for offset in (0, 1 << 40):  # huge whys cannot be packed with the bits into one int64
        keys, first, inverse = _distinct(whys + offset, bits)
        assert len(keys) == 4
        assert [int(whys[first[k]] + offset) for k in inverse] == (whys + offset).tolist()
        assert [int(bits[first[k]]) for k in inverse] == bits.tolist()
        groups.append(inverse.tolist())
    assert groups[0] == groups[1]
