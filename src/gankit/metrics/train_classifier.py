"""Train the domain classifier (``gankit features train --dataset fashion-mnist``).

Reproducible from a seed on the same machine and software: the initial weights, the batch order
and the augmentation all come from ``torch.Generator``s seeded from ``seed``. Augmentation is a
random shift of up to 2 pixels (and a horizontal flip for Fashion-MNIST, whose classes are
mirror-symmetric; never for digits). bf16 autocast on CPUs that have it (about 2x faster here),
fp32 master weights. The test accuracy is measured once at the end, in fp32, and stored with the
weights together with the command that made them.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ..errors import GankitError
from ..precision import cpu_has_fast_bf16
from ..safe_write import atomic_output, check_output_file, write_text
from .classifier import DomainClassifier

SHIFT = 2


def _augment(x: torch.Tensor, flip: bool, gen: torch.Generator) -> torch.Tensor:
    """Random per-sample shifts (zero padding) and optional horizontal flips of uint8 images."""
    n, c, h, w = x.shape
    padded = F.pad(x, (SHIFT, SHIFT, SHIFT, SHIFT))
    dy = torch.randint(0, 2 * SHIFT + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * SHIFT + 1, (n,), generator=gen)
    rows = (dy[:, None] + torch.arange(h))[:, None, :, None].expand(n, c, h, w)
    cols = (dx[:, None] + torch.arange(w))[:, None, None, :].expand(n, c, h, w)
    out = _crop(padded, rows, cols)
    if flip:
        mask = torch.rand(n, generator=gen) < 0.5
        out[mask] = out[mask].flip(-1)
    return out


def _crop(padded: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor) -> torch.Tensor:
    n, c, h, w = rows.shape
    full_w = padded.shape[-1]
    picked_rows = padded.gather(2, rows[..., :1].expand(n, c, h, full_w))
    return picked_rows.gather(3, cols)


@torch.no_grad()
def accuracy(model: DomainClassifier, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000) -> float:
    model.eval()
    correct = 0
    for start in range(0, len(images), batch_size):
        logits = model(images[start:start + batch_size])
        correct += int((logits.argmax(1) == labels[start:start + batch_size]).sum())
    return correct / len(images)


def train_classifier(dataset: str = "fashion-mnist", out: str | Path | None = None, epochs: int = 8,
                     batch_size: int = 256, lr: float = 3e-3, seed: int = 0, precision: str = "auto",
                     data_root: str | None = None, quiet: bool = False, command: str | None = None,
                     limit: int | None = None, test_limit: int | None = None, arch: str = "base") -> dict:
    """Train a :class:`DomainClassifier` on ``dataset``'s train split and save it with its metadata.

    Returns the metadata (test accuracy included). ``limit`` trains on a subset (tests only).
    """
    from ..data import get_dataset
    from .weights import user_weights_path

    train = get_dataset(dataset, "train", data_root)
    if train.spec.kind != "image" or train.labels is None or train.spec.num_classes < 2:
        raise GankitError(f"{dataset} has no class labels to train a classifier on (use a labelled image dataset)")
    try:  # a folder's test split is held out of training (gankit.data.folder): the accuracy is on unseen images
        test = get_dataset(dataset, "test", data_root)
    except GankitError as e:
        if not train.split_rule:
            raise
        raise GankitError(f"{dataset} has too few images to hold out a test split for the accuracy (add a test/ "
                          "subfolder with the same class folders)") from e
    if limit is not None:
        train = train.subset(limit, seed=seed)
    if test_limit is not None:
        test = test.subset(test_limit, seed=seed)
    out = check_output_file(Path(out) if out is not None else user_weights_path(dataset))  # before minutes of training
    bf16 = precision == "bf16" or (precision == "auto" and cpu_has_fast_bf16())
    torch.manual_seed(seed)
    model = DomainClassifier(train.spec.num_classes, train.spec.channels, arch)
    gen = torch.Generator().manual_seed(seed + 1)
    steps_per_epoch = len(train) // batch_size
    if steps_per_epoch == 0:
        raise GankitError(f"--batch-size {batch_size} is more than the {len(train)} training images of {dataset} "
                          f"(use at most {len(train)}; the default is 256)")
    total = epochs * steps_per_epoch
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total, pct_start=0.2)
    flip = dataset == "fashion-mnist"
    start = time.perf_counter()
    bar = tqdm(total=total, disable=quiet, desc=f"classifier on {dataset}", unit="step", dynamic_ncols=True)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(train), generator=gen)
        for i in range(steps_per_epoch):
            idx = order[i * batch_size:(i + 1) * batch_size]
            x = _augment(train.data[idx], flip, gen)
            y = train.labels[idx]
            with torch.autocast("cpu", torch.bfloat16, enabled=bf16):
                loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            bar.update(1)
            if i % 50 == 0:
                bar.set_postfix(loss=f"{loss.item():.3f}")
        model.train()
    bar.close()
    seconds = time.perf_counter() - start
    acc = accuracy(model, test.data, test.labels)
    meta = {"dataset": dataset, "arch": arch, "test_accuracy": round(acc, 4), "num_classes": train.spec.num_classes,
            "channels": train.spec.channels, "image_size": train.spec.image_size,
            "class_names": list(train.spec.class_names), "seed": seed,
            "epochs": epochs, "batch_size": batch_size, "lr": lr, "precision": "bf16" if bf16 else "fp32",
            "train_images": len(train), "test_images": len(test),
            "test_split": test.split_rule or "the official test split", "train_seconds": round(seconds, 1), "torch": str(torch.__version__),
            "command": command or f"gankit features train --dataset {dataset} --epochs {epochs} --seed {seed}"}
    if not math.isfinite(loss.item()):
        raise GankitError("classifier training diverged (lower --lr)")
    save_classifier(model, meta, out)
    meta["path"] = str(out)
    return meta


def save_classifier(model: DomainClassifier, meta: dict, out: Path) -> None:
    """Weights + metadata in one file loadable with ``weights_only=True``, and a JSON sidecar."""
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    with atomic_output(out) as tmp:
        torch.save({"format": "gankit-classifier-1", "meta": meta, "state_dict": state}, tmp)
    write_text(out.with_suffix(".json"), json.dumps(meta, indent=2) + "\n")
