"""The ``featureguard`` command line. Feast is imported only by commands that use it."""

import sys


def asks_for_help() -> bool:
    """``featureguard [GROUP] CMD --help`` shows the help anywhere, in a project or not, so the
    project look-up of the root and of the ``contracts`` group both skip it."""
    return any(arg in ("--help", "-h") for arg in sys.argv[1:])
