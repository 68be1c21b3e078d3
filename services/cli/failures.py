"""What the CLI says when a command fails with an exception: one line naming the cause, and an
exit code that tells bad input (2) from an operational failure (4: disk, Redis, configuration;
retrying may help) from a bug (70). The traceback is shown only with ``--debug`` (or
FEATUREGUARD_DEBUG=1), never otherwise.
"""

from __future__ import annotations

import errno
import os
import sys
import traceback
from typing import Any, Callable, Iterator

from featureguard.errors import EXIT_INTERNAL, EXIT_OPERATIONAL, FeatureguardError

DEBUG_ENV = "FEATUREGUARD_DEBUG"
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it

_debug = False


def set_debug(on: bool) -> None:
    """Set by the global ``--debug`` option before any command runs."""
    global _debug
    _debug = on


def debug_enabled() -> bool:
    return _debug or os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def run(app: Callable[[], Any]) -> None:
    """Runs the typer app; an exception that escapes a command becomes one line and its exit code."""
    try:
        app()
    except KeyboardInterrupt:
        say("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except Exception as exc:  # every failure ends here, reported in one line
        code, line = classify(exc)
        if debug_enabled():
            traceback.print_exception(exc)
        elif code == EXIT_INTERNAL:
            line += " (run with --debug for the traceback)"
        say(line)
        sys.exit(code)


def classify(exc: BaseException) -> tuple[int, str]:
    """(exit code, one-line message) for an exception that escaped a command: the first link of
    its cause chain that is ours or operational decides the code; the message is the outermost
    one, with the cause added when it does not already say it."""
    outer = _one_line(str(exc))
    for link in _chain(exc):
        cause = _operational_cause(link)
        if cause is None:
            continue
        code = link.exit_code if isinstance(link, FeatureguardError) else EXIT_OPERATIONAL
        if link is exc or not outer or cause in outer:
            return code, cause if link is exc or not outer else outer
        return code, f"{outer}: {cause}"
    return EXIT_INTERNAL, f"internal error: {type(exc).__name__}: {outer}"


def _operational_cause(exc: BaseException) -> str | None:
    """The cause in words when ``exc`` is ours or an operational failure (disk, Redis, config)."""
    from featureguard.redis.errors import RedisReplyError, unavailable_retry_after  # Feast-free

    if isinstance(exc, FeatureguardError):
        return _one_line(str(exc)) or type(exc).__name__
    redis_side = _is_redis_client_failure(exc) or isinstance(exc, RedisReplyError)
    if not (redis_side or isinstance(exc, OSError) or unavailable_retry_after(exc) is not None):
        return None
    text = _os_error(exc) if isinstance(exc, OSError) else (_one_line(str(exc)) or type(exc).__name__)
    return f"Redis: {text}" if redis_side and "redis" not in text.lower() else text


def _is_redis_client_failure(exc: BaseException) -> bool:
    """redis-py could not reach or hear Redis, or our private redis-server would not start."""
    from featureguard.redis_process import RedisUnavailableError

    if isinstance(exc, RedisUnavailableError):
        return True
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis-py is a dependency
        return False
    return isinstance(exc, (RedisConnectionError, RedisTimeoutError))


def _os_error(exc: OSError) -> str:
    """``<path>: No space left on device (ENOSPC)``: the cause, the file and the errno name."""
    name = errno.errorcode.get(exc.errno or -1)
    what = exc.strerror or _one_line(str(exc)) or type(exc).__name__
    where = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    return f"{where + ': ' if where else ''}{what}{f' ({name})' if name else ''}"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        link = link.__cause__ if link.__cause__ is not None else (
            None if link.__suppress_context__ else link.__context__)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def say(message: str) -> None:
    """``error: <message>`` on stderr, on one line (markup in the message is printed as is)."""
    from rich.markup import escape

    from featureguard.cli.render import err_console

    err_console.print(f"[red]error:[/] {escape(_one_line(message))}", highlight=False)
