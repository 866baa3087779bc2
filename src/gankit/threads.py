"""How many threads torch computes with in this process: ``--threads N``, or chosen by itself.

Why choose at all: torch's default is one thread per core, fastest on an idle machine. But its
threads meet at a barrier after every op, so when another process holds one of the cores every
op waits for the thread that was descheduled. On a busy 2-core machine, 2 threads measured 6-48x
slower than 1 (``gankit bench --threads 1`` vs ``--threads 2``, project issue 19), and ``make
demo`` took 25 minutes instead of about 2. Too few threads on an idle machine cost at most the
factor of the cores left unused (2x on 2 cores), far less than that, so the automatic choice
drops to fewer threads as soon as the machine looks busy.

The rule (``choose_threads(None)``), first match wins:

1. ``OMP_NUM_THREADS`` is set: that (the user's or the launcher's explicit choice);
2. one of several processes on this machine (torchrun's ``LOCAL_WORLD_SIZE``): the cores divided
   among them;
3. other gankit processes running (``/proc``, Linux): 1 each, as they share the cores;
4. the 1-minute load average leaves fewer free cores than torch would use: the free cores, at
   least 1 (the load is a minute's memory, so a busy minute just before also counts);
5. otherwise torch's default.

The choice and its reason are recorded in a run's ``config.yaml`` (``runtime.threads``,
``runtime.threads_reason``), like the precision.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

#: what :func:`apply_threads` chose last in this process, for :func:`recorded`
_applied: tuple[int, str] | None = None


def cores() -> int:
    """The cores this process may run on (its CPU affinity, where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@lru_cache(maxsize=1)
def _torch_default() -> int:
    """torch's own choice, read once: before :func:`apply_threads` changes it."""
    import torch

    return torch.get_num_threads()


def _load() -> float | None:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # not on this OS
        return None


def _is_gankit(argv: list[str]) -> bool:
    """``gankit ...``, ``python .../bin/gankit ...`` or ``python [-X] -m gankit ...`` (not ``grep gankit``)."""
    if not argv:
        return False
    if os.path.basename(argv[0]) == "gankit":
        return True
    if not os.path.basename(argv[0]).startswith("python"):
        return False
    if len(argv) > 1 and os.path.basename(argv[1]) == "gankit":
        return True
    return any(a == "-m" and b.split(".")[0] == "gankit" for a, b in zip(argv[1:4], argv[2:5]))


def _processes() -> dict[int, tuple[int, list[str]]]:
    """pid -> (parent pid, argv) of every process /proc shows (empty where there is no /proc)."""
    out = {}
    try:
        entries = [p for p in Path("/proc").iterdir() if p.name.isdigit()]
    except OSError:
        return out
    for entry in entries:
        try:
            argv = entry.joinpath("cmdline").read_bytes().decode(errors="replace").split("\0")
            stat = entry.joinpath("stat").read_text()
            parent = int(stat[stat.rindex(")") + 2:].split()[1])  # after "pid (comm) state"
        except (OSError, ValueError, IndexError):  # gone meanwhile, or not ours to read
            continue
        out[int(entry.name)] = (parent, [a for a in argv if a])
    return out


def other_gankit_processes() -> int:
    """gankit commands running besides this one: not this process, its ancestors (the ``gankit``
    that re-ran itself under torchrun) or its descendants, and each counted once (not the workers
    it forked, which show its command line too)."""
    procs = _processes()
    gankit = {pid for pid, (_, argv) in procs.items() if _is_gankit(argv)}
    mine, pid = set(), os.getpid()
    while pid in procs and pid not in mine:  # this process and its ancestors
        mine.add(pid)
        pid = procs[pid][0]

    def under_gankit(pid: int) -> bool:  # started by this process or another gankit (its workers, torchrun's)
        seen = set()
        while pid in procs and pid not in seen:
            seen.add(pid)
            pid = procs[pid][0]
            if pid == os.getpid() or pid in gankit:
                return True
        return False

    return len([p for p in gankit - mine if not under_gankit(p)])


def choose_threads(requested: int | None = None) -> tuple[int, str]:
    """``(threads, reason)``: ``requested`` as given, else the rule of this module's docstring."""
    if requested is not None:
        return requested, f"--threads {requested}"
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env), f"auto: OMP_NUM_THREADS={env}"
    n_cores = cores()
    local = os.environ.get("LOCAL_WORLD_SIZE") or os.environ.get("WORLD_SIZE") or "1"
    if local.isdigit() and int(local) > 1:
        return max(1, n_cores // int(local)), f"auto: {n_cores} cores shared by {local} processes"
    default = _torch_default()
    others = other_gankit_processes()
    if others:
        return 1, f"auto: {others} other gankit process{'es' if others > 1 else ''} running"
    load = _load()
    if load is None:
        return default, f"auto: torch's default {default} (no load average on this OS)"
    free = n_cores - round(load)
    if free < default:
        return max(1, free), f"auto: load {load:.1f} on {n_cores} cores leaves {max(0, free)} free"
    return default, f"auto: torch's default {default} (load {load:.1f} on {n_cores} cores)"


def apply_threads(requested: int | None = None) -> tuple[int, str]:
    """Choose (:func:`choose_threads`) and set torch's thread count; returns ``(threads, reason)``."""
    import torch

    global _applied
    n, reason = choose_threads(requested)
    torch.set_num_threads(n)
    _applied = (n, reason)
    return n, reason


def recorded() -> dict:
    """``threads`` and ``threads_reason`` for a run's config.yaml: torch's count now, and why
    (the caller's own setting when it is not the one :func:`apply_threads` made)."""
    import torch

    n = torch.get_num_threads()
    reason = _applied[1] if _applied and _applied[0] == n else "torch's count in this process (not chosen by gankit)"
    return {"threads": n, "threads_reason": reason}
