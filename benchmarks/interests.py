"""Subscribers' interests for the benchmarks: a fixed topic list, or as varied as real people's.

    from benchmarks.interests import Interests, load_corpus
    maker = Interests("varied", titles=[p["title"] for p in load_corpus(path)], seed=7)
    keywords = maker.keywords(rng)  # e.g. 'speculative decoding, "video generation"^2, -survey'

*topics* (the benchmarks' original behaviour): 1-4 interests drawn from VOCAB, ~150 research
topics and acronyms, Zipf-like (popular topics more often), 10% weighted ^2, 5% excluded.
Most subscribers then share interests, so answers shared between equal profiles and
interests make a batched ranking look fast.

*varied*: 1-4 interests drawn from a pool of thousands of phrases: the 1-3 word n-grams of
the corpus titles that read like interests (none only stop words, none starting or ending
with one, no lone generic title word such as "models" or "towards"), cased as people type
them ("video generation", "LLM", "NeRF"), plus VOCAB mixed in. The pool's popularity order
follows how many titles use a phrase (VOCAB topics boosted, two-word phrases preferred) with
seeded noise, and each draw is Zipf-like over that order (weight 1/rank), so a few
interests are common and most are rare. As people write them: some weights (^2, ^3, ^0.5),
quoted phrases, exclusions (-survey) and (plus=True, the benchmarks' default) `+` combinations ("quantization +
LLM"). Everything is deterministic given the seed and the corpus.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

# the shared corpus beside the repository's checkout (no machine path: see --corpus)
DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "papers.json"
MODES = ("varied", "topics")

VOCAB_TEXT = """
OOD; KD; LLM; LLMs; RLHF; DPO; PPO; GRPO; RAG; ICL; CoT; MoE; LoRA; PEFT; SFT; VLM; MLLM;
ViT; GAN; VAE; NeRF; 3DGS; GNN; ASR; TTS; NMT; VQA; diffusion; diffusion models; diffusion
language models; normalizing flows; flow matching; score matching; knowledge distillation;
out-of-distribution detection; domain adaptation; domain generalization; continual learning;
federated learning; self-supervised learning; contrastive learning; representation learning;
meta-learning; few-shot learning; zero-shot; in-context learning; chain-of-thought;
reasoning; mathematical reasoning; code generation; code LLMs; program synthesis; theorem
proving; agents; LLM agents; tool use; planning; world models; robotics; embodied AI;
reinforcement learning; offline RL; reward models; preference optimization; alignment;
safety; jailbreak; red teaming; hallucination; factuality; calibration; uncertainty;
interpretability; mechanistic interpretability; sparse autoencoders; probing; attention;
transformers; state space models; Mamba; long context; positional encoding; RoPE;
tokenization; tokenizer; quantization; pruning; sparsity; model compression; efficient
inference; speculative decoding; KV cache; scaling laws; pretraining; data curation;
synthetic data; instruction tuning; multilingual; low-resource languages; machine
translation; summarization; question answering; retrieval; dense retrieval; embeddings;
text-to-image; image generation; video generation; image editing; segmentation; object
detection; 3D reconstruction; speech; speech language models; audio generation; music
generation; time series; tabular data; graph neural networks; molecules; protein design;
drug discovery; medical imaging; healthcare; climate; weather forecasting; fairness; bias;
privacy; differential privacy; unlearning; watermarking; adversarial robustness; backdoor
attacks; evaluation; benchmarks; optimization; Adam; learning rate; generalization;
overparameterization; Bayesian inference; variational inference; Gaussian processes; causal
inference; active learning; semi-supervised learning; label noise; OCR; document
understanding; charts; visual grounding; multimodal; vision-language models; CLIP
"""
VOCAB = [" ".join(v.split()) for v in re.split(";", VOCAB_TEXT)]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# An n-gram neither starts nor ends with one of these (nor is made only of them).
STOP = _words(
    """
    a about above across after against all along also among an and any are as at be been
    before being below between beyond both but by can could do does doing done down during
    each either every few for from further get gets go going good got had has have having he
    her here his how i if in inside into is it its itself just less let lets like make makes
    many may me might more most much must my need needs neither no nor not now of off on once
    one only onto or other others our out over own per rather really same several she should
    so some such than that the their them then there these they this those through thus to
    too toward towards two under unlike until up upon us use used uses using versus very via
    vs was way ways we well were what when where whether which while who whom whose why will
    with within without would yet you your based new
    """
)
# Title words that start a title's sentence rather than name a topic ("Improving X with Y"):
# an n-gram does not start with one.
LEADING = _words(
    """
    accelerating achieving addressing advancing analyzing assessing benchmarking boosting bridging
    building capturing characterizing closing combining comparing controlling customizing
    democratizing demystifying designing detecting enabling enhancing evaluating examining
    exploiting exploring extending harnessing identifying improving incorporating
    interpreting investigating leveraging making measuring mitigating modeling navigating
    optimizing overcoming predicting probing quantifying rethinking revealing revisiting
    scaling specializing teaching training tuning uncovering understanding unifying
    unleashing unlocking unveiling improves improve improved detect eliciting increasing
    transforming recovering supercharging preemptively
    """
)
# Too generic to be anyone's whole interest (they still appear inside longer phrases).
GENERIC = _words(
    """
    ai analysis approach approaches benchmark better data dataset datasets deep effective
    efficient evaluation framework frameworks general generative large language learn learned
    learning method methods model models network networks neural novel study
    system systems task tasks text training small simple scalable robust towards via
    generation fast faster first case fine-grained open high-quality multi single
    """
)
# Last words that leave a phrase hanging, and words with an adjective's ending that are
# topics (an n-gram may end with these).
HANGING = _words(
    "large small multi single open fast first high low non semi robust online learn learns"
)
TOPIC_ENDS = _words(
    """
    retrieval signal signals interval tutorial proposal potential logic arithmetic music
    rhetoric objective objectives perspective narrative narratives alternative trial trials
    material materials arrival removal rehearsal manual journal terminal graphic graphics
    topic dynamic dynamics seed speed embed critic critics
    """
)
# What people exclude most (besides any interest of the pool).
EXCLUDES = ("survey", "benchmark", "medical", "robotics", "theory", "LLM", "position paper",
            "dataset", "quantum", "finance")  # fmt: skip

WORDS = re.compile(r"[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*")
BREAKS = re.compile(r"[:;,.?!()\[\]{}\"“”‘’/|–—]|\s-\s|\s&\s")


def load_corpus(path: Path) -> list[dict[str, Any]]:
    """The corpus papers ({"id", "title", "abstract"}); a clear error when it is missing."""
    if not path.exists():
        raise SystemExit(f"corpus not found: {path} (give --corpus PATH)")
    return json.loads(path.read_text(encoding="utf-8"))


def typed(word: str) -> str:
    """A title word as people type it: lowercase unless an acronym or a name ("LLM",
    "NeRF", "GPT-4"), part by part across hyphens ("Freeze-Thaw" -> "freeze-thaw")."""
    parts = word.split("-")
    return "-".join(p if any(c.isupper() for c in p[1:]) else p.lower() for p in parts)


def _acronym(word: str) -> bool:
    """A name or acronym as written ("GRPO", "NeRF", "GPT-4", "3DGS"): kept as a word."""
    return (len(word) >= 3 and any(c.isupper() for c in word[1:])) or (
        any(c.isdigit() for c in word) and any(c.isalpha() for c in word)
    )


def _bad_edge(word: str) -> bool:
    low = word.lower()
    return low in STOP or low.isdigit() or len(low) < 2


def _adjective_end(word: str) -> bool:
    """A last word that leaves the phrase hanging ("implicit maximum", "large", "textual")."""
    low = word.lower()
    if low in TOPIC_ENDS or _acronym(word):
        return False
    if low in HANGING:
        return True
    return low.endswith(("al", "ive", "ous", "ic", "able", "ible", "ful", "less", "wise")) or (
        low.endswith("ed") and not low.endswith("eed")
    )


def _interest_like(gram: list[str], vocab: frozenset[str]) -> bool:
    first, last = gram[0].lower(), gram[-1].lower()
    if _bad_edge(first) or _bad_edge(last) or first in LEADING:
        return False
    if all(w.lower() in GENERIC or w.lower() in STOP for w in gram):
        return False  # "models", "large language": only generic words
    if len(gram) == 1:  # one word: a name or acronym, a hyphenated term or a known topic
        return _acronym(gram[0]) or "-" in first or first in vocab
    if _adjective_end(gram[-1]):
        return False
    middle = [w.lower() for w in gram[1:-1]]
    # a stop word inside: only "X of Y" between specific words ("mixture of experts")
    return all(w not in STOP for w in middle) or (
        middle == ["of"] and first not in GENERIC and last not in GENERIC
    )


def title_ngrams(titles: Iterable[str], longest: int = 3) -> Counter[str]:
    """Interest-like 1..longest word n-grams of the titles -> how many titles use them.

    N-grams do not cross punctuation (a colon, a comma, brackets...), have no stop word at
    either end (so none is only stop words), do not start with a title verb ("Improving
    ...") nor end on an adjective ("implicit maximum"), are not only generic words
    ("large language"), and a stop word inside is only the "of" of "mixture of experts".
    A single word is kept when it is an acronym or name, hyphenated ("in-context") or a
    word of a VOCAB topic ("quantization")."""
    vocab = frozenset(w.lower() for topic in VOCAB for w in topic.split())
    counts: Counter[str] = Counter()
    for title in titles:
        seen: set[str] = set()
        for segment in BREAKS.split(title):
            words = [typed(w) for w in WORDS.findall(segment)]
            for n in range(1, longest + 1):
                for i in range(len(words) - n + 1):
                    gram = words[i : i + n]
                    if _interest_like(gram, vocab):
                        seen.add(" ".join(gram))
        counts.update(seen)
    return counts


class Interests:
    """Draws one subscriber's keyword string at a time from a caller's random generator
    (so a benchmark's other draws per subscriber stay where they were)."""

    def __init__(
        self, mode: str, titles: Sequence[str] = (), seed: int = 7, plus: bool = False
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"interests mode must be one of {MODES}, not {mode!r}")
        self.mode, self.plus = mode, plus
        if mode == "topics":
            self.pool = list(VOCAB)
            weights = [1 / (rank + 1) ** 0.8 for rank in range(len(VOCAB))]
        else:
            self.pool = _varied_pool(titles, seed)
            weights = [1 / (rank + 1) for rank in range(len(self.pool))]
        self.cum = list(_accumulate(weights))
        # short interests for `+` combinations ("quantization + LLM"), just as popular
        short = [(p, w) for p, w in zip(self.pool, weights, strict=True) if p.count(" ") < 2]
        self.short = [p for p, _ in short]
        self.short_cum = list(_accumulate(w for _, w in short))

    def keywords(self, rng: random.Random) -> str:
        if self.mode == "topics":
            return self._topics(rng)
        return self._varied(rng)

    def _topics(self, rng: random.Random) -> str:
        """The benchmarks' original draw (same random calls, same strings)."""
        picks = dict.fromkeys(rng.choices(self.pool, cum_weights=self.cum, k=rng.randint(1, 4)))
        items = []
        for kw in picks:
            roll = rng.random()
            items.append(f"{kw}^2" if roll < 0.1 else f"-{kw}" if roll < 0.15 else kw)
        if all(x.startswith("-") for x in items):
            items.append(rng.choice(self.pool))
        return ", ".join(items)

    def _varied(self, rng: random.Random) -> str:
        picks = rng.choices(self.pool, cum_weights=self.cum, k=rng.randint(1, 4))
        items: list[str] = []
        seen: set[str] = set()
        for kw in picks:
            if kw.lower() in seen:
                continue
            seen.add(kw.lower())
            roll = rng.random()
            if self.plus and roll < 0.06:
                other = rng.choices(self.short, cum_weights=self.short_cum)[0]
                if other.lower() != kw.lower():
                    kw = f"{kw} + {other}"
            elif roll < 0.16 and " " in kw:
                kw = f'"{kw}"'
            roll = rng.random()
            if roll < 0.07:
                kw += "^2"
            elif roll < 0.08:
                kw += "^3"
            elif roll < 0.09:
                kw += "^0.5"
            items.append(kw)
        if rng.random() < 0.08:  # one exclusion: mostly a usual one, else any interest
            out = rng.choice(EXCLUDES) if rng.random() < 0.6 else rng.choice(self.pool)
            if out.lower() not in seen:
                items.append(f"-{out}")
        return ", ".join(items)


def _accumulate(weights: Iterable[float]) -> Iterable[float]:
    total = 0.0
    for w in weights:
        total += w
        yield total


def _varied_pool(titles: Sequence[str], seed: int) -> list[str]:
    """The title n-grams and VOCAB, most popular first: popularity is the number of titles
    using a phrase (at least 3 for VOCAB, twice that: curated topics are what people
    follow; two-word phrases x1.5), times seeded log-normal noise."""
    if not titles:
        raise ValueError("varied interests need the corpus titles")
    counts = title_ngrams(titles)
    lowered = {p.lower(): p for p in counts}
    popularity: dict[str, float] = {}
    for phrase, n in counts.items():
        popularity[phrase] = n * (1.5 if phrase.count(" ") == 1 else 1.0)
    for topic in VOCAB:
        phrase = lowered.get(topic.lower(), topic)
        popularity[phrase] = 2 * max(counts.get(phrase, 0), 3)
    rng = random.Random(seed)
    # sorted first: the noise each phrase gets does not depend on dict order
    noisy = {p: math.log(v) + rng.gauss(0, 0.8) for p, v in sorted(popularity.items())}
    return sorted(noisy, key=lambda p: (-noisy[p], p))


def describe(keyword_strings: Sequence[str]) -> str:
    """Distinct interests and profiles of a run, as digest's parser reads them."""
    from digest.ranking.interests import InterestError, parse_item, split_items

    phrases: set[tuple[str, bool]] = set()
    written: set[str] = set()
    for raw in set(keyword_strings):
        for item in split_items(raw):
            try:
                interest, _ = parse_item(item)
            except InterestError:
                continue
            written.add(interest.written)
            phrases.add((interest.text.lower(), interest.phrase))
    profiles = len(set(keyword_strings))
    return (
        f"{len(phrases):,} distinct interests ({len(written):,} distinct as written, with "
        f"weights, quotes, exclusions); {profiles:,} distinct profiles of "
        f"{len(keyword_strings):,} subscribers"
    )


def add_arguments(parser: argparse.ArgumentParser, both: bool = True) -> None:
    """--interests, --corpus, --plus/--no-plus and --interest-seed."""
    parser.add_argument(
        "--interests",
        choices=(*MODES, "both") if both else MODES,
        default="varied",
        help="varied: thousands of phrases from the corpus titles (default); topics: the "
        "fixed list of ~150 topics (the old behaviour); both: one after the other",
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help="papers.json (default: shared/corpus/papers.json beside the checkout)",
    )
    parser.add_argument(
        "--plus",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="write some `a + b` combinations (varied: 6%% of interests; on by default)",
    )
    parser.add_argument("--interest-seed", type=int, default=7)


def modes(choice: str) -> list[str]:
    return ["varied", "topics"] if choice == "both" else [choice]


def make(mode: str, args: argparse.Namespace, titles: Sequence[str]) -> Interests:
    return Interests(mode, titles, seed=args.interest_seed, plus=args.plus)
