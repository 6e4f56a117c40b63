"""Benchmark: advanced query (高级查询) over a million cases, on SQLite and PostgreSQL.

Organisations, branches and sub-accounts are made through the HTTP API (as users make
them); the cases and notices are then bulk-inserted with the ORM across those permission
domains, Zipf-sized (the largest domain holds about a fifth of all cases). Each typical
query runs many times, with varying values, as a sub-account of the largest domain through
``patentdesk.query.service.search`` (what ``GET /api/v1/cases`` does, minus HTTP), and the
script prints p50 / p95 per query in milliseconds.

    python bench/query.py [--cases 1000000] [--db sqlite,postgresql] [--runs 200]

PostgreSQL runs in a throwaway cluster (tests/support/pg.py); it is skipped when its
binaries are missing. The goal is p95 < 50 ms for every typical query.
"""

# ruff: noqa: SIM905  (word lists read better as one string)

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("PATENTDESK_ARGON2_PROFILE", "CHEAPEST")

import sqlalchemy as sa  # noqa: E402

from patentdesk.config import Settings  # noqa: E402
from patentdesk.db import Database  # noqa: E402

MODIFIERS = (
    "折叠式 便携式 智能 高效 防水 可调节 节能型 自动 多功能 模块化 轻量化 一体式 无线 "
    "低噪音 高精度 柔性 快速 安全型 环保 双向 分布式 自适应 耐高温 微型 远程 复合 "
    "可拆卸 集成式 新型 改进的"
).split()
OBJECTS = (
    "电动自行车 电池管理系统 光伏组件 温度传感器 巡检机器人 植保无人机 锂离子电池 "
    "数据处理方法 图像识别方法 充电桩 储能装置 空气净化器 电机控制器 显示面板 "
    "半导体封装结构 芯片散热器 液压系统 数控机床 注塑模具 焊接设备 包装机械 "
    "输送带 医用导管 血糖检测仪 人工关节 中药组合物 抗菌涂层 复合材料 混凝土 "
    "钢结构连接件 桥梁支座 隧道掘进机 轨道扣件 汽车座椅 车载雷达 轮胎 制动系统 "
    "变速箱 发动机缸体 燃料电池 氢气储罐 风力发电机叶片 变压器 断路器 电缆接头 "
    "智能电表 路由器 天线模组 基站 交换机 服务器机柜 存储阵列 加密方法 "
    "区块链系统 推荐算法 语音识别装置 翻译方法 教学设备 健身器材 儿童座椅 "
    "婴儿推车 厨房电器 洗衣机 冰箱 空调室外机 热水器 净水器 扫地机器人 "
    "智能门锁 监控摄像头 照明灯具 家具连接件 纺织面料 服装 鞋底 包装盒 "
    "纸箱 印刷设备 农药制剂 化肥 饲料 种子处理剂 灌溉系统 温室大棚"
).split()
SUFFIXES = ["", "", "", "及其制备方法", "及其控制方法", "的制造方法", "装置", "系统", "组件"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红兰飞鹏辉建国志宏春梅海波宁晨浩然子涵雨欣博文思远嘉怡天宇"
CITIES = "北京 上海 深圳 杭州 广州 南京 苏州 成都 武汉 西安 合肥 宁波 青岛 厦门 长沙 天津".split()
INDUSTRIES = "科技 电子 智能 新能源 材料 机械 生物 医疗 信息 汽车 光电 化工".split()
STATUSES = (
    ["submitted"] * 10 + ["accepted"] * 55 + ["granted"] * 25 + ["rejected"] * 5 + ["withdrawn"] * 5
)
KINDS = ["invention"] * 6 + ["utility"] * 3 + ["design"]
FIRST_DAY = dt.date(2021, 1, 1)
DAYS = (dt.date(2026, 6, 30) - FIRST_DAY).days


@dataclass
class DomainInfo:
    id: uuid.UUID
    org_id: uuid.UUID
    prefix: str
    weight: float
    user_id: uuid.UUID  # a sub-account's person, the submitter of record
    sub_accounts: list[uuid.UUID]
    token: str
    cases: int = 0
    internal_numbers: list[str] = field(default_factory=list)


# -- the world, through the API -------------------------------------------------------------


def build_world(settings: Settings, db: Database, orgs: int) -> list[DomainInfo]:
    from fastapi.testclient import TestClient
    from tests.support.factories import World

    from patentdesk import bootstrap
    from patentdesk.app import create_app

    for module_name, func in bootstrap.STEPS:
        __import__(module_name, fromlist=[func])
        getattr(sys.modules[module_name], func)(settings)
    domains: list[DomainInfo] = []
    with TestClient(create_app(settings, db)) as client:
        world = World(client, settings.data)
        for i in range(orgs):
            handler = world.person(f"经办人{i}")
            org = world.agency(handler)
            branches = [world.branch(org, f"分所{b}") for b in range(2)]
            org_weight = 1 / (i + 1)
            for place, share in ((None, 0.6), (branches[0], 0.25), (branches[1], 0.15)):
                people = [world.person(f"子账户{i}-{n}") for n in range(2)]
                subs = [world.sub_account(org, p, branch=place) for p in people]
                domains.append(
                    DomainInfo(
                        id=uuid.UUID(subs[0]["domain"]),
                        org_id=uuid.UUID(org["org_id"]),
                        prefix=f"AG{i:02d}{'M' if place is None else 'B'}{len(domains) % 3}",
                        weight=org_weight * share,
                        user_id=uuid.UUID(people[0].user_id),
                        sub_accounts=[uuid.UUID(s["account_id"]) for s in subs],
                        token=world.sub_token(people[0], subs[0]["account_id"]),
                    )
                )
    return domains


# -- the cases, bulk-inserted ----------------------------------------------------------------


def _title(rng: random.Random) -> str:
    return f"一种{rng.choice(MODIFIERS)}{rng.choice(OBJECTS)}{rng.choice(SUFFIXES)}"


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))


def _company(rng: random.Random) -> str:
    return f"{rng.choice(CITIES)}{rng.choice(SURNAMES)}{rng.choice(INDUSTRIES)}有限公司"


def fill(db: Database, domains: list[DomainInfo], n: int, seed: int = 7) -> None:
    from patentdesk.filing.models import Case
    from patentdesk.notices.models import Notice
    from patentdesk.packages.numbers import check_character
    from patentdesk.timeutil import BEIJING

    rng = random.Random(seed)
    weights = [d.weight for d in domains]
    serial: dict[tuple[int, int], int] = {}
    seq: dict[uuid.UUID, int] = {}
    batch = 20_000
    started = time.perf_counter()
    notice_serial = 0
    for start in range(0, n, batch):
        cases: list[dict[str, Any]] = []
        notices: list[dict[str, Any]] = []
        for d in rng.choices(domains, weights, k=min(batch, n - start)):
            day = FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))
            kind = rng.choice(KINDS)
            digit = {"invention": 1, "utility": 2, "design": 3}[kind]
            key = (day.year, digit)
            serial[key] = serial.get(key, 0) + 1
            digits = f"{day.year}{digit}{serial[key]:07d}"
            internal = None
            if rng.random() < 0.85:
                seq[d.id] = seq.get(d.id, 0) + 1
                internal = f"{d.prefix}-{day.year}-{seq[d.id]:06d}"
                if len(d.internal_numbers) < 2000 and seq[d.id] % 20 == 1:
                    d.internal_numbers.append(internal)
            filed_at = dt.datetime.combine(day, dt.time(9), BEIJING).astimezone(dt.UTC)
            case_id = uuid.uuid4()
            cases.append(
                {
                    "id": case_id,
                    "domain_id": d.id,
                    "org_id": d.org_id,
                    "application_number": f"{digits}.{check_character(digits)}",
                    "kind": kind,
                    "title": _title(rng),
                    "internal_number": internal,
                    "applicants": [{"name": _company(rng)}],
                    "inventors": [{"name": _person(rng)} for _ in range(rng.randint(1, 3))],
                    "bibliographic": {},
                    "status": rng.choice(STATUSES),
                    "filing_date": day,
                    "filed_at": filed_at,
                    "submitted_by_user_id": d.user_id,
                    "submitted_by_sub_account_id": rng.choice(d.sub_accounts)
                    if rng.random() < 0.8
                    else None,
                    "environment": "bench",
                    "created_at": filed_at,
                    "updated_at": filed_at,
                }
            )
            d.cases += 1
            if rng.random() < 0.25:
                notice_serial += 1
                sent = day + dt.timedelta(days=rng.randint(20, 900))
                opinion = rng.random() < 0.6
                notices.append(
                    {
                        "id": uuid.uuid4(),
                        "serial": f"{sent:%Y%m%d}{notice_serial:08d}",
                        "code": "210401" if opinion else "200101",
                        "name": "第一次审查意见通知书" if opinion else "专利申请受理通知书",
                        "case_id": case_id,
                        "application_number": cases[-1]["application_number"],
                        "title": cases[-1]["title"],
                        "domain_id": d.id,
                        "dispatched_at": dt.datetime.combine(sent, dt.time(9), BEIJING),
                        "dispatch_date": sent,
                        "delivered_on": sent,
                        "deadline": sent + dt.timedelta(days=120) if opinion else None,
                        "text": "",
                        "data": {},
                        "pdf_sha256": "0" * 64,
                        "source": "office",
                        "confirmed_at": None
                        if rng.random() < 0.2
                        else dt.datetime.combine(sent, dt.time(12), BEIJING),
                        "download_count": 0,
                        "created_at": filed_at,
                    }
                )
        with db.unit_of_work() as s:
            s.execute(sa.insert(Case), cases)
            if notices:
                s.execute(sa.insert(Notice), notices)
        done = start + len(cases)
        rate = done / (time.perf_counter() - started)
        print(f"\r  {done:>9,} cases  ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


# -- the queries -------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    make: Callable[[random.Random], str]  # a query string


def scenarios(d: DomainInfo, deep_cursor: str, deep_row: int) -> list[Scenario]:
    long_objects = [o for o in OBJECTS if len(o) >= 3]
    short_objects = [o[:2] for o in OBJECTS]

    def date_status(rng: random.Random) -> str:
        low = FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS - 90))
        high = low + dt.timedelta(days=90)
        return f"filed_from={low}&filed_to={high}&status=accepted"

    def deadline_window(rng: random.Random) -> str:
        low = FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))
        return f"notice_code=210401&deadline_from={low}&deadline_to={low + dt.timedelta(days=30)}"

    return [
        Scenario(
            "internal number (exact)", lambda r: f"internal_number={r.choice(d.internal_numbers)}"
        ),
        Scenario("title substring (3+ chars)", lambda r: f"title={r.choice(long_objects)}"),
        Scenario("date range + status", date_status),
        Scenario(f"deep page (row {deep_row:,})", lambda r: f"cursor={deep_cursor}"),
        Scenario("first page, no condition", lambda r: ""),
        Scenario(
            "title, two words",
            lambda r: f"title={r.choice(MODIFIERS)}+{r.choice(long_objects)}",
        ),
        Scenario("title substring (2 chars)", lambda r: f"title={r.choice(short_objects)}"),
        Scenario("inventor name", lambda r: f"inventor={_person(r)}"),
        Scenario(
            "internal number prefix",
            lambda r: f"internal_number={d.prefix}-{r.randint(2021, 2026)}-0001*",
        ),
        Scenario("notice deadline window (30 days)", deadline_window),
    ]


def deep_cursor(db: Database, actor: Any, row: int) -> str:
    from patentdesk.filing.models import Case
    from patentdesk.query.language import Cursor

    with db.unit_of_work() as s:
        case_id, day = s.execute(
            sa.select(Case.id, Case.filing_date)
            .where(Case.domain_id == actor.domain_id)
            .order_by(Case.filing_date.desc(), Case.id.desc())
            .offset(row)
            .limit(1)
        ).one()
    return Cursor("-filing_date", day.isoformat(), case_id).encode()


def measure(
    db: Database, d: DomainInfo, runs: int, seed: int = 11
) -> list[tuple[str, float, float, float]]:
    from patentdesk.identity.service import authenticate
    from patentdesk.query import service
    from patentdesk.query.language import CaseQuery

    with db.unit_of_work() as s:
        actor = authenticate(s, d.token)
    assert actor is not None and actor.domain_id == d.id
    results = []
    deep_row = min(50_000, d.cases // 2)
    for sc in scenarios(d, deep_cursor(db, actor, deep_row), deep_row):
        rng = random.Random(seed)
        timings: list[float] = []
        found = 0
        for i in range(runs + 5):
            query = CaseQuery.from_query_string(sc.make(rng))
            with db.unit_of_work() as s:
                t0 = time.perf_counter()
                page = service.search(s, actor, query)
                elapsed = (time.perf_counter() - t0) * 1000
            if i >= 5:  # the first few warm the caches
                timings.append(elapsed)
                found += len(page.rows)
        timings.sort()
        p50 = statistics.median(timings)
        p95 = statistics.quantiles(timings, n=100, method="inclusive")[94]
        results.append((sc.name, p50, p95, found / runs))
    return results


def report(
    kind: str, n: int, d: DomainInfo, results: list[tuple[str, float, float, float]]
) -> None:
    print(
        f"\n{kind}: {n:,} cases; queried as a sub-account of the largest domain ({d.cases:,} cases)"
    )
    print("| query | p50 ms | p95 ms | rows/page |\n|---|---:|---:|---:|")
    for name, p50, p95, rows in results:
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {rows:.0f} |")


def _save_world(path: Path, domains: list[DomainInfo]) -> None:
    rows = [
        {
            **d.__dict__,
            "id": str(d.id),
            "org_id": str(d.org_id),
            "user_id": str(d.user_id),
            "sub_accounts": [str(s) for s in d.sub_accounts],
        }
        for d in domains
    ]
    path.write_text(json.dumps(rows, ensure_ascii=False), "utf-8")


def _load_world(path: Path) -> list[DomainInfo]:
    domains = []
    for row in json.loads(path.read_text("utf-8")):
        row.update(
            id=uuid.UUID(row["id"]),
            org_id=uuid.UUID(row["org_id"]),
            user_id=uuid.UUID(row["user_id"]),
            sub_accounts=[uuid.UUID(s) for s in row["sub_accounts"]],
        )
        domains.append(DomainInfo(**row))
    return domains


def run(
    kind: str, url: str, data: Path, n: int, orgs: int, runs: int, world: Path | None = None
) -> None:
    """Loads the data (or, with ``world`` saved by an earlier run, reuses it) and measures."""
    from patentdesk.db import migrate

    migrate(url)
    settings = Settings(data=data, database_url=url, environment="bench", base_url="http://bench")
    db = Database(url)
    try:
        if world is not None and world.exists():
            domains = _load_world(world)
        else:
            t0 = time.perf_counter()
            domains = build_world(settings, db, orgs)
            fill(db, domains, n)
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
            print(f"{kind}: loaded in {time.perf_counter() - t0:,.0f} s", file=sys.stderr)
            if world is not None:
                _save_world(world, domains)
        n = sum(d.cases for d in domains)
        largest = max(domains, key=lambda d: d.cases)
        report(kind, n, largest, measure(db, largest, runs))
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--orgs", type=int, default=10)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep the SQLite database in this folder, and reuse it when it is there",
    )
    parser.add_argument(
        "--pg-url", help="use this PostgreSQL database instead of a throwaway cluster"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="patentdesk-bench-") as tmp:
        base = args.keep or Path(tmp)
        if "sqlite" in args.db:
            path = base / "bench.db"
            world = base / "bench-world.json" if args.keep else None
            if world is None or not world.exists():
                path.unlink(missing_ok=True)
            run(
                "SQLite",
                f"sqlite:///{path}",
                base / "data-sqlite",
                args.cases,
                args.orgs,
                args.runs,
                world,
            )
        if "postgresql" in args.db and args.pg_url:
            # An existing (empty, or loaded by an earlier run with the same --keep) database.
            world = base / "bench-world-pg.json" if args.keep else None
            run(
                "PostgreSQL", args.pg_url, base / "data-pg", args.cases, args.orgs, args.runs, world
            )
        elif "postgresql" in args.db:
            from tests.support.pg import Cluster, find_bindir

            bindir = find_bindir()
            if bindir is None:
                print("PostgreSQL binaries not found: skipped", file=sys.stderr)
                return
            cluster = Cluster(bindir)
            cluster.start()
            try:
                engine = sa.create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
                with engine.connect() as conn:
                    conn.exec_driver_sql("CREATE DATABASE bench")
                    # The test cluster's 128 MB of shared buffers would measure the OS page
                    # cache; a server for a million cases gets a real share of memory.
                    conn.exec_driver_sql("ALTER SYSTEM SET shared_buffers = '2GB'")
                engine.dispose()
                # -l: the new server must not hold this process's output pipes open.
                log = str(cluster.dir / "log")
                cluster._run("pg_ctl", "-D", str(cluster.dir / "data"), "-l", log, "-w", "restart")
                run(
                    "PostgreSQL",
                    cluster.url("bench"),
                    base / "data-pg",
                    args.cases,
                    args.orgs,
                    args.runs,
                )
            finally:
                cluster.stop()


if __name__ == "__main__":
    main()
