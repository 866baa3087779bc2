"""The spoken-digit classifier: a small CNN on log-mel spectrograms, the feature extractor of the audio
metrics (:mod:`gankit.metrics.audio`), as the domain classifiers are for images.

Why our own network: the audio GAN papers score SC09 with a classifier trained on SC09; ``spoken-digits``
is our own synthetic set, so its classifier is trained on its *train voices* only and its accuracy is
measured on the test voices, which it has never heard. It ships inside the package
(``gankit/weights/spoken-digits-classifier.pt``, < 1 MB, with a JSON sidecar of its accuracy and the
command that made it), so a score published with gankit means the same network everywhere.

Input: waves (N, 1, 16384) float in [-1, 1] (int16 PCM is scaled by 1/32768) -> 64-band log-mel
spectrogram (n_fft 1024, hop 256: 64 frames), in dB relative to the clip's loudest bin (so loudness is
no cue; a clip whose loudest bin is under -40 dB is measured against -40 dB instead, so near-silence
stays dark), clipped to 80 dB of range and scaled to [-1, 1]. Net: four 3x3 conv blocks (BatchNorm,
ReLU; 64x64 -> 32 -> 16 -> 8 -> 8: strided from the first layer, which is 2.7x faster on a CPU than a
full-resolution first layer), average-pooled to 2x2, a 128-d ReLU layer (``features``: FID) and a
linear head (``forward``: logits, the inception-style score). About 164k parameters, 7M
multiply-adds per clip.

Training (:func:`train`): AdamW, one-cycle learning rate, no label smoothing (it would cap the
softmax's confidence and with it the inception-style score of real clips: 6.24 with smoothing 0.1,
9.95 without, measured); each clip is shifted in
time by up to 0.1 s and, half of the time, gets white noise 10..40 dB under its peak, so that a
generator's slightly noisy or off-centre words are still read as words. Deterministic on one thread.
Reproduce the shipped file with ``python -m gankit.audio.classifier --out src/gankit/weights/spoken-digits-classifier.pt``.
"""

from __future__ import annotations

import argparse
import json
import time
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn

from ..errors import GankitError

FEATURE_DIM = 128
N_MELS = 64
N_FFT = 1024
HOP = 256
SAMPLE_RATE = 16000
LENGTH = 16384
DB_RANGE = 80.0
QUIET_DB = -40.0
FORMAT = "gankit-audio-classifier-1"
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "weights" / "spoken-digits-classifier.pt"


def as_float_waves(waves: torch.Tensor) -> torch.Tensor:
    """(N, 1, T) float in [-1, 1] from int16 PCM or float waves shaped (N, 1, T) or (N, T)."""
    waves = torch.as_tensor(waves)
    x = waves.float() / 32768.0 if waves.dtype == torch.int16 else waves.float()
    if x.dim() == 2:
        x = x[:, None]
    if x.dim() != 3 or x.shape[1] != 1:
        raise GankitError(f"audio clips must be shaped (N, 1, samples), not {tuple(waves.shape)} (reshape them)")
    return x


def log_mel_input(waves: torch.Tensor) -> torch.Tensor:
    """The net's input (N, 1, 64, frames) in [-1, 1]: see the module doc."""
    from .spectrogram import log_mel_spectrogram

    x = as_float_waves(waves)
    db = log_mel_spectrogram(x, SAMPLE_RATE, N_FFT, HOP, N_MELS, floor_db=-120.0)[..., :-1]
    ref = db.amax(dim=(1, 2), keepdim=True).clamp_min(QUIET_DB)
    rel = (db - ref).clamp(-DB_RANGE, 0.0)
    return (rel / (DB_RANGE / 2) + 1.0).unsqueeze(1)


class SpokenDigitClassifier(nn.Module):
    """waves (N, 1, 16384) -> 128-d features -> 10 word logits."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.num_classes = num_classes

        def block(c_in, c_out, stride):
            return [nn.Conv2d(c_in, c_out, 3, stride, padding=1, bias=False), nn.BatchNorm2d(c_out),
                    nn.ReLU(inplace=True)]

        self.body = nn.Sequential(
            *block(1, 16, 2), *block(16, 32, 2), *block(32, 64, 2), *block(64, 128, 1),
            nn.AdaptiveAvgPool2d(2), nn.Flatten(),
            nn.Linear(128 * 4, FEATURE_DIM), nn.ReLU(inplace=True),
        )
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(FEATURE_DIM, num_classes)

    def features_of_input(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def features(self, waves: torch.Tensor) -> torch.Tensor:
        return self.body(log_mel_input(waves))

    def forward(self, waves: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.features(waves)))


@torch.no_grad()
def features_and_logits(model: SpokenDigitClassifier, waves: torch.Tensor, batch_size: int = 256
                        ) -> tuple[torch.Tensor, torch.Tensor]:
    """(features (N, 128), logits (N, classes)) of ``waves`` in batches, in eval mode, on the model's device."""
    model.eval()
    device = next(model.parameters()).device
    feats, logits = [], []
    for part in torch.as_tensor(waves).split(batch_size):
        f = model.features(part.to(device))
        feats.append(f.cpu())
        logits.append(model.head(f).cpu())
    if not feats:
        raise GankitError("no audio clips to score (generate at least 2)")
    return torch.cat(feats).double(), torch.cat(logits).double()


def accuracy(model: SpokenDigitClassifier, waves: torch.Tensor, labels: torch.Tensor) -> float:
    _, logits = features_and_logits(model, waves)
    return float((logits.argmax(1) == labels).double().mean())


def _augment(x: torch.Tensor, gen: torch.Generator, max_shift: int = 1600) -> torch.Tensor:
    """Shift each clip by up to ``max_shift`` samples (zeros come in) and add white noise to half of them."""
    n, _, t = x.shape
    shifts = torch.randint(-max_shift, max_shift + 1, (n,), generator=gen)
    idx = torch.arange(t)[None] - shifts[:, None]
    valid = (idx >= 0) & (idx < t)
    out = x[:, 0].gather(1, idx.clamp(0, t - 1)) * valid
    peak = out.abs().amax(1, keepdim=True)
    db = 10 + 30 * torch.rand(n, 1, generator=gen)
    noisy = torch.rand(n, 1, generator=gen) < 0.5
    noise = torch.randn(n, t, generator=gen) * peak * 10 ** (-db / 20) * noisy
    return (out + noise).unsqueeze(1)


def train(out: str | Path | None = DEFAULT_PATH, epochs: int = 10, seed: int = 0, batch_size: int = 64,
          lr: float = 3e-3, limit: int | None = None, quiet: bool = False, command: str = "") -> tuple[
              SpokenDigitClassifier, dict]:
    """Train on the train voices of ``spoken-digits``, measure on the unseen test voices, save to ``out``
    (weights + a ``.json`` sidecar; nothing saved when ``out`` is None). ``limit``: fewer train clips (tests)."""
    from ..data.spoken_digits import SPLIT_RULE, load_spoken_digits

    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    train_set, test_set = load_spoken_digits("train"), load_spoken_digits("test")
    if limit is not None:
        train_set = train_set.subset(limit, seed=seed)
    waves = train_set.data
    labels = train_set.labels
    model = SpokenDigitClassifier(train_set.spec.num_classes)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * ((len(waves) + batch_size - 1) // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(waves), generator=gen)
        total, seen = 0.0, 0
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            x = _augment(as_float_waves(waves[idx]), gen)
            loss = loss_fn(model.head(model.dropout(model.features_of_input(log_mel_input(x)))), labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
            seen += len(idx)
        if not quiet:
            print(f"epoch {epoch + 1}/{epochs}: loss {total / seen:.3f} ({time.perf_counter() - start:.0f} s)",
                  flush=True)
    seconds = time.perf_counter() - start
    model.eval()
    acc, train_acc, ceiling = real_numbers(model)
    meta = {
        "dataset": "spoken-digits", "arch": "audio-logmel-cnn", "format": FORMAT,
        "test_accuracy": round(acc, 4), "train_accuracy": round(train_acc, 4),
        "test_note": "test = the 26 espeak-ng voices never heard in training (" + SPLIT_RULE + ")",
        "num_classes": train_set.spec.num_classes, "class_names": list(train_set.spec.class_names),
        "sample_rate": SAMPLE_RATE, "samples": LENGTH, "n_mels": N_MELS, "n_fft": N_FFT, "hop": HOP,
        "seed": seed, "epochs": epochs, "batch_size": batch_size, "lr": lr,
        **ceiling,
        "train_clips": len(waves), "test_clips": len(test_set), "train_seconds": round(seconds, 1),
        "torch": str(torch.__version__), "threads": torch.get_num_threads(), "command": command,
    }
    if out is not None:
        save(model, meta, Path(out))
    return model, meta


def real_numbers(model: SpokenDigitClassifier) -> tuple[float, float, dict]:
    """(accuracy on the unseen test voices, on the train voices, the real clips' own scores): the
    test split's inception-style score and the Frechet distance of its features to those of as many
    train clips (seeded subset), as :func:`gankit.metrics.audio.real_ceiling` computes them."""
    from ..data.spoken_digits import load_spoken_digits
    from ..metrics.fid import fid
    from ..metrics.inception_score import inception_score

    test_set, train_set = load_spoken_digits("test"), load_spoken_digits("train")
    test_f, test_l = features_and_logits(model, test_set.data)
    acc = float((test_l.argmax(1) == test_set.labels).double().mean())
    train_acc = accuracy(model, train_set.data, train_set.labels)
    sub = train_set.subset(len(test_set), seed=0)
    sub_f, _ = features_and_logits(model, sub.data)
    return acc, train_acc, {"real_test_inception_score": round(inception_score(test_l)["is"], 3),
                            "fid_test_vs_train": round(fid(test_f, sub_f), 4)}


def save(model: SpokenDigitClassifier, meta: dict, out: Path) -> None:
    """Weights and metadata in one file loadable with ``weights_only=True``, plus a JSON sidecar."""
    from ..safe_write import atomic_output

    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_output(out) as tmp:
        torch.save({"format": FORMAT, "meta": meta, "state_dict": state}, tmp)
    with atomic_output(out.with_suffix(".json")) as tmp:
        tmp.write_text(json.dumps(meta, indent=2) + "\n")


@lru_cache(maxsize=4)
def _load(path_str: str, mtime: float) -> tuple[SpokenDigitClassifier, dict, str]:
    from ..metrics.weights import file_hash

    try:
        blob = torch.load(path_str, map_location="cpu", weights_only=True)
        if blob.get("format") != FORMAT:
            raise ValueError(blob.get("format"))
        with torch.random.fork_rng(devices=[]):  # the random init is overwritten: leave the caller's RNG alone
            model = SpokenDigitClassifier(int(blob["meta"]["num_classes"]))
        model.load_state_dict(blob["state_dict"])
    except Exception as e:  # noqa: BLE001 (a corrupt or foreign file, whatever breaks: one line)
        raise GankitError(f"{path_str} is not a gankit spoken-digit classifier ({type(e).__name__}; retrain it: "
                          "python -m gankit.audio.classifier --out PATH)") from None
    return model.eval(), dict(blob["meta"]), file_hash(Path(path_str))


def load_audio_classifier(path: str | Path | None = None) -> tuple[SpokenDigitClassifier, dict, str]:
    """(model in eval mode on the CPU, metadata, short sha256 of the file): the shipped weights by default.
    Cached per file and modification time: move it to a device as a copy (``copy.deepcopy``)."""
    p = Path(path).expanduser() if path is not None else DEFAULT_PATH
    if not p.is_file():
        raise GankitError(f"spoken-digit classifier weights {p} not found (train them: python -m "
                          "gankit.audio.classifier --out PATH)")
    return _load(str(p), p.stat().st_mtime)


def main(argv: list[str] | None = None) -> None:
    import sys

    ap = argparse.ArgumentParser(prog="python -m gankit.audio.classifier",
                                 description="Train the spoken-digit classifier of the audio metrics.")
    ap.add_argument("--out", default=str(DEFAULT_PATH), help="weights file (a .json sidecar is written beside it)")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (the shipped file: 1)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    command = "OMP_NUM_THREADS=1 python -m gankit.audio.classifier " + " ".join(sys.argv[1:] if argv is None else argv)
    try:
        _, meta = train(args.out, args.epochs, args.seed, args.batch_size, args.lr, quiet=args.quiet,
                        command=command.strip())
    except GankitError as e:
        print(f"gankit: error: {e}", file=sys.stderr)
        raise SystemExit(e.exit_code) from None
    print(json.dumps({k: meta[k] for k in ("test_accuracy", "train_accuracy", "train_seconds")}))


if __name__ == "__main__":
    main()
