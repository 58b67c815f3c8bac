"""Trains the churn model in SageMaker script mode.

Runs unchanged in SageMaker's scikit-learn framework container, and
locally under `kaizen`: `python3 train.py --name value ...` with one
argument per hyperparameter of the policy, every CSV under
SM_CHANNEL_TRAIN (a header each: one file per day of the training
window) and SM_MODEL_DIR for the model, uploaded as model.tar.gz.

Bad input writes the reason to <SM_OUTPUT_DIR>/failure (SageMaker's
/opt/ml/output/failure) and exits 1: the job fails with that text as
its FailureReason, and kaizen records it on the run.
"""

import argparse
import glob
import json
import os
import sys

import joblib
import numpy as np
import sklearn
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline

from tabular import DataError, columns, read_csv


def arguments():
    env = os.environ.get
    parser = argparse.ArgumentParser(description="Trains the churn model.")
    parser.add_argument("--label", default="churned",
                        help="the 0/1 label column")
    parser.add_argument("--features", default="",
                        help="comma-separated feature columns in model "
                             "order (default: every other column)")
    parser.add_argument("--n_estimators", type=int, default=100)
    parser.add_argument("--max_depth", type=int, default=3)
    parser.add_argument("--learning_rate", type=float, default=0.1)
    parser.add_argument("--subsample", type=float, default=1.0)
    parser.add_argument("--random_state", type=int, default=0)
    parser.add_argument("--model-dir",
                        default=env("SM_MODEL_DIR", "/opt/ml/model"))
    parser.add_argument("--train",
                        default=env("SM_CHANNEL_TRAIN",
                                    "/opt/ml/input/data/train"))
    parser.add_argument("--output-dir",
                        default=env("SM_OUTPUT_DIR", "/opt/ml/output"))
    # A policy may pass hyperparameters this version does not know yet.
    args, unknown = parser.parse_known_args()
    if unknown:
        print(f"ignoring unknown arguments: {' '.join(unknown)}",
              file=sys.stderr)
    return args


def load(folder, label, features):
    """Every CSV under the channel, oldest day first.

    Returns (x, y, features, paths).
    """
    pattern = os.path.join(folder, "**", "*.csv")
    paths = sorted(glob.glob(pattern, recursive=True))
    if not paths:
        raise DataError(f"no .csv file in the train channel ({folder})")
    xs, ys = [], []
    for path in paths:
        name = os.path.basename(path)
        header, rows = read_csv(path)
        if label not in header:
            raise DataError(
                f"label column {label!r} is not in {name}: "
                f"its columns are {', '.join(header)}"
            )
        if not features:
            features = [column for column in header if column != label]
        y = columns(name, header, rows, [label])[:, 0]
        bad = ~np.isin(y, (0.0, 1.0))
        if bad.any():
            line = int(np.argmax(bad)) + 2
            raise DataError(f"{name}:{line}: label {label!r} is not 0 or 1")
        xs.append(columns(name, header, rows, features))
        ys.append(y.astype(int))
    x, y = np.vstack(xs), np.concatenate(ys)
    if len(np.unique(y)) < 2:
        raise DataError(
            f"label {label!r} has one class in {len(y)} rows: "
            "nothing to learn"
        )
    return x, y, features, paths


def fail(output_dir, message):
    """SageMaker's failure contract: <output>/failure, a non-zero exit."""
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, "failure")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(message)
    print(f"training failed: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    args = arguments()
    wanted = [name.strip() for name in args.features.split(",")]
    try:
        x, y, features, paths = load(
            args.train, args.label, [name for name in wanted if name])
    except (DataError, OSError) as error:
        fail(args.output_dir, str(error))
    model = make_pipeline(
        SimpleImputer(strategy="median"),
        GradientBoostingClassifier(
            n_estimators=args.n_estimators,
            max_depth=args.max_depth,
            learning_rate=args.learning_rate,
            subsample=args.subsample,
            random_state=args.random_state,
        ),
    )
    model.fit(x, y)
    train_auc = roc_auc_score(y, model.predict_proba(x)[:, 1])

    os.makedirs(args.model_dir, exist_ok=True)
    joblib.dump(model, os.path.join(args.model_dir, "model.joblib"))
    described = {
        "label": args.label,
        "features": features,
        "rows": int(len(y)),
        "files": [os.path.basename(path) for path in paths],
        "trainAuc": round(float(train_auc), 6),
        "sklearn": sklearn.__version__,
    }
    path = os.path.join(args.model_dir, "features.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(described, handle, indent=2)
    print(f"trained on {len(y)} rows from {len(paths)} files "
          f"({', '.join(features)})")
    print(f"train_auc={train_auc:.6f}")


if __name__ == "__main__":
    main()
