"""A measured matmul peak: the yardstick that achieved GFLOP/s is compared with.

Vendor peaks assume every core at full clock on ideal shapes; what a user can get is better
measured. We time square matmuls of a few sizes in the precision training uses (bf16/fp16 tensors
for those, fp32 otherwise) and keep the best rate. On a shared machine the figure drops with
everyone else's load, so compare it with step timings taken in the same run.
"""

from __future__ import annotations

import time

import torch

_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def matmul_peak(precision: str, device: torch.device | str = "cpu", sizes: tuple[int, ...] = (1024, 2048),
                repeats: int = 3) -> float:
    """Best achieved GFLOP/s of an n x n @ n x n matmul over ``sizes`` (``repeats`` timed runs each)."""
    device = torch.device(device)
    dtype = _DTYPES[precision]
    best = 0.0
    gen = torch.Generator(device="cpu").manual_seed(0)
    for n in sizes:
        a = torch.randn(n, n, generator=gen).to(device=device, dtype=dtype)
        b = torch.randn(n, n, generator=gen).to(device=device, dtype=dtype)
        a @ b  # warm-up: kernel selection, AMX tile set-up, CUDA context
        _sync(device)
        for _ in range(repeats):
            t0 = time.perf_counter()
            a @ b
            _sync(device)
            best = max(best, 2 * n**3 / (time.perf_counter() - t0) / 1e9)
    return best


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
