"""Identifier sources: random by default, repeatable with a seed."""

from __future__ import annotations

import random
from typing import Protocol


class IdSource(Protocol):
    """Makes identifiers of the form ``<prefix>_<32 lowercase hex>``."""

    def new(self, prefix: str) -> str: ...


class RandomIds:
    """128 random bits per ID; with a seed, the same sequence in every run.

    Without one, the generator is seeded from the system's randomness: IDs that never repeat
    and cannot be foreseen by a client, which is all a mock needs (they are not secrets).
    """

    def __init__(self, seed: int | None = None) -> None:
        self.reseed(seed)

    def reseed(self, seed: int | None) -> None:
        """Start the sequence again (a new random one when ``seed`` is None)."""
        self.seed = seed
        self._random = random.Random(seed)  # None: seeded from os.urandom

    def new(self, prefix: str) -> str:
        return f"{prefix}_{self._random.getrandbits(128):032x}"
