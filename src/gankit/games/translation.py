"""What the translation families share: their Sampler, CycleGAN's image pool and lr decay.

A translation family maps an image of domain A to one of domain B (and, unpaired, back): its
"sample" is the translation of an input, not a draw from a prior. So :class:`TranslationSampler`
answers the Sampler's questions for them: ``generate`` translates inputs (uint8 or [-1, 1]
floats, either direction where the Game has both generators), ``grid_inputs`` takes fixed test
images from the data, and ``preview`` lays out the pictures a run shows while it trains:
input | output | target for paired data, A | G(A) | F(G(A)) (and B | F(B) | G(F(B))) unpaired.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..data.base import DataSpec, to_uint8
from ..errors import GankitError
from .base import Batch, Game, StepInfo

DIRECTIONS = ("AtoB", "BtoA")
PREVIEW_ROWS = 8


class ImagePool(nn.Module):
    """A history of generated images for D (Shrivastava et al. 2017; CycleGAN keeps 50).

    ``query(fakes)``: while the pool fills, each fake is stored and shown as is; once full, each
    fake is, with probability 1/2, swapped for a random stored one (which D sees instead) or
    shown as is. So D also judges older generators' images and cannot chase the current one.
    The pool is a buffer of the Game (so checkpointed) and draws from the global torch RNG (which
    the Trainer checkpoints): a resumed run queries it exactly as the uninterrupted one.
    """

    def __init__(self, size: int, shape: tuple[int, ...]):
        super().__init__()
        self.size = size
        self.register_buffer("images", torch.zeros(size, *shape))
        self.register_buffer("filled", torch.zeros((), dtype=torch.long))
        self.rank_local_buffers = ("images", "filled")  # each process pools its own fakes (checkpointed per rank)

    @torch.no_grad()
    def query(self, fakes: torch.Tensor) -> torch.Tensor:
        if self.size == 0:
            return fakes
        fakes = fakes.detach()
        out = fakes.clone()
        n = int(self.filled)
        coins = torch.rand(len(fakes))
        slots = torch.randint(self.size, (len(fakes),))
        for i in range(len(fakes)):
            if n < self.size:
                self.images[n] = fakes[i].to(self.images.dtype)
                n += 1
            elif coins[i] < 0.5:
                out[i] = self.images[slots[i]].to(out.dtype)
                self.images[slots[i]] = fakes[i].to(self.images.dtype)
        self.filled.fill_(n)
        return out


def linear_decay(info: StepInfo, start_fraction: float = 0.5) -> float:
    """The lr factor of CycleGAN's schedule: 1 for the first half of the run, then linearly to 0 at
    its last step (the paper: 100 epochs constant, 100 decaying). The half is of the run's final
    ``--steps``: a resume that extends the run stretches the schedule."""
    start = int(info.total * start_fraction)
    if info.step < start or info.total <= start:
        return 1.0
    return max(0.0, (info.total - info.step) / (info.total - start))


def lsgan_loss(logits: torch.Tensor, target: float) -> torch.Tensor:
    """Least-squares GAN loss (Mao et al. 2017) against a constant target, CycleGAN's choice."""
    return (logits.float() - target).pow(2).mean()


def bce_loss(logits: torch.Tensor, target: float) -> torch.Tensor:
    """The cross-entropy GAN loss against a constant target (1 real, 0 fake), on logits."""
    return F.binary_cross_entropy_with_logits(logits.float(), torch.full_like(logits.float(), target))


def bce_judgement(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> tuple[torch.Tensor, dict]:
    """D's cross-entropy loss on real and fake logits, summed, with D's mean probabilities for the log."""
    loss = bce_loss(real_logits, 1.0) + bce_loss(fake_logits, 0.0)
    return loss, {"d_real": torch.sigmoid(real_logits.detach().float()).mean(),
                  "d_fake": torch.sigmoid(fake_logits.detach().float()).mean()}


class TranslationGame(Game):
    """Base of the translation families: its nets map images to images; it has no latent z."""

    #: net name of each direction it can translate, e.g. {"AtoB": "G", "BtoA": "F"}
    directions: dict[str, str] = {"AtoB": "G"}

    def __init__(self, spec: DataSpec):
        super().__init__()
        self.spec = spec

    @property
    def paired(self) -> bool:
        return self.spec.extra.get("translation") == "paired"

    def sampler(self, nets: dict[str, nn.Module] | None = None) -> "TranslationSampler":
        nets = {**dict(self.nets.items()), **(nets or {})}
        return TranslationSampler({d: nets[name] for d, name in self.directions.items()}, self.spec)


class TranslationSampler:
    """Translations by a Game's generators, in eval mode, as uint8 images on the CPU."""

    conditional = False
    num_classes = 0
    truncation_space = None

    def __init__(self, generators: dict[str, nn.Module], spec: DataSpec):
        self.generators, self.spec = generators, spec
        self.G = generators["AtoB"]
        extra = spec.extra
        self.shapes = {"AtoB": (tuple(extra["a_shape"]), tuple(extra["b_shape"])),
                       "BtoA": (tuple(extra["b_shape"]), tuple(extra["a_shape"]))}
        self.domains = tuple(extra.get("domains", ("A", "B")))
        self.paired = extra.get("translation") == "paired"

    # -- the Sampler questions that have no answer here ----------------------------------------
    def fixed_inputs(self, n: int, seed: int | None = None, labels=None) -> Batch:
        raise GankitError("a translation model translates images rather than drawing samples "
                          "(use 'gankit translate RUN IMAGE...' or Run.translate(images))")

    def standing_statistics(self, *args, **kwargs) -> bool:
        return False  # no EMA copies in these families

    # -- inputs -----------------------------------------------------------------------------------
    def grid_inputs(self, n: int, seed: int, data=None) -> Batch:
        """Fixed images to translate in every grid: the first test images of ``data`` (its
        ``preview``, set when the data were loaded) or else its first training images."""
        if data is None:
            raise GankitError("a translation grid needs the data's test images (pass the dataset)")
        preview = getattr(data, "preview", None) or data.head(PREVIEW_ROWS)
        return {k: v[:PREVIEW_ROWS] for k, v in preview.items()}

    def check(self, images: torch.Tensor, direction: str) -> None:
        """A one-line error for images this model cannot translate in ``direction``."""
        if direction not in self.generators:
            have = ", ".join(self.generators)
            raise GankitError(f"this model translates {have} only, not {direction} (drop --direction or use {have})")
        want = self.shapes[direction][0]
        if images.dim() != 4 or tuple(images.shape[1:]) != want:
            got = "x".join(map(str, images.shape[1:])) if images.dim() == 4 else f"a {images.dim()}-d tensor"
            c, h, w = want
            raise GankitError(f"{direction} takes {c}-channel {h}x{w} images, not {got} "
                              f"(resize the inputs to {h}x{w}, or pass --direction)")

    # -- translations ----------------------------------------------------------------------------
    @torch.no_grad()
    def translate(self, images: torch.Tensor, direction: str = "AtoB", batch_size: int = 256,
                  raw: bool = False) -> torch.Tensor:
        """``images`` (uint8 (N, C, H, W), or floats in [-1, 1]) translated by the ``direction``
        generator: uint8 images (floats in [-1, 1] with ``raw``)."""
        self.check(images, direction)
        G = self.generators[direction]
        device = next(G.parameters()).device
        was_training = G.training
        G.eval()
        try:
            out = []
            for part in images.split(batch_size):
                x = part.float().div(127.5).sub(1.0) if part.dtype == torch.uint8 else part.float()
                y = G(x.to(device)).float().cpu()
                out.append(y if raw else to_uint8(y))
        finally:
            G.train(was_training)
        return torch.cat(out)

    def generate(self, inputs: Batch, direction: str = "AtoB", batch_size: int = 256, raw: bool = False,
                 **opts) -> torch.Tensor:
        """The Sampler's ``generate``: ``inputs["input"]`` (paired) or ``inputs["a"]``/``["b"]``
        (unpaired, by ``direction``) translated."""
        if opts.get("truncation") is not None:
            raise GankitError("--truncation applies to models that draw z; a translation model has none (drop it)")
        key = "input" if "input" in inputs else ("a" if direction == "AtoB" else "b")
        return self.translate(inputs[key], direction, batch_size, raw)

    def preview(self, inputs: Batch) -> tuple[torch.Tensor, int]:
        """The pictures of a grid and images per row, one input per row: input | output | target
        (paired), A | G(A) | F(G(A)) | B | F(B) | G(F(B)) (unpaired)."""
        a, b = inputs.get("input", inputs.get("a")), inputs.get("target", inputs.get("b"))
        ab = self.translate(a, "AtoB")
        if self.paired or "BtoA" not in self.generators:
            columns = [a, ab, b] if b is not None else [a, ab]
        else:
            n = min(len(a), len(b))
            a, b, ab = a[:n], b[:n], ab[:n]
            ba = self.translate(b, "BtoA")
            columns = [a, ab, self.translate(ab, "BtoA"), b, ba, self.translate(ba, "AtoB")]
        columns = [_displayable(c, self.spec) for c in columns]
        return torch.stack(columns, 1).flatten(0, 1), len(columns)


def _displayable(images: torch.Tensor, spec: DataSpec) -> torch.Tensor:
    """uint8 images at the largest size and channel count of the two domains, for one grid
    (nearest upsampling, so a super-resolution input shows its pixels)."""
    size = max(spec.extra["a_shape"][-1], spec.extra["b_shape"][-1])
    channels = max(spec.extra["a_shape"][0], spec.extra["b_shape"][0])
    x = images
    if x.shape[-1] != size:
        x = F.interpolate(x.float(), size=(size, size), mode="nearest").to(torch.uint8)
    if x.shape[1] != channels:
        x = x.expand(-1, channels, -1, -1)
    return x
