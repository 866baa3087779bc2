"""Quality against diversity over temperature: the MLE language model vs SeqGAN (Caccia et al. 2020).

    python bench/text_curve.py [--dataset words] [--pretrain-g 1000] [--pretrain-d 100] [--adversarial 60]
                               [--evals 2] [--rollouts 8] [--temperatures 0.5,0.7,...] [--n 1000] [--out docs/text]

Trains one ``seqgan`` run, in-process and on one thread: ``--pretrain-g`` steps of maximum likelihood (teacher
forcing), ``--pretrain-d`` steps of D alone, then ``--adversarial`` policy-gradient steps with Monte Carlo
rollouts. The MLE baseline is the same run's G at the end of pretraining: ``mle-lm`` with the same seed and
steps builds the same initial weights, draws the same batches and takes the same Adam steps, so its G is
that G exactly (tests/test_seqgan.py checks it), and one run saves training it twice on a shared CPU. G is
evaluated there (``mle-lm``) and after every ``adversarial / evals`` adversarial steps (``seqgan@k``).

At every temperature, ``--n`` samples (the same seeded uniforms for all) are scored: BLEU-n against the whole
test split (quality), self-BLEU-n among the samples (diversity: lower is more diverse), the share of distinct
samples, the share that are texts of the data (train or test: real words for ``words``), and G's NLL per
token on the test split (once per model). Tokens are characters for words, words for fortunes
(gankit.data.text.tokens). Writes ``OUT/<dataset>-curve.json``, ``.md`` and ``.png`` (BLEU against
1 - self-BLEU, one curve per model, as Caccia et al.'s figure reads: up and right is better) and
``OUT/<dataset>-samples.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import torch

from gankit import api
from gankit.data.text import decode, load_text, tokens
from gankit.engine import Callback
from gankit.games.seqgan import TextSampler, mle_loss
from gankit.metrics.bleu import References, self_bleu

SAMPLE_SEED = 12345


@torch.no_grad()
def test_nll(G, test) -> float:
    G.eval()
    losses = [mle_loss(G, part, test.spec.extra["eos"])[0].item() * 1.0 for part in test.data.split(1000)]
    sizes = [len(p) for p in test.data.split(1000)]
    return sum(l * s for l, s in zip(losses, sizes)) / sum(sizes)


def evaluate(G, test, known: set[str], temperatures, n: int, order: int) -> dict:
    sampler = TextSampler(G, test.spec)
    refs = References([tokens(t, test.spec) for t in decode(test.data, test.spec)], order)
    inputs = sampler.fixed_inputs(n, SAMPLE_SEED)
    rows = []
    for temp in temperatures:
        texts = decode(sampler.generate(inputs, temperature=temp), test.spec)
        toks = [tokens(t, test.spec) for t in texts]
        nonempty = [t for t in toks if t]
        rows.append({
            "temperature": temp,
            "bleu": sum(refs.sentence(t) for t in nonempty) / len(toks),  # an empty sample scores 0
            "self_bleu": self_bleu(nonempty, order),
            "distinct": len(set(texts)) / len(texts),
            "in_data": sum(t in known for t in texts) / len(texts),
            "mean_len": sum(map(len, texts)) / len(texts),
            "samples": texts[:12],
        })
    nll = test_nll(G, test)
    G.train()
    return {"test_nll": nll, "rows": rows}


def plot(results: dict, path: Path, dataset: str, order: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    for name, res in results.items():
        xs = [1 - r["self_bleu"] for r in res["rows"]]
        ys = [r["bleu"] for r in res["rows"]]
        ax.plot(xs, ys, "o-", label=f"{name} (test NLL {res['test_nll']:.3f})")
        for r, x, y in zip(res["rows"], xs, ys):
            ax.annotate(f"{r['temperature']:g}", (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel(f"diversity: 1 - self-BLEU-{order}")
    ax.set_ylabel(f"quality: BLEU-{order} vs test")
    ax.set_title(f"{dataset}: temperature sweep (labels: temperature)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def markdown(results: dict, order: int, meta: dict) -> str:
    lines = [f"{meta['dataset']}: {meta['command']}", "",
             f"| model | T | BLEU-{order} (test) | self-BLEU-{order} | distinct | in data | mean chars | test NLL/token |",
             "|---|---|---|---|---|---|---|---|"]
    for name, res in results.items():
        for r in res["rows"]:
            lines.append(f"| {name} | {r['temperature']:g} | {r['bleu']:.3f} | {r['self_bleu']:.3f} | "
                         f"{r['distinct']:.3f} | {r['in_data']:.3f} | {r['mean_len']:.1f} | {res['test_nll']:.3f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="words")
    ap.add_argument("--pretrain-g", type=int, default=1000)
    ap.add_argument("--pretrain-d", type=int, default=100)
    ap.add_argument("--adversarial", type=int, default=60)
    ap.add_argument("--evals", type=int, default=2, help="evaluations of G in the adversarial stage")
    ap.add_argument("--rollouts", type=int, default=8, help="N (the paper: 16; 8 to fit a shared CPU)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr-d", type=float, default=None, help="D's Adam rate (default: the recipe's 1e-4)")
    ap.add_argument("--lr-g", type=float, default=None, help="G's policy-gradient rate (default: the recipe's 1e-2)")
    ap.add_argument("--d-steps", type=int, default=3)
    ap.add_argument("--tag", default="", help="suffix of the output files (e.g. -lrd1e-3)")
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--temperatures", default="0.5,0.6,0.7,0.8,0.9,1.0,1.1,1.2,1.4")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--order", type=int, default=None, help="BLEU's n (default: 5 for words (characters), 3 for fortunes (words))")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="docs/text")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    order = args.order or (5 if args.dataset == "words" else 3)
    temps = [float(t) for t in args.temperatures.split(",")]
    train, test = load_text(args.dataset, "train"), load_text(args.dataset, "test")
    known = set(decode(train.data, train.spec)) | set(decode(test.data, test.spec))
    # no pitfall alarms: nothing here reads them, and on fortunes their start-up Frechet distance of one-hot
    # texts (65 x 98 = 6,370 dimensions) alone takes minutes
    common = {"dataset": args.dataset, "batch_size": args.batch_size, "seed": args.seed, "width": args.width,
              "quiet": True, "precision": "fp32", "sample_every": 10**9, "checkpoint_every": 10**9, "log_every": 50,
              "diagnostics": False}
    eval_at = {args.pretrain_g: "mle-lm"}
    adv0 = args.pretrain_g + args.pretrain_d
    for i in range(1, args.evals + 1 if args.adversarial else 1):  # --adversarial 0: the MLE curve alone
        k = round(args.adversarial * i / args.evals)
        eval_at[adv0 + k] = f"seqgan@{k}"
    results, t0 = {}, time.time()

    class Evaluate(Callback):
        def on_step(self, view):
            if view.step in eval_at:
                name = eval_at[view.step]
                results[name] = evaluate(view.sampler().G, test, known, temps, args.n, order)
                results[name]["seconds"] = time.time() - t0
                print(name, f"{time.time() - t0:.0f} s", json.dumps(results[name]["rows"][-1])[:160], flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        gan = api.train(model="seqgan", steps=adv0 + args.adversarial, out=Path(tmp) / "seqgan",
                        params={"pretrain_g": args.pretrain_g, "pretrain_d": args.pretrain_d, "rollouts": args.rollouts,
                                    "d_steps": args.d_steps}, lr_d=args.lr_d, lr_g=args.lr_g,
                        callbacks=[Evaluate()], **common)
        log = gan.metrics()
    seconds = time.time() - t0
    meta = {"dataset": args.dataset, "order": order, "n": args.n, "seconds": seconds,
            "seqgan_log": [r for r in log if "reward" in r or "d_real" in r], "command": "python bench/text_curve.py " + " ".join(argv or sys.argv[1:]),
            "split_rule": test.split_rule, "test_size": len(test), "train_size": len(train)}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"{args.dataset}{args.tag}-curve"
    stem.with_suffix(".json").write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    table = markdown(results, order, meta)
    stem.with_suffix(".md").write_text(table)
    plot(results, stem.with_suffix(".png"), args.dataset, order)
    samples = [f"# {args.dataset}: samples (seed {SAMPLE_SEED}, the first 12 of {args.n})", ""]
    for name, res in results.items():
        for r in res["rows"]:
            samples.append(f"- {name}, T={r['temperature']:g}: " + " | ".join(r["samples"]))
    (out / f"{args.dataset}{args.tag}-samples.md").write_text("\n".join(samples) + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
