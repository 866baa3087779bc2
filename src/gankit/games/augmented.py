"""D behind an augmentation, as the losses see it (DiffAugment, ADA: :mod:`gankit.augment`).

Both methods need the *same* kind of augmentation on everything D sees, real and fake, in D's
update and in G's (G's gradient flows back through the differentiable ops), and nowhere else: a
sample, an evaluation or an alarm reads the clean D. So augmentation is not a layer of D (which
would change its checkpoint keys and its eval-time behaviour) but a view that a Game hands to its
losses during training: ``AugmentedView(D, augment)`` forwards every call to D with the image
augmented first.

ADA needs D's raw outputs on the (augmented) real images. The view records them when it is given
the very tensor it was told to ``watch`` (the real batch), through ``D(x)`` or through the
``features`` -> ``head`` path of ACGAN/InfoGAN, so no objective has to know ADA exists.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import GankitError


class AugmentedView:
    #: never one forward over real and fake (gankit.nets.one_pass): ADA watches the real batch by identity
    per_sample = False

    def __init__(self, D: nn.Module, augment: nn.Module, watch: torch.Tensor | None = None):
        self.D, self.augment, self.watch = D, augment, watch
        self.real_logits: list[torch.Tensor] = []
        self._watched_features = None

    def __call__(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        out = self.D(self.augment(x), *args, **kwargs)
        if self.watch is not None and x is self.watch:
            self.real_logits.append(out.detach())
        return out

    def features(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        h = self.D.features(self.augment(x), *args, **kwargs)
        if self.watch is not None and x is self.watch:
            self._watched_features = h
        return h

    def __getattr__(self, name: str):
        inner = getattr(self.D, name)  # AttributeError for what D lacks, so hasattr(view, "head") == hasattr(D, "head")
        if name != "head":
            return inner

        def head(h: torch.Tensor) -> torch.Tensor:
            out = inner(h)
            if h is self._watched_features:
                self.real_logits.append(out.detach())
            return out

        return head


def build_augment(cfg, spec, D: nn.Module) -> nn.Module | None:
    """The augmentation a config asks for (``--diffaugment POLICY`` or ``--ada``), or None."""
    if not cfg.diffaugment and not cfg.ada:
        return None
    flag = "--diffaugment" if cfg.diffaugment else "--ada"
    if spec.kind != "image":
        raise GankitError(f"{flag} augments images, and {spec.name} is 2D points (drop {flag})")
    if hasattr(D, "reconstruct"):
        raise GankitError(f"{flag} needs a classifying D; {cfg.model}'s D is an autoencoder whose loss compares "
                          f"its output with its input (drop {flag})")
    if cfg.diffaugment:
        from ..augment import DiffAugment, parse_policy

        return DiffAugment(parse_policy(cfg.diffaugment))
    from ..augment import AdaptiveAugment

    return AdaptiveAugment(target=float(cfg.ada_target), kimg=float(cfg.ada_kimg))
