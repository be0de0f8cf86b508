"""`tollgate ui`: the review desk; `tollgate ui add-user NAME`: a desk account."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from pipeline.cli.common import config_from_args
from pipeline.errors import TollgateError

PASSWORD_ENV = "TOLLGATE_UI_PASSWORD"


def _password(name: str) -> str:
    """From $TOLLGATE_UI_PASSWORD (for scripts), else asked twice without echo."""
    given = os.environ.get(PASSWORD_ENV)
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise TollgateError(f"no terminal to ask {name}'s password on; set {PASSWORD_ENV}")
    first = getpass.getpass(f"password for {name}: ")
    if getpass.getpass("again: ") != first:
        raise TollgateError("the two passwords differ; run the command again")
    return first


def cmd_add_user(args: argparse.Namespace) -> int:
    from pipeline.ui.accounts import Accounts

    config = config_from_args(args)
    if config.ui.user_header:
        raise TollgateError(f"ui.user_header is set: the desk takes people from {config.ui.user_header} "
                            "and keeps no accounts of its own")
    accounts = Accounts(config.accounts_path)
    new = accounts.add(args.name, _password(args.name))
    may = "may decide" if not config.signoff.approvers or args.name in config.signoff.approvers else "may look"
    print(f"{'added' if new else 'changed the password of'} {args.name} ({may}) in {accounts.path}")
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    import uvicorn

    from pipeline.ui.app import create_app

    config = config_from_args(args)
    ui = config.ui
    scheme = "https" if ui.tls_cert else "http"
    # A passkey's site is a domain, never an address: on loopback, the desk is localhost.
    host = "localhost" if ui.host in ("127.0.0.1", "::1", "localhost") else ui.host
    print(f"the review desk: {ui.base_url or f'{scheme}://{host}:{ui.port}'}/  (listening on {ui.host}:{ui.port}; "
          "Ctrl-C stops it)", flush=True)
    uvicorn.run(create_app(config), host=ui.host, port=ui.port, log_level="warning",
                ssl_certfile=ui.tls_cert or None, ssl_keyfile=ui.tls_key or None)
    return 0


def register(sub, add) -> None:
    ui = add("ui", "the review desk: runs, pending sign-offs, reviews and the audit, in a browser")
    ui.add_argument("--host", dest="ui_host", help="interface to listen on (default: ui.host, 127.0.0.1)")
    ui.add_argument("--port", type=int, dest="ui_port", help="port (default: ui.port, 8765)")
    ui.set_defaults(handler=cmd_ui)
    commands = ui.add_subparsers(dest="ui_command")
    user = commands.add_parser("add-user", help=f"add a desk account, or change its password (from ${PASSWORD_ENV} "
                               "or asked)")
    user.add_argument("name")
    user.add_argument("--config", help="TOML config file (default: $TOLLGATE_CONFIG)")
    user.set_defaults(handler=cmd_add_user)
