"""Start the app's Solara server: ``cbec app``, ``python -m app``, :func:`app.main`.

Imports nothing heavy at module level, so ``experiments/cli.py`` can add the ``app`` command
with :func:`add_arguments` and run it with :func:`run`.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import subprocess
import sys
from collections.abc import Sequence

APP_MODULE = "app.app"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The app's options, on ``parser`` (also used by ``cbec app``)."""
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"address to listen on (default {DEFAULT_HOST}, this machine only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--no-browser", action="store_true",
                        help="do not open a browser window")
    parser.add_argument("--scale", type=float, metavar="X",
                        help="household_scale, agents per real household (default: the "
                        "model's default; smaller is faster)")
    parser.add_argument("--dev", action="store_true",
                        help="Solara development mode (reloads on code changes)")
    return parser


def command(args: argparse.Namespace) -> list[str]:
    """The ``solara run`` command line for ``args``."""
    cmd = [sys.executable, "-m", "solara", "run", APP_MODULE, "--host", args.host,
           "--port", str(args.port), "--no-open" if args.no_browser else "--open"]
    if not args.dev:
        cmd.append("--production")
    return cmd


def environment(args: argparse.Namespace) -> dict[str, str]:
    """The server's environment: telemetry off, and the scale for the app's model."""
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False")
    if args.scale is not None:
        env["CBEC_APP_HOUSEHOLD_SCALE"] = repr(float(args.scale))
    return env


def check(args: argparse.Namespace) -> str | None:
    """A message if an option is not allowed, else None."""
    if not 0 <= args.port <= 65535:
        return f"--port {args.port} is not allowed; allowed: 0 to 65535"
    if args.scale is not None:
        from model.parameters import ParameterError, Parameters

        try:
            Parameters(household_scale=args.scale)
        except ParameterError as exc:
            return str(exc)
    return None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def missing_packages() -> list[str]:
    """The app's packages (the ``app`` extra) that cannot be imported."""
    import importlib

    absent = []
    for module in ("solara", "altair", "mesa.visualization"):
        try:
            importlib.import_module(module)
        except ImportError:
            absent.append(module)
    return absent


def run(args: argparse.Namespace) -> int:
    """Run the server until it stops (Ctrl-C); returns its exit status."""
    problem = check(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    absent = missing_packages()
    if absent:
        print(f"error: the app needs {', '.join(absent)}: pip install -e '.[app]' (make dev "
              "installs it)", file=sys.stderr)
        return 2
    if not _loopback(args.host):
        print(f"warning: --host {args.host} lets other machines reach the app",
              file=sys.stderr)
    from app import offline_assets

    absent = offline_assets.missing()
    if absent:
        print("warning: the page's front-end is not in Solara's cache "
              f"({', '.join(absent)}); without internet the page stays blank. Fill it with "
              "`make app-assets` (or `python -m app.offline_assets`).", file=sys.stderr)
    try:
        return subprocess.call(command(args), env=environment(args))
    except KeyboardInterrupt:
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = add_arguments(argparse.ArgumentParser(
        prog="python -m app", description="The interactive map app for class (Mesa "
        "SolaraViz): http://HOST:PORT in a browser."))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    return run(args)
