"""The flagship estimators: :class:`NeuralNetClassifier` and :class:`NeuralNetRegressor`.

Lives here: one concept a file. ``_base.py`` is the story of a fit and a
prediction (validate, encode, plan, train, finish; encode, run, link);
``_classifier.py`` and ``_regressor.py`` what each task adds; ``_inputs.py``
the input paths (a table through the :class:`~sknn.TabularEncoder` into
sknn's network, or arrays into the user's module); ``_plan.py`` the training
plan (split, tensors, rate, optimizer, schedule, stopper); ``_shape.py`` the
network's shape for a table (widths, numeric embedding, members); ``_cross_fit.py`` the
cross-fitted split of small tables (folds, groups, out-of-fold validation); ``_custom.py`` a user's
own module (building, freezing, losses); ``_routed.py`` the routed
``module__*``/``optimizer__*``/``criterion__*``/``encoder__*`` parameters
and what each reaches; ``_outputs.py``
the output-shape contract; ``_links.py`` the output links; ``_targets.py``
class codes, class weights and standardized targets;
``_regression_losses.py`` what each regression ``loss=`` means (target
checks, target encoding, torch loss, link); ``_intervals.py`` conformal
prediction intervals from the validation rows; ``_docs.py`` the
parameter documentation both estimators share; ``_persistence.py`` saving
without torch objects; ``_streamed.py`` the fit on a Dask DataFrame (one pass
for the statistics, then the partitions as a
:class:`~sknn.training.streams.ChunkStream`); ``_data_parallel.py`` the fit
on a Dask cluster's workers (``data_parallel="dask"``: each trains on its
share of every batch through :mod:`sknn.training.data_parallel`). It imports
the floors below it (:mod:`sknn.nn`, :mod:`sknn.training`,
:mod:`sknn.preprocessing`, :mod:`sknn.sklearn_glue`),
never its sibling :mod:`sknn.mlp`. Imported by: the public face :mod:`sknn`,
:mod:`sknn.onnx`, tests and benchmarks. Next: a new regression loss is a torch loss in
:mod:`sknn.training.losses` and a branch of ``_regression_losses.py`` (its
target check and encoding), with its link in ``RegressorLink``, which
``predict`` and the ONNX graph share; a data-parallel fit of a Dask DataFrame
runs ``_streamed.py``'s pass once, then each worker steps a ``RankStream`` of
its own partitions in ``_data_parallel.py``'s ranks (an engine other than
Dask starts the same ranks on its workers); torch tensors in and out enter
through the input path, which reads their namespace and device once.
"""

from sknn.neural_net._classifier import NeuralNetClassifier
from sknn.neural_net._regressor import NeuralNetRegressor

__all__ = ["NeuralNetClassifier", "NeuralNetRegressor"]
