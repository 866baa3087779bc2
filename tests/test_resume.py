"""Resume is exact: N steps + resume to 2N gives the weights of 2N uninterrupted (CPU, fixed seed)."""

import torch

import gankit
from gankit.checkpoint import load_checkpoint


def _weights(run_dir):
    state = load_checkpoint(run_dir / "checkpoints" / "last.pt")
    return {k: v for k, v in state["game"].items() if k.startswith(("nets.G.", "nets.D."))}


def _assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_resume_matches_uninterrupted_mlp(tmp_path):
    common = dict(model="gan", dataset="ring8", batch_size=32, seed=3, quiet=True, log_every=7)
    gankit.train(out=tmp_path / "full", steps=60, **common)
    gankit.train(out=tmp_path / "split", steps=30, **common)
    gankit.train(resume=tmp_path / "split", steps=60, quiet=True)
    _assert_same(_weights(tmp_path / "full"), _weights(tmp_path / "split"))
    # the log continued where it stopped
    steps = [r["step"] for r in gankit.load_run(tmp_path / "split").metrics()]
    assert steps == sorted(steps) and steps[-1] == 60


def test_resume_matches_uninterrupted_dcgan_with_batchnorm(tmp_path, fashion_small):
    """Batchnorm running stats, Adam moments and the data order all carry over."""
    data = fashion_small.subset(256, seed=1)
    common = dict(model="dcgan", dataset="fashion-mnist", batch_size=32, seed=5, width=8, quiet=True, data=data)
    gankit.train(out=tmp_path / "full", steps=12, **common)
    gankit.train(out=tmp_path / "split", steps=5, **common)
    gankit.train(resume=tmp_path / "split", steps=12, quiet=True, data=data)
    _assert_same(_weights(tmp_path / "full"), _weights(tmp_path / "split"))


def test_a_resumed_run_differs_from_a_restart(tmp_path):
    """Guard for the test above: training from scratch for N steps does NOT reproduce 2N."""
    common = dict(model="gan", dataset="ring8", batch_size=32, seed=3, quiet=True)
    gankit.train(out=tmp_path / "a", steps=40, **common)
    gankit.train(out=tmp_path / "b", steps=20, **common)
    a, b = _weights(tmp_path / "a"), _weights(tmp_path / "b")
    assert any(not torch.equal(a[k], b[k]) for k in a)


def test_building_the_watchers_leaves_the_training_rng_alone(tmp_path, fashion_small):
    """The first run in a process once differed from later ones: loading the classifier for the alarms
    drew its (discarded) random init from the global RNG, after the training seed was set."""
    from gankit.callbacks import build_callbacks
    from gankit.config import TrainConfig
    from gankit.metrics.weights import _load
    from gankit.models import resolve

    _load.cache_clear()
    cfg = resolve(TrainConfig(model="dcgan", dataset="fashion-mnist", steps=10), fashion_small.spec)
    torch.manual_seed(0)
    before = torch.get_rng_state()
    assert build_callbacks(cfg, tmp_path, fashion_small)  # the alarms (which load the classifier) are built
    assert torch.equal(torch.get_rng_state(), before)
