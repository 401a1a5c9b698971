"""The classifier's own parameter entries, for :func:`._docs.document_parameters`."""

CLASSIFIER_PARAMETERS = dict(
    early_stopping="""\
early_stopping : bool or "auto", default="auto"
    Hold out ``validation_fraction`` of the data (stratified), stop after
    ``n_iter_no_change`` epochs without a validation-loss improvement of
    ``tol``, and restore the weights of the best epoch. ``"auto"`` does so
    whenever the validation set would have at least 10 rows; otherwise
    training stops when the training loss stalls. From 64 to 4,999 rows the
    built-in network (not with periodic embeddings, a callable ``criterion``,
    ``data_parallel``, or ``n_ensemble`` not a multiple of 4) cross-fits
    instead: 4 stratified folds, members
    in 4 groups with embeddings and hidden layers of their own; group ``g``
    trains on the rows outside fold ``g`` and validates (and calibrates)
    fold ``g``. Every row trains and validates; predictions average all.""",
    module="""\
module : torch.nn.Module class, factory or instance, default=None
    Your own network instead of the built-in tabular MLP. A class or factory
    is called with ``module__*`` parameters and, for the arguments its
    signature names, the sizes inferred from the data (``n_features_in``,
    ``n_outputs``, ``n_classes``); an instance is copied, never trained in
    place. It returns logits (sknn applies softmax/sigmoid): ``(n, n_classes)``
    (for two classes also ``(n,)`` or ``(n, 1)``, the second class's logit),
    ``(n, n_labels)`` for multilabel targets, or ``(n, k, ...)`` of those
    for a k-member ensemble; any other shape is a ``ValueError`` at the first
    batch of ``fit`` and at prediction. ``X`` may
    then be any numeric array whose first axis is samples (images, token
    ids) or a dict of arrays passed to ``forward`` as keyword arguments.""",
    criterion="""\
criterion : torch loss class or callable, default=None
    Another loss than cross-entropy; a class is built with
    ``reduction="none"`` and ``criterion__*`` so sample weights apply. It
    gets the logits and the class indices.""",
    class_weight="""\
class_weight : dict, "balanced" or None, default=None
    Weights per class, multiplied into ``sample_weight``. ``"balanced"``
    needs the whole ``y``: :meth:`partial_fit` on in-memory chunks refuses it
    (pass the dict from :func:`~sklearn.utils.class_weight.compute_class_weight`
    instead); on a Dask collection it counts the collection's classes.""",
    label_smoothing="""\
label_smoothing : float in [0, 1) or "auto", default="auto"
    Train against targets that put this much probability mass evenly on
    all classes; it keeps the network from growing overconfident and
    usually raises accuracy, and ``temperature_``, fitted on held-out rows,
    undoes its pull of the probabilities towards uniform. ``"auto"``: 0.1
    where the fit holds rows out (a validation split or cross-fitting) and
    each row has one label; else 0: without held-out rows no temperature
    undoes it (at 1% positives the mean probability was 0.057), and one
    temperature cannot undo it for a rare label of a multilabel target.
    ``partial_fit`` goes on with the value its model was fitted with (its
    temperature is kept). The value used is ``label_smoothing_``; one set
    here is used as it is (with a warning where no held-out rows fit a
    temperature, and none is kept). The validation loss early stopping
    watches (``valid_loss`` in ``history_``) is the plain cross-entropy
    after the temperature fitted to that epoch: what ``predict_proba``
    would score on the held-out rows had the fit ended there (weighted as
    the fit weighs them; a cross-fitted fit scores each row out of fold),
    whatever the smoothing (the raw loss judged epochs mostly by the
    smoothing's pull: at 0.5% positives every negative row cost about
    -log(0.95)).
    Ignored with a ``criterion``.""",
)
