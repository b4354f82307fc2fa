"""Near misses: papers holding an interest's words that do not qualify, never the ones that do."""

from datetime import UTC, datetime, timedelta

import pytest

from digest.ranking import Profile, build_index, near_misses, rank_profiles
from tests.factories import paper_text
from tests.test_rank import FILLER

PAPERS = [
    paper_text(
        "qec",
        title="Quantum error correction with surface codes",
        abstract="We correct errors on qubits.",
    ),
    paper_text(
        "errors",
        title="Correcting errors in language model outputs",
        abstract="Error correction of generated text; errors are common.",
    ),
    paper_text("quantum", title="A quantum-inspired optimiser", abstract="Quantum annealing."),
    paper_text("robots", title="Robots that walk", abstract="Legged robots."),
]


def near(keywords, papers=PAPERS, limit=10, **kw):
    index = build_index([*papers, *FILLER])
    profile = Profile("p", keywords, **kw)
    ranked = [r.paper_id for r in rank_profiles(index, [profile])[0]]
    return ranked, near_misses(index, profile, limit, ranked)


def test_near_misses_hold_words_of_the_interest_and_exclude_what_qualified():
    ranked, missed = near("quantum error correction")
    assert ranked == ["qec"]
    assert [m.paper_id for m in missed] == ["errors", "quantum"]  # more of its words first
    assert missed[0].found == (
        ("quantum error correction", ("Correcting", "errors", "Error", "correction")),
    )
    assert missed[1].found == (
        ("quantum error correction", ("quantum",)),
    )  # one entry per word, as first written
    assert missed[0].score > missed[1].score > 0


def test_a_paper_that_qualifies_below_the_papers_asked_for_is_no_near_miss():
    # `digest rank --top 1 --near 5`: the second paper about it qualifies too; it is only
    # ranked below the one paper asked for, so it is no "words without the interest"
    second = paper_text(
        "second",
        title="Quantum error correction beyond surface codes",
        abstract="Quantum error correction with colour codes.",
    )
    ranked, missed = near("quantum error correction", [*PAPERS, second], max_papers=1)
    assert len(ranked) == 1 and ranked[0] in {"qec", "second"}
    assert [m.paper_id for m in missed] == ["errors", "quantum"]


def test_a_passing_mention_is_a_near_miss():
    passing = paper_text(
        "passing",
        title="Faster inference for language models",
        abstract="We compare with speculative decoding once. Our decoder is fast.",
    )
    ranked, missed = near("speculative decoding", [passing])
    assert ranked == []
    assert [m.paper_id for m in missed] == ["passing"]
    # the phrase and its words at one place are shown once
    assert missed[0].found == (("speculative decoding", ("speculative decoding", "decoder")),)


def test_one_part_of_a_plus_interest_is_a_near_miss():
    video = paper_text("video", title="Diffusion models for video", abstract="Video diffusion.")
    image = paper_text("image", title="Diffusion models for images", abstract="Image diffusion.")
    ranked, missed = near("diffusion + video", [video, image])
    assert ranked == ["video"]
    assert [m.paper_id for m in missed] == ["image"]
    assert missed[0].found == (("diffusion + video", ("Diffusion",)),)


def test_exclusions_sent_papers_since_and_limit_apply():
    _, missed = near("quantum error correction", exclude="annealing")
    assert [m.paper_id for m in missed] == ["errors"]
    _, missed = near("quantum error correction", already_sent=frozenset({"errors"}))
    assert [m.paper_id for m in missed] == ["quantum"]
    _, missed = near("quantum error correction", limit=1)
    assert [m.paper_id for m in missed] == ["errors"]
    later = datetime(2026, 3, 4, tzinfo=UTC)
    _, missed = near("quantum error correction", since=later - timedelta(days=1))
    assert missed == []  # the test papers were never seen: nothing is newer than `since`


def test_weights_count_and_metadata_interests_have_no_near_misses():
    _, plain = near("quantum error correction")
    _, weighted = near("quantum error correction^3")
    assert [m.score for m in weighted] == pytest.approx([3 * m.score for m in plain])
    _, missed = near('author:"Ada Lovelace"')
    assert missed == []


def test_the_words_of_a_listed_topic_inside_an_interest_count_apart():
    # "prompt optimization" is a listed topic (digest.ranking.names), so it is one unit of
    # the interest; a paper holding its words apart still holds words the subscriber wrote
    apart = paper_text(
        "apart",
        title="Searching prompts with black-box optimization",
        abstract="We search over prompts. The optimization needs no gradients.",
    )
    other = paper_text(
        "other", title="Automatic evaluation of summaries", abstract="Scores for summaries."
    )
    ranked, missed = near("automatic prompt optimization", [apart, other])
    assert ranked == []
    assert [m.paper_id for m in missed] == ["apart", "other"]
    words = {w.lower() for w in missed[0].found[0][1]}
    assert {"prompts", "optimization"} <= words
