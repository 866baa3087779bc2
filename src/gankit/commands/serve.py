"""gankit serve: a local web page to explore trained runs (seed grids, interpolation, classes, codes,
truncation, style mixing, translation of an uploaded or drawn image, curves with alarms, nearest
training images) and a live lab where a 2D GAN trains as you watch (docs/serve.md). The page and
its assets come from the package: nothing is fetched from elsewhere."""

import ipaddress
import sys

from .argtypes import positive_int

NAME = "serve"
HELP = "a web page to explore runs and watch a 2D GAN learn live (default http://127.0.0.1:8000)"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_arguments(p) -> None:
    p.add_argument("paths", nargs="*", metavar="RUN_OR_RUNS_DIR",
                   help="run folders, or folders searched for runs (default: ./runs)")
    p.add_argument("--port", type=positive_int, default=8000, help="TCP port (default 8000)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; anything else warns)")
    p.add_argument("--allow-plugins", action="store_true",
                   help="open runs whose model comes from a plugin (loading one imports the Python code its "
                        "config.yaml names; without this flag such runs are listed but refused)")
    p.add_argument("--lab-sessions", type=positive_int, default=4,
                   help="live-lab sessions trained at once, each stopped when its page closes (default 4)")


def _loopback(host: str) -> bool:
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args) -> int:
    from ..errors import GankitError
    from ..serve.runs import check_roots

    if args.port > 65535:
        raise GankitError(f"--port {args.port} is not a TCP port (use 1..65535, e.g. --port 8000)")
    roots = check_roots(args.paths)
    try:
        import uvicorn

        from ..serve.app import create_app
    except ImportError as e:
        raise GankitError(f"gankit serve needs {e.name} (pip install 'fastapi>=0.110' 'uvicorn>=0.27')") from None
    if not _loopback(args.host):
        print(f"gankit: warning: --host {args.host} lets other machines reach this page and its live lab "
              "(no login; use it on a network you trust)", file=sys.stderr)
    app = create_app(roots, lab_sessions=args.lab_sessions, allow_plugins=args.allow_plugins)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"gankit serve: {len(app.state.index.scan())} run(s) under {', '.join(map(str, roots))}; "
          f"open http://{shown}:{args.port}/ (Ctrl+C stops)", flush=True)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    except OSError as e:
        raise GankitError(f"cannot listen on {args.host}:{args.port}: {e.strerror or e} (pick another --port)") from None
    return 0
