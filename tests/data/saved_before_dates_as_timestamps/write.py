"""Write the files ``tests/test_saved_models.py`` loads, with the package of commit 12eb437.

Run from a checkout of that commit (``git archive 12eb437 sknn | tar -x -C old``, then
``PYTHONPATH=old python write.py``): a Period column and a column of ``datetime.date``
objects named categorical, and a timedelta64[us] one, whose categories were then kept as
Periods, dates and ``datetime.timedelta``; later sknn compares them as Timestamps and
Timedeltas, and reads the categories of these files so.
"""

import datetime
import pickle
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def table() -> tuple[pd.DataFrame, np.ndarray]:
    """The table the files were fitted on; their answers on it are in expected.npz."""
    k = np.arange(120)
    X = pd.DataFrame(
        {
            "x": np.sin(k / 7.0),
            "month": pd.period_range("2024-01", periods=4, freq="M")[k % 4],
            "day": [datetime.date(2024, 1, 1 + int(i) % 3) for i in k],
            "wait": pd.Series(pd.to_timedelta(k % 3, unit="h")).dt.as_unit("us"),
        }
    )
    return X, (k % 4 >= 2).astype(int)


def main() -> None:
    from sknn import NeuralNetClassifier

    X, y = table()
    clf = NeuralNetClassifier(
        categorical_features=["month", "day", "wait"],
        hidden_layer_sizes=(16,),
        max_iter=2,
        random_state=0,
    ).fit(X, y)
    (HERE / "classifier.pkl").write_bytes(pickle.dumps(clf))
    np.savez(HERE / "expected.npz", proba=clf.predict_proba(X))
    print([c for c in clf.encoder_.categories_])


if __name__ == "__main__":
    main()
