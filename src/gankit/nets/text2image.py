"""The nets of a small text-to-image GAN: Reed et al. 2016 ("Generative Adversarial Text to Image
Synthesis", GAN-INT-CLS) with StackGAN's conditioning and two stages (Zhang et al. 2017,
"StackGAN: Text to Photo-realistic Image Synthesis with Stacked Generative Adversarial Networks"),
sized for 28, 32 and 64 pixel images with 1 or 3 channels. Captions are word tokens, a LongTensor
(B, L) with 0 as padding.

- :class:`TextEncoder`: word embedding -> one bidirectional GRU layer over the real words (packed,
  so padding never enters the recurrence) -> mean over the words -> linear: a sentence embedding.
  Reed et al. pre-train a char-CNN-RNN with a structured joint embedding loss; here the encoder
  starts from scratch and learns from whatever loss the game gives it (D's matching-aware loss),
  so it needs no pretrained weights or downloads.
- :class:`ConditioningAugmentation` (StackGAN sec. 3.1): the embedding is mapped to a diagonal
  Gaussian N(mu, sigma^2) and G gets a sample c from it, not the embedding itself. The few
  thousand captions of a data set are a sparse set of points in embedding space; sampling around
  them gives G a smooth conditioning manifold and more (jittered) training pairs, and the
  :func:`kl_divergence` to N(0, I) that the game adds to G's loss keeps the manifold from
  collapsing back to points.
- :class:`Stage1Generator` (StackGAN stage I): [z, c] -> fc -> 4x4 (7x7 for 28 px) map, then
  StackGAN's ``upBlock`` (2x nearest upsampling, 3x3 conv, BN, ReLU) up to full size, 3x3 conv, tanh.
- :class:`MatchingDiscriminator`: Reed et al.'s D. Strided 4x4 convs with LeakyReLU(0.2) down to a
  4x4 map; the text embedding is compressed by linear + LeakyReLU to ``proj_dim``, replicated over
  the 4x4 grid and depth-concatenated; a 1x1 conv + LeakyReLU mixes image and text, and a 4x4 conv
  gives one logit per (image, text) pair. The matching-aware loss (GAN-CLS, Reed et al. sec. 4.1)
  needs D to see the text: it scores {real image, right text} as real and both {real image, wrong
  text} and {fake image, right text} as fake.
- :class:`Stage2Generator` (StackGAN stage II): encodes the stage-I image down to h/4, concatenates
  a fresh c (from stage II's own conditioning augmentation), a joint 3x3 conv, residual blocks,
  and upBlocks to twice the size (StackGAN goes 64 -> 256; here 28 -> 56, 32 -> 64). Stage II has
  no z: the paper takes its randomness from c and the stage-I image.
- :class:`Stage2Discriminator`: the same matching D at the larger size (one more downsampling).

Normalisation in D: spectral norm (Miyato et al. 2018) on every conv and linear, not batchnorm.
Reed et al. and StackGAN use BN in D, but a text-conditional game forwards its three kinds of pair
(matched real, mismatched real, fake) as separate batches, so BN would normalise each kind with its
own statistics: the mismatched batch would look exactly like the real one at the first BN, and the
all-fake batch gets statistics D can separate on without looking at any single image. Spectral
norm has no batch statistics, so each logit depends on its own pair alone, train and eval modes
agree, and D stays 1-Lipschitz per layer, which also steadies the game. G keeps StackGAN's BN.

Weights start as in :mod:`.dcgan` (convs and linears N(0, 0.02), BN gamma N(1, 0.02), biases 0),
D's before spectral norm wraps them (as in :mod:`.sngan`). The text encoder keeps PyTorch's
default init: DCGAN's rule is for conv nets, and N(0, 0.02) recurrent weights would make the GRU
forget everything but the last word.

Widths: G's channels halve as the resolution doubles, from 8 * ngf at 4x4 (ngf at 32 px, ngf / 2 at
64 px; StackGAN's 64x64 stage I is this with ngf = 128: 1024 channels at 4x4, 64 at 64 px); 28 px
starts at 4 * ngf on its 7x7 map, so it has 32 px's channels at each scale. D's double from ``ndf``
at each stride-2 conv: ndf, 2 ndf, 4 ndf (8 ndf at 64 px). Defaults are sized for CPU training:
stage I ngf = 12, ndf = 16, so that one forward/backward of G and D on a batch of 64 32x32 images
takes ~0.1 s on one core (~10 steps/s; ngf = ndf = 32 takes ~0.36 s, the 3x3 convs at full
resolution after each upsampling cost most); stage II's nets default to 32.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .dcgan import init_dcgan_weights

SUPPORTED_SIZES = (28, 32, 64)  # tested; any 4 * 2^k or 7 * 2^k (k >= 1) also builds
PAD = 0  # the padding token


def _stages(size: int) -> tuple[int, int]:
    """(base resolution 4 or 7, number of 2x stages between it and ``size``)."""
    for base in (4, 7):
        n = size // base
        if size % base == 0 and n >= 2 and n & (n - 1) == 0:
            return base, int(math.log2(n))
    raise ValueError(f"text-to-image nets need a size 4 * 2^k or 7 * 2^k (e.g. {SUPPORTED_SIZES}), not {size}")


def _init(module: nn.Module) -> None:
    """DCGAN init, BatchNorm1d included (init_dcgan_weights covers BatchNorm2d only)."""
    init_dcgan_weights(module)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm1d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def _square(shape: tuple[int, ...]) -> tuple[int, int]:
    c, h, w = shape
    if h != w:
        raise ValueError(f"text-to-image nets need square images, not {h}x{w}")
    return c, h


# --- text ------------------------------------------------------------------------------------

class TextEncoder(nn.Module):
    """Word tokens (B, L), 0 = padding -> sentence embedding (B, out_dim).

    Embedding (``padding_idx`` 0, so padding has a zero, never-trained vector) -> one bidirectional
    GRU layer (``out_dim // 2`` units per direction) run over each caption's words only, through
    :func:`~torch.nn.utils.rnn.pack_padded_sequence`: the backward direction starts at the last real
    word, so trailing padding changes nothing. The per-word states (both directions concatenated)
    are averaged over the words and mapped by a linear layer to the embedding. A caption's length
    is the position of its last non-pad token (pad tokens inside a caption are read as words), at
    least 1, so an all-padding row gets the fixed "empty caption" embedding instead of an error.
    Captions longer than ``max_len`` are cut to their first ``max_len`` tokens.
    """

    def __init__(self, vocab_size: int, max_len: int, embed_dim: int = 64, out_dim: int = 128):
        super().__init__()
        if max_len < 1:
            raise ValueError(f"max_len must be positive, not {max_len}")
        self.vocab_size, self.max_len, self.out_dim = vocab_size, max_len, out_dim
        hidden = max(1, out_dim // 2)
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD)
        self.rnn = nn.GRU(embed_dim, hidden, num_layers=1, batch_first=True, bidirectional=True)
        self.proj = nn.Linear(2 * hidden, out_dim)

    @staticmethod
    def lengths(tokens: torch.Tensor) -> torch.Tensor:
        """Per-caption length: 1 + the index of its last non-pad token, clamped to >= 1."""
        pos = torch.arange(1, tokens.shape[1] + 1, device=tokens.device)
        return ((tokens != PAD).long() * pos).amax(1).clamp(min=1)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if tokens.dim() != 2:
            raise ValueError(f"captions must be (batch, length) token ids, not shape {tuple(tokens.shape)}")
        tokens = tokens[:, : self.max_len].long()
        lengths = self.lengths(tokens)
        packed = pack_padded_sequence(self.embed(tokens), lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = pad_packed_sequence(self.rnn(packed)[0], batch_first=True)  # zeros past each length
        mean = out.sum(1) / lengths.to(out.dtype).unsqueeze(1)
        return self.proj(mean)


class ConditioningAugmentation(nn.Module):
    """StackGAN's conditioning augmentation (sec. 3.1): text embedding -> (mu, logvar) by one linear
    layer; ``forward(e) -> (c, mu, logvar)`` with c = mu + exp(logvar / 2) * eps, eps ~ N(0, I)
    (the reparameterisation trick, so G's loss trains the linear layer through c).

    ``sample`` defaults to the module's mode: a sample while training, c = mu in eval mode (one
    deterministic image per caption and z). Pass ``sample=True`` to draw in eval mode too: StackGAN
    samples c at test time as well, so one caption gives varied poses and appearances even at fixed
    z; ``sample=False`` gives mu in training mode. (StackGAN's code puts a ReLU after the linear,
    forcing mu >= 0 and sigma >= 1; this keeps the plain linear map.)
    """

    def __init__(self, text_dim: int = 128, cond_dim: int = 64):
        super().__init__()
        self.text_dim, self.cond_dim = text_dim, cond_dim
        self.fc = nn.Linear(text_dim, 2 * cond_dim)
        _init(self)

    def forward(self, e: torch.Tensor, sample: bool | None = None):
        mu, logvar = self.fc(e).chunk(2, dim=1)
        if self.training if sample is None else sample:
            c = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        else:
            c = mu
        return c, mu, logvar


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag(exp(logvar))) || N(0, I)), summed over dimensions and averaged over the batch:
    mean_b 0.5 * sum_j (mu^2 + exp(logvar) - 1 - logvar). StackGAN adds it to G's loss with weight
    lambda = 1 (sec. 3.1, eq. 3 and 5) so that the conditioning manifold stays smooth; note that the
    authors' code averages over dimensions as well, i.e. its term is this one / cond_dim."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(1).mean()


# --- generators ------------------------------------------------------------------------------

def _up_block(c_in: int, c_out: int) -> nn.Sequential:
    """StackGAN's upBlock: 2x nearest upsampling, 3x3 conv (no bias: BN follows), BN, ReLU.
    Upsample-then-conv instead of a transposed conv avoids checkerboard artefacts."""
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(True))


class Stage1Generator(nn.Module):
    """StackGAN stage I: ``forward(z, c) -> image (B, C, H, W)`` in [-1, 1].

    [z, c] -> linear (no bias) -> BN -> ReLU -> (8 ngf, 4, 4) (or (4 ngf, 7, 7) for 28 px), then
    one upBlock per doubling, halving the channels, then a 3x3 conv to C channels and tanh (the
    stage-I layout of the authors' code: fc + BatchNorm1d, upBlocks, conv3x3, Tanh).
    """

    def __init__(self, z_dim: int = 100, cond_dim: int = 64, out_shape: tuple[int, int, int] = (1, 32, 32),
                 ngf: int = 12):
        super().__init__()
        channels, size = _square(out_shape)
        base, n = _stages(size)
        self.z_dim, self.cond_dim, self.out_shape = z_dim, cond_dim, tuple(out_shape)
        top = ngf * (8 if base == 4 else 4)
        ch = [max(1, top // 2**i) for i in range(n + 1)]
        self.base, self.c0 = base, ch[0]
        flat = ch[0] * base * base
        self.fc = nn.Sequential(nn.Linear(z_dim + cond_dim, flat, bias=False), nn.BatchNorm1d(flat), nn.ReLU(True))
        self.up = nn.Sequential(*(_up_block(ch[i], ch[i + 1]) for i in range(n)))
        self.out = nn.Sequential(nn.Conv2d(ch[-1], channels, 3, 1, 1), nn.Tanh())
        _init(self)

    def forward(self, z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        h = self.fc(torch.cat([z.flatten(1), c], 1)).view(z.shape[0], self.c0, self.base, self.base)
        return self.out(self.up(h))


class ResBlock(nn.Module):
    """StackGAN's residual block: conv3x3-BN-ReLU-conv3x3-BN, plus the input, then ReLU."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, channels, 3, 1, 1, bias=False), nn.BatchNorm2d(channels),
                                  nn.ReLU(True), nn.Conv2d(channels, channels, 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.body(x))


class Stage2Generator(nn.Module):
    """StackGAN stage II: ``forward(low_res_image, c) -> image (B, C, out_size, out_size)``.

    Stage I gets the rough shape and colours; stage II re-reads the caption (through c, sampled by
    stage II's own conditioning augmentation, which the game owns) to fix defects and add detail.
    Encoder: 3x3 conv + ReLU (ngf), two 4x4 stride-2 convs + BN + ReLU (2 ngf, 4 ngf) down to h/4;
    c replicated over that grid and concatenated; a joint 3x3 conv + BN + ReLU; ``n_res`` residual
    blocks (StackGAN has 4; 2 here at these sizes); one upBlock per doubling up to ``out_size``,
    halving channels from 4 ngf; 3x3 conv, tanh. ``out_size`` must be h * 2^k, k >= 1 (2h default).
    """

    def __init__(self, stage1_shape: tuple[int, int, int] = (3, 32, 32), cond_dim: int = 64,
                 out_size: int | None = None, ngf: int = 32, n_res: int = 2):
        super().__init__()
        channels, h = _square(stage1_shape)
        out_size = 2 * h if out_size is None else out_size
        ratio = out_size // h
        if h % 4 or out_size % h or ratio < 2 or ratio & (ratio - 1):
            raise ValueError(f"stage II needs a stage-I size divisible by 4 and out_size = size * 2^k (k >= 1), "
                             f"not {h} -> {out_size}")
        n_up = 2 + int(math.log2(ratio))
        self.cond_dim, self.in_shape = cond_dim, tuple(stage1_shape)
        self.out_shape = (channels, out_size, out_size)
        c4 = 4 * ngf
        self.encode = nn.Sequential(
            nn.Conv2d(channels, ngf, 3, 1, 1), nn.ReLU(True),
            nn.Conv2d(ngf, 2 * ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * ngf), nn.ReLU(True),
            nn.Conv2d(2 * ngf, c4, 4, 2, 1, bias=False), nn.BatchNorm2d(c4), nn.ReLU(True))
        self.joint = nn.Sequential(nn.Conv2d(c4 + cond_dim, c4, 3, 1, 1, bias=False), nn.BatchNorm2d(c4), nn.ReLU(True))
        self.res = nn.Sequential(*(ResBlock(c4) for _ in range(n_res)))
        ch = [max(1, c4 // 2**i) for i in range(n_up + 1)]
        self.up = nn.Sequential(*(_up_block(ch[i], ch[i + 1]) for i in range(n_up)))
        self.out = nn.Sequential(nn.Conv2d(ch[-1], channels, 3, 1, 1), nn.Tanh())
        _init(self)

    def forward(self, low_res_image: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        h = self.encode(low_res_image)
        cmap = c[:, :, None, None].expand(-1, -1, h.shape[2], h.shape[3])
        return self.out(self.up(self.res(self.joint(torch.cat([h, cmap], 1)))))


# --- discriminators --------------------------------------------------------------------------

class MatchingDiscriminator(nn.Module):
    """Reed et al.'s matching-aware D: ``forward(x, text_embedding) -> logits (B,)``, one per pair.

    Image: 4x4 stride-2 convs, LeakyReLU(0.2), channels ndf, 2 ndf, ... down to 4x4; 28 px stops at
    7x7 and a 4x4 stride-1 conv takes it to 4x4. Text: linear -> LeakyReLU(0.2) to ``proj_dim``
    (Reed et al. compress the embedding to 128), replicated 4x4 and depth-concatenated; a 1x1 conv
    + LeakyReLU joins them, and a 4x4 conv (no padding) gives the logit. Spectral norm on every
    conv and linear (see the module docstring for why not BN). ``features(x, e)`` is the joint layer,
    flattened (``feature_dim`` wide), for feature matching or extra heads.
    """

    def __init__(self, in_shape: tuple[int, int, int] = (1, 32, 32), text_dim: int = 128, proj_dim: int = 64,
                 ndf: int = 16):
        super().__init__()
        channels, size = _square(in_shape)
        base, n = _stages(size)
        self.in_shape, self.text_dim, self.proj_dim = tuple(in_shape), text_dim, proj_dim
        act = dict(negative_slope=0.2, inplace=True)
        ch = [channels] + [ndf * 2**i for i in range(n)]
        layers: list[nn.Module] = []
        for i in range(n):
            layers += [nn.Conv2d(ch[i], ch[i + 1], 4, 2, 1), nn.LeakyReLU(**act)]
        if base == 7:  # 7x7 -> 4x4
            layers += [nn.Conv2d(ch[-1], ch[-1], 4, 1, 0), nn.LeakyReLU(**act)]
        self.image = nn.Sequential(*layers)
        self.text = nn.Sequential(nn.Linear(text_dim, proj_dim), nn.LeakyReLU(**act))
        self.joint = nn.Sequential(nn.Conv2d(ch[-1] + proj_dim, ch[-1], 1), nn.LeakyReLU(**act))
        self.head = nn.Conv2d(ch[-1], 1, 4, 1, 0)
        self.feature_dim = ch[-1] * 16
        init_dcgan_weights(self)
        for m in list(self.modules()):
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                spectral_norm(m, n_power_iterations=1)

    def _joint(self, x: torch.Tensor, text_embedding: torch.Tensor) -> torch.Tensor:
        h = self.image(x)
        t = self.text(text_embedding.to(h.dtype))[:, :, None, None].expand(-1, -1, h.shape[2], h.shape[3])
        return self.joint(torch.cat([h, t], 1))

    def features(self, x: torch.Tensor, text_embedding: torch.Tensor) -> torch.Tensor:
        return self._joint(x, text_embedding).flatten(1)

    def forward(self, x: torch.Tensor, text_embedding: torch.Tensor) -> torch.Tensor:
        return self.head(self._joint(x, text_embedding)).flatten()


class Stage2Discriminator(MatchingDiscriminator):
    """StackGAN stage II's D: the matching D at stage II's size (64 px: four stride-2 convs,
    ndf .. 8 ndf, one more than at 32 px). Default in_shape (3, 64, 64)."""

    def __init__(self, in_shape: tuple[int, int, int] = (3, 64, 64), text_dim: int = 128, proj_dim: int = 64,
                 ndf: int = 32):
        super().__init__(in_shape, text_dim, proj_dim, ndf)
