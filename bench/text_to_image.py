"""text2image vs its class-conditional baseline on fashion-captions (docs/text-to-image.md).

    python bench/text_to_image.py --kind text  --steps 3000 --out bench-out/t2i   # one process each,
    python bench/text_to_image.py --kind class --steps 3000 --out bench-out/t2i   # side by side
    python bench/text_to_image.py --report --out bench-out/t2i                    # the table

``text`` trains on the full captions; ``class`` is the same recipe with ``--param attributes=0``
(every caption cut to its class, "a sandal"). Both are scored by gankit.caption_eval on test
captions of seen and of held-out (class, darkness, width) combinations: the shipped classifier's
accuracy on the named class, the agreement of the measured attributes with the stated ones, and
FID in the classifier's features. The text run also draws a grid of captions (one row each).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import torch  # noqa: E402

from gankit import api  # noqa: E402
from gankit.caption_eval import evaluate_captions  # noqa: E402

GRID_CAPTIONS = [  # the last four are held-out combinations (data/captions.py HELD_OUT)
    "a dark ankle boot", "a light ankle boot", "a narrow dress", "a wide dress",
    "a dark, wide coat", "a light, narrow coat", "a wide sandal", "a narrow sneaker",
    "a light, narrow pair of trousers", "a dark, narrow dress", "a dark, wide t-shirt", "a light, wide ankle boot",
]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kind", choices=("text", "class"))
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--precision", default="fp32")
    ap.add_argument("--out", default="bench-out/t2i")
    ap.add_argument("--report", action="store_true")
    args = ap.parse_args(argv)
    out = Path(args.out)
    if args.report:
        return report(out)
    torch.set_num_threads(1)
    start = time.perf_counter()
    run = api.train(model="text2image", dataset="fashion-captions", steps=args.steps, batch_size=64, seed=args.seed,
                    precision=args.precision, params={"attributes": int(args.kind == "text")},
                    sample_every=10**9, checkpoint_every=10**9, out=out / args.kind, overwrite=True, quiet=True)
    seconds = time.perf_counter() - start
    scores = evaluate_captions(run, 2000, 1000)
    scores.update(steps=args.steps, seed=args.seed, train_s=round(seconds))
    (out / f"{args.kind}.json").write_text(json.dumps(scores, indent=1))
    if args.kind == "text":
        from gankit.viz import save_samples_picture

        images = run.sample(len(GRID_CAPTIONS) * 8, seed=1, text=[c for c in GRID_CAPTIONS for _ in range(8)])
        save_samples_picture(images, "image", out / "captions.png", nrow=8)
    print(json.dumps(scores))
    return 0


def report(out: Path) -> int:
    rows = {k: json.loads((out / f"{k}.json").read_text()) for k in ("text", "class") if (out / f"{k}.json").exists()}
    print("| run | class acc seen | class acc held-out | attributes seen | attributes held-out | FID | train s |")
    print("|---|---|---|---|---|---|---|")
    for kind, r in rows.items():
        print(f"| {kind} | {r['seen']['class_acc']:.3f} | {r['held_out']['class_acc']:.3f} | {r['seen']['attr_acc']:.3f} "
              f"| {r['held_out']['attr_acc']:.3f} | {r['all']['fid']:.1f} | {r['train_s']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
