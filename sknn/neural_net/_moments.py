"""Weighted means and variances of regression targets, merged over partitions.

A streamed fit standardizes its targets from one pass over the partitions.
Raw sums of ``y`` and ``y**2`` cancel catastrophically when the mean dwarfs
the spread (prices near 1e6 varying by cents): each partition keeps its own
weighted mean and sum of squared deviations instead, and two summaries merge
exactly (Chan, Golub and LeVeque's pairwise update), in any order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WeightedMoments:
    """Per target column: total weight, weighted mean, weighted squared deviations."""

    weight: float
    mean: np.ndarray
    squares: np.ndarray

    @classmethod
    def of(cls, y2: np.ndarray, weight: np.ndarray) -> WeightedMoments:
        """The moments of the rows ``y2`` (rows x columns) weighted by ``weight``."""
        total = float(weight.sum())
        if total == 0:
            zeros = np.zeros(y2.shape[1])
            return cls(0.0, zeros, zeros)
        mean = (weight @ y2) / total
        return cls(total, mean, weight @ (y2 - mean) ** 2)

    def __add__(self, other: WeightedMoments) -> WeightedMoments:
        if other.weight == 0:
            return self
        if self.weight == 0:
            return other
        total = self.weight + other.weight
        shift = other.mean - self.mean
        mean = self.mean + shift * (other.weight / total)
        squares = self.squares + other.squares + shift**2 * (self.weight * other.weight / total)
        return WeightedMoments(total, mean, squares)

    @property
    def std(self) -> np.ndarray:
        """The weighted standard deviation per column (0 for no weight)."""
        return np.sqrt(self.squares / self.weight) if self.weight > 0 else self.squares
