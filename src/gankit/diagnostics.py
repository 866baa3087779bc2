"""Pitfall alarms: detectors for the classic ways a GAN fails, run live while training.

Each detector reads the stream of log records (what ``metrics.jsonl`` holds, plus a few signals
this module measures on fixed noise) and says whether its pitfall is happening now. They are
plain classes over numbers, so they can be tested on made-up logs as well as on real runs:

- ``vanishing_gradients`` (D too strong): mean D(x) > 0.9 and D(G(z)) < 0.1 while G's gradient
  norm has fallen below a tenth of its peak, for ``window`` log steps in a row. Only for models
  whose D outputs probabilities (the BCE family) or 1/0 targets (LSGAN).
- ``mode_collapse``: the spread of samples on fixed noise (mean pairwise distance in the feature
  space of the dataset's domain classifier from :mod:`gankit.metrics` where one exists, else of
  pooled pixels, or of the points; as a ratio to the same measure on real data) falls below a floor
  (0.1 in classifier features and on points, 0.3 in pooled pixels), or below a third of its best
  value; with a classifier, the classes reached (classes predicted for at least a quarter of their
  share of the fixed samples) are at most a fifth of those that 64 real images reach (2 of 10 on
  mnist5k and Fashion-MNIST), or fall to a third of their best; on ``ring8``/``grid25``, the modes
  reached (the same rule with the nearest mode) fall to half. Checked after a warm-up (an untrained
  G is not collapsed, just untrained), ``window`` logs in a row.
- ``not_learning`` (images): after the warm-up, the samples on fixed noise are no closer to the real
  data than an untrained G's: ``fd_vs_blank``, the Frechet distance of their pooled pixels to those
  of the real sample as a ratio to a blank mid-gray image's (what an untrained G draws: 0.99-1.00
  measured at step 1), stays above 0.75 for ``window`` logs in a row.
- ``divergence``: a gradient norm above 1e5, or 1000x above its median so far, a D or G loss beyond
  +-1e9, or a gradient norm of exactly 0 for 3 logs in a row (dead gradients; NaN/inf losses
  are caught by the engine). Training stops at once with :class:`TrainingDiverged` (exit code 3), before the
  checkpoint of that step is written, so the last good checkpoint is kept.
- ``oscillation`` (failure to converge): over a window of 10 logs after the warm-up, the G loss
  swings up and down by more than 30% of its level while the mean quality signal (an eval metric from ``--eval-every``,
  or the share of high-quality samples on toy data) does not improve. Without a quality signal it stays silent:
  swinging losses alone are normal in a GAN.

The absolute rules (the floors, the fifth of the classes, ``not_learning``) are for runs bad from
their first log, which the best-relative rules never caught (issue 19): a gan (MLP) on mnist5k at
the default settings reaches 1 class of 10 at every log while its classifier spread stays at
0.15-0.90, and an lsgan draws one gray checkerboard for every z at classifier spread 0.15-0.21.
Measured (fp32, one thread, seed 0, from step 200 on; docs/alarms.md lists the runs): collapsed or
stuck runs reach 1 class and spread 0.04-0.13 in pooled pixels; stuck ones (lsgan at widths 64,
32 and 16) keep ``fd_vs_blank`` at 0.86-1.24, while the collapsed gan learns the mean blob
(0.17-0.55). Healthy runs reach 3 classes or more (a dcgan on mnist5k 2 at step 200, then 4; a
dcgan on emoji 1-3 of the 7 groups that real emoji reach, 1 at single logs only), spread 0.75-1.03
in pooled pixels, and keep ``fd_vs_blank`` at most 0.18, but 0.54-0.58 for wgan, the slowest
starter, and 0.50-0.60 for the emoji dcgan: 0.75 lies between those and the stuck runs' 0.86.
Pooled pixels judge "not learning", not the classifier's features: its distances mean nothing on
images unlike its data (a gray checkerboard scores 0.28 of the blank's on Fashion-MNIST, as close
as a learning wgan's 0.24). On toy points the ratio cannot tell stuck from early (a healthy gan on
ring8 swings at 0.5-1.9 of an all-at-the-origin G's until step 525), so it is not measured there.

Alarms are added to each record as ``alarms: [names]`` (so they are in ``metrics.jsonl``), shown
in the progress bar, printed once when they start, kept as episodes in ``diagnostics.json`` and
shown in ``gankit report``.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from pathlib import Path

import torch

from .callbacks import register_callback
from .engine import DIVERGENCE_ADVICE, Callback
from .errors import TrainingDiverged
from .safe_write import write_text

ADVICE = {
    "vanishing_gradients": (
        "the discriminator wins outright (D(x)~1, D(G(z))~0) and the generator's gradient has collapsed, so G "
        "stops learning; what usually helps: the non-saturating G loss (--g-loss non-saturating), a lower "
        "--lr-d or fewer D steps (--n-critic 1), one-sided label smoothing or instance noise, a smaller D, "
        "or a Wasserstein/hinge loss with a gradient penalty"),
    "mode_collapse": (
        "samples on fixed noise have little diversity, or lost it (the generator maps many z to few outputs); "
        "what usually helps: a lower learning rate, minibatch discrimination or feature matching, a Wasserstein "
        "loss with gradient penalty (wgan-gp), more D steps, or restarting from an earlier checkpoint that had "
        "diversity"),
    "not_learning": (
        "after the warm-up, samples on fixed noise are still no closer to the real data than an untrained "
        "generator's (look at samples/): G is stuck, e.g. on one texture for every z, or starting very slowly; "
        "what usually helps: the DCGAN nets (--arch dcgan, or --model dcgan), a Wasserstein loss with gradient "
        "penalty (wgan-gp), or more steps if the latest samples have just started to change"),
    "divergence": DIVERGENCE_ADVICE,
    "oscillation": (
        "losses swing up and down while the quality metric does not improve (the game is cycling, not "
        "converging); what usually helps: lower learning rates, a two time-scale rule (--lr-d about 2-4x "
        "--lr-g), Adam with beta1=0.5, an EMA of G's weights, or a gradient penalty"),
}
#: quality keys a detector may use, and whether larger is better (eval metrics from the metrics issue)
QUALITY_KEYS = {"fid": False, "kid": False, "swd": False, "coverage": True, "recall": True, "precision": True,
                "inception_score": True, "high_quality": True}


def _num(record: dict, key: str) -> float | None:
    v = record.get(key)
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return float(v)
    return None


class Detector:
    """Feeds on one record at a time; ``update`` returns True while the pitfall is present."""

    name = ""

    def update(self, record: dict) -> bool:
        raise NotImplementedError


class VanishingGradients(Detector):
    name = "vanishing_gradients"

    def __init__(self, window: int = 5, d_high: float = 0.9, d_low: float = 0.1, collapse: float = 0.1):
        self.window, self.d_high, self.d_low, self.collapse = window, d_high, d_low, collapse
        self.peak_g = 0.0
        self.streak = 0

    def update(self, record: dict) -> bool:
        d_real, d_fake, g = _num(record, "d_real"), _num(record, "d_fake"), _num(record, "grad_norm_g")
        if d_real is None or d_fake is None or g is None or not (0 <= d_real <= 1 and 0 <= d_fake <= 1):
            return False  # no probabilities to read (e.g. a critic without a sigmoid)
        self.peak_g = max(self.peak_g, g)
        saturated = d_real > self.d_high and d_fake < self.d_low
        collapsed = g < self.collapse * self.peak_g
        self.streak = self.streak + 1 if (saturated and collapsed) else 0
        return self.streak >= self.window


class ModeCollapse(Detector):
    """Few distinct samples, judged against the run's own best and against the real data (absolute:
    a run collapsed from its first log has no better best to fall from). ``real_classes``: the
    classes that real images reach by the same rule (None: no classifier). ``reason`` says which
    rule fired."""

    name = "mode_collapse"

    def __init__(self, window: int = 3, warmup_step: int = 0, floor: float = 0.1, drop: float = 1 / 3,
                 real_classes: int | None = None, class_share: float = 1 / 5):
        self.window, self.warmup_step, self.floor, self.drop = window, warmup_step, floor, drop
        self.real_classes, self.class_share = real_classes, class_share
        self.peak_div = 0.0
        self.peak_modes = 0
        self.peak_classes = 0
        self.streak = 0
        self.reason = ""

    def _why(self, div, modes, classes) -> str:
        """Which rule holds for this record ("" when none); the bests are updated first."""
        if classes is not None:
            self.peak_classes = max(self.peak_classes, int(classes))
        if div is not None:
            self.peak_div = max(self.peak_div, min(div, 1.0))  # noise from an untrained G is not "more diverse"
        if modes is not None:
            self.peak_modes = max(self.peak_modes, int(modes))
        if classes is not None and self.real_classes and classes <= self.class_share * self.real_classes:
            return f"samples reach {classes:.0f} of the {self.real_classes} classes that real images reach"
        if classes is not None and self.peak_classes >= 4 and classes <= self.peak_classes / 3:
            return f"classes reached fell from {self.peak_classes} to {classes:.0f}"
        if div is not None and div < self.floor:
            return f"diversity is {div:.3g} of the real data's (below {self.floor:g})"
        if div is not None and div < self.drop * self.peak_div:
            return f"diversity fell from {self.peak_div:.3g} to {div:.3g} of the real data's"
        if modes is not None and self.peak_modes >= 4 and modes <= self.peak_modes / 2:
            return f"modes reached fell from {self.peak_modes} to {modes:.0f}"
        return ""

    def update(self, record: dict) -> bool:
        why = self._why(_num(record, "diversity"), _num(record, "modes_reached"), _num(record, "classes_reached"))
        if record.get("step", 0) < self.warmup_step:
            self.streak = 0
            return False
        self.streak = self.streak + 1 if why else 0
        if why:
            self.reason = why
        return self.streak >= self.window


class NotLearning(Detector):
    """``fd_vs_blank`` (fixed samples' distance to the real data, as a ratio to a blank image's, see
    :meth:`PitfallAlarms.measure`) above ``ratio`` for ``window`` logs after the warm-up: the samples
    are no closer to the data than an untrained G's (the module docstring has the measurements)."""

    name = "not_learning"

    def __init__(self, window: int = 3, warmup_step: int = 0, ratio: float = 0.75):
        self.window, self.warmup_step, self.ratio = window, warmup_step, ratio
        self.streak = 0
        self.reason = ""

    def update(self, record: dict) -> bool:
        r = _num(record, "fd_vs_blank")
        if r is None or record.get("step", 0) < self.warmup_step:
            self.streak = 0
            return False
        self.streak = self.streak + 1 if r > self.ratio else 0
        if r > self.ratio:
            self.reason = (f"the fixed samples' distance to the real data is {r:.2f} of a blank image's "
                           f"(above {self.ratio:g})")
        return self.streak >= self.window


class Divergence(Detector):
    """Exploding gradient norms (NaN/inf is the engine's check). ``message`` says what happened."""

    name = "divergence"

    def __init__(self, factor: float = 1000.0, min_history: int = 3, limit: float = 1e5, loss_limit: float = 1e9,
                 dead_window: int = 3):
        self.factor, self.min_history, self.limit = factor, min_history, limit
        self.loss_limit, self.dead_window = loss_limit, dead_window
        self.history: dict[str, list[float]] = {"grad_norm_d": [], "grad_norm_g": []}
        self.dead: dict[str, int] = {"grad_norm_d": 0, "grad_norm_g": 0}
        self.message = ""

    def update(self, record: dict) -> bool:
        # an absurd learning rate can leave losses at 1e14 with finite numbers and gradients at exactly 0:
        # neither NaN nor a large gradient, so both are checked for themselves
        for key in ("d_loss", "g_loss"):
            v = _num(record, key)
            if v is not None and abs(v) > self.loss_limit:
                self.message = f"{key} exploded to {v:.3g} (beyond +-{self.loss_limit:.0e})"
                return True
        for key in self.dead:
            v = _num(record, key)
            if v is None:
                continue
            self.dead[key] = self.dead[key] + 1 if v == 0.0 else 0
            if self.dead[key] >= self.dead_window:
                self.message = (f"{key} has been exactly 0 for {self.dead_window} logs in a row (dead gradients: "
                                "that net no longer learns)")
                return True
        for key, past in self.history.items():
            v = _num(record, key)
            if v is None:
                continue
            if v > self.limit:
                self.message = f"{key} exploded to {v:.3g} (above {self.limit:.0e})"
                return True
            if len(past) >= self.min_history:
                median = statistics.median(past)
                if v > self.factor * max(median, 1e-6):
                    self.message = (f"{key} exploded to {v:.3g}, {v / max(median, 1e-6):.0f}x its median so far "
                                    f"({median:.3g})")
                    return True
            past.append(v)
        return False


class Oscillation(Detector):
    """G loss swinging (range over the window above ``swing`` x its median level, direction turning
    at least ``turns`` of the time) while the mean quality of the last window is no better than the
    window before (by ``tol``), for ``persist`` logs in a row."""

    name = "oscillation"

    def __init__(self, window: int = 10, swing: float = 0.3, turns: float = 0.5, tol: float = 0.05,
                 persist: int = 3, warmup_step: int = 0):
        self.window, self.swing, self.turns, self.tol = window, swing, turns, tol
        self.persist, self.warmup_step = persist, warmup_step
        self.records: list[dict] = []
        self.streak = 0

    def _quality(self) -> tuple[str, bool] | None:
        for key, higher in QUALITY_KEYS.items():
            if any(_num(r, key) is not None for r in self.records[-2 * self.window:]):
                return key, higher
        return None

    def _swinging(self) -> bool:
        losses = [_num(r, "g_loss") for r in self.records[-self.window:]]
        if any(v is None for v in losses):
            return False
        level = statistics.median(abs(v) for v in losses) + 1e-8
        diffs = [b - a for a, b in zip(losses, losses[1:])]
        turns = sum(1 for a, b in zip(diffs, diffs[1:]) if a * b < 0) / max(1, len(diffs) - 1)
        return (max(losses) - min(losses)) / level > self.swing and turns >= self.turns

    def _improving(self, key: str, higher: bool) -> bool:
        def mean(rs):
            vals = [v for v in (_num(r, key) for r in rs) if v is not None]
            return statistics.fmean(vals) if vals else None

        recent, before = mean(self.records[-self.window:]), mean(self.records[-2 * self.window:-self.window])
        if recent is None or before is None:
            return True  # no evidence either way: stay silent
        margin = self.tol * max(abs(before), 0.2 if higher else 0.0)
        return recent > before + margin if higher else recent < before - margin

    def update(self, record: dict) -> bool:
        if record.get("step", 0) < self.warmup_step:
            return False
        self.records.append(record)
        quality = self._quality() if len(self.records) >= 2 * self.window else None
        failing = quality is not None and self._swinging() and not self._improving(*quality)
        self.streak = self.streak + 1 if failing else 0
        return self.streak >= self.persist


def episodes_from_records(records: list[dict]) -> list[dict]:
    """Alarm episodes (name, first and last step) from the ``alarms`` lists of logged records."""
    open_: dict[str, dict] = {}
    done = []
    for r in records:
        active = set(r.get("alarms") or [])
        for name in list(open_):
            if name not in active:
                done.append(open_.pop(name))
        for name in active:
            if name in open_:
                open_[name]["last_step"] = r.get("step")
            else:
                open_[name] = {"alarm": name, "first_step": r.get("step"), "last_step": r.get("step"),
                               "message": ADVICE.get(name, "")}
    return sorted(done + list(open_.values()), key=lambda e: (e["first_step"] or 0))


# -- signals measured on fixed noise ----------------------------------------------------------
def features(x: torch.Tensor, kind: str) -> torch.Tensor:
    """What diversity is measured on: pooled pixels (8x8 per channel, in [-1, 1]), raw points, a
    clip's loudness envelope (64 windows of mean |wave|: silence, noise and words differ there), or
    a text's one-hot characters per position (distance = how many positions differ)."""
    if kind == "image" and x.dtype == torch.uint8:
        x = x.float() / 127.5 - 1
    if kind == "text":
        ids = x.detach().long().cpu()
        return torch.nn.functional.one_hot(ids, int(ids.max()) + 1 if ids.numel() else 1).float().flatten(1)
    x = x.detach().float()
    if kind == "image":
        x = torch.nn.functional.adaptive_avg_pool2d(x, 8)
    elif kind == "audio":
        x = torch.nn.functional.adaptive_avg_pool1d(x.abs().flatten(1).unsqueeze(1), 64)
    return x.flatten(1).cpu()


def _saved_episodes(run_dir: Path) -> list[dict]:
    """The alarm episodes a resumed run goes on from, all closed: those of ``diagnostics.json`` that
    are readable (what is left out is one ``gankit: warning: skipped`` line, see
    :class:`~gankit.viz.runfiles.RunFiles`), or, when it is absent or unreadable, those rebuilt from
    the ``alarms`` of ``metrics.jsonl``."""
    from .viz.runfiles import RunFiles, read_metrics

    episodes = RunFiles(run_dir).episodes
    if episodes is None:
        episodes = episodes_from_records(read_metrics(run_dir))
    return [dict(e, open=False) for e in episodes]


def domain_extractor(dataset):
    """The domain classifier of :mod:`gankit.metrics` for this dataset, if one is shipped or trained
    and it accepts these images; else None (diversity is then measured on pooled pixels)."""
    try:
        from .metrics.features import classifier_extractor

        extractor = classifier_extractor(dataset.spec.name)
        out = extractor(dataset.data[:2])
        if out["features"].shape[0] != 2:
            return None
        return extractor
    except Exception:  # no classifier for this data, other image size, metrics not installed
        return None


def reached(labels: torch.Tensor, k: int, share: float = 0.25) -> int:
    """How many of ``k`` classes/modes get at least ``share`` of their expected count."""
    counts = torch.bincount(labels.flatten().long(), minlength=k)
    return int((counts >= share * len(labels) / k).sum())


def mean_pairwise_distance(f: torch.Tensor) -> float:
    n = f.shape[0]
    if n < 2:
        return 0.0
    d = torch.cdist(f, f)
    return float(d.sum() / (n * (n - 1)))


def frechet(a: torch.Tensor, b: torch.Tensor) -> float:
    """Frechet distance between two (N, D) feature sets (:func:`gankit.metrics.fid.fid`)."""
    from .metrics.fid import fid

    return fid(a, b)


class PitfallAlarms(Callback):
    """Measures the signals, runs the detectors, and reports alarms (see the module docstring)."""

    main_only = True  # rank 0 watches for every process (gankit.engine.Callback)

    def __init__(self, run_dir: Path, dataset, total_steps: int | None, window: int = 3,
                 d_is_probability: bool = True):
        from .data import to_model_space

        self.run_dir = Path(run_dir)
        self.spec = dataset.spec
        g = torch.Generator().manual_seed(12345)
        n = 256 if self.spec.kind == "points" else 64
        idx = torch.randperm(len(dataset), generator=g)[:n]
        self.extractor = domain_extractor(dataset) if self.spec.kind == "image" else None
        real = to_model_space(dataset.data[idx], self.spec)
        self.real_plain = features(real, self.spec.kind)  # pooled pixels or points: what not_learning reads
        self.real_classes = None
        if self.extractor is not None:
            result = self.extractor(dataset.data[idx])
            real_features = result["features"]
            if result["logits"] is not None:
                self.real_classes = reached(result["logits"].argmax(1), result["logits"].shape[1])
        else:
            real_features = self.real_plain
        self.real_diversity = max(mean_pairwise_distance(real_features), 1e-8)
        # an untrained G draws a near-blank mid-gray image (0 in model space): the yardstick of "not learning",
        # taken from the data alone, so that a resumed run has the same one
        # (images only: on text's one-hot characters, thousands of dimensions, it cost minutes and is never read)
        self.blank_distance = (max(frechet(torch.zeros_like(self.real_plain), self.real_plain), 1e-8)
                               if self.spec.kind == "image" else None)
        self.toy = self.spec.kind == "points" and "centres" in self.spec.extra
        self.diag_inputs = None
        warmup = max(200, int(0.1 * total_steps)) if total_steps else 200
        # pooled pixels spread less than classifier features: collapsed runs measured 0.04-0.13 there,
        # healthy ones 0.75 and more after the warm-up (docs/alarms.md)
        floor = 0.3 if self.spec.kind == "image" and self.extractor is None else 0.1
        self.detectors = [ModeCollapse(window=window, warmup_step=warmup, floor=floor, real_classes=self.real_classes),
                          NotLearning(window=window, warmup_step=warmup), Oscillation(warmup_step=warmup)]
        if d_is_probability:  # D(x), D(G(z)) are probabilities (BCE family) or 1/0 targets (LSGAN)
            self.detectors.insert(0, VanishingGradients(window=max(window, 5)))
        self.divergence = Divergence()
        self.active: set[str] = set()
        self.episodes: list[dict] = _saved_episodes(self.run_dir)  # a resumed run keeps its history

    @torch.no_grad()
    def measure(self, view) -> dict:
        """Diversity of samples on fixed noise (ratio to real data), their distance to the real data
        (ratio to a blank image's); classes reached with a classifier, modes covered on toy data.
        ``view`` is the :class:`~gankit.engine.TrainerView` (anything with ``generate_fixed()``
        and, on toy data, ``sampler()``)."""
        out = {}
        if self.toy:
            from .data import mode_coverage

            sampler = view.sampler()
            if self.diag_inputs is None:  # 1000 fixed z; a conditional sampler cycles through the classes
                self.diag_inputs = sampler.grid_inputs(1000, seed=view.config.seed + 7)
            points = sampler.generate(self.diag_inputs)
            cov = mode_coverage(points, self.spec)
            out["modes_covered"] = cov["modes_covered"]
            out["modes_reached"] = reached(cov["nearest_mode"], cov["num_modes"])
            out["high_quality"] = round(cov["high_quality"], 4)
            f = features(points[:256], "points")
        else:
            samples = view.generate_fixed()
            f = features(samples, self.spec.kind)
            if self.spec.kind == "image" and len(f) >= 2:  # on toy points it cannot tell stuck from early
                out["fd_vs_blank"] = round(frechet(f, self.real_plain) / self.blank_distance, 4)
            if self.extractor is not None:
                result = self.extractor(samples)
                f = result["features"]
                if result["logits"] is not None:
                    out["classes_reached"] = reached(result["logits"].argmax(1), result["logits"].shape[1])
        out["diversity"] = round(mean_pairwise_distance(f) / self.real_diversity, 4)
        return out

    def on_diverged(self, view, error: Exception) -> None:
        """NaN/inf found by the engine, or exploding gradients found here: kept for the report."""
        if not any(e["alarm"] == "divergence" for e in self.episodes):
            self._start("divergence", view.step, str(error), quiet=True)
        self._save()

    def on_log(self, view, record: dict) -> None:
        if self.divergence.update(record):
            self._start("divergence", record["step"], self.divergence.message)
            self._save()
            last = view.run_dir / "checkpoints" / "last.pt"
            kept = (f"the last good checkpoint is kept in {last.parent}" if last.is_file()
                    else "no checkpoint was saved yet")
            raise TrainingDiverged(
                f"training diverged at step {record['step']}: {self.divergence.message}; stopped before saving, "
                f"{kept} ({ADVICE['divergence']})")
        record.update(self.measure(view))
        fired = {d.name: d for d in self.detectors if d.update(record)}
        now = set(fired)
        for name in sorted(now - self.active):
            why = getattr(fired[name], "reason", "")  # which rule: the same alarm has several
            self._start(name, record["step"], f"{why}; {ADVICE[name]}" if why else ADVICE[name], quiet=view.quiet)
        for e in self.episodes:
            if e["alarm"] in now and e["last_step"] is not None and e.get("open"):
                e["last_step"] = record["step"]
        for e in self.episodes:
            if e["alarm"] in self.active - now and e.get("open"):
                e["open"] = False
        if now != self.active:
            self.active = now
            self._save()
        if now:
            record["alarms"] = sorted(now)

    def on_end(self, view) -> None:
        self._save()

    def _start(self, name: str, step: int, message: str, quiet: bool = False) -> None:
        self.episodes.append({"alarm": name, "first_step": step, "last_step": step, "message": message,
                              "open": True})
        if not quiet and name != "divergence":
            from tqdm.auto import tqdm

            tqdm.write(f"gankit: warning: step {step}: {name.replace('_', ' ')}: {message}", file=sys.stderr)

    def _save(self) -> None:
        doc = {"episodes": [{k: v for k, v in e.items() if k != "open"} for e in self.episodes]}
        write_text(self.run_dir / "diagnostics.json", json.dumps(doc, indent=1), root=self.run_dir)


@register_callback
def _pitfall_alarms(cfg, run_dir, dataset):
    if not getattr(cfg, "diagnostics", True):
        return None
    from .models import get_model

    # critics (WGAN) and energies (EBGAN, BEGAN) log d_real/d_fake on other scales: no D-too-strong rule there
    probability = bool(get_model(cfg.model).d_probability)
    if hasattr(dataset, "b"):  # translation: outputs are judged against the target domain's images
        from .data.base import Dataset

        dataset = Dataset(dataset.spec, dataset.b)
    return PitfallAlarms(run_dir, dataset, cfg.steps, d_is_probability=probability)
