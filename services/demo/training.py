"""The training job: a point-in-time frame through Feast, then a small delay classifier."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LABEL = "delayed"
DELAY_MINUTES = 15.0
NUMERIC_FEATURES = [
    "temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip", "pressure", "visib",
    "year", "engines", "seats",
    "flights", "dep_delay_mean", "delayed_share", "cancelled_share", "dep_delay_mean_7d", "flights_7d",
]


def entity_frame(flights: pd.DataFrame) -> pd.DataFrame:
    """One row per departed flight: keys, scheduled departure (UTC) and the label."""
    departed = flights[flights["dep_delay"].notna()].reset_index(drop=True)
    scheduled = pd.to_datetime(departed["time_hour"], utc=True) + pd.to_timedelta(departed["minute"], unit="m")
    return pd.DataFrame({
        "origin": departed["origin"],
        "tailnum": departed["tailnum"].fillna("UNKNOWN"),
        "carrier": departed["carrier"],
        "dest": departed["dest"],
        "event_timestamp": scheduled,
        "hour": departed["hour"],
        "month": departed["month"],
        LABEL: (departed["dep_delay"] > DELAY_MINUTES).astype("int64"),
    })


@dataclass
class ModelScore:
    train_rows: int
    test_rows: int
    roc_auc: float
    base_rate: float


def train_and_score(frame: pd.DataFrame, test_from_month: int) -> ModelScore:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    features = [c for c in NUMERIC_FEATURES if c in frame.columns] + ["hour"]
    x = frame[features].astype("float64")
    y = frame[LABEL].to_numpy()
    test = (frame["month"] >= test_from_month).to_numpy()
    model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, random_state=0)
    model.fit(x[~test], y[~test])
    proba = model.predict_proba(x[test])[:, 1]
    return ModelScore(int((~test).sum()), int(test.sum()), float(roc_auc_score(y[test], proba)), float(np.mean(y)))
