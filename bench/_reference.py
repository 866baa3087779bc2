"""The usual way to train a GAN in PyTorch, as the comparison point for gankit's engine.

This is the loop most GAN scripts people copy are built on (the PyTorch DCGAN example and its
many descendants): a torchvision ``datasets`` class with ``transforms.ToTensor()`` +
``Normalize((0.5,), (0.5,))`` applied image by image through PIL, a ``DataLoader`` with worker
processes, fp32, plain ``Adam`` (no fused kernel), and the losses read with ``.item()`` at every
step for logging. The networks are gankit's own modules (built by ``gankit.nets.factory``), so
both loops train the same nets with the same batch size and optimizer settings: any difference
is the loop, not the model.

Shared by bench/vs_reference.py and bench/time_to_quality.py; not part of the package.
"""

from __future__ import annotations

import gzip
import shutil
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from gankit.data import DataSpec
from gankit.nets.factory import build_nets

FASHION_GZ = Path("/usr/share/datasets/fashion-mnist")
CACHE = Path.home() / ".cache" / "gankit-bench"
Z_DIM = 100
LR, BETAS = 2e-4, (0.5, 0.999)  # the DCGAN paper's Adam, as gankit's dcgan recipe uses
SPEC = DataSpec("fashion-mnist", "image", (1, 28, 28), 10)


def torchvision_root(root: Path = CACHE) -> Path:
    """A torchvision-style root (``<root>/FashionMNIST/raw/`` with unpacked idx files), as a user who
    ran ``FashionMNIST(download=True)`` has. Built once from Debian's gzipped files."""
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for gz in sorted(FASHION_GZ.glob("*-ubyte.gz")):
        target = raw / gz.name[:-3]
        if not target.exists():
            tmp = target.with_suffix(".tmp")
            with gzip.open(gz, "rb") as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst)
            tmp.replace(target)
    return root


def make_loader(batch_size: int, workers: int, seed: int, root: Path | None = None):
    import torchvision.datasets as tvd
    import torchvision.transforms as T

    transform = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
    ds = tvd.FashionMNIST(str(root or torchvision_root()), train=True, download=False, transform=transform)
    return torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=True, num_workers=workers,
                                       drop_last=True, generator=torch.Generator().manual_seed(seed))


def make_nets(arch: str, seed: int, width: int | None = None):
    torch.manual_seed(seed)
    return build_nets(arch, SPEC, Z_DIM, width)


class ReferenceLoop:
    """One object holding nets, optimizers and the data iterator; ``step()`` is one D + one G update."""

    def __init__(self, arch: str, batch_size: int, seed: int = 0, workers: int = 2, width: int | None = None,
                 root: Path | None = None):
        self.G, self.D = make_nets(arch, seed, width)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=LR, betas=BETAS)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=LR, betas=BETAS)
        self.loader = make_loader(batch_size, workers, seed, root)
        self.batch_size = batch_size
        self._it = iter(self.loader)
        self.log: list[tuple[float, float]] = []

    def _next(self) -> torch.Tensor:
        try:
            real, _ = next(self._it)
        except StopIteration:
            self._it = iter(self.loader)
            real, _ = next(self._it)
        return real

    def step(self) -> None:
        real = self._next()
        b = real.shape[0]
        ones, zeros = torch.ones(b), torch.zeros(b)
        # D: real then fake, as in the PyTorch DCGAN example
        self.D.zero_grad()
        err_real = F.binary_cross_entropy_with_logits(self.D(real), ones)
        err_real.backward()
        fake = self.G(torch.randn(b, Z_DIM))
        err_fake = F.binary_cross_entropy_with_logits(self.D(fake.detach()), zeros)
        err_fake.backward()
        self.opt_d.step()
        # G: non-saturating loss on the same fakes
        self.G.zero_grad()
        err_g = F.binary_cross_entropy_with_logits(self.D(fake), ones)
        err_g.backward()
        self.opt_g.step()
        self.log.append(((err_real + err_fake).item(), err_g.item()))  # host sync every step, for the log

    def close(self) -> None:
        del self._it  # shuts the worker processes down


def time_steps(step, steps: int, warmup: int, chunk: int = 10) -> float:
    """Median seconds per step over chunks of ``chunk`` steps, after ``warmup`` untimed steps."""
    import statistics

    for _ in range(warmup):
        step()
    chunks = []
    done = 0
    while done < steps:
        n = min(chunk, steps - done)
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        chunks.append((time.perf_counter() - t0) / n)
        done += n
    return statistics.median(chunks)


def pixel_fd(a_uint8: torch.Tensor, b_uint8: torch.Tensor, size: int = 7) -> float:
    """Fréchet distance between Gaussians fitted to 7x7 average-pooled pixels (in [0, 1]) of two
    uint8 image sets: a cheap, label-free stand-in for FID while gankit.metrics is not available."""
    a = F.adaptive_avg_pool2d(a_uint8.float() / 255, size).flatten(1).double()
    b = F.adaptive_avg_pool2d(b_uint8.float() / 255, size).flatten(1).double()
    mu = a.mean(0) - b.mean(0)
    ca, cb = torch.cov(a.T), torch.cov(b.T)
    evals, evecs = torch.linalg.eigh(ca)
    root = evecs @ torch.diag(evals.clamp(min=0).sqrt()) @ evecs.T
    m = root @ cb @ root
    tr = torch.linalg.eigvalsh((m + m.T) / 2).clamp(min=0).sqrt().sum()
    return float(mu.pow(2).sum() + ca.trace() + cb.trace() - 2 * tr)
