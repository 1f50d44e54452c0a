"""Word lists the generator draws from: names, company words, titles, feedback texts.

Kept as plain data so the SQL generators can turn them into DuckDB lists; each Chinese word
carries its pinyin so e-mail addresses look like the ones real customers use.
"""

from __future__ import annotations

# (surname, pinyin, relative frequency)
SURNAMES: list[tuple[str, str, int]] = [
    ("王", "wang", 72), ("李", "li", 71), ("张", "zhang", 68), ("刘", "liu", 52),
    ("陈", "chen", 45), ("杨", "yang", 31), ("黄", "huang", 24), ("赵", "zhao", 21),
    ("吴", "wu", 20), ("周", "zhou", 19), ("徐", "xu", 14), ("孙", "sun", 13),
    ("马", "ma", 12), ("朱", "zhu", 12), ("胡", "hu", 11), ("郭", "guo", 11),
    ("何", "he", 10), ("高", "gao", 9), ("林", "lin", 9), ("罗", "luo", 9),
    ("郑", "zheng", 9), ("梁", "liang", 8), ("谢", "xie", 7), ("宋", "song", 7),
    ("唐", "tang", 7), ("许", "xu", 6), ("韩", "han", 6), ("冯", "feng", 6),
    ("邓", "deng", 6), ("曹", "cao", 5), ("彭", "peng", 5), ("曾", "zeng", 5),
    ("肖", "xiao", 5), ("田", "tian", 4), ("董", "dong", 4), ("袁", "yuan", 4),
    ("潘", "pan", 4), ("于", "yu", 4), ("蒋", "jiang", 4), ("蔡", "cai", 4),
    ("杜", "du", 3), ("叶", "ye", 3), ("程", "cheng", 3), ("苏", "su", 3),
    ("魏", "wei", 3), ("吕", "lv", 3), ("丁", "ding", 3), ("任", "ren", 3),
    ("沈", "shen", 3), ("欧阳", "ouyang", 1), ("司马", "sima", 1), ("上官", "shangguan", 1),
]

GIVEN_MALE: list[tuple[str, str]] = [
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"),
    ("勇", "yong"), ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("超", "chao"),
    ("鹏", "peng"), ("浩", "hao"), ("宇", "yu"), ("俊杰", "junjie"), ("子轩", "zixuan"),
    ("浩然", "haoran"), ("志强", "zhiqiang"), ("建华", "jianhua"), ("国平", "guoping"),
    ("文博", "wenbo"), ("晨", "chen"), ("辉", "hui"), ("斌", "bin"), ("宇航", "yuhang"),
    ("建国", "jianguo"), ("志明", "zhiming"), ("海涛", "haitao"), ("一鸣", "yiming"),
]

GIVEN_FEMALE: list[tuple[str, str]] = [
    ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("艳", "yan"), ("娟", "juan"), ("霞", "xia"), ("秀英", "xiuying"), ("婷", "ting"),
    ("雪", "xue"), ("欣怡", "xinyi"), ("梓涵", "zihan"), ("诗涵", "shihan"), ("雨萱", "yuxuan"),
    ("佳怡", "jiayi"), ("晓燕", "xiaoyan"), ("玉兰", "yulan"), ("慧", "hui"), ("琳", "lin"),
    ("颖", "ying"), ("倩", "qian"), ("思琪", "siqi"), ("美玲", "meiling"), ("丹", "dan"),
]

# Customers in foreign cities: (given, family, e-mail local part)
FOREIGN_PEOPLE: list[tuple[str, str]] = [
    ("Tan Wei Ming", "weiming.tan"), ("Lim Hui Ling", "huiling.lim"),
    ("Sato Yuki", "yuki.sato"), ("Tanaka Hiroshi", "h.tanaka"),
    ("Kim Min-jun", "minjun.kim"), ("Park Ji-woo", "jiwoo.park"),
    ("Anna Müller", "anna.mueller"), ("Lukas Schmidt", "l.schmidt"),
    ("John Smith", "john.smith"), ("Emily Johnson", "emily.j"),
    ("Oliver Brown", "oliver.brown"), ("Charlotte Wilson", "c.wilson"),
    ("Jack Taylor", "jack.taylor"), ("Nur Aisyah", "nur.aisyah"),
    ("Ahmad Faiz", "ahmad.faiz"), ("Fatima Al Mansoori", "fatima.am"),
]

EMAIL_DOMAINS_B2C: list[tuple[str, int]] = [
    ("qq.com", 40), ("163.com", 22), ("126.com", 10), ("sina.com", 5), ("gmail.com", 8),
    ("outlook.com", 6), ("foxmail.com", 5), ("139.com", 4),
]

MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150",
                   "151", "152", "155", "156", "158", "159", "166", "176", "177", "180",
                   "181", "182", "185", "186", "187", "188", "189", "199"]

# Company brand words: (word, pinyin)
BRANDS: list[tuple[str, str]] = [
    ("华信", "huaxin"), ("创新", "chuangxin"), ("宏达", "hongda"), ("恒通", "hengtong"),
    ("瑞丰", "ruifeng"), ("天成", "tiancheng"), ("金桥", "jinqiao"), ("东方", "dongfang"),
    ("新纪元", "xinjiyuan"), ("中科", "zhongke"), ("博远", "boyuan"), ("凯盛", "kaisheng"),
    ("鼎新", "dingxin"), ("融通", "rongtong"), ("星辰", "xingchen"), ("海纳", "haina"),
    ("锦程", "jincheng"), ("启航", "qihang"), ("智远", "zhiyuan"), ("云帆", "yunfan"),
    ("百川", "baichuan"), ("联创", "lianchuang"), ("盛世", "shengshi"), ("永泰", "yongtai"),
    ("嘉禾", "jiahe"), ("德润", "derun"), ("安信", "anxin"), ("华宇", "huayu"),
    ("明辉", "minghui"), ("远景", "yuanjing"), ("立达", "lida"), ("同创", "tongchuang"),
    ("三和", "sanhe"), ("九州", "jiuzhou"), ("万象", "wanxiang"), ("思源", "siyuan"),
]

# (industry, Chinese business-scope word, English word for foreign company names, weight)
INDUSTRIES: list[tuple[str, str, str, int]] = [
    ("IT & Software", "科技", "Technology", 18),
    ("Manufacturing", "机械制造", "Manufacturing", 16),
    ("Retail & Trade", "商贸", "Trading", 14),
    ("Logistics", "物流", "Logistics", 8),
    ("Healthcare", "医疗器械", "Medical", 7),
    ("Education", "教育科技", "Education", 6),
    ("Finance", "投资管理", "Capital", 6),
    ("Real Estate", "置业", "Properties", 5),
    ("Energy", "新能源", "Energy", 5),
    ("Hospitality", "酒店管理", "Hospitality", 5),
    ("Food & Beverage", "食品", "Foods", 6),
    ("Professional Services", "咨询", "Consulting", 4),
]

COMPANY_SUFFIXES: list[tuple[str, int]] = [
    ("有限公司", 70), ("股份有限公司", 15), ("集团有限公司", 10), ("有限责任公司", 5),
]

FOREIGN_SUFFIX = {"SG": "Pte. Ltd.", "JP": "K.K.", "KR": "Co., Ltd.", "DE": "GmbH",
                  "US": "Inc.", "GB": "Ltd", "AU": "Pty Ltd", "MY": "Sdn. Bhd.",
                  "AE": "FZ-LLC"}

# Employee band, B2B segment it usually falls in, weight
EMPLOYEE_BANDS: list[tuple[str, str, int]] = [
    ("1-9", "SMB", 30), ("10-49", "SMB", 30), ("50-249", "mid_market", 22),
    ("250-999", "mid_market", 11), ("1000+", "enterprise", 7),
]

ROADS = ["人民路", "中山路", "解放路", "建设路", "和平路", "新华路", "长江路", "黄河路",
         "文化路", "科技路", "南京路", "延安路", "滨江大道", "世纪大道", "学院路", "工业园路"]

FOREIGN_STREETS = {
    "SG": "Orchard Road", "JP": "Marunouchi", "KR": "Sejong-daero", "DE": "Kaiserstraße",
    "US": "W 1st St", "GB": "Cheapside", "AU": "George Street", "MY": "Jalan Ampang",
    "AE": "Sheikh Zayed Road",
}

CONTACT_TITLES: list[tuple[str, int]] = [
    ("总经理", 10), ("采购经理", 25), ("IT经理", 20), ("财务总监", 10), ("行政主管", 15),
    ("运营总监", 8), ("技术负责人", 7), ("采购专员", 5),
]

# Ticket feedback, by sentiment; Chinese and English.
FEEDBACK_ZH = {
    "positive": [
        "服务很好，问题很快就解决了，非常满意！",
        "客服态度热情，专业高效，点赞。",
        "物流很快，产品质量不错，好评。",
        "维修师傅很专业，上门准时，解决得很彻底。",
        "退货流程简单方便，退款也很及时。",
        "工程师远程协助解决了网络问题，效率很高。",
        "回复及时，耐心解答，体验很好。",
    ],
    "neutral": [
        "问题解决了，但是等待时间有点长。",
        "还可以，希望响应再快一点。",
        "产品一般，客服回复还算及时。",
        "处理结果可以接受，流程有点繁琐。",
    ],
    "negative": [
        "等了三天都没人回复，非常失望。",
        "产品质量太差，用了一周就坏了。",
        "客服推来推去，问题一直没解决。",
        "发票开错了两次，太麻烦了。",
        "送货延迟，也没有任何通知。",
        "维修费用太贵，而且修完还有问题，差评。",
    ],
}
FEEDBACK_EN = {
    "positive": [
        "Quick response and the issue was fixed the same day. Great service!",
        "Very helpful support engineer, thank you.",
        "Smooth return process, the refund arrived quickly.",
        "Friendly staff and a clear explanation. Happy with the result.",
    ],
    "neutral": [
        "Resolved eventually, but it took longer than expected.",
        "OK service, the answer was a bit generic.",
        "Fine, although I had to explain the problem twice.",
    ],
    "negative": [
        "Nobody replied for three days. Very disappointed.",
        "The replacement unit is also faulty. Terrible quality.",
        "I was transferred four times and still have no solution.",
        "Delivery was late and nobody told me.",
    ],
}

CARRIERS_CN: list[tuple[str, int]] = [
    ("顺丰速运", 35), ("京东物流", 25), ("中通快递", 14), ("圆通速递", 10),
    ("德邦快递", 10), ("中国邮政EMS", 6),
]
CARRIERS_INTL: list[tuple[str, int]] = [("DHL Express", 50), ("FedEx", 30), ("顺丰国际", 20)]

LANDING_PAGES = ["/", "/", "/products", "/products/laptops", "/products/smartphones",
                 "/products/printers", "/products/routers", "/search", "/deals", "/account",
                 "/support", "/support/warranty", "/enterprise", "/stores"]
