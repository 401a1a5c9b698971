"""Training on tensors: the loop, schedules, early stopping, callbacks, threads.

Knows tensors and modules; knows nothing of DataFrames or scikit-learn.
"""

from sknn.training.callbacks import Callback, ProgressBar
from sknn.training.device import resolve_device
from sknn.training.early_stopping import EarlyStopping
from sknn.training.history import History
from sknn.training.threads import recommended_threads, torch_threads
from sknn.training.trainer import Trainer, TrainingData

__all__ = [
    "Callback",
    "EarlyStopping",
    "History",
    "ProgressBar",
    "Trainer",
    "TrainingData",
    "recommended_threads",
    "resolve_device",
    "torch_threads",
]
