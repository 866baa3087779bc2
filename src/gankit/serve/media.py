"""What the run explorer shows of a sound or text run: per seed, a player and a spectrogram, or the
text, each with the ``gankit sample`` command that makes the same sample.

As for pictures (:mod:`gankit.serve.explorer`), a seed's sample is ``fixed_inputs(1, seed)``
through the run's Sampler, what ``gankit sample RUN --n 1 --seed S`` draws.
"""

from __future__ import annotations

import base64
import inspect
import shlex

import torch

from ..errors import GankitError
from .explorer import png_url

#: the most seeds one request draws for sound (each clip is ~45 KB as a data URL)
MAX_CLIPS = 16


def takes_temperature(sampler) -> bool:
    return "temperature" in inspect.signature(sampler.generate).parameters


def media_info(run) -> dict:
    """The controls the page offers for a sound or text run."""
    sampler = run.sampler()
    conditional = bool(getattr(sampler, "conditional", False))
    names = list(run.spec.class_names or [])
    k = int(getattr(sampler, "num_classes", 0) or 0) if conditional else 0
    return {"kind": run.spec.kind, "temperature": takes_temperature(sampler), "conditional": conditional,
            "num_classes": k, "class_names": names[:k] if len(names) >= k else [str(i) for i in range(k)]}


def _command(run, seed: int, label: int | None, temperature: float | None, ema: bool) -> str:
    words = ["gankit", "sample", str(run.path), "--n", "1", "--seed", str(seed)]
    if label is not None:
        words += ["--class", str(label)]
    if temperature is not None and temperature != 1:
        words += ["--temperature", f"{temperature:g}"]
    if not ema and run.has_ema:
        words.append("--no-ema")
    out = f"seed{seed}/" if run.spec.kind == "audio" else f"seed{seed}.txt"
    return shlex.join(words + ["--out", out])


def wav_url(wave: torch.Tensor, sample_rate: int) -> str:
    from ..audio.wav import wav_bytes

    return "data:audio/wav;base64," + base64.b64encode(wav_bytes(wave.reshape(-1), sample_rate)).decode("ascii")


def media_samples(run, seeds: list[int], label: int | None, temperature: float | None, ema: bool) -> dict:
    """One sample per seed: ``{"items": [{"seed", "command", "audio", "image"} | {"seed", "command", "text"}]}``."""
    kind = run.spec.kind
    if kind not in ("audio", "text"):
        raise GankitError(f"{run.config.model} on {run.spec.name} makes {kind}s, not sound or text (use its picture views)")
    sampler = run.sampler(ema=ema)
    conditional = bool(getattr(sampler, "conditional", False))
    if label is not None and not conditional:
        raise GankitError(f"{run.config.model} is unconditional (drop the class)")
    if label is not None and not 0 <= label < sampler.num_classes:
        raise GankitError(f"class must be in 0..{sampler.num_classes - 1}, not {label} (pick one from the list)")
    opts = {}
    if temperature is not None:
        if not takes_temperature(sampler):
            raise GankitError(f"{run.config.model} takes no temperature (drop it)")
        opts["temperature"] = temperature
    if kind == "audio" and len(seeds) > MAX_CLIPS:
        raise GankitError(f"at most {MAX_CLIPS} clips per request, not {len(seeds)} (ask for fewer seeds)")
    samples = torch.cat([sampler.generate(sampler.fixed_inputs(1, s, label), **opts) for s in seeds])
    items = []
    if kind == "audio":
        from ..audio.spectrogram import spectrogram_image
        from ..viz.media import sample_rate_of

        rate = sample_rate_of(run.spec)
        pictures = spectrogram_image(samples.float())
        for seed, wave, picture in zip(seeds, samples, pictures):
            items.append({"seed": seed, "audio": wav_url(wave, rate), "image": png_url(picture),
                          "command": _command(run, seed, label, temperature, ema)})
    else:
        from ..viz.media import decode_texts

        for seed, text in zip(seeds, decode_texts(samples, run.spec)):
            items.append({"seed": seed, "text": text, "command": _command(run, seed, label, temperature, ema)})
    return {"kind": kind, "items": items}
