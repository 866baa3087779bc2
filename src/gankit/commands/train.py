"""gankit train: train a model, or --resume a run."""

import argparse

from ..config import MAX_IMAGE_SIZE
from ..errors import GankitError
from .argtypes import at_most, name_value, non_negative_float, positive_float, positive_int, process_count, seed

NAME = "train"
HELP = "train a model (or --resume a run)"

#: flags that map one-to-one onto TrainConfig keys (None = not given on the command line)
CONFIG_FLAGS = ("model", "plugins", "dataset", "data_root", "image_size", "channels", "steps", "epochs", "batch_size",
                "arch", "width", "z_dim", "g_loss", "n_critic", "critic_warmup", "lr_g", "lr_d", "seed", "device", "precision",
                "sample_every", "checkpoint_every", "log_every", "grad_norm_every",
                "optim_g", "optim_d", "params", "label_smoothing", "instance_noise",
                "diagnostics", "compile", "channels_last", "reuse_fakes", "sync_bn", "tensorboard", "ema", "r1", "r1_every",
                "stage_kimg",
                "subset", "subset_seed", "labels_per_class", "label_seed", "diffaugment", "ada", "ada_target", "ada_kimg",
                "eval_every", "eval_metrics", "eval_n")


def add_arguments(t) -> None:
    # the defaults said in the help are the config's own (flags default to None: "not given", so that a
    # --config file's value stands); those that depend on the model are listed by 'gankit models'
    from ..api import DEFAULT_STEPS
    from ..config import DEVICES, OPTIMIZERS, PRECISIONS, TrainConfig
    from ..nets.factory import ARCHS
    from ..objectives.minimax import G_LOSSES

    default = TrainConfig()
    model_default = "default: the model's, see 'gankit models'"
    t.add_argument("--model", help=f"model name (see 'gankit models'; default {default.model})")
    t.add_argument("--plugin", dest="plugins", metavar="MODULE", action="append",
                   help="import a module (a name on PYTHONPATH or in the current folder, or a .py file) that "
                        "registers your own recipe, before --model is looked up; recorded in config.yaml, so "
                        "sample/eval/... import it again (repeatable; docs/extending.md)")
    t.add_argument("--dataset", help=f"fashion-mnist, mnist, ring8, grid25 or a folder of images (default {default.dataset})")
    t.add_argument("--data-root", help="folder holding the dataset files (default: the system's dataset packages, "
                                       "then ~/.cache/gankit)")
    t.add_argument("--image-size", type=at_most(MAX_IMAGE_SIZE, "the largest size gankit's nets are built for"),
                   help=f"resize images to N x N at load time (at most {MAX_IMAGE_SIZE}; default: the dataset's size)")
    t.add_argument("--channels", type=int, choices=(1, 3),
                   help="convert images to 1 (gray) or 3 (RGB) channels (default: the dataset's)")
    t.add_argument("--subset", type=positive_int, metavar="N",
                   help="train on a fixed, seeded subset of N training images (small-data runs; recorded in config.yaml; "
                        "default: all of them)")
    t.add_argument("--subset-seed", type=seed, help=f"which subset --subset takes (default {default.subset_seed})")
    t.add_argument("--labels-per-class", type=positive_int, metavar="N",
                   help="semi-supervised (ssgan): keep the labels of a seeded N training images per class and hide "
                        "the rest (recorded in config.yaml)")
    t.add_argument("--label-seed", type=seed, help=f"which N images --labels-per-class keeps (default {default.label_seed})")
    t.add_argument("--steps", type=positive_int, help=f"generator updates in total (default {DEFAULT_STEPS})")
    t.add_argument("--epochs", type=positive_float, help="passes over the data (sets --steps)")
    t.add_argument("--batch-size", type=positive_int, help=f"images per batch (default {default.batch_size})")
    t.add_argument("--arch", help=f"network: {', '.join(ARCHS)} ({model_default}; biggan, progan, stylegan... "
                                  "have their own nets)")
    t.add_argument("--width", type=positive_int,
                   help="network width (channels or hidden units; default: the network's, e.g. dcgan 64)")
    t.add_argument("--z-dim", type=positive_int, help=f"size of the latent z ({model_default}, e.g. 100; 2 on 2D points)")
    t.add_argument("--g-loss", type=_one_of(G_LOSSES, "g-loss"), choices=G_LOSSES,
                   help="generator loss of the BCE models (default non-saturating)")
    t.add_argument("--n-critic", type=positive_int, help=f"D updates per G update ({model_default}, e.g. 1; wgan 5)")
    t.add_argument("--critic-warmup", action=argparse.BooleanOptionalAction, default=None,
                   help="100 D updates for the first 25 G updates and every 500th (WGAN's schedule; on for wgan)")
    t.add_argument("--ema", type=non_negative_float, metavar="HALF_LIFE_IMAGES",
                   help="keep an EMA of G (half-life in real images, e.g. 10000; 0 = off) and sample from it "
                        "(off for the zoo, on for sngan, biggan, progan and stylegan)")
    t.add_argument("--r1", type=non_negative_float, metavar="GAMMA",
                   help="R1 penalty gamma/2 E||grad D(x)||^2 on real data (Mescheder et al. 2018), lazily "
                        f"({model_default}: 0 = off, stylegan's from its resolution)")
    t.add_argument("--r1-every", type=positive_int, metavar="K",
                   help="run the R1 phase every K-th D update, its loss scaled by K (default 16, StyleGAN2's)")
    t.add_argument("--stage-kimg", type=positive_float, metavar="K",
                   help="progressive growing (progan): thousands of real images per fade-in and per stable phase "
                        "(4x4 -> 8x8 -> ...; the paper's 800, the recipe's 10)")
    t.add_argument("--lr-g", type=positive_float, help=f"G's learning rate ({model_default}, e.g. dcgan 2e-4)")
    t.add_argument("--lr-d", type=positive_float, help=f"D's learning rate ({model_default}, e.g. dcgan 2e-4)")
    t.add_argument("--optim-g", type=_one_of(OPTIMIZERS, "optimizer"), choices=OPTIMIZERS,
                   help=f"G optimizer ({model_default}, e.g. adam; wgan rmsprop)")
    t.add_argument("--optim-d", type=_one_of(OPTIMIZERS, "optimizer"), choices=OPTIMIZERS,
                   help=f"D optimizer, e.g. sgd for D with adam for G ({model_default})")
    t.add_argument("--param", dest="params", metavar="NAME=VALUE", action="append", type=name_value,
                   help="a recipe's own number, e.g. --param gamma=0.5 (repeatable; 'gankit models' lists them)")
    t.add_argument("--content-net", choices=("classifier", "vgg19", "mse"),
                   help="srgan: the content loss's features: the shipped domain classifier (default), VGG19 relu5_4 "
                        "(the paper's; torchvision's weights must be on disk) or pixels (mse)")
    t.add_argument("--pretrain-steps", type=int, metavar="N",
                   help="srgan: MSE-only steps of G first (the SRResNet warm start; default half of --steps)")
    t.add_argument("--stages", type=positive_int, metavar="N",
                   help="text2image: 1 (default) or 2, StackGAN's second stage refining a half-size draft to full size")
    t.add_argument("--label-smoothing", type=positive_float,
                   help="one-sided label smoothing: D's target for real data (e.g. 0.9; BCE models; default off)")
    t.add_argument("--instance-noise", type=positive_float, help="std of Gaussian noise added to D's inputs (default off)")
    t.add_argument("--diffaugment", metavar="POLICY",
                   help="DiffAugment (Zhao et al. 2020): augment everything D sees, real and fake, e.g. "
                        "color,translation,cutout (default off)")
    t.add_argument("--ada", action="store_true", default=None,
                   help="adaptive augmentation (Karras et al. 2020): p steered so E[sign D(real)] -> --ada-target")
    t.add_argument("--ada-target", type=positive_float, help=f"ADA's target for E[sign D(real)] (default {default.ada_target:g})")
    t.add_argument("--ada-kimg", type=positive_float,
                   help=f"thousands of images for ADA's p to go from 0 to 1 (default {default.ada_kimg:g})")
    t.add_argument("--seed", type=seed, help=f"seed of the weights, the data order and the fixed grid (default {default.seed})")
    t.add_argument("--device", help=f"{', '.join(DEVICES)} or cuda:N (default {default.device}: cuda where there is a GPU)")
    t.add_argument("--precision", type=_one_of(PRECISIONS, "precision"), choices=PRECISIONS,
                   help=f"default {default.precision}: bf16 where the CPU/GPU runs it natively; fp16 on CUDA only")
    t.add_argument("--compile", action="store_true", default=None,
                   help="torch.compile G and D (the first step pays the compile time, logged as compile_s)")
    t.add_argument("--channels-last", action="store_true", default=None,
                   help="channels_last (NHWC) memory format for the conv nets")
    t.add_argument("--reuse-fakes", action=argparse.BooleanOptionalAction, default=None,
                   help="the G step reuses the D step's fakes: one G forward per step, as the usual loop does "
                        "(default on for the BCE models on images with one D step per G step; docs/performance.md)")
    t.add_argument("--nproc", type=process_count, metavar="N",
                   help="train with N processes on this machine (re-runs itself under torchrun; --batch-size is "
                        "the global batch, split over them; see docs/distributed.md; default 1)")
    t.add_argument("--sync-bn", action="store_true", default=None,
                   help="multi-process runs: batchnorm statistics over the global batch, not each process's slice")
    t.add_argument("--sample-every", type=positive_int, metavar="N",
                   help=f"save a fixed-noise grid every N steps (default {default.sample_every})")
    t.add_argument("--checkpoint-every", type=positive_int, metavar="N",
                   help=f"save a checkpoint every N steps (default {default.checkpoint_every})")
    t.add_argument("--log-every", type=positive_int, metavar="N",
                   help=f"average the losses over N steps per metrics.jsonl record (default {default.log_every})")
    t.add_argument("--grad-norm-every", type=positive_int, metavar="N",
                   help="log the gradient norms from every Nth update of each net (and the first of each log "
                        f"window); 1 = every update (default {default.grad_norm_every})")
    t.add_argument("--tensorboard", action="store_true", default=None,
                   help="also write scalars and sample grids as TensorBoard event files (RUN/tensorboard)")
    t.add_argument("--eval-every", type=positive_int,
                   help="every N steps, compute --eval-metrics on --eval-n samples and add them to metrics.jsonl")
    t.add_argument("--eval-metrics", help=f"metrics for --eval-every, comma-separated (default {default.eval_metrics})")
    t.add_argument("--eval-n", type=positive_int, help=f"samples per --eval-every evaluation (default {default.eval_n})")
    t.add_argument("--no-diagnostics", dest="diagnostics", action="store_false", default=None,
                   help="turn off the pitfall alarms (vanishing gradients, mode collapse, not learning, divergence, "
                        "oscillation)")
    t.add_argument("--config", help="YAML file of config keys; flags override it")
    t.add_argument("--out", help="run folder to create")
    t.add_argument("--resume", metavar="RUN", help="continue this run from its last checkpoint")
    t.add_argument("--overwrite", action="store_true", help="replace an existing run folder")
    t.add_argument("--quiet", action="store_true", help="no progress bar")


def _one_of(names: tuple[str, ...], what: str):
    """An argparse type for a flag with fixed ``choices``: an unknown value is refused with the same
    words as the config check (``unknown precision 'fp8' (use one of: ...)``), not argparse's own."""

    def parse(text: str) -> str:
        if text not in names:
            raise argparse.ArgumentTypeError(f"unknown {what} {text!r} (use one of: {', '.join(names)})")
        return text

    parse.__name__ = what
    return parse


def run(args) -> int:
    from ..api import train

    if args.nproc is not None and args.nproc > 1:
        from ..launch import relaunch

        return relaunch(args.nproc, args.batch_size, args.argv)

    overrides = {k: getattr(args, k) for k in CONFIG_FLAGS}
    if overrides["params"] is not None:
        overrides["params"] = dict(overrides["params"])
    for flag in ("content_net", "pretrain_steps", "stages"):  # srgan's and text2image's params, with flags of their own as the paper names them
        if getattr(args, flag) is not None:
            overrides["params"] = {**(overrides["params"] or {}), flag: getattr(args, flag)}
    if args.resume:
        given = [flag for flag, value in (("--out", args.out), ("--config", args.config),
                                          ("--overwrite", args.overwrite)) if value]
        if given:
            raise GankitError(f"{' and '.join(given)} cannot be used with --resume (a resume continues RUN in place "
                              "with its own config.yaml; drop them, or start a new run without --resume)")
        result = train(resume=args.resume, quiet=args.quiet, **overrides)
    else:
        result = train(args.config, out=args.out, overwrite=args.overwrite, quiet=args.quiet, **overrides)
    picture = result.path / "samples" / "final.png"
    print(f"run folder: {result.path}")
    print(f"samples:    {picture}")
    import os

    if os.environ.get("RANK", "0") == "0":  # one summary for a multi-process run
        for line in _end_lines(result):
            print(line)
    return 0


def _end_lines(result) -> list[str]:
    """What a finished run says besides where it is: its last FID (``--eval-every``), its pitfall
    alarms (as ``gankit report`` lists them), and what to run next."""
    from ..diagnostics import episodes_from_records
    from ..viz.runfiles import RunFiles, is_real

    files = RunFiles(result.path)
    lines = [f"fid:        {r['fid']:.2f} at step {r.get('step')} (--eval-every)"
             for r in files.metrics if is_real(r.get("fid"))][-1:]
    if result.config.diagnostics is False:
        lines.append("alarms:     off (--no-diagnostics)")
    else:
        episodes = files.episodes or episodes_from_records(files.metrics)
        spans = [f"{e['alarm'].replace('_', ' ')} ({_steps(e.get('first_step'), e.get('last_step'))})"
                 for e in episodes]
        lines.append("alarms:     " + ("; ".join(spans) + " (gankit report RUN says more)" if spans
                                       else "No pitfall alarm was raised during training."))
    run = result.path
    last = {"audio": f"gankit sample {run} --n 16 --out clips/", "text": f"gankit sample {run} --n 50 --out samples.txt"
            }.get(result.spec.kind, f"gankit explore {run}")
    lines.append(f"next:       gankit eval {run} | gankit report {run} | {last}")
    return lines


def _steps(first, last) -> str:
    return f"step {first}" if last in (None, first) else f"steps {first}-{last}"
