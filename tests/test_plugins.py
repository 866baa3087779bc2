"""Plugins (issue 19 item 6): a recipe of your own, registered by a module a run remembers, so that
``gankit sample RUN`` in a new process finds it (it said "unknown model" before)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from cli_check import one_line_error

import gankit
from gankit import plugins
from gankit.cli import main
from gankit.models import MODELS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "my_sngan.py"

PLUGIN = '''
from gankit.models import latent_game, register
from gankit.nets.factory import build_nets
from gankit.objectives import HingeGAN, Latent


@register("{name}", summary="a test plugin's recipe", paper="none", loss="hinge")
def recipe(spec, cfg):
    G, D = build_nets(cfg.arch, spec, cfg.z_dim, cfg.width)
    return latent_game(spec, cfg, G, D, HingeGAN(Latent(cfg.z_dim)))
'''
RING = ["--dataset", "ring8", "--steps", "3", "--quiet", "--no-diagnostics"]


@pytest.fixture(autouse=True)
def _forget_plugins(tmp_path):
    """Each test imports its plugins afresh, and leaves gankit's tables as it found them."""
    models, loaded, providers = dict(MODELS), dict(plugins._LOADED), dict(plugins.PROVIDERS)
    path, entry_points, modules = list(sys.path), plugins._entry_points_loaded, set(sys.modules)
    yield
    for name in set(sys.modules) - modules:  # the test's plugin modules, all written under tmp_path
        if str(getattr(sys.modules[name], "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]
    MODELS.clear(), MODELS.update(models)
    plugins._LOADED.clear(), plugins._LOADED.update(loaded)
    plugins.PROVIDERS.clear(), plugins.PROVIDERS.update(providers)
    sys.path[:] = path
    plugins._entry_points_loaded = entry_points


def _plugin(folder: Path, name: str = "plugin-ring", file: str = "my_plugin.py") -> Path:
    path = folder / file
    path.write_text(PLUGIN.format(name=name))
    return path


def _gankit(*argv, cwd) -> subprocess.CompletedProcess:
    """``python -m gankit ARGV`` in a new process: nothing registered in this one carries over."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "gankit", *map(str, argv)], check=False, cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_run_trained_with_a_plugin_file_samples_in_a_new_process(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _plugin(tmp_path)
    run = tmp_path / "run"
    assert main(["train", "--plugin", "my_plugin.py", "--model", "plugin-ring", *RING, "--out", str(run)]) == 0
    recorded = yaml.safe_load((run / "config.yaml").read_text())["train"]["plugins"]
    assert recorded == [str(tmp_path / "my_plugin.py")]  # absolute: the run opens from any folder

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = _gankit("sample", run, "--n", "8", "--out", "x.npy", cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert np.load(elsewhere / "x.npy").shape == (8, 2)


def test_a_plugin_module_by_name_from_the_current_folder_and_models_lists_it(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _plugin(tmp_path, "plugin-by-name", "by_name.py")
    run = tmp_path / "run"
    assert main(["train", "--plugin", "by_name", "--model", "plugin-by-name", *RING, "--out", str(run)]) == 0
    assert gankit.load_run(run).config.plugins == ["by_name"]  # a name is recorded as the name
    capsys.readouterr()
    assert main(["models", "--plugin", "by_name"]) == 0
    out = capsys.readouterr().out
    assert "plugin-by-name" in out and "from plugin: by_name" in out


def test_the_config_key_and_the_flag_add_up(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _plugin(tmp_path, "plugin-a", "a.py"), _plugin(tmp_path, "plugin-b", "b.py")
    (tmp_path / "c.yaml").write_text("plugins: [a.py]\nmodel: plugin-b\n")
    assert main(["train", "--config", "c.yaml", "--plugin", "b.py", *RING, "--out", "run"]) == 0
    assert gankit.load_run("run").config.plugins == [str(tmp_path / "a.py"), str(tmp_path / "b.py")]
    one_line_error(capsys, ["train", "--resume", "run", "--steps", "5", "--plugin", "a.py"],
                   "--plugin cannot change when resuming")


def test_an_installed_entry_point_is_loaded_unnamed_and_recorded(tmp_path, capsys, monkeypatch):
    site = tmp_path / "site"
    (site / "myplug-0.1.dist-info").mkdir(parents=True)
    (site / "myplug-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: myplug\nVersion: 0.1\n")
    (site / "myplug-0.1.dist-info" / "entry_points.txt").write_text("[gankit.plugins]\nring = myplug_gans\n")
    _plugin(site, "plugin-installed", "myplug_gans.py")
    monkeypatch.syspath_prepend(str(site))
    plugins._entry_points_loaded = False
    run = tmp_path / "run"
    assert main(["train", "--model", "plugin-installed", *RING, "--out", str(run)]) == 0
    assert gankit.load_run(run).config.plugins == ["myplug_gans"]  # its recipe's module, so a run says what it needs


def test_the_example_plugin_trains_with_its_own_spectral_norm_d(tmp_path, capsys):
    from torch.nn.utils import parametrize

    run = tmp_path / "mine"
    assert main(["train", "--plugin", str(EXAMPLE), "--model", "my-sngan", "--dataset", "fashion-mnist",
                 "--subset", "256", "--steps", "2", "--width", "8", "--batch-size", "16", "--quiet",
                 "--no-diagnostics", "--out", str(run)]) == 0
    D = gankit.load_run(run).game.nets["D"]
    assert type(D).__name__ == "MySpectralD"
    normed = [m for m in D.modules() if parametrize.is_parametrized(m, "weight")]
    assert len(normed) == 3 and all(type(m.parametrizations.weight[0]).__name__ == "_SpectralNorm" for m in normed)


# --------------------------------------------------------------------------------------------
# Bad inputs: one line naming the plugin and the fix
# --------------------------------------------------------------------------------------------

def test_a_plugin_that_does_not_exist(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = ["--model", "x", *RING, "--out", "run"]
    one_line_error(capsys, ["train", "--plugin", "no_such_plugin", *out], "plugin module no_such_plugin not found",
                   "PYTHONPATH")
    one_line_error(capsys, ["train", "--plugin", "nowhere/gans.py", *out], "plugin file nowhere/gans.py does not exist")
    one_line_error(capsys, ["models", "--plugin", "no_such_plugin"], "no_such_plugin not found")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("code, needle", [
    ("x = (\n", "SyntaxError: '(' was never closed"),
    ("raise RuntimeError('no GPU here\\nsecond line')\n", "RuntimeError: no GPU here ("),
    ("import a_dependency_not_installed\n", "No module named 'a_dependency_not_installed'"),
])
def test_a_plugin_that_fails_to_import(tmp_path, capsys, monkeypatch, code, needle):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.py").write_text(code)
    line = one_line_error(capsys, ["train", "--plugin", "broken.py", "--model", "x", *RING, "--out", "run"],
                          "plugin broken.py failed to import", needle)
    assert "second line" not in line
    line = one_line_error(capsys, ["train", "--plugin", "broken", "--model", "x", *RING, "--out", "run"],
                          "plugin broken failed to import", needle)
    assert "broken" not in sys.modules


def test_a_run_whose_plugin_is_gone(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _plugin(tmp_path, "plugin-gone", "gone.py")
    assert main(["train", "--plugin", "gone.py", "--model", "plugin-gone", *RING, "--out", "run"]) == 0
    (tmp_path / "gone.py").rename(tmp_path / "moved.py")
    plugins._LOADED.clear()  # as in a new process
    one_line_error(capsys, ["sample", "run", "--n", "8", "--out", "x.npy"],
                   f"plugin file {tmp_path / 'gone.py'}, which is gone", "put the file back there, or change plugins: in")

    config = tmp_path / "run" / "config.yaml"
    config.write_text(config.read_text().replace(str(tmp_path / "gone.py"), "gone_module"))
    one_line_error(capsys, ["sample", "run", "--n", "8", "--out", "x.npy"],
                   "trained with plugin module gone_module, which is not importable here", "PYTHONPATH")


def test_a_run_folder_brings_no_code_of_its_own(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _plugin(tmp_path, "plugin-inside", "inside.py")
    assert main(["train", "--plugin", "inside.py", "--model", "plugin-inside", *RING, "--out", "run"]) == 0
    (tmp_path / "run" / "trojan.py").write_text("raise SystemExit('ran code from the run folder')\n")
    config = tmp_path / "run" / "config.yaml"
    config.write_text(config.read_text().replace(str(tmp_path / "inside.py"), str(tmp_path / "run" / "trojan.py")))
    one_line_error(capsys, ["sample", "run", "--n", "8", "--out", "x.npy"], "inside the run folder itself")
    config.write_text(config.read_text().replace(str(tmp_path / "run" / "trojan.py"), "trojan"))
    monkeypatch.chdir(tmp_path / "run")
    one_line_error(capsys, ["sample", ".", "--n", "8", "--out", "x.npy"], "names plugin trojan, which lives inside")


def test_a_plugins_key_of_the_wrong_type(tmp_path, capsys):
    (tmp_path / "c.yaml").write_text("plugins: my_gans\n")
    one_line_error(capsys, ["train", "--config", str(tmp_path / "c.yaml"), "--out", str(tmp_path / "run")],
                   "plugins must be a list of strings, not 'my_gans'", "plugins: [examples/my_sngan.py]")
