"""Plugins: your own G, D, loss or recipe, remembered by the runs trained with it.

A plugin is a Python module whose import registers things through gankit's public API (a recipe
with :func:`gankit.models.register`, a metric with ``@register_metric``...). Registering in your own
script works in that process only; a run trained with ``--plugin`` (or the ``plugins:`` config key)
records the plugin in its config.yaml, and every command that opens the run (``gankit.api.load_run``)
imports it again before it looks the model up, so ``gankit sample RUN`` works in a new process.

What a run records, and so what opening someone else's run may import:

- a module name (``--plugin my_pkg.gans``) is recorded as that name and imported from ``sys.path``
  plus the current folder: only code already installed or present on this machine;
- a ``.py`` file (``--plugin examples/my_sngan.py``) is recorded as its absolute path and loaded
  from there, so the run opens from any folder while the file stays where it was;
- a module or file inside the run folder itself is never imported: a run folder carries names,
  not code.

Installed packages may also declare an entry point in the ``gankit.plugins`` group (the value a
module, imported, or ``module:function``, called with no arguments); those are loaded by every
command without being named, and the one that provides a run's model is recorded like ``--plugin``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import os
import re
import sys
from pathlib import Path

from .errors import GankitError

ENTRY_POINT_GROUP = "gankit.plugins"

#: what each plugin loaded in this process is recorded as -> its module (a plugin runs once per process)
_LOADED: dict[str, object] = {}
#: recipe name -> the recorded plugin that registered it (what ``gankit models`` shows, what a run records)
PROVIDERS: dict[str, str] = {}
_entry_points_loaded = False


def load_plugins(names: list[str] | None, run: str | Path | None = None) -> list[str]:
    """Import each plugin of ``names`` (module names or .py paths) and the installed entry points; return
    the plugins as a run records them (files as absolute paths), in order, without repeats.

    ``run``: the run folder whose config.yaml named them; its errors then say how to restore a plugin,
    and nothing inside that folder is imported."""
    load_entry_points()
    recorded: list[str] = []
    for name in names or []:
        if not isinstance(name, str) or not name.strip():
            raise GankitError(f"plugin {name!r} is not a module name or a .py path "
                              "(e.g. plugins: [my_gans] or plugins: [examples/my_sngan.py])")
        key = _load_one(name.strip(), Path(run) if run is not None else None)
        if key not in recorded:
            recorded.append(key)
    return recorded


def plugins_for(model: str, recorded: list[str]) -> list[str]:
    """``recorded`` plus the entry-point plugin that registered ``model``, if any: what a run records."""
    provider = PROVIDERS.get(model)
    return recorded + [provider] if provider and provider not in recorded else recorded


def is_file(name: str) -> bool:
    """A plugin given as a path (it ends in .py or has a folder separator), not as a module name."""
    return name.endswith(".py") or "/" in name or os.sep in name


def _load_one(name: str, run: Path | None) -> str:
    if is_file(name):
        path = Path(name).expanduser().resolve()
        key = str(path)
        if key not in _LOADED:
            _refuse_inside(run, path, name)
            _check_file(path, name, run)
            _LOADED[key] = _tracked(key, lambda: _import_file(path, name))
        return key
    if name not in _LOADED:
        _LOADED[name] = _tracked(name, lambda: _import_module(name, run))
    return name


def _tracked(key: str, load):
    """Run ``load`` and note which recipes it registered (or replaced) in :data:`PROVIDERS`."""
    from .models import MODELS

    before = dict(MODELS)
    module = load()
    for recipe, info in MODELS.items():
        if before.get(recipe) is not info:
            if recipe in before and recipe not in PROVIDERS:
                print(f"gankit: warning: plugin {key} replaced the built-in model {recipe!r}", file=sys.stderr)
            PROVIDERS[recipe] = key
    return module


def _check_file(path: Path, name: str, run: Path | None) -> None:
    if path.is_file():
        return
    if run is not None:
        raise GankitError(f"{run} was trained with plugin file {path}, which is gone (put the file back there, "
                          f"or change plugins: in {run / 'config.yaml'} to where it is now)")
    what = "is a folder" if path.is_dir() else "does not exist"
    raise GankitError(f"plugin file {name} {what} (give the path of a .py file, or a module name importable "
                      "from the current folder or PYTHONPATH)")


def _refuse_inside(run: Path | None, path: Path | None, name: str) -> None:
    """A run folder names plugins; code that lives inside it is never run (it came with the folder)."""
    if run is None or path is None:
        return
    if path.resolve().is_relative_to(run.resolve()):
        raise GankitError(f"{run} names plugin {name}, which lives inside the run folder itself, and gankit "
                          "imports no code that comes with a run (install the plugin, or copy it out and "
                          f"change plugins: in {run / 'config.yaml'} if you trust it)")


def _import_file(path: Path, name: str):
    stem = re.sub(r"\W", "_", path.stem)
    module_name = f"gankit_plugin_{stem}_{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    folder = str(path.parent)
    if folder not in sys.path:  # as `python FILE` does: the plugin may import the files beside it
        sys.path.append(folder)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except GankitError:
        sys.modules.pop(module_name, None)
        raise
    except Exception as e:  # noqa: BLE001 (any error of the user's code is its one line)
        sys.modules.pop(module_name, None)
        raise GankitError(f"plugin {name} failed to import: {_first_line(e)} (fix {path}; "
                          f"'python {path}' shows the traceback)") from None
    return module


def _import_module(name: str, run: Path | None):
    if os.getcwd() not in sys.path:  # the console script, unlike `python -m gankit`, lacks the current folder
        sys.path.append(os.getcwd())
    importlib.invalidate_caches()  # a module written since the last import in this process is found too
    try:
        if run is not None:
            _refuse_inside(run, _origin(name.split(".")[0]), name)
        return importlib.import_module(name)
    except GankitError:
        raise
    except ModuleNotFoundError as e:
        if e.name and (name == e.name or name.startswith(e.name + ".")):
            if run is not None:
                raise GankitError(f"{run} was trained with plugin module {name}, which is not importable here "
                                  f"(install it, or add the folder holding it to PYTHONPATH)") from None
            raise GankitError(f"plugin module {name} not found (give a module importable from the current folder "
                              "or PYTHONPATH, or the path of a .py file, e.g. --plugin examples/my_sngan.py)") from None
        raise _failed(name, e) from None
    except Exception as e:  # noqa: BLE001 (any error of the user's code is its one line)
        raise _failed(name, e) from None


def _origin(top: str) -> Path | None:
    """Where top-level module ``top`` would be imported from (without importing it), or None."""
    if top in sys.modules:
        return None
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.origin and spec.origin not in ("built-in", "frozen"):
        return Path(spec.origin)
    locations = list(spec.submodule_search_locations or [])
    return Path(locations[0]) if locations else None


def _failed(name: str, e: BaseException) -> GankitError:
    return GankitError(f"plugin {name} failed to import: {_first_line(e)} "
                       f"(fix {name}; 'python -c \"import {name}\"' shows the traceback)")


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


def load_entry_points() -> None:
    """Load every installed ``gankit.plugins`` entry point once per process. One that fails is skipped with
    a warning: it was installed by something else, and must not stop runs that do not need it."""
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.module in _LOADED:
            continue
        try:
            _LOADED[ep.module] = _tracked(ep.module, lambda ep=ep: _call(ep.load()))
        except Exception as e:  # noqa: BLE001 (any error in someone else's code)
            dist = getattr(ep.dist, "name", None) or "its package"
            print(f"gankit: warning: skipped plugin {ep.name} = {ep.value} of {dist} ({_first_line(e)}; "
                  f"fix or uninstall {dist})", file=sys.stderr)


def _call(obj):
    """An entry point names a module (importing it registered everything) or a function to call."""
    return obj() if callable(obj) and not isinstance(obj, type) else obj
