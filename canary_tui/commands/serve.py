"""`canary-tui serve [TARGET...] [--host H] [--port N] [--token-env NAME]`: the dashboard, read-only, in a browser."""

from __future__ import annotations

import argparse
import errno
import ipaddress
import os
import shlex
import socket
import sys
from typing import NoReturn

from canary_tui.commands.common import EXIT_FAILED, EXIT_USAGE, fail, int_in, load_config_or_exit, resolve_targets_or_exit

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8040
#: what to type when the optional extra is missing
INSTALL_HINT = "pip install 'canary-tui[serve]'"


def add_parser(subparsers: argparse._SubParsersAction) -> list[str]:
    """Register `serve`."""
    parser = subparsers.add_parser(
        "serve", help="publish the dashboard, read-only, in a web browser (textual-serve)",
        description="Publish the dashboard (several targets: the fleet overview) in a web browser through textual-serve. "
        "Always read-only: the served app has no key or palette entry that changes a deployment, and holds no "
        "Mission Control token. Bound to loopback unless --host says otherwise.")
    parser.add_argument("targets", metavar="TARGET", nargs="*",
                        help="environment name (ENV means all its regions), ENV/REGION, or a URL; several: the fleet overview")
    parser.add_argument("--all", dest="all_targets", action="store_true", help="every configured environment")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST}: this machine only)")
    parser.add_argument("--port", type=int_in(1, 65535, "a port"), default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})")
    parser.add_argument("--public-url", metavar="URL",
                        help="the address browsers reach this server at, when it is not http://HOST:PORT (a proxy, or --host 0.0.0.0)")
    parser.add_argument("--token-env", metavar="NAME",
                        help="require the access token held in environment variable NAME on every request "
                        "(the browser asks for it: any user name, the token as password)")
    parser.set_defaults(run=_run)
    return ["serve"]


def _run(args: argparse.Namespace) -> int:
    """Check the extra, the targets and the token, then serve until interrupted; one line for every failure."""
    try:
        from canary_tui.ui.serve_web import ServeServer
    except ImportError:
        fail(f"serve needs the optional web extra: {INSTALL_HINT}", EXIT_FAILED)
    config = load_config_or_exit(args)
    names = [name for name in args.targets if name]
    if not names and not args.all_targets:
        fail("serve needs a TARGET (or several, or --all)", EXIT_USAGE)
    envs = resolve_targets_or_exit(config, names, all_targets=args.all_targets)
    access_token = _access_token(args.token_env)
    for env in envs:  # the served sessions inherit this environment: no Mission Control token may be in it
        if env.token.kind == "env":
            os.environ.pop(str(env.token.value), None)
    _check_port(args.host, args.port)
    if not access_token and not _is_loopback(args.host):
        sys.stderr.write(f"canary-tui: warning: serving on {args.host} without --token-env: anyone who reaches the port can watch\n")
    shown = ", ".join(env.name for env in envs)
    server = ServeServer(
        _session_command(args, names),
        host=args.host,
        port=args.port,
        title=f"canary-tui · {shown} (read-only)",
        access_token=access_token,
        public_url=args.public_url.rstrip("/") if args.public_url else None,
        banner=f"canary-tui: serving {shown} read-only on {args.public_url or _url(args.host, args.port)}" + (" (access token required)" if access_token else ""),
    )
    try:
        server.serve()
    except OSError as exc:
        _listen_failed(args.host, args.port, exc)
    except KeyboardInterrupt:
        pass
    return 0


def _check_port(host: str, port: int) -> None:
    """Fail with one line now, before the banner, when the address cannot be listened on (in use, not this machine's)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        fail(f"--host {host}: {exc.strerror or exc}", EXIT_USAGE)
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself binds
        try:
            probe.bind(address)
        except OSError as exc:
            _listen_failed(host, port, exc)


def _listen_failed(host: str, port: int, exc: OSError) -> NoReturn:
    """One line saying why the server cannot listen."""
    if exc.errno == errno.EADDRINUSE:
        fail(f"cannot listen on {host}:{port}: the port is in use (choose another with --port)")
    fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def _access_token(name: str | None) -> str | None:
    """The access token from the variable `name` (removed from the environment, so no served session inherits it)."""
    if name is None:
        return None
    value = os.environ.pop(name, "")
    if not value.strip():
        fail(f"--token-env {name}: the variable is unset or empty", EXIT_USAGE)
    return value.strip()


def _session_command(args: argparse.Namespace, names: list[str]) -> str:
    """The command textual-serve runs per browser: this dashboard, served (read-only, no token); never a secret on it."""
    argv = [sys.executable, "-m", "canary_tui"]
    if getattr(args, "config", None):
        argv += ["--config", os.path.abspath(args.config)]
    argv += ["watch", *names, "--served"]
    if args.all_targets:
        argv.append("--all")
    return shlex.join(argv)


def _is_loopback(host: str) -> bool:
    """Whether `host` is this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url(host: str, port: int) -> str:
    """The address to open in a browser."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"
