"""The frozen feature networks of SRGAN's content loss (Ledig et al. 2017).

SRGAN compares a super-resolved image with its original in the feature space of a pretrained
network rather than pixel by pixel, so that G is not pulled towards the blurry mean of all
plausible details. The paper uses VGG19's ``relu5_4`` maps ("VGG54"), rescaled by 1/12.75. Its
ImageNet weights must be downloaded, so the offline default is the domain classifier gankit
ships for the data (its last convolutional block, after the ReLU, the same kind of layer);
``vgg19`` is used when torchvision's weights file is already on disk.
"""

from __future__ import annotations

import copy
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import GankitError

VGG19_FILE = "vgg19-dcbb9e9d.pth"  # torchvision's IMAGENET1K_V1 weights
VGG54_LAYERS = 36                  # vgg19.features[:36] ends with relu5_4
VGG_SCALE = 1 / 12.75              # the paper's rescaling of VGG feature maps
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _frozen(net: nn.Module) -> nn.Module:
    for p in net.parameters():
        p.requires_grad_(False)
    return net.eval()


class ClassifierContent(nn.Module):
    """Feature maps of a gankit domain classifier's convolutions, at the size it was trained at."""

    def __init__(self, classifier: nn.Module, size: int, channels: int):
        super().__init__()
        convs = [m for m in copy.deepcopy(classifier).body if not isinstance(m, nn.AdaptiveAvgPool2d)]
        cut = next(i for i, m in enumerate(convs) if isinstance(m, nn.Flatten))
        self.features = _frozen(nn.Sequential(*convs[:cut]))
        self.size, self.channels = size, channels

    def train(self, mode: bool = True):
        return super().train(False)  # always frozen batchnorm statistics

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[-1, 1] images (any size, 1 or 3 channels) -> feature maps."""
        if x.shape[1] != self.channels:
            x = x.expand(-1, 3, -1, -1) if self.channels == 3 else x.mean(1, keepdim=True)
        if x.shape[-1] != self.size:
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", antialias=True, align_corners=False)
        return self.features(x)


class VGGContent(nn.Module):
    """VGG19 up to relu5_4 on ImageNet-normalized RGB, maps rescaled by 1/12.75 (the paper's VGG54)."""

    def __init__(self, weights_file: Path):
        super().__init__()
        from torchvision.models import vgg19

        net = vgg19(weights=None)
        net.load_state_dict(torch.load(weights_file, map_location="cpu", weights_only=True))
        self.features = _frozen(net.features[:VGG54_LAYERS])
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def train(self, mode: bool = True):
        return super().train(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x + 1) / 2
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        return self.features((x - self.mean) / self.std) * VGG_SCALE


def vgg19_weights() -> Path:
    """torchvision's VGG19 weights file in the torch hub cache, or a one-line error."""
    path = Path(torch.hub.get_dir()) / "checkpoints" / VGG19_FILE
    if not path.is_file():
        raise GankitError(f"--content-net vgg19 needs torchvision's VGG19 weights at {path} (fetch them once online: "
                          "python -c \"import torchvision; torchvision.models.vgg19(weights='IMAGENET1K_V1')\"; "
                          "or use --content-net classifier)")
    return path


def content_network(kind: str, classifier_dataset: str | None) -> nn.Module | None:
    """The content loss's feature net: "classifier" (offline default), "vgg19", or None for "mse"."""
    if kind == "mse":
        return None
    if kind == "vgg19":
        return VGGContent(vgg19_weights())
    if kind != "classifier":
        raise GankitError(f"unknown --content-net {kind!r} (use classifier, vgg19 or mse)")
    if classifier_dataset is None:
        raise GankitError("--content-net classifier needs a domain classifier for this data, and it has none "
                          "(use --content-net mse, or vgg19 with its weights on disk)")
    from ..metrics.weights import load_classifier

    model, meta, _ = load_classifier(classifier_dataset)
    return ClassifierContent(model, int(meta.get("image_size", 28)), int(meta.get("channels", 1)))
