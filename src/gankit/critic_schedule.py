"""How many critic (D) updates each generator update gets.

Most recipes use a constant ``n_critic``. The WGAN authors' training code (Arjovsky, Chintala &
Bottou 2017) adds a warm-up: 100 critic updates per G update for the first 25 G updates, and again
at every 500th. The WGAN generator follows the gradient of a critic that should be near-optimal
(only then does the critic loss estimate the Wasserstein distance), so the critic is trained
to near-optimality before G starts moving, and brought back there now and then. The schedule is
the ``critic_warmup`` config key (``--critic-warmup`` / ``--no-critic-warmup``), on by default for
``wgan`` only, as in the paper; any model may use it.
"""

from __future__ import annotations

WARMUP_G_STEPS = 25        # the first 25 generator updates ...
WARMUP_EVERY = 500         # ... and every 500th one after that ...
WARMUP_CRITIC_STEPS = 100  # ... get 100 critic updates


def critic_steps(g_step: int, n_critic: int, warmup: bool) -> int:
    """D updates to run before the generator update that follows ``g_step`` updates already done."""
    if warmup and (g_step < WARMUP_G_STEPS or g_step % WARMUP_EVERY == 0):
        return max(n_critic, WARMUP_CRITIC_STEPS)
    return n_critic
