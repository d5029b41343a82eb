"""Refetch the browser's pose runtime from the npm registry and check it against our hashes.

    python scripts/fetch_tasks_vision.py            # download, check, write into the package
    python scripts/fetch_tasks_vision.py --check    # only check the files in the package

The page runs MediaPipe's pose landmarker in the browser with ``@mediapipe/tasks-vision``
(Apache-2.0). Its loader and WebAssembly travel inside the Python package
(``src/backstretch/web/static/vendor/tasks-vision``), so ``pip install`` and
``backstretch serve`` need no network. The WebAssembly is kept gzip-compressed (13 MB ->
3.8 MB) and served with ``Content-Encoding: gzip``. The model bundle is not fetched: it is
built from the pinned mediapipe wheel's own models (``scripts/build_pose_task.py``).

``SHA256SUMS`` beside the files holds the hash of each file as published in the npm
tarball (before compression), so a refetch proves the files are the published ones.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

PACKAGE = "@mediapipe/tasks-vision"
VERSION = "1.1.0"
ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "src" / "backstretch" / "web" / "static" / "vendor" / "tasks-vision"
#: Files taken from the tarball (``package/`` stripped); the .wasm ones are stored gzipped.
FILES = (
    "vision_bundle.mjs",
    "wasm/vision_wasm_internal.js",
    "wasm/vision_wasm_internal.wasm",
    "wasm/vision_wasm_nosimd_internal.js",
    "wasm/vision_wasm_nosimd_internal.wasm",
)


def stored_name(name: str) -> str:
    return name + ".gz" if name.endswith(".wasm") else name


def sums() -> dict[str, str]:
    lines = (VENDOR / "SHA256SUMS").read_text().splitlines()
    return {name: digest for digest, name in (ln.split(maxsplit=1) for ln in lines if ln.strip())}


def content(name: str) -> bytes:
    data = (VENDOR / stored_name(name)).read_bytes()
    return gzip.decompress(data) if name.endswith(".wasm") else data


def check() -> list[str]:
    """The files whose content does not match SHA256SUMS (empty: all good)."""
    want = sums()
    return [n for n in FILES if hashlib.sha256(content(n)).hexdigest() != want.get(n)]


def fetch() -> None:
    meta_url = f"https://registry.npmjs.org/{PACKAGE}/{VERSION}"
    with urllib.request.urlopen(meta_url, timeout=60) as r:
        meta = json.load(r)
    with urllib.request.urlopen(meta["dist"]["tarball"], timeout=300) as r:
        tarball = r.read()
    integrity = meta["dist"].get("shasum")
    if integrity and hashlib.sha1(tarball).hexdigest() != integrity:  # the registry gives sha1
        sys.exit("the tarball does not match the registry's shasum")
    want = sums()
    with tarfile.open(fileobj=io.BytesIO(tarball)) as tar:
        for name in FILES:
            member = tar.extractfile(f"package/{name}")
            assert member is not None
            data = member.read()
            digest = hashlib.sha256(data).hexdigest()
            if digest != want.get(name):
                sys.exit(f"{name}: sha256 {digest} is not the one in SHA256SUMS")
            out = VENDOR / stored_name(name)
            out.parent.mkdir(parents=True, exist_ok=True)
            if name.endswith(".wasm"):
                data = gzip.compress(data, compresslevel=9, mtime=0)
            out.write_bytes(data)
            print(f"{name}: ok ({digest[:12]})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="only check the files in the package")
    args = ap.parse_args()
    if not args.check:
        fetch()
    bad = check()
    if bad:
        sys.exit(f"not matching SHA256SUMS: {', '.join(bad)}")
    print(f"{PACKAGE} {VERSION}: {len(FILES)} files match SHA256SUMS")


if __name__ == "__main__":
    main()
