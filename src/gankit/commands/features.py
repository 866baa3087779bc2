"""gankit features: the feature extractors behind the metrics.

``gankit features train --dataset fashion-mnist`` trains the domain classifier (seeded) and saves
it with its test accuracy; ``gankit features info`` shows which weights evaluation would use.
"""

import shlex
import sys

from .argtypes import positive_float, positive_int, seed

NAME = "features"
HELP = "train or inspect the domain classifier used by the metrics"


def add_arguments(p) -> None:
    sub = p.add_subparsers(dest="action", required=True)
    t = sub.add_parser("train", help="train the domain classifier for a dataset")
    t.add_argument("--dataset", default="fashion-mnist", help="fashion-mnist (default), mnist, mnist5k, emoji, or a labelled folder")
    t.add_argument("--data-root", help="folder holding the dataset files")
    t.add_argument("--epochs", type=positive_int, default=8, help="passes over the training split (default 8)")
    t.add_argument("--batch-size", type=positive_int, default=256, help="images per batch (default 256)")
    t.add_argument("--lr", type=positive_float, default=3e-3, help="learning rate (default 3e-3)")
    t.add_argument("--seed", type=seed, default=0, help="seed of the weights and the data order (default 0)")
    t.add_argument("--arch", choices=("small", "base"), default="base",
                   help="base (default: full-resolution first layer) or small (faster, about 1 point less accurate)")
    t.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                   help="auto (default: bf16 where the CPU/GPU runs it natively), fp32 or bf16")
    t.add_argument("--out", help="weights file to write (default ~/.cache/gankit/weights/DATASET-classifier.pt)")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    i = sub.add_parser("info", help="which classifier weights evaluation uses, and their accuracy")
    i.add_argument("--dataset", default="fashion-mnist", help="dataset whose classifier to show (default fashion-mnist)")
    i.add_argument("--classifier", help="weights file to inspect")


def run(args) -> int:
    if args.action == "train":
        from ..metrics.train_classifier import train_classifier

        command = "gankit " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["features"] else None
        meta = train_classifier(args.dataset, args.out, args.epochs, args.batch_size, args.lr, args.seed,
                                args.precision, args.data_root, args.quiet, command, arch=args.arch)
        print(f"test accuracy: {meta['test_accuracy']:.2%} on {meta['test_images']} test images not trained on "
              f"({meta['test_split']}), {meta['train_seconds']:.0f} s")
        print(f"weights:       {meta['path']}")
        return 0
    from ..metrics.weights import load_classifier

    _, meta, digest = load_classifier(args.dataset, args.classifier)
    print(f"{meta['dataset']} classifier sha256:{digest} test accuracy {meta['test_accuracy']:.2%}")
    print(f"made by: {meta.get('command')}")
    return 0
