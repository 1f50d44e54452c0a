"""A day's service and marketing activity: contracts signed, started, expired or cancelled;
tickets opened and moved along; campaign responses; web sessions."""

from __future__ import annotations

from warehouse.demo import marketing, service
from warehouse.demo.day import Day
from warehouse.demo.writer import read_typed

CONTRACT_COLUMNS = ("contract_id, contract_no, customer_id, product_id, start_date, end_date, "
                    "annual_fee")


def contracts(x: Day) -> None:
    """New contracts whose signing day is today; status changes of open ones.
    Leaves `all_contracts` for linking tickets."""
    service.contract_plan(x.con, f"(SELECT * FROM profile WHERE created_at <= {x.t})",
                          "contract_plan")
    x.temp("cur_contracts", f"SELECT * FROM {read_typed(x.crm, 'service_contracts')}")
    first = x.max_id("crm", "service_contracts") + 1
    x.temp("contract_changes", f"""
        WITH n AS (
            SELECT {first} - 1 + row_number() OVER (ORDER BY signed_at, customer_id, k)
                       AS contract_id, *
            FROM contract_plan WHERE signed_at > {x.t_prev} AND signed_at <= {x.t}
        ), e AS (
            SELECT c.contract_id, p.*
            FROM cur_contracts c JOIN contract_plan p USING (customer_id, start_date)
            WHERE c.status IN ('pending', 'active')
        ), s AS (
            SELECT contract_id, customer_id, product_id, start_date, end_date, annual_fee,
                   {service.contract_state(x.t)}
            FROM (SELECT * FROM n UNION ALL BY NAME SELECT * FROM e)
        )
        SELECT 'SC' || lpad(CAST(contract_id AS VARCHAR), 7, '0') AS contract_no, *
        FROM s WHERE updated_at > {x.t_prev}
    """)
    x.upsert("crm", "service_contracts", "contract_changes")
    x.temp("all_contracts", f"""
        SELECT {CONTRACT_COLUMNS} FROM cur_contracts
        WHERE contract_id NOT IN (SELECT contract_id FROM contract_changes)
        UNION ALL SELECT {CONTRACT_COLUMNS} FROM contract_changes
    """)


def tickets(x: Day) -> None:
    """Tickets that open today (from recent orders) and lifecycle steps of open ones."""
    service.ticket_plan(x.con, f"(SELECT order_id, customer_id, created_at FROM ord_all "
                               f"WHERE created_at > {x.t} - INTERVAL 27 DAY)",
                        "all_contracts", "ticket_plan")
    first = x.max_id("crm", "service_tickets") + 1
    open_tickets = read_typed(x.crm, "service_tickets", "status <> 'closed'")
    x.temp("ticket_changes", f"""
        WITH n AS (
            SELECT {first} - 1 + row_number() OVER (ORDER BY opened_at, order_id) AS ticket_id,
                   customer_id, contract_id, channel_id, category, priority, opened_at
            FROM ticket_plan WHERE opened_at > {x.t_prev} AND opened_at <= {x.t}
        ), e AS (
            SELECT ticket_id, customer_id, contract_id, channel_id, category, priority, opened_at
            FROM {open_tickets}
        )
        SELECT * FROM ({service.tickets_at("(SELECT * FROM n UNION ALL SELECT * FROM e)", x.t)})
        WHERE updated_at > {x.t_prev}
    """)
    x.upsert("crm", "service_tickets", "ticket_changes")


def responses(x: Day) -> None:
    """Responses to campaigns running around today."""
    marketing.response_plan(x.con, "all_campaigns",
                            f"(SELECT * FROM profile WHERE created_at <= {x.t})", "response_plan",
                            where=f"start_date <= CAST({x.start} AS DATE) "
                                  f"AND end_date + 4 >= CAST({x.start} AS DATE)")
    first = x.max_id("crm", "campaign_responses") + 1
    x.insert("crm", "campaign_responses", f"""(
        SELECT {first} - 1 + row_number() OVER (ORDER BY responded_at, campaign_id, customer_id,
                                                 response_type) AS response_id,
               campaign_id, customer_id, responded_at, response_type, consent_marketing,
               responded_at AS updated_at
        FROM response_plan WHERE responded_at > {x.t_prev} AND responded_at <= {x.t})""")


def sessions(x: Day) -> None:
    first = x.max_id("crm", "web_sessions") + 1
    marketing.day_sessions(x.con, x.clock.scale, x.day, x.t, first, "day_sessions")
    x.insert("crm", "web_sessions", "day_sessions")
