"""TabularEncoder speaks up about columns that will not do what the user expects."""

import warnings

import numpy as np
import pandas as pd
import pytest

from sknn import NeuralNetRegressor, TabularEncoder


def table(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(size=n), "shop": rng.choice(["a", "b", "c"], n)})


def test_an_identifier_column_is_named_with_the_fix():
    X = table().assign(customer=[f"id{i}" for i in range(3000)])
    with pytest.warns(UserWarning, match=r"'customer' looks like an identifier.*Drop it"):
        TabularEncoder().fit(X)


def test_an_all_missing_column_is_named():
    X = table().assign(empty=np.nan, nothing=None)
    with pytest.warns(UserWarning, match="has only missing values") as record:
        TabularEncoder().fit(X)
    messages = " ".join(str(w.message) for w in record)
    assert "'empty' has only missing values" in messages
    assert "'nothing' has only missing values" in messages


def test_values_of_another_type_at_prediction_are_named():
    X = table()
    X["store"] = np.random.default_rng(1).integers(1, 20, len(X)).astype(str)
    X["store"] = X["store"].astype(object)
    est = NeuralNetRegressor(max_iter=1, random_state=0).fit(X, X["x"])
    new = X.head(5).assign(store=[1, 2, 3, 4, 5])  # integers now, strings at fit
    with pytest.warns(UserWarning, match=r"'store' held strings at fit but holds numbers"):
        est.predict(new)


def test_a_batch_mixing_types_is_counted_whatever_its_first_value():
    enc = TabularEncoder().fit(pd.DataFrame({"s": ["1", "2", "3"] * 5}))
    for values in (["1", 2], [2, "1"]):  # the first value alone decided before: ["1", 2] passed
        with pytest.warns(UserWarning, match=r"'s' held strings .* so 1 of its values are"):
            enc.transform(pd.DataFrame({"s": pd.Series(values, dtype=object)}))


def test_a_categorical_column_of_bools_takes_zero_and_one_and_names_strings():
    X = table().assign(member=np.arange(3000) % 3 == 0)
    enc = TabularEncoder(categorical_features=["shop", "member"]).fit(X)
    head = X.head(6)
    as_bools = enc.transform(head)
    # 0/1 are False/True, as Python compares them: before, every row was unseen, silently
    for numbers in (head["member"].astype(int), head["member"].astype(float)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            np.testing.assert_array_equal(enc.transform(head.assign(member=numbers)), as_bools)
    strings = head.assign(member=head["member"].astype(str))
    with pytest.warns(UserWarning, match=r"'member' held booleans.*\.map\("):
        enc.transform(strings)


def test_ordinary_tables_stay_quiet():
    X = table()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TabularEncoder().fit(X).transform(X.head())
