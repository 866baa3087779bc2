"""gankit serve's HTTP API (docs/serve.md), endpoint by endpoint, with FastAPI's test client.

The runs are tiny and barely trained (a few steps): these tests check that each picture is the one
the CLI draws for the same request (a seed's image is `gankit sample --n 1 --seed S`'s, the
interpolation starts and ends at the two seeds' images, a style-mixing cell with crossover 0 is its
column seed), and that every bad input gets its one-line JSON error. The page itself is driven in a
real browser by test_serve_browser.py.
"""

import base64
import io
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import gankit
from gankit.cli import main
from gankit.data.pairs import TranslationDataset, translation_spec

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from gankit.serve.app import create_app

pytestmark = pytest.mark.usefixtures("isolated_gankit_home")
TINY = {"width": 8, "batch_size": 16, "quiet": True, "precision": "fp32", "sample_every": 10**6}


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory, fashion_small, fashion32):
    root = tmp_path_factory.mktemp("serve") / "runs"
    gankit.train(model="dcgan", dataset="mnist5k", steps=3, log_every=1, out=root / "dcgan", **TINY)
    gankit.train(model="cgan", dataset="mnist5k", steps=3, out=root / "group" / "cgan", ema=100, **TINY)
    gankit.train(model="infogan", data=fashion_small, steps=2, out=root / "infogan", **TINY)
    gankit.train(model="stylegan", data=fashion32.subset(256, seed=0), steps=2, out=root / "stylegan", z_dim=16,
                 params={"mapping_layers": 1}, **TINY)
    g = torch.Generator().manual_seed(0)
    a = torch.randint(0, 256, (32, 1, 8, 8), generator=g, dtype=torch.uint8)
    data = TranslationDataset(translation_spec("toy", a, 255 - a, True), a, 255 - a)
    gankit.train(model="pix2pix", data=data, steps=2, out=root / "pix2pix", width=4, batch_size=4, quiet=True)
    gankit.train(model="gan", dataset="ring8", steps=2, batch_size=64, quiet=True, out=root / "ring")
    (root / "not-a-run").mkdir()
    return root


@pytest.fixture(scope="module")
def client(runs_dir):
    with TestClient(create_app([runs_dir.resolve()], lab_sessions=2)) as c:
        yield c


def image_of(url: str) -> np.ndarray:
    assert url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))


def data_url(image: Image.Image, fmt: str = "PNG") -> str:
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    mime = {"PNG": "png", "JPEG": "jpeg", "GIF": "gif"}[fmt]
    return f"data:image/{mime};base64," + base64.b64encode(buf.getvalue()).decode()


def ok(response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def error(response, status: int, *words: str) -> str:
    assert response.status_code == status, response.text
    message = response.json()["error"]
    assert "\n" not in message and "Traceback" not in message
    for word in words:
        assert word in message, message
    return message


def ids(client) -> dict[str, str]:
    return {r["model"]: r["id"] for r in ok(client.get("/api/runs"))["runs"]}


# -- the run list and what a run id can reach ---------------------------------------------------------------
def test_run_list_names_every_run_and_only_runs(client):
    runs = ok(client.get("/api/runs"))["runs"]
    assert sorted(r["model"] for r in runs) == ["cgan", "dcgan", "gan", "infogan", "pix2pix", "stylegan"]
    by_model = {r["model"]: r for r in runs}
    assert by_model["cgan"]["id"] == "0/group/cgan"
    assert by_model["dcgan"] == {"id": "0/dcgan", "name": "dcgan", "model": "dcgan", "dataset": "mnist5k",
                                 "kind": "image", "step": 3, "best": None}
    assert by_model["gan"]["kind"] == "points"


def test_run_ids_outside_the_list_reach_nothing(client, runs_dir):
    for bad in ["../runs/dcgan", "0/../dcgan", str(runs_dir / "dcgan"), "0/not-a-run", "1/dcgan", "0/dcgan/.."]:
        error(client.get("/api/runs/info", params={"run": bad}), 404, "/api/runs")
        error(client.get("/api/curves", params={"run": bad}), 404)
        error(client.post("/api/samples", json={"run": bad, "seeds": [0]}), 404)


def test_run_info_shows_what_each_run_supports(client):
    runs = ids(client)
    cgan = ok(client.get("/api/runs/info", params={"run": runs["cgan"]}))
    assert cgan["conditional"] and cgan["num_classes"] == 10 and len(cgan["class_names"]) == 10
    assert cgan["shape"] == [1, 28, 28] and cgan["truncation_space"] == "z" and cgan["translation"] is None
    info = ok(client.get("/api/runs/info", params={"run": runs["infogan"]}))
    assert info["codes"] == {"n_cat": 10, "n_cont": 2} and not info["conditional"]
    style = ok(client.get("/api/runs/info", params={"run": runs["stylegan"]}))
    assert style["truncation_space"] == "w" and style["style"]["num_ws"] >= 4
    assert set(style["style"]["bands"]) == {"coarse", "middle", "fine"}
    pix = ok(client.get("/api/runs/info", params={"run": runs["pix2pix"]}))
    assert pix["translation"]["directions"] == ["AtoB"] and pix["translation"]["input_shape"] == [1, 8, 8]


# -- samples ------------------------------------------------------------------------------------------------
def test_a_seed_draws_what_its_sample_command_draws(client, runs_dir, tmp_path):
    run = ids(client)["cgan"]
    answer = ok(client.post("/api/samples", json={"run": run, "seeds": [5, 9, 5], "class": 3, "psi": 0.7}))
    images = [image_of(u) for u in answer["images"]]
    assert answer["seeds"] == [5, 9, 5] and images[0].shape == (28, 28)
    assert np.array_equal(images[0], images[2]) and not np.array_equal(images[0], images[1])
    command = answer["commands"][1]
    assert "--seed 9" in command and "--class 3" in command and "--truncation 0.7" in command
    words = command.split()[1:]  # gankit sample RUN ... --out seed9.png, written here as .npy instead
    words[words.index("--out") + 1] = str(tmp_path / "seed9.npy")
    assert main(words) == 0
    assert np.array_equal(np.load(tmp_path / "seed9.npy")[0].squeeze(), images[1])


def test_ema_and_raw_generators_draw_differently_and_name_their_command(client, runs_dir, tmp_path):
    runs = ids(client)
    assert ok(client.get("/api/runs/info", params={"run": runs["cgan"]}))["ema"]
    assert not ok(client.get("/api/runs/info", params={"run": runs["dcgan"]}))["ema"]
    body = {"run": runs["cgan"], "seeds": [2], "class": 5}
    averaged, raw = (ok(client.post("/api/samples", json={**body, "ema": ema})) for ema in (True, False))
    assert not np.array_equal(image_of(averaged["images"][0]), image_of(raw["images"][0]))
    assert "--no-ema" in raw["commands"][0] and "--no-ema" not in averaged["commands"][0]
    words = raw["commands"][0].split()[1:]
    words[words.index("--out") + 1] = str(tmp_path / "raw.npy")
    assert main(words) == 0
    assert np.array_equal(np.load(tmp_path / "raw.npy")[0].squeeze(), image_of(raw["images"][0]))


def test_truncation_moves_the_image_and_psi_zero_is_one_image(client):
    run = ids(client)["dcgan"]
    full = [image_of(u) for u in ok(client.post("/api/samples", json={"run": run, "seeds": [1, 2, 3]}))["images"]]
    half = [image_of(u) for u in ok(client.post("/api/samples", json={"run": run, "seeds": [1, 2, 3],
                                                                         "psi": 0.5}))["images"]]
    zero = [image_of(u) for u in ok(client.post("/api/samples", json={"run": run, "seeds": [1, 2, 3],
                                                                         "psi": 0}))["images"]]
    assert not np.array_equal(full[0], half[0])
    assert np.array_equal(zero[0], zero[1]) and np.array_equal(zero[1], zero[2])


def test_a_class_changes_a_conditional_runs_image(client):
    run = ids(client)["cgan"]
    three, four = (image_of(ok(client.post("/api/samples", json={"run": run, "seeds": [0], "class": k}))["images"][0])
                   for k in (3, 4))
    assert not np.array_equal(three, four)
    error(client.post("/api/samples", json={"run": run, "seeds": [0], "class": 10}), 400, "class must be in 0..9")


@pytest.mark.parametrize("body, field", [
    ({"seeds": []}, "seeds"), ({"seeds": list(range(65))}, "seeds"), ({"seeds": [0], "psi": 1.5}, "psi"),
    ({"seeds": [0], "psi": -0.1}, "psi"), ({"seeds": [-1]}, "seed"), ({"seeds": [2**31]}, "seed"),
    ({"seeds": ["x"]}, "seeds"), ({"seeds": [0], "sneaky": 1}, "sneaky"), ({}, "seeds"),
])
def test_bad_sample_requests_get_one_line_errors(client, body, field):
    status = 400 if body.get("seeds") in ([-1], [2**31]) else 422
    error(client.post("/api/samples", json={"run": ids(client)["dcgan"], **body}), status, field)


def test_a_points_run_is_listed_but_draws_no_image_grid(client):
    error(client.post("/api/samples", json={"run": ids(client)["gan"], "seeds": [0]}), 400, "2D points")


# -- interpolation, codes, style mixing ---------------------------------------------------------------------
@pytest.mark.parametrize("model, space", [("cgan", "z"), ("stylegan", "z"), ("stylegan", "w")])
def test_interpolation_starts_and_ends_at_the_two_seeds(client, model, space):
    run = ids(client)[model]
    label = 2 if model == "cgan" else None
    strip = ok(client.post("/api/interpolate", json={"run": run, "a": 4, "b": 11, "steps": 7, "space": space,
                                                     "class": label}))["images"]
    ends = ok(client.post("/api/samples", json={"run": run, "seeds": [4, 11], "class": label}))["images"]
    assert len(strip) == 7
    for got, want in ((strip[0], ends[0]), (strip[-1], ends[1])):  # slerp's end points, up to float rounding
        assert np.abs(image_of(got).astype(int) - image_of(want).astype(int)).max() <= 1
    assert not np.array_equal(image_of(strip[3]), image_of(strip[0]))
    error(client.post("/api/interpolate", json={"run": run, "a": 4, "b": 11, "steps": 33}), 422, "steps")


def test_interpolation_in_w_needs_a_style_based_run(client):
    error(client.post("/api/interpolate", json={"run": ids(client)["dcgan"], "a": 0, "b": 1, "space": "w"}), 400,
          "style-based")


def test_infogan_codes_change_the_image_and_are_checked(client):
    runs = ids(client)
    body = {"run": runs["infogan"], "seed": 3, "category": 0, "continuous": [0.0, 0.0]}
    base = image_of(ok(client.post("/api/codes", json=body))["image"])
    other = image_of(ok(client.post("/api/codes", json={**body, "category": 7}))["image"])
    slid = image_of(ok(client.post("/api/codes", json={**body, "continuous": [2.0, -2.0]}))["image"])
    assert not np.array_equal(base, other) and not np.array_equal(base, slid)
    error(client.post("/api/codes", json={**body, "category": 10}), 400, "0..9")
    error(client.post("/api/codes", json={**body, "continuous": [0.0]}), 400, "2 continuous codes")
    error(client.post("/api/codes", json={**body, "continuous": [0.0, 9.0]}), 400, "-3..3")
    error(client.post("/api/codes", json={**body, "run": runs["dcgan"]}), 400, "infogan")


def test_style_mixing_matrix_takes_the_crossover_layers_from_the_row_seed(client):
    runs = ids(client)
    run = runs["stylegan"]
    num_ws = ok(client.get("/api/runs/info", params={"run": run}))["style"]["num_ws"]
    body = {"run": run, "rows": [1, 2], "cols": [3, 4, 5]}
    none = ok(client.post("/api/style-mix", json={**body, "crossover": 0}))["rows"]
    every = ok(client.post("/api/style-mix", json={**body, "crossover": num_ws}))["rows"]
    assert len(none) == 3 and all(len(row) == 4 for row in none) and none[0][0] is None
    same = lambda a, b: np.abs(image_of(a).astype(int) - image_of(b).astype(int)).max() <= 1
    assert same(none[1][2], none[0][2])  # crossover 0: every cell is its column seed
    assert same(every[2][3], every[2][0])  # crossover at the last layer: every cell is its row seed
    error(client.post("/api/style-mix", json={**body, "crossover": num_ws + 1}), 400, f"0..{num_ws}")
    error(client.post("/api/style-mix", json={**body, "run": runs["dcgan"], "crossover": 1}), 400, "style-based")
    error(client.post("/api/style-mix", json={**body, "rows": list(range(7)), "crossover": 1}), 422, "rows")


# -- translation uploads ------------------------------------------------------------------------------------
def test_an_uploaded_image_is_translated_as_run_translate_does(client, runs_dir):
    run = ids(client)["pix2pix"]
    g = torch.Generator().manual_seed(1)
    pixels = torch.randint(0, 256, (8, 8), generator=g, dtype=torch.uint8)
    answer = ok(client.post("/api/translate", json={"run": run, "image": data_url(Image.fromarray(pixels.numpy()))}))
    assert np.array_equal(image_of(answer["input"]), pixels.numpy())
    want = gankit.load_run(runs_dir / "pix2pix").translate(pixels[None, None])[0, 0].numpy()
    assert np.array_equal(image_of(answer["output"]), want)
    # a drawing: an RGBA canvas larger than the input, transparent where nothing was drawn (white there)
    drawing = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    drawing.paste((0, 0, 0, 255), (16, 16, 48, 48))
    shown = image_of(ok(client.post("/api/translate", json={"run": run, "image": data_url(drawing)}))["input"])
    assert shown.shape == (8, 8) and shown[0, 0] == 255 and shown[4, 4] == 0
    jpeg = ok(client.post("/api/translate", json={"run": run, "image": data_url(Image.new("RGB", (8, 8)), "JPEG")}))
    assert image_of(jpeg["output"]).shape == (8, 8)


def test_bad_uploads_are_refused_with_the_fix(client):
    runs = ids(client)
    run = runs["pix2pix"]
    post = lambda image, **kw: client.post("/api/translate", json={"run": run, "image": image, **kw})
    error(post(data_url(Image.new("L", (8, 8)), "GIF")), 400, "GIF", "PNG or JPEG")
    error(post(data_url(Image.new("L", (2000, 10)))), 413, "1024 px")
    error(post("data:image/png;base64," + "A" * 2_900_000), 413, "2 MB")
    error(post("data:image/png;base64,not base64!"), 400, "base64")
    error(post("data:image/png;base64," + base64.b64encode(b"not a png").decode()), 400, "not a readable")
    error(post("/etc/passwd"), 400, "data URL")
    error(post(data_url(Image.new("L", (8, 8))), direction="BtoA"), 400, "AtoB only")
    error(client.post("/api/translate", json={"run": runs["dcgan"], "image": data_url(Image.new("L", (8, 8)))}),
          400, "translation run")


# -- curves, alarms and nearest training images -------------------------------------------------------------
def test_curves_carry_the_numbers_and_the_alarm_episodes(client, runs_dir):
    run_dir = runs_dir / "dcgan"
    episode = {"alarm": "mode_collapse", "first_step": 2, "last_step": 3, "message": "samples reach 1 of 10 classes"}
    (run_dir / "diagnostics.json").write_text(json.dumps({"episodes": [episode]}))
    try:
        answer = ok(client.get("/api/curves", params={"run": ids(client)["dcgan"]}))
    finally:
        (run_dir / "diagnostics.json").unlink()
    assert [r["step"] for r in answer["records"]] == [1, 2, 3]
    assert {"d_loss", "g_loss"} <= set(answer["records"][-1])
    assert all(isinstance(v, (int, float)) for r in answer["records"] for v in r.values())
    assert answer["alarms"] == [episode]


def test_nearest_training_images_are_sorted_and_cover_the_training_split(client):
    run = ids(client)["cgan"]
    answer = ok(client.post("/api/nearest", json={"run": run, "seed": 0, "class": 1, "k": 4}))
    assert len(answer["neighbours"]) == 4 and answer["distances"] == sorted(answer["distances"])
    assert image_of(answer["neighbours"][0]).shape == (28, 28)
    assert "classifier-mnist5k" in answer["features"] and re.search(r"over the \d{4} training images",
                                                                      answer["features"])
    sample = ok(client.post("/api/samples", json={"run": run, "seeds": [0], "class": 1}))["images"][0]
    assert np.array_equal(image_of(answer["sample"]), image_of(sample))
    error(client.post("/api/nearest", json={"run": run, "seed": 0, "k": 17}), 422, "k")
    error(client.post("/api/nearest", json={"run": ids(client)["pix2pix"], "seed": 0}), 400, "draw images from z")


def test_a_run_naming_plugin_code_is_opened_only_with_allow_plugins(runs_dir, tmp_path):
    import shutil

    import yaml

    marker = tmp_path / "imported"
    plugin = tmp_path / "evil_plugin.py"
    plugin.write_text(f"open({str(marker)!r}, 'w').close()\n")
    root = tmp_path / "served"
    shutil.copytree(runs_dir / "dcgan", root / "dcgan")
    config = yaml.safe_load((root / "dcgan" / "config.yaml").read_text())
    config["train"]["plugins"] = [str(plugin)]
    (root / "dcgan" / "config.yaml").write_text(yaml.safe_dump(config))
    for allow in (False, True):
        with TestClient(create_app([root.resolve()], allow_plugins=allow)) as c:
            assert [r["model"] for r in ok(c.get("/api/runs"))["runs"]] == ["dcgan"]  # listed either way
            answer = c.post("/api/samples", json={"run": "0/dcgan", "seeds": [0]})
            if allow:
                ok(answer)
            else:
                error(answer, 400, "evil_plugin.py", "--allow-plugins")
            assert marker.exists() == allow


# -- the live lab through HTTP (its training is tested in test_serve_lab.py) -----------------------------------
def test_lab_sessions_step_stream_and_close(client):
    options = ok(client.get("/api/lab/options"))
    assert {"ring8", "grid25", "custom"} == set(options["datasets"]) and "wgan-gp" in options["models"]
    assert "stylegan" not in options["models"] and set(options["defaults"]["gan"]) == {"lr_d", "lr_g", "n_critic"}
    created = ok(client.post("/api/lab", json={"dataset": "ring8", "model": "gan", "seed": 0}))
    session, frame = created["session"], created["frame"]
    assert frame["step"] == 0 and frame["num_modes"] == 8 and len(frame["real"]) > 100
    frame = ok(client.post(f"/api/lab/{session}/control", json={"action": "step"}))["frame"]
    assert frame["step"] == 1
    frame = ok(client.post(f"/api/lab/{session}/control", json={"action": "step_d", "lr_d": 0.01}))["frame"]
    assert frame["d_steps"] == frame["g_steps"] + 1
    with client.stream("GET", f"/api/lab/{session}/events") as stream:
        line = next(line for line in stream.iter_lines() if line.startswith("data: "))
    assert json.loads(line[len("data: "):])["d_steps"] == frame["d_steps"]
    ok(client.post(f"/api/lab/{session}/control", json={"action": "play"}))
    frames, start = [], time.monotonic()
    with client.stream("GET", f"/api/lab/{session}/events") as stream:  # while the pool's thread trains it
        for line in stream.iter_lines():
            if line.startswith("data: "):
                frames.append(json.loads(line[len("data: "):])["step"])
            if len(frames) == 6 or time.monotonic() - start > 10:
                break
    # about 6 frames a second (FRAME_SECONDS), 1 s of them here; when the training loop took the session's
    # lock again at once, a page saw 2 frames in 12 s
    assert len(frames) == 6 and frames == sorted(frames) and frames[-1] > frames[0], frames
    ok(client.post(f"/api/lab/{session}/control", json={"action": "pause"}))
    error(client.post(f"/api/lab/{session}/control", json={"action": "jump"}), 422, "action")
    error(client.post(f"/api/lab/{session}/control", json={"action": "play", "n_critic": 0}), 400, "n_critic")
    assert ok(client.post(f"/api/lab/{session}/close")) == {"closed": True}
    error(client.post(f"/api/lab/{session}/control", json={"action": "step"}), 404)
    error(client.get(f"/api/lab/{session}/events"), 404)


def test_lab_bad_input_and_a_full_pool(client):
    error(client.post("/api/lab", json={"dataset": "moons"}), 400, "ring8")
    error(client.post("/api/lab", json={"model": "stylegan"}), 400, "gan")
    error(client.post("/api/lab", json={"dataset": "custom", "points": [[0, 0]] * 3}), 400, "8")
    error(client.post("/api/lab", json={"dataset": "custom", "points": [[0, 99]] * 10}), 400, "-10..10")
    sessions = [ok(client.post("/api/lab", json={}))["session"] for _ in range(2)]  # the pool holds 2
    error(client.post("/api/lab", json={}), 429)
    for s in sessions:
        client.post(f"/api/lab/{s}/close")
    ok(client.post("/api/lab", json={"dataset": "custom", "points": [[x / 4, -x / 4] for x in range(16)]}))


# -- the page, the command ------------------------------------------------------------------------------------
def test_the_page_and_its_assets_come_from_the_package(client):
    page = client.get("/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    static = Path(gankit.__file__).parent / "serve" / "static"
    for asset in static.iterdir():
        text = asset.read_text(encoding="utf-8")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.IGNORECASE), f"{asset.name} names a remote host"
        assert client.get(f"/static/{asset.name}").status_code == 200
    assert client.get("/static/../app.py").status_code == 404


def test_serve_command_errors_and_a_real_server(runs_dir, tmp_path, capsys):
    assert main(["serve", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert main(["serve", str(runs_dir), "--port", "70000"]) == 2
    assert "not a TCP port" in capsys.readouterr().err
    from gankit.commands.serve import _loopback

    assert _loopback("127.0.0.1") and _loopback("::1") and _loopback("127.0.0.2") and not _loopback("0.0.0.0")
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "gankit", "serve", str(runs_dir), "--port", str(port),
                               "--threads", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/runs", timeout=5) as r:
                    assert len(json.load(r)["runs"]) == 6
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
                time.sleep(0.5)
    finally:
        server.terminate()
        out, _err = server.communicate(timeout=30)
    assert f"open http://127.0.0.1:{port}/" in out and "6 run(s)" in out
