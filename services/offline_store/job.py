"""The RetrievalJob Feast hands back: lazy, Arrow-native, contract-checked.

Nothing runs until ``to_arrow``/``to_df``. Feast's base class then applies on-demand feature
views and dataset validation to what ``_to_arrow_internal`` returns, so those stay Feast's own
machinery. (Contract types are checked by the request, on the joined features, before that.)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Optional, Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from feast.errors import SavedDatasetLocationAlreadyExists
from feast.infra.offline_stores.file_source import FileSource, SavedDatasetFileStorage
from feast.infra.offline_stores.offline_store import RetrievalJob, RetrievalMetadata
from feast.on_demand_feature_view import OnDemandFeatureView
from feast.saved_dataset import SavedDatasetStorage

from featureguard.offline_store import writes

ReaderFactory = Callable[[int], pa.RecordBatchReader]


class AsofRetrievalJob(RetrievalJob):
    """Runs ``run`` (a DuckDB query plus Arrow assembly) when results are asked for."""

    def __init__(
        self,
        run: Callable[[], pa.Table],
        sql: Callable[[], str],
        *,
        on_demand_feature_views: Sequence[OnDemandFeatureView] = (),
        full_feature_names: bool = False,
        metadata: RetrievalMetadata | None = None,
        frame: Callable[[], pd.DataFrame] | None = None,
        reader: ReaderFactory | None = None,
        repo_path: str | None = None,
    ) -> None:
        super().__init__()
        self._run = run
        self._sql = sql
        self._odfvs = list(on_demand_feature_views)
        self._full_feature_names = full_feature_names
        self._metadata = metadata
        self._frame = frame
        self._reader = reader
        self._repo_path = repo_path

    @property
    def full_feature_names(self) -> bool:
        return self._full_feature_names

    @property
    def on_demand_feature_views(self) -> list[OnDemandFeatureView]:
        return self._odfvs

    @property
    def metadata(self) -> Optional[RetrievalMetadata]:
        return self._metadata

    def _to_arrow_internal(self, timeout: Optional[int] = None) -> pa.Table:
        return self._run()

    def _to_df_internal(self, timeout: Optional[int] = None) -> pd.DataFrame:
        return self._to_arrow_internal(timeout).to_pandas()

    def to_df(self, validation_reference=None, timeout: Optional[int] = None) -> pd.DataFrame:
        """As Feast's; with nothing for Feast to apply afterwards (no on-demand views, no
        validation) the frame is assembled directly, else Arrow buffers are released as the
        pandas columns are built."""
        if self._frame is not None and not self._odfvs and validation_reference is None:
            return self._frame()
        table = self.to_arrow(validation_reference=validation_reference, timeout=timeout)
        return table.to_pandas(split_blocks=True, self_destruct=True).reset_index(drop=True)

    def to_arrow_reader(self, batch_size: int = 131_072) -> pa.RecordBatchReader:
        """Streams the rows in batches without materialising them (pull jobs only)."""
        if self._reader is None:
            raise NotImplementedError("streaming is available for pull_* jobs; use to_arrow()")
        return self._reader(batch_size)

    def to_sql(self) -> str:
        return self._sql()

    def persist(
        self,
        storage: SavedDatasetStorage,
        allow_overwrite: bool = False,
        timeout: Optional[int] = None,
    ) -> None:
        """Writes the result where a SavedDatasetFileStorage points, by Feast's file-store rules:
        a path ending in ``.parquet`` is one file, any other a directory to write a Parquet
        dataset into; a relative path is relative to the repo (``repo_path``), not the cwd.

        Unlike Feast's file store, overwriting a directory replaces its files: adding a new part
        beside the old ones would make the saved dataset read back the old rows as well.
        """
        if not isinstance(storage, SavedDatasetFileStorage):
            raise TypeError(f"AsofOfflineStore persists to file storage only, got {type(storage).__name__}")
        options = storage.file_options
        uri = FileSource.get_uri_for_file_path(repo_path=self._repo_path, uri=options.uri)
        filesystem, path = FileSource.create_filesystem_and_path(uri, options.s3_endpoint_override)
        if _exists(filesystem, path) and not allow_overwrite:
            raise SavedDatasetLocationAlreadyExists(location=uri)
        table = self.to_arrow(timeout=timeout)
        if not path.endswith(".parquet"):
            pq.write_to_dataset(table, root_path=path, filesystem=filesystem, existing_data_behavior="delete_matching")
        elif filesystem is None:
            writes.write_atomically(table, Path(path))
        else:
            pq.write_table(table, path, filesystem=filesystem)


def _exists(filesystem: pafs.FileSystem | None, path: str) -> bool:
    if filesystem is None:
        return os.path.exists(path)
    return filesystem.get_file_info(path).type != pafs.FileType.NotFound
