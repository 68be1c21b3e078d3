"""Every Feast helper we use that is not Feast's public API, in one place (checked on Feast 0.67).

The plug-in base classes (``OfflineStore``, ``RetrievalJob``, ``ComputeEngine``, ...) are the
interface Feast asks plug-ins to implement and stay imported where they are used. The helpers
below are private (an underscore) or live in Feast's internal utility modules; Feast may rename
or change them in any release. Reusing them keeps our output exactly Feast's (the same JSON
values, key bytes, view names and column order), and collecting them here means a Feast upgrade
touches one file: each name says what it is for, and ``tests/test_feast_private.py``
fails on import if one moved.
"""

from __future__ import annotations

from feast.feature_server_utils import _timestamp_to_str as timestamp_to_str
from feast.feature_server_utils import _value_to_native as value_to_native
from feast.infra.key_encoding_utils import _serialize_val as serialize_val
from feast.infra.offline_stores.offline_utils import DEFAULT_ENTITY_DF_EVENT_TIMESTAMP_COL
from feast.infra.offline_stores.offline_utils import get_pyarrow_schema_from_batch_source
from feast.infra.offline_stores.offline_utils import infer_event_timestamp_from_entity_df
from feast.infra.online_stores.helpers import compute_versioned_name
from feast.utils import _get_column_names as column_names
from feast.utils import compute_non_entity_date_range

__all__ = [
    # the HTTP feature server's JSON: a stored Value / event Timestamp as the server renders it
    "value_to_native", "timestamp_to_str",
    # Redis layout: one entity-key value as Feast serializes it; the view name a versioned view keys under
    "serialize_val", "compute_versioned_name",
    # materialization: (join keys, features, timestamp field, created field) of a view
    "column_names",
    # offline store: the entity frame's event time column (default name, or the one inferred),
    # a batch source's Arrow schema, the window of a retrieval without an entity frame
    "DEFAULT_ENTITY_DF_EVENT_TIMESTAMP_COL", "infer_event_timestamp_from_entity_df",
    "get_pyarrow_schema_from_batch_source", "compute_non_entity_date_range",
]
