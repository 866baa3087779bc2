"""gankit bench: how fast a model trains here: ms/step, images/s, FLOPs per step, achieved GFLOP/s
and its share of a matmul peak measured on this machine, in the chosen precision."""

import json

from .argtypes import name_value, positive_int

NAME = "bench"
HELP = "time training steps of a model: ms/step, images/s, FLOPs, share of matmul peak"


def add_arguments(b) -> None:
    b.add_argument("--model", default="dcgan", help="model name (see 'gankit models'); default dcgan")
    b.add_argument("--batch-size", type=positive_int, default=64, help="default 64")
    b.add_argument("--steps", type=positive_int, default=50, help="timed steps, after the warm-up (default 50)")
    b.add_argument("--warmup", type=positive_int, default=5, help="untimed steps first (default 5)")
    b.add_argument("--precision", default="auto", help="auto (default), fp32, bf16 or fp16 (CUDA)")
    b.add_argument("--device", default="auto", help="auto, cpu or cuda")
    b.add_argument("--compile", action="store_true", help="torch.compile G and D (compile time is reported)")
    b.add_argument("--channels-last", action="store_true", help="channels_last memory format")
    b.add_argument("--dataset", default="fashion-mnist", help="dataset the batches come from")
    b.add_argument("--data-root", help="folder holding the dataset files")
    b.add_argument("--arch", help="network: mlp, dcgan or zoo (model default otherwise)")
    b.add_argument("--width", type=positive_int, help="network width")
    b.add_argument("--image-size", type=positive_int, help="resize images to N x N (biggan, progan, stylegan: 32 or 64)")
    b.add_argument("--labels-per-class", type=positive_int, metavar="N", help="ssgan: labelled images per class")
    b.add_argument("--param", dest="params", metavar="NAME=VALUE", action="append", type=name_value,
                   help="a recipe's own number, as for train (e.g. --param d=64 for wavegan at the paper's size)")
    b.add_argument("--json", action="store_true", help="print one JSON object instead of the table")


def run(args) -> int:  # --threads is gankit.cli's, set before this runs (the table says how many)
    from ..perf import bench_model
    from ..threads import recorded

    overrides = {k: getattr(args, k) for k in ("arch", "width", "data_root", "image_size", "labels_per_class") if getattr(args, k) is not None}
    if args.params:
        overrides["params"] = dict(args.params)
    result = bench_model(args.model, batch_size=args.batch_size, steps=args.steps, precision=args.precision,
                         device=args.device, compile=args.compile, channels_last=args.channels_last,
                         dataset=args.dataset, warmup=args.warmup, **overrides)
    reason = recorded()["threads_reason"]  # a speed figure means little without why that many threads
    if args.json:
        print(json.dumps({**result.to_dict(), "threads_reason": reason}))
    else:
        print("\n".join(result.lines() + [f"  threads        {result.threads:10d}   ({reason})"]))
    return 0
