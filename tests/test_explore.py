"""gankit explore: the latent-space pictures decode the latents they claim to.

The models are tiny and barely trained (2 steps): these tests check the geometry (slerp, the
truncation trick, arithmetic, class and code handling) against direct calls of the generator,
not the beauty of the pictures.
"""

import pytest
import torch
from PIL import Image

import gankit
from gankit.cli import main
from gankit.errors import GankitError
from gankit.viz.latent import LatentExplorer, parse_arithmetic, slerp


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, fashion_train):
    torch.set_num_threads(1)
    data = fashion_train.subset(256)
    root = tmp_path_factory.mktemp("explore")
    runs = {}
    for model in ("dcgan", "cgan", "infogan"):
        runs[model] = gankit.train(model=model, dataset="fashion-mnist", data=data, width=8, steps=2, batch_size=32,
                                   quiet=True, out=root / model)
    return runs


def test_slerp_keeps_the_norm_and_hits_the_ends():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(1, 100, generator=g), torch.randn(1, 100, generator=g)
    t = torch.linspace(0, 1, 5)
    path = slerp(a.expand(5, -1), b.expand(5, -1), t)
    assert torch.allclose(path[0], a[0], atol=1e-5) and torch.allclose(path[-1], b[0], atol=1e-5)
    mid_slerp, mid_lerp = path[2].norm(), ((a + b) / 2).norm()
    assert mid_lerp < 0.8 * a.norm()  # the straight line dips towards the origin...
    assert abs(mid_slerp - (a.norm() + b.norm()) / 2) < 0.05 * a.norm()  # ...the great circle does not


def test_parse_arithmetic():
    assert parse_arithmetic("1,2,3 - 4,5 + 6") == [(1, [1, 2, 3]), (-1, [4, 5]), (1, [6])]
    for bad in ("1,2 -", "1,2 - - 3", "a - b", ""):
        with pytest.raises(GankitError):
            parse_arithmetic(bad)


def test_seeds_name_the_same_latents_as_gankit_sample(tiny):
    run = gankit.load_run(tiny["dcgan"].path)
    ex = LatentExplorer(run)
    images, cols, frames = ex.interpolation([3, 8], steps=5)
    assert cols == 5 and images.shape[0] == 5 and len(frames) == 8  # closed loop 3 -> 8 -> 3, 4 frames a leg
    assert torch.equal(images[0], run.sample(1, seed=3)[0])
    assert torch.equal(images[-1], run.sample(1, seed=8)[0])
    assert not torch.equal(images[2], images[0])


def test_arithmetic_decodes_mean_a_minus_mean_b_plus_mean_c(tiny):
    run = gankit.load_run(tiny["dcgan"].path)
    ex = LatentExplorer(run)
    images, width = ex.arithmetic(parse_arithmetic("1,2,3 - 4,5 + 6"), variations=4)
    assert width == 5 and images.shape[0] == 4 * width
    z = ex.latents([1, 2, 3]).mean(0) - ex.latents([4, 5]).mean(0) + ex.latents([6]).mean(0)
    assert torch.equal(images[-1], ex.decode(z[None])[0])
    assert torch.equal(images[width - 1], ex.decode(ex.latents([1, 2, 3]).mean(0, keepdim=True))[0])


def test_truncation_shrink_and_resample(tiny):
    run = gankit.load_run(tiny["dcgan"].path)
    rows = LatentExplorer(run, truncation=0.5).truncation_rows([1.0, 0.0], columns=4, seed=0)
    untruncated, mean_row = rows[:4], rows[4:]
    assert torch.equal(untruncated[2], run.sample(1, seed=2)[0])  # psi=1 is the model itself
    assert all(torch.equal(mean_row[0], m) for m in mean_row)  # psi=0: every z is the mean
    assert not torch.equal(untruncated[0], untruncated[1])
    ex = LatentExplorer(run, truncation=0.5, method="resample")
    z = ex.latents(list(range(20)))
    assert z.abs().max() <= 0.5
    assert LatentExplorer(run, truncation=0.5).latents([7]).norm() < 0.6 * LatentExplorer(run).latents([7]).norm()


def test_class_rows_and_class_interpolation(tiny):
    run = gankit.load_run(tiny["cgan"].path)
    ex = LatentExplorer(run)
    rows = ex.class_rows(columns=3, seed=5)
    assert rows.shape[0] == 10 * 3
    z = ex.latents([5, 6, 7])
    assert torch.equal(rows[3 * 4: 3 * 5], ex.decode(z, label=4))  # row 4 is class 4, same z per column
    interp = ex.class_interpolation(2, 7, steps=5, rows=2, seed=0)
    z0 = ex.latents([0])
    assert torch.equal(interp[0], ex.decode(z0, label=2)[0]) and torch.equal(interp[4], ex.decode(z0, label=7)[0])
    with pytest.raises(GankitError):
        LatentExplorer(gankit.load_run(tiny["dcgan"].path)).class_rows(3, 0)


def test_infogan_code_sweeps(tiny):
    ex = LatentExplorer(gankit.load_run(tiny["infogan"].path))
    sweeps = ex.code_sweeps(rows=2, steps=5, seed=0)
    assert set(sweeps) == {"code_categorical", "code_continuous1", "code_continuous2"}
    assert sweeps["code_categorical"].shape[0] == 2 * 10 and sweeps["code_continuous1"].shape[0] == 2 * 5
    cat = sweeps["code_categorical"]
    assert not torch.equal(cat[0], cat[1])  # the categorical code changes the picture


def test_explore_cli_writes_every_supported_picture(tiny, tmp_path, capsys):
    out = tmp_path / "cgan-explore"
    assert main(["explore", str(tiny["cgan"].path), "--out", str(out), "--steps", "4", "--frames", "6",
                 "--truncation", "0.7", "--arithmetic", "1,2 - 3 + 4"]) == 0
    # --arithmetic chooses a picture: only it and the truncation rows are drawn
    assert sorted(p.name for p in out.iterdir()) == ["arithmetic.png", "truncation.png"]
    assert "shrink" in capsys.readouterr().out  # the truncation method is stated
    assert main(["explore", str(tiny["cgan"].path), "--out", str(out), "--steps", "4", "--frames", "6"]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"interpolation.png", "interpolation.gif", "walk.gif", "walk.png", "classes.png",
            "class_interpolation.png"} <= names
    with Image.open(out / "walk.gif") as gif:
        assert gif.n_frames == 6


def test_explore_errors_are_one_line(tiny, tmp_path, capsys):
    assert main(["explore", str(tiny["dcgan"].path), "--codes", "--out", str(tmp_path / "x")]) == 2
    assert "need a model with latent codes" in capsys.readouterr().err
    assert main(["explore", str(tiny["dcgan"].path), "--arithmetic", "1 - ", "--out", str(tmp_path / "x")]) == 2
    points = gankit.train(model="gan", dataset="ring8", steps=2, batch_size=64, quiet=True, out=tmp_path / "ring")
    assert main(["explore", str(points.path)]) == 2
    assert "2D points" in capsys.readouterr().err


def test_truncation_cutoff_is_refused_for_a_z_space_model(tmp_path, capsys):
    import gankit
    from gankit.cli import main
    from gankit.data import get_dataset

    data = get_dataset("fashion-mnist", "test").subset(64, seed=0)
    run = gankit.train(model="dcgan", data=data, width=8, steps=1, batch_size=16, quiet=True, out=tmp_path / "r",
                       sample_every=10**6)
    assert main(["explore", str(run.path), "--walk", "--truncation-cutoff", "2", "--out", str(tmp_path / "e")]) == 2
    assert "--truncation-cutoff picks the layers of a style-based G" in capsys.readouterr().err
