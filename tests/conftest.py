"""Shared fixtures.

Browser tests (reusable by every area): `streamlit_server` starts `streamlit run app.py` once per
session on a free port; `browser` is one headless Debian Chromium; `page` / `phone_page` are fresh
contexts at desktop and phone width; `wait_for_app(page)` waits until the script has finished.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # app_pages/ is not an installed package
    sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


@pytest.fixture(autouse=True)
def _main_module_restored():
    """Streamlit's script runner (AppTest) installs the page script as `__main__` and leaves it
    there; a process started by spawn afterwards (a Dask worker) would then re-run app.py."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


def pytest_itemcollected(item) -> None:  # noqa: ANN001
    """Every test that drives Chromium is marked `browser`."""
    if "browser" in item.fixturenames:
        item.add_marker(pytest.mark.browser)


def pytest_collection_modifyitems(config, items) -> None:  # noqa: ANN001
    """SECONDLOOK_TEST_PART=browser keeps only the browser tests, =other only the rest:
    scripts/test runs the two parts side by side, the browser tests one at a time in their own
    process (two browsers and two app servers on two cores starved each other's script runs)."""
    part = os.environ.get("SECONDLOOK_TEST_PART")
    if part not in ("browser", "other"):
        return
    keep = [
        i for i in items if (i.get_closest_marker("browser") is not None) == (part == "browser")
    ]
    dropped = [i for i in items if i not in keep]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):  # noqa: ANN001
    """A failed browser test keeps what the page showed: a screenshot beside the test's temporary
    files and the page's visible text in the report (pages here hold only test data)."""
    report = yield
    if report.failed and call.when == "call":
        for name in ("page", "phone_page"):
            page = item.funcargs.get(name) if hasattr(item, "funcargs") else None
            if page is None:
                continue
            try:
                shot = item.config._tmp_path_factory.mktemp("failed-page") / f"{item.name}.png"
                page.screenshot(path=str(shot), full_page=True)
                text = page.locator("body").inner_text(timeout=5_000)
            except Exception as exc:  # the page may be gone; the failure itself matters more
                report.sections.append((f"page ({name})", f"could not capture: {exc!r}"))
            else:
                report.sections.append((f"page ({name})", f"screenshot: {shot}\n{text[-4000:]}"))
    return report


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class StreamlitServer:
    url: str
    log_path: Path
    process: subprocess.Popen

    def log(self) -> str:
        """Everything the server printed so far (stdout and stderr)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="session")
def streamlit_server(tmp_path_factory: pytest.TempPathFactory) -> StreamlitServer:
    """`streamlit run app.py` on a free port, polled on /_stcore/health until it answers ok."""
    port = free_port()
    tmp = tmp_path_factory.mktemp("streamlit")
    log_path = tmp / "server.log"
    # A cache of its own, empty: the server reads every plan file as on a fresh clone (CI).
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "PYTHONFAULTHANDLER": "1",
        "SECONDLOOK_CACHE_DIR": str(tmp / "cache"),
    }
    command = [
        str(ROOT / ".venv" / "bin" / "streamlit"),
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--logger.level",
        "info",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.terminate()
            raise RuntimeError(f"streamlit did not become healthy:\n{log_path.read_text()}")
        time.sleep(0.3)
    server = StreamlitServer(url=url, log_path=log_path, process=process)
    yield server
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the session (Playwright cannot download its own)."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup.sh (apt package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield instance
        instance.close()


def _new_page(browser, viewport: dict, **extra):
    context = browser.new_context(viewport=viewport, accept_downloads=True, **extra)
    context.set_default_timeout(30_000)
    return context, context.new_page()


@pytest.fixture
def page(browser):
    """A fresh desktop-width page (1280 px) that accepts downloads."""
    context, new = _new_page(browser, DESKTOP)
    yield new
    context.close()


@pytest.fixture
def phone_page(browser):
    """A fresh phone-width page (375 px, touch)."""
    context, new = _new_page(browser, PHONE, is_mobile=True, has_touch=True)
    yield new
    context.close()


def _wait_for_app(page, timeout: float = 30_000) -> None:
    # A rerun may not have started yet when this is called: give it a moment to flip to
    # "running" before waiting for "notRunning".
    page.wait_for_timeout(150)
    page.wait_for_selector(APP_IDLE, timeout=timeout)


@pytest.fixture
def wait_for_app():
    """`wait_for_app(page)`: wait until the Streamlit script has finished running."""
    return _wait_for_app


@dataclass
class NavServer:
    url: str
    db_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def start_streamlit(tmp: Path, env_extra: dict[str, str]) -> tuple[str, subprocess.Popen, Path]:
    """`streamlit run app.py` on a free port with extra environment; waits until healthy."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        PYTHONUNBUFFERED="1",
        PYTHONFAULTHANDLER="1",
        SECONDLOOK_CACHE_DIR=str(tmp / "cache"),
        **env_extra,
    )
    log_path = tmp / "server.log"
    command = [
        str(ROOT / ".venv" / "bin" / "streamlit"), "run", "app.py",
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return url, process, log_path
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_process(process)
            raise RuntimeError(f"streamlit did not become healthy:\n{log_path.read_text()}")
        time.sleep(0.3)


def stop_process(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def nav_server(tmp_path_factory):
    """`streamlit run app.py` with an empty navigator store (SQLite in a temp dir), per module."""
    tmp = tmp_path_factory.mktemp("navigator")
    db_path = tmp / "var" / "secondlook.db"
    url, process, log_path = start_streamlit(tmp, {"SECONDLOOK_DB_PATH": str(db_path)})
    try:
        yield NavServer(url, f"sqlite:///{db_path}", log_path)
    finally:
        stop_process(process)


# --------------------------------------------------------------------------------------------
# Databases for the navigator store tests. `TEST_DATABASE_URL` or `DATABASE_URL` names a
# PostgreSQL server to use (each test gets its own database on it, dropped afterwards); otherwise
# a throwaway cluster is started from Debian's binaries (tests/pg_cluster.py).


@pytest.fixture(scope="session")
def postgres_server_url():
    """A PostgreSQL server for the session (external, or a throwaway local cluster)."""
    from navigator.db import normalise_url

    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        yield normalise_url(url)
        return
    from pg_cluster import PostgresCluster

    cluster = PostgresCluster()
    cluster.start()
    try:
        yield cluster.url()
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_server_url):
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import uuid

    import sqlalchemy as sa

    base = sa.make_url(postgres_server_url)
    name = f"nav_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def nav_db_url(request, tmp_path):
    """An empty database URL, once on SQLite (a file under var/) and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'var' / 'secondlook.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(nav_db_url):
    """The navigator's store on an empty database (once on SQLite, once on PostgreSQL)."""
    from navigator.store import Store

    opened = Store.open(nav_db_url)
    yield opened
    opened.close()


@pytest.fixture
def app_store(tmp_path, monkeypatch):
    """An empty SQLite store where the app run by AppTest opens its own (SECONDLOOK_DB_PATH)."""
    from navigator.store import Store

    monkeypatch.delenv("DATABASE_URL", raising=False)
    db_path = tmp_path / "var" / "secondlook.db"
    monkeypatch.setenv("SECONDLOOK_DB_PATH", str(db_path))
    opened = Store.open(f"sqlite:///{db_path}")
    yield opened
    opened.close()
