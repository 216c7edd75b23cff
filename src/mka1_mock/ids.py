"""Identifier sources: random by default, repeatable with a seed."""

from __future__ import annotations

import random
import secrets
from typing import Protocol


class IdSource(Protocol):
    """Makes identifiers of the form ``<prefix>_<32 lowercase hex>``."""

    def new(self, prefix: str) -> str: ...


class RandomIds:
    """128 random bits per ID; with a seed, the same sequence in every run."""

    def __init__(self, seed: int | None = None) -> None:
        self.reseed(seed)

    def reseed(self, seed: int | None) -> None:
        """Start the sequence again (a new random one when ``seed`` is None)."""
        self.seed = seed
        self._random = random.Random(seed) if seed is not None else None

    def new(self, prefix: str) -> str:
        bits = self._random.getrandbits(128) if self._random else secrets.randbits(128)
        return f"{prefix}_{bits:032x}"
