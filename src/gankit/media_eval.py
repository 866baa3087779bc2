"""``gankit eval`` for sound and text runs: each number beside the same number of real data, the
ceiling a generator is read against (as :mod:`gankit.translation_eval` puts a baseline beside).

- ``spoken-digits``: the shipped spoken-digit classifier's inception-score-style score and Frechet
  distance on its features against the real test clips (unseen voices); the real test clips' own
  score and the test-vs-train distance are the ceiling.
- ``notes``: the share of conditioned samples whose f0 estimate is the requested pitch (within 50
  cents); the same estimate on the real test notes is the ceiling.
- ``fortunes``/``words``: BLEU-4 against the test texts (quality) and self-BLEU-4 (diversity, lower
  is more varied), as Caccia et al. 2020 read them together; real training texts against the test
  texts give the reference. A fill-in-the-blank run (maskgan) is scored on the test texts' seeded
  blanks: the filled characters' accuracy against the truth (sampled and greedy), and the truth's
  perplexity under G.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from .errors import GankitError
from .safe_write import write_text

#: default samples: the classifier and f0 passes over 1,000 clips take seconds; BLEU over 500 texts too
DEFAULT_N = {"audio": 1000, "text": 500}


def is_media_run(spec) -> bool:
    return spec.kind in ("audio", "text")


def evaluate_media(run, n: int | None = None, seed: int = 0, ema: bool = True, write: bool = True) -> dict:
    """Metrics of a sound or text run and the real data's own, ``{"metrics", "baseline", "info", "seconds"}``;
    with ``write``, saved as RUN/eval.json."""
    from .api import Run, load_run

    if not isinstance(run, Run):
        run = load_run(run)
    t0 = time.perf_counter()
    spec = run.spec
    n = n or DEFAULT_N.get(spec.kind, 500)
    sampler = run.sampler(ema=ema)
    info = {"run": str(run.path), "model": run.config.model, "step": run.step, "dataset": spec.name, "n": n,
            "seed": seed, "split": "test"}
    if spec.kind == "audio" and spec.name == "spoken-digits":
        metrics, baseline = _spoken_digits(sampler, n, seed, info)
    elif spec.kind == "audio" and spec.name == "notes":
        metrics, baseline = _notes(run, sampler, n, seed, info)
    elif spec.kind == "text" and hasattr(sampler, "fill"):  # fill in the blank: the test texts' blanks
        scores = sampler.evaluate(n, seed)
        greedy = sampler.evaluate(n, seed, greedy=True)
        metrics = {"fill_accuracy": scores["accuracy"], "fill_accuracy_greedy": greedy["accuracy"],
                   "ppl_truth": scores["ppl_truth"]}
        baseline = {}
        info.update(baseline="none: the filled characters against the held-out truth (ppl_truth: the truth's "
                             "perplexity under G)", tokens_scored=scores["tokens"])
    elif spec.kind == "text":
        metrics, baseline = _texts(sampler, spec, n, seed, info)
    else:
        raise GankitError(f"gankit eval has no scores for {spec.kind} data {spec.name!r} (evaluate spoken-digits, "
                          "notes, fortunes or words runs)")
    result = {"metrics": metrics, "baseline": baseline, "info": info,
              "seconds": {"total": round(time.perf_counter() - t0, 3)}}
    if write:
        write_text(Path(run.path) / "eval.json", json.dumps(result, indent=2) + "\n", root=run.path)
    return result


def _spoken_digits(sampler, n: int, seed: int, info: dict) -> tuple[dict, dict]:
    from .metrics.audio import audio_scores, real_ceiling

    waves = sampler.sample(n, seed)
    scores = audio_scores(waves)
    real = real_ceiling()
    info.update(baseline="the real test clips (unseen voices): their own score, and their distance to the "
                         "real training clips", classifier=scores["classifier"], n_real=real["n_test"],
                classifier_test_accuracy=round(real["test_accuracy"], 4), label_histogram=scores["label_histogram"])
    metrics = {"inception_score": scores["inception_score"], "fid": scores["fid"],
               "mean_confidence": scores["mean_confidence"]}
    baseline = {"inception_score": real["inception_score"], "fid": real["fid_test_vs_train"]}
    return metrics, baseline


def _notes(run, sampler, n: int, seed: int, info: dict) -> tuple[dict, dict]:
    from .data import get_dataset
    from .metrics.audio import pitch_accuracy

    midi = torch.tensor(run.spec.extra["midi_pitches"])
    if not getattr(sampler, "conditional", False):
        raise GankitError(f"{run.config.model} on notes is not pitch-conditioned, so no pitch can be checked "
                          "(train gansynth, which is)")
    labels = torch.arange(n) % len(midi)
    waves = sampler.generate(sampler.fixed_inputs(n, seed, labels))
    rate = int(run.spec.extra.get("sample_rate", 16000))
    metrics = pitch_accuracy(waves, midi[labels], rate)
    test = get_dataset("notes", "test")
    baseline = pitch_accuracy(test.data, midi[test.labels], rate)
    info.update(baseline="the real test notes, through the same f0 estimate", n_real=len(test))
    return metrics, baseline


def _texts(sampler, spec, n: int, seed: int, info: dict) -> tuple[dict, dict]:
    from .data import get_dataset
    from .data.text import decode, tokens
    from .metrics.bleu import bleu, self_bleu

    test = [tokens(t, spec) for t in decode(get_dataset(spec.name, "test").data, spec)]
    fake = [tokens(t, spec) for t in decode(sampler.sample(n, seed), spec)]
    train = get_dataset(spec.name, "train").subset(n, seed=seed)
    real = [tokens(t, spec) for t in decode(train.data, spec)]
    metrics = {"bleu4": bleu(fake, test), "self_bleu4": self_bleu(fake)}
    baseline = {"bleu4": bleu(real, test), "self_bleu4": self_bleu(real)}
    info.update(baseline=f"{len(real)} real training texts scored the same way", n_real=len(test),
                temperature=1.0, tokens="words" if spec.name == "fortunes" else "characters")
    return metrics, baseline


def media_table(result: dict) -> str:
    """The numbers of :func:`evaluate_media` as text: each metric beside the real data's."""
    rows = [f"{'metric':18s} {'model':>10s} {'real data':>10s}"]
    for key, value in result["metrics"].items():
        if not isinstance(value, (int, float)):
            continue
        base = result["baseline"].get(key)
        rows.append(f"{key:18s} {value:10.4f} {base:10.4f}" if isinstance(base, (int, float))
                    else f"{key:18s} {value:10.4f}")
    return "\n".join(rows)
