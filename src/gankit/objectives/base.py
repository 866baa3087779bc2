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

from ..nets.one_pass import forward_parts

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
    #: May the G step reuse the D step's fakes (see :meth:`fake_for_generator`)? None: not this family
    #: (its G loss draws samples of its own, e.g. with codes it must know); False: on request
    #: (``--reuse-fakes``); True: by default.
    reuse_fakes_default: bool | None = None

    def __init__(self, latent: Latent):
        super().__init__()
        self.latent = latent
        self.reuse_fakes = False  # set by the Game, which also keeps G unfrozen in the D phase
        self._kept: tuple[torch.Tensor, torch.Tensor | None] | None = None

    # -- helpers shared by every family ---------------------------------------------------
    def generate(self, G: nn.Module, n: int, labels: torch.Tensor | None, device) -> torch.Tensor:
        return G(self.latent.sample(n, device), labels)

    def fake_for_discriminator(self, G: nn.Module, real: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """Generated samples for a D step, detached: D's update needs no graph through G. With
        ``reuse_fakes`` the graph is built all the same and kept for the G step that follows."""
        if not self.reuse_fakes:
            with torch.no_grad():
                return self.generate(G, real.shape[0], labels, real.device)
        fake = self.generate(G, real.shape[0], labels, real.device)
        self._kept = (fake, labels)
        return fake.detach()

    def fake_for_generator(self, G: nn.Module, batch_size: int, labels: torch.Tensor | None,
                           device) -> torch.Tensor:
        """Generated samples for a G step: the last D step's, when kept for it and drawn for the same
        labels, else new ones.

        Reusing them is what the usual loop does (the PyTorch DCGAN example): one G forward per step
        instead of two. It changes the algorithm slightly: G's step sees the z of the D step it follows,
        scored by the D that was just updated on them, where the fresh draw gives it new z. Measured
        at no cost to FID on the zoo ``gan`` (docs/performance.md, "Reusing D's fakes").
        """
        kept, self._kept = self._kept, None
        if kept is not None and kept[0].shape[0] == batch_size and kept[1] is labels:
            return kept[0]
        return self.generate(G, batch_size, labels, device)

    def score_real_and_fake(self, D: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                            labels: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """``D(real, labels), D(fake, labels)``, in one forward where D allows it: the same numbers, sooner
        (:mod:`gankit.nets.one_pass`)."""
        out_real, out_fake = forward_parts(D, [real, fake], labels)
        return out_real, out_fake

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
