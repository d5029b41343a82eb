"""Shared fixtures and builders."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from backstretch.exercise import Exercise, builtin_exercise

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def ex() -> Exercise:
    return builtin_exercise()


@pytest.fixture(scope="session")
def data() -> Path:
    return DATA


@pytest.fixture(scope="module")
def server(ex) -> Iterator[str]:
    """A real Uvicorn server with the web app, on a free local port (its base URL)."""
    from backstretch.web import create_app

    with running(create_app(ex)) as url:
        yield url


@contextmanager
def running(app) -> Iterator[str]:
    """Serve ``app`` with a real Uvicorn on a free local port; yields its base URL."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws_max_size=8 << 20
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def _pg_url() -> str | None:
    import os

    url = os.environ.get("BACKSTRETCH_TEST_PG")
    if not url and os.environ.get("BACKSTRETCH_CI"):
        raise RuntimeError("BACKSTRETCH_TEST_PG is not set: run .ci/postgres")
    return url


def _reset_pg(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """An empty database: an SQLite file, and the test PostgreSQL when there is one."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sessions.db'}"
    url = _pg_url()
    if url is None:
        pytest.skip("no PostgreSQL: export BACKSTRETCH_TEST_PG=$(.ci/postgres)")
    _reset_pg(url)
    return url


@pytest.fixture(scope="session")
def sample_poses(ex, tmp_path_factory) -> Path:
    """The built-in sample video's poses, found once by MediaPipe and recorded (fast input)."""
    from backstretch.pipeline import analyze_source, open_source

    path = tmp_path_factory.mktemp("sample") / "sample.jsonl.gz"
    analyze_source(open_source(None), ex, save_landmarks=path)
    return path
