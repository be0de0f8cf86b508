import numpy as np
import tensorflow as tf

from trainer.taxi import features
from trainer.taxi.preprocessing import big_tipper, preprocessing_fn


def column(values, dtype):
    return tf.constant(np.array(values, dtype=dtype).reshape(-1, 1))


def sparse(values, present, dtype):
    """A VarLen column as TFX hands it over: missing cells have no entry."""
    indices = [[i, 0] for i, p in enumerate(present) if p]
    kept = [v for v, p in zip(values, present) if p]
    return tf.SparseTensor(indices, tf.constant(kept, dtype=dtype), [len(values), 1])


def batch():
    n = 3
    inputs = {
        "trip_miles": column([0.0, 1.0, 10.0], np.float32),
        "fare": column([10.0, 10.0, 20.0], np.float32),
        "trip_seconds": sparse([60, 0, 600], [True, False, True], tf.int64),
        "pickup_latitude": sparse([41.98, 0, 41.88], [True, False, True], tf.float32),
        "pickup_longitude": column([-87.63] * n, np.float32),
        "dropoff_latitude": column([41.88] * n, np.float32),
        "dropoff_longitude": column([-87.53] * n, np.float32),
        "trip_start_hour": column([0, 23, 99], np.int64),
        "trip_start_day": column([1, 2, 3], np.int64),
        "trip_start_month": column([1, 6, 12], np.int64),
        "pickup_community_area": sparse([8, 0, 77], [True, False, True], tf.int64),
        "dropoff_community_area": column([1, 2, 3], np.int64),
        "payment_type": column([b"Cash", b"Credit Card", b"Cash"], object),
        "company": sparse([b"Flash Cab", b"", b""], [True, False, False], tf.string),
        "tips": column([0.0, 2.5, 5.0], np.float32),
    }
    return preprocessing_fn(inputs)


def test_label_is_tip_over_twenty_percent_of_fare():
    out = batch()[features.transformed_name(features.LABEL_KEY)].numpy()
    assert out.tolist() == [0, 1, 1]
    exact = big_tipper(tf.constant([10.0]), tf.constant([2.0])).numpy()
    assert exact.tolist() == [0]  # 20% exactly is not "more than"


def test_every_model_input_is_rank_one():
    out = batch()
    expected = {features.transformed_name(k) for k in features.REQUIRED_COLUMNS if k != "tips"}
    assert expected | {"big_tipper_xf"} == set(out)
    assert all(t.shape == (3,) for t in out.values())


def test_missing_cells_are_filled_and_scaled():
    out = batch()
    np.testing.assert_allclose(out["trip_miles_xf"].numpy(), np.log1p([0.0, 1.0, 10.0]), rtol=1e-6)
    assert out["trip_seconds_xf"].numpy()[1] == 0.0
    # A missing coordinate sits at the centre; others are tenths of a degree off it.
    np.testing.assert_allclose(out["pickup_latitude_xf"].numpy(), [1.0, 0.0, 0.0], atol=1e-4)
    np.testing.assert_allclose(out["dropoff_longitude_xf"].numpy(), [1.0] * 3, atol=1e-4)


def test_categoricals_stay_inside_their_encodings():
    out = batch()
    assert out["trip_start_hour_xf"].numpy().tolist() == [0, 23, 23]
    assert out["pickup_community_area_xf"].numpy().tolist() == [8, 0, 77]
    payment = out["payment_type_xf"].numpy()
    assert payment[0] == payment[2] != payment[1]
    assert ((0 <= payment) & (payment < features.HASHED_FEATURES["payment_type"])).all()
    company = out["company_xf"].numpy()
    assert company[1] == company[2]  # both missing
