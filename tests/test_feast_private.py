"""Feast's private helpers are reached through featureguard.feast_private only, and still do what we rely on."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd

import featureguard
from featureguard import feast_private

PACKAGE = Path(featureguard.__file__).parent  # services/ (featureguard.*)
#: a Feast import of an underscore name, or from one of Feast's internal utility modules
PRIVATE = re.compile(r"from feast\.(?:[\w.]+) import [^\n]*\b_\w+|"
                     r"from feast\.(?:utils|feature_server_utils|infra\.key_encoding_utils|"
                     r"infra\.online_stores\.helpers|infra\.offline_stores\.offline_utils)\b|"
                     r"from feast\.infra\.offline_stores import offline_utils")


def test_no_other_module_imports_a_feast_private_helper():
    offenders = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                       if p.name != "feast_private.py" and PRIVATE.search(p.read_text(encoding="utf-8")))
    assert offenders == []


def test_every_name_resolves():
    assert all(getattr(feast_private, name) is not None for name in feast_private.__all__)


def test_the_helpers_still_behave_as_relied_on():
    from feast.protos.feast.types.Value_pb2 import Value
    from feast.value_type import ValueType
    from google.protobuf.timestamp_pb2 import Timestamp

    assert feast_private.value_to_native(Value(int64_val=7)) == 7
    assert feast_private.value_to_native(Value(string_val="EWR")) == "EWR"
    stamp = Timestamp(seconds=1_356_998_400)
    assert feast_private.timestamp_to_str(stamp).startswith("2013-01-01T00:00:00")
    raw, value_type = feast_private.serialize_val("int64_val", Value(int64_val=1))
    assert raw == (1).to_bytes(8, "little") and int(value_type) == ValueType.INT64.value
    frame = pd.DataFrame({"origin": ["EWR"], "at": pd.to_datetime(["2013-01-01"], utc=True)})
    assert feast_private.infer_event_timestamp_from_entity_df(dict(zip(frame.columns, frame.dtypes))) == "at"
    assert feast_private.DEFAULT_ENTITY_DF_EVENT_TIMESTAMP_COL == "event_timestamp"
    end = datetime(2013, 1, 2, tzinfo=timezone.utc)
    start, stop = feast_private.compute_non_entity_date_range([], end - timedelta(days=1), end)
    assert (start, stop) == (end - timedelta(days=1), end)
