import pytest
import torch

from gankit.checkpoint import FORMAT, load_checkpoint, save_atomic
from gankit.errors import GankitError


def test_atomic_save_roundtrip_leaves_no_temp_files(tmp_path):
    path = tmp_path / "ck" / "last.pt"
    save_atomic({"format": FORMAT, "w": torch.arange(3)}, path)
    assert torch.equal(load_checkpoint(path)["w"], torch.arange(3))
    assert [p.name for p in path.parent.iterdir()] == ["last.pt"]


def test_failed_save_keeps_the_previous_checkpoint(tmp_path):
    path = tmp_path / "last.pt"
    save_atomic({"format": FORMAT, "w": torch.ones(2)}, path)

    class Unpicklable:
        def __reduce__(self):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        save_atomic({"format": FORMAT, "bad": Unpicklable()}, path)
    assert torch.equal(load_checkpoint(path)["w"], torch.ones(2))
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]


def test_load_is_weights_only(tmp_path):
    """A checkpoint that would run code on load is refused, not executed."""

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pt"
    torch.save({"format": FORMAT, "x": Evil()}, path)
    with pytest.raises(GankitError, match="corrupt or not a gankit checkpoint"):
        load_checkpoint(path)


def test_truncated_and_foreign_checkpoints(tmp_path):
    path = tmp_path / "last.pt"
    save_atomic({"format": FORMAT, "w": torch.ones(1000)}, path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(GankitError, match="corrupt"):
        load_checkpoint(path)
    torch.save({"state_dict": {}}, path)
    with pytest.raises(GankitError, match="not a gankit checkpoint"):
        load_checkpoint(path)
