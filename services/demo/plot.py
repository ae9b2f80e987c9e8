"""Service year 2021 (2021-06-01 .. 2022-05-31) for Liaocheng's ten sub-districts:
the year's plot as data (the districts' story, dates, texts and figures), read
by the driver in ``services.demo.scenario`` that plays it through the HTTP API.

The figures the plot is built to produce (R-FEE-1; fee 6,000,000 fen per
group and year, rule ``max``) are in ``EXPECTED_SETTLEMENTS``:

- ``g-liuyuan`` is DOMAIN.md worked example 1: 22 service days, no visit in
  December and April → deduction 1,600,000, payable 4,400,000;
- ``g-jiuzhou`` is worked example 2: assigned from 2021-09-18 (8 duty
  months, fee 4,000,000), no visit in March → payable 3,500,000;
- ``g-fenghuang`` has 31.5 days but no visit in July 2021 → payable 5,500,000;
- the other seven serve every month and at least 30 days (``g-jiangguantun``
  exactly 30) → payable 6,000,000 each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from services.demo.client import Role

D = dt.date
API = "/api/v1"
YEAR = 2021
YEAR_FIRST = D(2021, 6, 1)
YEAR_LAST = D(2022, 5, 31)
# The story goes on a month after the year: half-yearly summaries, annual
# summaries and the settlements (R-FEE-1 settles a year once it has ended).
STORY_LAST = D(2022, 6, 30)
CONTRACT = "c2021"
ANNUAL_FEE_FEN = 6_000_000

BUREAU = Role("bureau", subject="bureau.lc-zrzyj")
# The one visit report that reached the bureau late (more than 7 days after the visit).
LATE_REPORT = ("g-huxi", 10)
LATE_REPORT_DAYS = 12
# Opinions residents sent through the city app 「我的聊城」 in 2021/22 are entered
# with their original dates by the bureau's intake clerk: an anonymous caller
# may not set a business date (R-SEC-1), only "today".
APP_INTAKE = Role("bureau", subject="bureau.app-intake")


def subdistrict(district: str) -> Role:
    return Role("subdistrict", subject=f"sd.{district}", district=district)


def government(code: str) -> Role:
    return Role("government", subject=f"gov.{code}", government=code)


# -- the organisation --------------------------------------------------------------------------

# code: (responsible leader, department, contact person) — R-ORG-7
GOVERNMENTS = {
    "dongchangfu": ("副区长 张志远", "东昌府区住房和城乡建设局", "城建科 李红"),
    "jingkai": ("管委会副主任 王海波", "聊城经济技术开发区建设管理部", "规划科 赵琳"),
    "gaoxin": ("管委会副主任 刘振东", "聊城高新技术产业开发区规划建设部", "规划科 孙悦"),
    "dujiaqu": ("管委会副主任 陈国强", "江北水城旅游度假区规划建设部", "规划科 周婷"),
}


@dataclass(frozen=True)
class District:
    code: str
    government: str
    leader: str  # the principal leader a group meets (R-VIS-3)
    contact: str
    cell: tuple[int, int]  # (column, row) of its rectangle on the demo map
    places: tuple[str, ...]


DISTRICTS = (
    District("gulou", "dongchangfu", "刘建军", "城建办 王敏", (1, 0),
             ("光岳楼周边", "东关街历史文化街区", "海源阁", "楼西街社区", "古城南门")),
    District("liuyuan", "dongchangfu", "陈立华", "城管办 张倩", (2, 0),
             ("柳园路沿线", "米市街社区", "百货大楼片区", "柳园小区")),
    District("xinqu", "dongchangfu", "赵国庆", "规划建设办 李娜", (3, 0),
             ("兴华路社区", "湖南路老旧小区", "振兴路小学周边", "东昌路与花园路口")),
    District("jiaming", "dongchangfu", "孙卫国", "经济发展局 周磊", (3, 1),
             ("嘉明大道两侧", "红星路片区", "嘉明工业园", "园区标准厂房")),
    District("fenghuang", "dongchangfu", "杨海涛", "建设管理部 吴静", (1, 1),
             ("凤凰苑社区", "天津路物流片区", "园区职工公寓", "凤凰工业园区")),
    District("gaotie", "dongchangfu", "郭志刚", "规划建设部 马超", (0, 1),
             ("聊城西站站前广场", "站前大道", "侯营镇区", "侯营老街")),
    District("huxi", "dujiaqu", "黄晓梅", "城建办 刘洋", (0, 0),
             ("东昌湖西岸", "湖西商业街", "运河老码头", "湖西社区")),
    District("jiangguantun", "jingkai", "田永生", "村镇建设办 韩雪", (4, 0),
             ("蒋官屯村", "京杭运河故道", "东部产业园", "街道便民服务中心")),
    District("beicheng", "jingkai", "何振华", "城建办 许晨", (2, 1),
             ("苏州路社区", "徒骇河沿岸", "北城中学周边", "北城街道办")),
    District("jiuzhou", "gaoxin", "朱红军", "社会事务办 宋佳", (4, 1),
             ("九州洼", "高新区科创园", "九州社区", "黄河路沿线")),
)
DISTRICT = {d.code: d for d in DISTRICTS}

# Simple rectangles around Liaocheng's centre (36.40–36.50 N, 115.90–116.10 E):
# five columns of 0.04° by two rows of 0.05°, each inset so that none touch.
LON0, LAT0, CELL_LON, CELL_LAT, INSET = 115.90, 36.40, 0.04, 0.05, 0.002


def rectangle(district: District) -> tuple[float, float, float, float]:
    col, row = district.cell
    west = round(LON0 + col * CELL_LON + INSET, 4)
    south = round(LAT0 + row * CELL_LAT + INSET, 4)
    return west, south, round(west + CELL_LON - 2 * INSET, 4), round(south + CELL_LAT - 2 * INSET, 4)


def boundary(district: District) -> dict[str, Any]:
    west, south, east, north = rectangle(district)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def point_in(district: str, k: int = 0) -> dict[str, float]:
    """A point well inside the district's rectangle (a little off centre, by ``k``)."""
    west, south, east, north = rectangle(DISTRICT[district])
    return {"lat": round((south + north) / 2 + 0.004 * ((k % 3) - 1), 5),
            "lon": round((west + east) / 2 + 0.005 * (((k + 1) % 3) - 1), 5)}


# id, name, origin, qualifications, years of experience, community renewal, institution (R-ORG-4, R-ORG-5)
PLANNERS = (
    ("p01", "王思远", "tier1", ["registered_planner", "senior_title"], 12, True, "北京华清城市规划设计研究院"),
    ("p02", "陈嘉怡", "tier1", ["registered_planner"], 8, True, "上海同城规划设计研究院"),
    ("p03", "刘博文", "tier1", ["registered_architect_class1"], 15, False, "北京华清城市规划设计研究院"),
    ("p04", "赵雨桐", "tier1", ["senior_title"], 10, True, "深圳前海城市设计研究院"),
    ("p05", "孙浩然", "tier1", ["registered_planner"], 9, False, "广州羊城规划设计研究院"),
    ("p06", "周静怡", "tier1", ["registered_planner", "senior_title"], 14, True, "上海同城规划设计研究院"),
    ("p07", "吴俊杰", "tier1", ["registered_planner"], 7, False, "广州羊城规划设计研究院"),
    ("p08", "郑晓晨", "tier1", ["senior_title"], 16, True, "深圳前海城市设计研究院"),
    ("p09", "黄志强", "tier1", ["registered_architect_class1", "senior_title"], 18, False, "广州羊城规划设计研究院"),
    ("p10", "林诗涵", "tier1", ["registered_planner"], 6, True, "上海同城规划设计研究院"),
    ("p11", "李国栋", "local", ["senior_title"], 20, False, "聊城市规划设计研究院"),
    ("p12", "张春燕", "local", ["registered_planner"], 9, True, "聊城市规划设计研究院"),
    ("p13", "马立新", "local", ["senior_title"], 22, False, "聊城市建筑设计研究院"),
    ("p14", "杜红梅", "local", ["registered_planner"], 11, True, "水城规划设计有限公司"),
    ("p15", "高建华", "local", ["registered_architect_class1"], 17, False, "聊城市建筑设计研究院"),
    ("p16", "徐丽娟", "local", ["registered_planner"], 8, True, "聊城市规划设计研究院"),
    ("p17", "韩卫东", "local", ["senior_title"], 19, False, "水城规划设计有限公司"),
    ("p18", "侯雪莲", "local", ["registered_planner"], 7, True, "聊城市规划设计研究院"),
    ("p19", "宋振宇", "local", ["senior_title", "registered_planner"], 13, False, "聊城市建筑设计研究院"),
    ("p20", "许文静", "local", ["registered_planner"], 6, True, "水城规划设计有限公司"),
)
PLANNER_NAME = {p[0]: p[1] for p in PLANNERS}
# R-TEAM-1: the team (a first-tier city's institution with a class-A planning qualification)
# and the local institutions that supply planners, each with its certificate.
TEAM = {"code": "tongcheng", "name": "上海同城规划设计研究院", "city": "上海市", "city_tier": "tier1",
        "qualification": {"grade": "甲级", "certificate_no": "自资规甲字21310001", "issuer": "自然资源部",
                          "valid_from": "2020-12-01", "valid_until": "2025-11-30"}}
INSTITUTIONS = (
    ("lc-ghy", "聊城市规划设计研究院", "乙级", "自资规乙字23715001"),
    ("lc-jzy", "聊城市建筑设计研究院", "乙级", "自资规乙字23715002"),
    ("shuicheng", "水城规划设计有限公司", "丙级", "自资规丙字23715003"),
)
INSTITUTION_CODE = {name: code for code, name, _, _ in INSTITUTIONS}
# R-CON-4: in January 2022 周静怡 returns to her Shanghai office; 何明轩 takes her place.
REPLACEMENT = {
    "group": "g-gaotie", "out": "p06", "in": "p21", "date": D(2022, 1, 10),
    "appointed": D(2022, 1, 5),
    "planner": ("p21", "何明轩", "tier1", ["registered_planner"], 11, True, "上海同城规划设计研究院"),
    "reason": "原责任规划师周静怡调回上海总部任职，经团队申请、市局同意，由何明轩接替",
}
PLANNER_NAME["p21"] = "何明轩"

# Visits as data: "MM-DD days [flags]"; June–December are 2021, January–May 2022.
# Flags: L = the principal leader was met face to face (R-VIS-3); 1 / 2 = only the
# tier1 / only the local planner came (default both); x = the sub-district
# disputes it (R-VIS-7). Confirmation: which visits the sub-district confirms.


@dataclass(frozen=True)
class GroupPlot:
    code: str
    district: str
    tier1: str
    local: str
    from_date: dt.date
    visits: str
    confirms: str  # all | leader | none | first-half
    formed_on: dt.date | None = None


GROUPS = (
    GroupPlot("g-gulou", "gulou", "p01", "p11", YEAR_FIRST,
              "06-08 2.5 L; 06-23 1 2; 07-07 2.5 L; 08-04 2 L; 08-18 1 1; 09-08 2.5 L; 10-13 2.5 L; 11-03 2 L;"
              " 11-17 1 2; 12-08 2.5 L; 01-05 2 L; 02-16 2; 03-09 2.5 L; 04-06 2.5 L; 05-11 2.5 L; 05-25 1 1",
              "all"),
    # DOMAIN.md worked example 1: 06-30 for 1.5 days and 07-01 for 1.0 (07-01 capped at 1.0), then
    # 2.5 days once a month August .. May except December and April: 22 days, 10 of 12 months.
    GroupPlot("g-liuyuan", "liuyuan", "p02", "p12", YEAR_FIRST,
              "06-30 1.5 L; 07-01 1 L; 08-03 2.5 L; 09-03 2.5 L; 10-11 2.5; 11-03 2.5 L; 01-04 2.5 L;"
              " 02-09 2.5 L; 03-03 2.5 L; 05-05 2.5 L",
              "leader"),
    GroupPlot("g-xinqu", "xinqu", "p03", "p13", YEAR_FIRST,
              "06-10 2 L; 06-24 1; 07-15 2.5 L; 08-12 2 L; 08-26 1 2; 09-09 2.5 L; 10-21 2.5 L; 11-11 2.5 x;"
              " 11-25 1 L 1; 12-16 2.5 L; 01-13 2.5 L; 02-24 2 L; 03-17 2.5; 04-14 2.5 L; 05-12 2.5 L",
              "all"),
    GroupPlot("g-jiaming", "jiaming", "p04", "p14", YEAR_FIRST,
              "06-15 3 L; 07-13 2.5 L; 08-17 2.5; 09-14 3 L; 10-19 2.5 L; 11-16 2.5 L; 12-14 3 L; 01-11 2 L;"
              " 02-22 2.5 L; 03-15 2.5 L; 04-12 2.5; 05-17 3 L",
              "none"),
    # No visit in July 2021: 31.5 days, but 11 of 12 months (visit shortfall 1/12).
    GroupPlot("g-fenghuang", "fenghuang", "p05", "p15", YEAR_FIRST,
              "06-09 2.5 L; 06-24 1.5 1; 08-11 3 L; 09-15 3 L; 10-20 2.5 L; 11-10 3 L; 12-15 2.5 L; 01-12 2.5;"
              " 02-23 2 L; 03-16 3 L; 04-13 3 L; 05-18 3 L",
              "all"),
    GroupPlot("g-gaotie", "gaotie", "p06", "p16", YEAR_FIRST,
              "06-16 2.5 L; 06-25 1 2; 07-21 2.5 L; 08-16 2.5 L; 09-22 2.5 L; 10-08 2 L; 10-26 1 2; 11-18 2.5 L;"
              " 12-15 2.5 L; 01-20 2.5 L; 02-17 2.5; 03-23 2.5 L; 04-20 2.5 L; 05-19 2.5 L",
              "first-half"),
    GroupPlot("g-huxi", "huxi", "p07", "p17", YEAR_FIRST,
              "06-11 2.5 L; 07-09 2.5 L; 07-23 1 2; 08-24 2.5 L; 09-17 2.5 L; 10-15 2.5 L; 11-15 2.5 L;"
              " 12-10 2 L; 01-14 2.5 L; 02-25 2.5 L; 03-07 2.5 L; 04-15 2; 05-13 3 L",
              "all"),
    GroupPlot("g-jiangguantun", "jiangguantun", "p08", "p18", YEAR_FIRST,
              "06-17 2.5 L; 07-05 2.5 L; 08-05 2.5 L; 09-27 2.5 L; 10-22 2.5; 11-19 2.5 L; 12-20 2.5 L;"
              " 01-07 2.5 L; 02-28 2 L; 03-18 2.5 L; 04-18 2.5 L; 05-10 3 L",
              "leader"),
    GroupPlot("g-beicheng", "beicheng", "p09", "p19", YEAR_FIRST,
              "06-24 2.5 L; 07-12 2.5 L; 08-10 2.5 L; 09-09 3 L; 09-13 1 2; 10-12 2.5 L; 11-09 2.5 L; 12-08 2.5 L;"
              " 01-18 2.5 L; 02-15 2.5 L; 03-11 2.5; 04-08 2.5 L; 05-05 3 L",
              "none"),
    # DOMAIN.md worked example 2: assigned from 2021-09-18 (September is not a duty month),
    # 1.0 day on 09-20, then 3.0 days a month October .. May except March.
    GroupPlot("g-jiuzhou", "jiuzhou", "p10", "p20", D(2021, 9, 18),
              "09-20 1 L; 10-12 3 L; 11-10 3 L; 12-13 3 L; 01-10 3 L; 02-14 3 L; 04-06 3 L; 05-16 3 L",
              "all"),
)
GROUP = {g.code: g for g in GROUPS}
GROUP_OF = {g.district: g.code for g in GROUPS}

# R-VIS-6: a visit logged with the wrong duration is corrected by a new event, with the reason.
CORRECTIONS = (
    ("g-gulou", "06-23", 2, {"days": 1.5}, "补记当天下午在楼西街社区召开的居民座谈会（半天）"),
)
# A visit entered twice by mistake: the copy is voided the same day.
DUPLICATES = (("g-beicheng", "10-12", "同一次驻点服务重复录入，作废此条"),)
DISPUTE_REASON = "街道当天全员参加防汛检查，未安排接待，也未见规划师到街道开展工作，请核实"

EXPECTED_SETTLEMENTS = {
    # group: (duty months, months with visit, days, fee, deduction, payable)
    "g-gulou": (12, 12, 32.5, 6_000_000, 0, 6_000_000),
    "g-liuyuan": (12, 10, 22.0, 6_000_000, 1_600_000, 4_400_000),
    "g-xinqu": (12, 12, 31.5, 6_000_000, 0, 6_000_000),
    "g-jiaming": (12, 12, 31.5, 6_000_000, 0, 6_000_000),
    "g-fenghuang": (12, 11, 31.5, 6_000_000, 500_000, 5_500_000),
    "g-gaotie": (12, 12, 31.5, 6_000_000, 0, 6_000_000),
    "g-huxi": (12, 12, 30.5, 6_000_000, 0, 6_000_000),
    "g-jiangguantun": (12, 12, 30.0, 6_000_000, 0, 6_000_000),
    "g-beicheng": (12, 12, 32.0, 6_000_000, 0, 6_000_000),
    "g-jiuzhou": (8, 7, 22.0, 4_000_000, 500_000, 3_500_000),
}

ACTIVITY_CYCLE = {
    "historic": ("survey", "publicity", "opinion_collection", "evaluation", "community_building", "consultation"),
    "built": ("survey", "opinion_collection", "consultation", "community_building", "evaluation", "publicity"),
    "new": ("survey", "consultation", "evaluation", "opinion_collection", "publicity"),
}
DISTRICT_KIND = {"gulou": "historic", "jiaming": "new", "fenghuang": "new", "gaotie": "new", "jiuzhou": "built"}
ACTIVITY_NOTE = {
    "survey": "踏勘{place}现状，梳理问题清单",
    "publicity": "在{place}开展规划政策宣传解读",
    "opinion_collection": "在{place}征集居民意见",
    "consultation": "就{place}在建项目提供技术咨询",
    "evaluation": "对{place}规划实施情况开展评估",
    "community_building": "组织居民参与{place}社区营造活动",
}

# -- residents' opinions (R-OPN-1..4) ---------------------------------------------------------
# label, district, date, channel, category, text, public, flow, where
# flow: steps with day offsets from the step before: ack, ans, esc, relay, close.
# Texts for replies, escalations and relays are in OPINION_WORDS.


@dataclass(frozen=True)
class OpinionPlot:
    label: str
    district: str
    date: dt.date
    channel: str
    category: str
    text: str
    flow: str
    public: bool = False
    by_point: bool = False


OPINIONS = (
    OpinionPlot("gulou-1", "gulou", D(2021, 6, 15), "app", "heritage",
                "光岳楼东侧几处老院落墙体开裂，雨季担心倒塌，希望尽快排查加固，同时保留老院子的样子。",
                "ack+1 esc+9 close+5", public=True),
    OpinionPlot("gulou-2", "gulou", D(2021, 7, 7), "planner", "public_space",
                "东关街晚上照明太暗，老人出门不方便，建议增加路灯，但不要破坏古街风貌。", "ack+0 ans+12 close+4"),
    OpinionPlot("gulou-3", "gulou", D(2021, 10, 20), "hotline", "transport",
                "古城内周末游客车辆乱停，堵住居民出行，希望设置临时停车点并分时段限行。",
                "ack+2 relay+3 ans+20 close+6"),
    OpinionPlot("gulou-4", "gulou", D(2022, 3, 14), "app", "public_service",
                "楼西街社区没有老年食堂，老人吃饭不方便，希望利用闲置院落改建。", "ack+3 esc+12 close+7",
                by_point=True),
    OpinionPlot("liuyuan-1", "liuyuan", D(2021, 6, 21), "app", "greening",
                "柳园小区中心绿地被个别住户私自种菜，希望恢复绿化并增加健身器材。", "ack+1 ans+15 close+3",
                public=True),
    OpinionPlot("liuyuan-2", "liuyuan", D(2021, 8, 9), "hotline", "utilities",
                "米市街社区一下雨就积水，雨水井经常堵塞，希望改造排水管网。", "ack+1 esc+8 close+10"),
    OpinionPlot("liuyuan-3", "liuyuan", D(2021, 11, 3), "planner", "public_space",
                "百货大楼片区人流量大，但缺少休息座椅和遮阳设施。", "ack+0 ans+10 close+2"),
    OpinionPlot("liuyuan-4", "liuyuan", D(2022, 2, 18), "app", "transport",
                "柳园路与建设路路口上下学时段接送车辆拥堵，建议优化停靠点。", "ack+9 ans+18 close+3"),
    OpinionPlot("xinqu-1", "xinqu", D(2021, 6, 24), "planner", "public_service",
                "兴华路社区活动中心面积太小，老年人和孩子的活动挤在一起，希望利用地下室扩建。",
                "ack+0 esc+14 close+4"),
    OpinionPlot("xinqu-2", "xinqu", D(2021, 9, 6), "app", "utilities",
                "湖南路老旧小区燃气管道老化，楼道里时常闻到异味，担心安全。", "ack+1 relay+1 ans+6 close+2",
                by_point=True),
    OpinionPlot("xinqu-3", "xinqu", D(2021, 12, 13), "app", "greening",
                "振兴路小学周边的行道树被砍了，夏天没有树荫，希望补种。", "ack+2 ans+20 close+5", public=True),
    OpinionPlot("xinqu-4", "xinqu", D(2022, 4, 11), "hotline", "governance",
                "我们小区加装电梯意见不一致，低层住户反对，希望责任规划师帮忙协调。", "ack+1"),
    OpinionPlot("jiaming-1", "jiaming", D(2021, 7, 12), "app", "land_use",
                "嘉明大道两侧空地长期围挡闲置，杂草丛生，希望明确用途。", "ack+2 ans+20 close+3"),
    OpinionPlot("jiaming-2", "jiaming", D(2021, 10, 19), "planner", "public_service",
                "园区职工子女就近入学难，附近缺少小学。", "ack+0 esc+10 close+6"),
    OpinionPlot("jiaming-3", "jiaming", D(2022, 1, 17), "app", "transport",
                "红星路公交站点太少，站距太远，上下班很不方便。", "ack+1 ans+13 close+2", public=True),
    OpinionPlot("jiaming-4", "jiaming", D(2022, 5, 9), "hotline", "greening",
                "红星路片区住宅多，却没有一处口袋公园。", "ack+2 ans+25 close+3"),
    OpinionPlot("fenghuang-1", "fenghuang", D(2021, 6, 28), "app", "transport",
                "天津路物流片区大货车夜间进出，噪音扰民。", "ack+3 relay+2 ans+20 close+4"),
    OpinionPlot("fenghuang-2", "fenghuang", D(2021, 9, 15), "planner", "public_service",
                "凤凰苑社区没有卫生室，看小病要跑很远。", "ack+0 esc+12 close+3"),
    OpinionPlot("fenghuang-3", "fenghuang", D(2021, 12, 6), "app", "utilities",
                "园区职工公寓冬季供暖温度不达标。", "ack+1 ans+9 close+2", by_point=True),
    OpinionPlot("fenghuang-4", "fenghuang", D(2022, 3, 22), "app", "public_space",
                "园区缺少职工下班后休闲健身的场地。", "ack+2 ans+15 close+3"),
    OpinionPlot("gaotie-1", "gaotie", D(2021, 7, 19), "app", "transport",
                "聊城西站站前广场出租车排队混乱，缺少接驳公交。", "ack+1 esc+10 close+5", by_point=True,
                public=True),
    OpinionPlot("gaotie-2", "gaotie", D(2021, 10, 8), "hotline", "governance",
                "侯营镇区拆迁安置进度不清楚，希望公开安置区规划。", "ack+2 relay+1 ans+25 close+3"),
    OpinionPlot("gaotie-3", "gaotie", D(2022, 1, 20), "planner", "heritage",
                "侯营老街有几处老宅和两棵古槐，希望在高铁新区建设中保留下来。", "ack+0 esc+14 close+4"),
    OpinionPlot("gaotie-4", "gaotie", D(2022, 4, 25), "app", "public_service",
                "站前大道沿线没有公共厕所。", "ack+1 ans+12 close+2"),
    OpinionPlot("huxi-1", "huxi", D(2021, 6, 10), "app", "public_space",
                "东昌湖西岸步道多处破损，晚上夜跑的人多，希望尽快修复。", "ack+1 ans+16 close+3", by_point=True,
                public=True),
    OpinionPlot("huxi-2", "huxi", D(2021, 8, 24), "planner", "greening",
                "湖西社区的绿化带被车辆占用停放，草皮都压坏了。", "ack+0 ans+11 close+2"),
    OpinionPlot("huxi-3", "huxi", D(2021, 11, 15), "app", "heritage",
                "运河沿岸的老码头遗址没人管理，石阶被破坏。", "ack+2 esc+12 close+5"),
    OpinionPlot("huxi-4", "huxi", D(2022, 3, 7), "hotline", "transport",
                "湖西商业街周末停车难，车辆占用人行道。", "ack+1 relay+5"),
    OpinionPlot("jiangguantun-1", "jiangguantun", D(2021, 7, 5), "app", "utilities",
                "蒋官屯村自来水水压不足，高峰时段楼上没水。", "ack+1 ans+14 close+2"),
    OpinionPlot("jiangguantun-2", "jiangguantun", D(2021, 9, 27), "planner", "land_use",
                "东部产业园紧挨村庄，中间没有隔离绿带，灰尘大。", "ack+0 esc+12 close+4"),
    OpinionPlot("jiangguantun-3", "jiangguantun", D(2021, 12, 20), "app", "public_space",
                "京杭运河故道沿线环境不错，可以建设休闲步道。", "ack+2 ans+18 close+3", public=True),
    OpinionPlot("jiangguantun-4", "jiangguantun", D(2022, 4, 18), "hotline", "public_service",
                "街道缺少便民菜市场，买菜要去城区。", "ack+1 ans+16 close+3"),
    OpinionPlot("beicheng-1", "beicheng", D(2021, 6, 24), "app", "transport",
                "苏州路社区门前道路是断头路，出行要绕很远。", "ack+2 esc+10 close+4"),
    OpinionPlot("beicheng-2", "beicheng", D(2021, 9, 13), "hotline", "greening",
                "徒骇河沿岸垃圾多，希望整治并建设滨河绿道。", "ack+1 ans+20 close+3", by_point=True),
    OpinionPlot("beicheng-3", "beicheng", D(2021, 12, 8), "planner", "public_service",
                "北城中学周边没有公共停车场，接送学生时段道路拥堵。", "ack+0 ans+13 close+2"),
    OpinionPlot("beicheng-4", "beicheng", D(2022, 5, 5), "app", "utilities",
                "小区雨污管道混接，附近河道有异味。", "ack+2 ans+14 close+2"),
    # Before the district had a group (assigned from 2021-09-18): acknowledged late.
    OpinionPlot("jiuzhou-1", "jiuzhou", D(2021, 8, 20), "app", "public_space",
                "九州洼周边居民多，缺少健身广场。", "ack+33 ans+14 close+3", public=True),
    OpinionPlot("jiuzhou-2", "jiuzhou", D(2021, 10, 12), "planner", "land_use",
                "科创园企业多，配套的人才公寓不足。", "ack+0 esc+15 close+3"),
    OpinionPlot("jiuzhou-3", "jiuzhou", D(2022, 1, 10), "app", "transport",
                "黄河路沿线非机动车道被机动车占用。", "ack+1 ans+10 close+2", by_point=True),
    OpinionPlot("jiuzhou-4", "jiuzhou", D(2022, 4, 6), "hotline", "greening",
                "九州社区楼间绿地缺乏管护，杂草多。", "ack+1 ans+12 close+3"),
)

REPLIES = {
    "public_space": "已会同街道现场核实，相关改造已纳入本年度社区微更新计划，将优先实施。",
    "greening": "已将补植和绿地恢复需求转交街道和园林部门，计划在春季植树期内完成。",
    "transport": "已与交警、公交部门沟通，近期将优化站点和停车组织，责任规划师将跟踪落实。",
    "utilities": "已转交供水、燃气或排水主管单位排查，相关管网改造已列入年度计划。",
    "land_use": "该地块规划用途已向居民公示说明，近期将实施临时绿化。",
    "public_service": "需求已纳入片区公共服务设施补短板清单，街道正在落实选址。",
    "heritage": "已会同文物部门现场踏勘，将纳入历史文化保护名录的补充调查。",
    "governance": "责任规划师已与社区、住户座谈，协调方案正在征求意见。",
}
ESCALATIONS = {
    "gulou-1": ("光岳楼周边传统院落抢险加固与风貌保护", "verified"),
    "gulou-4": ("楼西街社区嵌入式养老服务设施（老年食堂）选址", "open"),
    "liuyuan-2": ("米市街社区雨污分流及排水管网改造", "late"),
    "xinqu-1": ("兴华路社区综合服务中心扩容改造", "verified"),
    "jiaming-2": ("嘉明片区中小学配套用地落实", "declined"),
    "fenghuang-2": ("凤凰苑社区卫生服务站配建", "verified"),
    "gaotie-1": ("聊城西站站前交通组织优化及公交接驳", "completed"),
    "gaotie-3": ("侯营老街传统建筑和古树名木保护", "open"),
    "huxi-3": ("运河老码头遗址展示与保护利用", "completed"),
    "jiangguantun-2": ("东部产业园与村庄间防护绿带建设", "overdue"),
    "beicheng-1": ("苏州路断头路打通工程", "verified"),
    "jiuzhou-2": ("科创园人才公寓及配套服务用地", "completed"),
}
RELAY_COMMENT = "涉及多个部门职责，已按上传下达机制报区政府（管委会）和市局，请协调相关部门办理"

# -- recommendations the groups raise themselves (R-REC-1) -------------------------------------


@dataclass(frozen=True)
class RecommendationPlot:
    label: str
    group: str
    date: dt.date
    source: str
    category: str
    title: str
    text: str
    outcome: str  # verified | completed | reopened | declined | late | overdue | open | withdrawn | pending


RECOMMENDATIONS = (
    RecommendationPlot("r-gulou-1", "g-gulou", D(2021, 7, 7), "survey", "heritage", "东关街历史文化街区微更新导则",
                       "建议编制东关街微更新导则，明确沿街立面、招牌、铺装和照明的控制要求，小规模、渐进式实施。",
                       "verified"),
    RecommendationPlot("r-gulou-2", "g-gulou", D(2021, 11, 17), "evaluation", "public_space",
                       "古城公共空间系统评估及口袋公园布点",
                       "评估发现古城内公共空间分布不均，建议利用拆违腾退空间布置 6 处口袋公园。", "reopened"),
    RecommendationPlot("r-liuyuan-1", "g-liuyuan", D(2021, 8, 3), "survey", "greening", "柳园片区街头绿地提升",
                       "建议对柳园路沿线 4 处街头绿地进行提升，增加林荫和休憩设施。", "completed"),
    RecommendationPlot("r-liuyuan-2", "g-liuyuan", D(2022, 3, 3), "survey", "public_service", "老旧小区适老化改造清单",
                       "建议结合老旧小区改造同步实施坡道、扶手、无障碍通道等适老化改造，先行编制清单。", "open"),
    RecommendationPlot("r-xinqu-1", "g-xinqu", D(2021, 7, 15), "survey", "utilities", "湖南路片区老旧管网更新",
                       "湖南路片区供水、燃气管网建成超过 25 年，建议分批更新并同步实施雨污分流。", "overdue_late"),
    RecommendationPlot("r-xinqu-2", "g-xinqu", D(2022, 1, 13), "evaluation", "public_service",
                       "新区街道 15 分钟生活圈配套评估",
                       "评估显示新区街道养老、托育设施覆盖不足，建议单独立项补齐。", "declined"),
    RecommendationPlot("r-jiaming-1", "g-jiaming", D(2021, 8, 17), "survey", "land_use", "嘉明大道两侧闲置用地临时绿化",
                       "建议对嘉明大道两侧近期不出让的闲置用地实施临时绿化，拆除破损围挡。", "verified"),
    RecommendationPlot("r-jiaming-2", "g-jiaming", D(2022, 2, 22), "consultation", "project_design",
                       "嘉明片区标准厂房立面及色彩控制",
                       "结合标准厂房项目审查意见，建议制定片区厂房立面、色彩和广告设置的控制要求。", "completed"),
    RecommendationPlot("r-fenghuang-1", "g-fenghuang", D(2021, 10, 20), "survey", "transport",
                       "物流车辆专用通道及集中停车场",
                       "建议在天津路物流片区设置货车专用通道和集中停车场，夜间限行，减少对居住区的干扰。", "overdue"),
    RecommendationPlot("r-fenghuang-2", "g-fenghuang", D(2022, 3, 16), "evaluation", "greening", "园区防护绿地补植",
                       "评估发现园区与凤凰苑社区之间防护绿地缺失约 1.2 公顷，建议补植。", "open"),
    RecommendationPlot("r-gaotie-1", "g-gaotie", D(2021, 6, 25), "evaluation", "land_use", "高铁新区控规实施评估问题清单",
                       "控规实施评估发现站前片区商业用地比例偏高、公共服务设施落地滞后，建议动态维护控规。",
                       "verified"),
    RecommendationPlot("r-gaotie-2", "g-gaotie", D(2021, 12, 15), "survey", "public_service", "侯营镇区安置社区配套设施",
                       "建议安置社区同步建设社区服务中心、幼儿园和菜市场，避免入住后配套缺位。", "overdue_late"),
    RecommendationPlot("r-huxi-1", "g-huxi", D(2021, 7, 9), "survey", "public_space", "东昌湖西岸滨水空间贯通",
                       "建议贯通东昌湖西岸滨水步道，拆除沿湖违建，增加亲水平台。", "verified"),
    RecommendationPlot("r-huxi-2", "g-huxi", D(2022, 1, 14), "survey", "transport", "湖西商业街错时共享停车",
                       "建议推动周边机关单位停车场错时向商业街顾客开放。", "declined"),
    RecommendationPlot("r-jiangguantun-1", "g-jiangguantun", D(2021, 8, 5), "survey", "utilities", "村庄污水收集处理",
                       "蒋官屯村生活污水直排沟渠，建议建设村庄污水收集管网并接入市政管网。", "completed"),
    RecommendationPlot("r-jiangguantun-2", "g-jiangguantun", D(2022, 5, 10), "evaluation", "land_use",
                       "产城融合片区用地布局优化",
                       "建议在东部产业园与村庄之间布局生活服务用地，推动产城融合。", "pending"),
    RecommendationPlot("r-beicheng-1", "g-beicheng", D(2021, 9, 9), "survey", "public_space", "徒骇河滨河绿道规划",
                       "建议编制徒骇河北城段滨河绿道规划，整治沿岸环境，串联社区公园。", "verified"),
    RecommendationPlot("r-beicheng-2", "g-beicheng", D(2022, 2, 15), "consultation", "governance",
                       "北城街道社区规划师工作室共建",
                       "建议街道提供固定场所，共建社区规划师工作室，定期开放接待居民。", "withdrawn"),
    RecommendationPlot("r-jiuzhou-1", "g-jiuzhou", D(2021, 11, 10), "survey", "public_service", "九州社区养老服务设施补短板",
                       "九州社区 60 岁以上老人占 21%，建议新建日间照料中心一处。", "completed"),
    RecommendationPlot("r-jiuzhou-2", "g-jiuzhou", D(2022, 3, 28), "evaluation", "transport", "黄河路慢行系统改造",
                       "建议黄河路实施机非隔离，连续设置非机动车道和人行道。", "open"),
)
WITHDRAW_REASON = "与北城街道此前报送的社区治理事项重复，合并办理，撤回此条"

# The bureau collects what the groups raised and forwards it by letter (函告) to each
# government on these dates (R-REC-2; default due date 60 days later).
LETTER_ROUNDS = (D(2021, 8, 30), D(2021, 10, 28), D(2021, 12, 28), D(2022, 2, 25), D(2022, 4, 27))
COLLECT_DAYS = 3  # what was raised in the last days before a round waits for the next
FIRST_LETTER_NUMBER = {2021: 31, 2022: 6}  # the bureau's other letters take the numbers before

# After a letter of date L: (offset days, step, who) — who is gov / sd / bureau.
OUTCOMES = {
    "verified": ((8, "accept", "gov"), (25, "progress:40", "sd"), (50, "complete", "gov"), (58, "verify", "bureau")),
    "completed": ((10, "accept", "gov"), (30, "progress:60", "sd"), (55, "complete", "sd")),
    "reopened": ((7, "accept", "gov"), (35, "complete", "gov"), (45, "reopen", "bureau"), (52, "progress:80", "sd"),
                 (58, "complete", "gov"), (66, "verify", "bureau")),
    "declined": ((12, "decline", "gov"),),
    "late": ((10, "accept", "gov"), (40, "progress:30", "sd"), (85, "complete", "gov"), (92, "verify", "bureau")),
    "overdue_late": ((10, "accept", "gov"), (40, "progress:30", "sd"), (85, "complete", "gov"),
                     (92, "verify", "bureau")),
    "overdue": ((14, "accept", "gov"), (45, "progress:20", "sd"), (80, "progress:45", "sd")),
    "open": ((9, "accept", "gov"), (30, "progress:30", "sd")),
    "pending": (),
    "withdrawn": (),
}
PROGRESS_TEXT = {
    20: "已完成现场调查和初步方案，正在征求相关部门意见",
    30: "方案已通过街道审议，正在办理立项手续",
    40: "已完成方案设计，正在组织施工招标",
    45: "立项已获批，资金正在落实，计划下半年开工",
    60: "工程已开工，主体完成约六成",
    80: "退回后已按核查意见整改，整改完成约八成",
}
DECLINE_REASONS = {
    "r-xinqu-2": "经研究，该片区已整体纳入城市更新单元统一实施，养老、托育设施随更新单元配建，暂不单独立项",
    "r-huxi-2": "周边机关单位停车场涉及安保要求，暂不具备错时开放条件，将另行研究停车楼建设",
    "jiaming-2": "学校布局已在《聊城市中小学布局专项规划》中统筹，嘉明片区新建小学已列入 2023 年计划",
}
REOPEN_REASON = "现场核查发现 6 处口袋公园中 2 处尚未完工、1 处座椅未安装，退回重办"

# -- consultations (R-CSL-1) ------------------------------------------------------------------
# label, group, date, asked_by, kind, subject/question, stage, due days, answer days, verdict, close days


@dataclass(frozen=True)
class ConsultationPlot:
    label: str
    group: str
    date: dt.date
    asked_by: str  # district | government
    kind: str
    subject: str
    stage: str | None
    due_days: int
    answer_days: int | None
    verdict: str | None
    close_days: int | None
    opinion: str


CONSULTATIONS = (
    ConsultationPlot("c-gulou", "g-gulou", D(2021, 9, 2), "district", "project_review", "东关街沿街立面整治工程设计方案",
                     "design", 20, 12, "agree_with_changes", 5,
                     "同意总体方案；建议取消仿古琉璃瓦，沿用本地青砖灰瓦，店招统一采用木质牌匾。"),
    ConsultationPlot("c-liuyuan", "g-liuyuan", D(2021, 12, 6), "government", "advice",
                     "老旧小区改造中拆除违建后腾出的空间如何利用？", None, 30, 18, None, 4,
                     "建议优先用于补充停车和晾晒空间，其次布置口袋公园；由居民议事会确定具体方案。"),
    ConsultationPlot("c-xinqu", "g-xinqu", D(2022, 3, 1), "district", "project_review", "兴华路社区综合服务中心扩建",
                     "plan", 15, 20, "agree", 3, "同意利用地下室扩建；须满足消防疏散和采光通风要求。"),
    ConsultationPlot("c-jiaming", "g-jiaming", D(2021, 11, 8), "government", "project_review", "嘉明产业园标准厂房二期",
                     "design", 20, 10, "disagree", 6,
                     "不同意：方案容积率和建筑退线不符合控规要求，沿嘉明大道立面缺乏控制，请修改后重新报审。"),
    ConsultationPlot("c-fenghuang", "g-fenghuang", D(2022, 1, 5), "district", "advice",
                     "园区闲置厂房能否改造为职工活动中心？", None, 30, 15, None, 5,
                     "可以；建议按临时改变建筑使用功能程序办理，并进行结构安全鉴定。"),
    ConsultationPlot("c-gaotie-1", "g-gaotie", D(2021, 8, 16), "government", "project_review", "聊城西站站前广场改造",
                     "implementation", 30, 14, "agree_with_changes", 7,
                     "同意实施方案；建议增加公交接驳港湾和出租车蓄车区，优化人车分流。"),
    ConsultationPlot("c-gaotie-2", "g-gaotie", D(2022, 4, 18), "district", "advice", "侯营镇区安置房小区公共空间如何布局？（急需，一周内答复）",
                     None, 7, 35, None, None,
                     "建议集中设置中心绿地和儿童活动场地，沿街布置社区商业，保留两棵古槐作为公共空间核心。"),
    ConsultationPlot("c-huxi", "g-huxi", D(2021, 10, 11), "district", "project_review", "东昌湖西岸景观提升工程",
                     "design", 20, 9, "agree", 4, "同意；建议保留现状大树，步道材料与湖东岸协调。"),
    ConsultationPlot("c-jiangguantun", "g-jiangguantun", D(2022, 2, 21), "government", "advice",
                     "村庄搬迁后腾退用地如何布局产业？", None, 30, 21, None, 6,
                     "建议近期以标准厂房和仓储物流为主，沿运河故道预留生态廊道，远期结合产城融合调整。"),
    ConsultationPlot("c-beicheng", "g-beicheng", D(2021, 7, 12), "district", "project_review", "北城街道便民服务中心",
                     "plan", 15, 7, "agree", 3, "同意选址；建议首层设置开放式便民大厅和无障碍出入口。"),
    ConsultationPlot("c-jiuzhou-1", "g-jiuzhou", D(2021, 12, 13), "government", "project_review", "九州洼片区综合整治",
                     "plan", 30, 16, "agree_with_changes", 5, "同意总体思路；建议保留九州洼水系，增加健身广场。"),
    ConsultationPlot("c-jiuzhou-2", "g-jiuzhou", D(2022, 5, 16), "district", "advice", "社区楼间绿地能否实行居民认养？",
                     None, 30, 22, None, None, "可以；建议由社区制定认养公约，认养范围限于楼间绿地，不得改变绿地性质。"),
)

# -- publicity, summaries, ratings (R-PUB-1, R-EVA-2, R-EVA-3) --------------------------------
PUBLICITY = (
    ("g-gulou", D(2021, 9, 18), "offline", "“古城记忆”责任规划师进社区宣讲", 120, None),
    ("g-gulou", D(2022, 4, 23), "online", "古城微更新方案公众号解读", 3200, "聊城自然资源和规划微信公众号"),
    ("g-liuyuan", D(2021, 10, 16), "offline", "老旧小区改造居民议事会", 60, None),
    ("g-xinqu", D(2021, 7, 24), "offline", "社区规划小课堂", 45, None),
    ("g-jiaming", D(2022, 3, 5), "online", "嘉明片区规划解读短视频", 5400, "抖音"),
    ("g-fenghuang", D(2021, 11, 20), "offline", "园区职工规划开放日", 80, None),
    ("g-gaotie", D(2021, 9, 26), "offline", "高铁新区规划展示进站前广场", 300, None),
    ("g-huxi", D(2022, 5, 14), "offline", "湖西岸滨水空间共建活动", 150, None),
    ("g-jiangguantun", D(2021, 12, 11), "online", "运河故道规划意见征集", 1800, "我的聊城 App"),
    ("g-beicheng", D(2022, 1, 8), "offline", "徒骇河绿道方案公示说明会", 90, None),
    ("g-jiuzhou", D(2021, 10, 30), "offline", "九州社区责任规划师见面会", 70, None),
)
HIGHLIGHTS = (
    ("g-gulou", "2021-Q4", D(2022, 1, 6), "古城微更新：东关街照明提升和立面整治方案落地",
     ["东关街立面整治方案通过技术审查", "光岳楼周边院落抢险加固完成"]),
    ("g-gaotie", "2022-Q1", D(2022, 4, 8), "高铁新区：新老责任规划师平稳交接，侯营老街保护纳入规划",
     ["何明轩接替周静怡，服务不间断", "侯营老街古槐和老宅列入保护建议"]),
)
RATING_DATE = D(2022, 5, 27)
# group: ((government scores), (district scores)) — cooperation, workplace, implementation (1–5)
RATINGS = {
    "g-gulou": ((5, 4, 4), (5, 5, 4)), "g-liuyuan": ((4, 3, 3), (4, 3, 3)), "g-xinqu": ((4, 4, 3), (3, 4, 3)),
    "g-jiaming": ((4, 4, 3), (4, 4, 4)), "g-fenghuang": ((3, 4, 3), (4, 3, 3)), "g-gaotie": ((5, 4, 4), (4, 4, 4)),
    "g-huxi": ((4, 5, 4), (5, 5, 4)), "g-jiangguantun": ((4, 3, 3), (4, 4, 3)), "g-beicheng": ((5, 4, 5), (4, 4, 5)),
    "g-jiuzhou": ((4, 4, 4), (5, 4, 4)),
}
IMPLEMENTATION_SUMMARY_DATE = D(2022, 6, 20)
PLANNING_EVALUATION_DATE = D(2022, 6, 10)
SETTLEMENT_DATE = D(2022, 6, 15)


# -- the plot's notation ---------------------------------------------------------------------


def year_day(text: str) -> dt.date:
    """``MM-DD`` in service year 2021: June–December 2021, January–May 2022."""
    month, day = (int(x) for x in text.split("-"))
    return D(2021 if month >= 6 else 2022, month, day)


def parse_visits(spec: str) -> list[tuple[dt.date, float, str]]:
    out = []
    for item in spec.split(";"):
        words = item.split()
        if words:
            out.append((year_day(words[0]), float(words[1]), "".join(words[2:])))
    return out
