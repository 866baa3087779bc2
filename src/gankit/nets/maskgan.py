"""MaskGAN's nets (Fedus, Goodfellow & Dai 2018): one small seq2seq shape for G, D and the critic.

The paper builds all three from the same encoder-decoder: the encoder reads the text with its blanks
(a mask token where a token was removed), the decoder walks the sequence left to right. What differs
is what the decoder is fed and what it emits:

- G (``out_dim`` = vocabulary): fed the *previous* token, emits the next token's logits (so it can
  be sampled autoregressively; the copied tokens are fed like the sampled ones);
- D (``out_dim`` 1): fed the *current* filled token, emits the logit that it is real, given the
  context and everything filled before it;
- the critic (``out_dim`` 1): fed the previous token like G, so its value b_t depends on the state
  before action t and never on the action: a baseline that leaves REINFORCE unbiased.

Simplification (said here because it is one): the paper's decoder attends over the encoder states;
here position t reads the encoder state *at t* (a bidirectional GRU's, so it knows the text on both
sides of a blank). Source and target have the same length in fill-in-the-blank, so this
position-aligned context carries what attention would mostly pick, at a fraction of the cost on a CPU.
"""

from __future__ import annotations

import torch
from torch import nn


class MaskSeq2Seq(nn.Module):
    """Encoder (bidirectional GRU over the masked text) + decoder (GRU over ``dec_in``) + a linear head.

    ``forward(masked, dec_in)``: token ids (B, L) with blanks as :attr:`mask_id` (= ``vocab_size``)
    and the decoder's input ids (B, L) -> (B, L, out_dim). ``step`` runs the decoder one position at
    a time (sampling), with the same weights.
    """

    def __init__(self, vocab_size: int, out_dim: int, emb: int = 32, hidden: int = 128):
        super().__init__()
        self.vocab_size, self.out_dim, self.hidden = vocab_size, out_dim, hidden
        self.mask_id = vocab_size  # one extra embedding row: "a blank here"
        self.embed = nn.Embedding(vocab_size + 1, emb)
        self.encoder = nn.GRU(emb, hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden, hidden)
        self.decoder = nn.GRU(emb + hidden, hidden, batch_first=True)
        self.head = nn.Linear(2 * hidden, out_dim)  # decoder state + aligned context

    def encode(self, masked: torch.Tensor) -> torch.Tensor:
        enc, _ = self.encoder(self.embed(masked))
        return torch.tanh(self.bridge(enc))  # (B, L, hidden)

    def forward(self, masked: torch.Tensor, dec_in: torch.Tensor) -> torch.Tensor:
        ctx = self.encode(masked)
        out, _ = self.decoder(torch.cat([self.embed(dec_in), ctx], -1))
        return self.head(torch.cat([out, ctx], -1))

    def step(self, ctx_t: torch.Tensor, token: torch.Tensor, h: torch.Tensor | None):
        """One decoder step: context (B, hidden) at t, input ids (B,) -> (output (B, out_dim), state)."""
        x = torch.cat([self.embed(token), ctx_t], -1).unsqueeze(1)
        out, h = self.decoder(x, h)
        return self.head(torch.cat([out[:, 0], ctx_t], -1)), h
