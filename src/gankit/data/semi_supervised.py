"""A few labelled images and many unlabelled ones: the data of semi-supervised GANs.

``--labels-per-class N`` keeps the labels of ``N`` training images of every class, picked by a
seeded permutation per class (the same on every machine, recorded in config.yaml), and hides the
labels of every other training image. A batch is ``{"x": unlabelled images, "xl": labelled images,
"yl": their classes}``, both halves of the run's batch size, as in Salimans et al. 2016: the few
labelled images are cycled through, many times per epoch of the unlabelled ones. The test split is
untouched and is what the classifier is scored on.
"""

from __future__ import annotations

import torch

from ..errors import GankitError
from .base import Dataset, to_model_space
from .pairs import EpochOrder


def labelled_indices(labels: torch.Tensor, per_class: int, seed: int = 0) -> torch.Tensor:
    """Indices (ascending) of ``per_class`` images of each class: the first ``per_class`` of a seeded
    permutation of that class's images (class c draws from ``torch.Generator(seed * 1000 + c)``)."""
    classes = int(labels.max()) + 1 if labels.numel() else 0
    picked = []
    for c in range(classes):
        members = (labels == c).nonzero().flatten()
        if len(members) < per_class:
            raise GankitError(f"class {c} has {len(members)} training images, fewer than --labels-per-class "
                              f"{per_class} (pass a smaller N)")
        order = torch.randperm(len(members), generator=torch.Generator().manual_seed(seed * 1000 + c))
        picked.append(members[order[:per_class]])
    return torch.cat(picked).sort().values


class SemiSupervisedDataset(Dataset):
    """The unlabelled images (``data``, no ``labels``: nothing downstream can read a hidden label)
    plus the labelled few (``labelled``, ``labelled_y``)."""

    def __init__(self, dataset: Dataset, per_class: int, seed: int = 0):
        if dataset.labels is None or dataset.spec.num_classes < 2:
            raise GankitError(f"--labels-per-class needs a labelled dataset, and {dataset.spec.name} has no classes "
                              "(use e.g. fashion-mnist, mnist, or a folder with one subfolder per class)")
        idx = labelled_indices(dataset.labels, per_class, seed)
        keep = torch.ones(len(dataset), dtype=torch.bool)
        keep[idx] = False
        super().__init__(dataset.spec, dataset.data[keep], None)
        self.labelled, self.labelled_y = dataset.data[idx], dataset.labels[idx]
        self.labelled_index, self.per_class, self.seed = idx, per_class, seed

    def subset(self, n: int, seed: int = 0) -> "SemiSupervisedDataset":
        raise GankitError("--subset and --labels-per-class both choose training images (use one of them)")

    def record(self) -> dict:
        """What config.yaml keeps of the split: enough to rebuild and to check it."""
        return {"labels_per_class": self.per_class, "label_seed": self.seed, "labelled": len(self.labelled),
                "unlabelled": len(self), "labelled_index": self.labelled_index.tolist()}

    def batch_sampler(self, batch_size: int, device, seed: int, rank: int = 0, world_size: int = 1):
        return SemiSupervisedSampler(self, batch_size, device, seed, rank, world_size)


class SemiSupervisedSampler:
    """Batches of a :class:`SemiSupervisedDataset` in the BatchSampler's interface: each half from its
    own seeded order of epochs (the labelled indices repeated until they fill a global batch)."""

    def __init__(self, dataset: SemiSupervisedDataset, batch_size: int, device, seed: int, rank: int = 0,
                 world_size: int = 1):
        self.dataset, self.batch_size = dataset, batch_size
        self.rank, self.world_size, self.device = rank, world_size, device
        if len(dataset) < self.global_batch:
            raise GankitError(f"{dataset.spec.name} has {len(dataset)} unlabelled images, fewer than one batch of "
                              f"{self.global_batch} (lower --batch-size)")
        self.data = dataset.data.to(device)
        repeats = -(-self.global_batch // len(dataset.labelled))
        self.labelled = dataset.labelled.repeat(repeats, 1, 1, 1).to(device)
        self.labelled_y = dataset.labelled_y.repeat(repeats).to(device)
        self.orders = {"x": EpochOrder(len(dataset), seed), "xl": EpochOrder(len(self.labelled), seed + 1)}

    @property
    def global_batch(self) -> int:
        return self.batch_size * self.world_size

    @property
    def batches_per_epoch(self) -> int:
        return len(self.dataset) // self.global_batch

    def images_drawn(self) -> int:
        first = self.orders["x"]
        return (first.epoch * self.batches_per_epoch + first.position // self.global_batch) * self.batch_size

    def next(self, batch_size: int | None = None) -> dict[str, torch.Tensor]:
        size = batch_size or self.batch_size
        spec = self.dataset.spec
        iu = self.orders["x"].take(size, self.rank, self.world_size).to(self.device)
        il = self.orders["xl"].take(size, self.rank, self.world_size).to(self.device)
        return {"x": to_model_space(self.data.index_select(0, iu), spec),
                "xl": to_model_space(self.labelled.index_select(0, il), spec),
                "yl": self.labelled_y.index_select(0, il)}

    def state_dict(self) -> dict:
        return {name: order.state_dict() for name, order in self.orders.items()}

    def load_state_dict(self, state: dict) -> None:
        for name, order in self.orders.items():
            order.load_state_dict(state[name])
