"""Contract checks as pandera extension checks, so pandera's ``to_yaml``/``from_yaml`` carry them.

A lambda check is invisible to pandera's serializer (``to_yaml`` drops it with a warning), so a
snapshot, an export or a diff would silently lose a rule. Registered checks are serialized by
name and restored by name. Registration is process-wide and idempotent: a contract module read
again (e.g. from an older git revision) reuses the registration already in place.
"""

from __future__ import annotations

from typing import Callable, TypeVar

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.extensions import register_check_method

F = TypeVar("F", bound=Callable[..., pd.Series])


def register_check(fn: F) -> F:
    """Registers ``fn(data) -> bool Series`` as ``pa.Check.<fn name>()`` (no statistics)."""
    if fn.__name__ not in pa.Check.REGISTERED_CUSTOM_CHECKS:
        register_check_method(check_type="vectorized")(fn)
    return fn


@register_check
def finite(series: pd.Series) -> pd.Series:
    """Rejects +/-inf, which pandera's range checks would otherwise let through unbounded columns."""
    return ~np.isinf(series)
