"""The pose model for the browser: its runtime and model files, served from the package.

The page (``--pose browser``, the default) runs MediaPipe's pose landmarker itself with
``@mediapipe/tasks-vision`` and sends only landmarks, so the camera picture never leaves the
device. Its loader and WebAssembly travel inside this package (``static/vendor/tasks-vision``,
the WebAssembly gzipped and served with ``Content-Encoding: gzip``); the model bundle is
built from the pinned mediapipe wheel's own models, the ones the server runs, on the first
start, and kept in the user's cache folder (``build_pose_task``). Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, Response

from backstretch.errors import BackstretchError

VENDOR = Path(__file__).parent / "static" / "vendor" / "tasks-vision"
TASK_NAME = "pose_landmarker_full.task"


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "backstretch"


def pose_task(cache: Path | None = None) -> Path:
    """The pose model bundle, built once from the mediapipe wheel and checked by its hash."""
    from backstretch.pose.mediapipe_pose import POSE_TASK_SHA256, build_pose_task

    folders = [cache] if cache is not None else [_cache_dir(), Path(tempfile.gettempdir())]
    for folder in folders:
        path = folder / f"pose_landmarker_full-{POSE_TASK_SHA256[:12]}.task"
        try:
            if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == POSE_TASK_SHA256:
                return path
            digest = build_pose_task(path)
        except OSError:
            continue  # a read-only cache folder: try the next
        if digest != POSE_TASK_SHA256:
            path.unlink(missing_ok=True)
            raise BackstretchError(
                "the browser's pose model built from the installed mediapipe is not the "
                f"expected one (sha256 {digest[:12]}, not {POSE_TASK_SHA256[:12]}); "
                "reinstall mediapipe==0.10.21, or serve with --pose server"
            )
        return path
    raise BackstretchError("no writable folder for the browser's pose model; set XDG_CACHE_HOME")


def mount(app: FastAPI, task: Path) -> None:
    """Serve the runtime under /vendor/tasks-vision/ and the model at /vendor/<TASK_NAME>."""

    @app.get(f"/vendor/{TASK_NAME}", include_in_schema=False)
    async def model() -> FileResponse:
        return FileResponse(task, media_type="application/octet-stream",
                            headers={"cache-control": "max-age=86400"})  # fmt: skip

    @app.get("/vendor/tasks-vision/{name:path}", include_in_schema=False)
    async def runtime(name: str) -> Response:
        path = (VENDOR / name).resolve()
        if path.suffix == ".wasm":
            gz = path.with_name(path.name + ".gz")
            if VENDOR.resolve() not in gz.parents or not gz.is_file():
                raise HTTPException(404, f"no file {name!r}")
            return FileResponse(gz, media_type="application/wasm",
                                headers={"content-encoding": "gzip",
                                         "cache-control": "max-age=86400"})  # fmt: skip
        if VENDOR.resolve() not in path.parents or path.suffix not in (".js", ".mjs"):
            raise HTTPException(404, f"no file {name!r}")
        return FileResponse(path, media_type="text/javascript")
