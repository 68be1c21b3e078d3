"""Feature freshness: the age of the newest offline and online value per source and feature view,
judged against each contract's ``max_age``. ``view_freshness()`` feeds the HTTP ``/metrics``."""

from featureguard.freshness.report import freshness_report, view_freshness

__all__ = ["freshness_report", "view_freshness"]
