#!/usr/bin/env bash
# Make sure the offline datasets are on this machine. Debian ships them as packages; as root with
# apt we install them. Otherwise say what to do. Never fails: gankit says the same when asked.
# - Fashion-MNIST: dataset-fashion-mnist (gankit falls back to torchvision's download online).
# - emoji: fonts-noto-color-emoji + unicode-data; then its renders are cached once (a few seconds)
#   with ${PYTHON:-.venv/bin/python}, when that python exists.
# - printed digits (digits2mnist): fonts-dejavu-core + fonts-liberation (nothing pre-built: the
#   translation tasks are built and cached on first use).
# - spoken-digits: espeak-ng (about 1.5 min to synthesize 5,120 clips); notes: fluidsynth +
#   fluid-soundfont-gm (about 20 s to render 2,400 notes). Both cached once under ~/.cache/gankit.
# - fortunes, words (text GANs): Debian fortunes + wamerican, read as they are (nothing pre-built).
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
py=${PYTHON:-.venv/bin/python}
have_py() { [ -x "$py" ] || command -v "$py" >/dev/null 2>&1; }
if ! command -v espeak-ng >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing the spoken digits' synthesizer (Debian package espeak-ng)..."
    apt_install espeak-ng || echo "apt-get could not install espeak-ng."
  fi
fi
if command -v espeak-ng >/dev/null 2>&1; then
  if have_py; then
    OMP_NUM_THREADS=1 "$py" -c 'from gankit.data.spoken_digits import build_cache; build_cache()' \
      || echo "could not build the spoken-digits cache (gankit synthesizes it on first use instead)."
  fi
else
  echo "spoken-digits dataset unavailable: apt-get install espeak-ng"
fi
sf2=/usr/share/sounds/sf2/FluidR3_GM.sf2
if ! command -v fluidsynth >/dev/null 2>&1 || [ ! -f "$sf2" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing the notes' synthesizer and soundfont (Debian packages fluidsynth fluid-soundfont-gm)..."
    apt_install fluidsynth fluid-soundfont-gm || echo "apt-get could not install fluidsynth fluid-soundfont-gm."
  fi
fi
if command -v fluidsynth >/dev/null 2>&1 && [ -f "$sf2" ]; then
  if have_py; then
    OMP_NUM_THREADS=1 "$py" -c 'from gankit.data.notes import build_cache; build_cache()' \
      || echo "could not build the notes cache (gankit renders it on first use instead)."
  fi
else
  echo "notes dataset unavailable: apt-get install fluidsynth fluid-soundfont-gm"
fi
if [ ! -d /usr/share/games/fortunes ] || [ ! -f /usr/share/dict/american-english ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing the text datasets' sources (Debian packages fortunes wamerican)..."
    apt_install fortunes wamerican || echo "apt-get could not install fortunes wamerican."
  fi
  [ -d /usr/share/games/fortunes ] || echo "fortunes dataset unavailable: apt-get install fortunes"
  [ -f /usr/share/dict/american-english ] || echo "words dataset unavailable: apt-get install wamerican"
fi
exit 0
