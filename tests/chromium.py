"""Debian's chromium (scripts/ensure-chromium.sh installs it from `make test`) for the browser tests, driven
by playwright's python package, which never downloads a browser of its own."""

import contextlib
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
#: headless, and nothing of chromium's own reaching out (updates, sync, background networking)
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def launch(playwright):
    """A headless chromium; the test is skipped where it is missing (CI fails instead: it must run it)."""
    if os.environ.get("CI") and CHROMIUM is None:
        pytest.fail("CI must run the browser check: scripts/ensure-chromium.sh did not install chromium")
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (scripts/ensure-chromium.sh installs it)")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)


@contextlib.contextmanager
def serving(app):
    """``app`` (an ASGI app) under a real uvicorn on a free port of 127.0.0.1, in a thread: yields its URL."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
