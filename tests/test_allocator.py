"""gankit.allocator: on glibc, a big block freed and allocated again costs no new page faults."""

import os
import resource
import subprocess
import sys
import tempfile

import pytest
import torch

import gankit.engine as engine
from gankit.config import TrainConfig
from gankit.data import get_dataset
from gankit.models import build_game, resolve
from gankit.precision import Precision

glibc_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")


# Measured in a fresh process, as a training run is one: a pytest worker's heap, fragmented by the tests
# before, hands out untouched free chunks for the first few big allocations whatever the setting (CI saw
# 1,442 faults per allocation there once; a few allocations later, none), and may have asked already.
_FAULTS_PER_ALLOCATION = """
import resource, sys
import torch
from gankit.allocator import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory() is True
for _ in range(3):  # the heap grows to hold the block on the first one or two (float32: 4 bytes each)
    torch.empty(64 << 18).fill_(1.0)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(4):
    torch.empty(64 << 18).fill_(1.0)  # what a step does with a layer's gradient
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 4)
"""


def _faults_per_64mb_allocation(mode: str) -> float:
    done = subprocess.run([sys.executable, "-c", _FAULTS_PER_ALLOCATION, mode], capture_output=True, text=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    return float(done.stdout.split()[-1])


@glibc_only
def test_a_freed_block_is_reused_without_page_faults():
    pages = (64 << 20) // resource.getpagesize()
    # a 64 MB block is above glibc's own (adaptive, at most 32 MB) mmap threshold, so by default every
    # allocation is a fresh mmap that touches every page anew
    assert _faults_per_64mb_allocation("default") > pages / 2
    assert _faults_per_64mb_allocation("keep") < pages / 100


def test_the_trainer_asks_for_it_on_the_cpu(monkeypatch):
    calls = []
    monkeypatch.setattr(engine, "keep_freed_memory", lambda: calls.append(1) or True)
    data = get_dataset("ring8")
    cfg = resolve(TrainConfig(model="gan", dataset="ring8"), data.spec)
    with tempfile.TemporaryDirectory() as tmp:
        engine.Trainer(cfg, build_game(cfg, data.spec), data, tmp, torch.device("cpu"), Precision("fp32", "test"),
                       quiet=True)
    assert calls == [1]
