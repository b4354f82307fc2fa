"""Acronyms: a small hand list, and pairs learned from text written "long form (LF)" (pure).

The learner follows Schwartz & Hearst (2003): the short form sits in parentheses right after
its long form; the long form is the shortest run of preceding words whose letters contain the
short form's characters in order, the first one starting a word; when the initials of the
words before it spell the short form, those words are the long form ("On-the-fly Preference
Optimization (OPO)" is not "optimization").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from digest.ranking.matching import STOP, surface_keys

HAND: dict[str, tuple[str, ...]] = {
    "OOD": ("out-of-distribution",),
    "KD": ("knowledge distillation",),
    "LLM": ("large language model",),
    "LM": ("language model",),
    # one family: a researcher typing any of these wants the others' papers too
    "VLM": (
        "vision-language model",
        "large vision-language model",
        "multimodal large language model",
    ),
    "MLLM": (
        "multimodal large language model",
        "large vision-language model",
        "vision-language model",
    ),
    "LVLM": (
        "large vision-language model",
        "vision-language model",
        "multimodal large language model",
    ),
    "LMM": ("large multimodal model", "multimodal large language model"),
    "RLHF": ("reinforcement learning from human feedback",),
    "RLVR": ("reinforcement learning with verifiable rewards",),
    "RL": ("reinforcement learning",),
    "DPO": ("direct preference optimization",),
    "PPO": ("proximal policy optimization",),
    "GRPO": ("group relative policy optimization",),
    "SFT": ("supervised fine-tuning",),
    "PEFT": ("parameter-efficient fine-tuning",),
    "LoRA": ("low-rank adaptation",),
    "RAG": ("retrieval-augmented generation",),
    "CoT": ("chain-of-thought",),
    "ICL": ("in-context learning",),
    "MoE": ("mixture of experts", "mixture-of-experts"),
    "NeRF": ("neural radiance field",),
    "3DGS": ("3d gaussian splatting",),
    "GAN": ("generative adversarial network",),
    "VAE": ("variational autoencoder",),
    "ViT": ("vision transformer",),
    "CNN": ("convolutional neural network",),
    "RNN": ("recurrent neural network",),
    "GNN": ("graph neural network",),
    "MLP": ("multilayer perceptron", "multi-layer perceptron"),
    "NLP": ("natural language processing",),
    "ASR": ("automatic speech recognition",),
    "TTS": ("text-to-speech",),
    "VQA": ("visual question answering",),
    "QA": ("question answering",),
    "NAS": ("neural architecture search",),
    "SSL": ("self-supervised learning",),
    "OCR": ("optical character recognition",),
    "KG": ("knowledge graph",),
    "VLA": ("vision-language-action",),
    "DiT": ("diffusion transformer",),
    "SAE": ("sparse autoencoder",),
    "SLAM": ("simultaneous localization and mapping",),
    "FL": ("federated learning",),
    "NMT": ("neural machine translation",),
    "DLM": ("diffusion language model",),
    "MDM": ("masked diffusion model",),
    "T2I": ("text-to-image",),
    "I2V": ("image-to-video",),
    "T2V": ("text-to-video",),
    # Acronyms a subscriber types for a topic whose papers often write only the long form
    # (`SSM` for "Selective State Space Models"), written from general knowledge of the field
    # (2026-12-05): a store of a few days has not learned them from "long form (LF)" yet. Left
    # out for their several common meanings: CFG (classifier-free guidance, context-free
    # grammar), SER, LRM, MAE, MIM, SAM, TTA, GP, BO, PoT; and those whose long form, shortened
    # by its common first or last word (concepts._shortened), names a broader topic: PRM
    # ("process reward model" would be "reward model"), OPE ("off-policy"), SLU ("spoken
    # language"), ODQA ("domain question answering"), GFlowNet ("flow network").
    "SSM": ("state space model",),
    "MCTS": ("monte carlo tree search",),
    "ORM": ("outcome reward model",),
    "RLAIF": ("reinforcement learning from ai feedback",),
    "KTO": ("kahneman-tversky optimization",),
    "ToT": ("tree of thoughts",),
    "MDP": ("markov decision process",),
    "POMDP": ("partially observable markov decision process",),
    "IRL": ("inverse reinforcement learning",),
    "MARL": ("multi-agent reinforcement learning",),
    "HRL": ("hierarchical reinforcement learning",),
    "DRL": ("deep reinforcement learning",),
    "GAIL": ("generative adversarial imitation learning",),
    "MAML": ("model-agnostic meta-learning",),
    "HPO": ("hyperparameter optimization",),
    "SGD": ("stochastic gradient descent",),
    "NTK": ("neural tangent kernel",),
    "PINN": ("physics-informed neural network",),
    "GCN": ("graph convolutional network",),
    "GAT": ("graph attention network",),
    "LSTM": ("long short-term memory",),
    "GRU": ("gated recurrent unit",),
    "PCA": ("principal component analysis",),
    "SVM": ("support vector machine",),
    "MHA": ("multi-head attention",),
    "MQA": ("multi-query attention",),
    "FFN": ("feed-forward network",),
    "DDPM": ("denoising diffusion probabilistic model",),
    "DDIM": ("denoising diffusion implicit model",),
    "LDM": ("latent diffusion model",),
    "FID": ("frechet inception distance",),
    "UDA": ("unsupervised domain adaptation",),
    "QAT": ("quantization-aware training",),
    "PTQ": ("post-training quantization",),
    "BPE": ("byte-pair encoding",),
    "CLM": ("causal language modeling",),
    "NLU": ("natural language understanding",),
    "NLG": ("natural language generation",),
    "NER": ("named entity recognition",),
    "NLI": ("natural language inference",),
    "STS": ("semantic textual similarity",),
    "MRC": ("machine reading comprehension",),
    "KBQA": ("knowledge base question answering",),
    "MWP": ("math word problem",),
    "MBR": ("minimum bayes risk",),
    "WER": ("word error rate",),
    "XAI": ("explainable artificial intelligence", "explainable ai"),
    "AGI": ("artificial general intelligence",),
}

# Inside a longer interest, an acronym papers write for a phrase although it names a kind of
# it: "LLM evaluation" is language model evaluation, "tool-augmented LLMs" tool-augmented
# language models. Never for the phrase alone (`language models` is not every LLM paper, and
# `LLM` not every language model paper: with "LLM" a form of "language model" both ways, the
# held-out precision fell to 0.873) nor inside a long form ("masked language model" is not a
# masked LLM).
WRITTEN_FOR: dict[str, tuple[str, ...]] = {"language model": ("LLM",)}

_PAREN = re.compile(r"\(\s*([A-Za-z0-9][A-Za-z0-9\-]{0,11}?)(s?)\s*[);,]")
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")  # words as matching.TOKEN, "-" and "'" inside
_LEADING = {"a", "an", "the", "our", "we", "this", "that", "its", "their", "and", "or", "of"}
_LEADING |= {"to", "for", "in", "on", "with", "by", "as", "is", "are", "from", "via", "using"}


def looks_like_acronym(short: str) -> bool:
    letters = [c for c in short if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    return 2 <= len(short) <= 10 and upper >= 2 and short[0].isalnum() and len(letters) >= 2


def long_form(short: str, before: str) -> str | None:
    """The long form ending `before` whose letters spell `short`, or None: the words whose
    initials spell it when there are such (`_by_initials`), else Schwartz & Hearst's shortest
    run of words holding its letters in order."""
    words = _WORD.findall(before)[-min(len(short) + 5, 2 * len(short)) :]
    if not words:
        return None
    found = _by_initials(short, words)
    if found is not None:
        return _checked(short, found)
    text = " ".join(words)
    s, t = len(short) - 1, len(text) - 1
    chars = short.lower()
    low = text.lower()
    while s >= 0:
        c = chars[s]
        if not c.isalnum():
            s -= 1
            continue
        # the first character of the short form must start a word
        while t >= 0 and (low[t] != c or (s == 0 and t > 0 and low[t - 1].isalnum())):
            t -= 1
        if t < 0:
            return None
        s, t = s - 1, t - 1
    start = text.rfind(" ", 0, t + 1) + 1
    return _checked(short, text[start:].split(" "))


def _by_initials(short: str, words: list[str]) -> list[str] | None:
    """The last words of `words` whose initials spell `short`, read backwards: a short
    word (of, from, the...) may be skipped, as may a later part of a hyphenated word
    ("On-the-fly Preference Optimization (OPO)", not "optimization"); None when they do not."""
    letters = [c for c in short.lower() if c.isalnum()]
    i = len(letters) - 1
    for w in range(len(words) - 1, -1, -1):
        parts = re.split(r"[-']", words[w].lower())
        for p in range(len(parts) - 1, -1, -1):
            if i >= 0 and parts[p][:1] == letters[i]:
                i -= 1
                if i < 0:
                    return words[w:] if p == 0 else None
            elif p == 0 and parts[p] not in _LEADING:
                return None
    return None


def _checked(short: str, found: list[str]) -> str | None:
    """The long form `found` (words) without leading words such as "the", lowercased; None
    when nothing is left, it is too long, or it holds the short form itself."""
    while found and found[0].lower() in _LEADING:
        found = found[1:]
    if not found or len(found) > len(short) + 2:
        return None
    result = " ".join(found).lower()
    if short.lower() in result.split() or len(result) <= len(short):
        return None
    return result


def learn_acronyms(texts: Iterable[str]) -> Counter[tuple[str, str]]:
    """Count (short, long) pairs written "long form (LF)" in `texts`; plurals ("LLMs") folded."""
    found: Counter[tuple[str, str]] = Counter()
    for text in texts:
        seen: set[tuple[str, str]] = set()
        for m in _PAREN.finditer(text):
            short = m.group(1)
            if not looks_like_acronym(short):
                continue
            long = long_form(short, text[: m.start()])
            if long is None:
                continue
            if m.group(2) and long.endswith("s") and not long.endswith("ss"):
                long = long[:-1]
            seen.add((short, long))
        found.update(seen)  # once per text: a pair repeated in one abstract is one vote
    return found


def select_expansions(
    counts: Mapping[tuple[str, str], int], min_share: float = 0.25
) -> dict[str, list[str]]:
    """Keep, for each short form, the expansions seen at least min_share as often as its best."""
    best: dict[str, int] = {}
    for (short, _), n in counts.items():
        best[short] = max(best.get(short, 0), n)
    out: dict[str, list[str]] = {}
    for (short, long), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if n >= min_share * best[short]:
            out.setdefault(short, []).append(long)
    return out


def merged(learned: Mapping[str, Sequence[str]] | None) -> dict[str, list[str]]:
    """The hand list plus learned expansions (hand first)."""
    out = {k: list(v) for k, v in HAND.items()}
    for short, longs in (learned or {}).items():
        known = out.setdefault(short, [])
        known.extend(lg for lg in longs if lg not in known)
    return out


def same_meaning(a: Sequence[str], b: Sequence[str]) -> bool:
    """Whether two long forms of one acronym, as matching keys, mean the same thing: one holds
    the other's content words ("large language model", "language model"), or where they differ
    they are one word spelled apart or joined ("multi-modal", "multimodal"; keys are stems, so
    one is a prefix of the other) or one is the other's initials ("RL from human feedback").
    "masked language model" and "multimodal language model" are two meanings of MLM."""
    words_a = [k for k in a if k not in STOP]
    words_b = [k for k in b if k not in STOP]
    set_a, set_b = set(words_a), set(words_b)
    if set_a <= set_b or set_b <= set_a:
        return True
    rest_a = [k for k in words_a if k not in set_b]
    rest_b = [k for k in words_b if k not in set_a]
    joined_a, joined_b = "".join(rest_a), "".join(rest_b)
    if joined_a.startswith(joined_b) or joined_b.startswith(joined_a):
        return True
    return joined_a == "".join(k[0] for k in rest_b) or joined_b == "".join(k[0] for k in rest_a)


def meanings(short: str, longs: Sequence[str]) -> list[list[str]]:
    """The long forms `longs` of `short` grouped by meaning (same_meaning), in the order
    given: the hand list's long forms of it are one family ("VLM": vision-language model,
    multimodal large language model); a long form meaning the same as those of several groups
    joins them into one, at the first one's place."""
    family = set(HAND.get(short, ()))
    keys = {long: surface_keys(long) for long in longs}
    groups: list[list[str]] = []
    for long in longs:
        joins = [
            i
            for i, g in enumerate(groups)
            if (long in family and g[0] in family)
            or any(same_meaning(keys[long], keys[other]) for other in g)
        ]
        if not joins:
            groups.append([long])
            continue
        groups[joins[0]] = [x for i in joins for x in groups[i]] + [long]
        groups = [g for i, g in enumerate(groups) if i not in joins[1:]]
    return groups
