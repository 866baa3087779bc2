"""Pictures of runs: curves with any extra metric, progress.gif, TensorBoard event files."""

import json

import pytest
import torch
from PIL import Image

import gankit
from gankit.viz.curves import panels_for, plot_curves
from gankit.viz.gif import write_progress_gif


@pytest.fixture(autouse=True)
def _one_thread(_fixed_threads):
    torch.set_num_threads(1)


def test_curves_plot_every_numeric_key_including_eval_metrics(tmp_path):
    records = [{"step": s, "wall_time": s / 10, "d_loss": 1.0, "g_loss": 0.9, "d_real": 0.6, "d_fake": 0.4,
                "grad_norm_d": 1.0, "grad_norm_g": 2.0, "images_per_s": 1000.0, "ms_per_step": 2.0,
                **({"fid": 50.0 - s / 100} if s % 200 == 0 else {}), "alarms": ["mode_collapse"] if s == 300 else []}
               for s in range(100, 1001, 100)]
    titles = [t for t, _, _ in panels_for(records)]
    assert titles == ["losses", "mean D(x) and D(G(z))", "gradient norms", "images / s", "fid"]
    path = plot_curves(records, tmp_path / "c.png")
    with Image.open(path) as im:
        assert im.height > 3 * 200  # 5 panels: three rows
    assert plot_curves([], tmp_path / "none.png") is None


def test_progress_gif_frames_follow_the_step_grids(tmp_path):
    samples = tmp_path / "samples"
    samples.mkdir()
    for i, step in enumerate((500, 100, 1000)):
        Image.new("L", (20, 20), color=40 * i).save(samples / f"step_{step:06d}.png")
    Image.new("L", (20, 20)).save(samples / "final.png")
    with Image.open(write_progress_gif(tmp_path)) as gif:
        assert gif.n_frames == 3
        gif.seek(0)
        first = gif.convert("L").getpixel((10, 20))
        gif.seek(1)
        second = gif.convert("L").getpixel((10, 20))
    assert first == 40 and second == 0  # step 100 (grey 40) comes before step 500 (black)
    assert write_progress_gif(tmp_path / "nothing") is None


def test_tensorboard_scalars_and_grids(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run = gankit.train(model="gan", dataset="ring8", steps=60, batch_size=64, log_every=20, sample_every=40,
                       tensorboard=True, quiet=True, out=tmp_path / "tb")
    acc = EventAccumulator(str(run.path / "tensorboard"))
    acc.Reload()
    tags = acc.Tags()
    assert {"train/d_loss", "train/g_loss", "train/grad_norm_g", "train/diversity"} <= set(tags["scalars"])
    logged = [json.loads(line)["d_loss"] for line in (run.path / "metrics.jsonl").read_text().splitlines()]
    assert [e.step for e in acc.Scalars("train/d_loss")] == [20, 40, 60]
    assert [e.value for e in acc.Scalars("train/d_loss")] == pytest.approx(logged, rel=1e-5)
    assert len(acc.Images("samples/fixed_noise")) >= 2


def test_no_tensorboard_by_default(tmp_path):
    run = gankit.train(model="gan", dataset="ring8", steps=20, batch_size=64, log_every=10, quiet=True,
                       out=tmp_path / "plain")
    assert not (run.path / "tensorboard").exists()
