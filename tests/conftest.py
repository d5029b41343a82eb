"""Shared fixtures and builders."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
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
    import uvicorn

    from backstretch.web import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        create_app(ex), host="127.0.0.1", port=port, log_level="warning", ws_max_size=8 << 20
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    srv.should_exit = True
    thread.join(timeout=10)
