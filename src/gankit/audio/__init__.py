"""Audio utilities shared by the audio datasets, the audio GANs and their evaluation.

- :mod:`.wav`: reading and writing 16-bit PCM WAV (scipy.io.wavfile; torchaudio is not installable
  here), the bytes of a WAV for embedding in HTML, and the trim/centre/pad/normalize step that turns
  a synthesizer's output into a fixed-length clip.
- :mod:`.spectrogram`: log-magnitude and log-mel spectrograms (``torch.stft``) and pictures of them.
- :mod:`.pitch`: the fundamental frequency of a note (YIN-style difference function).
- :mod:`.classifier`: the small spoken-digit classifier behind :mod:`gankit.metrics.audio`.
"""

from .wav import fit_clip, read_wav, to_int16, wav_bytes, write_wav

__all__ = ["fit_clip", "read_wav", "to_int16", "wav_bytes", "write_wav"]
