"""What every command shares: the config from its flags, and exit codes."""

from __future__ import annotations

import argparse

from pipeline.config import TollgateConfig
from pipeline.config_file import load_config

EXIT_USER_ERROR = 2
EXIT_RUN_FAILED = 1


def config_from_args(args: argparse.Namespace) -> TollgateConfig:
    return load_config(
        args.config,
        data_root=getattr(args, "data", None),
        span=getattr(args, "span", None),
        trainer__train_steps=getattr(args, "train_steps", None),
        signoff__timeout_seconds=getattr(args, "signoff_timeout", None),
        ui__host=getattr(args, "ui_host", None),
        ui__port=getattr(args, "ui_port", None),
    )
