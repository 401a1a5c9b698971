"""scikit-learn glue that every sknn estimator family shares, beyond ``BaseEstimator``.

Lives here: ``callbacks.py`` (scikit-learn 1.9's callback API,
``sklearn.callback``: ``set_callbacks``, a task per fit and one per epoch,
wired into sknn's trainer), ``feature_names.py`` (a plain array's feature
names and count checked as scikit-learn checks them, cheaply),
``input_types.py`` (the types the public ``fit``/``predict``/``transform``
signatures accept), ``fit_state.py`` (a fit that raises leaves the estimator
as it was), ``targets.py`` (missing or mixed-type labels and text regression
targets refused, naming the rows and the fix, before scikit-learn sorts or
converts them) and ``decorators.py`` (scikit-learn's ``_fit_context`` and
``available_if``, declared to keep the signatures they wrap, so that type
checkers see them) and ``dask_collections.py`` (a Dask DataFrame or Array
answered partition by partition as a lazy Dask Array, scores summed over
partitions in one pass, the drop-ins' refusal), ``dask_pairing.py`` (the
rows of ``X``, ``y`` and ``sample_weight`` paired partition by partition,
never by index labels that repeat) and ``array_api.py``
(scikit-learn's Array API dispatch: the four estimators' and
``TabularEncoder``'s methods take torch tensors and other namespaces' arrays,
pass numeric tensors on to sknn's own encoder as they are, read the others
on the host, and answer in ``X``'s namespace and device; tensors that
require grad refused). It imports
scikit-learn (with numpy, scipy and pandas), :mod:`sknn.training`, and Dask
only when an input already is a Dask collection.
Imported by: :mod:`sknn.neural_net`, :mod:`sknn.mlp`, :mod:`sknn.preprocessing`,
:mod:`sknn.pretrained` (and any future estimator family). Next: the drop-ins' and user modules'
inputs kept on their device too (today they visit the host once), through
``array_api.py``; any other piece of scikit-learn protocol that two families
need goes here, not into either.
"""
