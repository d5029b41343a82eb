"""``show``, ``serve`` and ``guide``: the exercise card, the live coach, guided practice."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from backstretch.cli.common import DbOpt, ExerciseOpt, PoseWhere, app
from backstretch.errors import InputError
from backstretch.exercise import Exercise, load_exercise


@app.command()
def show(exercise: ExerciseOpt = None) -> None:
    """Show the exercise card: steps, targets, tips and safety."""
    ex: Exercise = load_exercise(exercise)
    c = Console()
    steps = "\n".join(f"{i}. [bold]{s.title}[/bold]: {s.cue}" for i, s in enumerate(ex.steps, 1))
    t = ex.targets
    targets = (
        f"Hold {t.hold_s:.0f}-{t.hold_max_s:.0f} s in good form, {t.reps_min}-{t.reps_max} "
        f"repetitions, breathing about {t.breath_in_s:.0f} s in and {t.breath_out_s:.0f} s out."
    )
    tips = "\n".join(f"- {v}" for v in ex.tips.values())
    c.print(Panel(ex.summary, title=ex.name))
    c.print(Panel(f"{ex.warm_up}\n\n{steps}", title="How"))
    c.print(Panel(targets, title="Targets"))
    c.print(Panel(tips, title="Tips"))
    c.print(Panel(ex.safety, title="Safety", border_style="red"))
    c.print(Panel(ex.camera_advice, title="Camera"))


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on (127.0.0.1: this computer only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open the page in a browser.")
    ] = False,
    max_upload_mb: Annotated[
        float, typer.Option(min=1, help="Largest video the upload tab accepts (MB).")
    ] = 200.0,
    db: DbOpt = None,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Keep no sessions (nothing is written).")
    ] = False,
    exercise: ExerciseOpt = None,
    pose: Annotated[
        PoseWhere,
        typer.Option(
            help="Where the camera pictures are posed: in the browser (they never "
            "leave it; many people at once) or on this server (one at a time)."
        ),
    ] = PoseWhere.browser,
    max_clients: Annotated[
        int, typer.Option(min=1, max=1000, help="People coached at once (--pose browser).")
    ] = 50,
) -> None:
    """Start the live coach: a local web page that coaches you through your camera."""
    import threading
    import webbrowser

    import uvicorn

    from backstretch.store import Store
    from backstretch.web import create_app
    from backstretch.web.security import LOOPBACK_HOSTS, new_token

    ex = load_exercise(exercise)
    _probe_listen(host, port)
    loopback = host in LOOPBACK_HOSTS
    token = None if loopback else new_token()
    store = None if no_store else Store(db)
    shown = "127.0.0.1" if host == "0.0.0.0" else "[::1]" if host == "::" else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    url = f"http://{shown}:{port}/"
    web = create_app(
        ex, max_upload_mb=max_upload_mb, store=store,
        hosts=LOOPBACK_HOSTS if loopback else None, token=token,
        pose=pose.value, max_clients=max_clients,
    )  # fmt: skip
    c = Console(highlight=False)
    open_url = url if token is None else f"{url}?token={token}"
    c.print(f"Live coach at [bold]{escape(open_url)}[/bold]  (Ctrl+C to stop)")
    if pose is PoseWhere.browser:
        c.print(f"Pose runs in each browser: camera pictures stay there (up to {max_clients} "
                "people at once).")  # fmt: skip
    else:
        c.print("Pose runs on this server: the page sends camera pictures here (one person "
                "at a time; they are used in memory, never stored).")  # fmt: skip
    if token is not None:
        c.print(
            f"[yellow]! Listening on {escape(host)}, beyond this computer: anyone on your "
            "network who has the address above (with its token) can use the coach and see "
            "your history. Browsers allow the camera only on https:// or on this computer "
            "itself, so other devices can upload videos but not coach live.[/yellow]"
        )
    if store is not None:
        c.print(f"Sessions are kept in {escape(store.where)}; progress at {escape(url)}history")
    if not no_browser:
        threading.Timer(1.0, webbrowser.open, args=(open_url,)).start()
    # landmarks and answers are small and travel a local network: compressing them
    # (permessage-deflate) took more than a tenth of a busy server's time
    uvicorn.run(web, host=host, port=port, log_level="warning", ws_max_size=8 * 1024 * 1024,
                ws_per_message_deflate=False)  # fmt: skip


def _probe_listen(host: str, port: int) -> None:
    """Fail early, with the right advice, when ``host:port`` cannot be listened on."""
    import errno
    import socket

    try:
        family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as e:
        raise InputError(f"--host {host}: not an address of this computer ({e.strerror})") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(addr)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise InputError(f"port {port} is in use on {host}; pick another --port") from None
            raise InputError(
                f"cannot listen on {host}:{port} ({e.strerror}); check --host"
            ) from None


@app.command()
def guide(
    reps: Annotated[
        int | None, typer.Option(min=1, max=10, help="Repetitions (default: the most asked for).")
    ] = None,
    hold: Annotated[
        float | None,
        typer.Option(min=5, max=120, help="Hold seconds (default: your current target)."),
    ] = None,
    voice: Annotated[
        bool, typer.Option("--voice/--no-voice", help="Speak the cues (needs espeak-ng).")
    ] = True,
    db: DbOpt = None,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Do not record the session.")
    ] = False,
    time_scale: Annotated[float, typer.Option(hidden=True, min=0.1)] = 1.0,
    exercise: ExerciseOpt = None,
) -> None:
    """Guided practice without a camera: timed steps, cues and a breathing pace."""
    from backstretch.store import Store
    from backstretch.tui import guided_session

    ex = load_exercise(exercise)
    store = None if no_store else Store(db)
    try:
        guided_session(ex, store, reps, hold, voice=voice, time_scale=time_scale)
    finally:
        if store is not None:
            store.close()
