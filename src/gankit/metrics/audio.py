"""Scores of generated audio: the spoken-digit classifier's inception-style score and Frechet distance,
and the pitch accuracy of generated notes.

Why these: WaveGAN (Donahue et al. 2019) scores SC09 generators with an inception score from a
classifier trained on SC09, and GANSynth (Engel et al. 2019) with pitch accuracy and a Frechet distance
on a pitch classifier's features. Ours are the same ideas on our offline sets:

- :func:`audio_scores`: the inception-style score exp(E KL(p(y|x) || p(y))) of the shipped
  spoken-digit classifier (:mod:`gankit.audio.classifier`; at most 10, the number of words; 10 splits
  as :func:`gankit.metrics.inception_score.inception_score`), and the Frechet distance between its
  128-d penultimate features of the samples and of real clips (the ``spoken-digits`` test split, whose
  voices the classifier never heard), plus the histogram of the words it hears.
- :func:`real_ceiling`: the same numbers for real clips (the test split's own score, and the Frechet
  distance of test to train), the ceiling a generator is read against: a score near it means
  samples as recognizable and varied as real speech.
- :func:`pitch_accuracy`: the share of notes whose estimated f0 (:func:`gankit.audio.pitch.estimate_f0`)
  is within ``tolerance_cents`` of the pitch asked for.

These numbers are comparable only with numbers from the same classifier file (its hash is returned).
"""

from __future__ import annotations

from functools import lru_cache

import torch

from ..errors import GankitError
from .fid import fid_from_stats, statistics
from .inception_score import inception_score


def _classifier(path=None):
    from ..audio.classifier import load_audio_classifier

    return load_audio_classifier(path)


def _features_logits(waves, path=None) -> tuple[torch.Tensor, torch.Tensor, str]:
    from ..audio.classifier import as_float_waves, features_and_logits

    model, _, digest = _classifier(path)
    x = as_float_waves(waves).detach().cpu()
    if x.shape[0] < 2:
        raise GankitError(f"audio scores need at least 2 clips, got {x.shape[0]} (generate more samples)")
    feats, logits = features_and_logits(model, x)
    return feats, logits, digest


@lru_cache(maxsize=4)
def _real_features(split: str, path_key: str | None, n: int | None = None) -> tuple[torch.Tensor, torch.Tensor, str]:
    """Features and logits of a real split (``n``: a seeded subset of that many clips), once per process."""
    from ..data.spoken_digits import load_spoken_digits

    ds = load_spoken_digits(split)
    if n is not None:
        ds = ds.subset(n, seed=0)
    return _features_logits(ds.data, path_key)


def audio_scores(waves: torch.Tensor, reference_test_waves: torch.Tensor | None = None,
                 classifier: str | None = None, splits: int = 10) -> dict:
    """Scores of generated spoken digits ``waves`` ((N, 1, 16384) float in [-1, 1], or int16).

    ``reference_test_waves``: the real clips to compare with (default: the ``spoken-digits`` test
    split, whose features are computed once per process). Returns ``inception_score`` (and
    ``inception_score_std`` over the splits), ``fid``, ``label_histogram`` (clips heard as each word),
    ``mean_confidence`` (mean top softmax probability) and ``classifier`` (the weights' short hash).
    """
    feats, logits, digest = _features_logits(waves, classifier)
    if reference_test_waves is None:
        ref_feats, _, _ = _real_features("test", None if classifier is None else str(classifier))
    else:
        ref_feats, _, _ = _features_logits(reference_test_waves, classifier)
    score = inception_score(logits, splits)
    probs = logits.softmax(1)
    hist = torch.bincount(logits.argmax(1), minlength=logits.shape[1])
    return {
        "inception_score": score["is"],
        "inception_score_std": score["is_std"],
        "fid": fid_from_stats(statistics(feats), statistics(ref_feats)),
        "label_histogram": [int(c) for c in hist],
        "mean_confidence": float(probs.max(1).values.mean()),
        "n": int(feats.shape[0]),
        "classifier": digest,
    }


@lru_cache(maxsize=4)
def real_ceiling(classifier: str | None = None, splits: int = 10) -> dict:
    """The real clips' own numbers: ``inception_score`` of the test split (the ceiling of a generator's
    score), ``fid_test_vs_train`` (the Frechet distance between the real test clips and as many real
    train clips, a seeded subset: the floor a generator's FID is read against, since other voices differ;
    the same number of clips on both sides as when a generator's samples are scored), the test split's
    ``label_histogram`` and ``test_accuracy`` (the classifier on the unseen test voices)."""
    from ..data.spoken_digits import load_spoken_digits

    test_feats, test_logits, digest = _real_features("test", classifier)
    train_feats, _, _ = _real_features("train", classifier, int(test_feats.shape[0]))
    labels = load_spoken_digits("test").labels
    score = inception_score(test_logits, splits)
    return {
        "inception_score": score["is"],
        "inception_score_std": score["is_std"],
        "fid_test_vs_train": fid_from_stats(statistics(test_feats), statistics(train_feats)),
        "test_accuracy": float((test_logits.argmax(1) == labels).double().mean()),
        "label_histogram": [int(c) for c in torch.bincount(test_logits.argmax(1), minlength=test_logits.shape[1])],
        "n_test": int(test_feats.shape[0]),
        "n_train": int(train_feats.shape[0]),
        "classifier": digest,
    }


def pitch_accuracy(waves: torch.Tensor, requested_midi, sample_rate: int = 16000, tolerance_cents: float = 50.0,
                   ) -> dict:
    """How many of ``waves`` (notes, (N, 1, T) float or int16) sound at the MIDI pitch asked for.

    ``requested_midi``: one MIDI number per clip (a class index must first be mapped through
    ``spec.extra["midi_pitches"]``). A clip counts when its f0 estimate is within ``tolerance_cents``
    (50: the nearest semitone); a silent or pitchless clip never counts. Returns ``pitch_accuracy``
    (share in tolerance), ``median_abs_cents`` (over clips with an estimate), ``octave_errors`` (share
    off by 12 semitones +- tolerance: right note, wrong octave) and ``no_pitch`` (share without an estimate).
    """
    from ..audio.classifier import as_float_waves
    from ..audio.pitch import cents_off, estimate_f0

    x = as_float_waves(waves).detach().cpu()
    midi = torch.as_tensor(requested_midi, dtype=torch.float64).flatten()
    if midi.numel() != x.shape[0]:
        raise GankitError(f"pitch_accuracy got {x.shape[0]} clips but {midi.numel()} requested pitches "
                          "(pass one MIDI number per clip)")
    if x.shape[0] == 0:
        raise GankitError("pitch_accuracy got no clips (generate at least one note)")
    f0 = estimate_f0(x, sample_rate)
    cents = cents_off(f0, midi)
    have = ~torch.isnan(cents)
    ok = have & (cents.abs() <= tolerance_cents)
    octave = have & ((cents.abs() - 1200).abs() <= tolerance_cents)
    return {
        "pitch_accuracy": float(ok.double().mean()),
        "median_abs_cents": float(cents[have].abs().median()) if have.any() else float("nan"),
        "octave_errors": float(octave.double().mean()),
        "no_pitch": float((~have).double().mean()),
        "tolerance_cents": float(tolerance_cents),
        "n": int(x.shape[0]),
    }
