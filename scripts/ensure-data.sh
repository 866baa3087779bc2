#!/usr/bin/env bash
# Make sure the offline datasets are on this machine. Debian ships them as packages; as root with
# apt we install them. Otherwise say what to do. Never fails: gankit says the same when asked.
# - Fashion-MNIST: dataset-fashion-mnist (gankit falls back to torchvision's download online).
# - emoji: fonts-noto-color-emoji + unicode-data; then its renders are cached once (a few seconds)
#   with ${PYTHON:-.venv/bin/python}, when that python exists.
# - printed digits (digits2mnist): fonts-dejavu-core + fonts-liberation (nothing pre-built: the
#   translation tasks are built and cached on first use).
set -u

apt_install() {  # apt_install PKG...: 0 when installed (as root with apt only)
  [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 || return 1
  apt-get install -y -qq "$@" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$@" >/dev/null 2>&1; }
}

dir=/usr/share/datasets/fashion-mnist
if ! ls "$dir"/train-images-idx3-ubyte* >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Fashion-MNIST (Debian package dataset-fashion-mnist)..."
    apt_install dataset-fashion-mnist || echo "apt-get could not install dataset-fashion-mnist."
  fi
  if ! ls "$dir"/train-images-idx3-ubyte* >/dev/null 2>&1; then
    echo "Fashion-MNIST not found in $dir: gankit will try torchvision's download into ~/.cache/gankit"
    echo "(needs a network), or pass --data-root DIR holding the idx files."
  fi
fi

font=/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
list=/usr/share/unicode/emoji/emoji-test.txt
if [ ! -f "$font" ] || [ ! -f "$list" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing the emoji dataset's sources (Debian packages fonts-noto-color-emoji unicode-data)..."
    apt_install fonts-noto-color-emoji unicode-data \
      || echo "apt-get could not install fonts-noto-color-emoji unicode-data."
  fi
fi
if [ -f "$font" ] && [ -f "$list" ]; then
  py=${PYTHON:-.venv/bin/python}
  if [ -x "$py" ] || command -v "$py" >/dev/null 2>&1; then
    OMP_NUM_THREADS=1 "$py" -c 'from gankit.data.emoji import build_cache; build_cache()' \
      || echo "could not build the emoji cache (gankit renders it on first use instead)."
  fi
else
  echo "emoji dataset unavailable: apt-get install fonts-noto-color-emoji unicode-data"
fi
fonts=/usr/share/fonts/truetype
if [ ! -d "$fonts/dejavu" ] || [ ! -d "$fonts/liberation" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing the printed digits' fonts (Debian packages fonts-dejavu-core fonts-liberation)..."
    apt_install fonts-dejavu-core fonts-liberation \
      || echo "apt-get could not install fonts-dejavu-core fonts-liberation."
  fi
  if [ ! -d "$fonts/dejavu" ] && [ ! -d "$fonts/liberation" ]; then
    echo "printed digits (digits2mnist) unavailable: apt-get install fonts-dejavu-core fonts-liberation"
  fi
fi
exit 0
