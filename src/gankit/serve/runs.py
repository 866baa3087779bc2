"""The runs a ``gankit serve`` page may open, and nothing else.

The page names a run only by an id this index handed out (``"0/cgan"``: the index of the served
folder it was found in, then its path inside that folder). A request's id is looked up in the
index, never joined onto a path, so ``../`` or an absolute path in a request reaches nothing.
Loaded runs are kept in a small LRU cache, reloaded when their ``last.pt`` changes (a run still
training can be watched).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from ..errors import GankitError
from ..viz.runfiles import RunFiles, is_number

#: a served folder is searched this deep for run folders (runs/<group>/<run> is common)
MAX_DEPTH = 3
#: loaded runs kept in memory (each holds its nets, a few MB for the zoo, ~100 MB for the largest)
CACHE_RUNS = 4
#: lower is better for these; the first one a run has is its "best" in the list
BEST_KEYS = ("fid", "kid", "swd", "energy_distance")


class UnknownRun(GankitError):
    """A run id the index did not hand out (-> HTTP 404)."""


def is_run(path: Path) -> bool:
    return (path / "config.yaml").is_file() and (path / "checkpoints" / "last.pt").is_file()


def _find_runs(root: Path, depth: int = MAX_DEPTH) -> list[Path]:
    if is_run(root):
        return [root]
    if depth == 0 or not root.is_dir():
        return []
    found = []
    try:
        children = sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))
    except OSError:
        return []
    for child in children:
        found += _find_runs(child, depth - 1)
    return found


def check_roots(paths: list[str | Path]) -> list[Path]:
    """The folders to serve (the current directory's ``runs`` when none are given), or a one-line error."""
    roots = [Path(p).expanduser() for p in (paths or ["runs"])]
    for root in roots:
        if not root.is_dir():
            raise GankitError(f"{root} is not a folder (give run folders or a folder of runs, e.g. gankit serve runs/)")
    return [r.resolve() for r in roots]


class PluginRefused(GankitError):
    """A run whose model comes from a plugin, served without ``--allow-plugins`` (-> HTTP 400)."""


class RunIndex:
    def __init__(self, roots: list[Path], allow_plugins: bool = False):
        self.roots = roots
        #: a run's plugins are Python files or modules its config.yaml names; loading the run imports them.
        #: A page (or whoever reaches the port) must not make the server run code named by a run folder it
        #: was handed, so that needs the user's say-so (gankit serve --allow-plugins)
        self.allow_plugins = allow_plugins
        self._cache: OrderedDict[str, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()

    def scan(self) -> dict[str, Path]:
        """id -> run folder, found anew on each call (runs come and go while the page is open)."""
        out = {}
        for i, root in enumerate(self.roots):
            for path in _find_runs(root):
                rel = path.relative_to(root).as_posix()
                out[f"{i}/{root.name if rel == '.' else rel}"] = path
        return out

    def path(self, run_id: str) -> Path:
        path = self.scan().get(run_id)
        if path is None:
            raise UnknownRun(f"no run {run_id!r} is served here (pick one from the list, /api/runs)")
        return path

    def load(self, run_id: str):
        """The :class:`gankit.Run` of an id, its nets loaded (weights_only), from the cache when unchanged."""
        from ..api import load_run

        path = self.path(run_id)
        stamp = (path / "checkpoints" / "last.pt").stat().st_mtime
        with self._lock:
            hit = self._cache.get(run_id)
            if hit is not None and hit[0] == stamp:
                self._cache.move_to_end(run_id)
                return hit[1]
        plugins = RunFiles(path, warn=None).section("train").get("plugins")  # a cached run was let in already
        if plugins and not self.allow_plugins:
            names = ", ".join(map(str, plugins)) if isinstance(plugins, list) else str(plugins)
            raise PluginRefused(f"{run_id} trains a model from plugin code ({names}), which loading it would import "
                                "(restart gankit serve with --allow-plugins if you trust that code)")
        run = load_run(path)
        run.game  # noqa: B018 (loads the checkpoint now, under this request's error handling)
        with self._lock:
            self._cache[run_id] = (stamp, run)
            self._cache.move_to_end(run_id)
            while len(self._cache) > CACHE_RUNS:
                self._cache.popitem(last=False)
        return run

    def summaries(self) -> list[dict]:
        return [summary(run_id, path) for run_id, path in self.scan().items()]


def summary(run_id: str, path: Path) -> dict:
    """What the run list shows, from the run's files alone (no nets are loaded for the list)."""
    files = RunFiles(path, warn=None)
    train, data = files.section("train"), files.section("data")
    records = files.metrics
    return {"id": run_id, "name": path.name, "model": train.get("model"), "dataset": data.get("name"),
            "kind": data.get("kind", "image"), "step": records[-1]["step"] if records else None,
            "best": best_metric(records, files.eval)}


def best_metric(records: list[dict], evaluation: dict | None) -> dict | None:
    """The lowest value of the first of :data:`BEST_KEYS` the run measured while training, else its eval.json's."""
    for key in BEST_KEYS:
        values = [(r[key], r["step"]) for r in records if is_number(r.get(key))]
        if values:
            value, step = min(values)
            return {"metric": key, "value": value, "step": step}
    metrics = (evaluation or {}).get("metrics", {})
    for key in BEST_KEYS:
        if is_number(metrics.get(key)):
            return {"metric": key, "value": metrics[key], "step": (evaluation.get("info") or {}).get("step")}
    return None

