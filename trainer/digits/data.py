"""The digits example's data: scikit-learn's bundled images, written as a CSV.

Each row is one image: `image` (its index in the bundle), the 64 pixel
intensities `pixel_0` .. `pixel_63` (0 to 16, row by row), and `digit`.
"""

import csv
from pathlib import Path


def write_csv(path: Path) -> Path:
    from sklearn.datasets import load_digits  # reads the copy inside the package

    digits = load_digits()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["image", *(f"pixel_{i}" for i in range(64)), "digit"])
        for index, (pixels, digit) in enumerate(zip(digits.data, digits.target)):
            out.writerow([index, *(int(p) for p in pixels), int(digit)])
    return path
