"""Keep freed memory in the process on CPU, so that a training step does not page-fault on every big tensor.

A training step on the CPU allocates and frees the same big blocks every step (a layer's gradient in
fp32, its bf16 copy under autocast: 13 to 26 MB each for the zoo nets' fully connected layers). glibc
serves blocks above its mmap threshold (128 kB, adapting up to 32 MB) with a fresh ``mmap`` and returns
them with ``munmap`` when freed, so every step touches new pages: about 2,000 page faults per step on
the zoo gan, and a 25 MB bf16-to-fp32 gradient cast took 4.5 ms instead of 0.5 ms
(docs/performance.md, "Page faults"). CUDA has PyTorch's caching allocator for this; on the CPU,
PyTorch's tuning guide recommends preloading jemalloc or tcmalloc. gankit cannot preload a library
into a process that is already running, but glibc's own ``mallopt`` can raise both thresholds at run
time, which gives the same effect: freed blocks stay in the heap and are reused. The price is the
same as theirs: the process keeps the memory of its peak instead of handing it back between steps.
"""

from __future__ import annotations

import ctypes

# glibc's <malloc.h> parameter numbers
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

#: blocks up to this size come from the heap (and are reused) rather than a fresh mmap each time
MMAP_THRESHOLD = 1 << 30
#: free memory at the top of the heap is given back to the system only beyond this
TRIM_THRESHOLD = 1 << 30

_done: bool | None = None


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed blocks up to 1 GiB for reuse; True where that took effect.

    Once per process (later calls return the first answer). False, and nothing changed, where the C
    library is not glibc (macOS, musl): there the system allocator keeps its own policy.
    """
    global _done
    if _done is None:
        _done = _set_thresholds()
    return _done


def _set_thresholds() -> bool:
    try:
        libc = ctypes.CDLL(None)  # the symbols already loaded: the C library's among them
        if not hasattr(libc, "gnu_get_libc_version"):  # mallopt's parameter numbers are glibc's
            return False
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):  # TypeError: Windows has no "the process itself"
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
