"""gankit models: every model with its paper, its loss in words and its defaults."""

NAME = "models"
HELP = "list the models"


def add_arguments(parser) -> None:
    parser.add_argument("--plugin", dest="plugins", metavar="MODULE", action="append",
                        help="also list the models this module (a name or a .py file) registers (repeatable; "
                             "see docs/extending.md)")


def run(args) -> int:
    from ..models import MODELS
    from ..plugins import PROVIDERS, load_plugins

    load_plugins(args.plugins)  # and the installed gankit.plugins entry points
    for info in MODELS.values():
        d = info.defaults
        kind = " (class-conditional: sample --class K)" if info.conditional else ""
        print(f"{info.name:10s} {info.summary}{kind}")
        if info.name in PROVIDERS:
            print(f"{'':10s} from plugin: {PROVIDERS[info.name]}")
        print(f"{'':10s} paper: {info.paper}")
        print(f"{'':10s} loss: {info.loss}")
        latent = "" if info.translation else f" z_dim={d['z_dim']} n_critic={d['n_critic']}"
        print(f"{'':10s} defaults: arch={d['arch']}{latent} "
              f"G {_optim(d['optim_g'], d['lr_g'], d['betas_g'])}, D {_optim(d['optim_d'], d['lr_d'], d['betas_d'])}")
        if d.get("ema"):
            print(f"{'':10s} samples from an EMA of G: half-life {d['ema']:g} images (--ema 0 turns it off)")
        if info.params:
            params = " ".join(f"{k}={_value(v)}" for k, v in info.params.items())
            print(f"{'':10s} params (--param NAME=VALUE): {params}")
        if info.hyper:
            print(f"{'':10s} paper settings: {info.hyper}")
        if info.point_defaults and info.point_defaults.get("arch") in ("mlp", None):
            pd = ", ".join(f"{k}={v}" for k, v in info.point_defaults.items())
            print(f"{'':10s} on 2D points: {pd}")
    return 0


def _value(v) -> str:
    from ..models import Choice

    if isinstance(v, Choice):
        return f"{v.default} (one of {'|'.join(v.options)})"
    if v == "":
        return '""'
    return f"{v:g}" if isinstance(v, float) else str(v)


def _optim(kind: str, lr: float, betas) -> str:
    if kind == "adam":
        return f"adam lr {lr:g} betas {tuple(betas)}"
    return f"{kind} lr {lr:g}"
