"""How a class (or a latent code) reaches the networks: the conditioning axis of a recipe.

- none: ``G(z)``, ``D(x)``; labels are ignored.
- concat (CGAN, Mirza & Osindero 2014): the one-hot label is concatenated to G's input z, and to
  D's input (as extra features for vectors, as constant one-hot feature maps for images).
- auxiliary classifier (ACGAN, Odena et al. 2017): G gets the label by concatenation, D is
  unconditional and a classification head on its features (owned by the objective) predicts it.
- latent codes (InfoGAN, Chen et al. 2016): G's input carries structured codes that no label
  supervises; :class:`CodeLatent` draws them and :class:`CodeGenerator` lets a caller pin the
  categorical code to a value (``gankit sample --class K``) without the objective's knowledge.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .objectives.base import Latent


def one_hot(y: torch.Tensor, num_classes: int, dtype=torch.float32) -> torch.Tensor:
    return F.one_hot(y.long(), num_classes).to(dtype)


class ConcatGenerator(nn.Module):
    """``G(z, y) = inner([z, onehot(y)])``; ``inner`` is built for ``z_dim + num_classes`` inputs."""

    def __init__(self, inner: nn.Module, num_classes: int):
        super().__init__()
        self.inner = inner
        self.num_classes = num_classes

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if y is None:
            raise ValueError("a class-conditional generator needs labels y")
        return self.inner(torch.cat([z.flatten(1), one_hot(y, self.num_classes, z.dtype)], 1))


class ConcatDiscriminator(nn.Module):
    """``D(x, y) = inner([x, onehot(y)])``: one-hot maps as extra channels for images."""

    def __init__(self, inner: nn.Module, num_classes: int):
        super().__init__()
        self.inner = inner
        self.num_classes = num_classes
        self.feature_dim = inner.feature_dim

    def _join(self, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        if y is None:
            raise ValueError("a class-conditional discriminator needs labels y")
        h = one_hot(y, self.num_classes, x.dtype)
        if x.dim() == 4:
            h = h[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
        return torch.cat([x, h], 1)

    @property
    def per_sample(self) -> bool:
        """The label maps are per sample, so the wrapper is exactly as per sample as its inner net."""
        return getattr(self.inner, "per_sample", False)

    def features(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.inner.features(self._join(x, y))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.inner(self._join(x, y))


class CodeLatent(Latent):
    """InfoGAN's input: ``[z ~ N(0, I) (z_dim), c_cat one-hot (n_cat), c_cont ~ U[-1, 1] (n_cont)]``."""

    def __init__(self, z_dim: int, n_cat: int = 10, n_cont: int = 2):
        super().__init__(z_dim)
        self.n_cat, self.n_cont = n_cat, n_cont

    @property
    def dim(self) -> int:
        return self.z_dim + self.n_cat + self.n_cont

    def sample_parts(self, n, device, generator=None):
        z = torch.randn(n, self.z_dim, device=device, generator=generator)
        c = torch.randint(self.n_cat, (n,), device=device, generator=generator)
        u = torch.rand(n, self.n_cont, device=device, generator=generator) * 2 - 1
        return z, c, u

    def join(self, z, c, u) -> torch.Tensor:
        return torch.cat([z, one_hot(c, self.n_cat, z.dtype), u], 1)

    def sample(self, n, device, generator=None) -> torch.Tensor:
        return self.join(*self.sample_parts(n, device, generator))

    def split(self, latent: torch.Tensor):
        """(z, c_cat one-hot, c_cont) views of a joined latent."""
        z, rest = latent[:, : self.z_dim], latent[:, self.z_dim:]
        return z, rest[:, : self.n_cat], rest[:, self.n_cat:]


class CodeGenerator(nn.Module):
    """``G(latent, y)``: ``y``, when given, replaces the categorical code (sampling a chosen code).

    The InfoGAN objective never passes labels (the code is learned without them); the sampling
    API and the fixed sample grids do, to show one code value per row.
    """

    def __init__(self, inner: nn.Module, latent: CodeLatent):
        super().__init__()
        self.inner = inner
        self.z_dim, self.n_cat = latent.z_dim, latent.n_cat

    def forward(self, latent: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if y is not None:
            start = self.z_dim
            latent = latent.clone()
            latent[:, start:start + self.n_cat] = one_hot(y % self.n_cat, self.n_cat, latent.dtype)
        return self.inner(latent)


from .games.sampler import class_rows  # noqa: E402,F401  (its home is the Sampler now)


#: the codes ``gankit sample --sweep`` knows: the categorical one and the continuous ones
def sweep_names(latent: CodeLatent) -> list[str]:
    return ["cat"] + [f"c{i + 1}" for i in range(latent.n_cont)]


def code_sweep(latent: CodeLatent, code: str, rows: int, cols: int = 10,
               generator: torch.Generator | None = None, span: float = 2.0) -> torch.Tensor:
    """InfoGAN latents for a (rows x cols) grid that varies one code along each row.

    Each row holds its own z and other codes fixed. ``cat``: the columns run through the
    categorical values (cols = n_cat). ``c1``, ``c2``...: row r uses categorical value r % n_cat and
    the columns run the continuous code from -span to span (the paper shows -2..2, beyond the
    training range [-1, 1]).
    """
    if code == "cat":
        cols = latent.n_cat
    z, c, u = latent.sample_parts(rows, "cpu", generator)
    z, u = z.repeat_interleave(cols, 0), u.repeat_interleave(cols, 0)
    if code == "cat":
        c = torch.arange(cols).repeat(rows)
    else:
        idx = int(code[1:]) - 1
        c = (torch.arange(rows) % latent.n_cat).repeat_interleave(cols)
        u[:, idx] = torch.linspace(-span, span, cols).repeat(rows)
    return latent.join(z, c, u)
