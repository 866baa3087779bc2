"""Device and numeric precision selection.

``auto`` precision picks bf16 autocast where the hardware runs bf16 matmuls natively (CUDA with
bf16 support; x86 CPUs with AMX or AVX512-BF16), and fp32 elsewhere. fp16 is CUDA-only and uses
a gradient scaler. The choice and its reason are written to the run's config.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import torch

from .errors import GankitError


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise GankitError(f"--device {name} requested but CUDA is not available (use --device cpu or auto)")
    return torch.device(name)


def cpu_has_fast_bf16() -> bool:
    """True when /proc/cpuinfo lists AMX-BF16 or AVX512-BF16 (native bf16 matmul units)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " amx_bf16" in flags or " avx512_bf16" in flags


@dataclass(frozen=True)
class Precision:
    name: str  # fp32 | bf16 | fp16
    reason: str

    @property
    def dtype(self) -> torch.dtype | None:
        return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.name)

    def autocast(self, device: torch.device):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device.type, dtype=self.dtype)


def resolve_precision(name: str, device: torch.device, data_kind: str = "image") -> Precision:
    """``data_kind`` matters for ``auto``: 2D point data stays fp32 (see below)."""
    if name == "fp32":
        return Precision("fp32", "requested")
    if name == "bf16":
        return Precision("bf16", "requested")
    if name == "fp16":
        if device.type != "cuda":
            raise GankitError("--precision fp16 needs a CUDA device (use bf16 or fp32 on the CPU)")
        return Precision("fp16", "requested")
    # auto
    if data_kind == "points":
        # bf16 keeps 8 mantissa bits: near |x| = 2 its spacing is 0.016, as coarse as ring8's std (0.02),
        # and the tiny MLPs of 2D toys gain no speed from it. Measured: gan on ring8 covered 7/8 modes
        # in fp32 and 2/8 in bf16 with the same seed and budget.
        return Precision("fp32", "auto: 2D point data needs fp32 resolution")
    if device.type == "cuda":
        if torch.cuda.is_bf16_supported():
            return Precision("bf16", "auto: the GPU supports bf16")
        return Precision("fp16", "auto: the GPU lacks bf16; fp16 with a gradient scaler")
    if cpu_has_fast_bf16():
        return Precision("bf16", "auto: the CPU has native bf16 matmul (AMX/AVX512-BF16)")
    return Precision("fp32", "auto: the CPU has no native bf16 matmul")
