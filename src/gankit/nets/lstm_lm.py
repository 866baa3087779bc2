"""Token-level nets for language GANs: an LSTM language model (the generator) and a CNN discriminator.

:class:`LSTMGenerator` is SeqGAN's generator (Yu et al. 2017: embedding -> LSTM -> softmax over the
vocabulary) and, trained by maximum likelihood alone, the baseline language GANs are measured
against (Caccia et al. 2020). One net serves three uses:

- ``forward(x)``: teacher forcing, the logits of every next token given the true prefix (MLE);
- ``sample(uniforms, temperature)``: free-running generation, token t drawn by inverting the CDF of
  softmax(logits / temperature) at ``uniforms[:, t]``: the uniforms play the role of a GAN's z, so a
  fixed seed names the same draw at every temperature and on every machine;
- ``complete(prefix, ...)``: finish given prefixes (SeqGAN's Monte Carlo rollouts).

Sequences follow :mod:`gankit.data.text`: no ``<bos>`` stored (the net starts from it), ``<eos>``
ends a text and ``<pad>`` follows; once a row has emitted ``<eos>`` it emits ``<pad>`` only, and
those forced tokens are not the policy's choices (:func:`policy_mask`).

:class:`CNNDiscriminator` is SeqGAN's discriminator without its highway layer (Kim 2014's text CNN:
embedding, convolutions of several widths, max over time, a linear logit), smaller to fit a CPU.
"""

from __future__ import annotations

import torch
from torch import nn


def policy_mask(ids: torch.Tensor, eos: int) -> torch.Tensor:
    """float (B, L): 1 where the token was chosen by the policy (up to and including the first ``<eos>``)."""
    ended_before = (ids == eos).long().cumsum(1) - (ids == eos).long()  # eos seen strictly before t
    return (ended_before == 0).float()


class LSTMGenerator(nn.Module):
    def __init__(self, vocab: int, length: int, bos: int, eos: int, pad: int, embed: int = 32, hidden: int = 128):
        super().__init__()
        self.vocab, self.length, self.bos, self.eos, self.pad = vocab, length, bos, eos, pad
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def inputs(self, ids: torch.Tensor) -> torch.Tensor:
        """Teacher-forcing inputs: ``<bos>`` then the ids shifted right by one."""
        bos = torch.full_like(ids[:, :1], self.bos)
        return torch.cat([bos, ids[:, :-1]], 1)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Logits (B, L, V) of token t given ``<bos>`` and ids[:, :t]."""
        h, _ = self.lstm(self.embed(self.inputs(ids)))
        return self.out(h)

    def log_probs(self, ids: torch.Tensor) -> torch.Tensor:
        """log p(ids[:, t] | prefix) per position (B, L)."""
        return self.forward(ids).log_softmax(-1).gather(2, ids.unsqueeze(2)).squeeze(2)

    # -- free running --------------------------------------------------------------------------
    def _cell(self, token: torch.Tensor, state):
        h, c = torch.lstm_cell(self.embed(token), state, self.lstm.weight_ih_l0, self.lstm.weight_hh_l0,
                               self.lstm.bias_ih_l0, self.lstm.bias_hh_l0)
        return self.out(h), (h, c)

    def _draw(self, logits: torch.Tensor, u: torch.Tensor, temperature: float) -> torch.Tensor:
        if temperature == 0:
            return logits.argmax(-1)
        cdf = (logits.float() / temperature).softmax(-1).cumsum(-1)
        return torch.searchsorted(cdf, (u * cdf[:, -1]).unsqueeze(1)).squeeze(1).clamp(max=self.vocab - 1)

    def zero_state(self, n: int, like: torch.Tensor):
        h = like.new_zeros(n, self.lstm.hidden_size, dtype=torch.float)
        return h, h.clone()

    @torch.no_grad()
    def prefix_states(self, ids: torch.Tensor) -> list:
        """``[(logits, state)]`` for t = 0..L-1: G after reading ``<bos>`` and ids[:, :t] (what a rollout from
        the prefix of length t continues from), computed in one pass rather than once per prefix."""
        state = self.zero_state(len(ids), ids)
        token = torch.full((len(ids),), self.bos, dtype=torch.long, device=ids.device)
        out = []
        for t in range(ids.shape[1]):
            logits, state = self._cell(token, state)
            out.append((logits, state))
            token = ids[:, t]
        return out

    @torch.no_grad()
    def complete(self, prefix: torch.Tensor, uniforms: torch.Tensor, temperature: float = 1.0,
                 start=None) -> torch.Tensor:
        """Rows of length L that start with ``prefix`` (B, t) and continue by sampling; ``uniforms`` (B, L)
        (the first t are unused). After ``<eos>`` only ``<pad>``. ``start``: ``(logits, state)`` after reading
        the prefix (from :meth:`prefix_states`), if known."""
        n, t = prefix.shape
        if start is None:
            start = self.prefix_states(torch.cat([prefix, prefix.new_zeros(n, 1)], 1))[t]
        logits, state = start
        out = [prefix[:, i] for i in range(t)]
        ended = (prefix == self.eos).any(1) if t else torch.zeros(n, dtype=torch.bool, device=uniforms.device)
        for i in range(t, self.length):
            token = self._draw(logits, uniforms[:, i], temperature)
            token = torch.where(ended, torch.full_like(token, self.pad), token)
            ended = ended | (token == self.eos)
            out.append(token)
            if i + 1 < self.length:
                logits, state = self._cell(token, state)
        return torch.stack(out, 1) if out else prefix

    def sample(self, uniforms: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        """Token ids (B, L) drawn with the uniforms (B, L) in [0, 1)."""
        return self.complete(uniforms.new_zeros(len(uniforms), 0, dtype=torch.long), uniforms, temperature)


class CNNDiscriminator(nn.Module):
    """Logit (B,) that token ids (B, L) are real text; ``<pad>`` embeds to zeros.

    Each convolution is written as a linear map of the window's stacked embeddings (unfold + matmul):
    the same function as ``Conv1d(embed, filters, w, padding=w - 1)``, and on one CPU thread ~10x faster
    than conv1d at these sizes, which matters because SeqGAN's rollouts ask D about L x N batches a step.
    """

    def __init__(self, vocab: int, length: int, pad: int, embed: int = 32, widths=(2, 3, 4), filters: int = 32,
                 dropout: float = 0.25):
        super().__init__()
        self.widths = tuple(widths)
        self.embed = nn.Embedding(vocab, embed, padding_idx=pad)
        self.convs = nn.ModuleList(nn.Linear(w * embed, filters) for w in self.widths)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(filters * len(self.widths), 1)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        e = self.embed(ids)  # (B, L, E)
        feats = []
        for w, conv in zip(self.widths, self.convs):
            padded = nn.functional.pad(e, (0, 0, w - 1, w - 1))  # zeros both ends, as Conv1d's padding
            windows = padded.unfold(1, w, 1).transpose(2, 3).flatten(2)  # (B, L + w - 1, w * E)
            feats.append(conv(windows).relu().amax(1))
        return self.head(self.drop(torch.cat(feats, 1))).squeeze(1)
