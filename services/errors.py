"""The two kinds of failure a user must tell apart, and the CLI exit code of each.

Bad input (a batch, a file, an argument) is the caller's to fix: exit 1 or 2. An operational
failure (disk full, Redis down or hung, a limit of this installation, an unreadable config) is
nobody's data problem and may succeed when retried: exit 4. Both carry a one-line message that
names the cause; only ``--debug`` shows a traceback.

Feast-free and dependency-free, so every layer can raise these.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INVALID = 1  # violations (validate) or a rejected batch (ingest)
EXIT_UNREADABLE = 2  # unknown source, unreadable or unusable input or arguments
EXIT_PARTIAL = 3  # a partially accepted batch (some rows quarantined)
EXIT_OPERATIONAL = 4  # disk, Redis, limits, configuration: not the data's fault; retry may help
EXIT_INTERNAL = 70  # a bug (EX_SOFTWARE): one line, and the traceback with --debug


class FeatureguardError(Exception):
    """Base of every error featureguard reports to a user in one line."""

    exit_code = EXIT_UNREADABLE


class BadInputError(FeatureguardError, ValueError):
    """Input that cannot be used as given (exit 2); the message names what and where."""

    exit_code = EXIT_UNREADABLE


class OperationalError(FeatureguardError, RuntimeError):
    """The system, not the data, failed: storage, the online store, a configured limit (exit 4)."""

    exit_code = EXIT_OPERATIONAL


class ConfigError(OperationalError, ValueError):
    """This installation's settings cannot be used (a malformed REDIS_URL, an unknown
    FEATUREGUARD_REDIS_TYPE, an unreadable keys file): fix the configuration, not the data (exit 4)."""


class StorageError(OperationalError):
    """The data home could not be written (disk full, permissions, read-only filesystem)."""


class OnlineStoreUnavailable(OperationalError):
    """The online store refused or did not answer (down, loading, read-only, cluster down)."""
