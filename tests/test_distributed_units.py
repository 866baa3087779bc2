"""The parts of multi-process training that need no second process: shards, seeds, batch splits,
the launcher's arguments, errors, and the CPU SyncBatchNorm alone."""

import pytest
import torch
from torch import nn

from gankit import distributed
from gankit.config import TrainConfig
from gankit.data.base import BatchSampler, Dataset, DataSpec
from gankit.errors import GankitError
from gankit.launch import relaunch, without_nproc
from gankit.sync_batchnorm import CpuSyncBatchNorm, convert


def _numbered(n=40):
    spec = DataSpec("numbers", "points", (1,))
    return Dataset(spec, torch.arange(n, dtype=torch.float32).view(n, 1))


def test_ranks_take_disjoint_slices_of_one_global_batch_that_change_each_epoch():
    data = _numbered()
    one = BatchSampler(data, 8, "cpu", seed=3)
    ranks = [BatchSampler(data, 4, "cpu", seed=3, rank=r, world_size=2) for r in (0, 1)]
    seen = []
    for _ in range(10):  # 5 global batches per epoch of 40: two epochs
        whole = one.next()["x"].flatten().tolist()
        parts = [s.next()["x"].flatten().tolist() for s in ranks]
        assert not set(parts[0]) & set(parts[1])
        assert parts[0] + parts[1] == whole  # rank r holds samples r*b..(r+1)*b-1 of the global batch
        seen.append(parts[0])
    assert seen[:5] != seen[5:]  # a new permutation, so new shards, in the second epoch
    assert ranks[0].state_dict()["position"] == ranks[1].state_dict()["position"] == one.state_dict()["position"]


def test_rank_seeds_differ_per_rank_and_repeat_per_seed():
    seeds = {distributed.rank_seed(s, r) for s in range(4) for r in range(8)}
    assert len(seeds) == 32
    assert distributed.rank_seed(5, 2) == distributed.rank_seed(5, 2)


def test_the_global_batch_splits_or_says_how_to_fix_it():
    assert distributed.per_rank_batch(64, 4) == 16
    with pytest.raises(GankitError, match=r"--batch-size 30 is the global batch and does not divide over 4 processes "
                                          r"\(use a multiple of 4, e.g. 28 or 32\)"):
        distributed.per_rank_batch(30, 4)
    with pytest.raises(GankitError, match=r"e.g. 4\)"):
        distributed.per_rank_batch(3, 4)


def test_backend_is_nccl_for_gpus_and_gloo_for_cpus():
    assert distributed.backend_for(torch.device("cuda", 1)) == "nccl"
    assert distributed.backend_for(torch.device("cpu")) == "gloo"


def test_a_bad_timeout_is_a_one_line_error(monkeypatch):
    monkeypatch.setenv(distributed.TIMEOUT_ENV, "soon")
    with pytest.raises(GankitError, match="GANKIT_DIST_TIMEOUT='soon' must be a positive number of seconds"):
        distributed.timeout_s()
    monkeypatch.setenv(distributed.TIMEOUT_ENV, "45")
    assert distributed.timeout_s() == 45.0


def test_one_process_is_not_a_process_group(monkeypatch):
    for key in ("RANK", "WORLD_SIZE"):
        monkeypatch.delenv(key, raising=False)
    assert not distributed.launched()
    assert distributed.setup(torch.device("cpu")) == (torch.device("cpu"), False)
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert not distributed.launched()  # torchrun --nproc_per_node=1 trains as one process


def test_nproc_is_dropped_from_what_the_processes_run():
    assert without_nproc(["train", "--nproc", "4", "--steps", "9"]) == ["train", "--steps", "9"]
    assert without_nproc(["train", "--nproc=4", "--out", "x"]) == ["train", "--out", "x"]


def test_nproc_inside_torchrun_is_refused(monkeypatch):
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(GankitError, match="drop --nproc when launching with torchrun"):
        relaunch(2, 64, ["train", "--nproc", "2"])


def test_cpu_sync_batchnorm_is_batchnorm_in_one_process():
    torch.manual_seed(0)
    bn = nn.BatchNorm2d(3)
    bn.weight.data.uniform_()
    bn.bias.data.uniform_()
    net = nn.Sequential(nn.Conv2d(1, 3, 3), bn)
    synced = convert(nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3)), torch.device("cpu"))
    synced.load_state_dict(net.state_dict())  # same keys: checkpoints interchange
    assert isinstance(synced[1], CpuSyncBatchNorm)
    x = torch.randn(6, 1, 8, 8)
    assert torch.allclose(net(x), synced(x))
    assert torch.allclose(net[1].running_var, synced[1].running_var)
    net.eval()
    synced.eval()
    assert torch.allclose(net(x), synced(x))


def test_sync_bn_must_be_a_switch():
    with pytest.raises(GankitError, match="sync-bn must be true or false"):
        TrainConfig(sync_bn="yes").validate()


def test_modules_name_the_buffers_they_keep_per_rank():
    from gankit.augment.ada import AdaptiveAugment
    from gankit.games.translation import ImagePool

    pool, ada = ImagePool(4, (1, 8, 8)), AdaptiveAugment()
    assert distributed.rank_local(pool) == {id(pool.images), id(pool.filled)}
    shared = distributed.shared_state(ada, buffers_only=True)
    assert set(shared) == {"buffer:p", "buffer:rt"}  # the sums between updates stay per rank
