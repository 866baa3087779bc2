"""Start N processes of tests/distributed_worker.py the way torchrun does (env:// variables), and end
them the way torchrun does: when one fails, the others get a grace period, then are killed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

WORKER = Path(__file__).with_name("distributed_worker.py")


@dataclass
class Result:
    codes: list[int | None]  # None: still running when killed
    outputs: list[str]
    seconds: float


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(n: int, args: list[str], timeout: float = 120.0, grace: float = 20.0, env: dict | None = None,
          module: bool = False) -> Result:
    port = free_port()
    procs, logs = [], []
    start = time.monotonic()
    for r in range(n):
        e = {**os.environ, "OMP_NUM_THREADS": "1", "GANKIT_DIST_TIMEOUT": "60", "PYTHONUNBUFFERED": "1", **(env or {})}
        if n > 1:
            e.update(RANK=str(r), LOCAL_RANK=str(r), WORLD_SIZE=str(n), LOCAL_WORLD_SIZE=str(n),
                     MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        else:
            for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
                e.pop(k, None)
        cmd = [sys.executable, "-m", "gankit", *args] if module else [sys.executable, str(WORKER), *args]
        log = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: a chatty process never blocks on it
        procs.append(subprocess.Popen(cmd, env=e, stdout=log, stderr=subprocess.STDOUT, text=True))
        logs.append(log)
    failed_at = None
    while True:
        codes = [p.poll() for p in procs]
        now = time.monotonic()
        if all(c is not None for c in codes):
            break
        if failed_at is None and any(c not in (None, 0) for c in codes):
            failed_at = now
        if now - start > timeout or (failed_at is not None and now - failed_at > grace):
            for p in procs:
                if p.poll() is None:
                    p.kill()
            break
        time.sleep(0.1)
    for p in procs:
        p.wait()
    outputs = []
    for log in logs:
        log.seek(0)
        outputs.append(log.read())
        log.close()
    return Result(codes, outputs, time.monotonic() - start)
