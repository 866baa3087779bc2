"""The live lab of ``gankit serve``: 2D GANs trained while a page watches (docs/serve.md, "Lab").

In the spirit of GAN Lab (Kahng et al. 2018), but trained by gankit's own :class:`~gankit.engine.Trainer`
and Games (what ``gankit train`` runs on ``ring8``), so a lesson learnt here holds for the CLI. No web
code lives here: ``gankit.serve.app`` turns these objects into the HTTP API.

- :class:`LabSession`: one Trainer on 2D points, driven by ``control`` (play, pause, step, step D, step G,
  learning rates and n_critic changed on the fly) and drawn by ``frame``, the ``Frame`` of docs/serve.md.
- :class:`LabPool`: the open sessions (at most ``max_sessions``), closed after ``idle_seconds`` without a
  request, and one background thread that trains the playing ones in turn.

Every session has a lock (the pool's thread trains while request handlers read frames) and its own
torch RNG stream (the noise G and the losses draw), swapped in while it trains under a module-wide lock,
so a session replays the same way whatever the others do.
"""

from __future__ import annotations

import dataclasses
import math
import os
import secrets
import threading
import time
from contextlib import contextmanager
from functools import cache
from numbers import Real
from pathlib import Path

import torch

from ..conditioning import ConcatDiscriminator
from ..config import TrainConfig
from ..data.base import Dataset, DataSpec
from ..data.toy import load_toy, mode_coverage
from ..engine import Trainer
from ..errors import GankitError
from ..models import MODELS, build_game, get_model, resolve
from ..precision import resolve_precision

LAB_DATASETS = ("ring8", "grid25", "custom")
ACTIONS = ("play", "pause", "step", "step_d", "step_g")

#: real points per batch: gankit train's default --batch-size, so what the lab shows holds for the CLI. On a
#: CPU a step of these MLPs is mostly fixed cost: measured on one thread (gan, ring8) 15 ms a step at 64, 19 at
#: 128, 26 at 256, while 800 steps reached about the same energy distance at 64 and at 256 (0.075 and 0.045,
#: from 1.45): 64 learns fastest per second, and the page moves the most.
BATCH_SIZE = 64
LR_RANGE = (0.0, 1.0)            # lr in (0, 1]
N_CRITIC_RANGE = (1, 20)
SEED_MAX = 2**31 - 1
POINTS_RANGE = (8, 2000)         # how many custom points
COORD_LIMIT = 10.0               # each custom coordinate in -10..10
#: a custom drawing becomes CUSTOM_SIZE points: the drawn ones resampled with Gaussian jitter of this share
#: of the drawing's extent (ring8's std is 0.5% of its extent, grid25's 0.6%)
CUSTOM_SIZE, CUSTOM_JITTER = 20_000, 0.005

N_REAL = 500                     # real points shown, and the reals of the energy distance
N_FAKE = 1000                    # fixed fakes: modes covered on all, the first N_SHOWN shown and in the energy distance
N_SHOWN = 500
N_ARROWS = 100
GRID_SIZE, GRID_SPAN = 15, 2.5   # G's image of a 15 x 15 lattice over [-2.5, 2.5]^2 in z
HEATMAP_SIZE = 32
ARROW_LENGTH = 0.08              # the longest arrow of a frame, as a share of the view box's width
BOX_MARGIN, BOX_MIN_HALF = 1.5, 0.5
LOSS_HISTORY = 300
ROUND = 4                        # decimals of the coordinates sent (1e-4: far below a pixel of the view box)
#: fixed-input seeds, offset from the session seed (away from the training stream, as the Trainer's grid is)
REAL_SEED, FAKE_SEED, GRID_SEED, ARROW_SEED = 1_000_003, 1_000_033, 1_000_037, 1_000_039

#: the global torch RNG is process-wide: whoever swaps a session's stream in holds this (see LabSession._rng)
_TORCH_RNG = threading.RLock()
#: where a lab's Trainer would write, if it ever did: it never saves or fits, and a path under the null
#: device cannot be created, so a write would fail loudly instead of leaving files behind
NO_RUN_DIR = Path(os.devnull) / "gankit-lab"


class LabError(GankitError):
    """A bad value for the lab (HTTP 400)."""


class LabFull(LabError):
    """Every lab session slot is taken (HTTP 429)."""


class UnknownSession(LabError):
    """No open lab session has this id (HTTP 404)."""


# -- the choices --------------------------------------------------------------------------------------
def lab_models() -> list[str]:
    """The registered recipes that train on 2D points with MLPs (their point defaults say ``arch: mlp``)."""
    return [name for name, info in MODELS.items()
            if info.point_defaults.get("arch") == "mlp" and not info.translation]


def lab_defaults(model: str) -> dict:
    """``{lr_d, lr_g, n_critic}`` of ``model`` on 2D points (its recipe's point defaults over its defaults)."""
    model = _check_model(model)
    info = get_model(model)
    defaults = {**info.defaults, **info.point_defaults}
    return {"lr_d": float(defaults["lr_d"]), "lr_g": float(defaults["lr_g"]), "n_critic": int(defaults["n_critic"])}


def energy_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """Székely's energy distance ``2 E|X-Y| - E|X-X'| - E|Y-Y'|`` of two point sets (N, d) and (M, d),
    Euclidean, every pair averaged (the V-statistic: the energy distance of the two empirical
    distributions, so >= 0, and 0 for identical sets; two point masses at distance d give 2d)."""
    a, b = a.float(), b.float()  # float32: 3x faster than float64 here, and ample for a number on a page
    return float(2 * torch.cdist(a, b).mean() - torch.cdist(a, a).mean() - torch.cdist(b, b).mean())


def _choices(values) -> str:
    return ", ".join(values)


def _check_model(model) -> str:
    models = lab_models()
    if model in models:
        return model
    if isinstance(model, str) and model in MODELS:
        raise LabError(f"{model} does not train on 2D points with MLPs, so the lab cannot run it "
                       f"(use one of: {_choices(models)})")
    raise LabError(f"unknown lab model {model!r} (use one of: {_choices(models)})")


def _check_dataset(dataset) -> str:
    if dataset not in LAB_DATASETS:
        raise LabError(f"unknown lab dataset {dataset!r} (use one of: {_choices(LAB_DATASETS)})")
    return dataset


def _check_lr(name: str, value) -> float | None:
    if value is None:
        return None
    low, high = LR_RANGE
    if not (isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
            and low < value <= high):
        raise LabError(f"{name} must be a number in ({low:g}, {high:g}], not {value!r} (e.g. {name}=0.001)")
    return float(value)


def _check_int(name: str, value, low: int, high: int, example: int) -> int | None:
    if value is None:
        return None
    if not (isinstance(value, int) and not isinstance(value, bool) and low <= value <= high):
        raise LabError(f"{name} must be a whole number in {low}..{high}, not {value!r} (e.g. {name}={example})")
    return int(value)


def _check_points(points) -> torch.Tensor:
    """The custom points as a float32 (N, 2) tensor, or a LabError naming the first bad one."""
    low, high = POINTS_RANGE
    if points is None:
        raise LabError(f"the custom dataset needs points: {low}..{high} [x, y] pairs (draw at least {low} points)")
    try:
        rows = list(points)
    except TypeError:
        raise LabError(f"points must be a list of [x, y] pairs, not {type(points).__name__} "
                       "(send e.g. [[0.5, 1.0], [1.2, -0.3], ...])") from None
    if not low <= len(rows) <= high:
        raise LabError(f"custom points must number {low}..{high}, not {len(rows)} "
                       f"({'draw more' if len(rows) < low else 'send fewer'} points)")
    out = []
    for i, p in enumerate(rows):
        try:
            x, y = p
        except (TypeError, ValueError):
            raise LabError(f"point {i} is {p!r}, not an [x, y] pair (send each point as two numbers)") from None
        for v in (x, y):
            if not (isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v)
                    and -COORD_LIMIT <= v <= COORD_LIMIT):
                raise LabError(f"point {i} is [{x!r}, {y!r}]: each coordinate must be a finite number in "
                               f"{-COORD_LIMIT:g}..{COORD_LIMIT:g} (move the point inside that square)")
        out.append((float(x), float(y)))
    return torch.tensor(out, dtype=torch.float32)


# -- the data -----------------------------------------------------------------------------------------
@cache
def _toy(name: str) -> Dataset:
    """ring8 / grid25 as ``gankit train`` loads them (seed 0); tensors no one writes, so shared."""
    return load_toy(name, seed=0)


def _custom_dataset(points: torch.Tensor) -> Dataset:
    """The drawn points as an unconditional dataset: resampled to CUSTOM_SIZE with Gaussian jitter.

    Resampled, because a batch of BATCH_SIZE is drawn without replacement and a drawing may hold 8 points;
    jittered (std CUSTOM_JITTER of the drawing's extent, at least 1), because a handful of exact points
    is a sum of Diracs no continuous G can match: with the jitter it is a mixture of narrow Gaussians, as
    ring8 is, and the picture reads the same way. The jitter is seeded (0), like the toy sets."""
    span = float((points.max(0).values - points.min(0).values).max())
    std = CUSTOM_JITTER * max(span, 1.0)
    g = torch.Generator().manual_seed(0)
    idx = torch.randint(len(points), (CUSTOM_SIZE,), generator=g)
    data = points[idx] + std * torch.randn(CUSTOM_SIZE, 2, generator=g)
    spec = DataSpec(name="custom", kind="points", shape=(2,), extra={"points": len(points), "jitter": std})
    return Dataset(spec, data)


def _view_box(anchors: torch.Tensor) -> tuple[float, float, float, float]:
    """A square around ``anchors`` (the mode centres, or the drawn points): their bounding box's centre,
    half-width 1.5x their largest half-extent (ring8: [-3, 3]^2, grid25: [-6, 6]^2), at least 0.5."""
    lo, hi = anchors.min(0).values, anchors.max(0).values
    centre = (lo + hi) / 2
    half = max(BOX_MARGIN * float((hi - lo).max()) / 2, BOX_MIN_HALF)
    cx, cy = float(centre[0]), float(centre[1])
    return cx - half, cx + half, cy - half, cy + half


def _rounded(t: torch.Tensor) -> list:
    """Plain (nested) lists of floats at ROUND decimals; a NaN or infinite number (a diverged net) is None."""
    t = t.detach().double().round(decimals=ROUND)
    if bool(torch.isfinite(t).all()):
        return t.tolist()
    return [[v if math.isfinite(v) else None for v in row] if isinstance(row, list) else _finite_or_none(row)
            for row in t.tolist()]


def _finite_or_none(v: float | None) -> float | None:
    return v if v is not None and math.isfinite(v) else None


class _Recorder:
    """Stands in for G inside an objective's ``generator_loss``: G's output, detached and made a leaf, so
    the loss's gradient with respect to each fake point can be read (and G's weights get none)."""

    def __init__(self, G):
        self.G, self.points = G, None

    def __call__(self, z, y=None):
        with torch.no_grad():
            x = self.G(z, y)
        self.points = x.detach().requires_grad_(True)
        return self.points


# -- a session ----------------------------------------------------------------------------------------
class LabSession:
    """One live 2D GAN: a gankit Trainer on ring8, grid25 or drawn points, with a lock around it.

    It trains as ``gankit train --model MODEL --dataset ring8`` would (the recipe's point defaults via
    ``resolve``, batch 64, fp32 on the CPU, no callbacks, nothing written), with two differences:

    - WGAN's critic warm-up (100 D updates for each of the first 25 G steps) is off, so ``n_critic`` is
      what every step makes: the D phase's ``repeat`` is replaced by one that reads ``self.n_critic``, so a
      change applies from the next step on;
    - learning rates change while it runs (the optimizer's groups and the Trainer's base lr, so a
      schedule would not undo it).

    Conditional models: ring8 and grid25 label each point by its mode (cgan, acgan, infogan learn them);
    custom points have no labels, so cgan and acgan are refused there (infogan's codes need none).
    """

    def __init__(self, dataset: str = "ring8", model: str = "gan", lr_d: float | None = None,
                 lr_g: float | None = None, n_critic: int | None = None, seed: int = 0, points=None):
        dataset = _check_dataset(dataset)
        model = _check_model(model)
        lr_d, lr_g = _check_lr("lr_d", lr_d), _check_lr("lr_g", lr_g)
        n_critic = _check_int("n_critic", n_critic, *N_CRITIC_RANGE, example=5)
        seed = _check_int("seed", seed, 0, SEED_MAX, example=0)
        if dataset == "custom":
            drawn = _check_points(points)
            data = _custom_dataset(drawn)
            anchors = drawn
        else:
            if points is not None:
                raise LabError(f"points are only for the custom dataset, not {dataset} "
                               "(drop them, or choose dataset custom)")
            data = _toy(dataset)
            anchors = torch.tensor(data.spec.extra["centres"])
        defaults = lab_defaults(model)
        self.model, self.dataset, self.seed = model, dataset, seed
        self.lr_d = defaults["lr_d"] if lr_d is None else lr_d
        self.lr_g = defaults["lr_g"] if lr_g is None else lr_g
        self.n_critic = defaults["n_critic"] if n_critic is None else n_critic
        cfg = TrainConfig(model=model, dataset=dataset, batch_size=BATCH_SIZE, seed=seed, lr_d=self.lr_d,
                          lr_g=self.lr_g, n_critic=self.n_critic, critic_warmup=False, device="cpu",
                          precision="fp32", diagnostics=False)
        try:
            cfg = resolve(cfg, data.spec)
        except GankitError as e:  # e.g. cgan on unlabelled custom points
            usable = [m for m in lab_models() if _trains_on(m, data.spec)]
            why = str(e).split(" (")[0]  # its own advice is the CLI's; the lab's choices follow instead
            raise LabError(f"{model} cannot train on {dataset}: {why} (on {dataset} use one of: "
                           f"{_choices(usable)})") from None
        device = torch.device("cpu")
        precision = resolve_precision("fp32", device, "points")
        with _TORCH_RNG:
            saved = torch.get_rng_state()
            try:
                torch.manual_seed(seed)  # the nets' initialization, as gankit train seeds it
                game = build_game(cfg, data.spec)
                self.trainer = Trainer(cfg, game, data, NO_RUN_DIR, device, precision, quiet=True, callbacks=[])
                self._rng_state = torch.get_rng_state()
            finally:
                torch.set_rng_state(saved)
        self.game = game
        self.spec = data.spec
        self.info = get_model(model)
        trainer = self.trainer
        trainer.phases = [dataclasses.replace(p, repeat=self._critic_repeat) if "D" in p.nets else p
                          for p in trainer.phases]
        game.train()

        self._lock = threading.RLock()
        self._count_lock = threading.Lock()
        self._waiting = 0  # requests waiting for the lock: the training loop steps aside for them (advance)
        self.playing = False
        self.closed = False
        self.error: str | None = None  # why it stopped for good (training diverged)
        self.last_seen = time.monotonic()
        self._losses: list[dict] = []
        self._version = 0              # bumped by every update; frame() redraws only when it moved
        self._cache: tuple[int, dict] | None = None
        self._prepare_fixed(data, anchors)

    # -- fixed inputs of every frame ---------------------------------------------------------------
    def _prepare_fixed(self, data: Dataset, anchors: torch.Tensor) -> None:
        seed = self.seed
        order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed + REAL_SEED))[:N_REAL]
        self._real = data.data[order].float()
        self._real_labels = data.labels[order] if data.labels is not None else None
        self.box = _view_box(anchors)
        sampler = self.game.sampler()
        self._fake_inputs = sampler.fixed_inputs(N_FAKE, seed=seed + FAKE_SEED)
        # G's image of a lattice over z: conditional models with class 0 fixed (InfoGAN: its categorical
        # code 0, continuous codes 0); any z dimension past the first two (none on points) at 0
        n = GRID_SIZE * GRID_SIZE
        template = sampler.fixed_inputs(n, seed=seed + GRID_SEED, labels=0 if sampler.conditional else None)
        lin = torch.linspace(-GRID_SPAN, GRID_SPAN, GRID_SIZE)
        z = torch.zeros_like(template["z"])
        z[:, 0] = lin.repeat(GRID_SIZE)                    # columns: z1 from -2.5 to 2.5
        z[:, 1] = lin.repeat_interleave(GRID_SIZE)         # rows: z2 from -2.5 to 2.5
        self._grid_inputs = {"z": z, "y": template["y"]}
        x0, x1, y0, y1 = self.box
        cx = x0 + (torch.arange(HEATMAP_SIZE) + 0.5) * (x1 - x0) / HEATMAP_SIZE
        cy = y0 + (torch.arange(HEATMAP_SIZE) + 0.5) * (y1 - y0) / HEATMAP_SIZE
        # row-major from y0: value i * size + j at (cx[j], cy[i]), cell centres
        self._lattice = torch.stack([cx.repeat(HEATMAP_SIZE), cy.repeat_interleave(HEATMAP_SIZE)], 1)
        # a class-conditional D is asked about each cell given the class of the nearest mode centre (the
        # mixture component the point most likely came from); without centres, given every class in turn
        self._lattice_labels: list[torch.Tensor | None] = [None]
        if isinstance(self.game.nets["D"], ConcatDiscriminator):
            if "centres" in self.spec.extra:
                centres = torch.tensor(self.spec.extra["centres"], dtype=torch.float32)
                self._lattice_labels = [torch.cdist(self._lattice, centres).argmin(1)]
            else:
                n = len(self._lattice)
                self._lattice_labels = [torch.full((n,), k) for k in range(self.spec.num_classes)]
        self._arrow_labels = sampler.labels(N_ARROWS)
        self._arrow_rng = torch.Generator().manual_seed(seed + ARROW_SEED).get_state()
        self._real_list = _rounded(self._real)

    def _critic_repeat(self, step: int) -> int:
        return self.n_critic

    # -- training -------------------------------------------------------------------------------------
    @contextmanager
    def _rng(self):
        """This session's own torch RNG stream, swapped in for the duration (see the module docstring)."""
        with _TORCH_RNG:
            saved = torch.get_rng_state()
            torch.set_rng_state(self._rng_state)
            try:
                yield
            finally:
                self._rng_state = torch.get_rng_state()
                torch.set_rng_state(saved)

    def _check_open(self) -> None:
        if self.closed:
            raise UnknownSession("this lab session was closed (start a new session)")

    def _check_trainable(self) -> None:
        if self.error is not None:
            raise LabError(self.error)

    def _train(self, action: str) -> None:
        """One ``step`` (every phase, n_critic D updates) or one update of D or G; the caller holds the lock."""
        trainer = self.trainer
        with self._rng():
            if action == "step":
                trainer.step()
                trainer.step_count += 1  # as fit counts it
            else:
                trainer.step_phase("D" if action == "step_d" else "G")
        self._version += 1
        self._log(action)

    def _log(self, action: str) -> None:
        """The window means of this update's losses (the Trainer's accumulators, emptied each time)."""
        trainer = self.trainer
        sums, counts = trainer._sums, trainer._counts
        trainer._sums, trainer._counts = {}, {}
        keys = [k for k in ("d_loss", "g_loss") if k in sums]
        values = dict(zip(keys, torch.stack([sums[k].reshape(()) / counts[k] for k in keys]).tolist())) if keys else {}
        bad = [k for k, v in values.items() if not math.isfinite(v)]
        self._losses.append({"step": trainer.step_count, "d_loss": _finite_or_none(values.get("d_loss")),
                             "g_loss": _finite_or_none(values.get("g_loss"))})
        del self._losses[:-LOSS_HISTORY]
        if bad:
            self.playing = False
            self.error = (f"training diverged at step {trainer.step_count}: {' and '.join(bad)} became NaN/inf "
                          f"(start a new session with lower learning rates, e.g. 10x lower)")

    def advance(self, seconds: float) -> int:
        """While playing: whole steps for about ``seconds`` (at least one), the lock taken per step so a
        request waits for one step at most. Returns the steps made."""
        deadline = time.monotonic() + seconds
        made = 0
        while True:
            with self._lock:
                if not self.playing or self.closed or self.error is not None:
                    return made
                self._train("step")
                made += 1
            if self._waiting:  # a lock is not fair: without this pause the loop takes it again at once, and
                time.sleep(0.001)  # measured, a playing session sent 2 frames in 12 s instead of 6 a second
            if time.monotonic() >= deadline:
                return made

    @contextmanager
    def _turn(self):
        """The session's lock for a request (frame, control), announced so that :meth:`advance` lets it in."""
        with self._count_lock:
            self._waiting += 1
        try:
            self._lock.acquire()
        finally:
            with self._count_lock:
                self._waiting -= 1
        try:
            yield
        finally:
            self._lock.release()

    def control(self, action: str, lr_d: float | None = None, lr_g: float | None = None,
                n_critic: int | None = None) -> dict:
        """Apply the new settings (all checked first: a bad one changes nothing), then ``action``:
        ``play``/``pause``, ``step`` (one full Trainer step: n_critic D updates, then G), ``step_d`` /
        ``step_g`` (one update of that phase alone, on a fresh batch). Returns the new frame."""
        if action not in ACTIONS:
            raise LabError(f"unknown lab action {action!r} (use one of: {_choices(ACTIONS)})")
        lr_d, lr_g = _check_lr("lr_d", lr_d), _check_lr("lr_g", lr_g)
        n_critic = _check_int("n_critic", n_critic, *N_CRITIC_RANGE, example=5)
        with self._turn():
            self._check_open()
            self.last_seen = time.monotonic()
            if action in ("play", "step", "step_d", "step_g"):
                self._check_trainable()
            if lr_d is not None:
                self._set_lr("D", lr_d)
                self.lr_d = lr_d
            if lr_g is not None:
                self._set_lr("G", lr_g)
                self.lr_g = lr_g
            if n_critic is not None:
                self.n_critic = n_critic  # read by the D phase's repeat from the next step on
            if action == "play":
                self.playing = True
            elif action == "pause":
                self.playing = False
            else:
                self._train(action)
            return self._frame_locked()

    def _set_lr(self, phase: str, lr: float) -> None:
        """``lr`` for the optimizer of ``phase`` (and every phase sharing it), now and as the base a
        schedule scales."""
        trainer = self.trainer
        optimizer = trainer.optimizers[phase]
        for name, opt in trainer.optimizers.items():
            if opt is optimizer:
                trainer._base_lr[name] = [lr] * len(opt.param_groups)
                trainer._lr_factor[name] = None  # the next update sets lr = base * factor again
        for group in optimizer.param_groups:
            group["lr"] = lr

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self.playing = False

    # -- the frame ------------------------------------------------------------------------------------
    def frame(self) -> dict:
        """The ``Frame`` of docs/serve.md (JSON-serialisable: plain ints, floats, lists; a number that
        is NaN or infinite after divergence is None). What each field holds:

        - ``step``: full steps made (play and ``step``; ``step_d``/``step_g`` do not count);
          ``d_steps``/``g_steps``: D and G updates made, by any action.
        - ``real``: 500 fixed points of the training data (for custom: of the jittered resample).
        - ``fake``: G(z) of 500 fixed z (conditional models: classes in turn; InfoGAN: random codes).
          Always the trained G, never an EMA copy (sngan keeps one): the picture shows the game itself.
        - ``grid``: G's image of a 15 x 15 lattice over [-2.5, 2.5]^2 in z, row-major (row r: z2 fixed,
          its columns z1 from -2.5 to 2.5); conditional models with class 0 (InfoGAN: code 0, continuous 0).
        - ``heatmap``: D on the centres of a 32 x 32 lattice of cells over the view box, row-major from
          y0, in [0, 1]: a BCE discriminator's probability of real (sigmoid of its logit); LSGAN's output
          clipped to [0, 1] (it regresses 1 real, 0 fake); a critic's score (WGAN, WGAN-GP, SNGAN's hinge)
          and an energy D's minus energy (EBGAN, BEGAN: low reconstruction error = real) as
          sigmoid((s - m) / sd), m the midpoint of its mean on the real and on the fake points, sd its
          standard deviation over the lattice: 0.5 on the boundary between them, above it real-like,
          whatever the critic's scale. A class-conditional D (cgan) is asked D(x | y) with y the class of the
          mode centre nearest x (the component x most likely came from): one pass, where asking every class
          would cost 8 or 25 (and their mean reads "fake" everywhere, each mode being real for one class).
        - ``arrows``: [x, y, dx, dy] on 100 fixed fakes: minus the gradient of the model's own G loss
          (its objective's ``generator_loss``) with respect to each fake point, i.e. where G's next update
          pushes it, scaled so the longest arrow is 8% of the view box's width (directions and relative
          lengths are exact; the overall length is normalised per frame).
        - ``losses``: the last 300 updates, oldest first: ``{step, d_loss, g_loss}``, each the mean over
          that update's phase updates (a ``step``'s n_critic D losses); ``step_d`` logs g_loss None and
          ``step_g`` d_loss None.
        - ``modes_covered``/``num_modes``: :func:`gankit.data.toy.mode_coverage` of 1000 fixed fakes
          (the 500 shown and 500 more); None for custom points.
        - ``energy_distance``: :func:`energy_distance` between the 500 fakes and the 500 reals shown.
        """
        with self._turn():
            self._check_open()
            self.last_seen = time.monotonic()
            return self._frame_locked()

    def _frame_locked(self) -> dict:
        if self._cache is None or self._cache[0] != self._version:
            self._cache = (self._version, self._draw())
        trainer = self.trainer
        return {"step": trainer.step_count, "d_steps": trainer.phase_counts.get("D", 0),
                "g_steps": trainer.phase_counts.get("G", 0), "playing": self.playing, "error": self.error,
                **self._cache[1],
                "losses": list(self._losses)}

    def _draw(self) -> dict:
        game = self.game
        nets = game.nets
        was_training = nets.training
        nets.eval()  # no side effects: spectral norm's power iteration runs in training mode only
        try:
            sampler = game.sampler()
            with torch.no_grad():
                fakes = sampler.generate(self._fake_inputs)
                grid = sampler.generate(self._grid_inputs)
                values = self._heatmap(fakes)
            arrows = self._arrows()
        finally:
            nets.train(was_training)
        shown = fakes[:N_SHOWN]
        if self.spec.num_classes and "centres" in self.spec.extra:
            cover = mode_coverage(fakes, self.spec)
            modes, num_modes = cover["modes_covered"], cover["num_modes"]
        else:
            modes = num_modes = None
        x0, x1, y0, y1 = self.box
        return {
            "real": self._real_list,
            "fake": _rounded(shown),
            "grid": {"rows": GRID_SIZE, "cols": GRID_SIZE, "points": _rounded(grid)},
            "heatmap": {"x0": x0, "x1": x1, "y0": y0, "y1": y1, "size": HEATMAP_SIZE, "values": values},
            "arrows": arrows,
            "modes_covered": modes,
            "num_modes": num_modes,
            "energy_distance": _finite_or_none(energy_distance(shown, self._real)),
        }

    def _scores(self, x: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """D's raw output on ``x`` ((N,) floats; an energy D's negated), given the class where D takes one."""
        D = self.game.nets["D"]
        out = D(x, labels if isinstance(D, ConcatDiscriminator) else None).float().reshape(len(x))
        return -out if hasattr(D, "reconstruct") else out

    def _to_unit(self, s: torch.Tensor, mid: float, sd: float) -> torch.Tensor:
        if self.info.bce:
            return torch.sigmoid(s)
        if self.info.d_probability:
            return s.clamp(0, 1)
        return torch.sigmoid((s - mid) / sd)

    def _heatmap(self, fakes: torch.Tensor) -> list:
        critic = not (self.info.bce or self.info.d_probability)
        per_class = [self._scores(self._lattice, labels) for labels in self._lattice_labels]
        mid = sd = 0.0
        if critic:
            shown = self._fake_inputs.get("y")
            fake_labels = shown[:N_SHOWN] if shown is not None else None
            real_mean = float(self._scores(self._real, self._real_labels).mean())
            fake_mean = float(self._scores(fakes[:N_SHOWN], fake_labels).mean())
            mid = (real_mean + fake_mean) / 2
            sd = max(float(torch.cat(per_class).std()), 1e-12)
        values = torch.stack([self._to_unit(s, mid, sd) for s in per_class]).amax(0)  # over classes, if several
        values = torch.nan_to_num(values, nan=0.5)
        return _rounded(values)

    def _arrows(self) -> list:
        """Minus d(G loss)/d(fake point) on N_ARROWS fixed fakes (see :meth:`frame`). The objective draws
        its own z (and InfoGAN codes): drawn here from a fixed stream, so the fakes are the same each frame."""
        game = self.game
        recorder = _Recorder(game.nets["G"])
        with _TORCH_RNG:
            saved = torch.get_rng_state()
            torch.set_rng_state(self._arrow_rng)
            try:
                loss, _ = game.objective.generator_loss(recorder, game.nets["D"], N_ARROWS, self._arrow_labels,
                                                        torch.device("cpu"), real=self._real[:N_ARROWS])
            finally:
                torch.set_rng_state(saved)
        (grad,) = torch.autograd.grad(loss, recorder.points)
        points, move = recorder.points.detach(), -grad.detach()
        longest = float(move.norm(dim=1).max())
        x0, x1, _, _ = self.box
        scale = ARROW_LENGTH * (x1 - x0) / longest if math.isfinite(longest) and longest > 0 else 0.0
        move = torch.nan_to_num(move * scale, nan=0.0, posinf=0.0, neginf=0.0)
        return _rounded(torch.cat([points, move], 1))


def _trains_on(model: str, spec: DataSpec) -> bool:
    """Whether ``model``'s recipe accepts ``spec`` (resolve refuses e.g. class-conditional models on
    unlabelled points)."""
    try:
        resolve(TrainConfig(model=model, dataset=spec.name, batch_size=BATCH_SIZE), spec)
        return True
    except GankitError:
        return False


# -- the pool -----------------------------------------------------------------------------------------
class LabPool:
    """The open lab sessions, and the one thread that trains the playing ones.

    ``create`` refuses a session past ``max_sessions`` (after closing the idle ones); a session that
    sees no request (frame, control) for ``idle_seconds`` is closed; the thread gives each playing
    session ``step_seconds`` of training in turn, and closes idle sessions about once a second."""

    def __init__(self, max_sessions: int = 4, idle_seconds: float = 120.0, step_seconds: float = 0.05):
        self.max_sessions, self.idle_seconds, self.step_seconds = max_sessions, idle_seconds, step_seconds
        self._sessions: dict[str, LabSession] = {}
        self._pending = 0  # sessions being built (outside the lock): they hold a slot
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def create(self, **kwargs) -> tuple[str, LabSession]:
        """A new session (``LabSession``'s arguments) and its id; LabFull when every slot is taken."""
        self.reap()
        with self._lock:
            if len(self._sessions) + self._pending >= self.max_sessions:
                raise LabFull(f"the lab already runs {self.max_sessions} sessions, its most (close another lab "
                              f"page, or wait: a session ends {self.idle_seconds:g} s after its page stops asking)")
            self._pending += 1
        try:
            session = LabSession(**kwargs)
            session_id = secrets.token_hex(8)
            with self._lock:
                self._sessions[session_id] = session
        finally:
            with self._lock:
                self._pending -= 1
        return session_id, session

    def get(self, session_id: str) -> LabSession:
        """The open session ``session_id`` (its last_seen touched), or UnknownSession."""
        with self._lock:
            session = self._sessions.get(session_id)
        if session is None or session.closed:
            raise UnknownSession(f"no open lab session {str(session_id)[:40]!r} (it was closed or idle for "
                                 f"{self.idle_seconds:g} s; start a new session)")
        session.last_seen = time.monotonic()
        return session

    def close(self, session_id: str) -> None:
        with self._lock:
            session = self._sessions.pop(session_id, None)
        if session is None:
            raise UnknownSession(f"no open lab session {str(session_id)[:40]!r} (it was closed already)")
        session.close()

    def reap(self) -> list[str]:
        """Close the sessions idle for more than ``idle_seconds``; returns their ids."""
        now = time.monotonic()
        with self._lock:
            idle = [sid for sid, s in self._sessions.items() if s.closed or now - s.last_seen > self.idle_seconds]
            gone = [self._sessions.pop(sid) for sid in idle]
        for session in gone:
            session.close()
        return idle

    def close_all(self) -> None:
        with self._lock:
            gone, self._sessions = list(self._sessions.values()), {}
        for session in gone:
            session.close()

    # -- the training thread -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the background thread (once; a second call while it runs does nothing)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gankit-lab", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it (at most one step_seconds slice and one step)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        # torch's optimizers import torch._dynamo on first use (3-5 s): done here, before the first
        # "New session" click waits for it
        import torch._dynamo  # noqa: F401

        stop = self._stop
        last_reap = 0.0
        while not stop.is_set():
            if time.monotonic() - last_reap >= min(1.0, self.idle_seconds / 4):
                self.reap()
                last_reap = time.monotonic()
            with self._lock:
                playing = [s for s in self._sessions.values() if s.playing]
            if not playing:
                stop.wait(0.05)
                continue
            for session in playing:
                if stop.is_set():
                    break
                try:
                    session.advance(self.step_seconds)
                except Exception as e:  # noqa: BLE001 - one broken session must not stop the others
                    with session._lock:
                        session.playing = False
                        session.error = f"the lab session stopped: {type(e).__name__}: {e} (start a new session)"
