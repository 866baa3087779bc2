"""The in-memory dataset every loader returns, and the batch sampler the Trainer draws from.

Why in memory: the datasets a GAN toolkit trains on at laptop scale (MNIST-family, small image
folders, 2D mixtures) fit in RAM as uint8, and drawing batches by index from one tensor avoids the
per-image PIL/DataLoader work that dominates a small conv step on a CPU.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass(frozen=True)
class DataSpec:
    """What a model needs to know about its data, and all a saved run needs to sample without it.

    ``kind`` is ``"image"`` (uint8 NCHW, shown to the nets in [-1, 1]), ``"points"`` (float32
    N x dim, shown as is), ``"audio"`` (int16 N x 1 x samples, shown in [-1, 1); ``extra`` holds
    its ``sample_rate``) or ``"text"`` (int64 N x length token ids, shown as is; ``extra`` holds the
    ``vocab`` and the ``pad``/``bos``/``eos`` ids).
    """

    name: str
    kind: str
    shape: tuple[int, ...]  # per-sample shape: (C, H, W) for images, (dim,) for points
    num_classes: int = 0
    class_names: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)  # e.g. the mode centres of a toy mixture

    @property
    def channels(self) -> int:
        return self.shape[0] if self.kind == "image" else 0

    @property
    def image_size(self) -> int:
        return self.shape[-1] if self.kind == "image" else 0

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "shape": list(self.shape),
            "num_classes": self.num_classes,
            "class_names": list(self.class_names),
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "DataSpec":
        return cls(
            name=d["name"],
            kind=d["kind"],
            shape=tuple(d["shape"]),
            num_classes=int(d.get("num_classes", 0)),
            class_names=tuple(d.get("class_names", ())),
            extra=dict(d.get("extra") or {}),
        )


@dataclass
class Dataset:
    """Samples and optional integer labels, kept whole in memory.

    ``data`` is uint8 (N, C, H, W) for images and float32 (N, dim) for points.
    """

    spec: DataSpec
    data: torch.Tensor
    labels: torch.Tensor | None = None
    #: how this split was made, where the dataset has no official one (a folder's held-out share);
    #: shown beside every number measured on it
    split_rule: str = field(default="", kw_only=True)

    def __len__(self) -> int:
        return self.data.shape[0]

    def to_model(self, x: torch.Tensor) -> torch.Tensor:
        """A raw batch as the nets see it: images scaled to [-1, 1], points unchanged."""
        return to_model_space(x, self.spec)

    def subset(self, n: int, seed: int = 0) -> "Dataset":
        """A random subset of ``n`` samples (all of them when ``n >= len``), for quick tests and evals."""
        if n >= len(self):
            return self
        idx = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))[:n]
        labels = self.labels[idx] if self.labels is not None else None
        return Dataset(self.spec, self.data[idx], labels, split_rule=self.split_rule)

    def batch_sampler(self, batch_size: int, device, seed: int, rank: int = 0, world_size: int = 1) -> "BatchSampler":
        """What the Trainer draws batches from (a translation dataset has its own kind)."""
        return BatchSampler(self, batch_size, device, seed, rank, world_size)


def to_model_space(x: torch.Tensor, spec: DataSpec) -> torch.Tensor:
    if spec.kind == "image":
        return x.float().div_(127.5).sub_(1.0)
    if spec.kind == "audio":  # int16 PCM: full scale is 32768
        return x.float().div_(32768.0)
    if spec.kind == "text":  # token ids stay ids: the nets embed them
        return x.long()
    return x.float()


def resize_images(images: torch.Tensor, size: int, chunk: int = 4096) -> torch.Tensor:
    """uint8 images (N, C, H, W) to ``size`` x ``size``: bilinear with antialiasing, rounded back to
    uint8, in chunks (bounded memory). The one resize of gankit: ``--image-size`` at load time, and the
    metrics' classifier, which sees samples at the size it was trained at."""
    import torch.nn.functional as F

    if images.shape[-2:] == (size, size):
        return images
    out = []
    for part in images.split(chunk):
        x = F.interpolate(part.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        out.append(x.round().clamp(0, 255).to(torch.uint8))
    return torch.cat(out)


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """Generator output in [-1, 1] to uint8 images (values outside the range are clipped)."""
    return ((x.detach().float().clamp(-1, 1) + 1) * 127.5).round_().to(torch.uint8)


class BatchSampler:
    """Draws batches by index from a dataset moved once to the training device.

    Each epoch is a fresh permutation from the sampler's own ``torch.Generator``; its state and
    position are part of a checkpoint, so a resumed run sees exactly the batches it would have.
    With ``world_size`` processes, every rank draws the same permutation and takes its own
    disjoint slice of each global batch (rank r: images r*B..(r+1)*B-1 of every world*B).
    """

    def __init__(self, dataset: Dataset, batch_size: int, device: torch.device, seed: int,
                 rank: int = 0, world_size: int = 1):
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not in 0..{world_size - 1}")
        if len(dataset) < batch_size * world_size:
            from ..errors import GankitError

            raise GankitError(
                f"the dataset has {len(dataset)} samples, fewer than one batch of {batch_size}"
                + (f" on each of {world_size} processes" if world_size > 1 else "") + " (lower --batch-size)"
            )
        self.dataset = dataset
        self.batch_size = batch_size
        self.rank, self.world_size = rank, world_size
        self.device = device
        self.data = dataset.data.to(device)
        self.labels = dataset.labels.to(device) if dataset.labels is not None else None
        self.generator = torch.Generator().manual_seed(seed)
        self.epoch = 0
        self.position = 0
        self._order = torch.randperm(len(dataset), generator=self.generator)

    @property
    def global_batch(self) -> int:
        return self.batch_size * self.world_size

    @property
    def batches_per_epoch(self) -> int:
        return len(self.dataset) // self.global_batch

    def images_drawn(self) -> int:
        """Real images this rank has drawn since the start (what a checkpoint of format 1 implies)."""
        return (self.epoch * self.batches_per_epoch + self.position // self.global_batch) * self.batch_size

    def next(self, batch_size: int | None = None) -> dict[str, torch.Tensor]:
        """The next batch as ``{"x": images scaled for the nets, "y": labels}`` ("y" only for labelled
        data), of ``batch_size`` images per rank (default: the sampler's). Drops the last partial
        batch of an epoch."""
        idx = self.take(batch_size or self.batch_size)
        batch = {"x": to_model_space(self.data.index_select(0, idx), self.dataset.spec)}
        if self.labels is not None:
            batch["y"] = self.labels.index_select(0, idx)
        return batch

    def take(self, size: int) -> torch.Tensor:
        """This rank's indices of the next global batch (on the device), starting a new seeded epoch
        when the current one cannot fill it: what every sampler built on this one gathers from."""
        if size * self.world_size > len(self.dataset):
            from ..errors import GankitError

            raise GankitError(f"a batch of {size} is more than the {len(self.dataset)} samples (lower the batch size)")
        if self.position + size * self.world_size > len(self._order):
            self.epoch += 1
            self.position = 0
            self._order = torch.randperm(len(self.dataset), generator=self.generator)
        start = self.position + self.rank * size
        self.position += size * self.world_size
        return self._order[start : start + size].to(self.device)

    def state_dict(self) -> dict:
        return {
            "generator": self.generator.get_state(),
            "epoch": self.epoch,
            "position": self.position,
            "order": self._order.clone(),
        }

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
        self.epoch = int(state["epoch"])
        self.position = int(state["position"])
        self._order = state["order"].clone()
