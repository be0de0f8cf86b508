"""`tollgate keygen` and `tollgate verify`: approvers' keys, and proof of sign-off."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipeline.cli.common import config_from_args
from pipeline.errors import TollgateError


def cmd_keygen(args: argparse.Namespace) -> int:
    from components.signoff import keys
    from pipeline.config import current_user

    name = args.name or current_user()
    path = args.key or keys.default_key_path(name)
    try:
        line = keys.generate(path, name, keys.passphrase())
    except keys.KeyProblem as problem:
        raise TollgateError(str(problem)) from None
    protected = "with the passphrase in $" + keys.PASSPHRASE_ENV if keys.passphrase() else "without a passphrase"
    print(f"made {path} (mode 0600, {protected}); add this line to your team's keyring:\n{line}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from pipeline.lineage.verify import verify

    report = verify(config_from_args(args), args.target)
    if args.json:
        print(json.dumps([{"check": c, "ok": ok, "detail": d} for c, ok, d in report.lines], indent=2))
    else:
        for check, ok, detail in report.lines:
            print(f"{'ok' if ok else 'FAILED':7} {check:14} {detail}")
        print("verdict  " + ("NOT VERIFIED" if report.failed else "VERIFIED"))
    return 1 if report.failed else 0


def register(sub, add) -> None:
    """Adds the commands to the `tollgate` parser; `add` makes one subcommand."""
    keygen = add("keygen", "make your signing key pair, and print the keyring line to add")
    keygen.add_argument("--name", help="your name in the keyring (default: your login)")
    keygen.add_argument("--key", type=Path, help="where to keep the private key "
                                                 "(default: $TOLLGATE_KEY, else ~/.tollgate/keys/<name>.pem)")
    keygen.set_defaults(handler=cmd_keygen)
    verify = add("verify", "check that a model's sign-off and served files are exactly what was signed")
    verify.add_argument("target", help="model id, 'latest', 'serving', or a served folder's path")
    verify.set_defaults(handler=cmd_verify)
