"""Train the whole zoo on Fashion-MNIST with one budget and one seed; write docs/zoo-fashion-mnist.md.

Every model gets the same number of discriminator updates, batch size, seed and (except gan/dcgan,
which keep their own nets) the same zoo backbone; each keeps its paper's optimizer, learning
rates and n_critic. The metric is the FID of gankit.metrics (domain-classifier features) when
that package is importable, plus, always, the Fréchet distance of 7x7 average-pooled pixels
(tests/distances.py), which needs no trained feature extractor.

    .venv/bin/python bench/zoo_fashion_mnist.py --d-updates 2000 --out runs/zoo-fm

A model entry may carry params, e.g. ``--models gan,began[lambda_k=0.01]`` (see ``gankit models``).
wgan runs without its 100-critic warm-up here: the warm-up alone is 2,500+ D updates, so with it a
budget of a few thousand D updates would leave wgan a handful of G steps.

Not part of the test suite. Results are appended to OUT/results.jsonl as each model finishes, so
``--table-only`` can rewrite the table from a partial run.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

# the two n_critic = 5 models last: they cost ~5 D updates per step
MODELS = ["gan", "dcgan", "cgan", "acgan", "infogan", "lsgan", "dragan", "ebgan", "began", "began[lambda_k=0.01]",
          "began[gamma=1]", "wgan", "wgan-gp"]


def parse_entry(entry: str) -> tuple[str, dict, str]:
    """``began[lambda_k=0.01]`` -> ("began", {"lambda_k": 0.01}, "began_lambda_k-0.01")."""
    model, _, rest = entry.partition("[")
    params = {}
    for item in filter(None, rest.rstrip("]").split(",")):
        key, _, value = item.partition("=")
        params[key.strip()] = float(value)
    slug = model + "".join(f"_{k}-{v:g}" for k, v in params.items())
    return model, params, slug


def pixel_fd(samples: torch.Tensor, real: torch.Tensor) -> float:
    from distances import frechet_distance, pooled_pixels

    return frechet_distance(pooled_pixels(samples), pooled_pixels(real))


def classifier_fid(run, n: int):
    try:
        from gankit.metrics.evaluate import fid_of_run
    except Exception:  # gankit.metrics not available on this checkout
        return None
    try:
        return fid_of_run(run, n=n, seed=0)
    except Exception as e:  # e.g. no trained domain classifier weights here
        print(f"  classifier FID unavailable: {e}", flush=True)
        return None


def grid(run, path: Path) -> None:
    from gankit.games.sampler import class_rows
    from gankit.viz.grid import save_image_grid

    sampler = run.sampler()
    if sampler.conditional:
        labels, per_row = class_rows(100, sampler.num_classes)
        images = sampler.sample(100, seed=0, labels=labels)
    else:
        images, per_row = sampler.sample(100, seed=0), 10
    save_image_grid(images, path, nrow=per_row)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--d-updates", type=int, default=500,
                   help="the budget: discriminator updates per model; G steps = this / n_critic")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--width", type=int, default=None, help="backbone width (default: each net's own, 64)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-eval", type=int, default=5000)
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--out", default="runs/zoo-fm")
    p.add_argument("--docs", default=str(ROOT / "docs"))
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--precision", default="auto", help="auto (gankit's default), fp32 or bf16")
    p.add_argument("--table-only", action="store_true")
    p.add_argument("--rescore", action="store_true",
                   help="compute the classifier FID of finished runs that lack it (e.g. gankit.metrics landed later)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    import gankit
    from gankit.data import get_dataset

    out, docs = Path(args.out), Path(args.docs)
    results_file = out / "results.jsonl"
    command = "python bench/zoo_fashion_mnist.py " + " ".join(shlex.quote(a) for a in sys.argv[1:]
                                                               if a not in ("--table-only", "--rescore"))
    if not args.table_only:
        out.mkdir(parents=True, exist_ok=True)
        data = get_dataset("fashion-mnist", "train")
        real = get_dataset("fashion-mnist", "test").subset(args.n_eval, seed=0).data
        for entry in split_entries(args.models):
            model, params, slug = parse_entry(entry)
            arch = {"gan": "zoo"}.get(model)  # gan's own default is the paper's MLP; here it gets the backbone
            n_critic = gankit.models.get_model(model).defaults["n_critic"]
            steps = max(1, args.d_updates // n_critic)
            t = time.perf_counter()
            run = gankit.train(model=model, dataset="fashion-mnist", steps=steps, batch_size=args.batch_size,
                               seed=args.seed, arch=arch, width=args.width, quiet=True, precision=args.precision,
                               params=params or None, critic_warmup=False, out=out / slug, overwrite=True, data=data,
                               log_every=50, sample_every=10**9, checkpoint_every=10**9)
            wall = time.perf_counter() - t
            records = run.metrics()
            train_s = records[-1]["wall_time"]
            images = steps * run.config.batch_size * (run.config.n_critic or 1)
            samples = run.sample(args.n_eval, seed=0)  # a conditional sampler cycles through the classes
            row = {"model": entry, "slug": slug, "precision": run.runtime.get("precision"), "arch": run.config.arch, "width": run.config.width or 64, "steps": steps, "n_critic": run.config.n_critic,
                   "train_s": round(train_s, 1), "wall_s": round(wall, 1),
                   "images_per_s": round(images / max(train_s, 1e-9), 1),
                   "pixel_fd": round(pixel_fd(samples, real), 4), "fid": classifier_fid(run, args.n_eval),
                   "grid": f"zoo/{slug}.png"}
            grid(run, docs / "zoo" / f"{slug}.png")
            with open(results_file, "a") as f:
                f.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)
    if args.rescore:
        rescore(results_file, out, args.n_eval)
    write_table(results_file, docs / "zoo-fashion-mnist.md", command, args)
    return 0


#: where the timings were taken (edit when running elsewhere)
MACHINE = "a 2-core x86 machine with AMX, nothing else running"

#: measured once with `--d-updates 1 --models gan,dcgan` (one step = untrained; width 64, 5000 samples)
REFERENCE = ("For scale: an untrained generator (one step) scores FID 1684 and pixel FD 6.67 (zoo backbone) and "
             "FID 1272 and pixel FD 6.68 (dcgan) with the same evaluation.")


def split_entries(text: str) -> list[str]:
    """Split on commas outside brackets: ``gan,began[gamma=0.5,lambda_k=0.01]`` -> two entries."""
    entries, depth, current = [], 0, ""
    for ch in text:
        depth += ch == "["
        depth -= ch == "]"
        if ch == "," and depth == 0:
            entries.append(current)
            current = ""
        else:
            current += ch
    return [e for e in entries + [current] if e]


def rescore(results_file: Path, out: Path, n: int) -> None:
    import gankit

    rows = [json.loads(line) for line in results_file.read_text().splitlines()]
    for r in rows:
        if r["fid"] is None:
            r["fid"] = classifier_fid(gankit.load_run(out / r.get("slug", r["model"])), n)
            print(f"{r['model']}: classifier FID {r['fid']}", flush=True)
    results_file.write_text("".join(json.dumps(r) + "\n" for r in rows))


def write_table(results_file: Path, path: Path, command: str, args) -> None:
    rows = {}
    for line in results_file.read_text().splitlines():
        r = json.loads(line)
        rows[r["model"]] = r  # the latest result per model
    order = {m: i for i, m in enumerate(split_entries(args.models))}
    rows = dict(sorted(rows.items(), key=lambda item: order.get(item[0], len(order))))
    # a column only when every row has it: gankit.metrics' classifier can come and go while the bench runs
    has_fid = all(r["fid"] is not None for r in rows.values())
    lines = [
        "# The zoo on Fashion-MNIST",
        "",
        f"Made by `{command}`. The budget is the same number of discriminator updates ({args.d_updates}) for every",
        "model, so the n_critic = 5 models (" + ", ".join(m for m, r in rows.items() if r["n_critic"] == 5)
        + ") make 5x fewer generator steps; batch "
        f"{args.batch_size}, seed {args.seed}; every model except dcgan on the zoo backbone of Lucic et al. 2018",
        "(gan too, instead of its MLP), each with its paper's optimizer, learning rates, n_critic and params; wgan",
        "without its 100-critic warm-up, which alone would exceed the budget. A row named `model[k=v]` changes one",
        "param (`--param k=v`). Precision: " + ", ".join(sorted({str(r.get("precision", "fp32")) for r in rows.values()}))
        + f". Timings are CPU wall-clock ({torch.get_num_threads()} torch threads; {MACHINE}).",
        "A modest budget: these are early samples, not converged models.",
        "",
        "Metrics, both against the Fashion-MNIST test split, lower is better:",
        "- **FID (classifier)**: Fréchet distance of gankit.metrics' domain-classifier features" +
        ("" if has_fid else " (not available for every model when the bench ran, so left out: gankit.metrics "
         "and its classifier had not landed on main)") + ";",
        f"- **pixel FD**: Fréchet distance of 7x7 average-pooled pixels (tests/distances.py), {args.n_eval} samples.",
        "",
        "Conditional models (cgan, acgan, infogan's categorical code) are sampled one class per row.",
        "",
        "| model | arch (width) | steps | n_critic | train time (s) | images/s (D) |" + (" FID (classifier) |" if has_fid else "")
        + " pixel FD | samples |",
        "|---|---|---|---|---|---|" + ("---|" if has_fid else "") + "---|---|",
    ]
    for r in rows.values():
        fid = f"{r['fid']:.2f}" if r["fid"] is not None else "-"
        fid_cell = f" {fid} |" if has_fid else ""
        lines.append(f"| {r['model']} | {r['arch']} ({r['width']}) | {r['steps']} | {r['n_critic']} | {r['train_s']} | "
                     f"{r['images_per_s']} |{fid_cell} {r['pixel_fd']} | ![{r.get('slug', r['model'])}]({r['grid']}) |")
    lines += ["", REFERENCE]
    notes = path.with_name(path.stem + "-notes.md")  # hand-written reading of the numbers, kept across reruns
    if notes.is_file():
        lines += ["", notes.read_text().rstrip()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    raise SystemExit(main())
