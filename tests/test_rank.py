import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from digest.ranking import Profile, build_index, rank_papers, rank_profiles
from digest.ranking import index as index_module
from digest.ranking import ranker as rank_module
from digest.ranking.matching import sentence_ends
from tests.factories import paper_text

FILLER = [
    paper_text(
        f"f{n}",
        title=f"A study of topic {n} in graphs",
        abstract=f"We measure things about topic {n} with a new benchmark and careful analysis.",
    )
    for n in range(30)  # a listing day has 30 to 120 papers: IDF and the minimum assume as much
]


def ids(results):
    return [r.paper_id for r in results]


def ranked(papers, keywords, **kw):
    return rank_papers([*papers, *FILLER], Profile("p", keywords, **kw))


def test_acronym_finds_expansion_and_expansion_finds_acronym():
    long = paper_text("a", title="Detecting out-of-distribution inputs", abstract="We detect.")
    short = paper_text("b", title="Better OOD detectors", abstract="OOD inputs are detected.")
    assert set(ids(ranked([long, short], "OOD"))) == {"a", "b"}
    assert set(ids(ranked([long, short], "out of distribution"))) == {"a", "b"}
    assert set(ids(ranked([long, short], "out-of-distribution"))) == {"a", "b"}


def test_common_acronyms_find_papers_that_write_only_the_long_form():
    papers = [
        paper_text(
            "ssm",
            title="Selective State Space Models for Long Sequences",
            abstract="State space models scale linearly. We train a state space model on text.",
        ),
        paper_text(
            "mcts",
            title="Monte Carlo Tree Search for LLM Reasoning",
            abstract="We guide decoding with Monte Carlo tree search.",
        ),
        paper_text(
            "ner",
            title="NER for Clinical Notes",
            abstract="NER models tag drugs. Our NER data is public.",
        ),
    ]
    assert ids(ranked(papers, "SSM")) == ["ssm"]
    assert ids(ranked(papers, "MCTS")) == ["mcts"]
    assert ids(ranked(papers, "named entity recognition")) == ["ner"]  # and the other way


def test_learned_acronyms_extend_the_hand_list():
    paper = paper_text("a", title="Sparse xylophone yield zones", abstract="We study them.")
    assert ranked([paper], "XYZ") == []
    results = rank_papers([paper, *FILLER], Profile("p", "XYZ"), {"XYZ": ["xylophone yield zone"]})
    assert ids(results) == ["a"]
    assert results[0].matches[0].terms == ("xylophone yield zones",)


def test_inflections_match():
    net = paper_text("a", title="Graph neural networks for molecules", abstract="Networks.")
    distill = paper_text("b", title="Model distillation at scale", abstract="We distilled it.")
    assert ids(ranked([net, distill], "neural network")) == ["a"]
    assert ids(ranked([net, distill], "distill")) == ["b"]
    assert ids(ranked([net, distill], "distilling")) == ["b"]


def test_greek_and_latin_plurals_are_their_singular():
    corpus = paper_text("a", title="A pretraining corpus for Danish", abstract="Filler.")
    automaton = paper_text("b", title="Retrieval with a finite automaton", abstract="Filler.")
    analyses = paper_text("c", title="Error analyses of parsers", abstract="Filler.")
    assert ids(ranked([corpus, automaton], "pretraining corpora")) == ["a"]
    assert ids(ranked([corpus, automaton], "finite automata")) == ["b"]
    assert ids(ranked([analyses], "error analysis")) == ["c"]


def test_an_able_adjective_is_not_the_verb():
    unlearnable = paper_text(
        "a", title="Provably unlearnable examples", abstract="Unlearnable data resists training."
    )
    reasonable = paper_text(
        "b", title="Reasonable costs for sorting", abstract="A reasonable budget suffices."
    )
    interpretable = paper_text(
        "c", title="Interpretable probes", abstract="We study interpretability of probes."
    )
    assert ranked([unlearnable, reasonable], "unlearning") == []
    assert ranked([unlearnable, reasonable], "reasoning") == []
    assert ids(ranked([unlearnable], "unlearnable")) == ["a"]
    assert ids(ranked([interpretable], "interpretability")) == ["c"]


def test_math_is_mathematical():
    clipped = paper_text("a", title="Math word problems for LLMs", abstract="Math reasoning.")
    full = paper_text("b", title="Mathematical reasoning in LLMs", abstract="We solve it.")
    assert set(ids(ranked([clipped, full], "mathematical reasoning"))) == {"a", "b"}
    assert set(ids(ranked([clipped, full], "math reasoning"))) == {"a", "b"}


def test_british_spellings_are_the_american_ones():
    pairs = [
        ("normalising flows", "Normalizing flows for density estimation"),
        ("behaviour cloning", "Behavior cloning from demonstrations"),
        ("nearest neighbours", "Nearest neighbors in embedding space"),
        ("dialogue systems", "Dialog systems that ask back"),
        ("adversarial defence", "Adversarial defense by denoising"),
        ("human judgement", "Human judgment of summaries"),
        ("optimised kernels", "Optimized kernels for attention"),
        ("analysed circuits", "Analyzed circuits of transformers"),
    ]
    for british, title in pairs:
        paper = paper_text("a", title=title, abstract="Filler.")
        assert ids(ranked([paper], british)) == ["a"], british
        spelt = paper_text("b", title=british.capitalize(), abstract="Filler.")
        american = title.split(" ", 2)
        assert ids(ranked([spelt], " ".join(american[:2]))) == ["b"], title
    # an "-ise" whose "-is-" is the root's keeps its nouns: "supervised" is "supervision"
    weak = paper_text("c", title="Learning from weak supervision", abstract="Noisy labels.")
    assert ids(ranked([weak], "weakly supervised learning")) == ["c"]
    assert ranked([paper_text("d", title="A precise count", abstract="Filler.")], "precision") == []


def test_accents_ligatures_and_greek_letters_are_plain_letters():
    frechet = paper_text("a", title="Fréchet Inception Distance is biased", abstract="Filler.")
    ascii_ = paper_text("b", title="Frechet Inception Distance is biased", abstract="Filler.")
    assert set(ids(ranked([frechet, ascii_], "Frechet inception distance"))) == {"a", "b"}
    assert set(ids(ranked([frechet, ascii_], "Fréchet inception distance"))) == {"a", "b"}
    ligature = paper_text("c", title="Eﬃcient ﬁne-tuning of LLMs", abstract="Filler.")
    assert ids(ranked([ligature], "efficient fine-tuning")) == ["c"]
    beta = paper_text("d", title="β-VAE learns disentangled factors", abstract="Filler.")
    assert ids(ranked([beta], "beta-VAE")) == ["d"]
    assert ids(ranked([beta], "β-VAE")) == ["d"]
    # the accented word is one word, not two: "Rényi" has no word "nyi"
    assert ranked([paper_text("e", title="Rényi divergences", abstract="Filler.")], "nyi") == []


def test_words_the_stemmer_merges_with_another_meaning_stay_apart():
    positive = paper_text(
        "a",
        title="Positive pairs for contrastive encoding",
        abstract="Positive pairs shape the encoding. Positive encoding helps.",
    )
    objective = paper_text(
        "b",
        title="A new objective for detection",
        abstract="Our detection objective is simple. The objective improves detection.",
    )
    activation = paper_text(
        "c", title="Activation sparsity in learning", abstract="Learning sparse activations."
    )
    transformation = paper_text(
        "d", title="Data transformation pipelines", abstract="Transforming tables."
    )
    papers = [positive, objective, activation, transformation]
    assert ranked(papers, "positional encoding") == []
    assert ranked(papers, "object detection") == []
    assert ranked(papers, "active learning") == []
    assert ranked(papers, "transformers") == []
    position = paper_text("e", title="Rotary position encoding", abstract="Positions rotate.")
    assert ids(ranked([position], "positional encoding")) == ["e"]
    assert ids(ranked([objective], "objectives")) == ["b"]
    numerous = paper_text(
        "f", title="Numerous tricks for reasoning", abstract="Numerous tricks help reasoning."
    )
    assert ranked([numerous], "numerical reasoning") == []
    useful = paper_text("g", title="Useful tools for chemists", abstract="Tools are useful.")
    assert ranked([useful], "tool use") == []
    attentive = paper_text(
        "h",
        title="Attentiveness to answer choices",
        abstract="Models spread their attentiveness thin. More attentiveness is not accuracy.",
    )
    assert ranked([attentive], "attention") == []
    heads = paper_text("i", title="Attention heads that copy", abstract="Heads attend back.")
    assert ids(ranked([heads], "attention")) == ["i"]
    critical = paper_text(
        "j",
        title="A critical review of evaluation",
        abstract="Critical evaluation matters. We review critically.",
    )
    critic = paper_text("k", title="Critics for actor models", abstract="The critic learns.")
    assert ids(ranked([critical, critic], "critics")) == ["k"]
    lora = paper_text(
        "l",
        title="Low-rank adapters on rank-1 updates",
        abstract="Low-rank updates save memory. A rank-1 update is cheap.",
    )
    assert ranked([lora], "ranking") == []
    samples = paper_text(
        "m",
        title="Noisy samples in training sets",
        abstract="Some training samples are noisy. We drop noisy samples.",
    )
    assert ranked([samples], "sampling") == []
    ar = paper_text(
        "n",
        title="Auto-regressive models of text",
        abstract="Auto-regressive models predict tokens. Auto-regressive decoding is slow.",
    )
    assert ranked([ar], "regression") == []
    parallel = paper_text(
        "o",
        title="Parallel decoding for fast generation",
        abstract="We decode tokens in parallel. Parallel decoding is fast.",
    )
    assert ranked([parallel], "parallelism") == []
    labels = paper_text(
        "p",
        title="Label noise in class labels",
        abstract="Class labels are noisy. Noisy labels hurt; ground truth labels help.",
    )
    assert ranked([labels], "data labeling") == []
    assert ranked([labels], "truthfulness") == []
    consists = paper_text(
        "q",
        title="A pipeline that consists of two stages",
        abstract="It consists of a retriever and a reader. Each stage consists of one model.",
    )
    assert ranked([consists], "consistency") == []


def test_attention_attracted_or_paid_is_not_the_mechanism():
    idiom = paper_text(
        "a",
        title="Large language models and their uses",
        abstract="LLMs have attracted extensive attention. Agents pay attention to users.",
    )
    assert ranked([idiom], "attention") == []
    mechanism = paper_text(
        "b",
        title="Sparse attention for long inputs",
        abstract="Sparse models have gained attention. Our attention skips tokens.",
    )
    assert ids(ranked([mechanism], "attention")) == ["b"]  # the title's is the mechanism
    assert ids(ranked([mechanism], "sparse attention")) == ["b"]
    # a verb of the idiom that governs something else leaves the mechanism alone
    parts = paper_text(
        "c",
        title="Efficient inference",
        abstract="We capture the attention patterns of models. The gains of sparse attention "
        "are large.",
    )
    assert ids(ranked([parts], "attention")) == ["c"]


def test_an_adverb_counts_for_its_adjective_only_beside_the_word_it_modifies():
    # Snowball keys "sensitively" as "sensitivity" and "efficiently" as "efficient"
    depends = paper_text(
        "a",
        title="Reasoning sensitively depends on prompts",
        abstract="Reasoning sensitively depends on the prompts. Prompts vary.",
    )
    assert ranked([depends], "prompt sensitivity") == []
    trained = paper_text(
        "b",
        title="Models pre-trained efficiently",
        abstract="Models are pre-trained efficiently on one GPU. Training is cheap.",
    )
    assert ids(ranked([trained], "efficient training")) == ["b"]


def test_a_possessive_s_is_not_a_word_of_the_interest():
    paper = paper_text("a", title="Probing the reasoning of LLMs", abstract="LLMs reason.")
    assert ids(ranked([paper], "LLM's reasoning")) == ["a"]


def test_an_agent_noun_is_its_ing_noun_when_the_stemmer_leaves_it_apart():
    learners = paper_text(
        "a",
        title="Making small models better multi-task learners",
        abstract="Multi-task learners share adapters across tasks.",
    )
    pruner = paper_text(
        "b", title="LLM-Pruner: structural compression", abstract="LLM-Pruner removes whole heads."
    )
    detectors = paper_text(  # "-or" nouns keep their own key
        "c", title="Detectors of fake news", abstract="Detectors flag fake news articles."
    )
    assert ids(ranked([learners, pruner], "multi-task learning")) == ["a"]
    assert ids(ranked([learners, pruner], "LLM pruning")) == ["b"]
    assert ranked([detectors], "fake news detection") == []


def test_language_model_inside_a_longer_interest_is_also_written_llm():
    llm = paper_text(
        "a", title="Evaluating LLM generations with juries", abstract="Juries of LLMs judge."
    )
    assert ids(ranked([llm], "language model evaluation")) == ["a"]
    assert ranked([llm], '"language model evaluation"') == []  # quoted: that phrase only
    assert ranked([llm], "language models") == []  # the phrase alone is not every LLM paper


def test_a_one_word_other_name_never_shares_its_key_with_another_word():
    bags = paper_text(
        "a",
        title="Learning from label proportions with bags",
        abstract="Each bag holds instances. We learn from bags of instances.",
    )
    assert ranked([bags], "ensemble learning") == []  # "bagging" would be "bag"


def test_a_topic_also_matches_its_other_names():
    unlearning = paper_text(
        "a", title="Approximate unlearning in LLMs", abstract="We make a model forget a book."
    )
    incremental = paper_text(
        "b",
        title="Class-incremental learning with prompts",
        abstract="New classes arrive over time; old ones must not be forgotten.",
    )
    detection = paper_text(  # "AI-generated" inside a longer interest: its words apart
        "c",
        title="Detecting machine-generated texts with discrepancy",
        abstract="Texts written by models are hard to tell apart from human ones.",
    )
    papers = [unlearning, incremental, detection]
    assert ids(ranked(papers, "machine unlearning")) == ["a"]
    assert ids(ranked(papers, "continual learning")) == ["b"]
    assert ids(ranked(papers, "AI-generated text detection")) == ["c"]
    (result,) = ranked(papers, "machine unlearning")
    assert result.matched == ("machine unlearning",)
    assert {t.lower() for t in result.matches[0].terms} == {"unlearning"}
    # quoted: that phrase only; and names go one way ("incremental learning" is not every
    # continual-learning paper)
    assert ranked(papers, '"machine unlearning"') == []
    lifelong = paper_text(
        "d", title="Continual learning for robots", abstract="Robots learn continually."
    )
    assert ranked([lifelong], "incremental learning") == []
    # an exclusion removes the papers of its other names too, unless quoted
    both = paper_text("e", title="Unlearning in continual learning", abstract="We forget.")
    assert ranked([both], "continual learning, -machine unlearning") == []
    assert ids(ranked([both], 'continual learning, -"machine unlearning"')) == ["e"]


def test_long_context_is_extending_the_window_not_any_context_length():
    extending = paper_text(
        "a", title="Extending the context window of LLMs", abstract="RoPE scaling helps."
    )
    fixed = paper_text(
        "b",
        title="Linear regression learned in context",
        abstract="Under a fixed context length the risk is optimal. The context length is 64.",
    )
    assert ids(ranked([extending, fixed], "long context")) == ["a"]


def test_joined_and_hyphenated_spellings_match_each_other():
    hyphen = paper_text("a", title="Efficient pre-training of encoders", abstract="We pre-train.")
    closed = paper_text("b", title="Efficient pretraining of encoders", abstract="We pretrain.")
    assert set(ids(ranked([hyphen, closed], "pretraining"))) == {"a", "b"}
    assert set(ids(ranked([hyphen, closed], "pre-training"))) == {"a", "b"}
    # inside a longer interest too: each hyphenated run of it is also written closed
    multitask = paper_text("c", title="Multitask learning for parsers", abstract="Tasks help.")
    crosslingual = paper_text("d", title="Crosslingual transfer of NER", abstract="We transfer.")
    assert ids(ranked([multitask], "multi-task learning")) == ["c"]
    assert ids(ranked([multitask], '"multi-task learning"')) == ["c"]
    assert ids(ranked([crosslingual], "cross-lingual transfer, -zero-shot")) == ["d"]
    corpora = paper_text("e", title="Pretraining corpora at scale", abstract="We filter.")
    assert ids(ranked([corpora], "pre-training corpora")) == ["e"]
    assert ranked([multitask, crosslingual], "multi-task transfer") == []


def test_quoted_phrase_must_match_as_phrase():
    phrase = paper_text("a", title="Diffusion language models", abstract="Text by denoising.")
    apart = paper_text(
        "b",
        title="Language models meet image diffusion",
        abstract="Language models guide diffusion of images; language models rank diffusion.",
    )
    assert ids(ranked([phrase, apart], '"diffusion language models"')) == ["a"]
    unquoted = ids(ranked([phrase, apart], "diffusion language models"))
    assert unquoted[0] == "a"


def test_a_phrase_never_runs_across_a_colon_or_a_semicolon():
    colon = paper_text(
        "a",
        title="Outliers in Machine Learning: Metrics and Applications",
        abstract="We define outlier metrics. Metrics are computed; learning follows.",
    )
    joined = paper_text(
        "b",
        title="Learning metrics for translation",
        abstract="Learning metrics from ratings helps. Our learning metrics beat BLEU.",
    )
    semicolon = paper_text(
        "c",
        title="Robust losses",
        abstract="We study deep learning; metrics follow. Deep learning; metrics again.",
    )
    assert ids(ranked([colon, joined, semicolon], '"learning metrics"')) == ["b"]
    assert ids(ranked([colon, joined], '"machine learning"')) == ["a"]  # one side of it


def test_a_directed_run_is_one_name_never_its_words_apart():
    t2i = paper_text(
        "t2i",
        title="Personalized Text-to-Image Generation",
        abstract="We adapt text-to-image models. Text-to-image diffusion meets new subjects.",
    )
    captions = paper_text(
        "captions",
        title="Writing text about an image",
        abstract="We generate text that describes an image. The text names each image region.",
    )
    stt = paper_text(
        "stt",
        title="A Speech-to-Text Adapter for LLMs",
        abstract="The adapter maps speech into text embeddings. It turns text into speech units.",
    )
    tts = paper_text(
        "tts",
        title="Fast text to speech synthesis",
        abstract="Our text to speech model is fast. Text to speech quality stays high.",
    )
    gans = paper_text(
        "gans",
        title="Image generation with GANs",
        abstract="We improve image generation. Image generation quality rises.",
    )
    papers = [t2i, captions, stt, tts, gans]
    assert ids(ranked(papers, "text-to-image")) == ["t2i"]
    assert ids(ranked(papers, "image-to-text")) == []
    assert ids(ranked(papers, "text-to-speech")) == ["tts"]
    assert ids(ranked(papers, "speech-to-text")) == ["stt"]
    # a longer interest is never shortened across the run
    assert ids(ranked(papers, "text-to-image generation")) == ["t2i"]


def test_optimizers_are_not_every_paper_that_optimizes():
    adam = paper_text(
        "adam",
        title="Momentum optimizers on scale-invariant weights",
        abstract="Adam and SGD optimizers slow down. Our optimizer fixes the slowdown.",
    )
    dpo = paper_text(
        "dpo",
        title="Weighted preference optimization",
        abstract="We optimize the policy on preferences. The optimization is stable.",
    )
    assert ids(ranked([adam, dpo], "optimizers")) == ["adam"]
    assert set(ids(ranked([adam, dpo], "optimization"))) == {"adam", "dpo"}


def test_title_match_ranks_above_abstract_match():
    title = paper_text("a", title="Normalizing flows revisited", abstract="We revisit them.")
    abstract = paper_text(
        "b",
        title="Generative models revisited",
        abstract="We compare normalizing flows. Normalizing flows are exact.",
    )
    assert ids(ranked([abstract, title], "normalizing flows")) == ["a", "b"]


def test_exclusions_remove_papers():
    survey = paper_text("a", title="A survey of RLHF", abstract="We review RLHF.")
    method = paper_text("b", title="Cheaper RLHF", abstract="RLHF made cheap.")
    assert ids(ranked([survey, method], "RLHF, -survey")) == ["b"]
    assert ids(ranked([survey, method], "RLHF", exclude="survey")) == ["b"]
    assert ids(ranked([survey, method], 'RLHF, -"cheaper rlhf"')) == ["a"]


def test_weight_ranks_one_interest_above_another():
    kd = paper_text("a", title="Knowledge distillation tricks", abstract="Teachers and students.")
    flows = paper_text("b", title="Normalizing flows tricks", abstract="Invertible maps.")
    plain = ids(ranked([kd, flows], "KD, normalizing flows"))
    assert set(plain) == {"a", "b"}
    assert ids(ranked([kd, flows], "KD^3, normalizing flows"))[0] == "a"
    assert ids(ranked([kd, flows], "KD, normalizing flows^3"))[0] == "b"


def test_one_strong_interest_is_not_drowned_by_a_weak_one():
    strong = paper_text(
        "a",
        title="Knowledge distillation for compact students",
        abstract="Knowledge distillation (KD) transfers a teacher. KD works.",
    )
    weak = paper_text("b", title="A benchmark for agents", abstract="Agents use an LLM once.")
    assert ids(ranked([weak, strong], "KD, LLM"))[0] == "a"


def test_unrelated_popular_paper_is_never_sent():
    hot = paper_text("a", title="A trending robotics dataset", abstract="Robots.", upvotes=5000)
    assert ranked([hot], "normalizing flows") == []
    assert ranked([hot], "flows") == []


def test_trending_breaks_near_ties_but_is_capped():
    quiet = paper_text("a", title="RLHF at scale", abstract="RLHF.", upvotes=0)
    loud = paper_text("b", title="RLHF at scale", abstract="RLHF.", upvotes=50)
    louder = paper_text("c", title="RLHF at scale", abstract="RLHF.", upvotes=5000)
    results = ranked([quiet, loud, louder], "RLHF")
    assert ids(results) == ["c", "b", "a"]
    assert results[0].trending == index_module.TREND_WEIGHT
    assert results[0].score <= results[2].score * (1 + index_module.TREND_WEIGHT) + 1e-6


def test_ties_break_by_newer_listing_then_id():
    day = date(2026, 3, 4)
    same = {"title": "RLHF at scale", "abstract": "RLHF."}
    papers = [
        paper_text("c", listing_day=day, **same),
        paper_text("b", listing_day=day, **same),
        paper_text("a", listing_day=day - timedelta(days=1), **same),
    ]
    results = ranked(papers, "RLHF")
    assert ids(results) == ["b", "c", "a"]
    assert len({r.score for r in results}) == 1


def test_since_and_already_sent_limit_candidates():
    t0 = datetime(2026, 3, 4, tzinfo=UTC)
    old = paper_text("a", title="RLHF one", abstract="RLHF.", first_seen_at=t0)
    new = paper_text("b", title="RLHF two", abstract="RLHF.", first_seen_at=t0 + timedelta(hours=1))
    newer = paper_text("c", title="RLHF 3", abstract="RLHF.", first_seen_at=t0 + timedelta(hours=2))
    papers = [old, new, newer]
    assert set(ids(ranked(papers, "RLHF", since=t0))) == {"b", "c"}
    assert ids(ranked(papers, "RLHF", since=t0, already_sent=frozenset({"c"}))) == ["b"]


def test_max_papers_is_respected():
    papers = [paper_text(f"p{n}", title=f"RLHF number {n}", abstract="RLHF.") for n in range(5)]
    assert len(ranked(papers, "RLHF", max_papers=3)) == 3


def test_liked_pulls_similar_papers_up_and_disliked_pushes_down():
    liked = paper_text(
        "liked", title="Critics for RLHF", abstract="Critics trained on pairwise preferences."
    )
    similar = paper_text(
        "sim", title="RLHF baseline", abstract="RLHF. Critics trained on pairwise preferences."
    )
    other = paper_text("other", title="RLHF baselines", abstract="RLHF for robots and games.")
    papers = [liked, similar, other]
    neutral = ids(ranked(papers, "RLHF"))
    assert neutral.index("other") < neutral.index("sim")
    assert ids(ranked(papers, "RLHF", liked=("liked",), already_sent=frozenset({"liked"}))) == [
        "sim",
        "other",
    ]
    down = ids(ranked(papers, "RLHF", disliked=("liked",)))
    assert "liked" not in down
    assert down[0] == "other"


def test_matches_and_spans_point_at_the_text():
    paper = paper_text(
        "a",
        title="Out-of-Distribution detection with KD",
        abstract="Knowledge distillation (KD) helps OOD detection.",
    )
    (result,) = ranked([paper], "OOD, knowledge distillation")
    by_kw = {m.keyword: m for m in result.matches}
    assert set(by_kw) == {"OOD", "knowledge distillation"}
    assert by_kw["OOD"].where == ("title", "abstract")
    assert set(by_kw["OOD"].terms) == {"Out-of-Distribution", "OOD"}
    assert set(by_kw["knowledge distillation"].terms) == {"KD", "Knowledge distillation"}
    texts = {"title": paper.title, "abstract": paper.abstract}
    found = [texts[s.field][s.start : s.end] for s in result.spans]
    assert found == ["Out-of-Distribution", "KD", "Knowledge distillation", "KD", "OOD"]


def test_batch_in_chunks_equals_one_by_one(monkeypatch):
    papers = [
        paper_text("a", title="RLHF and OOD", abstract="Both."),
        paper_text("b", title="Knowledge distillation", abstract="KD."),
        paper_text("c", title="Normalizing flows", abstract="Flows."),
        *FILLER,
    ]
    profiles = [
        Profile(n, kw, max_papers=2)
        for n, kw in enumerate(["RLHF", "KD, OOD", "flows, -OOD", "nothing here", "OOD^2, flows"])
    ]
    monkeypatch.setattr(rank_module, "CHUNK", 2)
    batch = rank_profiles(build_index(papers), profiles)
    assert batch == [tuple(rank_papers(papers, p)) for p in profiles]
    assert [ids(r) for r in batch] == [["a"], ["b", "a"], ["c"], [], ["a", "c"]]


def test_empty_inputs():
    assert rank_papers([], Profile("p", "RLHF")) == []
    assert rank_profiles(build_index(FILLER), []) == []
    assert ranked([], "-survey") == []


def test_duplicate_ids_are_refused():
    with pytest.raises(ValueError, match="distinct ids"):
        build_index([paper_text("a"), paper_text("a")])


def test_many_interests_matching_one_paper_are_all_explained_in_order():
    paper = paper_text(
        "a",
        title="RLHF and DPO for LLM agents with LoRA and MoE",
        abstract="We align LLM agents: RLHF, then DPO, with LoRA adapters and MoE layers.",
    )
    other = paper_text("b", title="DPO only", abstract="DPO.")
    keywords = "MoE, LoRA, agents, DPO, RLHF"
    (first, second) = ranked([paper, other], keywords)
    assert first.paper_id == "a"
    assert first.matched == ("MoE", "LoRA", "agents", "DPO", "RLHF")
    assert second.matched == ("DPO",)
    texts = {"title": paper.title, "abstract": paper.abstract}
    found = [texts[s.field][s.start : s.end] for s in first.spans]
    assert found[:4] == ["RLHF", "DPO", "agents", "LoRA"]
    assert sorted(set(found[4:])) == ["DPO", "LoRA", "MoE", "RLHF", "agents"]
    # the same interests for many subscribers give one shared (immutable) answer
    index = build_index([paper, other, *FILLER])
    profiles = [Profile(n, keywords) for n in range(3)] + [Profile(9, "RLHF, DPO")]
    results = rank_profiles(index, profiles)
    assert results[0] == results[1] == results[2] == (first, second)
    assert results[0] is results[1]
    assert [r.matched for r in results[3]] == [("RLHF", "DPO"), ("DPO",)]


def test_keyword_case_is_kept_as_written_per_subscriber():
    paper = paper_text("a", title="Better OOD detectors", abstract="OOD.")
    index = build_index([paper, *FILLER])
    upper, lower = rank_profiles(index, [Profile(1, "OOD"), Profile(2, "ood")])
    assert upper[0].matched == ("OOD",)
    assert lower[0].matched == ("ood",)
    assert upper[0].score == lower[0].score


def test_feedback_alone_never_picks_a_paper():
    liked = paper_text("liked", title="Critic models for RLHF", abstract="Critic models.")
    twin = paper_text("twin", title="Critic models revisited", abstract="Critic models.")
    results = ranked([liked, twin], "RLHF", liked=("liked",), already_sent=frozenset({"liked"}))
    assert results == []


def test_excluding_a_phrase_needs_the_phrase_not_its_words_apart():
    phrase = paper_text("a", title="RLHF for image generation", abstract="RLHF.")
    apart = paper_text("b", title="RLHF image study", abstract="RLHF. Text generation too.")
    assert ids(ranked([phrase, apart], "RLHF, -image generation")) == ["b"]
    assert ids(ranked([phrase, apart], "RLHF, -surveys, -images")) == []


def test_one_word_of_a_multi_word_interest_is_never_a_match():
    both = paper_text(
        "a",
        title="Speculative decoding without a draft model",
        abstract="We speed up decoding. Speculative decoding needs no draft here.",
    )
    one_word = paper_text(
        "b",
        title="Masked diffusion language models",
        abstract="Decoding is parallel. Our decoding order is learned.",
    )
    apart = paper_text(  # both words, but never in one sentence
        "c",
        title="A new decoding scheme",
        abstract="Decoding is slow. Speculative execution is a CPU idea. We revisit decoding.",
    )
    assert ids(ranked([both, one_word, apart], "speculative decoding")) == ["a"]
    (result,) = ranked([both, one_word, apart], "speculative decoding")
    words = {result.matches[0].terms[i].lower() for i in range(len(result.matches[0].terms))}
    assert words <= {"speculative decoding", "speculative", "decoding"}


def test_the_words_of_a_concept_count_together_in_one_sentence():
    paper = paper_text(
        "a",
        title="Quantum error correction for noisy qubits",
        abstract="We correct errors in quantum memories. Quantum error correction scales.",
    )
    passing = paper_text(
        "b",
        title="Error analysis of LLMs",
        abstract="Errors are common. We correct them. Quantum physics is unrelated.",
    )
    assert ids(ranked([paper, passing], "quantum error correction")) == ["a"]


def test_the_words_of_a_concept_count_only_close_together():
    close = paper_text(
        "a",
        title="Reward models for preference tuning",
        abstract="We train reward models on human preferences. Rewarding models is hard.",
    )
    # "rewards" and "models" in two sentences of the abstract, but never within 12 words
    far = paper_text(
        "b",
        title="Training world simulators",
        abstract="We use verifiable rewards, which are cheap to compute and hard to game in "
        "practice, to train world models. Rewards that are verifiable are then used for "
        "many other kinds of tasks and settings before we train models again.",
    )
    selecting = paper_text(
        "c",
        title="Selecting the data to pretrain on",
        abstract="We select data by quality. Data selected this way trains faster.",
    )
    # in a title, within 4 words: "Data Mixtures Enable Narrow Model Selection" is two
    # noun phrases, not data selection
    mixtures = paper_text(
        "d",
        title="Pretraining data mixtures enable narrow model selection",
        abstract="We mix corpora. Models pick tasks.",
    )
    assert ids(ranked([close, far], "reward models")) == ["a"]
    assert ids(ranked([close, far, selecting, mixtures], "data selection")) == ["c"]


def test_a_passing_mention_is_not_a_match():
    central = paper_text(
        "a", title="Zero-shot classification with CLIP", abstract="Zero-shot transfer works."
    )
    passing = paper_text(
        "b",
        title="Better image captioning",
        abstract="We caption images. We also report zero-shot results.",
    )
    assert ids(ranked([central, passing], "zero-shot")) == ["a"]


def test_an_abbreviation_does_not_end_the_sentence_a_mention_is_counted_in():
    # "e.g." inside a sentence: the interest named twice in that one sentence is still one
    # mention (a passing one), as the email's cut of the abstract reads it too
    central = paper_text(
        "a", title="Zero-shot classification with CLIP", abstract="Zero-shot transfer works."
    )
    passing = paper_text(
        "b",
        title="Better image captioning",
        abstract="We caption images. Zero-shot use of the captions helps other tasks, "
        "e.g. zero-shot retrieval. Captions are cheap.",
    )
    assert ids(ranked([central, passing], "zero-shot")) == ["a"]
    assert sentence_ends(passing.abstract) == (18, 93)


def test_the_words_together_in_another_sentence_count_as_a_second_mention():
    # LLM is common here, so "uncertainty estimation" alone stands for the interest; a paper
    # with it in one sentence and the interest's words together in another has the concept in
    # two sentences, though only the phrase is shown (the title names none of it)
    common = [
        paper_text(f"c{n}", title=f"Tool {n}", abstract=f"LLM agents use tool {n} well.")
        for n in range(5)
    ]
    twice = paper_text(
        "a",
        title="Bayesian adapters",
        abstract="Estimating the uncertainty of LLM answers is hard. "
        "We propose adapters. They improve uncertainty estimation for every model we test.",
    )
    once = paper_text(
        "b",
        title="Bayesian adapters",
        abstract="Adapters are cheap. We propose new ones. "
        "They improve uncertainty estimation for every model we test.",
    )
    results = ranked([twice, once, *common], "LLM uncertainty estimation")
    assert ids(results) == ["a"]
    assert results[0].matches[0].terms == ("uncertainty estimation",)


def test_plus_needs_both_parts():
    both = paper_text(
        "a",
        title="Quantization of LLMs to 4 bits",
        abstract="LLM weights are large. Quantization shrinks them.",
    )
    only_one = paper_text(
        "b", title="Quantization of CNNs", abstract="CNN weights shrink. Quantization helps."
    )
    results = ranked([both, only_one], "quantization + LLM")
    assert ids(results) == ["a"]
    assert results[0].matched == ("quantization + LLM",)


def test_plus_concepts_made_in_one_pass_equal_those_made_one_by_one():
    papers = [
        paper_text("a", title="Quantization of LLMs", abstract="LLM weights. Quantization."),
        paper_text("b", title="Pruning LLMs", abstract="We prune LLMs. Pruning is cheap."),
        paper_text("c", title="Quantization and pruning", abstract="Both. LLM too."),
        paper_text("d", title="Pruning of CNNs", abstract="CNN pruning. Quantization later."),
    ]
    interests = ["quantization + LLM", "LLM + pruning + quantization", "pruning + CNN", "x + LLM"]
    one_by_one, batched = build_index([*papers, *FILLER]), build_index([*papers, *FILLER])
    expected = [one_by_one.book.concept(text, False) for text in interests]
    pending = [batched.book.concept(text, False, later=True) for text in interests]
    batched.book.rows()  # scores the pending ones
    assert any(len(c.papers) for c in expected)
    for want, got in zip(expected, pending, strict=True):
        assert got.papers.tolist() == want.papers.tolist()
        assert got.values.tolist() == want.values.tolist()
        assert got.shown.at.tolist() == want.shown.at.tolist()
        assert got.shown.n.tolist() == want.shown.n.tolist()
        assert got.shown_papers.tolist() == want.shown_papers.tolist()


def test_a_broad_interest_next_to_specific_ones_is_named():
    from digest.ranking import broad_interests, broad_note

    papers = [paper_text(f"l{n}", title=f"LLM scaling, part {n}") for n in range(10)]
    index = build_index([*papers, *FILLER])
    found = broad_interests(index, "LLM^2, speculative decoding, -survey")
    assert [text for text, _ in found] == ["LLM"]
    assert round(found[0][1], 2) == round(10 / 40, 2)
    assert "LLM + " in broad_note(found)
    assert broad_interests(index, "LLM") == []
    assert broad_interests(index, "quantization + LLM, speculative decoding") == []


def test_an_interest_that_matches_no_recent_paper_is_named():
    from digest.ranking import quiet_interests, quiet_note

    papers = [paper_text(f"l{n}", title=f"LLM scaling, part {n}") for n in range(10)]
    index = build_index([*papers, *FILLER])
    found = quiet_interests(index, 'LLM, "LLM uncertainty estimation", LLM + scaling, -survey')
    assert found == ["LLM uncertainty estimation"]  # as written; an exclusion is never named
    note = quiet_note(found, 40)
    assert note.startswith("No match among these 40 papers for LLM uncertainty estimation:")
    assert "other words" in note and quiet_note([], 40) == ""
    # the papers left out do not count, and too few papers say nothing
    assert quiet_interests(index, "LLM", leave_out=frozenset(p.id for p in papers)) == ["LLM"]
    small = build_index(papers)
    assert quiet_interests(small, "LLM uncertainty estimation") == []


def test_an_acronym_of_several_meanings_is_named():
    from digest.ranking import ambiguous_interests, ambiguous_note, breadth_notes

    learned = {
        "MLM": ["masked language model", "masked language modeling", "multimodal language model"],
        "MLLM": ["multi-modal large language model"],  # a spelling of the hand list's own
    }
    index = build_index(FILLER, learned)
    found = ambiguous_interests(index, "MLMs^2, MLLM, VLM, OOD, -survey")
    assert found == [("MLMs", ["masked language model", "multimodal language model"])]
    note = ambiguous_note(found)
    assert note.startswith("More than one meaning in papers: MLMs is masked language model or ")
    assert 'write it out, e.g. "masked language model"' in note and ambiguous_note([]) == ""
    assert breadth_notes(index, "MLM, OOD").ambiguous.startswith("More than one meaning")
    assert breadth_notes(index, "masked language model").ambiguous == ""
    assert ambiguous_interests(build_index(FILLER), "MLM") == []  # no long form known
    # a part of `a + b` is matched alone, so it is named too; a longer phrase picks a meaning
    found = ambiguous_interests(index, 'MLM + pretraining, MLM pretraining, "MLM + BERT"')
    assert found == [("MLM", ["masked language model", "multimodal language model"])]


def test_one_abstract_sentence_counts_when_the_title_holds_a_rare_word_of_the_concept():
    unlearning = paper_text(
        "a",
        title="Practical unlearning for LLMs",
        abstract="Models memorise data. Machine unlearning removes it after training.",
    )
    common = [paper_text(f"c{n}", title=f"LLM study {n}") for n in range(6)]  # LLM is common
    code = paper_text(
        "b",
        title="Scaling LLM inference",
        abstract="We serve models faster. Code LLMs are one workload among many.",
    )
    assert ids(ranked([unlearning, *common, code], "machine unlearning")) == ["a"]
    assert "b" not in ids(ranked([unlearning, *common, code], "code LLMs"))


def common_word(word: str, count: int) -> list:
    """`count` papers with `word` in the title and abstract: a common word among FILLER's 30."""
    return [
        paper_text(f"{word}{n}", title=f"{word} study {n}", abstract=f"{word} is hard.")
        for n in range(count)
    ]


def test_a_long_phrase_also_matches_without_a_common_word_at_one_end():
    # "generation" is a common word here (in 5 of 36 papers); "synthetic data" is rare
    common = common_word("Generation", 5)
    synthetic = paper_text(
        "a",
        title="Synthetic data for instruction tuning",
        abstract="We make synthetic data with a teacher. The student learns from it.",
    )
    passing = paper_text(
        "b",
        title="Instruction tuning at scale",
        abstract="We tune on human data. Synthetic data is left for later work.",
    )
    assert ids(ranked([*common, synthetic, passing], "synthetic data generation")) == ["a"]
    (result,) = ranked([*common, synthetic, passing], "synthetic data generation")
    assert result.matched == ("synthetic data generation",)
    assert {t.lower() for t in result.matches[0].terms} == {"synthetic data"}
    # quoted: that phrase only, never a shorter one
    assert ranked([*common, synthetic, passing], '"synthetic data generation"') == []
    # DPO's expansion without "direct" (a common word here): its family of methods
    directs = common_word("Direct", 6)
    orpo = paper_text(
        "o",
        title="ORPO: monolithic preference optimization",
        abstract="Preference optimization without a reference model.",
    )
    assert ids(ranked([*directs, orpo], "DPO")) == ["o"]
    # the long form and its shorter form at one place are one mention, shown once
    dpo = paper_text(
        "d",
        title="Direct preference optimization at scale",
        abstract="Direct preference optimization aligns models. We scale it.",
    )
    (result,) = ranked([*directs, dpo], "DPO")
    assert {t.lower() for t in result.matches[0].terms} == {"direct preference optimization"}


def test_another_name_is_never_shortened():
    # "training data generation" (a name of synthetic data generation) without "training",
    # a common word here, would be "data generation"
    common = common_word("Training", 6)
    unrelated = paper_text(
        "a",
        title="What auto-encoders learn from the data generating distribution",
        abstract="The data generating distribution is estimated by denoising.",
    )
    named = paper_text(
        "b",
        title="Training data generation with LLM teachers",
        abstract="Training data generation replaces labelling.",
    )
    assert ids(ranked([*common, unrelated, named], "synthetic data generation")) == ["b"]


def test_a_long_form_also_matches_without_two_common_words_at_its_end():
    # "fine" and "tuning" are common here (each in 6 of 38 papers): PEFT's long form
    # "parameter-efficient fine-tuning" also matches "parameter-efficient" (its leading
    # modifier, a rare phrase), never "fine-tuning" alone
    common = common_word("Fine-tuning", 6)
    transfer = paper_text(
        "a",
        title="Parameter-efficient probes for vision transformers",  # not a listed name
        abstract="We train few parameters. It works.",
    )
    plain = paper_text(
        "b", title="Full fine-tuning at scale", abstract="We fine-tune every weight."
    )
    assert ids(ranked([*common, transfer, plain], "PEFT")) == ["a"]
    (result,) = ranked([*common, transfer, plain], "PEFT")
    assert {t.lower() for t in result.matches[0].terms} == {"parameter-efficient"}


def test_a_written_interest_is_never_shortened_to_one_of_its_words():
    # "scaling" is common here (6 of 38 papers) and "test-time" rare, but "test-time" is one
    # word of the two the subscriber wrote: "Test-Time Training" is not test-time scaling
    common = common_word("Scaling", 6)
    training = paper_text(
        "a",
        title="Open-world test-time training",
        abstract="Test-time training adapts a model to shifted inputs. We make it robust.",
    )
    scaling = paper_text(
        "b",
        title="Test-time scaling with verifiers",
        abstract="Test-time scaling spends more inference compute. Verifiers pick answers.",
    )
    assert ids(ranked([*common, training, scaling], "test-time scaling")) == ["b"]
    # written out, PEFT's long form is two words too: "parameter-efficient" alone is not it
    tuning = common_word("Fine-tuning", 6)
    probes = paper_text(
        "p",
        title="Parameter-efficient probes for vision transformers",
        abstract="We train few parameters. It works.",
    )
    assert ranked([*tuning, probes], "parameter-efficient fine-tuning") == []
    assert ids(ranked([*tuning, probes], "PEFT")) == ["p"]  # the acronym's long form may


def language_model_day() -> list:
    """40 papers on language models: "language model" is a common compound that day (in
    most papers, with FILLER's 30)."""
    return [
        paper_text(f"m{n}", title=f"Language models for task {n}", abstract="Language models.")
        for n in range(40)
    ]


def test_a_long_phrase_is_never_shortened_inside_a_common_compound():
    # "language model" is in most papers of the day: cutting the common "language" off
    # `language model fusion` would leave "model fusion", another topic (merging weights)
    day = language_model_day()
    merging = paper_text(
        "a",
        title="Model fusion of vision networks",
        abstract="Model fusion merges the weights of two networks. We fuse image classifiers.",
    )
    shallow = paper_text(
        "b",
        title="Language model fusion for speech recognition",
        abstract="Shallow fusion adds a language model to the decoder. Errors fall.",
    )
    assert ids(ranked([*day, merging, shallow], "language model fusion")) == ["b"]
    # a leading word that makes no common compound with the next is still cut: "machine
    # translation" is `neural machine translation` on a day where "neural" is common
    neural = common_word("Neural", 8)
    translation = paper_text(
        "t",
        title="Machine translation for low-resource pairs",
        abstract="Machine translation of rare pairs improves with back-translation.",
    )
    assert ids(ranked([*neural, translation], "neural machine translation")) == ["t"]


def test_the_rare_word_of_a_long_phrase_is_never_dropped():
    common = common_word("Error", 6) + common_word("Correction", 6)
    classical = paper_text(
        "a",
        title="Error correction for LLM outputs",
        abstract="LLMs make errors. Error correction fixes them after decoding.",
    )
    assert ranked([*common, classical], "quantum error correction") == []


def test_a_shortened_phrase_never_leaves_one_unit_of_the_interest():
    # on a day where "hallucination" is common (6 of 37 papers), "large vision-language model
    # hallucination" could lose that word; what is left is the VLM alone, never a match
    common = common_word("Hallucination", 6)
    vlm = paper_text(
        "a",
        title="Distilling a large vision-language model",
        abstract="We distill a large vision-language model into a small one. It generalizes.",
    )
    assert ranked([*common, vlm], "VLM hallucination") == []


def test_an_expansion_holding_another_matches_with_its_acronym_inside():
    paper = paper_text(
        "a",
        title="Open frontier-class multimodal LLMs",
        abstract="We train multimodal LLMs on interleaved data.",
    )
    assert ids(ranked([paper], "MLLM")) == ["a"]


def test_an_interest_with_an_acronym_expanded_is_also_the_acronym_of_that_expansion():
    # "OOD detection" is "out-of-distribution detection", which papers shorten to "OoDD"
    paper = paper_text(
        "a",
        title="Improving OoDD in vision-language models",
        abstract="We prompt models to reject unknown images. OoDD accuracy rises on benchmarks.",
    )
    learned = {"OoDD": ["out-of-distribution detection"]}
    results = rank_papers([paper, *FILLER], Profile("p", "OOD detection"), learned)
    assert ids(results) == ["a"]
    assert rank_papers([paper, *FILLER], Profile("p", "OOD detection")) == []


def test_an_acronym_counts_only_where_the_paper_means_it():
    multilingual = paper_text(
        "a",
        title="A survey of MLLMs",
        abstract="Multilingual large language models (MLLMs) serve many languages. MLLMs grow.",
    )
    multimodal = paper_text(
        "b",
        title="A survey of MLLMs",
        abstract="Multimodal large language models (MLLMs) see images. MLLMs grow.",
    )
    undefined = paper_text("c", title="MLLMs at scale", abstract="MLLMs grow. MLLMs see.")
    assert set(ids(ranked([multilingual, multimodal, undefined], "MLLM"))) == {"b", "c"}
    domain = paper_text(
        "d", title="OOD robustness of taggers", abstract="Out-of-domain (OOD) data hurts. OOD."
    )
    assert ranked([domain], "OOD") == []
    # an acronym with no known long form keeps every occurrence
    xyz = paper_text("x", title="XYZ for all", abstract="Xylophone yield zones (XYZ) are new.")
    assert ids(ranked([xyz], "XYZ")) == ["x"]


def test_an_acronym_defined_in_another_spelling_of_its_long_form_still_counts():
    # "multi-modal" is "multimodal" written apart: the paper means the same MLLM, so its two
    # other sentences with MLLMs are mentions too
    spelled = paper_text(
        "a",
        title="Seeing and reasoning together",
        abstract="Multi-modal large language models (MLLMs) see images. We teach MLLMs to "
        "reason. MLLMs now reason better.",
    )
    assert ids(ranked([spelled], "MLLM")) == ["a"]


def test_an_acronym_in_one_abstract_sentence_counts_when_the_title_holds_a_rare_word_of_it():
    titled = paper_text(
        "a",
        title="Semantic revision for language model distillation",
        abstract="Knowledge distillation compresses models. We revise the student's outputs.",
    )
    untitled = paper_text(  # no word of KD's long form nor of its other names in the title
        "b",
        title="Semantic revision for text generators",
        abstract="Knowledge distillation compresses models. We revise the outputs.",
    )
    assert ids(ranked([titled, untitled], "KD")) == ["a"]


def test_one_abstract_sentence_counts_when_the_title_holds_the_rarest_word_of_the_interest():
    # "code" is in 12 of 46 papers (not rare), "LLMs" in 15: code is still the specific word
    filler = [
        paper_text(f"c{n}", title=f"LLM study {n}", abstract="LLMs help. Our code is online.")
        for n in range(10)
    ] + [paper_text(f"d{n}", title=f"LLM report {n}", abstract="LLMs grow.") for n in range(4)]
    titled = paper_text(
        "a",
        title="Code generation for low-resource languages",
        abstract="We test LLMs that write code in rare languages. Results vary.",
    )
    untitled = paper_text(
        "b",
        title="Generation for low-resource languages",
        abstract="We test code written by people. Results vary.",
    )
    assert ids(ranked([*filler, titled, untitled], "code LLMs")) == ["a"]


def test_author_interests_forgive_accents_initials_and_case():
    ada = paper_text("a", title="Notes on engines", authors=("Ada Lovelace", "C. Babbage"))
    initial = paper_text("b", title="More notes", authors=("A. Lovelace",))
    accent = paper_text("c", title="Still more", authors=("Adá LOVELACE",))
    other = paper_text("d", title="Not hers", authors=("Alan Lovelace",))
    papers = [ada, initial, accent, other]
    assert set(ids(ranked(papers, 'author:"Ada Lovelace"'))) == {"a", "b", "c"}
    (first, *_) = ranked(papers, "author:Lovelace")
    assert first.matched == ("author:Lovelace",)
    assert set(ids(ranked(papers, "author:Lovelace"))) == {"a", "b", "c", "d"}


def test_category_interests_combine_with_keywords_and_exclusions():
    cl = paper_text("a", title="Diffusion language models", categories=("cs.CL", "cs.LG"))
    cv = paper_text("b", title="Diffusion for images", categories=("cs.CV",))
    cl_other = paper_text("c", title="Parsing with grammars", categories=("cs.CL",))
    papers = [cl, cv, cl_other]
    assert set(ids(ranked(papers, "cat:cs.cl"))) == {"a", "c"}
    assert ids(ranked(papers, "cat:cs.CL + diffusion")) == ["a"]
    assert ids(ranked(papers, "diffusion, -cat:cs.CV")) == ["a"]


def test_a_malformed_metadata_interest_is_refused():
    import pytest

    from digest.ranking import InterestError, validate_interests

    with pytest.raises(InterestError, match="not an arXiv category"):
        validate_interests("cat:not a category")
    with pytest.raises(InterestError, match="author's name"):
        validate_interests('author:""')


RANK_IN_A_PROCESS = """
from digest.ranking import Profile, build_index, rank_profiles
from tests.factories import paper_text
from tests.test_rank import FILLER

papers = [
    paper_text("a", title="Low-rank adaptation of language models", abstract="LoRA adapts."),
    paper_text("b", title="Adapters for low-rank matrices", abstract="Low rank adapters."),
    paper_text("c", title="Low-rank compensation", abstract="Rank is low; we adapt."),
]
acronyms = {"LoRA": ["low-rank adaptation", "low rank"], "LR": ["low rank"]}
index = build_index([*papers, *FILLER], acronyms)
concept = index.book.concept("low-rank adapters", False)
print(concept.alternatives, concept.units)
for r in rank_profiles(index, [Profile("p", "low-rank adapters, LR adaptation")])[0]:
    print(r.paper_id, round(r.score, 6), r.matched, [m.terms for m in r.matches])
"""


def test_the_same_concepts_whatever_the_hash_seed():
    """Two workers (processes with different hash seeds) rank a subscriber the same way."""
    root = Path(__file__).resolve().parent.parent
    outputs = {
        subprocess.run(
            [sys.executable, "-c", RANK_IN_A_PROCESS],
            cwd=root,
            env={"PYTHONHASHSEED": str(seed), "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(6)
    }
    assert len(outputs) == 1, outputs
    assert "('low', 'rank', 'adapt')" in outputs.pop()  # the longest expansion is the unit


def test_a_word_of_an_interest_that_modifies_another_head_is_not_the_interest():
    # "language model" is in most papers of the day: a "language" followed by "models" is a
    # language model, not the language of `language adaptation`
    day = language_model_day()
    other_head = paper_text(
        "a",
        title="Adapting Language Models to Legal Text",
        abstract="We adapt large language models to contracts. Adapting language models is cheap.",
    )
    its_own = paper_text(
        "b",
        title="Vocabulary extension for Finnish",
        abstract="We adapt an English model to a new language. Adapting to each language is cheap.",
    )
    both = paper_text(
        "c",
        title="Vocabulary extension for Estonian",
        abstract="We adapt language models to a new language. Adapting to each language is cheap.",
    )
    found = ranked([*day, other_head, its_own, both], "language adaptation")
    assert sorted(ids(found)) == ["b", "c"]
    # where the sentence also holds the compound, its word is not highlighted as the interest
    shown = {both.abstract[s.start : s.end] for s in found[ids(found).index("c")].spans}
    assert both.abstract.index("language models") not in {
        s.start for s in found[ids(found).index("c")].spans
    }
    assert {"adapt", "language", "Adapting"} <= shown
    # the compound's own words are the interest's: still a match
    assert "a" in ids(ranked([*day, other_head], "language model adaptation"))
