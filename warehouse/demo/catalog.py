"""The company's fixed reference data: sales organisation, channels, product range, campaigns.

A consumer-electronics and office-solutions seller with both B2C and B2B customers, so the
warehouse sees two kinds of buyers, a two-level product hierarchy and a campaign calendar.
"""

from __future__ import annotations

from typing import NamedTuple

# (region_id, code, name)
REGIONS: list[tuple[int, str, str]] = [
    (1, "EC", "East China"), (2, "NC", "North China"), (3, "SC", "South China"),
    (4, "WC", "West"), (5, "INTL", "International"),
]

# Department names per region; ids are interleaved (1..5 are the first department of each
# region) so that round-robin rep assignment staffs every region even with few reps.
DEPARTMENT_KINDS = ["Key Accounts", "SMB Sales", "Consumer Sales"]


def departments() -> list[tuple[int, str, int]]:
    """(department_id, name, region_id), interleaved across regions."""
    rows = []
    for k, kind in enumerate(DEPARTMENT_KINDS):
        for region_id, _code, name in REGIONS:
            rows.append((k * len(REGIONS) + region_id, f"{name} {kind}", region_id))
    return sorted(rows)


# (channel_id, code, name, type)
CHANNELS: list[tuple[int, str, str, str]] = [
    (1, "ONLINE", "Online store", "digital"),
    (2, "APP", "Mobile app", "digital"),
    (3, "RETAIL", "Retail store", "offline"),
    (4, "PARTNER", "Partner / reseller", "indirect"),
    (5, "DIRECT", "Direct sales", "direct"),
    (6, "CALL", "Call centre", "assisted"),
]
SLOW_CHANNELS = (4, 5)  # B2B channels: orders take longer to ship


class Subcategory(NamedTuple):
    category_id: int
    name: str
    sku_prefix: str
    models: tuple[str, ...]
    low: float  # list price of the cheapest model
    high: float  # list price of the dearest model
    margin: float  # typical gross margin
    b2c_weight: int  # popularity among consumers
    b2b_weight: int  # popularity among business buyers
    complement: int  # subcategory bought together with this one (cross-sell)


# (category_id, name); subcategories carry ids category_id * 10 + n.
CATEGORIES: list[tuple[int, str]] = [
    (1, "Computers"), (2, "Phones & Wearables"), (3, "Home Appliances"),
    (4, "Office Equipment"), (5, "Networking"), (6, "Software & Services"), (7, "Accessories"),
]

SUBCATEGORIES: list[Subcategory] = [
    Subcategory(11, "Laptops", "LAP", ("Orion 13 Air", "Orion 14", "Orion 14 Pro",
                "Orion 16 Pro", "Vega 14 Business", "Vega 15 Business"),
                3999, 12999, 0.18, 10, 14, 71),
    Subcategory(12, "Desktops", "DSK", ("Atlas Mini", "Atlas Tower", "Atlas Workstation",
                "Vega Desktop Business", "Orion All-in-One 24"), 2999, 15999, 0.2, 3, 10, 73),
    Subcategory(13, "Tablets", "TAB", ("Nova Pad 11", "Nova Pad 11 Pro", "Nova Pad Mini",
                "Nova Pad 13 Pro"), 1999, 6999, 0.22, 8, 3, 71),
    Subcategory(21, "Smartphones", "PHN", ("Lumen 8", "Lumen 8 Pro", "Lumen 9", "Lumen 9 Pro",
                "Lumen Fold", "Lumen Lite"), 1299, 9999, 0.2, 22, 5, 72),
    Subcategory(22, "Smartwatches", "WCH", ("Pulse Band 3", "Pulse Watch 4",
                "Pulse Watch 4 Pro", "Pulse Kids"), 299, 2999, 0.3, 8, 1, 72),
    Subcategory(23, "Earbuds & Headphones", "AUD", ("Echo Buds", "Echo Buds Pro",
                "Echo Studio Headphones", "Echo Sport"), 199, 1999, 0.35, 9, 2, 21),
    Subcategory(31, "Air Purifiers", "AIR", ("Breeze 300", "Breeze 500", "Breeze 700 Max"),
                899, 3999, 0.3, 5, 2, 62),
    Subcategory(32, "Robot Vacuums", "VAC", ("Sweep S5", "Sweep S7", "Sweep X10 Ultra"),
                1499, 5999, 0.28, 6, 0, 62),
    Subcategory(33, "Kitchen Appliances", "KIT", ("Chef Rice Cooker", "Chef Air Fryer",
                "Chef Soy Milk Maker", "Chef Induction Hob"), 199, 1299, 0.35, 6, 1, 62),
    Subcategory(41, "Printers", "PRT", ("Inkline 200", "Laserline 400", "Laserline 600 MFP",
                "Laserline Color 800"), 699, 8999, 0.25, 3, 12, 74),
    Subcategory(42, "Projectors", "PRJ", ("Beam Mini", "Beam Office 3000",
                "Beam Laser 5000"), 1999, 14999, 0.25, 2, 6, 43),
    Subcategory(43, "Conference Systems", "CNF", ("Meet Cam", "Meet Room Kit",
                "Meet Board 65"), 1499, 29999, 0.3, 0, 7, 63),
    Subcategory(51, "Routers", "RTR", ("Link AX3000", "Link AX6000", "Link Mesh 3-Pack"),
                199, 1999, 0.3, 5, 6, 52),
    Subcategory(52, "Switches", "SWT", ("Core 8-Port", "Core 24-Port PoE",
                "Core 48-Port Managed"), 299, 9999, 0.3, 0, 8, 51),
    Subcategory(61, "Office Software", "SWO", ("Suite Home", "Suite Business",
                "Suite Enterprise"), 399, 2999, 0.8, 3, 8, 11),
    Subcategory(62, "Extended Warranty", "WAR", ("Care 1 Year", "Care 2 Years",
                "Care+ 3 Years"), 199, 999, 0.7, 4, 3, 11),
    Subcategory(63, "Cloud & Support Plans", "CLD", ("Cloud Backup 1TB", "Support Standard",
                "Support Premium"), 599, 19999, 0.75, 1, 7, 52),
    Subcategory(71, "Bags & Cases", "BAG", ("Urban Backpack", "Slim Sleeve 14",
                "Business Trolley"), 99, 899, 0.5, 5, 3, 11),
    Subcategory(72, "Chargers & Cables", "CHG", ("Fast Charger 65W", "Power Bank 20000",
                "USB-C Cable 2m", "Wireless Charger"), 49, 399, 0.55, 9, 3, 21),
    Subcategory(73, "Keyboards & Mice", "KBM", ("Type Keyboard", "Glide Mouse",
                "Type Combo Wireless", "Glide Ergo Mouse"), 79, 799, 0.5, 5, 6, 12),
    Subcategory(74, "Printer Supplies", "INK", ("Ink Cartridge Black", "Ink Cartridge Color",
                "Toner 400", "Toner Color 800"), 99, 899, 0.55, 2, 9, 41),
]


class Product(NamedTuple):
    product_id: int
    sku: str
    name: str
    category_id: int
    list_price: str  # decimal text, exact
    unit_cost: str
    first_in_sub: bool  # the fallback product of its subcategory (always on sale)


def _price(value: float) -> int:
    """Round to a shop price ending in 9 (e.g. 5999)."""
    if value < 100:
        return int(value // 10) * 10 + 9
    return int(value // 100) * 100 + 99 if value >= 1000 else int(value // 10) * 10 + 9


def products() -> list[Product]:
    """One product per model, prices spread between the subcategory's low and high end."""
    rows: list[Product] = []
    pid = 1000
    for sub in SUBCATEGORIES:
        n = len(sub.models)
        for k, model in enumerate(sub.models):
            pid += 1
            raw = sub.low + (sub.high - sub.low) * (k / (n - 1) if n > 1 else 0)
            price = float(sub.low if k == 0 else _price(raw))
            cost_cents = round(price * 100 * (1 - sub.margin - 0.04 * (k % 3)))
            rows.append(Product(pid, f"{sub.sku_prefix}-{pid:05d}", model, sub.category_id,
                                f"{price:.2f}", f"{cost_cents / 100:.2f}", k == 0))
    return rows


class CampaignTemplate(NamedTuple):
    key: str
    name: str
    start: tuple[int, int] | str  # (month, day), or "cny" / "cny-<days>" relative to CNY
    days: int
    channel_id: int
    objective: str
    budget: int  # CNY at scale 1
    audience: str  # "all", "b2c" or "b2b"


CAMPAIGNS: list[CampaignTemplate] = [
    CampaignTemplate("NYKO", "New Year Enterprise Kick-off", (1, 5), 27, 5, "acquisition",
                     180_000, "b2b"),
    CampaignTemplate("CNY", "Spring Festival Sale", "cny-21", 28, 2, "reactivation", 400_000,
                     "b2c"),
    CampaignTemplate("VDAY", "Valentine's Gift Guide", (2, 1), 14, 1, "cross_sell", 60_000,
                     "b2c"),
    CampaignTemplate("WDAY", "Women's Day Sale", (3, 1), 8, 2, "cross_sell", 80_000, "b2c"),
    CampaignTemplate("SPUP", "Spring Office Upgrade", (3, 10), 31, 5, "upsell", 150_000, "b2b"),
    CampaignTemplate("CLDW", "Cloud Services Webinar Series", (4, 15), 46, 5, "cross_sell",
                     90_000, "b2b"),
    CampaignTemplate("MAY1", "Labour Day Sale", (4, 25), 11, 1, "acquisition", 150_000, "all"),
    CampaignTemplate("520", "520 Love Tech", (5, 15), 6, 2, "cross_sell", 60_000, "b2c"),
    CampaignTemplate("618", "618 Mid-Year Sale", (6, 1), 18, 1, "acquisition", 600_000, "all"),
    CampaignTemplate("GRAD", "Summer Graduation Deals", (6, 20), 42, 1, "acquisition",
                     120_000, "b2c"),
    CampaignTemplate("MDAY", "Loyalty Member Day", (7, 15), 7, 2, "retention", 70_000, "b2c"),
    CampaignTemplate("WINB", "Win-back Calls", (8, 1), 31, 6, "reactivation", 50_000, "all"),
    CampaignTemplate("BTS", "Back to School", (8, 10), 32, 3, "acquisition", 160_000, "b2c"),
    CampaignTemplate("PSUM", "Partner Summit Promotion", (9, 1), 30, 4, "acquisition",
                     200_000, "b2b"),
    CampaignTemplate("GOLD", "National Day Golden Week", (9, 25), 13, 3, "acquisition",
                     220_000, "all"),
    CampaignTemplate("D11", "Double 11 Singles Day", (10, 20), 23, 1, "acquisition",
                     900_000, "all"),
    CampaignTemplate("YEBB", "Year-End Enterprise Budget", (11, 15), 47, 5, "upsell",
                     250_000, "b2b"),
    CampaignTemplate("BFCB", "Black Friday Cross-border", (11, 20), 11, 1, "acquisition",
                     80_000, "all"),
    CampaignTemplate("D12", "Double 12 Sale", (12, 1), 12, 2, "retention", 300_000, "b2c"),
    CampaignTemplate("XMAS", "Christmas Gift Picks", (12, 15), 11, 1, "cross_sell", 70_000,
                     "b2c"),
]

# Chinese New Year's day, for seasonality and the Spring Festival campaign.
CNY_DATES: dict[int, str] = {
    2015: "2015-02-19", 2016: "2016-02-08", 2017: "2017-01-28", 2018: "2018-02-16",
    2019: "2019-02-05", 2020: "2020-01-25", 2021: "2021-02-12", 2022: "2022-02-01",
    2023: "2023-01-22", 2024: "2024-02-10", 2025: "2025-01-29", 2026: "2026-02-17",
    2027: "2027-02-06", 2028: "2028-01-26", 2029: "2029-02-13", 2030: "2030-02-03",
    2031: "2031-01-23", 2032: "2032-02-11", 2033: "2033-01-31", 2034: "2034-02-19",
    2035: "2035-02-08",
}
