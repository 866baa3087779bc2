"""gankit.allocator: on glibc, a big block freed and allocated again costs no new page faults."""

import resource
import sys
import tempfile

import pytest
import torch

import gankit.allocator as allocator
import gankit.engine as engine
from gankit.allocator import keep_freed_memory
from gankit.config import TrainConfig
from gankit.data import get_dataset
from gankit.models import build_game, resolve
from gankit.precision import Precision

glibc_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")


def _faults_per_allocation(megabytes: int, times: int = 4) -> float:
    for _ in range(3):  # the heap grows to hold the block on the first one or two (float32: 4 bytes each)
        torch.empty(megabytes << 18).fill_(1.0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(times):
        torch.empty(megabytes << 18).fill_(1.0)  # what a step does with a layer's gradient
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / times


@glibc_only
def test_a_freed_block_is_reused_without_page_faults():
    pages = (64 << 20) // resource.getpagesize()
    # the guard: a 64 MB block is above glibc's own (adaptive, at most 32 MB) mmap threshold, so by default
    # every allocation is a fresh mmap and touches every page anew. Unless this process already kept it.
    if not allocator._done:
        assert _faults_per_allocation(64) > pages / 2
    assert keep_freed_memory() is True
    assert _faults_per_allocation(64) < pages / 100


def test_the_trainer_asks_for_it_on_the_cpu(monkeypatch):
    calls = []
    monkeypatch.setattr(engine, "keep_freed_memory", lambda: calls.append(1) or True)
    data = get_dataset("ring8")
    cfg = resolve(TrainConfig(model="gan", dataset="ring8"), data.spec)
    with tempfile.TemporaryDirectory() as tmp:
        engine.Trainer(cfg, build_game(cfg, data.spec), data, tmp, torch.device("cpu"), Precision("fp32", "test"),
                       quiet=True)
    assert calls == [1]
