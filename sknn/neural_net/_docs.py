"""Parameter documentation shared by the flagship estimators.

The classifier and the regressor take the same parameters but a few; each
entry is written once here, and :func:`document_parameters` assembles a
class's ``Parameters`` section in the order of its signature, failing at
import if a parameter has no entry.
"""

from __future__ import annotations

import inspect

SHARED = {
    "hidden_layer_sizes": """\
hidden_layer_sizes : int, tuple of int or "auto", default="auto"
    Width of each hidden layer. ``"auto"``: one layer of 256 (with the
    piecewise-linear embeddings, the lean default: its fit takes about 0.6
    times the time of ``(256, 256)`` with periodic embeddings, the defaults
    before, at the same accuracy on the benchmarks), or one layer of 64 on
    a micro table of under 64 training rows (after the validation split),
    where a small network overfits less; the widths a fit used are
    ``hidden_layer_sizes_``. More layers are an option for large,
    interaction-heavy tables.""",
    "activation": """\
activation : {"relu", "gelu", "silu", "selu", "tanh", "logistic", "identity"}, \
        default="relu"
    Activation between layers.""",
    "dropout": """\
dropout : float, default=0.0
    Dropout probability after each hidden layer.""",
    "numeric_embedding": """\
numeric_embedding : {"auto", "piecewise", "periodic"} or None, default="auto"
    ``"piecewise"`` embeds each scaled numeric feature as itself plus 3
    learned piecewise-linear functions of it with knots at 16 quantile bins
    of the training data (the PLE embedding of Gorishniy et al. 2022 and
    TabM; beyond the training range the outer pieces continue linearly),
    which lets the network fit sharp, non-monotone effects of single
    features; ``"periodic"`` as itself plus learned periodic functions of
    it (RealMLP's PBLD embedding, 4 values per feature); ``None`` feeds the
    scaled values directly. ``"auto"``: ``"piecewise"``, or ``None`` under
    64 training rows (16 quantile bins of a few dozen rows would be
    per-feature lookup tables) and for a sparse ``X`` of more than 1,000
    columns (text features), which stays sparse (its columns, scaled by their
    largest absolute value, meet the first layer through their non-zeros
    only; an embedding is refused there; a narrower one is made dense);
    the choice a fit made is
    ``numeric_embedding_`` (its width per feature
    ``numeric_embedding_width_``).""",
    "feature_scale": """\
feature_scale : bool, default=True
    Multiply the embedded input by a learned per-feature factor before the
    hidden layers (RealMLP's "front scale", trained at 6 times the
    learning rate), so the network can quickly mute uninformative columns.""",
    "n_ensemble": """\
n_ensemble : int or "auto", default="auto"
    Members of an implicit ensemble (TabM-mini): each member multiplies
    the embedded input by its own vector, all share the hidden layers,
    each has its own output layer; training minimizes the mean of the
    members' losses and predictions average their probabilities (their
    values, for regression). Training and prediction cost grow about
    linearly with it; 1 gives a single network. ``"auto"``: 4 members in
    4 cross-fitted groups where ``early_stopping="auto"`` cross-fits (up
    to 20,000 rows; a classifier's under 5,000); otherwise 16 members on a
    micro table of under 64 training rows, 8 below 2,000 training rows
    (after the validation split), where their averaging cuts the variance
    of a small table, and 4 from there, where more members cost time but
    barely add accuracy. The number a fit used is
    ``n_ensemble_``, its groups ``n_groups_``. ``numeric_embedding``,
    ``feature_scale`` and ``n_ensemble`` shape the built-in network only:
    a custom ``module`` is used as given.""",
    "optimizer": """\
optimizer : {"adamw", "adam", "sgd"} or a torch.optim class, default="adamw"
    Optimizer; fused into one kernel per step where torch supports it.
    Adam and AdamW use ``betas=(0.9, 0.95)`` unless ``optimizer__betas``
    says otherwise; ``"sgd"`` uses momentum 0.9. Out-of-range
    ``optimizer__*`` values (``eps`` < 0, ``betas`` outside [0, 1),
    ``momentum`` outside [0, 1]) are refused before training. A class gets
    ``weight_decay`` only if it takes one (set ``weight_decay=0`` for one
    that does not); one whose ``step`` needs a closure (LBFGS) is refused.
    Under ``"adamw"`` (or ``"adam"`` without weight decay) on the CPU, a
    categorical column of 65,534 levels or more steps only the embedding rows each batch
    meets; the others take the steps they missed in closed form when a batch
    next meets them or the epoch ends: AdamW's steps (to float rounding, up to
    ``eps`` where gradients are below about 1e-6) at a cost set by the
    batches, not the levels (``benchmarks/many_categories.py``).""",
    "learning_rate": """\
learning_rate : float or "auto", default="auto"
    Base learning rate. ``"auto"``: 1.5e-3 for batches of 32 rows, growing
    with the 0.35th power of the batch size (2.4e-3 at 128 rows, 4e-3 at
    512), as a larger batch averages out more noise. Under 64 training rows
    (a micro table overfits at the higher rate), for a regressor's ``loss``
    other than ``"squared_error"``, a ``criterion``, a custom ``module`` and
    ``partial_fit``: 1e-3 at 32 rows, growing with the square root of the
    batch size (less on batches under 32). The rate a fit used is
    ``learning_rate_``.""",
    "weight_decay": """\
weight_decay : float, default=1e-4
    Weight decay (decoupled for AdamW, L2 for Adam and SGD).""",
    "batch_size": """\
batch_size : int or "auto", default="auto"
    Rows per gradient step; ``"auto"`` uses about 4% of the training rows,
    rounded to a power of two between 32 and 512. A step takes at most the
    training rows: a larger ``batch_size`` trains on all of them each step.""",
    "max_iter": """\
max_iter : int or "auto", default="auto"
    Maximum number of epochs, and the length of the cosine schedule: the rate
    anneals to 0 within the epochs a fit runs. ``"auto"``: 40 epochs for
    sknn's own network (early stopping ends most default fits after 15-35;
    a longer schedule would stop them at nearly the full rate), 200 for a
    ``module`` of your own (its needs are unknown; early stopping decides),
    and in both cases at least as many as make 500 optimizer steps, so a
    table of a few dozen rows is still fitted. ``partial_fit`` trains one
    epoch a call at a constant rate, whatever ``max_iter``, ``lr_schedule``,
    ``tol`` and ``n_iter_no_change`` say (as scikit-learn's MLP's does).""",
    "lr_schedule": """\
lr_schedule : {"cosine", "constant", "plateau"}, default="cosine"
    Per-epoch learning-rate schedule. ``"plateau"`` halves the rate after
    ``n_iter_no_change // 2`` epochs without a new best monitored loss (any
    decrease counts; ``tol`` is early stopping's).""",
    "validation_fraction": """\
validation_fraction : float, default=0.1
    Share of the data held out for early stopping when it holds out one
    split (a cross-fitted fit validates every row, and warns that another
    value than the default has no effect; see ``early_stopping``).""",
    "n_iter_no_change": """\
n_iter_no_change : int, default=5
    Patience of early stopping, in epochs. The best epoch's weights are
    restored, so a longer patience only trains epochs that are thrown away
    unless the loss improves again. Without a validation split
    (``early_stopping=False``, or ``"auto"`` under 64 rows) the training
    loss is watched instead, as in scikit-learn's MLP: the fit ends once it
    has not improved by ``tol`` for this many epochs, keeping the last
    weights. An epoch of a small table is a few optimizer steps, so there
    the patience is a few dozen steps.""",
    "tol": """\
tol : float, default=1e-4
    Minimum improvement of the monitored loss.""",
    "shuffle": """\
shuffle : bool, default=True
    Reshuffle the training rows every epoch.""",
    "device": """\
device : str or torch.device, default="auto"
    ``"auto"`` uses CUDA or MPS when present, else the CPU; a torch tensor
    given on a GPU under Array API dispatch trains on that GPU.""",
    "n_threads": """\
n_threads : int or None, default=None
    CPU threads for training. ``None`` chooses: one thread for small
    networks; for larger ones sknn times batches on one thread and on the
    caller's limit (``torch.get_num_threads()``, which follows
    ``OMP_NUM_THREADS``, threadpoolctl and joblib's workers) while it trains,
    keeps the faster, and checks again every few seconds, so a busy machine
    does not stall it. An int pins the count. Batches of up to about 1,000
    rows times ensemble members (128 rows of 8 members) give the same model
    whatever the count; in larger ones torch sums some gradients in an order
    that follows the threads, so the last digits differ and grow over a long
    fit: pin ``n_threads`` (or set ``OMP_NUM_THREADS``) where refits must be
    bit-identical.""",
    "data_parallel": """\
data_parallel : {"dask"} or None, default=None
    ``"dask"`` trains one fit on every worker of the running Dask client
    (``dask.distributed.get_client()``), data-parallel: each worker takes its
    share of every batch and the gradients are summed over the workers
    (``torch.distributed``, gloo), on their CPUs. ``batch_size`` and the
    learning rate are the global batch's, the row order is the one a single
    process draws, and the fitted model is an ordinary one: on rows in
    memory and without dropout (each rank draws its own masks), equal to a
    single-process fit of one held-out split up to float rounding (it does
    not cross-fit; see ``early_stopping``). The encoding and the validation
    split are computed here; each worker receives the encoded rows. A Dask
    DataFrame is not gathered: the one pass over its partitions fits the
    encoder and picks the validation rows, then each worker streams its own
    partitions (``rank, rank + k, ...`` of ``k`` workers), each step taking its
    share of the batch from its rows (another order than one process's: a
    model as good, not the same). Each worker runs in a process of its
    own (``processes=True``); progress bars print in the workers' logs. The
    workers must be able to open TCP connections to the first worker.""",
    "callbacks": """\
callbacks : list of sknn.training.Callback, default=None
    Extra hooks called at the start, after each epoch and at the end.""",
    "random_state": """\
random_state : int, RandomState instance or None, default=None
    Seeds weight initialisation, shuffling, dropout and the validation
    split; an int makes fits reproducible (bit for bit at a fixed thread
    count: see ``n_threads``). Predictions are deterministic: calls of up to
    4,096 rows on the CPU run sknn's network in float64, so a row gets the
    same answer alone or among others to float64's last digits; larger calls
    run in float32 (twice as fast), about 1e-7 apart from those.""",
    "verbose": """\
verbose : int, default=0
    0 prints nothing, 1 shows a progress bar, 2 also prints every epoch.
    ``partial_fit`` prints its epoch's line at 1 and 2.""",
    "warm_start": """\
warm_start : bool, default=False
    Continue from the previous fit's weights and optimizer state. When what
    the network is built from has changed since (its layers, activation,
    ensemble, embeddings, ``module``, ``module__*``, ``encoder__*``), it
    warns and trains a new network; a changed ``optimizer``,
    ``weight_decay``, ``lr_multipliers``, ``frozen`` or ``optimizer__*``
    takes effect with a new optimizer over the fitted weights (train a head
    with the backbone frozen, then set ``frozen=None`` to fine-tune it all).
    A continued fit draws on from the first fit's random stream and replays
    its validation split (a new ``random_state`` applies from the next new
    network); it warns when the rows it validates may be ones an earlier
    fit of a table of as many rows trained on (after ``early_stopping=False``
    or ``partial_fit``, or another ``validation_fraction``). The encoder and
    a regressor's target scaling stay those of the fit that built the network
    (new categories warn): targets far from those train slowly, so fit anew
    (``warm_start=False``) for another scale. A fit that raises leaves the
    previous model as it was.""",
    "categorical_features": """\
categorical_features : "from_dtype", array-like of str, int or bool, or None, \
        default="from_dtype"
    Which columns are categorical: ``"from_dtype"`` takes ``category``,
    ``object`` and string columns of a DataFrame; or a list of column names,
    indices, or a boolean mask (integer-coded categoricals can be named
    here); ``None`` treats every column as numeric. Categories with at most
    8 levels are one-hot encoded, larger ones get learned embeddings; missing
    and unseen categories have their own codes. A code no training row had
    (a category unseen at fit, a missing value where the fit had none) is
    answered as an average category: its embedding is set to the trained
    ones' mean. Wrappers that turn a DataFrame into an array
    (``BaggingRegressor``, stacking's ``passthrough``) drop ``category``
    dtypes and column names: list integer-coded categories here by position.
    See :class:`~sknn.preprocessing.TabularEncoder`.""",
    "frozen": """\
frozen : list of str, default=None
    Glob patterns of parameter names to freeze (e.g. ``["backbone.*"]``), in a
    module of your own or in sknn's network (``module_.named_parameters()``
    lists the names); a pattern that matches no parameter is refused.""",
    "lr_multipliers": """\
lr_multipliers : dict of str to float, default=None
    Glob pattern of parameter names -> factor (finite, >= 0) on
    ``learning_rate`` for them (e.g. ``{"backbone.*": 0.1}`` to fine-tune a
    pretrained part gently). Your patterns win over the built-in network's
    own factors (6 on its input scale ``"scale.*"``, 0.1 on periodic
    embeddings); a pattern that matches no trainable parameter is refused.""",
    "**kwargs": """\
**kwargs : ``module__*``, ``optimizer__*``, ``criterion__*`` and ``encoder__*`` parameters
    Passed to the module's constructor, the optimizer (``optimizer`` may
    also be a ``torch.optim`` class), the criterion and the
    :class:`~sknn.preprocessing.TabularEncoder` (e.g.
    ``encoder__max_onehot_cardinality``; ``categorical_features`` stays
    the estimator's own parameter); visible to ``get_params`` (with
    ``deep=True`` every encoder parameter is listed), ``set_params`` and
    ``GridSearchCV``. A name that reaches nothing is refused by
    ``set_params`` (and at fit, when given to ``__init__``), naming what it
    can reach: ``module__*`` without a ``module``, ``criterion__*`` without a
    ``criterion``, a name the target does not take, or one that restates an
    own parameter (``optimizer__lr``, ``optimizer__weight_decay``:
    set ``learning_rate``, ``weight_decay``). A ``module__*`` value wins over
    the size sknn would pass under the same name (``n_features_in``,
    ``n_outputs``, ``n_classes``).""",
}


# the fitted attributes both estimators have, for a class docstring's ``%(fitted)s``
SHARED_ATTRIBUTES = """\
encoder_ : sknn.TabularEncoder
    The fitted table encoder (absent with a custom ``module``).
optimizer_ : torch.optim.Optimizer or sknn.training.optim.FusedAdam
    The optimizer with its state, so that ``warm_start`` and
    ``partial_fit`` continue where the last fit stopped.
device_ : torch.device
    The device the network lives on.
n_threads_ : int
    The CPU thread count the last fit ended with (see ``n_threads``).
learning_rate_ : float
    The base learning rate of the last fit: ``learning_rate``, or what
    ``"auto"`` made of it for that fit's batch size.
hidden_layer_sizes_ : tuple of int
    The hidden layer widths of the built-in network (``hidden_layer_sizes``,
    or what ``"auto"`` made of it for the training rows; ``()`` with a
    custom ``module``).
numeric_embedding_ : str or None
    The numeric embedding of the built-in network (``numeric_embedding``,
    or what ``"auto"`` made of it; None with a custom ``module``).
numeric_embedding_width_ : int or None
    Values per numeric feature of that embedding: the feature itself and
    ``numeric_embedding_width_ - 1`` learned functions of it (4 for both
    embeddings; None without one).
n_ensemble_ : int
    Members of the built-in network's implicit ensemble: ``n_ensemble``,
    or what ``"auto"`` made of it for the training rows (1 with a custom
    ``module``).
n_groups_ : int
    Groups of members with embeddings and hidden layers of their own: 4
    for a cross-fitted fit (see ``early_stopping``), else 1.
history_ : sknn.training.History
    One dict per epoch: ``train_loss`` (the plain loss), ``valid_loss``
    (the same loss of the held-out rows; for a classifier that fits
    ``temperature_``, after the temperature fitted to that epoch),
    ``valid_score``, ``lr`` (the
    learning rate of the epoch: ``learning_rate_`` times the schedule),
    ``seconds``, and ``train_objective`` when label smoothing changes
    the loss being minimized; ``history_.plot()`` draws the losses and
    marks the best epoch. Losses and scores are weighted by
    ``sample_weight`` (and ``class_weight``: a balanced validation score
    is not plain accuracy); a regressor's losses are of its standardized
    targets (divided by the mean for a log link), comparable across
    tables, not in the targets' units.
loss_curve_ : list of float
    ``train_loss`` per epoch, every epoch trained: after a divergence (a
    ``RuntimeWarning``), the last entry is the diverged epoch's NaN or
    exploded loss, though the model holds the weights of ``best_epoch_``.
best_epoch_ : int or None
    Epoch with the lowest monitored loss (the validation loss with early
    stopping, else the training loss); with early stopping, and after a
    divergence, the model holds its weights. A warm start judges the
    weights it begins with first, as the epoch they came from, and keeps
    them unless one of its epochs does better.
n_iter_ : int
    Epochs trained so far.
n_features_in_ : int
    Number of input features.
feature_names_in_ : ndarray of shape (n_features_in_,)
    Column names, when ``X`` had string column names.\
"""


def document_parameters(**task_specific: str):
    """Fill a class docstring's ``%(parameters)s`` with its parameters' entries.

    Its ``%(fitted)s``, if any, becomes :data:`SHARED_ATTRIBUTES`.

    Parameters
    ----------
    **task_specific : str
        Entries for parameters not in :data:`SHARED` (or that differ for this
        class), by name; ``kwargs`` for ``**kwargs``.

    Returns
    -------
    decorator : callable
        Applies to the class and returns it.
    """

    def decorate(cls):
        entries = {**SHARED, **{_key(k): v for k, v in task_specific.items()}}
        signature = inspect.signature(cls.__init__)
        parts = []
        for p in signature.parameters.values():
            if p.name == "self":
                continue
            name = "**kwargs" if p.kind is p.VAR_KEYWORD else p.name
            if name not in entries:
                raise TypeError(f"{cls.__name__}: no documentation for parameter {name!r}.")
            parts.append(_indent(entries[name]))
        section = "Parameters\n    ----------\n" + "\n".join(parts)
        doc = cls.__doc__.replace("%(parameters)s", section)
        cls.__doc__ = doc.replace("%(fitted)s", _indent(SHARED_ATTRIBUTES).lstrip())
        return cls

    return decorate


def _key(name: str) -> str:
    return "**kwargs" if name == "kwargs" else name


def _indent(entry: str) -> str:
    return "\n".join(("    " + line) if line else line for line in entry.strip("\n").split("\n"))
