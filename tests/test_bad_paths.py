"""Outputs that cannot be written (issue 21, "Paths" and "A full disk"): a file in the way, a folder
where a file is wanted, a read-only folder, a full disk. Each is one `gankit: error:` line naming the
fix, said before minutes of work where it can be known up front, and nothing that was there before
changes. Read-only and full disks are real: small tmpfs mounts (skipped where mounting is not allowed)."""

from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

import gankit

from cli_check import fingerprint, one_line_error


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A 2D run (ring8) and an image run (Fashion-MNIST, 2 steps), made once."""
    root = tmp_path_factory.mktemp("paths")
    gankit.train(model="gan", dataset="ring8", batch_size=32, steps=4, checkpoint_every=2, out=root / "ring", quiet=True)
    gankit.train(model="gan", dataset="fashion-mnist", subset=256, batch_size=32, steps=2, out=root / "img", quiet=True)
    (root / "afile").write_text("not a folder\n")
    return root


def _outputs_in_the_way(root: Path) -> list[tuple[list[str], str]]:
    ring, img, afile = str(root / "ring"), str(root / "img"), str(root / "afile")
    train = ["train", "--model", "gan", "--dataset", "ring8", "--steps", "2", "--quiet"]
    return [
        (train + ["--out", afile], "is a file"),
        (train + ["--out", f"{afile}/run"], "afile is a file"),
        (["sample", ring, "--n", "4", "--out", f"{afile}/x.png"], "afile is a file"),
        (["sample", ring, "--n", "4", "--out", f"{afile}/x.npy"], "afile is a file"),
        (["explore", img, "--out", afile], "is a file"),
        (["explore", img, "--out", f"{afile}/pictures"], "afile is a file"),
        (["features", "train", "--epochs", "1", "--out", f"{afile}/c.pt"], "afile is a file"),
        (["features", "train", "--epochs", "1", "--out", str(root)], "is a folder"),
        (["report", ring, "--out", f"{afile}/r.html"], "afile is a file"),
        (["report", ring, "--out", str(root)], "is a folder"),
        (["compare", ring, "--csv", f"{afile}/c.csv"], "afile is a file"),
        (["compare", ring, "--html", str(root)], "is a folder"),
    ]


@pytest.mark.parametrize("case", range(12))
def test_an_output_that_a_file_or_folder_is_in_the_way_of(capsys, runs, case):
    argv, needle = _outputs_in_the_way(runs)[case]
    before = fingerprint(runs)
    one_line_error(capsys, argv, needle)
    assert fingerprint(runs) == before


def test_unknown_flags_point_to_the_help_of_their_own_subcommand(capsys):
    one_line_error(capsys, ["features", "train", "--bogus"], "--bogus", "gankit features train --help")
    one_line_error(capsys, ["train", "--bogus", "1"], "gankit train --help")
    one_line_error(capsys, ["features", "train", "--epochs", "x"], "gankit features train --help")


@contextmanager
def tmpfs(folder: Path, size: str):
    """A real small file system at ``folder`` (root only: skipped elsewhere)."""
    folder.mkdir(parents=True, exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def _copy_runs(runs: Path, disk: Path) -> None:
    for name in ("ring", "img"):  # the snapshots are not needed, and the image run's take 10 MB
        shutil.copytree(runs / name, disk / name, ignore=shutil.ignore_patterns("step_*.pt"))


def _without_lock(prints: dict) -> dict:
    return {k: v for k, v in prints.items() if not k.endswith(".lock")}


def _commands_on(disk: Path) -> list[tuple[str, list[str]]]:
    ring, img = str(disk / "ring"), str(disk / "img")
    return [
        ("train", ["train", "--model", "gan", "--dataset", "ring8", "--steps", "2", "--quiet", "--out",
                   str(disk / "new")]),
        ("resume", ["train", "--resume", ring, "--steps", "8", "--quiet"]),
        ("sample", ["sample", ring, "--n", "2000", "--out", str(disk / "x.npy")]),
        ("eval", ["eval", img, "--n", "64", "--metrics", "swd"]),
        ("report", ["report", ring]),
        ("explore", ["explore", img]),
        ("compare", ["compare", ring, "--csv", str(disk / "c.csv")]),
        ("features", ["features", "train", "--epochs", "1", "--out", str(disk / "c.pt")]),
    ]


def test_a_read_only_folder_is_one_line_for_every_command_and_nothing_changes(capsys, runs, tmp_path):
    disk = tmp_path / "ro"
    with tmpfs(disk, "32m"):
        _copy_runs(runs, disk)
        assert subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True).returncode == 0
        before = fingerprint(disk)
        for name, argv in _commands_on(disk):
            one_line_error(capsys, argv, "read-only")
        assert fingerprint(disk) == before


def _fill(disk: Path) -> None:
    """Take every free byte of ``disk`` (so the next write fails with ENOSPC)."""
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        for chunk in (1 << 20, 1 << 12, 1):  # big writes until one fails, then the last pieces
            try:
                while True:
                    os.write(fd, b"\0" * chunk)
            except OSError:
                pass
    finally:
        os.close(fd)


def test_a_full_disk_is_one_line_for_every_command_and_nothing_changes(capsys, runs, tmp_path):
    disk = tmp_path / "full"
    with tmpfs(disk, "32m"):
        _copy_runs(runs, disk)
        _fill(disk)
        before = _without_lock(fingerprint(disk))
        for name, argv in _commands_on(disk):
            if name == "features":
                continue  # it would train for a minute before its one write; the read-only case covers it up front
            one_line_error(capsys, argv, "no space left on device")
            assert _without_lock(fingerprint(disk)) == before, name
        assert not (disk / "new").exists()  # a new run that could not start leaves no folder
