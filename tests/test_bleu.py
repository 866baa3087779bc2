"""BLEU and self-BLEU (gankit.metrics.bleu) against hand-computed answers and NLTK's sentence_bleu."""

import math
import random

import pytest

from gankit.metrics.bleu import References, bleu, self_bleu


def test_identical_text_scores_one():
    assert bleu([list("abcd")], [list("abcd")], n=4) == pytest.approx(1.0)


def test_precisions_multiply_geometrically():
    # hyp a b c e vs ref a b c d: p1 = 3/4, p2 = 2/3 (ab, bc of ab, bc, ce); same length: no penalty
    assert bleu([list("abce")], [list("abcd")], n=2) == pytest.approx(math.sqrt(3 / 4 * 2 / 3))


def test_counts_are_clipped_by_the_largest_count_in_one_reference():
    # hyp a a a a: 'a' occurs twice in one reference and once in the other; clipped to 2, not 3: p1 = 2/4
    assert bleu([list("aaaa")], [list("abac"), list("adef")], n=1) == pytest.approx(0.5)


def test_method1_smoothing_and_brevity_penalty():
    # hyp a b c vs ref a x c y: p1 = 2/3; no bigram matches -> 0.1 / 2; c = 3 < r = 4 -> BP = exp(1 - 4/3)
    expected = math.exp(1 - 4 / 3) * math.sqrt(2 / 3 * 0.1 / 2)
    assert bleu([list("abc")], [list("axcy")], n=2) == pytest.approx(expected)  # 0.130820...
    assert expected == pytest.approx(0.130820, abs=1e-6)


def test_no_unigram_match_is_zero_and_the_closest_length_prefers_the_shorter():
    assert bleu([list("xyz")], [list("abc")], n=2) == 0.0
    # hyp of 3 tokens, references of 2 and 4: both 1 away, the shorter (2) is taken, so no brevity penalty
    assert References([list("ab"), list("abab")], 1).sentence(list("aba")) == pytest.approx(1.0)


def test_bleu_is_the_mean_over_hypotheses():
    assert bleu([list("abcd"), list("xyzw")], [list("abcd")], n=2) == pytest.approx(0.5)


def test_self_bleu_scores_each_sample_against_the_others():
    # "ab" twice: each is matched fully by its twin; "cd" matches nothing among the others
    assert self_bleu([list("ab"), list("ab"), list("cd")], n=1) == pytest.approx(2 / 3)
    # a sample's own n-grams never count: "aa" vs {"ab"} clips 'a' to 1 -> 1/2; "ab" vs {"aa"} -> 1/2
    assert self_bleu([list("aa"), list("ab")], n=1) == pytest.approx(0.5)
    assert self_bleu([list("abc")] * 5, n=3) == pytest.approx(1.0)


def _random_case():
    rng = random.Random(0)
    refs = ["".join(rng.choice("abcde") for _ in range(rng.randint(2, 9))) for _ in range(60)]
    hyps = ["".join(rng.choice("abcdef") for _ in range(rng.randint(1, 9))) for _ in range(40)]
    return [list(h) for h in hyps], [list(r) for r in refs]


@pytest.mark.parametrize("n, expected_bleu, expected_self", [
    # computed with NLTK 3.10.4: mean of sentence_bleu(refs, hyp, (1/n,) * n, SmoothingFunction().method1)
    # and, for self-BLEU, of sentence_bleu(other hypotheses, hyp, ...)
    (2, 0.6411471034268638, 0.8951594249625222),
    (3, 0.528423023076203, 0.6301236961643824),
    (4, 0.3447432547320675, 0.38874554075064516),
])
def test_matches_nltk_sentence_bleu_with_method1(n, expected_bleu, expected_self):
    hyps, refs = _random_case()
    assert bleu(hyps, refs, n) == pytest.approx(expected_bleu, rel=1e-12)
    assert self_bleu(hyps, n) == pytest.approx(expected_self, rel=1e-12)


def test_refuses_empty_inputs():
    with pytest.raises(ValueError):
        bleu([], [list("a")])
    with pytest.raises(ValueError):
        self_bleu([list("a")])
