"""text2image on emoji-captions, the colourful showcase, against its group-only baseline (docs/text-to-image.md).

    python bench/emoji_captions.py --kind text  --steps 3000 --out bench-out/emoji   # one process each,
    python bench/emoji_captions.py --kind group --steps 3000 --out bench-out/emoji   # side by side
    python bench/emoji_captions.py --kind text --run RUN --out bench-out/emoji       # score a run made by the CLI
    python bench/emoji_captions.py --report --out bench-out/emoji                    # the table

``text`` trains on the emoji's names; ``group`` is the same recipe with ``--param attributes=0``
(every caption cut to the emoji's group, "food and drink"). Both are scored by
gankit.caption_eval.evaluate_emoji_captions (the shipped emoji classifier's accuracy on the
caption's group, for the training names and for the test names never trained on; FID to the real
test emoji), next to the untrained G of the same seed. The text run also draws a labelled grid:
a caption per row, its real emoji first where one has that name, then 7 drawings.
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
from gankit.caption_eval import evaluate_emoji_captions  # noqa: E402
from gankit.models import build_game  # noqa: E402

GRID_CAPTIONS = [  # the last four name test emoji, never trained on (flag: France is a test emoji)
    "grinning face", "red heart", "dog face", "pizza", "rocket", "fire", "thumbs up", "banana",
    "flag, france", "bacon", "lady beetle", "heart with arrow",
]


def labelled_grid(run, captions: list[str], path: Path, per_row: int = 7, seed: int = 1) -> None:
    """One row per caption: the caption, the real emoji of that name (blank if none), ``per_row`` drawings."""
    from PIL import Image, ImageDraw

    from gankit.data.captions import load_emoji_captions

    real = {}
    for split in ("train", "test"):
        ds = load_emoji_captions(split, run.spec.image_size)
        for i, caption in enumerate(ds.captions):
            real.setdefault(caption.split(": ", 1)[-1], (ds.data[i], split))
    drawn = run.sample(len(captions) * per_row, seed=seed, text=[c for c in captions for _ in range(per_row)])
    s, pad, label_w = run.spec.image_size, 2, 150
    sheet = Image.new("RGB", (label_w + (per_row + 1) * (s + pad) + pad, len(captions) * (s + pad) + pad), "white")
    draw = ImageDraw.Draw(sheet)
    for row, caption in enumerate(captions):
        y = pad + row * (s + pad)
        image, split = real.get(caption, (None, None))
        draw.text((4, y + s // 2 - 6), caption + (" (test)" if split == "test" else ""), fill="black")
        if image is not None:
            sheet.paste(Image.fromarray(image.permute(1, 2, 0).numpy()), (label_w, y))
        for k in range(per_row):
            tile = drawn[row * per_row + k].permute(1, 2, 0).numpy()
            sheet.paste(Image.fromarray(tile), (label_w + (k + 1) * (s + pad) + pad, y))
    sheet.save(path, optimize=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kind", choices=("text", "group"))
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--image-size", type=int, default=32)
    ap.add_argument("--stages", type=int, default=1)
    ap.add_argument("--width", type=int, default=32, help="ngf = ndf of stage I")
    ap.add_argument("--precision", default="fp32")
    ap.add_argument("--run", help="score this finished run instead of training one")
    ap.add_argument("--out", default="bench-out/emoji")
    ap.add_argument("--report", action="store_true")
    args = ap.parse_args(argv)
    out = Path(args.out)
    if args.report:
        return report(out)
    torch.set_num_threads(1)
    if args.run:
        run = api.load_run(args.run)
        seconds = round(max((r["wall_time"] for r in run.metrics() if "wall_time" in r), default=0)) or None
    else:
        start = time.perf_counter()
        run = api.train(model="text2image", dataset="emoji-captions", image_size=args.image_size, steps=args.steps,
                        batch_size=64, seed=args.seed, precision=args.precision,
                        params={"attributes": int(args.kind == "text"), "stages": args.stages,
                                "ngf": args.width, "ndf": args.width},
                        sample_every=10**9, checkpoint_every=10**9, out=out / f"{args.kind}{args.image_size}",
                        overwrite=True, quiet=True)
        seconds = round(time.perf_counter() - start)
    name = f"{args.kind}{run.spec.image_size}"
    scores = evaluate_emoji_captions(run)
    torch.manual_seed(run.config.seed)  # the weights the run started from
    scores["untrained"] = evaluate_emoji_captions(run, sampler=build_game(run.config, run.spec).sampler())
    scores.update(kind=args.kind, steps=run.config.steps, size=run.spec.image_size,
                  stages=int(run.config.params["stages"]), width=int(run.config.params["ngf"]), train_s=seconds)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"emoji-{name}.json").write_text(json.dumps(scores, indent=1))
    if args.kind == "text":
        labelled_grid(run, GRID_CAPTIONS, out / f"emoji{run.spec.image_size}.png")
    print(json.dumps(scores))
    return 0


def report(out: Path) -> int:
    print("| run | size (stages) | width | steps | group acc, train names | group acc, test names | FID | "
          "untrained: acc, FID | train s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for path in sorted(out.glob("emoji-*.json")):
        r = json.loads(path.read_text())
        u = r["untrained"]
        print(f"| {r['kind']} | {r['size']} ({r['stages']}) | {r['width']} | {r['steps']} | {r['train']['group_acc']:.3f} "
              f"| {r['test']['group_acc']:.3f} | {r['all']['fid']:.1f} | {u['test']['group_acc']:.3f}, "
              f"{u['all']['fid']:.0f} | {r['train_s']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
