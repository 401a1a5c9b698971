"""max_iter="auto": enough optimizer steps for a tiny table, a long schedule for a module."""

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_circles
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from sknn import NeuralNetClassifier
from sknn.training import Callback


class Epochs(Callback):
    """Records the epochs the trainer was given."""

    def on_train_begin(self, info):
        self.max_epochs = info["max_epochs"]


class SmallCNN(nn.Module):
    def __init__(self, n_classes):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )  # fmt: skip
        self.head = nn.Linear(16 * 4, n_classes)

    def forward(self, x):
        return self.head(self.features(x).flatten(1))


def _epochs(n_rows, **params):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(n_rows, 3)), np.arange(n_rows) % 2
    seen = Epochs()
    NeuralNetClassifier(max_iter=params.pop("max_iter", "auto"), callbacks=[seen], **params).fit(
        X.astype(np.float32) if "module" in params else X, y
    )
    return seen.max_epochs


def test_auto_epochs_follow_the_step_budget_the_network_and_the_user():
    # 60 rows: batches of 32, 2 an epoch, so 250 epochs make the 500 steps
    assert _epochs(60, early_stopping=False) == 250
    # 3,000 rows: 85 batches an epoch, 40 epochs already make 3,400 steps
    assert _epochs(3000) == 40
    # a module of one's own: 200 epochs for early stopping to end
    assert _epochs(3000, module=lambda n_features_in, n_classes: nn.Linear(3, 2)) == 200
    # an int is the user's: kept as given
    assert _epochs(60, max_iter=7, early_stopping=False) == 7


def test_a_tiny_two_feature_table_is_fitted_on_every_seed():
    # scikit-learn's gallery set; with 40 epochs (80 optimizer steps) some seeds
    # fell to 0.675 against the gallery MLP's 0.875
    X, y = make_circles(noise=0.2, factor=0.5, random_state=1)
    ours, theirs = [], []
    for seed in range(5):
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.4, random_state=seed, stratify=y)
        ours.append(NeuralNetClassifier(random_state=seed).fit(Xtr, ytr).score(Xte, yte))
        gallery = MLPClassifier(alpha=1, max_iter=1000, random_state=seed)
        mlp = make_pipeline(StandardScaler(), gallery)
        theirs.append(mlp.fit(Xtr, ytr).score(Xte, yte))
    assert min(ours) >= 0.8, ours
    assert np.mean(ours) >= np.mean(theirs) - 0.02, (ours, theirs)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_module_of_ones_own_trains_long_enough_by_default():
    # at 40 epochs the cosine schedule ended this CNN's learning early: 3-fold 0.955
    X, y = load_digits(return_X_y=True)
    images = (X / 16).reshape(-1, 1, 8, 8).astype(np.float32)
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    clf = NeuralNetClassifier(module=SmallCNN, random_state=0)
    assert cross_val_score(clf, images, y, cv=folds).mean() >= 0.965
