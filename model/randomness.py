"""Random numbers by purpose (ODD §11): common random numbers that hold.

Every stochastic process draws from its own stream, derived from the run's seed and keyed by
its purpose and month; per household (or county, station, cooperative) the draw is keyed by
its index too. A household's draw for a purpose in a month is therefore a fixed number of the
run: it does not depend on how many numbers other households or other processes drew, so a
lever that changes one decision leaves every other draw where it was, and two scenarios run
with the same seed differ only where their states differ.

Two kinds of streams:

* :meth:`RandomStreams.uniform` (and :meth:`RandomStreams.normal`) are *counter-based*: the
  number for ``(purpose, month, index)`` is a hash of those and the run's root key (the
  SplitMix64 finaliser, whose output on a counter passes BigCrush), computed for any set of
  indices at once without generating anyone else's.
* :meth:`RandomStreams.generator` is a numpy ``Generator`` (Philox, keyed the same way) for
  draws of a fixed size whatever the state (initialisation, one number per county).

Discrete draws that must stay coupled across scenarios (how many of a county's pool return,
how many trainees a county gets) are inverse-CDF transforms of one keyed uniform each, so a
higher rate never gives fewer events for the same seed.
"""

from __future__ import annotations

import zlib

import numpy as np
from scipy import special, stats

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_MASK = (1 << 64) - 1
_M1_INT, _M2_INT = int(_M1), int(_M2)
_TO_UNIT = 2.0 ** -53
#: :meth:`RandomStreams.order_keys` are uniform integers on ``[0, ORDER_KEY_SPAN)`` (the hash's
#: top 53 bits)
ORDER_KEY_SPAN = 2.0 ** 53
#: index space of one group in :meth:`RandomStreams.picks` (a county's k-th pick)
PICKS_PER_GROUP = 1 << 32
#: numbers hashed at once: a block stays in the CPU cache through the hash's passes
#: (measured: 2 M numbers 8.2 -> 5.6 ms against hashing them all at once)
HASH_BLOCK = 1 << 15


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, in place on a uint64 array (wrapping arithmetic)."""
    tmp = np.empty_like(z)
    for shift, mult in ((30, _M1), (27, _M2)):
        np.right_shift(z, np.uint64(shift), out=tmp)
        np.bitwise_xor(z, tmp, out=z)
        np.multiply(z, mult, out=z)
    np.right_shift(z, np.uint64(31), out=tmp)
    np.bitwise_xor(z, tmp, out=z)
    return z


def _mix_int(value: int) -> int:
    """:func:`_mix` of one integer, in Python's integers (the same bits; no array for one
    number: keys are made thousands of times a run)."""
    z = value & _MASK
    z = ((z ^ (z >> 30)) * _M1_INT) & _MASK
    z = ((z ^ (z >> 27)) * _M2_INT) & _MASK
    return z ^ (z >> 31)


def purpose_id(purpose: str) -> int:
    """A stable 32-bit number for a purpose's name."""
    return zlib.crc32(purpose.encode("utf-8"))


class RandomStreams:
    """The run's random streams, from one root key (a 63-bit integer drawn from the seed)."""

    def __init__(self, root: int) -> None:
        self.root = int(root) & _MASK

    def key(self, purpose: str, *parts: int) -> int:
        """The 64-bit key of a stream: root, purpose and any integer parts (month, index)."""
        k = _mix_int(self.root ^ purpose_id(purpose))
        for part in parts:
            k = _mix_int(k ^ (int(part) & _MASK))
        return k

    def uniform(self, purpose: str, month: int, index: np.ndarray | int, *key: int
                ) -> np.ndarray:
        """Uniform numbers in (0, 1), one per ``index`` (households, counties, ...), fixed for
        ``(purpose, month, index)`` and any further integer ``key`` parts (a founder, say)."""
        u = self.order_keys(purpose, month, index, *key).astype(np.float64)
        u += 0.5
        u *= _TO_UNIT
        return u

    def order_keys(self, purpose: str, month: int, index: np.ndarray, *key: int
                   ) -> np.ndarray:
        """Integers (uint64) in the order of :meth:`uniform`'s numbers for the same arguments,
        without making them numbers: for sorting a large pool by its draws and keeping the
        first few (above one half, :meth:`uniform` can round two neighbouring keys to one
        number; the keys keep them apart)."""
        z = np.array(index, dtype=np.uint64, ndmin=1)
        stream = np.uint64(self.key(purpose, month, *key))
        for start in range(0, len(z), HASH_BLOCK):  # in place, block by block
            block = z[start:start + HASH_BLOCK]
            np.multiply(block, _GOLDEN, out=block)
            np.add(block, stream, out=block)
            _mix(block)
            np.right_shift(block, np.uint64(11), out=block)
        return z

    def normal(self, purpose: str, month: int, index: np.ndarray | int) -> np.ndarray:
        """Standard normal numbers, one per ``index`` (the inverse CDF of :meth:`uniform`)."""
        return special.ndtri(self.uniform(purpose, month, index))

    def picks(self, purpose: str, month: int, counts: np.ndarray, sizes: np.ndarray
              ) -> np.ndarray:
        """For each group ``g`` (a county), ``counts[g]`` positions in ``range(sizes[g])``
        drawn uniformly with replacement; the ``k``-th pick of a group is fixed for
        ``(purpose, month, g, k)``, so more picks keep the earlier ones. Returns the positions,
        grouped in order, and the group of each."""
        counts = np.asarray(counts, dtype=np.int64)
        group = np.repeat(np.arange(len(counts)), counts)
        first = np.cumsum(counts) - counts
        k = np.arange(len(group)) - np.repeat(first, counts)
        u = self.uniform(purpose, month, group * PICKS_PER_GROUP + k)
        return (u * np.asarray(sizes)[group]).astype(np.int64), group

    def generator(self, purpose: str, *parts: int) -> np.random.Generator:
        """A numpy Generator of its own for ``purpose`` (and integer ``parts``)."""
        return np.random.Generator(np.random.Philox(key=self.key(purpose, *parts)))

    def poisson(self, purpose: str, month: int, index: np.ndarray, mean: np.ndarray
                ) -> np.ndarray:
        """Poisson counts with ``mean`` per ``index`` (inverse CDF of a keyed uniform)."""
        u = self.uniform(purpose, month, index)
        return stats.poisson.ppf(u, np.asarray(mean, dtype=float)).astype(np.int64)

    def binomial(self, purpose: str, month: int, index: np.ndarray, n: np.ndarray,
                 p: np.ndarray) -> np.ndarray:
        """Binomial counts of ``n`` trials with probability ``p`` per ``index`` (inverse CDF
        of a keyed uniform)."""
        u = self.uniform(purpose, month, index)
        n = np.asarray(n, dtype=np.int64)
        out = stats.binom.ppf(u, n, np.asarray(p, dtype=float))
        return np.where(n > 0, out, 0).astype(np.int64)
