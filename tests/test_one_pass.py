"""D over real and fake in one forward gives what two forwards give: outputs, gradients, batchnorm statistics."""

import copy

import pytest
import torch
from torch import nn

from gankit.conditioning import ConcatDiscriminator
from gankit.games.augmented import AugmentedView
from gankit.nets.dcgan import DCGANDiscriminator
from gankit.nets.mlp import MLPDiscriminator
from gankit.nets.one_pass import batchnorm_in_parts, can_run_together, forward_parts
from gankit.nets.sngan import spectral_norm_all
from gankit.nets.zoo import ZooDiscriminator


def _nets():
    torch.manual_seed(0)
    return {
        "zoo, batchnorm": (ZooDiscriminator(1, 8), None),
        "zoo, layer norm": (ZooDiscriminator(1, 8, norm="layer"), None),
        "dcgan": (DCGANDiscriminator(32, 3, 8), None),
        "mlp": (MLPDiscriminator((1, 28, 28), 16), None),
        "cgan's label maps": (ConcatDiscriminator(ZooDiscriminator(11, 8), 10), torch.randint(0, 10, (6,))),
    }


@pytest.mark.parametrize("name", list(_nets()))
def test_one_forward_equals_two_forwards(name):
    D, labels = _nets()[name]
    size = 32 if isinstance(D, DCGANDiscriminator) else 28
    channels = 3 if isinstance(D, DCGANDiscriminator) else 1
    real, fake = torch.randn(2, 6, channels, size, size).unbind(0)
    real = real + 1.0  # different statistics, as real and fake batches have: mixing them would show
    twice = copy.deepcopy(D)
    assert can_run_together(D)

    out_real, out_fake = forward_parts(D, [real, fake], labels)
    ref_real, ref_fake = twice(real, labels), twice(fake, labels)
    torch.testing.assert_close(out_real, ref_real, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(out_fake, ref_fake, rtol=1e-5, atol=1e-5)

    (out_real.sum() - 2 * out_fake.sum()).backward()
    (ref_real.sum() - 2 * ref_fake.sum()).backward()
    for (n, p), q in zip(D.named_parameters(), twice.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-5, msg=n)
    for (n, b), c in zip(D.named_buffers(), twice.buffers()):  # running statistics, updated part after part
        torch.testing.assert_close(b, c, rtol=1e-5, atol=1e-6, msg=n)


def test_mixing_the_batches_would_not_be_the_same():
    """The check above can fail: one batchnorm over real and fake together gives other outputs."""
    torch.manual_seed(0)
    D = ZooDiscriminator(1, 8)
    real, fake = torch.randn(6, 1, 28, 28) + 1.0, torch.randn(6, 1, 28, 28)
    mixed = D(torch.cat([real, fake]))[:6]
    assert not torch.allclose(mixed, copy.deepcopy(D)(real), atol=1e-3)


def test_nets_it_cannot_vouch_for_keep_separate_forwards():
    torch.manual_seed(0)
    assert not can_run_together(nn.Sequential(nn.Flatten(), nn.Linear(4, 1)))  # says nothing about itself
    assert not can_run_together(spectral_norm_all(ZooDiscriminator(1, 8, norm="none")))  # power iteration per call
    synced = ZooDiscriminator(1, 8)
    synced.body = nn.SyncBatchNorm.convert_sync_batchnorm(synced.body)
    assert not can_run_together(synced)
    assert not can_run_together(AugmentedView(ZooDiscriminator(1, 8), nn.Identity()))

    calls = []
    D = nn.Sequential(nn.Flatten(), nn.Linear(4, 1))
    D.register_forward_hook(lambda m, i, o: calls.append(i[0].shape[0]))
    forward_parts(lambda x, y: D(x), [torch.randn(3, 4), torch.randn(3, 4)])
    assert calls == [3, 3]


def test_unequal_batches_run_apart_and_the_layers_are_restored_after_an_error():
    D = ZooDiscriminator(1, 8)
    calls = []
    D.register_forward_hook(lambda m, i, o: calls.append(i[0].shape[0]))
    forward_parts(D, [torch.randn(4, 1, 28, 28), torch.randn(3, 1, 28, 28)])
    assert calls == [4, 3]
    with pytest.raises(RuntimeError), batchnorm_in_parts(D, 2):
        raise RuntimeError("boom")
    assert all("forward" not in vars(m) for m in D.modules())
