import torch

from distances import frechet_distance


def test_frechet_distance_matches_closed_form():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(20000, 3, generator=g)
    b = torch.randn(20000, 3, generator=g) * 2 + torch.tensor([1.0, 0.0, 0.0])
    # closed form for N(0, I) vs N(m, 4I): |m|^2 + 3 * (1 + 4 - 2*2) = 1 + 3
    assert abs(frechet_distance(a, b) - 4.0) < 0.15
    assert frechet_distance(a, a) < 1e-6
