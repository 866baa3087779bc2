"""The translation Games on hand-made cases: image pool, cycle and identity losses, lr decay, grids."""

import pytest
import torch
from torch import nn

from gankit.data.pairs import TranslationDataset, translation_spec
from gankit.games.base import OptimSpec, StepInfo
from gankit.games.cycle import CycleGame
from gankit.games.translation import ImagePool, TranslationSampler, linear_decay


class Affine(nn.Module):
    """x -> w * x + b: a generator whose cycle and identity errors can be worked out by hand."""

    def __init__(self, w: float, b: float):
        super().__init__()
        self.w, self.b = nn.Parameter(torch.tensor(w)), nn.Parameter(torch.tensor(b))

    def forward(self, x):
        return self.w * x + self.b


class Constant(nn.Module):
    """A D that says ``value`` for every patch."""

    def __init__(self, value: float):
        super().__init__()
        self.value = nn.Parameter(torch.tensor(value))

    def forward(self, x):
        return self.value.expand(x.shape[0], 1, 2, 2)


def _spec(c=1, size=4, paired=False):
    a = torch.zeros(1, c, size, size, dtype=torch.uint8)
    return translation_spec("toy", a, a, paired=paired)


def _cycle_game(G, F, d=0.0, **kw):
    adam = OptimSpec("adam", 1e-3)
    return CycleGame(G, F, Constant(d), Constant(d), _spec(), adam, adam, **kw)


def test_cycle_and_identity_losses_by_hand():
    # G adds 0.1, F is the identity: F(G(a)) - a = 0.1, G(F(b)) - b = 0.1 -> cycle 0.2 (sum of two L1 means);
    # identity |G(b) - b| + |F(a) - a| = 0.1; D says 0 everywhere -> LSGAN (0 - 1)^2 = 1 per side
    game = _cycle_game(Affine(1.0, 0.1), Affine(1.0, 0.0), cycle=10.0, identity=5.0)
    a, b = torch.rand(3, 1, 4, 4) * 2 - 1, torch.rand(3, 1, 4, 4) * 2 - 1
    loss, stats = game.loss("G", {"a": a, "b": b}, StepInfo(0, 0, 10))
    assert stats["cycle"].item() == pytest.approx(0.2, abs=1e-6)
    assert stats["identity"].item() == pytest.approx(0.1, abs=1e-6)
    assert stats["g_adv"].item() == pytest.approx(2.0, abs=1e-6)
    assert loss.item() == pytest.approx(2.0 + 10 * 0.2 + 5 * 0.1, abs=1e-5)


def test_inverse_generators_have_no_cycle_error_and_discogan_uses_squared_error():
    a, b = torch.rand(3, 1, 4, 4), torch.rand(3, 1, 4, 4)
    game = _cycle_game(Affine(2.0, 0.0), Affine(0.5, 0.0), identity=0.0)
    _, stats = game.loss("G", {"a": a, "b": b}, StepInfo(0, 0, 10))
    assert stats["cycle"].item() == pytest.approx(0.0, abs=1e-6)
    assert "identity" not in stats
    # DiscoGAN's reconstruction distance is squared: G adds 0.3, F the identity -> 2 * 0.3^2
    disco = _cycle_game(Affine(1.0, 0.3), Affine(1.0, 0.0), adversarial="bce", distance="mse", identity=0.0,
                        pool_size=0, decay=False)
    _, stats = disco.loss("G", {"a": a, "b": b}, StepInfo(0, 0, 10))
    assert stats["cycle"].item() == pytest.approx(2 * 0.09, abs=1e-6)
    # BCE against a D that says 0 (probability 1/2): -log(1/2) per side
    assert stats["g_adv"].item() == pytest.approx(2 * 0.6931472, abs=1e-5)


def test_discriminator_phase_judges_the_fakes_of_the_generator_phase():
    game = _cycle_game(Affine(1.0, 0.5), Affine(1.0, -0.5), d=1.0, pool_size=0)
    a, b = torch.zeros(2, 1, 4, 4), torch.zeros(2, 1, 4, 4)
    game.loss("G", {"a": a, "b": b}, StepInfo(0, 0, 10))
    assert torch.equal(game._fakes["b"], torch.full((2, 1, 4, 4), 0.5))
    loss, stats = game.loss("D", {"a": a, "b": b}, StepInfo(0, 0, 10))
    # D says 1 for everything: real (1 - 1)^2 = 0, fake (1 - 0)^2 = 1; 1/2 per D, two Ds -> 1
    assert loss.item() == pytest.approx(1.0)
    assert game._fakes == {}  # used once


def test_image_pool_fills_then_swaps_half_and_is_checkpointed():
    torch.manual_seed(0)
    pool = ImagePool(4, (1, 2, 2))
    first = torch.arange(4.0).view(4, 1, 1, 1).expand(4, 1, 2, 2)
    assert torch.equal(pool.query(first), first)  # while filling: shown as is, and kept
    assert int(pool.filled) == 4 and torch.equal(pool.images, first)
    swapped = 0
    for step in range(50):
        new = (100.0 + 8 * step + torch.arange(8.0)).view(8, 1, 1, 1).expand(8, 1, 2, 2)  # all different
        before = pool.images.clone()
        out = pool.query(new)
        for i in range(8):
            if torch.equal(out[i], new[i]):
                continue
            swapped += 1
            assert any(torch.equal(out[i], old) for old in before) or any(torch.equal(out[i], o) for o in new)
    assert 0.4 < swapped / 400 < 0.6  # about half of the fakes are swapped for older ones
    state = pool.state_dict()
    assert set(state) == {"images", "filled"}
    other = ImagePool(4, (1, 2, 2))
    other.load_state_dict(state)
    x = torch.randn(6, 1, 2, 2)
    torch.manual_seed(1)
    out1 = pool.query(x)
    torch.manual_seed(1)
    out2 = other.query(x)
    assert torch.equal(out1, out2)  # same contents + same RNG -> same answers (exact resume)
    assert torch.equal(ImagePool(0, (1, 2, 2)).query(x), x)


def test_linear_decay_is_flat_then_reaches_zero_at_the_end():
    factors = [linear_decay(StepInfo(s, 0, 100)) for s in range(100)]
    assert factors[:50] == [1.0] * 50
    assert factors[50] == 1.0 and factors[99] == pytest.approx(0.02)
    assert all(x > y for x, y in zip(factors[50:], factors[51:]))


def test_trainer_applies_the_games_lr_schedule(tmp_path):
    from gankit.config import TrainConfig
    from gankit.engine import Trainer
    from gankit.precision import resolve_precision

    spec = _spec()
    data = TranslationDataset(spec, torch.randint(0, 255, (16, 1, 4, 4), dtype=torch.uint8),
                              torch.randint(0, 255, (16, 1, 4, 4), dtype=torch.uint8))
    game = _cycle_game(Affine(1.0, 0.0), Affine(1.0, 0.0), pool_size=2)
    cfg = TrainConfig(model="cyclegan", batch_size=4, steps=10, log_every=5, checkpoint_every=100, grid_size=4)
    trainer = Trainer(cfg, game, data, tmp_path, torch.device("cpu"), resolve_precision("fp32", torch.device("cpu"), "image"),
                      quiet=True)
    trainer.fit(8)
    lr = trainer.optimizers["G"].param_groups[0]["lr"]
    assert lr == pytest.approx(1e-3 * linear_decay(StepInfo(7, 0, 8)))  # the last update's factor: 1/4


def test_preview_lays_out_input_output_target_and_both_cycles():
    spec = translation_spec("sr", torch.zeros(1, 1, 2, 2), torch.zeros(1, 3, 4, 4), paired=True)
    up = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(1, 3, 1))
    sampler = TranslationSampler({"AtoB": up}, spec)
    inputs = {"a": torch.randint(0, 255, (5, 1, 2, 2), dtype=torch.uint8),
              "b": torch.randint(0, 255, (5, 3, 4, 4), dtype=torch.uint8)}
    pictures, per_row = sampler.preview(inputs)
    assert per_row == 3 and pictures.shape == (15, 3, 4, 4) and pictures.dtype == torch.uint8
    assert torch.equal(pictures[2], inputs["b"][0])  # row 0: input | output | target
    assert torch.equal(pictures[0][0], inputs["a"][0][0].repeat_interleave(2, 0).repeat_interleave(2, 1))
    spec_u = _spec()
    cyc = TranslationSampler({"AtoB": Affine(1.0, 0.0), "BtoA": Affine(1.0, 0.0)}, spec_u)
    ab = {"a": torch.randint(0, 255, (3, 1, 4, 4), dtype=torch.uint8),
          "b": torch.randint(0, 255, (3, 1, 4, 4), dtype=torch.uint8)}
    pictures, per_row = cyc.preview(ab)
    assert per_row == 6 and len(pictures) == 18  # A | G(A) | F(G(A)) | B | F(B) | G(F(B)) per row
    assert torch.equal(pictures[3], ab["b"][0]) and torch.equal(pictures[6], ab["a"][1])


def test_translate_refuses_inputs_of_the_wrong_shape_or_direction():
    from gankit.errors import GankitError

    sampler = TranslationSampler({"AtoB": Affine(1.0, 0.0)}, _spec())
    with pytest.raises(GankitError, match="takes 1-channel 4x4 images, not 3x4x4"):
        sampler.translate(torch.zeros(2, 3, 4, 4, dtype=torch.uint8))
    with pytest.raises(GankitError, match="translates AtoB only, not BtoA"):
        sampler.translate(torch.zeros(2, 1, 4, 4, dtype=torch.uint8), "BtoA")
    with pytest.raises(GankitError, match="translates images rather than drawing samples"):
        sampler.fixed_inputs(4)


def test_an_extended_resume_recomputes_the_decayed_lr(tmp_path):
    """A run decayed to its end, resumed to three times its steps: its first updates use the new
    schedule's lr (1x, before the new midpoint), not the decayed value the checkpoint holds."""
    import gankit
    from gankit.engine import Callback

    class LearningRates(Callback):
        def __init__(self):
            self.seen = {}

        def on_step(self, view):
            self.seen[view.step] = view._trainer.optimizers["G"].param_groups[0]["lr"]

    data = TranslationDataset(_spec(size=8), torch.randint(0, 255, (16, 1, 8, 8), dtype=torch.uint8),
                              torch.randint(0, 255, (16, 1, 8, 8), dtype=torch.uint8))
    gankit.train(model="cyclegan", width=4, steps=4, batch_size=4, params={"blocks": 1}, out=tmp_path / "r",
                 quiet=True, data=data)
    lrs = LearningRates()
    gankit.train(resume=tmp_path / "r", steps=12, quiet=True, data=data, callbacks=[lrs])
    assert lrs.seen[5] == pytest.approx(2e-4)  # step index 4 of 12: before the decay starts
    assert lrs.seen[12] == pytest.approx(2e-4 * linear_decay(StepInfo(11, 0, 12)))
