"""A day's customer-side changes: late-arriving customers, new customers and contacts,
slowly changing attributes (segment, tier, city, owner), type-1 corrections, closures, and
campaigns whose planning date has come.

Leaves `all_cust` (every customer as it stands tonight) for the later steps.
"""

from __future__ import annotations

from warehouse.demo import people
from warehouse.demo.day import Day
from warehouse.demo.params import NEW_CUSTOMERS_PER_DAY
from warehouse.demo.reference import build_campaign_days
from warehouse.demo.writer import read_typed

CUSTOMER_COLUMNS = ("customer_id, customer_no, customer_type, full_name, email, phone, segment, "
                    "tier, tax_id, industry, employee_band, birth_date, gender, city_id, "
                    "address_line, postal_code, owner_rep_id, created_at, updated_at, is_deleted")
# daily probabilities per existing customer
SCD_CHANGE = 0.0012
TYPE1_FIX = 0.001
CLOSURE = 0.00005


def late_customer_time(x: Day, key: str) -> str:
    """When a late-arriving customer's row is finally entered: early on its day."""
    return x.at(key, "late.t", 0.5, 8)


def customers(x: Day) -> None:
    """Write today's new and changed customers; leave `all_cust`."""
    x.temp("cur_cust", f"SELECT * FROM {read_typed(x.crm, 'customers')}")
    max_cust = max(int(x.scalar("SELECT coalesce(max(customer_id), 0) FROM cur_cust")),
                   x.max_customer_referenced())
    # customers that orders referenced before their row existed arrive now
    recent = read_typed(x.crm, "sales_orders", f"created_at > {x.t_prev} - INTERVAL 7 DAY")
    x.temp("seeds", f"""
        SELECT DISTINCT o.customer_id, {late_customer_time(x, 'o.customer_id')} AS created_at
        FROM {recent} o
        WHERE o.customer_id IS NOT NULL
          AND o.customer_id NOT IN (SELECT customer_id FROM cur_cust)
    """)
    x.con.execute(f"""
        INSERT INTO seeds
        SELECT {max_cust} + row_number() OVER (ORDER BY created_at, j), created_at
        FROM (SELECT j, {x.at('j', 'nc.t', 7, 16)} AS created_at
              FROM range(1, 1 + CAST(floor({NEW_CUSTOMERS_PER_DAY * x.clock.scale}
                                           * season('B2C', CAST({x.start} AS DATE))
                                           + u({x.dn}, 'nc.n')) AS BIGINT)) t(j))
    """)
    x.temp("seeds", "SELECT customer_id, created_at, created_at AS updated_at, "
                    "false AS is_deleted FROM seeds")
    people.generate_customers(x.con, "seeds", "new_cust")
    _changes(x)
    x.upsert("crm", "customers", f"(SELECT {CUSTOMER_COLUMNS} FROM new_cust UNION ALL "
                                 f"SELECT {CUSTOMER_COLUMNS} FROM changed_cust)")
    x.temp("all_cust", f"""
        SELECT {CUSTOMER_COLUMNS} FROM cur_cust
        WHERE customer_id NOT IN (SELECT customer_id FROM changed_cust)
        UNION ALL SELECT {CUSTOMER_COLUMNS} FROM changed_cust
        UNION ALL SELECT {CUSTOMER_COLUMNS} FROM new_cust
    """)


def _changes(x: Day) -> None:
    """Existing customers: SCD2 material (segment, tier, city + address, owner), type-1
    corrections of e-mail and phone, and rare closures (soft delete)."""
    n_slots = x.scalar("SELECT count(*) FROM city_slots")
    key = f"customer_id, {x.dn}"
    x.temp("changed_cust", f"""
        WITH c AS (
            SELECT *, u2({key}, 'chg.scd') < {SCD_CHANGE} AS scd,
                   u2({key}, 'chg.t1') < {TYPE1_FIX} AS fix,
                   u2({key}, 'chg.del') < {CLOSURE} AS closes,
                   ui2({key}, 'chg.kind', 4) AS kind,
                   ui2({key}, 'chg.city', {n_slots}) AS city_slot
            FROM cur_cust
            WHERE NOT is_deleted AND created_at <= {x.t_prev}
        ), p AS MATERIALIZED (
            SELECT * FROM c WHERE scd OR fix OR closes
        ), m AS (
            SELECT p.*, cs.city_id AS new_city, rc.postal_prefix, rc.country_code,
                   rc.region_code
            FROM p JOIN city_slots cs ON cs.slot = p.city_slot
                   JOIN ref_city rc ON rc.city_id = cs.city_id
        )
        SELECT customer_id, customer_no, customer_type, full_name,
               CASE WHEN fix AND email IS NOT NULL AND email <> lower(trim(email))
                    THEN lower(trim(email))
                    WHEN fix AND email IS NOT NULL
                    THEN split_part(email, '@', 1) || ui2({key}, 'chg.em', 100) || '@'
                         || split_part(email, '@', 2)
                    ELSE email END AS email,
               CASE WHEN fix AND phone IS NOT NULL
                    THEN CASE WHEN customer_type = 'B2C'
                              THEN right(regexp_replace(phone, '[^0-9]', '', 'g'), 11)
                              ELSE regexp_replace(phone, '[() ]', '', 'g') END
                    ELSE phone END AS phone,
               CASE WHEN scd AND kind = 0
                    THEN pick(list_filter(CASE WHEN customer_type = 'B2B'
                                               THEN ['SMB', 'mid_market', 'enterprise']
                                               ELSE ['mass', 'affluent', 'premium'] END,
                                          lambda s: s <> coalesce(segment, '')),
                              u2({key}, 'chg.seg'))
                    ELSE segment END AS segment,
               CASE WHEN scd AND kind = 1
                    THEN ['bronze', 'silver', 'gold', 'platinum'][
                         CASE WHEN u2({key}, 'chg.tier') < 0.7
                              THEN least(4, coalesce(list_position(
                                   ['bronze', 'silver', 'gold', 'platinum'], tier), 1) + 1)
                              ELSE greatest(1, coalesce(list_position(
                                   ['bronze', 'silver', 'gold', 'platinum'], tier), 2) - 1) END]
                    ELSE tier END AS tier,
               tax_id, industry, employee_band, birth_date, gender,
               CASE WHEN scd AND kind = 2 THEN new_city ELSE city_id END AS city_id,
               CASE WHEN scd AND kind = 2 AND country_code = 'CN'
                    THEN pick(roads(), u2({key}, 'chg.road'))
                         || CAST(1 + ui2({key}, 'chg.no', 2000) AS VARCHAR) || '号'
                    WHEN scd AND kind = 2
                    THEN CAST(1 + ui2({key}, 'chg.no', 300) AS VARCHAR) || ' '
                         || foreign_street(country_code)
                    ELSE address_line END AS address_line,
               CASE WHEN scd AND kind = 2 AND country_code = 'CN'
                    THEN postal_prefix || lpad(CAST(ui2({key}, 'chg.pc', 1000) AS VARCHAR), 3,
                                               '0')
                    WHEN scd AND kind = 2 THEN postal_prefix
                    ELSE postal_code END AS postal_code,
               CASE WHEN scd AND kind = 3
                    THEN pick((SELECT list(rep_id ORDER BY rep_id) FROM rep_slots),
                              u2({key}, 'chg.rep'))
                    ELSE owner_rep_id END AS owner_rep_id,
               created_at, {x.at('customer_id', 'chg.t', 8, 11)} AS updated_at,
               closes OR is_deleted AS is_deleted
        FROM m
    """)


def contacts(x: Day) -> None:
    """Contacts whose time has come: new ones (of new and existing accounts) and leavers."""
    people.contact_plan(x.con, "all_cust", "contact_plan")
    x.temp("cur_contacts", f"SELECT * FROM {read_typed(x.crm, 'contacts')}")
    first = x.max_id("crm", "contacts") + 1
    x.temp("contact_changes", f"""
        SELECT {first} - 1 + row_number() OVER (ORDER BY created_at, customer_id, k)
                   AS contact_id, * EXCLUDE (k)
        FROM ({people.contacts_at("contact_plan", x.t, f"created_at > {x.t_prev}")})
        UNION ALL
        SELECT c.contact_id, c.customer_id, c.full_name, c.title, c.email, c.phone,
               c.is_primary, c.created_at, p.deleted_at AS updated_at, true AS is_deleted
        FROM cur_contacts c JOIN contact_plan p USING (customer_id, created_at)
        WHERE NOT c.is_deleted AND p.deleted_at > {x.t_prev} AND p.deleted_at <= {x.t}
    """)
    x.upsert("crm", "contacts", "contact_changes")


def campaigns(x: Day) -> None:
    """Campaigns are entered 45 days before they start; leaves `all_campaigns`."""
    x.temp("cur_campaigns", f"SELECT * FROM {read_typed(x.crm, 'campaigns')}")
    first = x.max_id("crm", "campaigns") + 1
    x.temp("new_campaigns", f"""
        SELECT {first} - 1 + row_number() OVER (ORDER BY start_date, campaign_code)
                   AS campaign_id,
               campaign_code, campaign_name, channel_id, start_date, end_date, budget,
               objective, created_at AS updated_at
        FROM campaign_plan
        WHERE created_at > {x.t_prev} AND created_at <= {x.t}
          AND campaign_code NOT IN (SELECT campaign_code FROM cur_campaigns)
    """)
    x.insert("crm", "campaigns", "new_campaigns")
    x.temp("all_campaigns", "SELECT * FROM cur_campaigns UNION ALL SELECT * FROM new_campaigns")
    build_campaign_days(x.con, "all_campaigns")
