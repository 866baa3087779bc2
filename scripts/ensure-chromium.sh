#!/usr/bin/env bash
# Make sure a headless Chromium is on this machine for the report tests (tests/test_report*.py).
# Debian's `chromium` package; quick no-op when it is already installed. The Python side
# (playwright, which drives this system browser, never downloading its own) comes from the
# `test` extra in pyproject.toml.
set -u
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing chromium (Debian package) for the HTML report tests..."
  if apt-get install -y -qq chromium >/dev/null 2>&1 \
     || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; }; then
    exit 0
  fi
  echo "apt-get could not install chromium."
fi
echo "chromium not found: the browser check of report.html will be skipped (install Debian's chromium)."
exit 0
