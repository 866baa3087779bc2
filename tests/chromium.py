"""Debian's chromium (scripts/ensure-chromium.sh installs it from `make test`) for the browser tests, driven
by playwright's python package, which never downloads a browser of its own."""

import os
import shutil
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
