"""The message a compressor sends: the exact bits, and what the receiver must already know."""
from __future__ import annotations

import numbers
from dataclasses import dataclass

__all__ = ["Message"]


@dataclass(frozen=True)
class Message:
    """An encoded compressed vector.

    Attributes
    ----------
    payload : bytes
        The bit string, most significant bit first, zero-padded to a whole byte.
    nbits : int
        The exact number of bits sent (``len(payload) == ceil(nbits / 8)``). This, not
        ``8 * len(payload)``, is the communication cost.
    d : int
        Dimension of the vector; known to the receiver, not sent.
    compressor : str
        Canonical name of the compressor with its parameters, e.g. ``top_k[k=10]``; known to
        the receiver (it is part of the protocol), not sent.
    shared_seed : int or None
        Under shared randomness (sender and receiver draw the same random stream, e.g. the
        index set of Rand-k), the seed of that stream. It is side information agreed in
        advance, so it is *not* counted in ``nbits``. ``None`` when no randomness is shared.
    """

    payload: bytes
    nbits: int
    d: int
    compressor: str
    shared_seed: int | None = None

    def __post_init__(self):
        from theorytools.errors import SEED_HIGH, TheorytoolsError

        if self.nbits < 0 or len(self.payload) != (self.nbits + 7) // 8:
            raise TheorytoolsError(
                f"Message: payload of {len(self.payload)} bytes does not hold nbits={self.nbits}")
        seed = self.shared_seed
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
                                 or not 0 <= int(seed) <= SEED_HIGH):
            raise TheorytoolsError(
                f"Message: shared_seed must be None or an integer in [0, 2^64), got {seed!r}")
