"""Performance measurement: FLOPs of a training step, matmul peak, and the step benchmark behind
``gankit bench``. Kept out of the engine: nothing here runs during ordinary training."""

from .bench import BenchResult, bench_model
from .flops import count_flops
from .peak import matmul_peak

__all__ = ["BenchResult", "bench_model", "count_flops", "matmul_peak"]
