"""The data dictionary, generated from schemas/: tables, columns, grain and lineage.

It is written into every snapshot (meta.data_dictionary, meta.lineage) so SQL users can read
it, and rendered as Markdown and HTML by `crmwh docs`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse.config import Home
from warehouse.contracts.model import Model
from warehouse.contracts.sources import Source
from warehouse.core.dimensions import SCD_COLUMNS


@dataclass(frozen=True)
class TableDoc:
    schema: str
    name: str
    kind: str
    description: str
    grain: str
    columns: list[tuple[str, str, str]]          # name, type, description
    lineage: list[str]                           # upstream tables


def describe(sources: dict[str, Source], model: Model) -> list[TableDoc]:
    feeds: dict[str, list[str]] = {}
    for source in sources.values():
        for table in source.tables.values():
            feeds.setdefault(table.stage, []).append(f"{source.source}.{table.name}")
    docs = []
    for name, entity in model.staging.entities.items():
        docs.append(TableDoc("staging", name, "staging entity (every version as landed; "
                             "current_<entity> holds the latest per key)",
                             entity.description, f"one row per version of {', '.join(entity.key)}",
                             [(c, spec.type, "") for c, spec in entity.columns.items()],
                             feeds.get(name, [])))
    for name, dim in model.dimensions.items():
        scd = "type 2: " + ", ".join(dim.type2) if dim.type2 else "type 1"
        cols = [(dim.surrogate_key, "bigint", "Surrogate key; -1 = unknown member")]
        cols += [(c, spec.type, spec.description) for c, spec in dim.columns.items()]
        cols += [(c, t.split()[0].lower(), "SCD bookkeeping") for c, t in SCD_COLUMNS.items()]
        docs.append(TableDoc("core", name, f"dimension ({scd})", dim.description, dim.grain,
                             cols, [f"staging.{e}" for e in sorted(model.entities_used(dim.select))]))
    for name, fact in model.facts.items():
        cols = [(k, "integer", f"Date key of {v} (yyyymmdd, -1 unknown)") for k, v in fact.dates.items()]
        cols += [(k, "bigint", f"Surrogate key into {lk.dim}") for k, lk in fact.lookups.items()]
        cols += [(c, spec.type, spec.description) for c, spec in fact.columns.items()]
        upstream = [f"staging.{e}" for e in sorted(model.entities_used(fact.select + (fact.affected or "")))]
        upstream += sorted({f"core.{lk.dim}" for lk in fact.lookups.values()})
        docs.append(TableDoc("core", name, f"fact ({fact.kind.replace('_', ' ')})",
                             fact.description, fact.grain, cols, upstream))
    return docs


def write_into(con: duckdb.DuckDBPyConnection, docs: list[TableDoc]) -> None:
    """Replace meta.data_dictionary and meta.lineage inside a build."""
    con.execute("CREATE OR REPLACE TABLE meta.data_dictionary (schema_name VARCHAR, table_name "
                "VARCHAR, kind VARCHAR, table_description VARCHAR, grain VARCHAR, column_name "
                "VARCHAR, column_type VARCHAR, column_description VARCHAR, ordinal INTEGER)")
    con.execute("CREATE OR REPLACE TABLE meta.lineage (upstream VARCHAR, downstream VARCHAR)")
    rows, edges = [], []
    for d in docs:
        for i, (col, typ, desc) in enumerate(d.columns, 1):
            rows.append((d.schema, d.name, d.kind, d.description, d.grain, col, typ, desc, i))
        edges += [(up, f"{d.schema}.{d.name}") for up in d.lineage]
    names = ["s", "t", "k", "d", "g", "c", "ty", "cd", "o"]
    rows_tbl = pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})
    edges_tbl = pa.table({"u": [e[0] for e in edges], "d": [e[1] for e in edges]})
    con.register("_dict_rows", rows_tbl)
    con.register("_dict_edges", edges_tbl)
    con.execute("INSERT INTO meta.data_dictionary SELECT * FROM _dict_rows")
    con.execute("INSERT INTO meta.lineage SELECT * FROM _dict_edges")
    con.unregister("_dict_rows")
    con.unregister("_dict_edges")


def to_markdown(docs: list[TableDoc]) -> str:
    out = ["# CRM warehouse data dictionary", "",
           "Generated from `schemas/`. Lineage reads source table -> staging entity -> core table.", ""]
    for d in docs:
        out += [f"## {d.schema}.{d.name}", "", f"*{d.kind}* — {d.description}", "",
                f"**Grain:** {d.grain}", "", f"**Upstream:** {', '.join(d.lineage) or '—'}", "",
                "| column | type | description |", "|---|---|---|"]
        out += [f"| {c} | {t} | {desc} |" for c, t, desc in d.columns]
        out.append("")
    return "\n".join(out)


def to_html(docs: list[TableDoc]) -> str:
    e = html.escape
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>CRM warehouse data "
             "dictionary</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:"
             "collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
             "h2{margin-top:2em}</style></head><body><h1>CRM warehouse data dictionary</h1><ul>"]
    parts += [f"<li><a href='#{e(d.schema)}.{e(d.name)}'>{e(d.schema)}.{e(d.name)}</a> — "
              f"{e(d.kind)}</li>" for d in docs]
    parts.append("</ul>")
    for d in docs:
        parts.append(f"<h2 id='{e(d.schema)}.{e(d.name)}'>{e(d.schema)}.{e(d.name)}</h2>"
                     f"<p><em>{e(d.kind)}</em> — {e(d.description)}</p><p><b>Grain:</b> "
                     f"{e(d.grain)}</p><p><b>Upstream:</b> {e(', '.join(d.lineage) or '—')}</p>"
                     "<table><tr><th>column</th><th>type</th><th>description</th></tr>")
        parts += [f"<tr><td>{e(c)}</td><td>{e(t)}</td><td>{e(desc)}</td></tr>"
                  for c, t, desc in d.columns]
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)


def write_docs(home: Home) -> list[Path]:
    from warehouse.load import load_contracts

    sources, model = load_contracts()
    docs = describe(sources, model)
    md, page = home.docs / "data_dictionary.md", home.docs / "data_dictionary.html"
    md.write_text(to_markdown(docs), encoding="utf-8")
    page.write_text(to_html(docs), encoding="utf-8")
    return [md, page]
