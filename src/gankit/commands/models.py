"""gankit models: every model with its paper, its loss in words and its defaults."""

NAME = "models"
HELP = "list the models"


def add_arguments(parser) -> None:
    pass


def run(args) -> int:
    from ..models import MODELS

    for info in MODELS.values():
        d = info.defaults
        kind = " (class-conditional: sample --class K)" if info.conditional else ""
        print(f"{info.name:10s} {info.summary}{kind}")
        print(f"{'':10s} paper: {info.paper}")
        print(f"{'':10s} loss: {info.loss}")
        print(f"{'':10s} defaults: arch={d['arch']} z_dim={d['z_dim']} n_critic={d['n_critic']} "
              f"G {d['optim_g']} lr {d['lr_g']:g} betas {tuple(d['betas_g'])}, "
              f"D {d['optim_d']} lr {d['lr_d']:g} betas {tuple(d['betas_d'])}")
        if info.hyper:
            print(f"{'':10s} paper settings: {info.hyper}")
        if info.point_defaults:
            pd = ", ".join(f"{k}={v}" for k, v in info.point_defaults.items())
            print(f"{'':10s} on 2D points: {pd}")
    return 0
