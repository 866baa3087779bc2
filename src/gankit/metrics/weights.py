"""Where classifier weights live, and loading them safely.

Lookup order for a dataset's classifier: an explicit path (``--classifier PATH``), the weights
shipped inside the package (``gankit/weights/<dataset>-classifier.pt``: Fashion-MNIST, emoji, mnist5k), then the
user's own (``$GANKIT_HOME/weights`` or ``~/.cache/gankit/weights``, where ``gankit features
train`` writes by default, e.g. for MNIST, whose data and weights gankit does not ship).
Shipped weights come first so that a number published with gankit means the same network
everywhere; a user's retrained network must be asked for by path.
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import lru_cache
from pathlib import Path

import torch

from ..errors import GankitError
from .classifier import DomainClassifier

PACKAGE_WEIGHTS = Path(__file__).resolve().parent.parent / "weights"

#: datasets made from another one's images keep its classes, so they are scored by its classifier
#: (the captioned sets add text, not new images: the same number then means the same thing)
CLASSIFIER_OF = {"fashion-captions": "fashion-mnist", "emoji-captions": "emoji"}


class NoClassifier(GankitError):
    """No weights file exists for a dataset: callers that can do without features (SWD) go on without."""


def cache_home() -> Path:
    return Path(os.environ.get("GANKIT_HOME") or Path.home() / ".cache" / "gankit")


def user_weights_path(dataset: str) -> Path:
    """Where ``gankit features train`` keeps a dataset's classifier: by name for a built-in set, and
    by the folder's last part and content hash for a folder (:mod:`gankit.data.identity`), so that
    any path reaching the same images finds it, and changed images do not."""
    from ..data.identity import folder_hash, is_folder

    if is_folder(dataset):
        folder = Path(dataset).expanduser().resolve()
        return cache_home() / "weights" / f"{_safe_name(folder.name)}-{folder_hash(folder)}-classifier.pt"
    return cache_home() / "weights" / f"{_safe_name(dataset)}-classifier.pt"


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(text).strip("./")) or "dataset"


def find_classifier(dataset: str, path: str | Path | None = None) -> Path:
    """The weights file for ``dataset`` (or ``path``), or a one-line error saying how to get one."""
    if path is not None:
        p = Path(path).expanduser()
        if not p.is_file():
            raise GankitError(f"classifier weights {p} not found (check the path)")
        return p
    dataset = CLASSIFIER_OF.get(dataset, dataset)
    for p in (PACKAGE_WEIGHTS / f"{_safe_name(dataset)}-classifier.pt", user_weights_path(dataset)):
        if p.is_file():
            return p
    from ..data.identity import folder_hash, is_folder

    if is_folder(dataset):  # the same images under another folder name: the hash is what identifies them
        same = sorted((cache_home() / "weights").glob(f"*-{folder_hash(dataset)}-classifier.pt"))
        if same:
            return same[0]
    raise NoClassifier(f"no domain classifier for {dataset!r} (train one: gankit features train --dataset {dataset}, "
                      "or pass --classifier PATH)")


def file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


@lru_cache(maxsize=8)
def _load(path_str: str, mtime: float) -> tuple[DomainClassifier, dict, str]:
    try:
        blob = torch.load(path_str, map_location="cpu", weights_only=True)
        meta = blob["meta"]
        with torch.random.fork_rng(devices=[]):  # the random init is overwritten: leave the caller's RNG alone
            model = DomainClassifier(int(meta["num_classes"]), int(meta.get("channels", 1)), meta.get("arch", "small"))
        model.load_state_dict(blob["state_dict"])
    except Exception as e:  # a corrupt or foreign file: say which and how to fix it
        raise GankitError(f"{path_str} is not a gankit classifier file ({type(e).__name__}; retrain it with "
                          "gankit features train)") from None
    return model.eval(), dict(meta), file_hash(Path(path_str))


def load_classifier(dataset: str, path: str | Path | None = None) -> tuple[DomainClassifier, dict, str]:
    """(model in eval mode, metadata, short sha256 of the file). Cached per file and modification time."""
    p = find_classifier(dataset, path)
    return _load(str(p), p.stat().st_mtime)
