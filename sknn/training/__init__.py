"""Training on tensors: the loop, schedules, early stopping, callbacks, threads.

Lives here: ``trainer.py`` (the loop), ``data.py`` (training data: whole
tensors on the device, batches sliced by index), ``optim.py`` (fused
optimizer steps) and ``optim_checks.py`` (their options, refused before a
step), ``lazy_rows.py`` (embedding tables of many rows stepped by the rows a
batch meets, the others' steps taken later in closed form), ``schedules.py``,
``early_stopping.py``, ``divergence.py``, ``callbacks.py`` and ``history.py``,
``losses.py`` (task losses, regression deviances and pinball losses, the
ensemble contract), ``streams.py`` (training data larger than memory),
``metrics.py``, ``calibration.py`` (temperature scaling), ``device.py``,
``threads.py`` and ``thread_tuner.py`` (torch's thread count, measured while
training), ``generator.py`` (torch's global generator, seeded by one block at a
time). It knows
tensors and modules, nothing of DataFrames or scikit-learn
(``tests/test_structure.py`` checks it), and imports nothing else of sknn.
Imported by: both estimator families, :mod:`sknn.sklearn_glue`,
:mod:`sknn.pretrained`, :mod:`sknn.onnx`, tests. The trainer takes its
batches from its training data: in-memory tensor slices (``TrainingData``)
or chunks loaded a buffer at a time (``streams.py``'s ``ChunkStream``).
``data_parallel.py`` runs the same trainer on several ranks: each takes its
share of every global batch (``ShardedData``) and the gradients are summed
with ``torch.distributed`` between the backward pass and the optimizer step,
the epoch's losses after the epoch (``RankGroup``, the trainer's ``ranks``).
The estimators start those ranks on an engine's workers (Dask) and come back
as one ordinary fitted model. Next: summing each layer's gradients while the
backward pass goes on (buckets, as DistributedDataParallel does), for the
small global batches whose sum is a quarter of a step.
"""

from sknn.training.callbacks import Callback, ProgressBar, TrainingInterrupted
from sknn.training.data import TrainingData
from sknn.training.device import resolve_device
from sknn.training.early_stopping import EarlyStopping
from sknn.training.history import History
from sknn.training.threads import recommended_threads, torch_threads
from sknn.training.trainer import Trainer

__all__ = [
    "Callback",
    "EarlyStopping",
    "History",
    "ProgressBar",
    "Trainer",
    "TrainingData",
    "TrainingInterrupted",
    "recommended_threads",
    "resolve_device",
    "torch_threads",
]
