"""The pieces the bench/ scripts are built from (their timings are never asserted: they are
measured by running the scripts, see docs/performance.md)."""

import math
import sys
from pathlib import Path

import pytest
import torch

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import _reference as ref  # noqa: E402

needs_debian_files = pytest.mark.skipif(not ref.FASHION_GZ.is_dir(), reason="Debian's fashion-mnist files not installed")


@needs_debian_files
def test_reference_loop_trains_from_a_torchvision_layout(tmp_path):
    root = ref.torchvision_root(tmp_path)
    assert (root / "FashionMNIST" / "raw" / "train-images-idx3-ubyte").is_file()
    loop = ref.ReferenceLoop("dcgan", batch_size=16, seed=0, workers=0, width=8, root=root)
    before = [p.detach().clone() for p in loop.G.parameters()]
    loop.step()
    loop.step()
    loop.close()
    assert len(loop.log) == 2 and all(math.isfinite(v) for pair in loop.log for v in pair)
    assert any(not torch.equal(a, b) for a, b in zip(before, loop.G.parameters()))


def test_reference_nets_are_gankits(tmp_path):
    """Same classes and same initial weights as gankit builds for the same seed: only the loop differs."""
    from gankit.nets.factory import build_nets

    G, D = ref.make_nets("zoo", seed=3, width=8)
    torch.manual_seed(3)
    G2, D2 = build_nets("zoo", ref.SPEC, ref.Z_DIM, 8)
    assert type(G) is type(G2) and type(D) is type(D2)
    for a, b in zip(G.state_dict().values(), G2.state_dict().values()):
        assert torch.equal(a, b)


def test_pixel_fd_is_zero_for_the_same_set_and_grows_with_difference():
    gen = torch.Generator().manual_seed(0)
    a = torch.randint(0, 256, (500, 1, 28, 28), generator=gen, dtype=torch.uint8)
    b = (a.float() * 0.5).to(torch.uint8)
    assert abs(ref.pixel_fd(a, a)) < 1e-6
    assert ref.pixel_fd(a, b) > 0.01
