"""A one-paragraph description of the machine, printed at the top of every benchmark, because a
speed figure means nothing without the cores, the CPU's vector/matrix units and the torch build."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import torch

#: the CPU flags that decide which kernels torch can use for fp32/bf16 matmuls
FLAGS_OF_INTEREST = ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8")


def cpu_model_and_flags() -> tuple[str, list[str]]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine(), []
    model, flags = platform.machine(), set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and model == platform.machine():
            model = value.strip()
        elif key.strip() == "flags" and not flags:
            flags = set(value.split())
    return model, [f for f in FLAGS_OF_INTEREST if f in flags]


def describe() -> str:
    model, flags = cpu_model_and_flags()
    cores = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cores
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    try:
        load = " load average %.2f %.2f %.2f (1/5/15 min);" % os.getloadavg()
    except OSError:
        load = ""
    return (f"CPU: {model}, {usable} usable cores of {cores}, flags: {' '.join(flags) or 'none of interest'};"
            f"{load} torch {torch.__version__} ({torch.get_num_threads()} threads); GPU: {gpu}; "
            f"python {platform.python_version()}")
