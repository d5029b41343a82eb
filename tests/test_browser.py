"""End to end in real headless Chromium: a real clip plays as the webcam, frames go over the
real WebSocket to a real server running MediaPipe, and the page coaches.

The clip is built from ``pose_squats.mp4``: a real woman standing, then one real frame with
her arms forward at chest height held for 8 s (nobody in our real clips holds the stretch),
then standing again. Chromium loops it as the camera.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from backstretch.pose.video import VideoReader, resize_to_height, write_y4m

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.slow, pytest.mark.browser]

if not Path(CHROMIUM).exists():
    if os.environ.get("BACKSTRETCH_CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium")
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")

REST, ARMS_FORWARD, FPS = 22, 28, 10  # frames of pose_squats.mp4 (standing; arms forward)


@pytest.fixture(scope="module")
def camera_file(data, tmp_path_factory) -> Path:
    frames = [
        resize_to_height(f.image, 480) for f in VideoReader(data / "pose_squats.mp4", rgb=True)
    ]
    plan = [REST] * 4 * FPS + [26, 27] + [ARMS_FORWARD] * 8 * FPS + [40, 41, 42] + [REST] * 6 * FPS
    path = tmp_path_factory.mktemp("camera") / "stretch.y4m"
    write_y4m((frames[i] for i in plan), path, FPS)
    return path


@pytest.fixture
def page(camera_file, tmp_path):
    args = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={camera_file}",
    ]  # fmt: skip
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=args)
        ctx = browser.new_context(viewport={"width": 1280, "height": 860})
        pg = ctx.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        yield pg
        browser.close()
        assert not errors, f"the page threw: {errors}"


def wait_js(pg, expression: str, timeout: float = 30_000) -> None:
    """Wait until a JavaScript expression is true. Polled from here: Playwright's own
    wait_for_function evaluates strings with eval, which the page's CSP rightly forbids."""
    import time

    deadline = time.monotonic() + timeout / 1000
    while not pg.evaluate(f"() => Boolean({expression})"):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        pg.wait_for_timeout(100)


def phase(pg) -> str:
    return pg.get_attribute("[data-testid=phase]", "data-phase") or ""


def test_the_page_coaches_a_real_clip_to_the_hold_and_counts_the_rep(page, server, tmp_path):
    page.goto(server)
    page.wait_for_selector("[data-testid=start]:not([disabled])", timeout=20_000)
    wait_js(page, "document.querySelector('#video').videoWidth > 0", timeout=20_000)
    page.click("[data-testid=start]")
    page.wait_for_selector("[data-testid=phase][data-phase=position]", timeout=40_000)
    page.wait_for_timeout(3000)
    assert phase(page) == "position"
    assert page.inner_text("[data-testid=cue]").strip()
    assert page.inner_text("[data-testid=hold-seconds]").strip().isdigit()
    painted = page.evaluate(
        """() => {
            const c = document.querySelector('#overlay');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
            return n;
        }"""
    )
    assert painted > 500, "no skeleton drawn over the video"
    wait_js(
        page,
        "document.querySelector('[data-testid=rep-count]').textContent.startsWith('1 /')",
        timeout=40_000,
    )
    page.click("[data-testid=stop]")
    page.wait_for_selector("[data-testid=pain-dialog][open]")
    page.fill("#pain-rating", "4")
    page.select_option("#pain-where", "lower back")
    page.click("[data-testid=pain-submit]")
    summary = page.wait_for_selector("[data-testid=summary]:not([hidden])")
    text = summary.inner_text()
    assert "Pain 4/10 (lower back)" in text
    assert page.locator("#summary-rows tr").count() >= 1


def test_escape_stops_at_once(page, server):
    page.goto(server)
    page.wait_for_selector("[data-testid=start]:not([disabled])", timeout=20_000)
    page.click("[data-testid=start]")
    page.keyboard.press("Escape")
    page.wait_for_selector("[data-testid=pain-dialog][open]", timeout=5_000)
    assert page.is_visible("#pain-safety")


def test_the_upload_tab_returns_the_report(page, server, data):
    page.goto(server)
    page.click("#tab-upload-btn")
    page.set_input_files("[data-testid=upload-file]", str(data / "pose_squats.mp4"))
    page.click("[data-testid=upload-submit]")
    status = "document.querySelector('[data-testid=upload-status]').textContent"
    wait_js(page, f"{status}.startsWith('Done')", timeout=60_000)
    assert "0 repetitions" in page.inner_text("[data-testid=upload-status]")
    assert page.is_visible("#upload-report")


def test_a_wrong_file_in_the_upload_tab_is_explained(page, server, tmp_path):
    bad = tmp_path / "holiday.mp4"
    bad.write_text("not a video")
    page.goto(server)
    page.click("#tab-upload-btn")
    page.set_input_files("[data-testid=upload-file]", str(bad))
    page.click("[data-testid=upload-submit]")
    status = "document.querySelector('[data-testid=upload-status]').textContent"
    wait_js(page, f"{status}.startsWith('Not accepted')", timeout=10_000)
    assert "holiday.mp4" in page.inner_text("[data-testid=upload-status]")


def test_the_demo_coaches_the_built_in_sample_video(page, server, tmp_path):
    page.goto(server)
    page.wait_for_selector("[data-testid=start]:not([disabled])", timeout=20_000)
    page.click("[data-testid=demo]")
    wait_js(page, "document.querySelector('#video').src.endsWith('/sample.mp4')")
    page.click("[data-testid=start]")
    # the rendered person raises her arms about 2 s in and holds in good form
    page.wait_for_selector("[data-testid=phase][data-phase=position]", timeout=40_000)
    wait_js(
        page,
        "Number(document.querySelector('[data-testid=hold-seconds]').dataset.held) >= 3",
        timeout=30_000,
    )
    assert page.is_visible("#breath")  # the breathing pace runs while the hold does
    shot = tmp_path / "live.png"
    page.screenshot(path=str(shot))
    if out := os.environ.get("BACKSTRETCH_SCREENSHOT"):  # the README's picture
        shutil.copy(shot, out)


def test_the_annotated_video_plays_in_chromium(page, data, tmp_path):
    """H.264 with its index at the front plays; the old MPEG-4 Part 2 file did not."""
    import cv2

    from backstretch.cli import main

    ours = tmp_path / "annotated.mp4"
    assert main(["analyze", str(data / "pose_squats.mp4"), "--annotate", str(ours), "-q"]) == 0
    old = tmp_path / "mp4v.mp4"
    frames = [f.image for f in VideoReader(ours)]
    w = cv2.VideoWriter(str(old), cv2.VideoWriter.fourcc(*"mp4v"), 5, (720, 1280))
    for im in frames:
        w.write(im)
    w.release()
    (tmp_path / "play.html").write_text(
        '<video id="ours" src="annotated.mp4" muted></video>'
        '<video id="old" src="mp4v.mp4" muted></video>'
    )
    page.goto((tmp_path / "play.html").as_uri())
    for vid in ("ours", "old"):
        wait_js(page, f"(v => v.readyState >= 2 || v.error)(document.getElementById('{vid}'))")
    assert page.evaluate("document.getElementById('old').error.code") == 4  # not supported
    assert page.evaluate("document.getElementById('ours').error") is None
    assert page.evaluate("document.getElementById('ours').videoWidth") == 720
    page.evaluate("document.getElementById('ours').play()")
    wait_js(page, "document.getElementById('ours').currentTime > 0.5", timeout=10_000)


@pytest.fixture
def browser_coach(ex, tmp_path_factory):
    """A real server in ``--pose browser`` mode (the default of ``backstretch serve``): its
    app, to see what it received, and its URL."""
    from backstretch.web import create_app
    from tests.conftest import running

    app = create_app(ex, pose="browser", pose_cache=tmp_path_factory.mktemp("pose"))
    with running(app) as url:
        yield app, url


def _coach_in_the_browser_until_a_rep(pg, url: str) -> None:
    pg.goto(url)
    wait_js(pg, "window.backstretchStats().poseReady", timeout=60_000)
    assert "stays on this device" in pg.inner_text("[data-testid=pose-mode]")
    pg.wait_for_selector("[data-testid=start]:not([disabled])", timeout=20_000)
    pg.click("[data-testid=start]")


def test_the_pose_model_runs_in_the_page_and_no_picture_reaches_the_server(page, browser_coach):
    """--pose browser: MediaPipe runs in Chromium (WebAssembly on the CPU), the page sends
    landmarks only, and the real clip's stretch is counted."""
    app, url = browser_coach
    _coach_in_the_browser_until_a_rep(page, url)
    page.wait_for_selector("[data-testid=phase][data-phase=position]", timeout=60_000)
    wait_js(
        page,
        "document.querySelector('[data-testid=rep-count]').textContent.startsWith('1 /')",
        timeout=60_000,
    )
    stats = page.evaluate("() => window.backstretchStats()")
    assert stats["pose"] == "browser" and stats["frames"] > 50
    assert app.state.pictures_received == 0


def test_two_people_are_coached_at_once_in_the_browser_mode(page, browser_coach):
    """Two pages at once, each posing in itself, each its own session. Both use the built-in
    sample video as their camera: Chromium's one fake camera goes to the page that opened it
    last, where two people would each have their own."""
    app, url = browser_coach
    other = page.context.new_page()
    errors: list[str] = []
    other.on("pageerror", lambda e: errors.append(str(e)))
    for pg in (page, other):
        pg.goto(url)
        wait_js(pg, "window.backstretchStats().poseReady", timeout=60_000)
    for pg in (page, other):
        pg.click("[data-testid=demo]")
        wait_js(pg, "document.querySelector('#video').src.endsWith('/sample.mp4')")
        pg.wait_for_selector("[data-testid=start]:not([disabled])", timeout=20_000)
        pg.click("[data-testid=start]")
    assert app.state.live_clients == 2
    for pg in (page, other):
        try:
            wait_js(
                pg,
                "document.querySelector('[data-testid=rep-count]').textContent.startsWith('1 /')",
                timeout=120_000,
            )
        except AssertionError:
            raise AssertionError(
                f"{'first' if pg is page else 'second'} page: "
                f"{pg.evaluate('() => window.backstretchStats()')} "
                f"{pg.evaluate('() => document.visibilityState')}"
            ) from None
    assert app.state.pictures_received == 0
    assert not errors, errors


def _demo_summary(pg, url: str) -> dict:
    """Coach the built-in sample to its end on this page; the summary the server sent."""
    pg.goto(url)
    wait_js(pg, "window.backstretchStats().pose !== null", timeout=20_000)
    if pg.evaluate("window.backstretchStats().pose") == "browser":
        wait_js(pg, "window.backstretchStats().poseReady", timeout=60_000)
    pg.click("[data-testid=demo]")
    wait_js(pg, "document.querySelector('#video').src.endsWith('/sample.mp4')")
    pg.wait_for_selector("[data-testid=start]:not([disabled])", timeout=20_000)
    pg.evaluate("document.querySelector('#video').currentTime = 0")
    pg.click("[data-testid=start]")
    # the sample's two repetitions end about 48 s in
    wait_js(
        pg,
        "document.querySelector('[data-testid=rep-count]').textContent.startsWith('2 /')",
        timeout=120_000,
    )
    pg.click("[data-testid=finish]")
    pg.wait_for_selector("[data-testid=summary]:not([hidden])", timeout=20_000)
    return pg.evaluate("() => app.summary")


def test_the_sample_gives_the_same_result_whether_the_page_or_the_server_poses(
    page, server, browser_coach
):
    """The live result of the built-in sample: the same repetitions and faults with the pose
    model in the page (--pose browser) as on the server (--pose server)."""
    _, url = browser_coach
    in_page = _demo_summary(page, url)
    on_server = _demo_summary(page, server)
    for s in (in_page, on_server):
        assert s["summary"]["rep_count"] == 2
    assert [sorted(f["code"] for f in r["faults"]) for r in in_page["reps"]] == [
        sorted(f["code"] for f in r["faults"]) for r in on_server["reps"]
    ]
    assert in_page["summary"]["completed_count"] == on_server["summary"]["completed_count"]


def test_a_person_past_the_limit_is_told_the_coach_is_full(page, ex, tmp_path_factory):
    from backstretch.web import create_app
    from tests.conftest import running

    app = create_app(ex, pose="browser", max_clients=1, pose_cache=tmp_path_factory.mktemp("p"))
    with running(app) as url:
        page.goto(url)
        page.wait_for_selector("[data-testid=start]:not([disabled])", timeout=20_000)
        other = page.context.new_page()
        other.goto(url)
        msg = "document.querySelector('#conn-msg')"
        wait_js(other, f"!{msg}.hidden && {msg}.textContent.includes('full')", timeout=20_000)
        text = other.inner_text("#conn-msg")
        assert "takes 1 person at once" in text and "Start tries again" in text, text
        page.close()  # a place frees: Start on the refused page connects
        other.click("[data-testid=start]")
        wait_js(other, "app.ws && app.ws.readyState === WebSocket.OPEN && app.started")
