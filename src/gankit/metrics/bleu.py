"""BLEU against a test set (quality) and self-BLEU (diversity), as Texygen scores language GANs.

Caccia, Caccia, Fedus, Larochelle, Pineau & Charlin 2020 ("Language GANs Falling Short") show that
a GAN's better BLEU is bought with diversity: a model is judged by *both*, across temperatures.

- **BLEU-n** (quality; Zhu et al. 2018, Texygen): each sample is a hypothesis scored by sentence BLEU
  with the whole test split as its references, and the scores are averaged. High when the samples'
  n-grams occur in real held-out text.
- **self-BLEU-n** (diversity, lower is more diverse): each sample scored with *the other samples* as
  references. A collapsed model that says the same few things scores near 1.

Sentence BLEU here is NLTK's ``sentence_bleu`` with uniform weights over 1..n-grams and
``SmoothingFunction().method1`` (a zero n-gram match count becomes 0.1), what Texygen calls:
modified precisions clipped by the largest count of each n-gram in any one reference, the brevity
penalty against the reference length closest to the hypothesis (the shorter one on a tie), 0 when
no unigram matches. Written here (it is short) rather than called, because NLTK compares each
hypothesis with every reference: with thousands of references it would take minutes, while the
per-n-gram maximum over references, computed once, gives the same clipping in milliseconds
(tests/test_bleu.py checks both against hand-computed and NLTK values).

Tokens are whatever the caller passes: characters for ``words``, words for ``fortunes``
(:func:`gankit.data.text.tokens`).
"""

from __future__ import annotations

import math
from collections import Counter

EPSILON = 0.1  # NLTK's SmoothingFunction().method1


def ngrams(tokens, n: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def _closest(lengths, length: int) -> int:
    return min(lengths, key=lambda r: (abs(r - length), r))


def _score(hyp, clip, ref_len: int, n: int) -> float:
    """Sentence BLEU-n of ``hyp`` given ``clip(order, ngram)`` (the largest reference count) and the closest
    reference length."""
    logs = []
    for k in range(1, n + 1):
        counts = ngrams(hyp, k)
        total = max(1, sum(counts.values()))
        matched = sum(min(c, clip(k, g)) for g, c in counts.items())
        if k == 1 and matched == 0:
            return 0.0
        logs.append(math.log((matched if matched else EPSILON) / total))
    c = len(hyp)
    bp = 1.0 if c > ref_len else (math.exp(1 - ref_len / c) if c else 0.0)
    return bp * math.exp(math.fsum(logs) / n)


class References:
    """The references of BLEU, indexed once: for each n-gram its largest count in any one reference."""

    def __init__(self, references, n: int):
        self.n = n
        self.max = [{} for _ in range(n + 1)]
        for ref in references:
            for k in range(1, n + 1):
                table = self.max[k]
                for g, c in ngrams(ref, k).items():
                    if c > table.get(g, 0):
                        table[g] = c
        self.lengths = sorted({len(r) for r in references})
        if not self.lengths:
            raise ValueError("BLEU needs at least one reference")

    def sentence(self, hyp) -> float:
        return _score(list(hyp), lambda k, g: self.max[k].get(g, 0), _closest(self.lengths, len(hyp)), self.n)


def bleu(hypotheses, references, n: int = 4) -> float:
    """Mean sentence BLEU-n of ``hypotheses`` (token lists) against all ``references`` (token lists)."""
    hypotheses = [list(h) for h in hypotheses]
    if not hypotheses:
        raise ValueError("BLEU needs at least one hypothesis")
    refs = References(references, n)
    return math.fsum(refs.sentence(h) for h in hypotheses) / len(hypotheses)


def self_bleu(samples, n: int = 4) -> float:
    """Mean sentence BLEU-n of each sample against all the *other* samples (Zhu et al. 2018): diversity,
    lower is more diverse. Identical samples count as others (a repeated text scores 1 against its twin)."""
    samples = [list(s) for s in samples]
    if len(samples) < 2:
        raise ValueError("self-BLEU needs at least two samples")
    # for each n-gram: the largest count in any sample, how many samples have it, and the second largest,
    # so the largest over the others is found without rebuilding the table for every sample
    top: list[dict] = [{} for _ in range(n + 1)]
    for s in samples:
        for k in range(1, n + 1):
            table = top[k]
            for g, c in ngrams(s, k).items():
                first, holders, second = table.get(g, (0, 0, 0))
                if c > first:
                    table[g] = (c, 1, first)
                elif c == first:
                    table[g] = (first, holders + 1, second)
                elif c > second:
                    table[g] = (first, holders, c)
    lengths = Counter(len(s) for s in samples)
    total = 0.0
    for s in samples:
        own = [None] + [ngrams(s, k) for k in range(1, n + 1)]

        def clip(k, g, own=own):
            first, holders, second = top[k][g]
            return second if own[k][g] == first and holders == 1 else first

        lengths[len(s)] -= 1
        ref_len = _closest([r for r, m in lengths.items() if m > 0], len(s))
        lengths[len(s)] += 1
        total += _score(s, clip, ref_len, n)
    return total / len(samples)
