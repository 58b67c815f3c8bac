"""Scores a holdout with a trained model: the contract of kaizen's gate.

    python3 predict.py --model-dir DIR --holdout FILE --output FILE

DIR holds what train.py wrote (model.joblib, features.json); FILE is a
CSV with a header naming at least the model's features (other columns,
such as the label, are ignored). The output is a CSV with one column,
`score`: the probability of class 1, one row per holdout row, in
order. Kaizen runs this once per model (a SageMaker Processing job on
AWS) and computes the gate's metric from the scores.
"""

import argparse
import json
import os

import joblib

from tabular import columns, read_csv


def main():
    parser = argparse.ArgumentParser(description="Scores a holdout.")
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--holdout", required=True)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    path = os.path.join(args.model_dir, "features.json")
    with open(path, encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    model = joblib.load(os.path.join(args.model_dir, "model.joblib"))
    header, rows = read_csv(args.holdout)
    x = columns(args.holdout, header, rows, features)
    positive = list(model.classes_).index(1)
    scores = model.predict_proba(x)[:, positive] if rows else []

    folder = os.path.dirname(os.path.abspath(args.output))
    os.makedirs(folder, exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as handle:
        handle.write("score\n")
        for score in scores:
            handle.write(f"{float(score)!r}\n")
    print(f"scored {len(rows)} rows of {os.path.basename(args.holdout)} "
          f"({', '.join(features)})")


if __name__ == "__main__":
    main()
