"""The contract between a GAN family's losses and the Trainer.

An :class:`Objective` says how one discriminator (critic) update and one generator update are
computed: it draws latents, runs the nets and returns a scalar loss plus detached statistics.
:class:`gankit.games.latent.LatentGame` turns it into the D and G phases of a Game; the Trainer
owns everything else (optimizers, precision, logging), so a new loss is one small subclass.
Objectives are ``nn.Module`` so that any state of their own (BEGAN's k_t, an auxiliary head) is
saved and restored with the checkpoint (as part of the Game's state).
"""

from __future__ import annotations

import torch
from torch import nn

Stats = dict[str, torch.Tensor]


class Latent(nn.Module):
    """The generator's input distribution: ``z ~ N(0, I)`` of size ``z_dim``.

    Subclasses (e.g. InfoGAN's structured codes) change what is drawn; the objective and the
    sampling API only ever call :meth:`sample`.
    """

    def __init__(self, z_dim: int):
        super().__init__()
        self.z_dim = z_dim

    def sample(self, n: int, device: torch.device | str, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.randn(n, self.z_dim, device=device, generator=generator)


class Objective(nn.Module):
    """Base class: subclasses implement :meth:`discriminator_loss` and :meth:`generator_loss`."""

    #: True when G and D take class labels (CGAN, ACGAN) or a code a label can pin (InfoGAN):
    #: the Trainer then draws fixed sample grids with one class per row
    conditional = False

    def __init__(self, latent: Latent):
        super().__init__()
        self.latent = latent

    # -- helpers shared by every family ---------------------------------------------------
    def generate(self, G: nn.Module, n: int, labels: torch.Tensor | None, device) -> torch.Tensor:
        return G(self.latent.sample(n, device), labels)

    def fake_for_discriminator(self, G: nn.Module, real: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """Generated samples for a D step: no graph through G, which D's update does not need."""
        with torch.no_grad():
            return self.generate(G, real.shape[0], labels, real.device)

    # -- what a family defines -----------------------------------------------------------
    def discriminator_loss(self, G: nn.Module, D: nn.Module, real: torch.Tensor,
                           labels: torch.Tensor | None) -> tuple[torch.Tensor, Stats]:
        raise NotImplementedError

    def generator_loss(self, G: nn.Module, D: nn.Module, batch_size: int, labels: torch.Tensor | None,
                       device: torch.device, real: torch.Tensor | None = None) -> tuple[torch.Tensor, Stats]:
        """``real`` is the last real batch D saw, for G losses that need it (e.g. feature matching)."""
        raise NotImplementedError

    def after_discriminator_step(self, D: nn.Module) -> None:
        """Hook after D's optimizer step (e.g. WGAN's weight clipping)."""

    def discriminator_parameters(self) -> list[nn.Parameter]:
        """Parameters of the objective's own that train with D (e.g. an auxiliary head)."""
        return []

    def generator_parameters(self) -> list[nn.Parameter]:
        """Parameters of the objective's own that train with G."""
        return []
