"""The image-to-image nets: pix2pix's U-Net and PatchGAN, CycleGAN's ResNet generator, DiscoGAN's
encoder-decoders, SRGAN's SRResNet and discriminator. Shapes at our sizes, the PatchGAN receptive
field measured by a gradient probe, the U-Net's skips and dropout, and parameter counts against
the papers'."""

import pytest
import torch
from torch import nn

from gankit.nets.discogan import DiscoDiscriminator, DiscoGenerator
from gankit.nets.patchgan import PatchDiscriminator, layers_for, receptive_field
from gankit.nets.resnet_translator import ResnetGenerator
from gankit.nets.srresnet import SRDiscriminator, SRResNet
from gankit.nets.unet import UNetGenerator, halvings

W = 8  # small widths: shapes and wiring do not depend on them
CHANNELS = [(1, 1), (1, 3), (3, 3)]


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield
    torch.set_num_threads(n)


def n_params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def in_range(y: torch.Tensor) -> bool:
    return bool(y.min() >= -1 and y.max() <= 1)


# --- shapes and output range -------------------------------------------------------------------

@pytest.mark.parametrize("size", [28, 64])
@pytest.mark.parametrize("c_in,c_out", CHANNELS)
def test_generators_keep_the_image_size(size, c_in, c_out):
    x = 3 * torch.randn(2, c_in, size, size)  # beyond [-1, 1]: the output must still be in it
    for G in (UNetGenerator(c_in, c_out, size, width=W), ResnetGenerator(c_in, c_out, width=W, n_blocks=2),
              DiscoGenerator(c_in, c_out, size, width=W)):
        y = G(x)
        assert y.shape == (2, c_out, size, size), type(G).__name__
        assert in_range(y), type(G).__name__


def test_unet_depth_from_image_size():
    assert [halvings(s) for s in (28, 64, 256, 7)] == [2, 6, 8, 0]
    assert UNetGenerator(1, 1, 28, width=W, pad=False).depth == 2
    assert UNetGenerator(1, 1, 28, width=W).depth == 5  # padded to 32: down to 1x1
    assert UNetGenerator(1, 1, 28, width=W)(torch.randn(2, 1, 28, 28)).shape == (2, 1, 28, 28)
    assert UNetGenerator(1, 1, 64, width=W).depth == 6
    assert len(UNetGenerator(3, 3, 64, width=W, depth=3).down) == 3
    assert UNetGenerator(1, 3, 64, width=W, depth=3)(torch.randn(2, 1, 64, 64)).shape == (2, 3, 64, 64)
    with pytest.raises(ValueError):
        UNetGenerator(1, 1, 28, depth=3, pad=False)  # 7 is odd: a third halving would not come back to 28


def test_unet_matches_the_paper_at_256():
    G = UNetGenerator(3, 3, 256)  # C64-C128-C256-C512-C512-C512-C512-C512, channels capped at 8 * 64
    assert [block[0].out_channels for block in G.down] == [64, 128, 256, 512, 512, 512, 512, 512]
    # the paper counts the decoder's channels after the concatenation: CD512-CD1024-CD1024-C1024-...
    assert [block[0].in_channels for block in G.up] + [G.out[0].in_channels] == \
        [512, 1024, 1024, 1024, 1024, 512, 256, 128]
    assert [any(isinstance(m, nn.Dropout) for m in block) for block in G.up] == [True] * 3 + [False] * 4


def test_resnet_generator_needs_divisible_sides():
    with pytest.raises(ValueError, match="divisible by 8"):
        ResnetGenerator(1, 1, width=W, n_blocks=1, downsamplings=3)(torch.randn(1, 1, 28, 28))


@pytest.mark.parametrize("size", [28, 64])
def test_discogan_discriminator(size):
    D = DiscoDiscriminator(3, size, width=W)
    x = torch.randn(4, 3, size, size)
    logits, maps = D(x, features=True)
    assert D(x).shape == logits.shape == (4,)
    assert torch.allclose(D(x), logits)  # train-mode BN: same batch, same statistics
    downs, base = {28: (2, 7), 64: (4, 4)}[size]
    assert len(maps) == downs and maps[-1].shape == (4, W * 2 ** (downs - 1), base, base)


@pytest.mark.parametrize("lr,hr,scale,c_in,c_out", [(7, 28, 4, 1, 1), (14, 28, 2, 1, 1), (16, 64, 4, 3, 3),
                                                    (16, 64, 4, 1, 3)])
def test_srresnet_upsamples(lr, hr, scale, c_in, c_out):
    G = SRResNet(c_in, c_out, scale, width=W, n_blocks=2)
    y = G(3 * torch.randn(2, c_in, lr, lr))
    assert y.shape == (2, c_out, hr, hr) and in_range(y)


@pytest.mark.parametrize("size,side", [(28, 2), (64, 4), (96, 6)])
def test_sr_discriminator_flatten_size(size, side):
    D = SRDiscriminator(3, size, width=W)
    assert D.feature_dim == 8 * W * side * side
    assert D(torch.randn(2, 3, size, size)).shape == (2,)


@pytest.mark.parametrize("size", [28, 64])
def test_patch_discriminator_gives_a_map_of_logits(size):
    n = layers_for(size)
    for norm in ("batch", "instance", "none"):
        D = PatchDiscriminator(1 + 3, width=W, n_layers=n, norm=norm)  # an (input, output) pair: 1 + 3 channels
        out = D(torch.randn(2, 4, size, size))
        assert out.shape[:2] == (2, 1) and out.shape[2] == out.shape[3] == size // 2 - 2


# --- the PatchGAN's receptive field ------------------------------------------------------------

def test_receptive_field_formula():
    assert [receptive_field(n) for n in range(4)] == [1, 16, 34, 70]
    assert [layers_for(s) for s in (28, 64, 128, 256)] == [1, 1, 2, 3]


@pytest.mark.parametrize("n_layers", [0, 1, 2, 3])
def test_receptive_field_by_gradient_probe(n_layers):
    # eval mode: batchnorm uses its running statistics, a per-channel affine map, so nothing leaks
    # between pixels (instance norm would: its mean runs over the whole image)
    D = PatchDiscriminator(1, width=4, n_layers=n_layers, norm="batch").double().eval()
    x = torch.randn(1, 1, 128, 128, dtype=torch.double, requires_grad=True)
    out = D(x)
    h, w = out.shape[-2:]
    out[0, 0, h // 2, w // 2].backward()
    touched = x.grad[0, 0] != 0
    rows, cols = touched.any(1).nonzero().flatten(), touched.any(0).nonzero().flatten()
    rf = receptive_field(n_layers)
    assert rows[0] > 0 and cols[0] > 0 and rows[-1] < 127 and cols[-1] < 127  # clear of the padding
    assert rows[-1] - rows[0] + 1 == rf and cols[-1] - cols[0] + 1 == rf
    assert int(touched.sum()) == rf * rf  # every pixel of the window, nothing outside it


# --- the U-Net's skips and dropout -------------------------------------------------------------

def test_unet_skips_carry_fine_detail_past_the_bottleneck():
    G = UNetGenerator(1, 1, 64, width=W).eval()  # depth 6: the bottleneck is 1x1
    G.down[-1].register_forward_hook(lambda module, inputs, output: torch.zeros_like(output))
    x = torch.randn(1, 1, 64, 64)
    x2 = x.clone()
    x2[0, 0, 30, 30] += 1.0
    change = (G(x2) - G(x)).abs()[0, 0]
    # with the bottleneck cut, only the skips can carry one pixel's change to the output
    assert change[28:33, 28:33].max() > 1e-4
    assert change[28:33, 28:33].max() > 100 * change[:8, :8].max()  # and mostly near the pixel


def test_unet_dropout_is_on_in_train_mode_and_off_in_eval():
    x = torch.randn(2, 1, 28, 28)
    G = UNetGenerator(1, 3, 28, width=W)
    assert not torch.equal(G(x), G(x))  # the paper's noise: dropout in the decoder
    G.eval()
    assert torch.equal(G(x), G(x))
    G0 = UNetGenerator(1, 3, 28, width=W, dropout=0.0)
    assert torch.equal(G0(x), G0(x))  # train-mode batchnorm alone is deterministic


# --- initialisation and parameter counts -------------------------------------------------------

def test_paper_init():
    for net in (UNetGenerator(3, 3, 64), PatchDiscriminator(6), DiscoGenerator(3, 3, 64)):
        convs = [m.weight for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
        w = torch.cat([c.flatten() for c in convs])
        assert abs(w.std().item() - 0.02) < 1e-3 and abs(w.mean().item()) < 1e-3
        gammas = torch.cat([m.weight for m in net.modules() if isinstance(m, nn.BatchNorm2d)])
        assert abs(gammas.mean().item() - 1) < 0.01 and gammas.std().item() < 0.05


def test_resnet_generator_parameter_count_matches_the_reference():
    count = n_params(ResnetGenerator(3, 3, width=64, n_blocks=9))
    assert abs(count - 11.378e6) / 11.378e6 < 0.01
    assert count == 11_378_179  # every conv with its bias, instance norm without affine parameters


def test_srresnet_parameter_count():
    count = n_params(SRResNet(3, 3, scale=4, width=64, n_blocks=16))
    assert 1.4e6 < count < 1.6e6
    assert count == 1_548_547
