"""The modern image GANs side by side, with one budget and one seed; writes docs/modern-gans.md.

Three suites (``--suite``), each a list of runs with the same number of discriminator updates,
batch size and seed, every model with its recipe's (paper's) defaults:

- ``fm32``: Fashion-MNIST at 32x32 (resized at load time): dcgan, wgan-gp, sngan, biggan;
- ``emoji32``: the color emoji at 32x32: dcgan and sngan (unconditional), biggan (by Unicode group);
- ``small``: the small-data protocol of DiffAugment/ADA: sngan (setting C of its paper, width 32) on
  fixed subsets of 6,000 and 1,200 Fashion-MNIST images, without augmentation, with ``--diffaugment color,translation,cutout`` and
  with ``--ada``.

Every run is scored against the dataset's test split with gankit's domain-classifier FID (and, for
class-conditional models, the share of samples the classifier puts in the asked class), from the
trained G and, where the recipe keeps one, from its EMA, and for biggan also with the truncation
trick. Results are appended to OUT/<suite>/results.jsonl as each run finishes; ``--table-only``
rewrites the document from what is there.

    .venv/bin/python bench/modern_gans.py --suite fm32 --d-updates 1200 --threads 1

Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import torch

from _results import latest_rows, load_commands

ROOT = Path(__file__).resolve().parents[1]
DIFFAUGMENT = "color,translation,cutout"

#: suite -> runs: (slug, train kwargs)
SUITES = {
    "fm32": [
        ("dcgan", dict(model="dcgan")),
        ("wgan-gp", dict(model="wgan-gp", arch="dcgan")),
        ("sngan", dict(model="sngan", arch="sngan")),
        ("biggan", dict(model="biggan")),
    ],
    "emoji32": [
        ("dcgan", dict(model="dcgan")),
        ("sngan", dict(model="sngan", arch="sngan")),
        ("biggan", dict(model="biggan")),
    ],
    # sngan in the paper's 1-step setting C (n_dis 1, betas (0.5, 0.999)) at width 32, as in tests/test_learning.py:
    # 5x cheaper per D update than n_dis 5, so a CPU budget reaches the epochs where D overfits a small set
    "small": [
        (f"sngan-{n}-{aug}", dict(model="sngan", subset=n, width=32, n_critic=1, betas_g=[0.5, 0.999],
                                  betas_d=[0.5, 0.999], **kw))
        for n in (6000, 1200)
        for aug, kw in (("none", {}), ("diffaugment", dict(diffaugment=DIFFAUGMENT)), ("ada", dict(ada=True)))
    ],
}
# emoji's 3,290 images, where biggan's D does win (d_real ~1, d_fake ~-0.9): the augmented twins of emoji32's biggan
SUITES["emoji32-aug"] = [("biggan-diffaugment", dict(model="biggan", diffaugment=DIFFAUGMENT)),
                         ("biggan-ada", dict(model="biggan", ada=True))]
# the same 1.2k runs, meant for a longer budget (--d-updates 6000): at 1500 D updates D has not overfit 1,200 images
SUITES["small-long"] = [entry for entry in SUITES["small"] if entry[1]["subset"] == 1200]
DATA = {"fm32": ("fashion-mnist", 32), "emoji32": ("emoji", 32), "emoji32-aug": ("emoji", 32), "small": ("fashion-mnist", None),
        "small-long": ("fashion-mnist", None)}
TRUNCATION = 0.5  # psi of the truncated rows (BigGAN's resample trick)


def evaluate_run(run, n: int, conditional: bool) -> list[dict]:
    """FID (and class accuracy) of the run's G, its EMA and, for biggan, truncated samples."""
    from gankit.evaluation import evaluate

    metrics = ["fid", "cond"] if conditional else ["fid"]
    variants = [("G", dict(ema=False))]
    if run.has_ema:
        variants.append(("EMA", dict(ema=True)))
    if run.config.model == "biggan":
        variants += [(f"G, psi {TRUNCATION}", dict(ema=False, truncation=TRUNCATION, truncation_method="resample")),
                     (f"EMA, psi {TRUNCATION}", dict(ema=True, truncation=TRUNCATION, truncation_method="resample"))]
    rows = []
    for name, opts in variants:
        result = evaluate(run, metrics, n=n, seed=0, write=False, **opts)["metrics"]
        rows.append({"variant": name, "fid": round(result["fid"], 1),
                     "cond": round(result["cond_acc"], 3) if "cond_acc" in result else None})
    return rows


def grid(run, path: Path, **opts) -> None:
    from gankit.games.sampler import class_rows
    from gankit.viz.grid import save_image_grid

    sampler = run.sampler(ema=opts.pop("ema", True))
    if sampler.conditional:
        labels, per_row = class_rows(10 * min(sampler.num_classes, 10), min(sampler.num_classes, 10))
        images = sampler.sample(len(labels), seed=0, labels=labels, **opts)
    else:
        images, per_row = sampler.sample(100, seed=0, **opts), 10
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image_grid(images, path, nrow=per_row)


def _d_real(run) -> list[tuple[int, float]]:
    """D's mean raw output on real images over training: it climbs when D starts to overfit."""
    return [(r["step"], round(r["d_real"], 3)) for r in run.metrics() if "d_real" in r]


def ada_trajectory(run) -> list[tuple[int, float]]:
    return [(r["step"], round(r["ada_p"], 3)) for r in run.metrics() if "ada_p" in r]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", choices=sorted(SUITES), required=True)
    p.add_argument("--d-updates", type=int, default=1200, help="discriminator updates per run (G steps = this / n_critic)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-eval", type=int, default=5000)
    p.add_argument("--only", help="comma-separated slugs of the suite to run (default: all)")
    p.add_argument("--out", default="runs/modern")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--table-only", action="store_true")
    p.add_argument("--rescore", action="store_true",
                   help="score the suite's finished runs again from their folders (e.g. after an evaluation fix)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    import gankit
    from gankit.data import get_dataset

    out = Path(args.out) / args.suite
    results = out / "results.jsonl"
    if args.rescore:
        rescore(out, results, args.n_eval)
        args.table_only = True
    if not args.table_only:
        out.mkdir(parents=True, exist_ok=True)
        dataset, size = DATA[args.suite]
        data = get_dataset(dataset, "train", image_size=size)
        only = set(args.only.split(",")) if args.only else None
        for slug, kw in SUITES[args.suite]:
            if only and slug not in only:
                continue
            info = gankit.models.get_model(kw["model"])
            n_critic = kw.get("n_critic", info.defaults["n_critic"])
            steps = max(1, args.d_updates // n_critic)
            t = time.perf_counter()
            run = gankit.train(dataset=dataset, image_size=size, steps=steps, batch_size=args.batch_size,
                               seed=args.seed, quiet=True, out=out / slug, overwrite=True, data=data,
                               log_every=25, sample_every=10**9, checkpoint_every=10**9, **kw)
            train_s = run.metrics()[-1]["wall_time"]
            wall = time.perf_counter() - t
            row = {"suite": args.suite, "slug": slug, "model": kw["model"], "options": {k: v for k, v in kw.items() if k != "model"},
                   "steps": steps, "n_critic": n_critic, "d_updates": steps * n_critic, "batch": args.batch_size,
                   "train_s": round(train_s, 1), "threads": torch.get_num_threads(),
                   "precision": run.runtime.get("precision"), "dataset_size": run.runtime.get("dataset_size"),
                   "scores": evaluate_run(run, args.n_eval, info.conditional), "eval_s": None,
                   "grid": f"modern/{args.suite}-{slug}.png", "d_real": _d_real(run)}
            row["eval_s"] = round(time.perf_counter() - t - wall, 1)
            grid(run, ROOT / "docs" / row["grid"])
            if run.config.model == "biggan":
                grid(run, ROOT / "docs" / f"modern/{args.suite}-{slug}-psi{TRUNCATION}.png",
                     truncation=TRUNCATION, truncation_method="resample")
            if run.config.ada:
                row["ada_p"] = ada_trajectory(run)
            with open(results, "a") as f:
                f.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)
    command = "python bench/modern_gans.py " + " ".join(shlex.quote(a) for a in sys.argv[1:] if a != "--table-only")
    commands = _commands(Path(args.out))
    if not args.table_only:
        commands[args.suite] = command
        (Path(args.out) / "commands.json").write_text(json.dumps(commands, indent=2) + "\n")
    write_doc(Path(args.out), ROOT / "docs" / "modern-gans.md", commands)
    return 0


def rescore(out: Path, results: Path, n: int) -> None:
    import gankit

    rows = _rows(out.parent, out.name)
    for r in rows:
        run = gankit.load_run(out / r["slug"])
        r["scores"] = evaluate_run(run, n, gankit.models.get_model(r["model"]).conditional)
        grid(run, ROOT / "docs" / r["grid"])
        if run.config.model == "biggan":
            grid(run, ROOT / "docs" / f"modern/{out.name}-{r['slug']}-psi{TRUNCATION}.png",
                 truncation=TRUNCATION, truncation_method="resample")
        print(r["slug"], r["scores"], flush=True)
    results.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _commands(out: Path) -> dict:
    return load_commands(out)


def _rows(out: Path, suite: str) -> list[dict]:
    return latest_rows(out / suite / "results.jsonl", [slug for slug, _ in SUITES[suite]])


def _score_table(rows: list[dict], with_cond: bool) -> list[str]:
    head = "| run | D updates (G steps) | train s | samples from | FID | " + ("class accuracy | " if with_cond else "") + "grid |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        for i, s in enumerate(r["scores"]):
            first = i == 0
            cells = [f"`{r['slug']}`" if first else "", f"{r['d_updates']} ({r['steps']})" if first else "",
                     f"{r['train_s']:.0f}" if first else "", s["variant"], f"{s['fid']:.1f}"]
            if with_cond:
                cells.append("" if s["cond"] is None else f"{s['cond']:.3f}")
            if first:
                cells.append(f"[png]({r['grid']})")
            elif s["variant"] == f"EMA, psi {TRUNCATION}":  # the truncated grid is drawn from the EMA copy
                cells.append(f"[png]({r['grid'][:-4]}-psi{TRUNCATION}.png)")
            else:
                cells.append("")
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def write_doc(out: Path, path: Path, commands: dict) -> None:
    if not any((out / suite / "results.jsonl").is_file() for suite in SUITES):
        print(f"no results under {out}: {path} left as it is (run a suite first)")
        return
    lines = ["# Modern image GANs, measured", "",
             "Generated by `bench/modern_gans.py` (the commands are below each table); what the numbers say, and what",
             "they do not: [modern-gans-notes.md](modern-gans-notes.md).", "",
             "Every run: batch 64, seed 0, each model with its recipe's defaults (`gankit models`), the same number of",
             "discriminator updates per suite (so n_dis = 4 or 5 models make 4-5x fewer G steps). Scores: gankit's",
             "domain-classifier FID against the dataset's test split (5,000 samples; lower is better) and, for",
             "class-conditional models, the share of samples the classifier assigns to the class asked for. Timings:",
             "one torch thread on a 2-core CPU shared with other runs (so only roughly comparable).", ""]
    titles = {"fm32": "Fashion-MNIST at 32x32", "emoji32": "emoji at 32x32 (9 Unicode groups as classes)",
              "small": "Small data: sngan on 6,000 and 1,200 Fashion-MNIST images",
              "small-long": "Small data, a longer budget: sngan on 1,200 Fashion-MNIST images",
              "emoji32-aug": "Augmentation on emoji: biggan's twins of the emoji32 run, with DiffAugment and ADA"}
    for suite in ("fm32", "emoji32", "small", "small-long", "emoji32-aug"):
        rows = _rows(out, suite)
        if not rows:
            continue
        lines += [f"## {titles[suite]}", ""]
        lines += _score_table(rows, any(s["cond"] is not None for r in rows for s in r["scores"]))
        if suite in commands:
            lines += ["", f"Made by `{commands[suite]}`."]
        ada = [r for r in rows if r.get("ada_p")]
        if ada:
            lines += ["", "ADA's p (logged every 25 steps: step: p):", ""]
            for r in ada:
                traj = r["ada_p"]
                pick = traj[:: max(1, len(traj) // 12)] + ([traj[-1]] if traj[-1] not in traj[:: max(1, len(traj) // 12)] else [])
                lines.append(f"- `{r['slug']}`: " + ", ".join(f"{s}: {p:.3f}" for s, p in pick))
        lines.append("")
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
