"""gankit: train, evaluate, compare and explore GANs.

>>> import gankit
>>> run = gankit.train(model="gan", dataset="ring8", steps=2000, out="runs/ring8-gan")
>>> gankit.load_run("runs/ring8-gan").sample(16)
"""

__version__ = "0.1.0"

from .api import Run, load_run, train  # noqa: E402
from .config import TrainConfig  # noqa: E402
from .errors import GankitError  # noqa: E402

__all__ = ["GankitError", "Run", "TrainConfig", "load_run", "train", "__version__"]

#: subpackages reachable as attributes without importing them first (``gankit.metrics.evaluate(...)``
#: after a plain ``import gankit``), loaded on first use so that ``import gankit`` stays quick
_LAZY = ("metrics", "viz", "models", "data", "nets", "games", "objectives")


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'gankit' has no attribute {name!r}")
