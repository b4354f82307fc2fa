from digest import store
from digest.ranking.acronyms import (
    HAND,
    learn_acronyms,
    long_form,
    merged,
    same_meaning,
    select_expansions,
)
from digest.ranking.matching import surface_keys
from digest.store.engine import session_scope


def test_learns_long_form_before_parentheses():
    counts = learn_acronyms(
        [
            "We study out-of-distribution (OOD) detection and knowledge distillation (KD).",
            "Large language models (LLMs) are used; reinforcement learning from human "
            "feedback (RLHF) aligns them.",
        ]
    )
    assert set(counts) == {
        ("OOD", "out-of-distribution"),
        ("KD", "knowledge distillation"),
        ("LLM", "large language model"),
        ("RLHF", "reinforcement learning from human feedback"),
    }


def test_counts_once_per_text_and_across_texts():
    text = "A mixture of experts (MoE) layer. The mixture of experts (MoE) router."
    counts = learn_acronyms([text, text, "mixture of experts (MoE)"])
    assert counts[("MoE", "mixture of experts")] == 3


def test_rejects_non_acronyms_and_mismatches():
    counts = learn_acronyms(
        [
            "results (see Table 2) and models (e.g. GPT) improve (p < 0.05).",
            "we use a simple baseline (XYZ) here.",
            "the method (Ours) wins.",
        ]
    )
    assert counts == {}


def test_leading_determiners_are_dropped():
    assert long_form("VAE", "we train a variational autoencoder") == "variational autoencoder"
    assert long_form("GNN", "the weather today") is None


def test_select_expansions_keeps_frequent_rivals_only():
    counts = {("OOD", "out-of-distribution"): 20, ("OOD", "out-of-domain"): 6, ("OOD", "odd"): 1}
    assert select_expansions(counts) == {"OOD": ["out-of-distribution", "out-of-domain"]}


def test_merged_keeps_hand_list_first():
    out = merged({"KD": ["kernel density"], "XYZ": ["x y z"]})
    assert out["KD"] == [*HAND["KD"], "kernel density"]
    assert out["XYZ"] == ["x y z"]


def test_store_adds_counts_up(engine, now):
    with session_scope(engine) as session:
        store.save_acronyms(session, counts={("OOD", "out-of-distribution"): 2}, now=now)
    with session_scope(engine) as session:
        store.save_acronyms(
            session,
            counts={("OOD", "out-of-distribution"): 3, ("KD", "knowledge distillation"): 1},
            now=now,
        )
    with session_scope(engine) as session:
        assert store.acronym_counts(session) == {
            ("OOD", "out-of-distribution"): 5,
            ("KD", "knowledge distillation"): 1,
        }
        assert select_expansions(store.acronym_counts(session))["OOD"] == ["out-of-distribution"]


def test_fetch_learns_acronyms_from_new_papers(engine, now):
    from digest import fetching
    from tests.factories import listed

    papers = [listed("2603.00001", abstract="We detect out-of-distribution (OOD) inputs.")]
    fetching._store_listing(engine, papers, now)
    fetching._store_listing(engine, papers, now)  # nothing twice
    with session_scope(engine) as session:
        assert store.acronym_counts(session) == {("OOD", "out-of-distribution"): 1}


def test_long_form_prefers_word_initials():
    # letters inside one word spell OPO too ("OPtimizatiOn"); the initials say what is meant
    text = "we propose an On-the-fly Preference Optimization (OPO) method"
    assert set(learn_acronyms([text])) == {("OPO", "on-the-fly preference optimization")}
    assert long_form("LLP", "learning from label proportions") == "learning from label proportions"
    assert long_form("CoT", "we use chain-of-thought") == "chain-of-thought"
    # no initials reading: the letters in order, as before
    assert long_form("LoRA", "low-rank adaptation") == "low-rank adaptation"
    assert long_form("AE", "a sparse autoencoder") == "autoencoder"


def test_same_meaning_tells_spellings_from_other_meanings():
    def same(a: str, b: str) -> bool:
        return same_meaning(surface_keys(a), surface_keys(b))

    assert same("large language model", "language model")  # one holds the other's words
    assert same("multi-modal large language model", "multimodal large language model")
    assert same("auto regressive", "autoregressive")
    assert same("contrastive language-image pre-training", "contrastive language-image pretraining")
    assert same("rl from human feedback", "reinforcement learning from human feedback")
    assert not same("masked language model", "multimodal language model")
    assert not same("machine learning", "maximum likelihood")
    assert not same("small language model", "speech and language model")
