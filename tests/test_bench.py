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


def test_onednn_profile_counts_what_torchs_flop_counter_counts(tmp_path):
    """bench/onednn_profile.py reads oneDNN's own lines for each primitive and derives its multiply-adds
    from the problem descriptor; for a convolution and a transposed one (forward and both backward
    passes), they add up to torch's FLOP count / 2."""
    import torch.nn.functional as F
    from onednn_profile import multiply_adds, primitive_lines
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.randn(4, 8, 12, 10, requires_grad=True)
    w = torch.randn(16, 8, 4, 4, requires_grad=True)
    wt = torch.randn(16, 3, 4, 4, requires_grad=True)

    def step():
        y = F.conv2d(x, w, stride=2, padding=1)  # 4x16x6x5
        F.conv_transpose2d(y, wt, stride=2, padding=1).square().sum().backward()

    rows, _ = primitive_lines(step, 1, 0, tmp_path / "onednn.log")
    kinds = {r[5] for r in rows}
    assert {"convolution", "deconvolution"} <= kinds, kinds
    with FlopCounterMode(display=False) as counter:
        step()
    counted = sum(multiply_adds(r[5], r[-2]) for r in rows)
    assert counted == counter.get_total_flops() // 2 > 0


def test_onednn_profile_reads_matmul_and_conv_descriptors():
    from onednn_profile import multiply_adds

    assert multiply_adds("matmul", "64x1024:1024x6272") == 64 * 1024 * 6272
    assert multiply_adds("matmul", "3x64x32:3x32x16") == 3 * 64 * 32 * 16  # batched
    assert multiply_adds("convolution", "mb2_ic3oc4_ih8oh4kh4sh2dh0ph1_iw8ow4kw4sw2dw0pw1") == 2 * 4 * 3 * 16 * 16
    assert multiply_adds("convolution", "mb2_g2ic4oc6_ih8oh8kh3sh1dh0ph1") == 2 * 6 * 2 * 64 * 9  # square, grouped
    assert multiply_adds("deconvolution", "mb2_ic4oc1_ih7oh14kh4sh2dh0ph1_iw7ow14kw4sw2dw0pw1") == 2 * 4 * 49 * 16
    assert multiply_adds("reorder", "64x64x14x14") == 0
