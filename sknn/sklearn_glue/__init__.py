"""scikit-learn glue that every sknn estimator family shares, beyond ``BaseEstimator``.

What lives here: ``callbacks.py`` wires scikit-learn 1.9's callback API
(``sklearn.callback``: ``set_callbacks``, a task per fit and one per epoch)
into sknn's trainer; ``feature_names.py`` checks a plain array's feature
names and count as scikit-learn does, at a fraction of the cost;
``input_types.py`` names the types the public ``fit``/``predict``/
``transform`` signatures accept. It imports scikit-learn and
:mod:`sknn.training` only, and may be imported by any estimator family
(:mod:`sknn.neural_net`, :mod:`sknn.mlp`, :mod:`sknn.pretrained`,
:mod:`sknn.preprocessing`) and by :mod:`sknn.onnx`. Where the next capability
plugs in: scikit-learn's Array API dispatch (torch tensors in and out) gets
its namespace-and-device helpers here, so that both families read the input's
namespace the same way; a new piece of scikit-learn protocol that two
families need goes here, not into either family.
"""
