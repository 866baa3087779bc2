"""gankit's domain classifier as a torch-fidelity feature extractor.

``register_with_torch_fidelity()`` registers ``"gankit-<dataset>-classifier"`` so that users of
torch-fidelity can compute its metrics (FID, KID, ISC, PRC) on gankit's offline features:

    >>> from gankit.metrics.fidelity import register_with_torch_fidelity
    >>> name = register_with_torch_fidelity("fashion-mnist")
    >>> torch_fidelity.calculate_metrics(input1=..., input2=..., feature_extractor=name, fid=True)

Inputs are uint8 (N, C, 28, 28); features '128' (penultimate layer) and 'logits'. The weights are
the shipped (or user-trained) ones, found as :func:`gankit.metrics.weights.find_classifier` does.
"""

from __future__ import annotations

import torch


def register_with_torch_fidelity(dataset: str = "fashion-mnist") -> str:
    from torch_fidelity.feature_extractor_base import FeatureExtractorBase
    from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY, register_feature_extractor

    from .weights import load_classifier

    name = f"gankit-{dataset}-classifier"
    if name in FEATURE_EXTRACTORS_REGISTRY:
        return name

    class GankitClassifier(FeatureExtractorBase):
        def __init__(self, name, features_list, **kwargs):
            super().__init__(name, features_list)
            self.model = load_classifier(dataset)[0]

        @staticmethod
        def get_provided_features_list():
            return "128", "logits"

        @staticmethod
        def get_default_feature_layer_for_metric(metric):
            return {"isc": "logits", "fid": "128", "kid": "128", "prc": "128"}[metric]

        @staticmethod
        def can_be_compiled():
            return False

        @staticmethod
        def get_dummy_input_for_compile():
            return torch.zeros(1, 1, 28, 28, dtype=torch.uint8)

        def forward(self, x):
            with torch.no_grad():
                f, logits = self.model.features_and_logits(x)
            out = {"128": f, "logits": logits}
            return tuple(out[a] for a in self.features_list)

    register_feature_extractor(name, GankitClassifier)
    return name
