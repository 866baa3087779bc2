"""maskgan vs its MLE start: fill-in-the-blank accuracy and perplexity on held-out texts.

    python bench/maskgan_fill.py [--dataset words] [--mle-steps 1500] [--adv-steps 500] [--seeds 0]
                                 [--width 128] [--batch-size 64] [--n 2000] [--no-mle-continued]
                                 [--lr-d 5e-4] [--lr-g 1e-4] [--param NAME=VALUE ...]

For every seed it trains in-process, one thread, fp32:

- ``untrained``: G as built (the floor: near-uniform letters);
- ``mle``: maskgan stopped after its MLE pretraining (``--steps`` = ``mle_steps``): the honest baseline;
- ``maskgan``: the same run resumed for ``--adv-steps`` adversarial steps (D, critic, REINFORCE on G);
- ``mle-continued``: MLE alone for ``mle_steps + adv_steps`` steps, so that "more training" is not mistaken for
  what the adversarial phase did (skip with ``--no-mle-continued``).

Each G fills the same ``--n`` test texts with the same seeded contiguous blanks (the recipe's mask rate) and
is scored by: ``acc`` (filled tokens equal to the truth, sampled at temperature 1), ``acc_greedy`` (argmax),
``ppl_truth`` (perplexity of the true tokens of the blanks under that G) and ``ppl_under_mle`` (perplexity of
that G's sampled fills under the MLE-only G, as the paper scores samples under a language model; lower: the
fills read more like what MLE learned). Prints a markdown table, then a few texts with blanks and each G's fill.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import torch

from gankit import api
from gankit.data.text import decode
from gankit.games.maskgan import MaskFillSampler
from gankit.models import get_model
from gankit.nets.maskgan import MaskSeq2Seq

COLUMNS = ("acc", "acc_greedy", "ppl_truth", "ppl_under_mle")


def scores(sampler: MaskFillSampler, reference, n: int) -> dict:
    sampled = sampler.evaluate(n, seed=0, reference=reference)
    greedy = sampler.evaluate(n, seed=0, greedy=True)
    return {"acc": sampled["accuracy"], "acc_greedy": greedy["accuracy"], "ppl_truth": sampled["ppl_truth"],
            "ppl_under_mle": sampled["ppl_fill_ref"]}


def blanks(x: torch.Tensor, mask: torch.Tensor, spec) -> list[str]:
    """The texts with "_" for every blanked character (rows hold no <bos>: position i is character i)."""
    return ["".join("_" if m else c for c, m in zip(t, row)) for t, row in zip(decode(x, spec), mask.tolist())]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="words")
    ap.add_argument("--mle-steps", type=int, default=1500)
    ap.add_argument("--adv-steps", type=int, default=500)
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--lr-d", type=float, default=None, help="D's and the critic's Adam rate (default: the recipe's)")
    ap.add_argument("--lr-g", type=float, default=None, help="G's policy-gradient Adam rate (default: the recipe's)")
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--param", action="append", default=[], help="NAME=VALUE of the maskgan recipe (e.g. d_warmup=50)")
    ap.add_argument("--no-mle-continued", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    params = {"mle_steps": args.mle_steps}
    for item in args.param:
        k, v = item.split("=", 1)
        params[k] = float(v) if "." in v or "e" in v else int(v)
    results: dict[str, list[dict]] = {}
    fills: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in map(int, args.seeds.split(",")):
            common = dict(model="maskgan", dataset=args.dataset, seed=seed, batch_size=args.batch_size,
                          width=args.width, lr_d=args.lr_d, lr_g=args.lr_g, precision="fp32", sample_every=10**9, checkpoint_every=10**9, quiet=True)
            start = time.perf_counter()
            out = Path(tmp) / f"maskgan-{seed}"
            run = api.train(steps=args.mle_steps, params=params, out=out, **common)
            mle_seconds = time.perf_counter() - start
            mle = run.sampler()
            reference = copy.deepcopy(mle.G).eval()
            spec = run.spec
            p = run.config.params
            V = len(spec.extra["vocab"])
            torch.manual_seed(seed)
            models = {"untrained": MaskFillSampler(MaskSeq2Seq(V, V, int(p["embed"]), args.width), spec,
                                                   p["mask_rate"], int(p["spans"])),
                      "mle": mle}
            rows = {name: scores(s, reference, args.n) for name, s in models.items()}
            start = time.perf_counter()
            run = api.train(resume=out, steps=args.mle_steps + args.adv_steps, quiet=True)
            adv_seconds = time.perf_counter() - start
            models["maskgan"] = api.load_run(out).sampler()
            last = [r for r in run.metrics() if "d_real" in r][-1]
            print(f"seed {seed} last logged window: " + ", ".join(f"{k} {last[k]:.3f}" for k in
                  ("d_real", "d_fake", "critic_mse", "g_reward", "g_advantage") if k in last), flush=True)
            rows["maskgan"] = scores(models["maskgan"], reference, args.n)
            if not args.no_mle_continued:
                total = args.mle_steps + args.adv_steps
                cont = api.train(steps=total, params={**params, "mle_steps": total}, out=Path(tmp) / f"mle-{seed}",
                                 **common)
                models["mle-continued"] = cont.sampler()
                rows["mle-continued"] = scores(models["mle-continued"], reference, args.n)
            for name, row in rows.items():
                results.setdefault(name, []).append(row)
                print(f"seed {seed} {name:14s} " + " ".join(f"{k} {row[k]:.4f}" for k in COLUMNS), flush=True)
            print(f"seed {seed}: MLE {args.mle_steps} steps {mle_seconds:.0f} s, adversarial {args.adv_steps} steps "
                  f"{adv_seconds:.0f} s", flush=True)
            if seed == int(args.seeds.split(",")[0]):
                inputs = mle.fixed_inputs(args.samples, seed=123)
                fills["blanked"] = blanks(inputs["x"], inputs["mask"], spec)
                fills["truth"] = decode(inputs["x"], spec)
                for name, s in models.items():
                    fills[name] = decode(s.generate(inputs, seed=1), spec)
    rate = params.get("mask_rate", get_model("maskgan").params["mask_rate"])
    print(f"\n{args.dataset}, mask rate {rate}"
          f", MLE {args.mle_steps} + adversarial {args.adv_steps} steps, batch {args.batch_size}, width {args.width}, "
          f"{args.n} test texts, seeds {args.seeds}\n")
    print("| G | " + " | ".join(COLUMNS) + " |")
    print("|---|" + "---|" * len(COLUMNS))
    for name, rows in results.items():
        cells = []
        for k in COLUMNS:
            values = [r[k] for r in rows]
            sd = f" +- {statistics.stdev(values):.4f}" if len(values) > 1 else ""
            cells.append(f"{statistics.mean(values):.4f}{sd}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("\nsamples (seed 1 fills of the same blanks):\n")
    names = list(fills)
    print("| " + " | ".join(names) + " |")
    print("|" + "---|" * len(names))
    for i in range(len(fills["truth"])):
        print("| " + " | ".join(f"`{fills[k][i]}`" for k in names) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
