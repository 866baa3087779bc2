"""wavegan on spoken-digits and gansynth on notes: trained vs untrained, the numbers of docs/audio-gans.md.

    python bench/audio_gans.py [--wavegan-steps 300] [--gansynth-steps 300] [--out bench-out/audio]
                               [--media docs/audio] [--seed 0] [--batch-size 16] [--eval-every 50]
                               [--curve-n N] [--ema IMAGES]

Trains in-process on one thread, fp32, each family twice from the same seed: 1 step (the untrained
baseline: G after one update, as the zoo's learning tests read it) and the full budget; then scores
samples drawn through the run's Sampler (waveforms, float (N, 1, 16384)):

- wavegan: :func:`gankit.metrics.audio.audio_scores` of 500 clips (the shipped spoken-digit
  classifier's inception-style score and Frechet distance to the real test split), against
  :func:`~gankit.metrics.audio.real_ceiling` (the real test split's own score, test-vs-train FD);
  and the mel-profile distance (mean |dB| between the average log-mel spectra of samples and real
  test clips, 64 bands), which needs no classifier;
- gansynth: :func:`~gankit.metrics.audio.pitch_accuracy` of 480 notes, 20 per pitch asked for
  (f0 within 50 cents of the MIDI pitch), plus median |cents| and octave errors.

Every score is also printed every ``--eval-every`` steps while training (the learning curve). With
``--media``, writes a spectrogram grid (PNG) of each trained model and a few WAVs there. Results:
``OUT/results.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import torch

from gankit import api
from gankit.data import get_dataset
from gankit.engine import Callback


def mel_profile_distance(waves: torch.Tensor, reference: torch.Tensor) -> float:
    """Mean |dB| between the average log-mel spectra (64 bands) of ``waves`` and ``reference``: whether G
    puts its energy in the bands speech does, the coarsest thing it has to learn."""
    from gankit.audio.spectrogram import log_mel_spectrogram

    def profile(x):
        return log_mel_spectrogram(x, 16000, 1024, 256, 64, floor_db=-100.0).mean((0, 2))

    return float((profile(waves) - profile(reference)).abs().mean())


def score(model: str, sampler, spec, n: int, reference: torch.Tensor, classifier: bool) -> dict:
    if model == "wavegan":
        waves = sampler.generate(sampler.fixed_inputs(n, seed=1))
        out = {"mel_distance": mel_profile_distance(waves, reference), "rms": float(waves.pow(2).mean().sqrt())}
        if classifier:
            from gankit.metrics.audio import audio_scores

            scores = audio_scores(waves)
            out.update({k: scores[k] for k in ("inception_score", "fid", "mean_confidence", "label_histogram")})
        return out
    from gankit.metrics.audio import pitch_accuracy

    labels = torch.arange(n) % spec.num_classes
    waves = sampler.generate(sampler.fixed_inputs(n, seed=1, labels=labels))
    midi = torch.tensor(spec.extra["midi_pitches"])[labels]
    acc = pitch_accuracy(waves, midi, int(spec.extra.get("sample_rate", 16000)))
    return {k: acc[k] for k in ("pitch_accuracy", "median_abs_cents", "octave_errors", "no_pitch")}


class Curve(Callback):
    """Scores every ``every`` steps, printed: the learning curve behind the table."""

    def __init__(self, every: int, evaluate):
        self.every, self.evaluate, self.start = every, evaluate, time.perf_counter()

    def on_step(self, view) -> None:
        if view.step % self.every == 0:
            row = self.evaluate(view.sampler())
            print(json.dumps({"step": view.step, "s": round(time.perf_counter() - self.start), **row}), flush=True)


def spectrogram_row(waves: torch.Tensor, path: Path) -> str:
    """One PNG row of mel spectrograms (128 x 128 each, low frequencies at the bottom)."""
    from PIL import Image

    from gankit.audio.spectrogram import spectrogram_image

    row = torch.cat(list(spectrogram_image(waves)[:, 0]), dim=1)
    Image.fromarray(row.numpy()).save(path, optimize=True)
    return str(path)


def save_media(model: str, sampler, spec, folder: Path, clips: int = 4) -> list[str]:
    """A spectrogram row of 8 samples (gansynth: 8 pitches across the range), the same of 8 real test
    clips beside it, and ``clips`` WAVs of the samples."""
    from gankit.audio.wav import write_wav

    folder.mkdir(parents=True, exist_ok=True)
    labels = None
    if model == "gansynth":
        labels = torch.linspace(0, spec.num_classes - 1, 8).round().long()
    waves = sampler.generate(sampler.fixed_inputs(8, seed=2, labels=labels))
    written = [spectrogram_row(waves, folder / f"{model}-spectrograms.png")]
    real = get_dataset(spec.name, "test")
    pick = torch.randperm(len(real), generator=torch.Generator().manual_seed(0))[:8]
    if labels is not None:  # the same pitches as the samples
        pick = torch.stack([torch.nonzero(real.labels == k)[0, 0] for k in labels])
    written.append(spectrogram_row(real.to_model(real.data[pick]), folder / f"{spec.name}-real-spectrograms.png"))
    for i in range(clips):
        name = f"{model}-{i}" + (f"-{spec.class_names[int(labels[i * 2])]}" if labels is not None else "") + ".wav"
        write_wav(folder / name, waves[i * 2 if labels is not None else i, 0], 16000)
        written.append(str(folder / name))
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wavegan-steps", type=int, default=300)
    ap.add_argument("--gansynth-steps", type=int, default=300)
    ap.add_argument("--models", default="wavegan,gansynth")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--eval-every", type=int, default=50)
    ap.add_argument("--curve-n", type=int, default=None,
                    help="samples scored at each --eval-every step (default: a fifth of the final 500 / 480)")
    ap.add_argument("--ema", type=float, default=None, help="sample an EMA of G (half-life in real images)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="bench-out/audio")
    ap.add_argument("--media", default=None, help="folder for the spectrogram grids and WAVs (e.g. docs/audio)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    from gankit.audio.classifier import DEFAULT_PATH

    classifier = Path(DEFAULT_PATH).is_file()
    if not classifier:
        print(f"no spoken-digit classifier at {DEFAULT_PATH}: wavegan gets the mel-profile distance only")
    reference = get_dataset("spoken-digits", "test")
    reference = reference.to_model(reference.data[:500])
    data = {"wavegan": "spoken-digits", "gansynth": "notes"}
    n = {"wavegan": 500, "gansynth": 480}
    results = {"command": "python bench/audio_gans.py " + " ".join(argv if argv is not None else sys.argv[1:]),
               "threads": 1, "batch_size": args.batch_size, "seed": args.seed}
    if classifier:
        from gankit.metrics.audio import real_ceiling

        ceiling = dict(real_ceiling())
        ceiling["mel_distance_test_vs_train"] = mel_profile_distance(
            reference, get_dataset("spoken-digits", "train").to_model(get_dataset("spoken-digits", "train").data[:500]))
        results["real_ceiling"] = ceiling
        print("real ceiling:", json.dumps(ceiling))
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models.split(","):
            steps = getattr(args, f"{model}_steps")
            row = {"dataset": data[model], "steps": steps}
            spec = get_dataset(data[model], "test").spec

            def evaluate(sampler, model=model, spec=spec):
                return score(model, sampler, spec, args.curve_n or n[model] // 5, reference, classifier)

            for label, budget in (("untrained", 1), ("trained", steps)):
                start = time.perf_counter()
                run = api.train(model=model, dataset=data[model], steps=budget, seed=args.seed, batch_size=args.batch_size,
                                precision="fp32", ema=args.ema, sample_every=10**9, checkpoint_every=10**9, diagnostics=False,
                                out=Path(tmp) / f"{model}-{budget}", quiet=True,
                                callbacks=[Curve(args.eval_every, evaluate)] if budget > 1 else [])
                seconds = time.perf_counter() - start
                sampler = run.sampler() if hasattr(run, "sampler") else run.game.sampler()
                row[label] = {"seconds": round(seconds), **score(model, sampler, run.spec, n[model], reference, classifier)}
                print(model, label, json.dumps(row[label]), flush=True)
                if label == "trained" and args.media:
                    row["media"] = save_media(model, sampler, run.spec, Path(args.media))
            results[model] = row
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
