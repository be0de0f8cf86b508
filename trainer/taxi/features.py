"""What the model reads from the Chicago taxi CSV, and how it is typed.

This module imports nothing heavy, so the CLI can check a CSV against it
before any TensorFlow starts.
"""

# Categorical integers, one-hot encoded; values are clipped into [0, size).
CATEGORICAL_INT_FEATURES = {
    "trip_start_hour": 24,
    "trip_start_day": 8,
    "trip_start_month": 13,
    "pickup_community_area": 78,
    "dropoff_community_area": 78,
}
# Non-negative, long-tailed amounts, fed to the model as log(1 + x).
AMOUNT_FEATURES = ("trip_miles", "fare", "trip_seconds")
# Coordinates, fed as offsets from the city centre in tenths of a degree; a
# missing coordinate becomes the centre itself.
COORDINATE_FEATURES = {
    "pickup_latitude": 41.88,
    "pickup_longitude": -87.63,
    "dropoff_latitude": 41.88,
    "dropoff_longitude": -87.63,
}
NUMERIC_FEATURES = AMOUNT_FEATURES + tuple(COORDINATE_FEATURES)
# Strings, hashed into this many buckets (a few times their distinct values).
HASHED_FEATURES = {"payment_type": 16, "company": 256}

FARE_KEY = "fare"
TIPS_KEY = "tips"
LABEL_KEY = "big_tipper"
# A big tipper tipped more than this share of the fare.
BIG_TIP_SHARE = 0.2

# Every column the pipeline needs in the CSV, with the kind of value it holds.
# Empty cells are allowed: they are filled in by the preprocessing_fn.
REQUIRED_COLUMNS = {
    **{name: "int" for name in CATEGORICAL_INT_FEATURES},
    **{name: "number" for name in NUMERIC_FEATURES},
    **{name: "string" for name in HASHED_FEATURES},
    TIPS_KEY: "number",
}
# Columns of the sample the model does not read, which a CSV may also carry:
# the spans' time and the census tracts.
OPTIONAL_COLUMNS = ("trip_start_timestamp", "pickup_census_tract", "dropoff_census_tract")


def transformed_name(key: str) -> str:
    return f"{key}_xf"
