"""Real Chinese provinces and cities (GB/T 2260 codes) plus a few foreign cities.

Customers are spread over these by `weight` (roughly commercial size), and each city belongs
to one sales region, so sales-by-region and sales-by-province analyses have real shape.
"""

from __future__ import annotations

from typing import NamedTuple


class City(NamedTuple):
    city_id: int
    country_code: str
    country_name: str
    province_code: str | None
    province_name: str
    city_name: str
    region_code: str
    area_code: str  # telephone area code, used for landline numbers
    postal_prefix: str  # first digits of the postal code
    weight: int  # relative share of customers
    street_style: str  # "cn" Chinese address, else the country code for a foreign one


# (province_code, province_name, region, [(city_id, city_name, area_code, postal_prefix, weight)])
_PROVINCES: list[tuple[str, str, str, list[tuple[int, str, str, str, int]]]] = [
    ("310000", "上海市", "EC", [(310100, "上海市", "021", "200", 60)]),
    ("320000", "江苏省", "EC", [
        (320100, "南京市", "025", "210", 20), (320500, "苏州市", "0512", "215", 20),
        (320200, "无锡市", "0510", "214", 10), (320400, "常州市", "0519", "213", 6),
        (320600, "南通市", "0513", "226", 5), (321000, "扬州市", "0514", "225", 3),
        (320300, "徐州市", "0516", "221", 4)]),
    ("330000", "浙江省", "EC", [
        (330100, "杭州市", "0571", "310", 25), (330200, "宁波市", "0574", "315", 12),
        (330300, "温州市", "0577", "325", 7), (330700, "金华市", "0579", "321", 5),
        (330400, "嘉兴市", "0573", "314", 4), (330600, "绍兴市", "0575", "312", 4)]),
    ("340000", "安徽省", "EC", [
        (340100, "合肥市", "0551", "230", 8), (340200, "芜湖市", "0553", "241", 3)]),
    ("350000", "福建省", "EC", [
        (350100, "福州市", "0591", "350", 7), (350200, "厦门市", "0592", "361", 8),
        (350500, "泉州市", "0595", "362", 5)]),
    ("360000", "江西省", "EC", [(360100, "南昌市", "0791", "330", 5)]),
    ("370000", "山东省", "EC", [
        (370100, "济南市", "0531", "250", 8), (370200, "青岛市", "0532", "266", 10),
        (370600, "烟台市", "0535", "264", 4), (370700, "潍坊市", "0536", "261", 3)]),
    ("110000", "北京市", "NC", [(110100, "北京市", "010", "100", 55)]),
    ("120000", "天津市", "NC", [(120100, "天津市", "022", "300", 15)]),
    ("130000", "河北省", "NC", [
        (130100, "石家庄市", "0311", "050", 6), (130200, "唐山市", "0315", "063", 3),
        (130600, "保定市", "0312", "071", 3)]),
    ("140000", "山西省", "NC", [(140100, "太原市", "0351", "030", 5)]),
    ("150000", "内蒙古自治区", "NC", [(150100, "呼和浩特市", "0471", "010", 3)]),
    ("210000", "辽宁省", "NC", [
        (210100, "沈阳市", "024", "110", 8), (210200, "大连市", "0411", "116", 7)]),
    ("220000", "吉林省", "NC", [(220100, "长春市", "0431", "130", 5)]),
    ("230000", "黑龙江省", "NC", [(230100, "哈尔滨市", "0451", "150", 6)]),
    ("410000", "河南省", "NC", [
        (410100, "郑州市", "0371", "450", 10), (410300, "洛阳市", "0379", "471", 3)]),
    ("440000", "广东省", "SC", [
        (440100, "广州市", "020", "510", 40), (440300, "深圳市", "0755", "518", 45),
        (440600, "佛山市", "0757", "528", 10), (441900, "东莞市", "0769", "523", 10),
        (440400, "珠海市", "0756", "519", 4), (441300, "惠州市", "0752", "516", 3),
        (442000, "中山市", "0760", "528", 3)]),
    ("450000", "广西壮族自治区", "SC", [
        (450100, "南宁市", "0771", "530", 5), (450300, "桂林市", "0773", "541", 2)]),
    ("460000", "海南省", "SC", [
        (460100, "海口市", "0898", "570", 3), (460200, "三亚市", "0898", "572", 2)]),
    ("420000", "湖北省", "SC", [
        (420100, "武汉市", "027", "430", 15), (420500, "宜昌市", "0717", "443", 2)]),
    ("430000", "湖南省", "SC", [(430100, "长沙市", "0731", "410", 12)]),
    ("510000", "四川省", "WC", [
        (510100, "成都市", "028", "610", 22), (510700, "绵阳市", "0816", "621", 3)]),
    ("500000", "重庆市", "WC", [(500100, "重庆市", "023", "400", 15)]),
    ("530000", "云南省", "WC", [(530100, "昆明市", "0871", "650", 6)]),
    ("520000", "贵州省", "WC", [(520100, "贵阳市", "0851", "550", 4)]),
    ("610000", "陕西省", "WC", [(610100, "西安市", "029", "710", 12)]),
    ("620000", "甘肃省", "WC", [(620100, "兰州市", "0931", "730", 3)]),
    ("630000", "青海省", "WC", [(630100, "西宁市", "0971", "810", 1)]),
    ("640000", "宁夏回族自治区", "WC", [(640100, "银川市", "0951", "750", 1)]),
    ("650000", "新疆维吾尔自治区", "WC", [(650100, "乌鲁木齐市", "0991", "830", 3)]),
    ("540000", "西藏自治区", "WC", [(540100, "拉萨市", "0891", "850", 1)]),
]

# (city_id, country_code, country_name, province_code, province_name, city, phone prefix,
#  postal code, weight)
_FOREIGN: list[tuple[int, str, str, str, str, str, str, str, int]] = [
    (9000001, "SG", "Singapore", "SG-01", "Central Singapore", "Singapore", "+65", "018956", 3),
    (9000002, "JP", "Japan", "JP-13", "Tokyo", "Tokyo", "+81 3", "100-0005", 2),
    (9000003, "KR", "South Korea", "KR-11", "Seoul", "Seoul", "+82 2", "04524", 2),
    (9000004, "DE", "Germany", "DE-HE", "Hesse", "Frankfurt am Main", "+49 69", "60311", 1),
    (9000005, "US", "United States", "US-CA", "California", "Los Angeles", "+1 213", "90012",
     2),
    (9000006, "GB", "United Kingdom", "GB-LND", "London", "London", "+44 20", "EC1A 1BB", 1),
    (9000007, "AU", "Australia", "AU-NSW", "New South Wales", "Sydney", "+61 2", "2000", 1),
    (9000008, "MY", "Malaysia", "MY-14", "Kuala Lumpur", "Kuala Lumpur", "+60 3", "50088", 1),
    (9000009, "AE", "United Arab Emirates", "AE-DU", "Dubai", "Dubai", "+971 4", "00000", 1),
]


def cities() -> list[City]:
    """Every city, Chinese first, in a fixed order (the order is part of determinism)."""
    rows = [
        City(cid, "CN", "中国", pcode, pname, cname, region, area, postal, weight, "cn")
        for pcode, pname, region, members in _PROVINCES
        for cid, cname, area, postal, weight in members
    ]
    rows += [
        City(cid, cc, country, pcode, pname, cname, "INTL", area, postal, weight, cc)
        for cid, cc, country, pcode, pname, cname, area, postal, weight in _FOREIGN
    ]
    return rows
