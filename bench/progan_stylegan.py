"""ProGAN's ablation in the paper's form, and StyleGAN2 on emoji; writes docs/progan-stylegan.md.

Suites (``--suite``), every run with one budget (``--steps`` G steps of ``--batch-size`` images,
seed 0, width ``--width``):

- ``ablation``: Fashion-MNIST at 32x32, the rows of ProGAN's Table 1 that are tricks of ours to
  switch, each cumulative: no tricks (full resolution from the start, He init, no minibatch
  stddev, no normalization in G), + progressive growing, + minibatch stddev, + equalized
  learning rate, + pixel norm (= the ``progan`` recipe). A ``stylegan`` row at the same budget
  follows as a reference. Growth: ``--stage-kimg`` = (steps x batch) / 8000, so the last stage has
  faded in at 3/4 of the run and trains alone for the last quarter.
- ``emoji``: ``stylegan`` and ``progan`` on the emoji at 32x32; for stylegan also the style-mixing
  matrices (coarse / middle / fine), interpolation in W and the truncation sweep in W.

Scores: multi-scale sliced Wasserstein distance (x1e3, ProGAN's; levels 32 and 16 px, 1,000
images) and gankit's domain-classifier FID (5,000 samples) against the test split, from the EMA
copy of G the recipes sample from. Wall time and images/s are the Trainer's own (training only).

    .venv/bin/python bench/progan_stylegan.py --suite ablation --threads 1 --only no-tricks,growing

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
from pathlib import Path

import torch

from _results import latest_rows, load_commands

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "progan"
OFF = dict(grow=0, mbstd=0, equalized=0, pixel_norm=0)
SUITES = {
    "ablation": [
        ("no-tricks", "no tricks (full size from the start)", dict(model="progan", params=OFF)),
        ("growing", "+ progressive growing", dict(model="progan", params={**OFF, "grow": 1})),
        ("mbstd", "+ minibatch stddev", dict(model="progan", params={**OFF, "grow": 1, "mbstd": 4})),
        ("equalized", "+ equalized learning rate", dict(model="progan", params={**OFF, "grow": 1, "mbstd": 4,
                                                                                   "equalized": 1})),
        ("pixel-norm", "+ pixel norm (the progan recipe)", dict(model="progan")),
        ("stylegan", "stylegan at the same budget (reference)", dict(model="stylegan")),
    ],
    "emoji": [
        ("stylegan", "stylegan", dict(model="stylegan")),
        ("progan", "progan", dict(model="progan")),
    ],
}
DATA = {"ablation": "fashion-mnist", "emoji": "emoji"}


def score(run, n: int) -> dict:
    from gankit.evaluation import evaluate

    result = evaluate(run, ["fid", "swd"], n=n, seed=0, write=False)["metrics"]
    return {"fid": round(result["fid"], 1), "swd": round(result["swd"], 2),
            "swd_levels": [round(v, 2) for v in result["swd_levels"]]}


def timing(run) -> dict:
    """Training seconds, images/s overall and ms per step at each resolution (growing runs)."""
    records = run.metrics()
    last = records[-1]
    per_res: dict[int, list[float]] = {}
    for r in records:
        if "resolution" in r and float(r["resolution"]).is_integer():  # a window inside one stage
            per_res.setdefault(int(r["resolution"]), []).append(r["ms_per_step"])
    return {"train_s": round(last["wall_time"], 1), "images": last["images"],
            "images_per_s": round(last["images"] / max(last["wall_time"], 1e-9), 1),
            "ms_per_step_at": {str(k): round(sum(v) / len(v)) for k, v in sorted(per_res.items())}}


def pictures(run, suite: str, slug: str) -> dict:
    """Grids for the document: final samples; the growth of the progan recipe; stylegan's mixing and truncation."""
    from gankit.viz.grid import save_image_grid
    from gankit.viz.latent import LatentExplorer

    DOCS.mkdir(parents=True, exist_ok=True)
    files = {}
    name = f"{suite}-{slug}"
    save_image_grid(run.sample(64, seed=0), DOCS / f"{name}.png", nrow=8)
    files["samples"] = f"progan/{name}.png"
    if slug in ("growing", "pixel-norm") or (suite == "emoji" and slug == "progan"):
        gif = run.path / "progress.gif"
        if suite == "ablation" and gif.is_file() and gif.stat().st_size < 3_000_000:  # one GIF: the repo stays small
            shutil.copy(gif, DOCS / f"{name}-growth.gif")
            files["gif"] = f"progan/{name}-growth.gif"
        steps = sorted(run.path.glob("samples/step_*.png"))
        keep = steps[:: max(1, len(steps) // 6)][:6]
        for i, p in enumerate(keep):
            shutil.copy(p, DOCS / f"{name}-growth-{i}.png")
        files["growth"] = [(int(p.stem.split("_")[1]), f"progan/{name}-growth-{i}.png") for i, p in enumerate(keep)]
    if run.config.model == "stylegan" and suite == "emoji":
        ex = LatentExplorer(run)
        rows, cols = [11, 12, 13, 14], [21, 22, 23, 24, 25, 26]
        for band, (lo, hi) in ex.style_bands().items():
            save_image_grid(ex.style_mix(rows, cols, lo, hi), DOCS / f"{name}-mix-{band}.png", nrow=len(cols) + 1)
            files[f"mix-{band}"] = (lo, hi, f"progan/{name}-mix-{band}.png")
        images, steps_, _ = LatentExplorer(run, space="w").interpolation([1, 2, 3, 4], 8)
        save_image_grid(images, DOCS / f"{name}-interp-w.png", nrow=steps_)
        files["interp-w"] = f"progan/{name}-interp-w.png"
        save_image_grid(ex.truncation_rows([1.0, 0.8, 0.6, 0.4, 0.2, 0.0], 10, 0), DOCS / f"{name}-psi-rows.png",
                        nrow=10)
        files["psi-rows"] = f"progan/{name}-psi-rows.png"
    return files


def sweep(run, n: int) -> list[dict]:
    from gankit.evaluation import truncation_sweep

    rows = truncation_sweep(run, (0.5, 0.6, 0.7, 0.8, 0.9), n=n)
    return [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for r in rows]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", choices=sorted(SUITES), required=True)
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--n-eval", type=int, default=5000)
    p.add_argument("--only", help="comma-separated slugs of the suite to run (default: all)")
    p.add_argument("--out", default="runs/progan-stylegan")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--table-only", action="store_true")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    import gankit
    from gankit.data import get_dataset

    out = Path(args.out) / args.suite
    if not args.table_only:
        out.mkdir(parents=True, exist_ok=True)
        data = get_dataset(DATA[args.suite], "train", image_size=32)
        only = set(args.only.split(",")) if args.only else None
        stage_kimg = args.steps * args.batch_size / 8000
        for slug, label, kw in SUITES[args.suite]:
            if only and slug not in only:
                continue
            growing = kw["model"] == "progan"
            run = gankit.train(dataset=DATA[args.suite], image_size=32, steps=args.steps, batch_size=args.batch_size,
                               width=args.width, seed=0, quiet=True, out=out / slug, overwrite=True, data=data,
                               log_every=25, sample_every=max(1, args.steps // 24), checkpoint_every=10**9,
                               **({"stage_kimg": stage_kimg} if growing else {}), **kw)
            row = {"suite": args.suite, "slug": slug, "label": label, "model": kw["model"],
                   "params": run.config.params, "steps": args.steps, "batch": args.batch_size, "width": args.width,
                   "stage_kimg": stage_kimg if growing else None, "threads": torch.get_num_threads(),
                   "precision": run.runtime.get("precision"), "scores": score(run, args.n_eval), **timing(run)}
            row["files"] = pictures(run, args.suite, slug)
            if kw["model"] == "stylegan" and args.suite == "emoji":
                row["sweep"] = sweep(run, min(args.n_eval, 2000))
            with open(out / "results.jsonl", "a") as f:
                f.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)
        commands = _commands(Path(args.out))
        commands[args.suite] = "python bench/progan_stylegan.py " + " ".join(
            shlex.quote(a) for a in sys.argv[1:] if a != "--table-only")
        (Path(args.out) / "commands.json").write_text(json.dumps(commands, indent=2) + "\n")
    write_doc(Path(args.out), ROOT / "docs" / "progan-stylegan.md", _commands(Path(args.out)))
    return 0


def _commands(out: Path) -> dict:
    return load_commands(out)


def _rows(out: Path, suite: str) -> list[dict]:
    return latest_rows(out / suite / "results.jsonl", [slug for slug, _, _ in SUITES[suite]])


def _table(rows: list[dict]) -> list[str]:
    lines = ["| configuration | SWD x1e3 at 32 px | at 16 px (low-pass) | SWD average | classifier FID | train s | images/s "
             "| ms/step at 4, 8, 16, 32 px | samples |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        s = r["scores"]
        per = r.get("ms_per_step_at") or {}
        stages = ", ".join(str(per.get(str(k), "-")) for k in (4, 8, 16, 32)) if per else "-"
        levels = s["swd_levels"] + ["-"] * (2 - len(s["swd_levels"]))
        lines.append(f"| {r['label']} | {levels[0]} | {levels[1]} | {s['swd']} | {s['fid']} | {r['train_s']:.0f} | "
                     f"{r['images_per_s']} | {stages} | [png]({r['files']['samples']}) |")
    return lines


def write_doc(out: Path, path: Path, commands: dict) -> None:
    if not any((out / suite / "results.jsonl").is_file() for suite in SUITES):
        print(f"no results under {out}: {path} left as it is (run a suite first)")
        return
    lines = ["# ProGAN and StyleGAN2, measured", "",
             "Generated by `bench/progan_stylegan.py` (the commands are below each table); what the numbers say and",
             "do not say: [progan-stylegan-notes.md](progan-stylegan-notes.md).", ""]
    rows = _rows(out, "ablation")
    if rows:
        r0 = rows[0]
        lines += ["## ProGAN's ablation on Fashion-MNIST at 32x32", "",
                  f"Each row adds one trick to the row above (ProGAN's Table 1, the rows that are switches here), "
                  f"{r0['steps']} G steps of {r0['batch']} images, width {r0['width']}, seed 0, {r0['precision']}, "
                  f"{r0['threads']} torch thread(s); growing runs fade each stage in over {r0['stage_kimg']:g} kimg "
                  "and train it as long. Scores from the EMA copy of G; lower is better.", ""]
        lines += _table(rows)
        if "ablation" in commands:
            lines += ["", f"Made by `{commands['ablation']}`."]
        lines.append("")
        grown = next((r for r in reversed(rows) if "growth" in r["files"]), None)  # the full recipe where it ran
        if grown:
            lines += [f"### The resolution growing: fixed-noise grids of \"{grown['label']}\"", ""]
            lines += [f"step {step}: ![step {step}]({file})" for step, file in grown["files"]["growth"]]
            if "gif" in grown["files"]:
                lines += ["", f"![growth]({grown['files']['gif']})"]
            lines.append("")
    rows = _rows(out, "emoji")
    if rows:
        lines += ["## On emoji at 32x32", ""]
        lines += _table(rows)
        if "emoji" in commands:
            lines += ["", f"Made by `{commands['emoji']}`."]
        lines.append("")
        for r in rows:
            f = r["files"]
            if "mix-coarse" in f:
                lines += ["### StyleGAN2's style mixing", "",
                          "Top row: the column seeds (source A); left column: the row seeds (source B); each cell is A "
                          "with the styles of some layers taken from B.", ""]
                for band in ("coarse", "middle", "fine"):
                    lo, hi, file = f[f"mix-{band}"]
                    lines += [f"{band} styles (layers {lo}..{hi - 1}) from B:", "", f"![{band}]({file})", ""]
                lines += ["Interpolation in W (lerp between the seeds' w):", "", f"![interpolation in W]({f['interp-w']})",
                          "", "Truncation in W, psi 1.0, 0.8, 0.6, 0.4, 0.2, 0.0 (rows; psi 0 is the average w):", "",
                          f"![truncation rows]({f['psi-rows']})", ""]
            if "growth" in f:
                lines += [f"### {r['label']} growing on emoji", ""]
                lines += [f"step {step}: ![step {step}]({file})" for step, file in f["growth"]]
                if "gif" in f:
                    lines += ["", f"![growth]({f['gif']})"]
                lines.append("")
            if r.get("sweep"):
                lines += ["### StyleGAN2's truncation sweep in W (EMA, 2,000 samples per psi)", "",
                          "| psi | FID | precision | recall |", "|---|---|---|---|"]
                for s in r["sweep"]:
                    psi = "none" if s["psi"] is None else s["psi"]
                    lines.append(f"| {psi} | {s['fid']} | {s['precision']} | {s['recall']} |")
                lines.append("")
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
