"""Image-to-image translation, measured: each model on its built-in task; writes docs/translation.md.

Every run: seed 0, the recipe's paper settings except the width and batch (CPU budget, given in
each row), trained for ``steps`` G steps, then ``gankit eval`` (gankit.translation_eval) on the
whole test split: the model's numbers beside a baseline that needs no training (bicubic for
super-resolution, the input itself for the other paired tasks, the identity for unpaired ones).
Wall time is the Trainer's own (training only, no pictures or checkpoints).

    .venv/bin/python bench/translation.py --threads 1 --only edges2fashion-pix2pix

Runs go to runs/translation/<slug>; pictures (test inputs | outputs | targets) to docs/translation/.
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

from _results import latest_rows

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "translation"
#: srgan at 10x the paper's 1e-4: at 1e-4 a short run stays below bicubic (tests/test_translation_learning.py)
LR = {"lr_g": 1e-3, "lr_d": 1e-3}
#: slug, model, dataset, steps, batch, width, params, other settings (the srresnet row: MSE warm start only)
RUNS = [
    ("edges2fashion-pix2pix", "pix2pix", "edges2fashion", 1000, 16, 32, {}, {}),
    ("edges2fashion-cyclegan", "cyclegan", "edges2fashion", 600, 8, 16, {"blocks": 3}, {}),
    ("emoji-colorize-pix2pix", "pix2pix", "emoji-colorize", 1000, 16, 16, {}, {}),
    ("digits2mnist-cyclegan", "cyclegan", "digits2mnist", 800, 8, 16, {}, {}),
    ("digits2mnist-discogan", "discogan", "digits2mnist", 1500, 16, 32, {}, {}),
    ("fashion-sr-srresnet", "srgan", "fashion-sr", 1000, 16, 32, {"blocks": 8, "pretrain_steps": 1000}, LR),
    ("fashion-sr-srgan", "srgan", "fashion-sr", 1000, 16, 32, {"blocks": 8}, LR),
    ("fashion-sr2-srgan", "srgan", "fashion-sr2", 1000, 16, 32, {"blocks": 8}, LR),
    ("emoji-sr-srgan", "srgan", "emoji-sr", 600, 16, 16, {"blocks": 4}, LR),
]
TASKS = {
    "edges2fashion": "paired: Canny edges of Fashion-MNIST -> the garment (28x28 gray)",
    "emoji-colorize": "paired: gray emoji -> color emoji (64x64)",
    "digits2mnist": "unpaired: digits printed in Debian fonts <-> real MNIST digits (28x28)",
    "fashion-sr": "paired: Fashion-MNIST 7x7 -> 28x28 (x4, area-downsampled inputs)",
    "fashion-sr2": "paired: Fashion-MNIST 14x14 -> 28x28 (x2, area-downsampled inputs)",
    "emoji-sr": "paired: emoji 16x16 -> 64x64 RGB (x4, area-downsampled inputs)",
}
LABELS = {
    "psnr": "PSNR (dB; luma for SR; higher is better)", "ssim": "SSIM (luma for SR; higher is better)",
    "l1": "mean abs. error (0-255; lower is better)", "fid": "FID vs targets (classifier features)",
    "class_acc": "classifier accuracy on outputs (FCN-score idea)",
    "fid_b": "FID of G(a) vs real B", "fid_a": "FID of F(b) vs real A",
    "cycle_a": "cycle error: mean abs. F(G(a)) - a (0-255)", "cycle_b": "cycle error: mean abs. G(F(b)) - b (0-255)",
    "label_acc_ab": "label preserved: classifier on G(a) finds a's digit",
    "label_acc_ba": "label preserved: classifier on F(b) finds b's digit",
}


def run_one(slug, model, dataset, steps, batch, width, params, settings, out: Path) -> dict:
    import gankit
    from gankit.translation_eval import evaluate_translation

    run = gankit.train(model=model, dataset=dataset, steps=steps, batch_size=batch, width=width, seed=0, quiet=True,
                       out=out / slug, overwrite=True, log_every=25, sample_every=max(1, steps // 12),
                       checkpoint_every=10**9, params=params or None, **settings)
    result = evaluate_translation(run)
    last = run.metrics()[-1]
    DOCS.mkdir(parents=True, exist_ok=True)
    shutil.copy(run.path / "samples" / "final.png", DOCS / f"{slug}.png")
    return {"slug": slug, "model": "srresnet (MSE only)" if "srresnet" in slug else model, "dataset": dataset,
            "settings": settings, "steps": steps, "batch": batch, "width": width,
            "params": run.config.params, "threads": torch.get_num_threads(),
            "precision": run.runtime.get("precision"), "train_s": round(last["wall_time"], 1),
            "metrics": result["metrics"], "baseline": result["baseline"], "info": result["info"],
            "picture": f"translation/{slug}.png"}


def reevaluate(out: Path) -> None:
    """The latest row of every run, with its metrics computed again from its saved weights."""
    import gankit
    from gankit.translation_eval import evaluate_translation

    for row in latest_rows(out / "results.jsonl", [r[0] for r in RUNS]):
        result = evaluate_translation(gankit.load_run(out / row["slug"]))
        row.update(metrics=result["metrics"], baseline=result["baseline"], info=result["info"])
        with open(out / "results.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")
        print(row["slug"], json.dumps(row["metrics"]), flush=True)


def _fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def _picture(row: dict) -> str:
    """An <img> of a run's grid, shown at twice its size when small (28 px panels)."""
    from PIL import Image

    with Image.open(ROOT / "docs" / row["picture"]) as im:
        width = im.width * 2 if im.width < 200 else im.width
    return f'<img src="{row["picture"]}" alt="{row["slug"]}" width="{width}" style="image-rendering: pixelated">'


def write_doc(out: Path, path: Path) -> None:
    rows = latest_rows(out / "results.jsonl", [r[0] for r in RUNS])
    if not rows:
        print(f"no results under {out}: {path} left as it is (run the benchmark first)")
        return
    lines = ["# Image-to-image translation, measured", "",
             "Generated by `bench/translation.py` (commands under each table); what the numbers mean and what they leave "
             "out: [translation-notes.md](translation-notes.md).", ""]
    for task, text in TASKS.items():
        task_rows = [r for r in rows if r["dataset"] == task]
        if not task_rows:
            continue
        lines += [f"## {task}", "", text + ".", ""]
        baseline = task_rows[0]["info"]["baseline"]
        header = "| metric | baseline: " + baseline + " | " + " | ".join(r["model"] for r in task_rows) + " |"
        lines += [header, "|---" * (2 + len(task_rows)) + "|"]
        for key in task_rows[0]["metrics"]:
            values = " | ".join(_fmt(r["metrics"].get(key)) for r in task_rows)
            lines.append(f"| {LABELS.get(key, key)} | {_fmt(task_rows[0]['baseline'].get(key))} | {values} |")
        info = task_rows[0]["info"]
        for key, label in (("class_acc_real", "classifier accuracy on the real targets (ceiling)"),
                           ("label_acc_real_b", "classifier accuracy on real B (ceiling)"),
                           ("label_acc_real_a", "classifier accuracy on real A (ceiling)")):
            if key in info:
                lines.append(f"| {label} | {_fmt(info[key])} |" + " |" * len(task_rows))
        lines.append("| steps x batch, width | - | " + " | ".join(f"{r['steps']} x {r['batch']}, {r['width']}"
                                                                 for r in task_rows) + " |")
        lines.append("| train time (s, 1 thread) | - | " + " | ".join(f"{r['train_s']:.0f}" for r in task_rows) + " |")
        odd = [f"{r['model']}: " + ", ".join(f"{k} {v:g}" for k, v in r["settings"].items()) for r in task_rows
               if r.get("settings")]
        if odd:
            lines += ["", "Settings beside the recipe's: " + "; ".join(odd) + "."]
        lines.append("")
        lines.append(f"Test split: {info['n']} inputs. Pictures (fixed test inputs; "
                     + ("input | output | target" if info["translation"] == "paired"
                        else "A | G(A) | F(G(A)) | B | F(B) | G(F(B))") + "):")
        lines.append("")
        lines += [f"- {r['model']}:<br>{_picture(r)}" for r in task_rows]
        lines += ["", "Made by: " + ", ".join(sorted({f"`{r['command']}`" for r in task_rows})), ""]
    path.write_text("\n".join(lines))
    print(f"wrote {path}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", help="comma-separated slugs (default: all)")
    p.add_argument("--steps", type=int, help="override every run's steps (quick checks)")
    p.add_argument("--out", default="runs/translation")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--table-only", action="store_true")
    p.add_argument("--reeval", action="store_true",
                   help="evaluate the finished runs again (after a change of the metrics), keeping their timings")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out)
    if args.reeval:
        reevaluate(out)
    elif not args.table_only:
        out.mkdir(parents=True, exist_ok=True)
        only = set(args.only.split(",")) if args.only else None
        for slug, model, dataset, steps, batch, width, params, settings in RUNS:
            if only and slug not in only:
                continue
            if args.steps and "pretrain_steps" in params:
                params = {**params, "pretrain_steps": args.steps}
            row = run_one(slug, model, dataset, args.steps or steps, batch, width, params, settings, out)
            row["command"] = "python bench/translation.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
            with open(out / "results.jsonl", "a") as f:
                f.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)
    write_doc(out, ROOT / "docs" / "translation.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
