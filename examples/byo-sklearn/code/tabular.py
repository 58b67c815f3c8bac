"""CSV reading shared by train.py and predict.py (csv and numpy only)."""

import csv

import numpy as np


class DataError(ValueError):
    """Input data that cannot be used; the message names file and column."""


def read_csv(path):
    """Returns (header, rows) of a CSV file; blank lines are skipped."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header:
            raise DataError(f"{path} is empty: expected a header line")
        rows = [row for row in reader if row]
    return [name.strip() for name in header], rows


def columns(path, header, rows, names):
    """The named columns as a float matrix; an empty cell is NaN."""
    missing = [name for name in names if name not in header]
    if missing:
        raise DataError(
            f"{path} has no column {', '.join(map(repr, missing))}: "
            f"its columns are {', '.join(header)}"
        )
    indexes = [header.index(name) for name in names]
    matrix = np.empty((len(rows), len(names)), dtype=float)
    for number, row in enumerate(rows):
        if len(row) != len(header):
            raise DataError(
                f"{path}:{number + 2}: {len(row)} cells, "
                f"the header has {len(header)}"
            )
        for column, index in enumerate(indexes):
            cell = row[index].strip()
            try:
                matrix[number, column] = float(cell) if cell else np.nan
            except ValueError:
                raise DataError(
                    f"{path}:{number + 2}: {names[column]} is {cell!r}, "
                    "not a number"
                ) from None
    return matrix
