"""Telling when a fit has diverged: a loss that is not finite, or one that exploded.

A loss can blow up and stay finite (AdamW at ``learning_rate=10`` on a
standardized regression: ~1e20 for epochs on end), so "not NaN" is not
enough. A loss has exploded when it is at once far above the best value seen
so far and above its value before training: a fit that has only overfitted
(a training loss that falls to 1e-4 and bounces to 1e-2) is left alone.
"""

from __future__ import annotations

import math

# how far above its best (and above its start) a loss must rise to count as exploded
EXPLOSION_FACTOR = 100.0
# ... and never below this: sknn's own losses start near 1 (standardized
# targets, cross-entropy), and a tiny loss that grows tiny-fold (one training
# row, a perfect fit) has not exploded
MIN_EXPLODED_LOSS = 1.0

_NAMES = {"train_loss": "training loss", "valid_loss": "validation loss"}


class DivergenceGuard:
    """Watch the epoch losses and say why the fit diverged, if it did.

    Parameters
    ----------
    factor : float, default=100.0
        A loss diverges when it exceeds ``factor`` times its lowest value so
        far (the value before training included), its value before training
        and ``MIN_EXPLODED_LOSS``.
    """

    def __init__(self, factor: float = EXPLOSION_FACTOR):
        self.factor = factor
        self.start: float | None = None
        self.lowest: dict[str, float] = {}

    def begin(self, start: float | None) -> None:
        """Record the loss before training (``None`` or non-finite: compare epochs only)."""
        self.start = start if start is not None and math.isfinite(start) else None
        self.lowest = {}

    def check(self, losses: dict[str, float | None]) -> str | None:
        """Why the epoch with these losses diverged, in words, or ``None`` if it did not."""
        for key, value in losses.items():
            if value is None:
                continue
            name = _NAMES.get(key, key)
            if not math.isfinite(value):
                return f"the {name} became {value}"
            floor = min(self.lowest.get(key, math.inf), self.start or math.inf)
            above_start = self.start is None or value > self.start
            limit = max(self.factor * floor, MIN_EXPLODED_LOSS)
            if 0 < floor < math.inf and value > limit and above_start:
                return f"the {name} exploded to {value:.3g}, from a lowest of {floor:.3g}"
            self.lowest[key] = min(self.lowest.get(key, math.inf), value)
        return None
