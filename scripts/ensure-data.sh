#!/usr/bin/env bash
# Make sure Fashion-MNIST is on this machine. Debian ships it as a package; as root with apt we
# install it. Otherwise say what to do (gankit itself falls back to torchvision's download online).
set -u
dir=/usr/share/datasets/fashion-mnist
if ls "$dir"/train-images-idx3-ubyte* >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Fashion-MNIST (Debian package dataset-fashion-mnist)..."
  if apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 \
     || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1; }; then
    exit 0
  fi
  echo "apt-get could not install dataset-fashion-mnist."
fi
echo "Fashion-MNIST not found in $dir: gankit will try torchvision's download into ~/.cache/gankit"
echo "(needs a network), or pass --data-root DIR holding the idx files."
exit 0
