"""Identity resolution at scale: N external person records against N CRM customers.

The records come straight from the demo generator's SQL (customers as the demo makes them,
the purchased-people list with its mess at the default level, prospects making up the rest),
staged with the plain-SQL stand-in, without writing files. Each step runs in its own process
so its wall time and peak memory are its own. The baseline, run side by side, is the
deterministic keys alone (e-mail and phone joins): the ratio says what Splink costs on top,
and its recall what it buys.

    python -m bench.resolve --n 1000000          # results to bench/results/resolve-<date>.*
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from bench.measure import RESULTS, machine

WORK = Path(os.environ.get("CRMWH_BENCH_WORK", "/tmp/crmwh-bench-resolve"))
AS_OF = date(2025, 12, 31)


def generate(n: int, seed: int, db: str) -> dict:
    """N customers and about N external person records, staged into a DuckDB file."""
    from warehouse.config import Home
    from warehouse.demo import external, external_select, people, reference
    from warehouse.demo import external_people as xp
    from warehouse.demo import external_stage as es
    from warehouse.demo.params import DemoParams
    from warehouse.demo.workspace import workspace

    scale = n / 5000
    p = DemoParams(seed=seed, scale=scale, start=date(2024, 1, 1), as_of=AS_OF)
    home = Home(WORK / "home")
    with workspace(home, seed) as con:
        reference.build(con, p)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE cust_seeds AS
            SELECT j AS customer_id, TIMESTAMP '2023-01-01' + secs(86400 * 1000 * u(j, 'c.day'))
                   AS created_at, TIMESTAMP '2025-06-01' AS updated_at, false AS is_deleted
            FROM range(1, {n} + 1) t(j)""")
        people.generate_customers(con, "cust_seeds", "g_customers")
        external.register(con, seed)
        customers = external.typed_customers(con, "g_customers")
        # prospects fill the list up to about N records beside the sampled customers
        sampled = con.execute(f"SELECT count(*) FROM {customers} c JOIN ext_geo USING (city_id) "
                              "WHERE customer_type = 'B2C' AND u(customer_id, 'x.pp.in') < "
                              f"{xp.CUSTOMER_SHARE}").fetchone()[0]
        p_scale = max(1, n - sampled) / xp.PROSPECTS_PER_SCALE
        xp.universe(con, customers, p_scale, AS_OF - __import__("datetime").timedelta(days=730),
                    AS_OF, "xp_universe")
        external_select.init_selection(con, "xp_universe", "x.pp", "xp_sel")
        xp.records(con, "xp_sel", external.month_no(AS_OF), AS_OF, "xp_rec")
        es.register(con)
        con.execute(f"ATTACH '{db}' AS b")
        con.execute("CREATE SCHEMA b.staging; CREATE SCHEMA b.core")
        con.execute("CREATE TABLE b.staging.current_ext_person AS " + es.people_sql(
            "(SELECT *, 'people_bench.csv' AS _file, row_number() OVER () + 1 AS _file_row "
            "FROM xp_rec)", "BENCH"))
        con.execute("""CREATE TABLE b.staging.current_customer AS
            SELECT * EXCLUDE (region_code, home_city, w, u_owner), 'crm' AS _source,
                   false AS _deleted FROM g_customers""")
        con.execute("""CREATE TABLE b.staging.current_geography AS
            SELECT city_id, country_code, country_name, province_code, province_name, city_name
            FROM ref_city""")
        con.execute("CREATE TABLE b.staging.current_contact (customer_id BIGINT, email VARCHAR, "
                    "_deleted BOOLEAN)")
        con.execute("""CREATE TABLE b.core.dim_customer AS
            SELECT row_number() OVER (ORDER BY customer_id) AS customer_key, customer_id,
                   true AS is_current FROM g_customers""")
        con.execute("CREATE TABLE b.truth AS SELECT record_id, 'person' AS entity_type, entity, "
                    "customer_id FROM xp_rec")
        counts = con.execute("SELECT (SELECT count(*) FROM b.staging.current_ext_person), "
                             "(SELECT count(*) FROM b.staging.current_customer), "
                             "(SELECT count(*) FROM b.staging.current_customer "
                             " WHERE customer_type = 'B2C'), "
                             "(SELECT count(customer_id) FROM b.truth)").fetchone()
        con.execute("DETACH b")
    return {"external_records": counts[0], "customers": counts[1], "b2c_customers": counts[2],
            "records_of_customers": counts[3]}


def resolve(db: str, mode: str) -> dict:
    """Run resolution on a copy of the generated file; `mode` full or deterministic."""
    from warehouse import duck
    from warehouse.resolve import deterministic, features, resolve_identities
    from warehouse.resolve.config import load_settings, model_path
    from warehouse.resolve.model import key_weights
    from warehouse.resolve.quality import measure

    copy = WORK / f"run-{mode}.duckdb"
    shutil.copy(db, copy)
    con = duck.connect(copy, temp_directory=WORK / "spill")
    started = time.perf_counter()
    if mode == "full":
        result = resolve_identities(con, load_id="BENCH")
        counts = result.counts["person"]
        links = "core.identity_link"
    else:
        ent = load_settings().entities["person"]
        con.execute(f"SET memory_limit = '{load_settings().memory_limit}'")
        features.register_macros(con)
        features.external(con, "person", "ext_person", "bx")
        features.internal(con, "person", "bi")
        weights = key_weights(model_path(ent), deterministic.key_columns(ent.deterministic))
        deterministic.links(con, ent.deterministic, "bx", "bi", None, "bd", weights)
        con.execute("""CREATE TEMP TABLE bl AS SELECT x.record_id, 'person' AS entity_type,
                       d.customer_id, coalesce('C' || d.customer_id, x.record_id) AS cluster_id
                       FROM bx x LEFT JOIN bd d USING (unique_id)""")
        counts = {"linked": con.execute("SELECT count(customer_id) FROM bl").fetchone()[0]}
        links = "bl"
    seconds = time.perf_counter() - started
    quality = measure(con, links, "truth")["person"]
    con.close()
    copy.unlink()
    return {"seconds": round(seconds, 1), "counts": counts, "quality": quality}


def _child(step: str, args: dict) -> tuple[dict, float, float]:
    """Run a step in a child process: (its JSON output, wall seconds, peak RSS MB)."""
    cmd = [sys.executable, "-m", "bench.resolve", "--step", step, "--args", json.dumps(args)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            cwd=Path(__file__).resolve().parent.parent)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"step {step} failed")
    lines = [ln for ln in out.decode().splitlines() if ln.startswith("{")]
    peak = usage.ru_maxrss / 1024
    print(f"  {step:<14} {wall:8.1f} s {peak:8.0f} MB", flush=True)
    return json.loads(lines[-1]), round(wall, 1), round(peak, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--step")
    ap.add_argument("--args")
    a = ap.parse_args()
    if a.step:
        args = json.loads(a.args)
        out = generate(**args) if a.step == "generate" else resolve(**args)
        print(json.dumps(out, default=str))
        return
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    db = str(WORK / f"resolve-{a.n}.duckdb")
    print(f"identity resolution benchmark, n = {a.n:,}")
    gen, gen_s, gen_mb = _child("generate", {"n": a.n, "seed": a.seed, "db": db})
    base, base_s, base_mb = _child("resolve", {"db": db, "mode": "deterministic"})
    full, full_s, full_mb = _child("resolve", {"db": db, "mode": "full"})
    result = {
        "benchmark": "identity resolution (persons)", "n": a.n, "seed": a.seed,
        "machine": machine(), "data": gen,
        "generate": {"wall_s": gen_s, "peak_rss_mb": gen_mb},
        "deterministic_baseline": {"wall_s": base_s, "peak_rss_mb": base_mb, **base},
        "resolution": {"wall_s": full_s, "peak_rss_mb": full_mb, **full},
        "ratio_full_to_baseline": round(full["seconds"] / max(base["seconds"], 0.01), 1),
    }
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    name = f"resolve-{a.n}-{stamp}"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    (RESULTS / f"{name}.md").write_text(_markdown(result))
    shutil.rmtree(WORK, ignore_errors=True)
    print(_markdown(result))


def _markdown(r: dict) -> str:
    q, b = r["resolution"]["quality"], r["deterministic_baseline"]["quality"]
    m, d = r["machine"], r["data"]
    rows = []
    for label, step, qq in (("deterministic keys only (baseline)", "deterministic_baseline", b),
                            ("keys + Splink link + dedupe + survivorship", "resolution", q)):
        s = r[step]
        rows.append(f"| {label} | {s['seconds']} | {s['wall_s']} | {s['peak_rss_mb']:.0f} | "
                    f"{qq['precision']} | {qq['recall']} | {qq.get('duplicate_pair_precision')} | "
                    f"{qq.get('duplicate_pair_recall')} |")
    return "\n".join([
        f"# Identity resolution benchmark: {r['n']:,} external person records", "",
        f"Machine: {m['platform']}, {m['cpus']} CPUs, {m['memory_gb']} GB, Python {m['python']}; "
        f"run {m['date']}.",
        f"Data: {d['external_records']:,} external records ({d['records_of_customers']:,} of them "
        f"about CRM customers) against {d['customers']:,} customers ({d['b2c_customers']:,} "
        "persons), demo mess level 1.", "",
        "| step | resolution (s) | process wall (s) | peak RSS (MB) | link precision | link recall "
        "| dup-pair precision | dup-pair recall |",
        "|---|---:|---:|---:|---:|---:|---:|---:|", *rows, "",
        f"Full resolution takes {r['ratio_full_to_baseline']}x the deterministic baseline's time. "
        f"Generating and staging the data (not part of resolution): {r['generate']['wall_s']} s, "
        f"{r['generate']['peak_rss_mb']:.0f} MB.",
        f"Counts: {json.dumps(r['resolution']['counts'])}.", ""])


if __name__ == "__main__":
    main()
