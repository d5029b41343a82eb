"""Batch throughput, side by side in one run: 1 local worker, 2 local workers, and Ray.

    python benchmarks/bench_batch.py [--copies 8] [--no-ray]

The same folder (copies of a real clip) is analysed three times into fresh folders; prints
the wall times, the ratio 2 workers / 1 worker (target >= 1.7 on 2 cores), Ray's extra
seconds per video against the local pool, and the peak memory of a worker process.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from backstretch.batch import run_batch  # noqa: E402


def timed(label: str, **kw: object) -> float:
    out = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    started = time.perf_counter()
    res = run_batch(**kw, out=out)  # type: ignore[arg-type]
    took = time.perf_counter() - started
    assert not res.failed, [i.error for i in res.failed]
    print(f"{label:28s} {took:7.1f} s  ({took / len(res.items):.2f} s a video)", flush=True)
    shutil.rmtree(out)
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--copies", type=int, default=8)
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--long", action="store_true", help="the 49 s sample video, not a 13 s clip")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-batch-in-"))
    clip = ROOT / "tests" / "data" / "pose_squats.mp4"  # real, 65 frames of 720x1280
    if args.long:
        from backstretch.pipeline import sample_video

        clip = sample_video()  # rendered, 735 frames of 640x480
    for k in range(args.copies):
        shutil.copy(clip, folder / f"clip{k}.mp4")
    inputs = [str(folder)]
    one = timed("local pool, 1 worker", inputs=inputs, workers=1)
    two = timed("local pool, 2 workers", inputs=inputs, workers=2)
    print(f"throughput 2 workers / 1 worker: {one / two:.2f} (target >= 1.7)")
    if not args.no_ray:
        import ray

        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        ray_s = timed("Ray (local, 2 CPUs)", inputs=inputs, ray_address="auto")
        ray.shutdown()
        extra = (ray_s - two) / args.copies
        print(f"Ray overhead per video vs the local pool: {extra:+.2f} s")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory of a worker process: {peak:.0f} MB (target < 500 MB)")
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
