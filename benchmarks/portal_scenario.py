"""The ``portal`` scenario of ``benchmarks/run.py``: concurrent public searches on the researcher portal.

    python benchmarks/run.py portal                        # 100,000 documents, 50 clients, 30 s
    python benchmarks/run.py portal --docs 5000 --clients 10 --seconds 5 --no-write   # smoke test
    python benchmarks/run.py portal --pg-url postgresql://user:pw@127.0.0.1:5432/postgres   # and PostgreSQL

The catalog (generated once, cached in ``benchmarks/work/portal/``): a repository made by
``archive-repo init`` whose SQLite catalog is filled directly with SQLAlchemy (Core inserts into the
tables of ``archive_repo.catalog.models``, with ``search_text`` and the normalised dates computed by the
same functions the models' insert hooks call): ``--docs`` documents (default 100,000) in dossiers of
3–25 documents, spread over 12 fonds, dated 1976–2024, with realistic Vietnamese titles built from the
TT05 document types (``typeName`` 01–32), and access regimes 01 (public, ~70 %), 02 (conditional) and 03
(secret, ~10 % of documents through the dossier's or their own regime).

What is measured, in the same run:

* **the portal under load**: ``create_app(settings)`` served by waitress (``--threads``, default 8) in its
  own process (this file's ``serve`` command) on 127.0.0.1; ``--clients`` threads (default 50) of this
  process, each with its own keep-alive ``http.client`` connection, issue ``GET /search?…`` as fast as
  the server answers for ``--seconds`` (default 30, after ``--warmup`` seconds that are not counted):
  diacritic-free words (``boi duong``, ``nang luong``…) alone, or with the fonds, date-range and type
  filters, pages 1–3. Reported: requests/s, latency p50/p95/p99/max, errors by kind (anything but 200 is
  an error), the server's peak RSS (``VmHWM``) and CPU time. The portal limits searches to 60 per minute
  per client address; the repository says ``[portal] trusted_proxies = 1`` (as behind the archive's
  reverse proxy) and each client thread sends ``X-Forwarded-For`` cycling over 100 addresses of its own,
  so 5,000 simulated researchers stay far below their limit while the limiter does its real work; a 429
  counts as an error.
* **references**: the same searches in process, one after the other: ``public_search()`` (the service the
  view calls: SQLAlchemy, the count and the page) and the very SQL statements it issued, replayed on a
  bare DB-API cursor (the database alone). Their latency against the HTTP latency separates the
  database, the ORM and the web stack.
* **checks**: for every response, the total in ``#result-count`` must equal ``public_search()``'s, and
  no document of regime 03 may appear among its rows.

With ``--pg-url`` (or ``ARCHIVE_REPO_BENCH_PG_URL``; a server URL whose user may create databases), the
same catalog is also generated into a PostgreSQL database ``bench_portal_<docs>`` (kept for the next
run) and the same load is run against it. Results are printed as Markdown and the section is rewritten in
``RESULTS.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import http.client
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ingest_scenario
import run as bench  # run.py registers itself under this name when it is the script being run

GENERATOR_VERSION = 1  # bump when the generated catalog changes
SCRIPT = Path(__file__).resolve()
ARCHIVE_CODE = "LTLSHG"
ARCHIVE_NAME = "Trung tâm Lưu trữ lịch sử tỉnh Hà Giang"
SECRET_ENV = "ARCHIVE_REPO_BENCH_PORTAL_SECRET"
PG_ENV = "ARCHIVE_REPO_BENCH_PG_URL"
ADDRESSES_PER_CLIENT = 100

# (fonds code, fonds name, organ code of its file codes)
FONDS = [
    ("G01", "Văn phòng Ủy ban nhân dân tỉnh Hà Giang", "H49.01"),
    ("G02", "Sở Tài chính tỉnh Hà Giang", "H49.12.05"),
    ("G03", "Sở Giáo dục và Đào tạo tỉnh Hà Giang", "H49.22.17"),
    ("G04", "Sở Y tế tỉnh Hà Giang", "H49.23.08"),
    ("G05", "Sở Xây dựng tỉnh Hà Giang", "H49.18.02"),
    ("G06", "Sở Nông nghiệp và Phát triển nông thôn tỉnh Hà Giang", "H49.15.11"),
    ("G07", "Sở Tư pháp tỉnh Hà Giang", "H49.10.03"),
    ("G08", "Sở Văn hóa, Thể thao và Du lịch tỉnh Hà Giang", "H49.25.06"),
    ("G09", "Sở Nội vụ tỉnh Hà Giang", "H49.64.33"),
    ("G10", "Ủy ban nhân dân huyện Vị Xuyên", "H49.70.01"),
    ("G11", "Ủy ban nhân dân huyện Bắc Quang", "H49.71.01"),
    ("G12", "Ủy ban nhân dân thành phố Hà Giang", "H49.69.01"),
]
# typeName (TT05 code table) -> name, notation; the weights follow what a provincial archive holds most.
TYPES = {
    "02": ("Quyết định", "QĐ", 20),
    "22": ("Công văn", "", 18),
    "14": ("Báo cáo", "BC", 12),
    "15": ("Tờ trình", "TTr", 8),
    "10": ("Kế hoạch", "KH", 8),
    "07": ("Thông báo", "TB", 7),
    "20": ("Biên bản", "BB", 6),
    "26": ("Giấy mời", "GM", 4),
    "08": ("Hướng dẫn", "HD", 4),
    "01": ("Nghị quyết", "NQ", 3),
    "03": ("Chỉ thị", "CT", 2),
    "21": ("Hợp đồng", "HĐ", 3),
    "12": ("Đề án", "ĐA", 2),
    "32": ("Danh sách", "DS", 3),
}
TOPICS = [
    "nâng bậc lương thường xuyên cho cán bộ, công chức",
    "nâng lương trước thời hạn do lập thành tích xuất sắc",
    "tuyển dụng công chức, viên chức",
    "bổ nhiệm cán bộ lãnh đạo cấp phòng",
    "bồi dưỡng nghiệp vụ văn thư, lưu trữ",
    "bồi dưỡng kiến thức quản lý nhà nước",
    "đào tạo, bồi dưỡng cán bộ cấp xã",
    "chỉnh lý tài liệu tồn đọng",
    "thu nộp hồ sơ, tài liệu vào Lưu trữ lịch sử",
    "tiêu hủy tài liệu hết giá trị",
    "phân bổ dự toán ngân sách",
    "quyết toán kinh phí xây dựng trường học",
    "đầu tư xây dựng đường giao thông nông thôn",
    "giải phóng mặt bằng dự án thủy điện",
    "cấp giấy chứng nhận quyền sử dụng đất",
    "phòng, chống dịch bệnh",
    "khám chữa bệnh bảo hiểm y tế",
    "tổ chức kỳ thi tốt nghiệp trung học phổ thông",
    "xét công nhận trường đạt chuẩn quốc gia",
    "thi đua, khen thưởng",
    "kỷ luật cán bộ, công chức",
    "phòng, chống tham nhũng",
    "tiếp công dân, giải quyết khiếu nại, tố cáo",
    "cải cách hành chính",
    "xây dựng nông thôn mới",
    "hỗ trợ hộ nghèo, cận nghèo",
    "phòng, chống thiên tai, tìm kiếm cứu nạn",
    "tổ chức lễ hội văn hóa các dân tộc",
    "bảo tồn di tích lịch sử, văn hóa",
    "phát triển du lịch cao nguyên đá Đồng Văn",
    "trồng rừng và bảo vệ rừng",
    "chuyển đổi cơ cấu cây trồng",
    "thành lập, sáp nhập đơn vị hành chính cấp xã",
    "bầu cử đại biểu Hội đồng nhân dân",
    "ban hành quy chế làm việc",
    "kiểm tra công tác văn thư, lưu trữ",
]
PLACES = [
    "tỉnh Hà Giang",
    "huyện Vị Xuyên",
    "huyện Bắc Quang",
    "huyện Đồng Văn",
    "huyện Mèo Vạc",
    "huyện Yên Minh",
    "huyện Quản Bạ",
    "huyện Hoàng Su Phì",
    "huyện Xín Mần",
    "thành phố Hà Giang",
    "các xã vùng cao",
]
DOSSIER_PREFIX = ["Hồ sơ về việc", "Hồ sơ", "Tập văn bản về việc", "Hồ sơ hội nghị về"]
YEARS = (1976, 2024)
# The searches the clients make (diacritic-free, as researchers type them).
QUERY_WORDS = [
    "boi duong",
    "nang luong",
    "tuyen dung",
    "quyet dinh",
    "van thu luu tru",
    "ha giang",
    "vi xuyen",
    "xay dung truong hoc",
    "nong thon moi",
    "thi dua khen thuong",
    "bao ton di tich",
    "dong van",
    "chinh ly tai lieu",
    "cai cach hanh chinh",
    "phong chong tham nhung",
    "ke hoach",
    "bao cao ket qua",
    "giai phong mat bang",
    "ho ngheo",
    "bo nhiem",
]


# --------------------------------------------------------------------------------------------------
# The catalog (generated once, cached)
# --------------------------------------------------------------------------------------------------


@dataclass
class Generated:
    packages: int
    documents: int
    modes: dict[str, int]  # effective regime of the documents -> count
    seconds: float


def _date_text(day: _dt.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _title(rng: random.Random, type_code: str, topic: str, place: str, year: int) -> str:
    name = TYPES[type_code][0]
    when = rng.choice(
        [f"năm {year}", f"quý {rng.randint(1, 4)} năm {year}", f"tháng {rng.randint(1, 12)}/{year}"]
    )
    if type_code in ("14",):
        return f"{name} kết quả {topic} {when} của {place}"
    if type_code in ("10", "12", "08"):
        return f"{name} {topic} trên địa bàn {place} {when}"
    if type_code == "32":
        return f"{name} {topic} {place} {when}"
    if type_code == "26":
        return f"{name} dự hội nghị về {topic} {when}"
    return f"{name} về việc {topic} tại {place} {when}"


def _regimes(rng: random.Random) -> tuple[str, float]:
    """A dossier's regime, and the chance that one of its documents is stricter than it."""
    roll = rng.random()
    if roll < 0.70:
        return "01", 0.03
    if roll < 0.93:
        return "02", 0.03
    return "03", 0.0


def generate_rows(docs: int, seed: int = 20261121) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    """Agencies, fonds, packages and documents (as column dicts, ids given) for ``docs`` documents."""
    from archive_repo.catalog.models import utcnow
    from archive_repo.catalog.normalise import first_day, last_day, search_text

    rng = random.Random(seed)
    agencies = [{"id": i + 1, "code": organ, "name": name} for i, (_c, name, organ) in enumerate(FONDS)]
    fonds = [
        {"id": i + 1, "code": code, "name": name, "agency_id": i + 1}
        for i, (code, name, _o) in enumerate(FONDS)
    ]
    type_codes = list(TYPES)
    type_weights = [TYPES[c][2] for c in type_codes]
    packages: list[dict] = []
    documents: list[dict] = []
    sequence: Counter[tuple[str, int]] = Counter()
    now = utcnow()
    while len(documents) < docs:
        fonds_index = rng.randrange(len(FONDS))
        code, fonds_name, organ = FONDS[fonds_index]
        year = rng.randint(*YEARS)
        sequence[(organ, year)] += 1
        file_code = f"{organ}.{year}.{sequence[(organ, year)]:02d}"
        topic = rng.choice(TOPICS)
        place = rng.choice(PLACES)
        mode, stricter = _regimes(rng)
        count = min(rng.randint(3, 25), docs - len(documents))
        days = sorted(_dt.date(year, 1, 1) + _dt.timedelta(days=rng.randrange(365)) for _ in range(count))
        sip = f"uuid-{uuid.UUID(int=rng.getrandbits(128), version=4)}".upper().replace("UUID-", "uuid-")
        package_id = len(packages) + 1
        arc = f"{ARCHIVE_CODE}.{file_code}"
        title = f"{rng.choice(DOSSIER_PREFIX)} {topic} {place} năm {year}"
        start, end = _date_text(days[0]), _date_text(days[-1])
        objid = f"urn:{code}:{sip}"
        packages.append(
            {
                "id": package_id,
                "objid": objid,
                "sip_objid": sip,
                "agency_id": fonds_index + 1,
                "fonds_id": fonds_index + 1,
                "arc_file_code": arc,
                "title": title,
                "variant": "SIP_hoso",
                "record_status": "NEW",
                "version": 1,
                "status": "active",
                "start_date": start,
                "end_date": end,
                "start_on": first_day(start),
                "end_on": last_day(end),
                "mode": mode,
                "maintenance": rng.choice(["01", "01", "02", "03"]),
                "search_text": search_text([arc, title, objid, sip]),
                "created_at": now,
            }
        )
        for ordinal, day in enumerate(days, start=1):
            type_code = rng.choices(type_codes, type_weights)[0]
            doc_topic = topic if rng.random() < 0.7 else rng.choice(TOPICS)
            doc_title = _title(rng, type_code, doc_topic, place, year)
            doc_code = f"{file_code}.{ordinal:07d}"
            issued = _date_text(day)
            doc_mode = mode if rng.random() >= stricter else rng.choice(["02", "03"])
            notation = TYPES[type_code][1]
            number = str(rng.randint(1, 2500))
            fields = {
                "arcDocCode": f"{ARCHIVE_CODE}.{doc_code}",
                "typeName": type_code,
                "codeNumber": number,
                "codeNotation": f"{notation}-{organ.split('.')[-1]}" if notation else "",
                "issuedDate": issued,
                "organName": fonds_name,
                "subject": doc_title,
                "language": "01",
                "numberOfPage": str(rng.randint(1, 40)),
                "mode": doc_mode,
                "confidenceLevel": "01",
            }
            documents.append(
                {
                    "package_id": package_id,
                    "ordinal": ordinal,
                    "code": doc_code,
                    "doc_id": f"{sip}-{ordinal}",
                    "kind": "text",
                    "title": doc_title,
                    "type_code": type_code,
                    "issued_date": issued,
                    "issued_on": first_day(issued),
                    "mode": doc_mode,
                    "fields": fields,
                    "search_text": search_text([doc_code, doc_title]),
                }
            )
    for index, row in enumerate(documents, start=1):
        row["id"] = index
    return agencies, fonds, packages, documents


def effective(document_mode: str | None, package_mode: str | None) -> str:
    from archive_repo.access.rules import effective_mode

    return effective_mode(document_mode, package_mode)


def fill_catalog(url: str, docs: int) -> Generated:
    """Insert the generated catalog into the (empty, migrated) catalog at ``url``."""
    from sqlalchemy import func, insert, select

    from archive_repo.catalog.db import engine_for
    from archive_repo.catalog.models import Agency, Document, Fonds, Package

    started = time.perf_counter()
    agencies, fonds, packages, documents = generate_rows(docs)
    mode_of = {p["id"]: p["mode"] for p in packages}
    engine = engine_for(url)
    try:
        with engine.begin() as connection:
            existing = connection.execute(select(func.count()).select_from(Document)).scalar_one()
            if existing:
                raise RuntimeError(f"the catalog at {url} already holds {existing} documents")
            connection.execute(insert(Agency), agencies)
            connection.execute(insert(Fonds), fonds)
            for start in range(0, len(packages), 2000):
                connection.execute(insert(Package), packages[start : start + 2000])
            for start in range(0, len(documents), 5000):
                connection.execute(insert(Document), documents[start : start + 5000])
            if engine.dialect.name == "postgresql":
                # Sequences behind the explicit ids, so that later inserts (accounts, events…) work.
                for table in ("agencies", "fonds", "packages", "documents"):
                    sequence = f"pg_get_serial_sequence('{table}', 'id')"
                    connection.exec_driver_sql(f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))")
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE")  # what autovacuum does soon after a bulk load
    finally:
        engine.dispose()
    modes = Counter(effective(d["mode"], mode_of[d["package_id"]]) for d in documents)
    return Generated(
        len(packages), len(documents), dict(sorted(modes.items())), time.perf_counter() - started
    )


PORTAL_SECTION = f"""[portal]
secure_cookies = false
secret_key_env = "{SECRET_ENV}"
trusted_proxies = 1
"""


def _write_portal_config(home: Path) -> None:
    """The repository's ``[portal]`` section, as this scenario wants it (rewritten on every run): the
    client's address from ``X-Forwarded-For`` (one proxy in front), the cookie key from the environment."""
    config = home / "archive-repo.toml"
    text = config.read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[portal\]\n.*?(?=^\[|\Z)", "", text).rstrip("\n")
    config.write_text(text + "\n\n" + PORTAL_SECTION, encoding="utf-8")


def ensure_repository(work: Path, docs: int, rebuild: bool) -> tuple[Path, Generated]:
    """The repository with the generated SQLite catalog (cached in the work dir)."""
    folder = work / "portal" / f"v{GENERATOR_VERSION}-{docs}"
    home = folder / "repo"
    marker = folder / "ready.json"
    if marker.is_file() and not rebuild:
        data = json.loads(marker.read_text(encoding="utf-8"))
        return home, Generated(data["packages"], data["documents"], data["modes"], data["seconds"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    print(f"  generating a catalog of {docs:,} documents in {home} ...", flush=True)
    command = [sys.executable, "-m", "archive_repo", "init", "-R", str(home), "--archive-code", ARCHIVE_CODE]
    command += ["--archive-name", ARCHIVE_NAME, "--virus-scan", "off"]
    subprocess.run(command, check=True, capture_output=True, env=_clean_env())
    _write_portal_config(home)
    from archive_repo.catalog.db import default_url

    generated = fill_catalog(default_url(home), docs)
    marker.write_text(json.dumps(generated.__dict__), encoding="utf-8")
    print(
        f"  {generated.documents:,} documents in {generated.packages:,} dossiers, {generated.seconds:.0f} s"
    )
    return home, generated


def ensure_pg_database(server_url: str, docs: int, rebuild: bool) -> tuple[str, Generated]:
    """A PostgreSQL database ``bench_portal_<docs>`` on the server, migrated and filled (kept)."""
    from sqlalchemy import create_engine, func, select

    from archive_repo.catalog.db import engine_for, normalise_url, upgrade
    from archive_repo.catalog.models import Document

    server = normalise_url(server_url)
    name = f"bench_portal_v{GENERATOR_VERSION}_{docs}"
    url = server.set(database=name).render_as_string(hide_password=False)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.exec_driver_sql(
                "SELECT 1 FROM pg_database WHERE datname = %(n)s", {"n": name}
            )
            present = exists.first() is not None
            if present and not rebuild:
                engine = engine_for(url)
                try:
                    with engine.connect() as check:
                        count = check.execute(select(func.count()).select_from(Document)).scalar_one()
                finally:
                    engine.dispose()
                if count == docs:
                    return url, _pg_generated(url)
            if present:
                connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    print(f"  generating the catalog of {docs:,} documents into PostgreSQL database {name} ...", flush=True)
    upgrade(url)
    return url, fill_catalog(url, docs)


def _pg_generated(url: str) -> Generated:
    from sqlalchemy import func, select

    from archive_repo.catalog.db import engine_for
    from archive_repo.catalog.models import Document, Package

    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(Document.mode, Package.mode).join(Package)).all()
            packages = connection.execute(select(func.count()).select_from(Package)).scalar_one()
    finally:
        engine.dispose()
    modes = Counter(effective(d, p) for d, p in rows)
    return Generated(packages, len(rows), dict(sorted(modes.items())), 0.0)


def _clean_env(**extra: str) -> dict[str, str]:
    cleared = ("ARCHIVE_REPO_LANG", "ARCHIVE_REPO_DEBUG", "ARCHIVE_REPO_DB", "ARCHIVE_REPO_HOME")
    env = {k: v for k, v in os.environ.items() if k not in cleared}
    env.update(extra)
    return env


# --------------------------------------------------------------------------------------------------
# The searches
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    q: str
    fonds: str = ""
    date_from: str = ""
    date_to: str = ""
    type_code: str = ""
    page: int = 1

    @property
    def filtered(self) -> bool:
        return bool(self.fonds or self.date_from or self.date_to or self.type_code)

    def path(self) -> str:
        params = {"q": self.q, "fonds": self.fonds, "from": self.date_from, "to": self.date_to}
        params.update({"type": self.type_code})
        if self.page > 1:
            params["page"] = str(self.page)
        return "/search?" + urllib.parse.urlencode(params)

    def criteria(self) -> Any:
        """What the view makes of this search (same date parsing, same page size)."""
        from archive_repo.catalog.browse import parse_date
        from archive_repo.portal.search import Criteria

        return Criteria(
            text=self.q,
            fonds=self.fonds or None,
            date_from=parse_date(self.date_from, end=False) if self.date_from else None,
            date_to=parse_date(self.date_to, end=True) if self.date_to else None,
            type_code=self.type_code or None,
            page=self.page,
            per_page=20,
        )


def search_mix(count: int = 200, seed: int = 7) -> list[Search]:
    """Half plain word searches, half with one to three filters; pages 1 (most), 2 or 3."""
    rng = random.Random(seed)
    mix = []
    for index in range(count):
        q = rng.choice(QUERY_WORDS)
        page = rng.choices([1, 2, 3], [8, 1, 1])[0]
        if index % 2 == 0:
            mix.append(Search(q, page=page))
            continue
        fonds = rng.choice(FONDS)[0] if rng.random() < 0.6 else ""
        start = rng.randint(YEARS[0], YEARS[1] - 5)
        date_from, date_to = ("", "")
        if rng.random() < 0.6:
            date_from, date_to = str(start), str(start + rng.randint(0, 10))
            if rng.random() < 0.3:
                date_from, date_to = f"{start}-03-01", f"{start + 1}-06-30"
        type_code = rng.choice(list(TYPES)) if rng.random() < 0.5 else ""
        if not (fonds or date_from or type_code):
            fonds = rng.choice(FONDS)[0]
        mix.append(Search(q, fonds, date_from, date_to, type_code, page))
    return mix


# --------------------------------------------------------------------------------------------------
# The server (its own process) and the clients
# --------------------------------------------------------------------------------------------------


def serve_main(argv: list[str]) -> int:
    """``portal_scenario.py serve REPO --threads N``: the portal under waitress on 127.0.0.1, a free port
    (printed as ``PORT <n>``), until SIGTERM. The repository's ``[portal] trusted_proxies = 1`` makes the
    portal take each client's address from ``X-Forwarded-For``, as behind the archive's reverse proxy."""
    parser = argparse.ArgumentParser(prog="portal_scenario.py serve")
    parser.add_argument("repo", type=Path)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    import logging

    import waitress

    from archive_repo.config import load_settings
    from archive_repo.portal.app import create_app

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = load_settings(args.repo)
    if settings.portal.trusted_proxies != 1:
        raise SystemExit("the benchmark repository must have [portal] trusted_proxies = 1")
    app = create_app(settings)
    # waitress strips X-Forwarded-* from peers it does not trust (clear_untrusted_proxy_headers, on by
    # default since waitress 2): left on, the portal's ProxyFix would never see the client's address and
    # every client would share one rate-limit bucket. [portal] trusted_proxies says the portal trusts it.
    server = waitress.create_server(
        app,
        host="127.0.0.1",
        port=0,
        threads=args.threads,
        connection_limit=1000,
        clear_untrusted_proxy_headers=False,
        ident="archive-repo",
    )

    def stop(_signum: int, _frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    print(f"PORT {server.effective_port}", flush=True)
    server.run()
    return 0


@dataclass
class Server:
    process: subprocess.Popen[str]
    port: int
    log: Path

    def proc(self, name: str) -> str:
        return Path(f"/proc/{self.process.pid}/{name}").read_text()

    def cpu_seconds(self) -> float:
        fields = self.proc("stat").rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory_mb(self, key: str) -> float:
        match = re.search(rf"^{key}:\s*(\d+) kB", self.proc("status"), re.M)
        return int(match.group(1)) / 1024 if match else 0.0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


def database_backends(url: str | None) -> dict[int, float]:
    """CPU seconds so far of every PostgreSQL backend connected to the database at ``url`` (the portal's
    connections; read from ``pg_stat_activity`` and ``/proc``); empty for SQLite."""
    if not url:
        return {}
    from sqlalchemy import create_engine, text

    from archive_repo.catalog.db import normalise_url

    engine = create_engine(normalise_url(url))
    query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    try:
        with engine.connect() as connection:
            pids = list(connection.execute(text(query)).scalars())
    finally:
        engine.dispose()
    found = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def _die_with_parent() -> None:
    """In the server process, before exec: be killed when the benchmark dies, however it dies (Linux)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def start_server(home: Path, threads: int, log: Path, db_url: str | None) -> Server:
    env = _clean_env(**{SECRET_ENV: uuid.uuid4().hex + uuid.uuid4().hex})
    if db_url:
        env["ARCHIVE_REPO_DB"] = db_url
    handle = open(log, "w", encoding="utf-8")  # noqa: SIM115 - the child keeps writing to it
    process = subprocess.Popen(  # noqa: S603 - our own server
        [sys.executable, str(SCRIPT), "serve", str(home), "--threads", str(threads)],
        stdout=subprocess.PIPE,
        stderr=handle,
        text=True,
        env=env,
        start_new_session=True,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - only prctl, no locks taken
    )
    handle.close()
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("PORT "):
        process.kill()
        raise RuntimeError(f"the portal did not start: {line!r}\n{log.read_text(encoding='utf-8')[-3000:]}")
    return Server(process, int(line.split()[1]), log)


@dataclass
class ClientResult:
    latencies: list[float] = field(default_factory=list)  # successful requests, seconds
    statuses: Counter[str] = field(default_factory=Counter)
    checked: list[tuple[Search, int | None]] = field(default_factory=list)  # search, total shown
    secret_seen: list[str] = field(default_factory=list)
    rows: int = 0  # result rows read back from the pages
    bytes: int = 0


_COUNT = re.compile(r'id="result-count"[^>]*>(.*?)<', re.S)
_CODES = re.compile(
    r'<tr[^>]*class="[^"]*\bresult\b[^"]*"[^>]*data-code="([^"]+)"|data-code="([^"]+)"[^>]*class="[^"]*\bresult\b'
)


def shown_total(body: str) -> int | None:
    match = _COUNT.search(body)
    if not match:
        return None
    digits = re.sub(r"\D", "", match.group(1))
    return int(digits) if digits else None


def shown_codes(body: str) -> list[str]:
    return [a or b for a, b in _CODES.findall(body)]


def client(
    index: int,
    port: int,
    mix: list[Search],
    start: threading.Barrier,
    measure_from: float,
    deadline: list[float],
    secret: set[str],
    result: ClientResult,
) -> None:
    rng = random.Random(1000 + index)
    addresses = [f"10.{index // 256}.{index % 256}.{n + 1}" for n in range(ADDRESSES_PER_CLIENT)]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    count = 0
    start.wait()
    while True:
        began = time.perf_counter()
        if began >= deadline[0]:
            break
        search = rng.choice(mix)
        headers = {"X-Forwarded-For": addresses[count % len(addresses)], "Accept-Language": "vi"}
        count += 1
        try:
            connection.request("GET", search.path(), headers=headers)
            response = connection.getresponse()
            body = response.read()
            status = str(response.status)
        except (OSError, http.client.HTTPException) as exc:
            status = type(exc).__name__
            body = b""
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        ended = time.perf_counter()
        if began < measure_from:
            continue  # warm-up
        result.statuses[status] += 1
        if status == "200":
            result.latencies.append(ended - began)
            result.bytes += len(body)
            text = body.decode("utf-8", "replace")
            result.checked.append((search, shown_total(text)))
            codes = shown_codes(text)
            result.rows += len(codes)
            result.secret_seen += [code for code in codes if code in secret]
    connection.close()


@dataclass
class LoadResult:
    backend: str
    clients: int
    threads: int
    seconds: float
    latencies: list[float]
    statuses: Counter[str]
    checked: list[tuple[Search, int | None]]
    secret_seen: list[str]
    rows: int
    bytes: int
    server_cpu: float
    client_cpu: float
    database_cpu: float  # CPU time of the PostgreSQL server's processes during the window
    other_cpu: float  # CPU time of everything else on the machine during the window
    load: tuple[str, str]  # load average before and after the window
    rss_start_mb: float
    rss_peak_mb: float
    log_tail: str
    reference: dict[str, Any] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "200")


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = min(len(ordered) - 1, max(0, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[position]


def run_load(
    home: Path,
    backend: str,
    db_url: str | None,
    mix: list[Search],
    secret: set[str],
    args: argparse.Namespace,
    scratch: Path,
) -> LoadResult:
    log = scratch / f"server-{backend}.log"
    server = start_server(home, args.threads, log, db_url)
    try:
        # one request to load the app (templates, first connection) before anything is measured
        probe = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        probe.request("GET", mix[0].path(), headers={"X-Forwarded-For": "10.255.255.254"})
        first = probe.getresponse()
        first_body = first.read().decode("utf-8", "replace")
        probe.close()
        if first.status != 200 or shown_total(first_body) is None:
            raise RuntimeError(
                f"GET {mix[0].path()} answered {first.status} without #result-count:\n{first_body[:2000]}"
            )
        rss_start = server.memory_mb("VmRSS")
        results = [ClientResult() for _ in range(args.clients)]
        barrier = threading.Barrier(args.clients + 1)
        deadline = [float("inf")]
        measure_from = [0.0]
        threads = []
        # the clients start together; the first --warmup seconds are not counted
        start_at = time.perf_counter() + 0.5
        measure_from[0] = start_at + args.warmup
        deadline[0] = measure_from[0] + args.seconds
        for index in range(args.clients):
            thread = threading.Thread(
                target=client,
                args=(index, server.port, mix, barrier, measure_from[0], deadline, secret, results[index]),
                daemon=True,
            )
            thread.start()
            threads.append(thread)
        time.sleep(max(0.0, start_at - time.perf_counter()))
        barrier.wait()
        time.sleep(max(0.0, measure_from[0] - time.perf_counter()))
        load_before = ingest_scenario.loadavg()
        busy_before = ingest_scenario.busy_cpu_seconds()
        database_before = database_backends(db_url)
        cpu_before = server.cpu_seconds()
        client_before = time.process_time()
        time.sleep(max(0.0, deadline[0] - time.perf_counter()))
        cpu_after = server.cpu_seconds()
        client_after = time.process_time()
        busy_after = ingest_scenario.busy_cpu_seconds()
        database_after = database_backends(db_url)
        load_after = ingest_scenario.loadavg()
        for thread in threads:
            thread.join(timeout=120)
        rss_peak = server.memory_mb("VmHWM")
        database = sum(cpu - database_before.get(pid, 0.0) for pid, cpu in database_after.items())
    finally:
        server.stop()
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    checked: list[tuple[Search, int | None]] = []
    secret_seen: list[str] = []
    rows = 0
    size = 0
    for result in results:
        statuses.update(result.statuses)
        latencies += result.latencies
        checked += result.checked
        secret_seen += result.secret_seen
        rows += result.rows
        size += result.bytes
    tail = log.read_text(encoding="utf-8", errors="replace")[-2000:] if log.exists() else ""
    return LoadResult(
        backend,
        args.clients,
        args.threads,
        args.seconds,
        latencies,
        statuses,
        checked,
        secret_seen,
        rows,
        size,
        cpu_after - cpu_before,
        client_after - client_before,
        database,
        busy_after - busy_before - (cpu_after - cpu_before) - (client_after - client_before) - database,
        (load_before, load_after),
        rss_start,
        rss_peak,
        tail,
    )


# --------------------------------------------------------------------------------------------------
# The in-process references
# --------------------------------------------------------------------------------------------------


def references(url: str, mix: list[Search], passes: int) -> tuple[dict[str, Any], dict[Search, int]]:
    """``public_search()`` over the mix, one after the other (``passes`` timed passes after an untimed
    one), and the SQL it issued replayed on a DB-API cursor; also the total of every search of the mix."""
    from sqlalchemy import event

    from archive_repo.catalog.db import engine_for, session_factory
    from archive_repo.portal.search import public_search

    engine = engine_for(url)
    factory = session_factory(engine)
    captured: dict[Search, list[tuple[str, Any]]] = {}
    current: list[tuple[str, Any]] | None = None

    @event.listens_for(engine, "before_cursor_execute")
    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if current is not None and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            current.append((statement, parameters))

    totals: dict[Search, int] = {}
    try:
        # one pass to warm the page cache and the statement caches, capturing each search's SQL
        for search in dict.fromkeys(mix):
            current = captured.setdefault(search, [])
            with factory() as session:
                _hits, total = public_search(session, search.criteria(), "vi")
            totals[search] = total
            current = None
        orm: list[float] = []
        for _ in range(passes):
            for search in mix:
                began = time.perf_counter()
                with factory() as session:
                    public_search(session, search.criteria(), "vi")
                orm.append(time.perf_counter() - began)
        raw: list[float] = []
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            for _ in range(passes):
                for search in mix:
                    began = time.perf_counter()
                    for statement, parameters in captured[search]:
                        cursor.execute(statement, parameters)
                        cursor.fetchall()
                    raw.append(time.perf_counter() - began)
            cursor.close()
            connection.rollback()
        finally:
            connection.close()
    finally:
        engine.dispose()
    statements = sorted(len(v) for v in captured.values())
    return {"orm": orm, "raw": raw, "statements": statements}, totals


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def latency_row(label: str, values: list[float], per_second: float | None, note: str = "") -> list[str]:
    return [
        label,
        f"{len(values):,}",
        f"{per_second:.1f}" if per_second is not None else "",
        _ms(percentile(values, 0.5)),
        _ms(percentile(values, 0.95)),
        _ms(percentile(values, 0.99)),
        _ms(max(values)) if values else "",
        note,
    ]


def render_load(load: LoadResult, generated: Generated) -> str:
    seconds = load.seconds
    rps = load.ok / seconds
    orm, raw = load.reference.get("orm", []), load.reference.get("raw", [])
    orm_rate = len(orm) / sum(orm) if orm else None
    raw_rate = len(raw) / sum(raw) if raw else None
    errors = ", ".join(f"{status}: {n}" for status, n in sorted(load.statuses.items()) if status != "200")
    rows = [
        latency_row(
            f"**HTTP `GET /search`**, {load.clients} clients, waitress {load.threads} threads",
            load.latencies,
            rps,
            f"errors: {load.errors} ({errors or 'none'}); {load.bytes / max(1, load.ok) / 1024:.0f} kB/page",
        ),
        latency_row(
            "`public_search()` in process, sequential (count + page, SQLAlchemy)",
            orm,
            orm_rate,
            "reference: the service the view calls",
        ),
        latency_row(
            "its SQL replayed on a DB-API cursor, sequential",
            raw,
            raw_rate,
            f"reference: the database alone ({_statements(load.reference.get('statements', []))})",
        ),
    ]
    cores = os.cpu_count() or 1
    p50_ratio = percentile(load.latencies, 0.5) / percentile(orm, 0.5) if orm else float("nan")
    lines = [
        f"### {load.backend}",
        "",
        bench.table(rows, ["side", "requests", "per second", "p50", "p95", "p99", "max", "notes"]),
        "",
        f"- Throughput: **{rps:.1f} searches/s** over {seconds:.0f} s; "
        f"**{rps / orm_rate:.2f}×** the sequential in-process `public_search()` rate "
        f"({orm_rate:.1f}/s) and {rps / raw_rate:.2f}× the bare SQL's ({raw_rate:.1f}/s), on {cores} cores."
        if orm_rate and raw_rate
        else f"- Throughput: **{rps:.1f} searches/s** over {seconds:.0f} s.",
        f"- Server CPU: {load.server_cpu:.1f} s over {seconds:.0f} s "
        f"({load.server_cpu / seconds * 100:.0f} % of one core, "
        f"{load.server_cpu / max(1, load.ok) * 1000:.2f} ms per search); the {load.clients} client "
        f"threads (same machine) used {load.client_cpu:.1f} s; "
        + (f"PostgreSQL's processes {load.database_cpu:.1f} s; " if load.database_cpu else "")
        + "other processes "
        f"{max(0.0, load.other_cpu):.1f} s ({max(0.0, load.other_cpu) / seconds / cores * 100:.0f} % of the "
        f"machine; load average {load.load[0]} before, {load.load[1]} after).",
        f"- HTTP p50 ÷ in-process p50: {p50_ratio:.1f}× (queueing behind {load.clients} clients on "
        f"{load.threads} threads included).",
        f"- Server RSS: {load.rss_start_mb:.0f} MB after the first request, "
        f"**peak {load.rss_peak_mb:.0f} MB** (`VmHWM`).",
        f"- Checks: all {len(load.checked):,} pages ({load.rows:,} result rows), "
        + (
            "every `#result-count` equal to `public_search()`'s total"
            if not load.mismatches
            else f"**{len(load.mismatches)} totals differ** ({'; '.join(load.mismatches[:3])})"
        )
        + "; "
        + (
            "no record of regime 03 in any of them."
            if not load.secret_seen
            else f"**{len(load.secret_seen)} secret records shown** ({', '.join(load.secret_seen[:5])})."
        ),
    ]
    return "\n".join(lines)


def _statements(counts: list[int]) -> str:
    if not counts:
        return "no statements"
    low, high = counts[0], counts[-1]
    return (
        f"{low} SQL statement{'s' if low != 1 else ''} per search"
        if low == high
        else f"{low}–{high} statements"
    )


def render(
    loads: list[LoadResult], generated: Generated, info: dict[str, str], command: str, mix: list[Search]
) -> str:
    filtered = sum(1 for s in mix if s.filtered)
    modes = ", ".join(f"{mode}: {count:,}" for mode, count in generated.modes.items())
    out = [
        "## portal: concurrent searches on the researcher portal",
        "",
        *bench.run_header(command),
        "**Machine:** " + bench.machine_line(info) + "; " + versions() + ".",
        "",
        "**Method** (`benchmarks/portal_scenario.py`): a catalog of "
        f"{generated.documents:,} documents in {generated.packages:,} dossiers (12 fonds, 1976–2024, 14 "
        f"document types, Vietnamese titles; effective regimes {modes}) generated once with SQLAlchemy "
        "into a repository's catalog. The portal (`create_app`) served by waitress in its own process on "
        "127.0.0.1; client threads in the benchmark process, each with a keep-alive connection, "
        f"send `GET /search` back to back, drawn from {len(mix)} searches ({len(mix) - filtered} "
        f"diacritic-free words alone, {filtered} with fonds / date range / type filters; pages 1–3), "
        "each client from 100 addresses of its own via `X-Forwarded-For` (`[portal] trusted_proxies = 1`), "
        "below the 60 searches/minute limit per address. Latency: from sending the request to the last byte "
        "of the page. Anything but 200 counts as an error. Peak RSS: the server's `VmHWM`. References, "
        "in process and sequential, on the same searches: `public_search()` (count + page through "
        "SQLAlchemy, what the view calls) and the SQL it issued replayed on a DB-API cursor.",
        "",
    ]
    for load in loads:
        out += [render_load(load, generated), ""]
    return "\n".join(out).rstrip() + "\n"


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for name in ("flask", "waitress", "flask-limiter", "sqlalchemy", "psycopg"):
        with contextlib.suppress(PackageNotFoundError):
            parts.append(f"{name} {version(name)}")
    import sqlite3

    parts.append(f"SQLite {sqlite3.sqlite_version}")
    return ", ".join(parts)


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "portal", help="concurrent searches on the researcher portal over a 100,000-document catalog"
    )
    p.add_argument("--docs", type=int, default=100_000, help="documents in the catalog (default %(default)s)")
    p.add_argument("--clients", type=int, default=50, help="concurrent clients (default %(default)s)")
    p.add_argument(
        "--seconds", type=float, default=30.0, help="measured seconds of load (default %(default)s)"
    )
    p.add_argument(
        "--warmup", type=float, default=5.0, help="seconds of load not counted (default %(default)s)"
    )
    p.add_argument("--threads", type=int, default=8, help="waitress threads (default %(default)s)")
    p.add_argument(
        "--reference-passes",
        type=int,
        default=1,
        help="timed passes over the searches for each in-process reference (default %(default)s)",
    )
    p.add_argument(
        "--pg-url",
        default=os.environ.get(PG_ENV),
        help=f"PostgreSQL server URL: also run against PostgreSQL (default ${PG_ENV})",
    )
    p.add_argument("--rebuild", action="store_true", help="regenerate the cached catalog")
    p.add_argument("--work", type=Path, default=bench.DEFAULT_WORK, help="work dir (default benchmarks/work)")
    p.add_argument("--results", type=Path, default=bench.DEFAULT_RESULTS, help="Markdown file to update")
    p.add_argument("--no-write", action="store_true", help="print only; do not update RESULTS.md")


def secret_codes(url: str) -> set[str]:
    """The codes of every document whose effective regime is 03."""
    from sqlalchemy import or_, select

    from archive_repo.catalog.db import engine_for
    from archive_repo.catalog.models import Document, Package

    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            query = (
                select(Document.code).join(Package).where(or_(Document.mode == "03", Package.mode == "03"))
            )
            return set(connection.execute(query).scalars())
    finally:
        engine.dispose()


def _without_password(argument: str) -> str:
    """A command-line argument as it may be shown: a database URL with its password hidden."""
    if "://" not in argument:
        return argument
    from archive_repo.catalog.db import safe_url

    prefix, _, url = argument.rpartition("=") if argument.startswith("--") else ("", "", argument)
    return (prefix + "=" if prefix else "") + safe_url(url)


def check_totals(load: LoadResult, totals: dict[Search, int]) -> None:
    for search, shown in load.checked:
        if shown != totals[search]:
            load.mismatches.append(f"{search.path()}: page {shown}, public_search {totals[search]}")
    if load.rows == 0 and any(totals[search] for search, _shown in load.checked):
        load.mismatches.append("no result row could be read from any page (has the markup changed?)")


def cmd_portal(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    work: Path = args.work.resolve()
    home, generated = ensure_repository(work, args.docs, args.rebuild)
    _write_portal_config(home)
    scratch = work / "portal" / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    mix = search_mix()
    from archive_repo.catalog.db import default_url

    backends: list[tuple[str, str | None, str, Generated]] = [("SQLite", None, default_url(home), generated)]
    if args.pg_url:
        pg_url, pg_generated = ensure_pg_database(args.pg_url, args.docs, args.rebuild)
        backends.append(("PostgreSQL", pg_url, pg_url, pg_generated))
    loads = []
    for name, db_url, url, _gen in backends:
        secret = secret_codes(url)
        print(f"{name}: {args.clients} clients for {args.warmup:g} + {args.seconds:g} s ...", flush=True)
        load = run_load(home, name, db_url, mix, secret, args, scratch)
        print(
            f"  {load.ok / load.seconds:.1f} req/s, p50 {_ms(percentile(load.latencies, 0.5))}, "
            f"p99 {_ms(percentile(load.latencies, 0.99))}, statuses {dict(load.statuses)}, "
            f"peak RSS {load.rss_peak_mb:.0f} MB",
            flush=True,
        )
        print(f"{name}: in-process references, {args.reference_passes} × {len(mix)} searches ...", flush=True)
        load.reference, totals = references(url, mix, args.reference_passes)
        check_totals(load, totals)
        loads.append(load)
    command = "python benchmarks/run.py " + " ".join(shlex.quote(_without_password(a)) for a in sys.argv[1:])
    section = render(loads, generated, bench.machine_info(work), command, mix)
    section += f"\n*Whole benchmark: {time.perf_counter() - started:.0f} s.*\n"
    print()
    print(section)
    if not args.no_write:
        bench.write_results(args.results, section)
        print(f"written to {args.results}")
    shutil.rmtree(scratch, ignore_errors=True)
    failed = [load for load in loads if load.errors or load.secret_seen or load.mismatches or not load.ok]
    for load in failed:
        print(
            f"{load.backend}: FAILED checks (errors {dict(load.statuses)}); server log tail:\n{load.log_tail}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        sys.exit(serve_main(sys.argv[2:]))
    sys.path.insert(0, str(SCRIPT.parent))
    import run as _run

    sys.exit(_run.main(["portal", *sys.argv[1:]]))
