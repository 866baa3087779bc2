import os

import pytest
import torch

from gankit.data import get_dataset


@pytest.fixture(scope="session")
def fashion_train():
    """Fashion-MNIST train split (installed by `make test` via Debian's dataset-fashion-mnist)."""
    return get_dataset("fashion-mnist", "train")


@pytest.fixture(scope="session")
def fashion_small(fashion_train):
    return fashion_train.subset(4000, seed=0)


@pytest.fixture(scope="session")
def fashion32(fashion_train):
    """6,000 Fashion-MNIST training images at 32x32, resized as ``--image-size 32`` does."""
    from gankit.data import _adapt

    return _adapt(fashion_train.subset(6000, seed=0), 32, None)


#: the suite targets 2 cores; read once, because CLI tests run in this process and `gankit` sets the
#: thread count by itself (gankit.threads), which must not leak into the tests after them. Under
#: pytest-xdist (`make test`: 2 workers) each worker gets one thread, so the workers never oversubscribe
#: the cores (several processes with 2 threads each run many times slower on 2 cores).
SUITE_THREADS = 1 if os.environ.get("PYTEST_XDIST_WORKER") else max(1, min(2, torch.get_num_threads()))
torch.set_num_threads(SUITE_THREADS)  # module fixtures too run at it


@pytest.fixture(autouse=True)
def _fixed_threads():
    torch.set_num_threads(SUITE_THREADS)
    yield
    torch.set_num_threads(SUITE_THREADS)


@pytest.fixture
def one_thread():
    """Tiny MLPs (2D toys) run fastest on one thread, and their thresholds were measured so."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def isolated_gankit_home(tmp_path_factory):
    """Feature caches and user weights go to a temporary GANKIT_HOME, not ~/.cache (use it autouse in a module)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("GANKIT_HOME", str(tmp_path_factory.mktemp("gankit_home")))
    yield
    mp.undo()
