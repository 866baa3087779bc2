"""Moving through a trained generator's latent space: interpolation, walks, class rows, InfoGAN
code sweeps, the truncation trick and latent vector arithmetic.

Conventions that matter when reading the pictures:

- A seed names one latent: ``latent_of(seed)`` is the first draw of ``torch.Generator(seed)``, the
  same vector ``gankit sample --n 1 --seed S`` uses, so a face found with ``sample`` can be
  interpolated or averaged here.
- Interpolation is spherical (slerp, White 2016, "Sampling Generative Networks"): a straight line
  between two Gaussian samples passes through the low-norm middle where G has rarely been
  trained; the great circle keeps a typical norm.
- The random walk is ``z <- sqrt(1 - a^2) z + a eps``: every frame is still a N(0, I) sample.
- Truncation is the Sampler's (:mod:`gankit.games.sampler`): it acts on the Gaussian part of the
  latent only (never on class one-hots or InfoGAN's codes). ``shrink``: ``z <- psi * z``, towards
  the mean of the prior (0), as StyleGAN's psi does in its w space. ``resample``: components with
  ``|z_i| > psi`` are redrawn until inside (BigGAN's truncation trick, psi is then a threshold).
  Here it is applied to each seed's latent before paths and averages are taken.
- A style-based G (stylegan) truncates in W, inside G (``w_avg + psi (w - w_avg)``, on the first
  ``cutoff`` layers where given), so there the seeds' z stay as drawn and every decode is truncated;
  ``space="w"`` interpolates linearly between the seeds' w instead of spherically between their z
  (the StyleGAN paper's perceptual path length uses lerp in W), and :meth:`LatentExplorer.style_mix`
  draws the style-mixing matrix of the StyleGAN paper (Karras et al. 2019, Fig. 3).
- Arithmetic (Radford et al. 2015, DCGAN section 6.3): each operand is the average z of a few
  chosen seeds; the result is decoded with and without small noise (+-0.25 as in the paper's
  figure), next to the images of every operand.
"""

from __future__ import annotations

import math
import re

import torch

from ..config import SEED_LIMITS
from ..data.base import to_uint8
from ..errors import GankitError
from ..games.sampler import TRUNCATION_METHODS, check_truncation  # noqa: F401  (TRUNCATION_METHODS: for explore)

#: a seed list is the rows or columns of one picture (interpolation, style mixing, an arithmetic operand),
#: decoded in one piece: as many as explore's --rows and --columns allow
MAX_SEEDS = 100


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
    """Spherical interpolation between rows of ``a`` and ``b`` (falls back to lerp when parallel)."""
    t = torch.as_tensor(t, dtype=a.dtype).reshape(-1, 1)
    an, bn = a / a.norm(dim=-1, keepdim=True).clamp_min(1e-12), b / b.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    omega = torch.acos((an * bn).sum(-1, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    lerp = (1 - t) * a + t * b
    out = torch.sin((1 - t) * omega) / so * a + torch.sin(t * omega) / so * b
    return torch.where(so.abs() < 1e-6, lerp, out)


def parse_integers(text: str, what: str = "seeds", example: str = "--seeds 1,2,3") -> list[int]:
    """``"1,2 3"`` -> ``[1, 2, 3]``, or a one-line error naming ``what`` they are and an ``example``."""
    try:
        numbers = [int(s) for s in re.split(r"[,\s]+", text.strip()) if s]
    except ValueError:
        raise GankitError(f"{what} must be integers separated by commas, not {text!r} (e.g. {example})") from None
    if not numbers:
        raise GankitError(f"no {what} given (e.g. {example})")
    return numbers


def parse_seeds(text: str) -> list[int]:
    """A list of seeds of one picture: at most :data:`MAX_SEEDS`, each one a seed torch takes."""
    seeds = parse_integers(text)
    if len(seeds) > MAX_SEEDS:
        raise GankitError(f"{len(seeds)} seeds in one list, more than one picture shows (give at most {MAX_SEEDS})")
    bad = next((s for s in seeds if not 0 <= s < SEED_LIMITS["seed"]), None)
    if bad is not None:  # torch's generators take 64 bits, and explore adds offsets to seeds (as in gankit.config)
        raise GankitError(f"seed {bad} is outside [0, 2**63) (seeds are integers from 0, e.g. --seeds 1,2,3)")
    return seeds


def parse_arithmetic(expr: str) -> list[tuple[int, list[int]]]:
    """``"1,2,3 - 4,5,6 + 7,8,9"`` -> ``[(+1, [1,2,3]), (-1, [4,5,6]), (+1, [7,8,9])]``."""
    tokens = re.findall(r"[+-]|[^+-]+", expr.replace(" ", ""))
    terms, sign, expect_operand = [], 1, True
    for tok in tokens:
        if tok in "+-":
            if expect_operand:
                if tok == "-" and not terms:
                    sign = -1
                    continue
                raise GankitError(f"--arithmetic {expr!r}: two operators in a row (write e.g. \"1,2 - 3,4 + 5,6\")")
            sign, expect_operand = (1 if tok == "+" else -1), True
        else:
            terms.append((sign, parse_seeds(tok)))
            expect_operand = False
    if not terms or expect_operand:
        raise GankitError(f"--arithmetic {expr!r} is incomplete (write e.g. \"1,2,3 - 4,5,6 + 7,8,9\": "
                          "each operand is a comma-separated list of seeds whose z are averaged)")
    return terms


class LatentExplorer:
    """Latents and pictures of one run. ``labels`` pins the class of conditional models."""

    def __init__(self, run, truncation: float | None = None, method: str = "shrink", ema: bool = True,
                 cutoff: int | None = None, space: str = "z"):
        if run.spec.kind in ("audio", "text"):
            what = "sound clips" if run.spec.kind == "audio" else "texts"
            raise GankitError(f"explore draws image grids; {run.path} generates {what} "
                              "(use 'gankit sample RUN --out ...' or gankit serve's Listen/Read view)")
        if run.spec.kind != "image":
            raise GankitError(f"explore draws image grids; {run.path} generates 2D points "
                              "(use 'gankit sample RUN --out points.png' for a scatter plot)")
        check_truncation(truncation, method)
        self.run = run
        self.sampler = run.sampler(ema=ema)
        if not hasattr(self.sampler, "latent"):
            raise GankitError(f"{run.config.model} translates images and has no latent space to explore "
                              "(use gankit translate RUN IMAGE...)")
        self.in_w = self.sampler.truncation_space == "w"
        if space not in ("z", "w"):
            raise GankitError(f"--space must be z or w, not {space!r} (w for style-based models, z for the rest)")
        if space == "w" and not self.in_w:
            raise GankitError(f"--space w needs a style-based G with a mapping network (stylegan); "
                              f"{run.config.model} has only z (drop --space)")
        self.space, self.cutoff = space, cutoff  # a cutoff on a Z-space sampler: its generate() says no
        self.G = self.sampler.G
        self.latent = self.sampler.latent
        self.z_dim = self.latent.z_dim
        self.truncation, self.method = truncation, method
        self.codes = self.sampler.codes  # InfoGAN
        self.conditional = self.sampler.conditional and not self.codes
        self.num_classes = self.sampler.num_classes

    # -- latents -----------------------------------------------------------------------------
    def latent_of(self, seed: int) -> torch.Tensor:
        z = self.sampler.fixed_inputs(1, seed)["z"]
        return self.truncate(z, seed=seed)[0]

    def latents(self, seeds: list[int]) -> torch.Tensor:
        return torch.stack([self.latent_of(s) for s in seeds])

    def truncate(self, latent: torch.Tensor, psi: float | None = None, seed: int = 0) -> torch.Tensor:
        """The Sampler's truncation trick, with this explorer's psi and method by default (in Z; a
        W-space sampler leaves z alone and truncates when decoding)."""
        if self.in_w:
            return latent
        return self.sampler.truncate(latent, self.truncation if psi is None else psi, self.method, seed)

    def _w_opts(self, psi: float | None = None) -> dict:
        if not self.in_w:  # z was truncated already; a cutoff is passed on for the Sampler to refuse
            return {} if self.cutoff is None else {"truncation_cutoff": self.cutoff}
        return {"truncation": self.truncation if psi is None else psi, "truncation_cutoff": self.cutoff}

    def _ws(self, latents: torch.Tensor) -> torch.Tensor:
        """Per-layer styles of latents, truncated as this explorer truncates."""
        return self.sampler.ws_of(latents, self.truncation, self.cutoff)

    def _labels(self, n: int, label: int | None) -> torch.Tensor | None:
        if not self.conditional:
            return None
        return torch.full((n,), 0 if label is None else label, dtype=torch.long)

    def decode(self, latent: torch.Tensor, labels: torch.Tensor | None = None,
               label: int | None = None) -> torch.Tensor:
        """uint8 images of latents (``labels`` per row, or one ``label`` for all, for conditional models)."""
        if labels is None:
            labels = self._labels(len(latent), label)
        return self.sampler.generate({"z": latent, "y": labels}, **self._w_opts())

    @torch.no_grad()
    def decode_soft(self, latent: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """Decode with a mixture of classes (rows of ``weights`` sum to 1): class interpolation.

        Works for generators that take the label as a one-hot next to z (:class:`ConcatGenerator`,
        used by cgan and acgan). Another conditioning (e.g. projection, a class embedding) needs
        its own rule here.
        """
        inner = getattr(self.G, "inner", None)
        if inner is None or not hasattr(self.G, "num_classes"):
            raise GankitError(f"class interpolation needs a generator that takes a one-hot label next to z; "
                              f"{self.run.config.model} does not (use class rows instead)")
        return to_uint8(inner(torch.cat([latent.flatten(1), weights.to(latent.dtype)], 1)).float())

    # -- pictures ----------------------------------------------------------------------------
    def interpolation(self, seeds: list[int], steps: int, label: int | None = None):
        """Grid rows: slerp from each seed to the next; GIF frames: the closed loop through all."""
        if len(seeds) < 2:
            raise GankitError("interpolation needs at least two seeds (e.g. --seeds 1,2)")
        lat = self.latents(seeds)
        decode = lambda path: self.decode(path, label=label)  # noqa: E731
        if self.space == "w":
            lat, decode = self._ws(lat), self.sampler.synthesize
        t = torch.linspace(0, 1, steps)
        rows = [decode(self._path(lat[i], lat[i + 1], t)) for i in range(len(seeds) - 1)]
        frames = []
        loop = torch.cat([lat, lat[:1]])
        for i in range(len(seeds)):
            frames += list(decode(self._path(loop[i], loop[i + 1], t[:-1])))
        return torch.cat(rows), steps, frames

    def _path(self, a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        n = len(t)
        if self.space == "w":  # per-layer styles (num_ws, w_dim): a straight line in W
            return torch.lerp(a.expand(n, -1, -1), b.expand(n, -1, -1), t.reshape(-1, 1, 1))
        if not self.codes:
            return slerp(a.expand(n, -1), b.expand(n, -1), t)
        # InfoGAN: slerp the Gaussian part, move the codes linearly
        z = slerp(a[: self.z_dim].expand(n, -1), b[: self.z_dim].expand(n, -1), t)
        rest = (1 - t)[:, None] * a[self.z_dim:] + t[:, None] * b[self.z_dim:]
        return torch.cat([z, rest], 1)

    def random_walk(self, seed: int, frames: int, step: float = 0.1, label: int | None = None) -> torch.Tensor:
        g = torch.Generator().manual_seed(seed + 1)
        lat = self.latent_of(seed)
        path = [lat]
        keep = math.sqrt(1 - step * step)
        for _ in range(frames - 1):
            nxt = path[-1].clone()
            nxt[: self.z_dim] = keep * nxt[: self.z_dim] + step * torch.randn(self.z_dim, generator=g)
            path.append(nxt)
        return self.decode(torch.stack(path), label=label)

    def class_rows(self, columns: int, seed: int) -> torch.Tensor:
        """One row per class, one column per z (the same z down each column)."""
        if not self.conditional:
            raise GankitError(f"class rows need a class-conditional model; {self.run.config.model} is not "
                              "(see 'gankit models')")
        lat = self.latents([seed + j for j in range(columns)])
        rows = [self.decode(lat, label=k) for k in range(self.num_classes)]
        return torch.cat(rows)

    def class_interpolation(self, a: int, b: int, steps: int, rows: int, seed: int) -> torch.Tensor:
        """Rows: a fixed z each; columns: the class moving from ``a`` to ``b``."""
        for k in (a, b):
            if not 0 <= k < self.num_classes:
                raise GankitError(f"class {k} is out of range (0..{self.num_classes - 1})")
        t = torch.linspace(0, 1, steps)
        weights = torch.zeros(steps, self.num_classes)
        weights[:, a] += 1 - t
        weights[:, b] += t
        out = [self.decode_soft(self.latent_of(seed + r).expand(steps, -1), weights) for r in range(rows)]
        return torch.cat(out)

    def code_sweeps(self, rows: int, steps: int, seed: int, span: float = 2.0) -> dict[str, torch.Tensor]:
        """InfoGAN: the categorical code across columns, and each continuous code from -span to span.

        Each row keeps its z (and the other codes) fixed, as in the InfoGAN paper's figures.
        """
        if not self.codes:
            raise GankitError(f"code sweeps need a model with latent codes, and {self.run.config.model} has none (train infogan to sweep codes)")
        n_cat, n_cont = self.latent.n_cat, self.latent.n_cont
        base = self.latents([seed + r for r in range(rows)])
        out = {}
        grid = []
        for r in range(rows):
            lat = base[r].expand(n_cat, -1).clone()
            lat[:, self.z_dim: self.z_dim + n_cat] = torch.eye(n_cat)
            grid.append(self.decode(lat))
        out["code_categorical"] = torch.cat(grid)
        values = torch.linspace(-span, span, steps)
        for j in range(n_cont):
            grid = []
            for r in range(rows):
                lat = base[r].expand(steps, -1).clone()
                lat[:, self.z_dim + n_cat + j] = values
                grid.append(self.decode(lat))
            out[f"code_continuous{j + 1}"] = torch.cat(grid)
        return out

    def truncation_rows(self, psis: list[float], columns: int, seed: int) -> torch.Tensor:
        """One row per psi, the same seeds in every row (psi=1 with shrink is the untruncated model)."""
        base = torch.cat([self.sampler.fixed_inputs(1, seed + j)["z"] for j in range(columns)])
        if self.in_w:
            return torch.cat([self.sampler.generate({"z": base, "y": None}, **self._w_opts(psi)) for psi in psis])
        rows = [self.decode(self.truncate(base, psi, seed=seed)) for psi in psis]
        return torch.cat(rows)

    # -- style mixing (style-based G) ---------------------------------------------------------------
    def style_bands(self) -> dict[str, tuple[int, int]]:
        """Layer ranges ``[lo, hi)`` of the coarse (4-8 px), middle and fine (full size) styles."""
        self._need_styles("style mixing")
        res = self.sampler.layer_resolutions()
        coarse = sum(r <= 8 for r in res)
        fine = res.index(res[-1])
        return {"coarse": (0, coarse), "middle": (coarse, fine), "fine": (fine, len(res))}

    def style_mix(self, row_seeds: list[int], col_seeds: list[int], lo: int, hi: int) -> torch.Tensor:
        """The StyleGAN paper's matrix: the top row shows the column seeds (source A), the left column the
        row seeds (source B), and cell (i, j) is A_j with the styles of layers ``[lo, hi)`` taken from
        B_i. A crossover at K (``lo`` 0, ``hi`` K): B gives layers below K, A the rest. Returns the
        (1 + rows) x (1 + columns) grid, blank at the top left."""
        n = self._need_styles("style mixing")
        if not 0 <= lo <= hi <= n:
            raise GankitError(f"the style layers to mix must lie in 0..{n}, not [{lo}, {hi}) (e.g. --cutoff 4 of {n} layers)")
        a, b = self._ws(self.latents(col_seeds)), self._ws(self.latents(row_seeds))
        cells = torch.cat([self.G.mix(a, b[i:i + 1].expand_as(a), lo, hi) for i in range(len(b))])
        images = self.sampler.synthesize(torch.cat([a, b, cells]))
        tops, lefts, grid = images[:len(a)], images[len(a):len(a) + len(b)], images[len(a) + len(b):]
        blank = torch.full_like(tops[:1], 255)
        rows = [torch.cat([blank, tops])]
        for i in range(len(b)):
            rows.append(torch.cat([lefts[i:i + 1], grid[i * len(a):(i + 1) * len(a)]]))
        return torch.cat(rows)

    def _need_styles(self, what: str) -> int:
        if not self.in_w:
            raise GankitError(f"{what} needs a style-based G (stylegan); {self.run.config.model} has no per-layer "
                              "styles (see 'gankit models')")
        return self.sampler.num_ws

    def arithmetic(self, terms: list[tuple[int, list[int]]], variations: int = 8, noise: float = 0.25,
                   label: int | None = None):
        """Rows: each operand's seeds and their average; then the result and noisy variations of it.

        Returns (images, columns) for a grid with one row per operand plus the result row.
        """
        width = max(max(len(s) for _, s in terms) + 1, variations + 1)
        blank = None
        rows = []
        result = None
        for sign, seeds in terms:
            lat = self.latents(seeds)
            mean = lat.mean(0, keepdim=True)
            imgs = self.decode(torch.cat([lat, mean]), label=label)
            blank = torch.full_like(imgs[:1], 255)
            pad = width - len(imgs)
            rows.append(torch.cat([imgs[:-1], blank.expand(pad, -1, -1, -1), imgs[-1:]]))
            result = sign * mean if result is None else result + sign * mean
        g = torch.Generator().manual_seed(0)
        jitter = result.expand(variations, -1).clone()
        jitter[:, : self.z_dim] += noise * (2 * torch.rand(variations, self.z_dim, generator=g) - 1)
        res = self.decode(torch.cat([jitter, result]), label=label)
        pad = width - len(res)
        rows.append(torch.cat([res[:-1], blank.expand(pad, -1, -1, -1), res[-1:]]))
        return torch.cat(rows), width
