"""Two image domains in memory, paired or not: the data of the translation families.

Paired (pix2pix, SRGAN): ``a[i]`` and ``b[i]`` show the same thing (edges and the garment, a small
image and its full-size original), and a batch is ``{"input": a, "target": b}``. Unpaired
(CycleGAN, DiscoGAN): two sets of any sizes, and a batch is ``{"a": ..., "b": ...}``, each drawn
from its own seeded permutation (as CycleGAN's unaligned loader draws B at random).

The :class:`DataSpec` of translation data describes the B side (``shape``: what the generator
makes in the A-to-B direction); ``extra`` holds ``translation`` ("paired"/"unpaired"),
``a_shape``/``b_shape`` and the domains' names, so a saved run can rebuild its nets and translate
without the data. Labels (digits2mnist's digit classes) are kept for scoring only.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..errors import GankitError
from .base import DataSpec, to_model_space


def translation_spec(name: str, a: torch.Tensor, b: torch.Tensor, paired: bool,
                     domains: tuple[str, str] = ("A", "B"), **extra) -> DataSpec:
    """The spec of a translation dataset whose sides are the uint8 image tensors ``a`` and ``b``."""
    return DataSpec(name, "image", tuple(b.shape[1:]), extra={
        "translation": "paired" if paired else "unpaired", "a_shape": list(a.shape[1:]),
        "b_shape": list(b.shape[1:]), "domains": list(domains), **extra})


def is_translation(spec: DataSpec) -> bool:
    return spec.extra.get("translation") in ("paired", "unpaired")


@dataclass
class TranslationDataset:
    """Domain A and domain B as uint8 (N, C, H, W) tensors; ``a[i]``, ``b[i]`` are a pair when paired."""

    spec: DataSpec
    a: torch.Tensor
    b: torch.Tensor
    labels_a: torch.Tensor | None = None
    labels_b: torch.Tensor | None = None
    #: fixed images of each side for a run's grids (the first test images; set by the API when it loads data)
    preview: dict | None = None

    def __post_init__(self):
        if self.paired and len(self.a) != len(self.b):
            raise GankitError(f"{self.spec.name}: a paired dataset needs as many A as B images, not "
                              f"{len(self.a)} and {len(self.b)} (pair every image, or train an unpaired model)")

    @property
    def paired(self) -> bool:
        return self.spec.extra["translation"] == "paired"

    @property
    def labels(self):  # the plain Dataset's field: translation data has no class conditioning
        return None

    def __len__(self) -> int:
        """Samples per epoch: the pairs, or the larger side of unpaired sets (CycleGAN's epoch)."""
        return max(len(self.a), len(self.b))

    def subset(self, n: int, seed: int = 0) -> "TranslationDataset":
        """At most ``n`` pairs (or ``n`` images of each side), seeded."""
        def pick(x, labels, s):
            if n >= len(x):
                return x, labels
            idx = torch.randperm(len(x), generator=torch.Generator().manual_seed(s))[:n]
            return x[idx], (labels[idx] if labels is not None else None)

        a, la = pick(self.a, self.labels_a, seed)
        b, lb = pick(self.b, self.labels_b, seed if self.paired else seed + 1)
        return TranslationDataset(self.spec, a, b, la, lb, self.preview)

    def head(self, n: int) -> dict[str, torch.Tensor]:
        """The first ``n`` images of each side (uint8): the fixed inputs of grids and evaluations."""
        return {"a": self.a[:n], "b": self.b[:n]}

    def batch_sampler(self, batch_size: int, device, seed: int, rank: int = 0, world_size: int = 1):
        return PairSampler(self, batch_size, device, seed, rank, world_size)


class EpochOrder:
    """A seeded run of epochs over ``n`` indices, checkpointable (the plain BatchSampler's scheme)."""

    def __init__(self, n: int, seed: int):
        self.n = n
        self.generator = torch.Generator().manual_seed(seed)
        self.epoch, self.position = 0, 0
        self.order = torch.randperm(n, generator=self.generator)

    def take(self, size: int, rank: int, world_size: int) -> torch.Tensor:
        if self.position + size * world_size > self.n:
            self.epoch += 1
            self.position = 0
            self.order = torch.randperm(self.n, generator=self.generator)
        start = self.position + rank * size
        self.position += size * world_size
        return self.order[start:start + size]

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state(), "epoch": self.epoch, "position": self.position,
                "order": self.order.clone()}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
        self.epoch, self.position = int(state["epoch"]), int(state["position"])
        self.order = state["order"].clone()


class PairSampler:
    """Batches of a :class:`TranslationDataset` on the training device, in the BatchSampler's interface.

    Paired: one permutation picks the same index on both sides. Unpaired: each side has its own
    permutation (seeds ``seed`` and ``seed + 1``); every rank takes its own slice of each global batch.
    """

    def __init__(self, dataset: TranslationDataset, batch_size: int, device, seed: int, rank: int = 0,
                 world_size: int = 1):
        smallest = min(len(dataset.a), len(dataset.b))
        if smallest < batch_size * world_size:
            raise GankitError(f"{dataset.spec.name} has {smallest} images on its smaller side, fewer than one batch "
                              f"of {batch_size * world_size} (lower --batch-size)")
        self.dataset, self.batch_size = dataset, batch_size
        self.rank, self.world_size = rank, world_size
        self.a, self.b = dataset.a.to(device), dataset.b.to(device)
        self.device = device
        self.orders = {"a": EpochOrder(len(dataset.a), seed)}
        if not dataset.paired:
            self.orders["b"] = EpochOrder(len(dataset.b), seed + 1)

    @property
    def global_batch(self) -> int:
        return self.batch_size * self.world_size

    @property
    def batches_per_epoch(self) -> int:
        return len(self.dataset) // self.global_batch

    def images_drawn(self) -> int:
        first = self.orders["a"]
        return (first.epoch * (first.n // self.global_batch) + first.position // self.global_batch) * self.batch_size

    def next(self, batch_size: int | None = None) -> dict[str, torch.Tensor]:
        size = batch_size or self.batch_size
        spec = self.dataset.spec
        ia = self.orders["a"].take(size, self.rank, self.world_size).to(self.device)
        if self.dataset.paired:
            return {"input": to_model_space(self.a.index_select(0, ia), spec),
                    "target": to_model_space(self.b.index_select(0, ia), spec)}
        ib = self.orders["b"].take(size, self.rank, self.world_size).to(self.device)
        return {"a": to_model_space(self.a.index_select(0, ia), spec),
                "b": to_model_space(self.b.index_select(0, ib), spec)}

    def state_dict(self) -> dict:
        return {name: order.state_dict() for name, order in self.orders.items()}

    def load_state_dict(self, state: dict) -> None:
        for name, order in self.orders.items():
            order.load_state_dict(state[name])
