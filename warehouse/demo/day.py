"""One advanced day: its time window, the targets, id counters and the change counts.

Every daily step reads what it needs from the sources, computes the day's new rows and
changed rows inside DuckDB and writes them back; this object carries what they share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import duckdb

from warehouse.demo.clock import Clock
from warehouse.demo.params import end_of, ts
from warehouse.demo.targets import Target
from warehouse.demo.writer import Progress, delete_keys, insert, upsert
from warehouse.duck import quote_ident as q


@dataclass
class Day:
    con: duckdb.DuckDBPyConnection
    crm: Target
    erp: Target
    clock: Clock
    day: date
    counts: dict[str, dict[str, int]]
    progress: Progress | None = None
    _ids: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def t(self) -> str:
        """End of the day: the latest watermark a row written today may carry."""
        return ts(end_of(self.day))

    @property
    def t_prev(self) -> str:
        """End of the previous day: everything up to here is already in the sources."""
        return ts(end_of(self.day - timedelta(days=1)))

    @property
    def start(self) -> str:
        return ts(datetime.combine(self.day, time()))

    @property
    def dn(self) -> int:
        """Day number, for keying the day's randomness."""
        return (self.day - date(2000, 1, 1)).days

    def at(self, key: str, salt: str, first_hour: float = 8, hours: float = 12) -> str:
        """A timestamp inside the day, between first_hour and first_hour + hours."""
        return (f"({self.start} + secs({int(first_hour * 3600)} + {int(hours * 3600)} "
                f"* u2({key}, {self.dn}, '{salt}')))")

    def target(self, source: str) -> Target:
        return self.crm if source == "crm" else self.erp

    def max_id(self, source: str, table: str) -> int:
        """The largest key in a source table (0 when empty)."""
        target = self.target(source)
        (key,) = target.source.tables[table].key
        return int(self.con.execute(
            f"SELECT coalesce(max(CAST({q(key)} AS BIGINT)), 0) FROM {target.ref(table)}"
        ).fetchone()[0])

    def max_customer_referenced(self) -> int:
        """The largest customer id any order refers to (late-arriving customers included)."""
        return int(self.scalar(f"SELECT coalesce(max(CAST(customer_id AS BIGINT)), 0) "
                               f"FROM {self.crm.ref('sales_orders')}"))

    def _count(self, source: str, table: str, n: int) -> int:
        if n:
            bucket = self.counts.setdefault(source, {})
            bucket[table] = bucket.get(table, 0) + n
            if self.progress:
                self.progress(f"{source}.{table} {self.day}", bucket[table])
        return n

    def insert(self, source: str, table: str, relation: str) -> int:
        return self._count(source, table, insert(self.con, self.target(source), table,
                                                 relation))

    def upsert(self, source: str, table: str, relation: str) -> int:
        return self._count(source, table, upsert(self.con, self.target(source), table,
                                                 relation))

    def delete(self, source: str, table: str, keys: list[int]) -> int:
        return self._count(source, table, delete_keys(self.con, self.target(source), table,
                                                      keys))

    def temp(self, name: str, sql: str) -> int:
        """CREATE OR REPLACE TEMP TABLE name AS sql; returns its row count."""
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        return int(self.con.execute(f"SELECT count(*) FROM {name}").fetchone()[0])

    def scalar(self, sql: str) -> object:
        return self.con.execute(sql).fetchone()[0]
