"""Could WaveGAN's strided convs run faster on a CPU as plain convs over polyphase channels?

    .venv/bin/python bench/wavegan_polyphase.py [--batch 16] [--repeats 5]

A length-25, stride-4 conv1d (WaveGAN's D, padding 11) reads ``x[4t + k - 11]``. Split the input into
its 4 phases (``x_r[m] = x[4m + r]``, space-to-depth) and the same output is a stride-1 conv over
``4 C`` channels with kernel 7 (the 25 taps padded to 28 and regrouped by phase). The two agree to
float rounding; this script checks that and times forward + backward of each, for each of D's layers
at ``d=8`` (CPU milliseconds, the best of ``--repeats`` rounds, the two versions in turns, one thread).

Not used by gankit yet: a change of implementation changes the float rounding of every run, so the
measured learning curves and the slow test's thresholds (docs/audio-gans.md) would have to be measured
again with it. The figures are in docs/audio-gans.md, "Step cost".
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

KERNEL, STRIDE, PAD = 25, 4, 11
LAYERS = [(1, 8, 16384), (8, 16, 4096), (16, 32, 1024), (32, 64, 256), (64, 128, 64)]  # D at d=8: C in, C out, length


def strided(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return F.conv1d(x, w, b, stride=STRIDE, padding=PAD)


def polyphase(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The same conv: tap k (offset k - 11) becomes phase r and tap q of a 7-tap kernel, k + 1 = 4q + r."""
    n, c, length = x.shape
    o = w.shape[0]
    phases = x.view(n, c, length // STRIDE, STRIDE).transpose(2, 3).reshape(n, c * STRIDE, length // STRIDE)
    taps = F.pad(w, (1, 2)).view(o, c, 7, STRIDE).transpose(2, 3).reshape(o, c * STRIDE, 7)
    return F.conv1d(phases, taps, b, padding=3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    print("| layer (C in -> C out, length) | max abs difference | strided conv (ms) | polyphase (ms) | ratio |")
    print("|---|---|---|---|---|")
    for c, o, length in LAYERS:
        x = torch.randn(args.batch, c, length, requires_grad=True)
        w = torch.randn(o, c, KERNEL, requires_grad=True)
        b = torch.randn(o, requires_grad=True)
        diff = (strided(x, w, b) - polyphase(x, w, b)).abs().max().item()
        best = {}
        for _ in range(args.repeats):
            for name, conv in (("strided", strided), ("polyphase", polyphase)):
                start = time.process_time()
                for _ in range(5):
                    conv(x, w, b).square().sum().backward()
                best[name] = min(best.get(name, float("inf")), (time.process_time() - start) / 5 * 1000)
        print(f"| {c} -> {o}, {length} | {diff:.1e} | {best['strided']:.1f} | {best['polyphase']:.1f} | "
              f"{best['strided'] / best['polyphase']:.2f}x |")


if __name__ == "__main__":
    main()
