"""The one source of "now". Tests freeze time by patching ``app.core.clock._now``."""

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def _now() -> datetime:
    return datetime.now(UTC)


def utcnow() -> datetime:
    return _now()


def city_tz() -> tzinfo:
    name = current_app.config["TIMEZONE"] if has_app_context() else "Europe/Paris"
    return ZoneInfo(name)


def local_now() -> datetime:
    return utcnow().astimezone(city_tz())


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes even for timezone-aware columns: read them back as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the last day of a shorter month)."""
    import calendar

    year, month = divmod(moment.month - 1 - months, 12)
    year, month = moment.year + year, month + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
