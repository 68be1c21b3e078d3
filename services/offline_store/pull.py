"""Raw source rows for materialization and Feast's tooling: the newest per key, or all in a window.

Column types come back as stored (timestamps as UTC timestamps, not text), and rows can be
streamed in Arrow batches so a materialization engine never needs the whole pull in memory.
A view without join keys gets Feast's ``__dummy_id`` key column (value ``""``), as Feast's file
store adds it: Feast's engines key an entity-less view's online row by it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
from feast.feature_view import DUMMY_ENTITY_ID, DUMMY_ENTITY_VAL

from featureguard.offline_store import duck, sql
from featureguard.offline_store.job import AsofRetrievalJob


@dataclass
class PullRequest:
    """A pull of raw source rows (materialization, saved datasets): latest per key, or all."""

    settings: duck.EngineSettings
    path: str
    keys: list[str]
    columns: list[str]
    timestamp: str
    created: str | None
    start_ns: int | None
    end_ns: int | None
    latest: bool
    dummy_key: bool = False  # a view without join keys: add Feast's ``__dummy_id`` column

    def _query(self, con) -> str:
        query = self._rows_query(con)
        if not self.dummy_key:
            return query
        return f"SELECT {sql.literal(DUMMY_ENTITY_VAL)} AS {sql.ident(DUMMY_ENTITY_ID)}, * FROM ({query})"

    def _rows_query(self, con) -> str:
        empty = [(c, "TIMESTAMPTZ" if c in (self.timestamp, self.created) else "VARCHAR") for c in self.columns]
        scan = duck.scan_parquet(con, self.path, empty)
        scan.require(self.columns, f"source {self.path!r}")
        if self.latest:
            return sql.latest_rows_query(
                scan.relation, self.keys, self.columns, self.timestamp, self.created,
                self.start_ns, self.end_ns, scan.text_columns,
            )
        return sql.all_rows_query(scan.relation, self.columns, self.timestamp, self.start_ns, self.end_ns, scan.text_columns)

    def query(self) -> str:
        con = duck.connect(self.settings)
        try:
            return self._query(con)
        finally:
            con.close()

    def run(self) -> pa.Table:
        con = duck.connect(self.settings)
        try:
            return con.sql(self._query(con)).to_arrow_table()
        finally:
            con.close()

    def reader(self, batch_size: int) -> pa.RecordBatchReader:
        con = duck.connect(self.settings)
        source = con.sql(self._query(con)).to_arrow_reader(batch_size)

        def batches():
            try:
                yield from source
            finally:
                con.close()

        return pa.RecordBatchReader.from_batches(source.schema, batches())


def pull_job(request: PullRequest, repo_path: str | None = None) -> AsofRetrievalJob:
    return AsofRetrievalJob(request.run, request.query, reader=request.reader, repo_path=repo_path)

