"""The truncation trade-off as a picture: FID against psi, and the precision/recall (and class
accuracy) that truncation buys with it, from :func:`gankit.evaluation.truncation_sweep`."""

from __future__ import annotations

from pathlib import Path
from ..safe_write import atomic_output


def plot_truncation_sweep(rows: list[dict], path: str | Path, title: str = "") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    swept = [r for r in rows if r["psi"] is not None]
    full = next((r for r in rows if r["psi"] is None), None)
    psis = [r["psi"] for r in swept]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    left.plot(psis, [r["fid"] for r in swept], "o-", color="tab:red", label="truncated")
    if full is not None:
        left.axhline(full["fid"], color="gray", ls="--", label="untruncated")
    left.set(xlabel="psi", ylabel="FID (lower is better)", title="quality vs truncation")
    left.legend(fontsize=8)
    for key, color in (("precision", "tab:blue"), ("recall", "tab:orange"), ("class_accuracy", "tab:green")):
        if key in swept[0]:
            right.plot(psis, [r[key] for r in swept], "o-", color=color, label=key.replace("_", " "))
            if full is not None:
                right.axhline(full[key], color=color, ls=":", lw=1)
    right.set(xlabel="psi", ylim=(0, 1.02), title="fidelity vs diversity (dotted: untruncated)")
    right.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path = Path(path)
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    return path
