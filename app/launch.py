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


SCALE_ENV = "CBEC_APP_HOUSEHOLD_SCALE"  # the launcher's --scale, read by app.classroom


def scale_from_env(raw: str) -> float:
    """The household scale in ``CBEC_APP_HOUSEHOLD_SCALE``; a one-line ValueError naming the
    variable if it is not an allowed household_scale."""
    import math

    from model.parameters import ParameterError, Parameters

    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ValueError(f"{SCALE_ENV}={raw!r} is not allowed; allowed: a number, the "
                         "household_scale (agents per real household), or unset for the "
                         "model's default")
    try:
        Parameters(household_scale=value)
    except ParameterError as exc:
        raise ValueError(f"{SCALE_ENV}={raw!r} is not allowed: {exc}") from None
    return value


def environment(args: argparse.Namespace) -> dict[str, str]:
    """The server's environment: telemetry off, and the scale for the app's model."""
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False")
    if args.scale is not None:
        env[SCALE_ENV] = repr(float(args.scale))
    return env


def check(args: argparse.Namespace) -> str | None:
    """A message if an option (or ``CBEC_APP_HOUSEHOLD_SCALE``) is not allowed, else None.
    Whether the host is this machine's and the port free is :func:`check_address`."""
    if not args.host.strip():
        return ("--host is empty; allowed: an IP address of this machine (127.0.0.1, ::1, "
                "0.0.0.0 for every interface) or localhost")
    if args.host != "localhost":
        try:
            ipaddress.ip_address(args.host)
        except ValueError:
            return (f"--host {args.host!r} is not allowed; allowed: an IP address of this "
                    "machine (127.0.0.1, ::1, 0.0.0.0 for every interface) or localhost")
    if not 0 <= args.port <= 65535:
        return f"--port {args.port} is not allowed; allowed: 0 to 65535"
    if args.scale is not None:
        from model.parameters import ParameterError, Parameters

        try:
            Parameters(household_scale=args.scale)
        except ParameterError as exc:
            return str(exc)
    elif os.environ.get(SCALE_ENV, "").strip():
        try:
            scale_from_env(os.environ[SCALE_ENV])
        except ValueError as exc:
            return str(exc)
    return None


def check_address(host: str, port: int) -> str | None:
    """A message unless the server can listen on `host`:`port`: the host must be an address
    of this machine and the port free. Found by binding a socket there, then closing it."""
    import errno
    import socket

    address = "127.0.0.1" if host == "localhost" else host
    family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
    for probe in ((address, 0), (address, port)) if port else ((address, 0),):
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            sock.bind(probe)
        except OSError as exc:
            if probe[1] == 0:
                why = ("is not an address of this machine"
                       if exc.errno == errno.EADDRNOTAVAIL else f"cannot be used ({exc.strerror})")
                return (f"--host {host} {why}; allowed: 127.0.0.1 (this machine only), an "
                        "address of one of its interfaces, or 0.0.0.0 (every interface)")
            if exc.errno == errno.EADDRINUSE:
                return (f"--port {port}: port {port} is in use on {host}; choose another "
                        "--port, or 0 for a free one")
            return f"--port {port} cannot be used on {host}: {exc.strerror}"
        finally:
            sock.close()
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
    problem = check_address(args.host, args.port)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
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
