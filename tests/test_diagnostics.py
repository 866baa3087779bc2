"""Pitfall alarms: each detector fires when its pitfall is provoked on purpose, and stays silent on
a healthy run. Detectors are first checked on made-up logs (exact, instant), then live in training."""

import json

import pytest
import torch

import gankit
from gankit.cli import main
from gankit.diagnostics import (Divergence, ModeCollapse, Oscillation, VanishingGradients, episodes_from_records,
                                features, mean_pairwise_distance)
from gankit.engine import Callback
from gankit.errors import TrainingDiverged

# fp32 pinned: the provoked trajectories were measured in fp32, whatever the default precision becomes
RING = dict(model="gan", dataset="ring8", batch_size=256, seed=0, quiet=True, log_every=25, sample_every=10_000,
            precision="fp32")


@pytest.fixture(autouse=True)
def _one_thread(_fixed_threads):
    torch.set_num_threads(1)  # tiny MLPs on a shared 2-core machine


def healthy_records(n=40):
    return [{"step": 25 * (i + 1), "d_loss": 1.2 + 0.01 * (i % 2), "g_loss": 1.0 + 0.02 * (i % 3), "d_real": 0.58,
             "d_fake": 0.42, "grad_norm_d": 1.0 + 0.1 * i, "grad_norm_g": 1.5 + 0.2 * i, "diversity": 0.95,
             "modes_reached": 8, "high_quality": min(0.9, 0.02 * i)} for i in range(n)]


def run_detector(detector, records):
    return [r["step"] for r in records if detector.update(r)]


# -- on made-up logs ------------------------------------------------------------------------------
def test_detectors_silent_on_healthy_log():
    records = healthy_records()
    for det in (VanishingGradients(), ModeCollapse(warmup_step=200), Divergence(), Oscillation(warmup_step=200)):
        assert run_detector(det, records) == [], det.name


def test_vanishing_gradients_needs_saturated_d_and_collapsed_g_grad():
    records = healthy_records(20)
    for r in records[8:]:
        r.update(d_real=0.99, d_fake=0.01, grad_norm_g=1e-4)
    assert run_detector(VanishingGradients(window=5), records)[0] == records[12]["step"]
    for r in records[8:]:
        r["grad_norm_g"] = 2.0  # D saturated but G still gets gradient (non-saturating loss): no alarm
    assert run_detector(VanishingGradients(window=5), records) == []


def test_mode_collapse_on_diversity_and_on_modes_reached():
    records = healthy_records(20)
    for r in records[10:]:
        r["diversity"] = 0.02
    assert run_detector(ModeCollapse(window=3, warmup_step=100), records)[0] == records[12]["step"]
    records = healthy_records(20)
    for r in records[10:]:
        r["modes_reached"] = 2
    assert run_detector(ModeCollapse(window=3, warmup_step=100), records)[0] == records[12]["step"]
    # before the warm-up an untrained G is not called collapsed
    records = healthy_records(20)
    for r in records:
        r["diversity"] = 0.02
    assert run_detector(ModeCollapse(window=3, warmup_step=10_000), records) == []


def test_divergence_on_exploding_grad_norm_not_on_growth():
    records = healthy_records(10)
    assert run_detector(Divergence(), records) == []  # grad norms grow 3x: normal
    records[6]["grad_norm_d"] = 5e4  # ~30000x the median
    det = Divergence()
    assert run_detector(det, records) == [records[6]["step"]]
    assert "grad_norm_d exploded" in det.message
    assert run_detector(Divergence(), [{"step": 1, "grad_norm_g": 1e9}]) == [1]  # absurd from the start


def test_oscillation_needs_swings_and_no_quality_gain():
    records = healthy_records(40)
    for i, r in enumerate(records):
        r["g_loss"] = 1.0 + (0.8 if i % 2 else -0.4)
        r["high_quality"] = 0.05
    assert run_detector(Oscillation(warmup_step=0), records)[0] == records[21]["step"]
    for i, r in enumerate(records):
        r["high_quality"] = 0.02 * i  # same swings, quality improving: converging, no alarm
    assert run_detector(Oscillation(warmup_step=0), records) == []
    for r in records:
        del r["high_quality"]  # no quality signal: swinging losses alone are not an alarm
    assert run_detector(Oscillation(warmup_step=0), records) == []


def test_oscillation_reads_eval_metrics_lower_is_better():
    records = healthy_records(40)
    for i, r in enumerate(records):
        r["g_loss"] = 1.0 + (0.8 if i % 2 else -0.4)
        r["fid"] = 50.0 + (i % 2)
    assert run_detector(Oscillation(warmup_step=0), records)
    for i, r in enumerate(records):
        r["fid"] = 100.0 - 2 * i
    assert run_detector(Oscillation(warmup_step=0), records) == []


def test_episodes_from_records():
    records = [{"step": 1}, {"step": 2, "alarms": ["mode_collapse"]}, {"step": 3, "alarms": ["mode_collapse"]},
               {"step": 4}, {"step": 5, "alarms": ["oscillation"]}]
    eps = episodes_from_records(records)
    assert [(e["alarm"], e["first_step"], e["last_step"]) for e in eps] == [("mode_collapse", 2, 3),
                                                                           ("oscillation", 5, 5)]


def test_diversity_measure():
    same = torch.zeros(16, 1, 28, 28, dtype=torch.uint8)
    varied = torch.randint(0, 256, (16, 1, 28, 28), dtype=torch.uint8)
    assert mean_pairwise_distance(features(same, "image")) == 0.0
    assert mean_pairwise_distance(features(varied, "image")) > 0.1


# -- live, in training ----------------------------------------------------------------------------
def alarms_of(run_dir):
    return {a for r in gankit.load_run(run_dir).metrics() for a in r.get("alarms", [])}


def test_healthy_run_raises_no_alarm(tmp_path):
    run = gankit.train(out=tmp_path / "ok", steps=1200, **RING)
    records = run.metrics()
    assert alarms_of(run.path) == set()
    assert all("diversity" in r and "modes_reached" in r for r in records)
    assert records[-1]["diversity"] > 0.5
    assert json.loads((run.path / "diagnostics.json").read_text()) == {"episodes": []}


def test_far_too_strong_d_raises_vanishing_gradients(tmp_path, capsys):
    # minimax G loss + a D learning 10000x faster than G: D wins, G's gradient vanishes
    run = gankit.train(out=tmp_path / "strong-d", steps=300, g_loss="minimax", lr_g=1e-6, lr_d=1e-2,
                       **{**RING, "log_every": 20, "quiet": False})
    assert "vanishing_gradients" in alarms_of(run.path)
    err = capsys.readouterr().err
    assert "gankit: warning: step" in err and "vanishing gradients" in err  # printed once when it starts
    assert "ALARM=vanishing_gradients" in err  # and shown in the progress bar
    episodes = json.loads((run.path / "diagnostics.json").read_text())["episodes"]
    assert any(e["alarm"] == "vanishing_gradients" for e in episodes)


def test_resume_keeps_earlier_alarm_episodes(tmp_path):
    out = tmp_path / "strong-d"
    gankit.train(out=out, steps=200, g_loss="minimax", lr_g=1e-6, lr_d=1e-2, **{**RING, "log_every": 20})
    before = json.loads((out / "diagnostics.json").read_text())["episodes"]
    assert before
    gankit.train(resume=out, steps=240, quiet=True)
    after = json.loads((out / "diagnostics.json").read_text())["episodes"]
    assert after[: len(before)] == before


class _OnePointGenerator(Callback):
    """Turn G into a constant map (every z -> one point) at the first log step."""

    def on_log(self, trainer, record):
        if record["step"] == trainer.config.log_every:
            G = trainer._trainer.game.nets["G"]  # fault injection: watchers otherwise see no nets
            last = [m for m in G.modules() if isinstance(m, torch.nn.Linear)][-1]
            with torch.no_grad():
                last.weight.zero_()
            last.weight.requires_grad_(False)


def test_g_mapping_every_z_to_one_point_raises_mode_collapse(tmp_path):
    run = gankit.train(out=tmp_path / "collapse", steps=400, callbacks=[_OnePointGenerator()],
                       **{**RING, "log_every": 20})
    records = run.metrics()
    assert "mode_collapse" in alarms_of(run.path)
    assert records[-1]["diversity"] < 0.05 and records[-1]["modes_reached"] <= 1


def test_plain_sgd_at_a_high_rate_raises_oscillation(tmp_path):
    # SGD (momentum 0.5) at lr 0.1 on both players: the losses keep swinging and the share of
    # high-quality samples stays near zero for the whole run (failure to converge)
    run = gankit.train(out=tmp_path / "osc", steps=1500, optim_g="sgd", optim_d="sgd", lr_g=0.1, lr_d=0.1, **RING)
    assert "oscillation" in alarms_of(run.path)
    assert max(r["high_quality"] for r in run.metrics()) < 0.2


class _AbsurdLearningRate(Callback):
    def __init__(self, at_step):
        self.at_step = at_step

    def on_log(self, trainer, record):
        if record["step"] == self.at_step:
            for opt in trainer._trainer.optimizers.values():  # fault injection, as above
                for group in opt.param_groups:
                    group["lr"] = 50.0


def test_divergence_stops_cleanly_and_keeps_last_good_checkpoint(tmp_path):
    out = tmp_path / "diverge"
    with pytest.raises(TrainingDiverged) as e:
        gankit.train(out=out, steps=400, checkpoint_every=20, callbacks=[_AbsurdLearningRate(60)],
                     **{**RING, "log_every": 20})
    assert e.value.exit_code == 3
    assert "lower learning rate" in str(e.value) and "last good checkpoint is kept" in str(e.value)
    state = torch.load(out / "checkpoints" / "last.pt", weights_only=True)
    assert state["step"] == 60
    G = {k: v for k, v in state["game"].items() if k.startswith("nets.G.")}
    assert G and all(torch.isfinite(v).all() for v in G.values() if v.is_floating_point())
    assert not (out / "samples" / "final.png").exists()
    assert max(r["step"] for r in gankit.load_run(out).metrics()) == 60
    assert (out / "curves.png").is_file()  # the pictures of the good part are drawn
    episodes = json.loads((out / "diagnostics.json").read_text())["episodes"]
    assert episodes[-1]["alarm"] == "divergence" and episodes[-1]["first_step"] == 80
    from gankit.viz.report import write_report

    text = write_report(out).read_text()
    assert "stopped at step 60 of 400" in text and "<b>divergence</b> (step 80)" in text


def test_absurd_learning_rate_exits_3_with_one_line_advice(tmp_path, capsys):
    code = main(["train", "--model", "gan", "--dataset", "ring8", "--steps", "200", "--log-every", "20",
                 "--precision", "fp32",
                 "--lr-g", "5", "--lr-d", "5", "--out", str(tmp_path / "absurd"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 3
    assert err.startswith("gankit: error: training diverged") and err.count("\n") == 1
    assert "gradient penalty" in err and "spectral normalization" in err


def test_no_diagnostics_flag(tmp_path):
    run = gankit.train(out=tmp_path / "off", steps=50, diagnostics=False, **RING)
    assert "diversity" not in run.metrics()[-1]
    assert not (run.path / "diagnostics.json").exists()


def test_d_too_strong_rule_only_where_d_outputs_probabilities(tmp_path):
    from gankit.config import TrainConfig
    from gankit.data import load_toy
    from gankit.diagnostics import _pitfall_alarms

    data = load_toy("ring8", n=1000)

    def names(model):
        cb = _pitfall_alarms(TrainConfig(model=model, dataset="ring8", steps=100), tmp_path, data)
        return {d.name for d in cb.detectors}

    assert "vanishing_gradients" in names("gan") and "vanishing_gradients" in names("lsgan")
    assert "vanishing_gradients" not in names("wgan") and "mode_collapse" in names("wgan")


def test_image_diversity_in_domain_classifier_features(tmp_path, fashion_small):
    """On Fashion-MNIST the shipped domain classifier gives the feature space and the classes:
    64 real images are diverse and reach most classes; one image repeated 64 times reaches one."""
    from types import SimpleNamespace

    from gankit.diagnostics import PitfallAlarms

    alarms = PitfallAlarms(tmp_path, fashion_small, 1000)
    assert alarms.extractor is not None
    real = SimpleNamespace(generate_fixed=lambda: fashion_small.data[1000:1064])
    same = SimpleNamespace(generate_fixed=lambda: fashion_small.data[:1].expand(64, -1, -1, -1))
    healthy, collapsed = alarms.measure(real), alarms.measure(same)
    assert healthy["diversity"] > 0.7 and healthy["classes_reached"] >= 7, healthy
    assert collapsed["diversity"] < 0.01 and collapsed["classes_reached"] == 1, collapsed
    det = ModeCollapse(window=2, warmup_step=0)
    steps = [det.update({"step": i, **(healthy if i < 3 else collapsed)}) for i in range(6)]
    assert steps == [False, False, False, False, True, True]


def test_divergence_on_absurd_losses_and_dead_gradients():
    """What --lr 1e6 looked like (issue 21): finite numbers, so no NaN check fires, yet nothing learns."""
    absurd = [{"step": 20, "d_loss": 0.0, "g_loss": 3e14, "grad_norm_d": 0.0, "grad_norm_g": 0.0}]
    det = Divergence()
    assert run_detector(det, absurd) == [20] and "g_loss exploded" in det.message
    dead = [{"step": 10 * i, "d_loss": 0.7, "g_loss": 0.7, "grad_norm_d": 0.3, "grad_norm_g": 0.0} for i in range(1, 6)]
    det = Divergence()
    assert run_detector(det, dead)[0] == 30 and "grad_norm_g has been exactly 0" in det.message
    dead[1]["grad_norm_g"] = 1e-7  # tiny but alive: the count starts again
    assert run_detector(Divergence(), dead) == [50]


def test_an_absurd_learning_rate_stops_the_run(tmp_path):
    with pytest.raises(TrainingDiverged, match="exploded|dead gradients|NaN/inf"):
        gankit.train(model="dcgan", dataset="fashion-mnist", subset=512, width=8, steps=200, log_every=20,
                     lr_g=1e6, lr_d=1e6, out=tmp_path / "r", quiet=True, precision="fp32")
