"""A CSV for the churn module: made here, so nothing downloads."""

import csv
import random
from pathlib import Path


def churn_csv(path: Path, rows: int, seed: int = 7) -> Path:
    """Churn is likelier for older, poorer customers, and in the east."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["age", "income", "region", "churned"])
        for _ in range(rows):
            age, income = rng.uniform(18, 80), rng.gauss(50, 15)
            region = rng.choice(["north", "south", "east", "west"])
            logit = 0.08 * (age - 50) - 0.1 * (income - 50) + (2.0 if region == "east" else -0.5)
            out.writerow([round(age, 1), round(income, 2), region, int(logit + rng.gauss(0, 1) > 0)])
    return path
