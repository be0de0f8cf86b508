"""Cron, read in UTC, for the local scheduler and for KFP.

KFP reads cron with a seconds field first (robfig/cron) and in UTC. People
write five fields and think in local time; both mistakes schedule runs at
the wrong moment without any error, so the conversion is explicit and the
next runs are printed in UTC before anything is created. The local
scheduler reads the same five fields in UTC too, so a schedule means the
same on a workstation as on the cluster.
"""

from __future__ import annotations

import datetime

from pipeline.errors import TollgateError

_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}
_NAMES = {
    3: {m: i for i, m in enumerate(
        "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), start=1)},
    4: {d: i for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split())},
}
_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))


def _value(text: str, index: int) -> int:
    named = _NAMES.get(index, {}).get(text.upper())
    if named is not None:
        return named
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


def _expand(field: str, index: int) -> set[int]:
    name, low, high = _FIELDS[index]
    values = set()
    for part in field.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise TollgateError(f"cron {name} field {field!r}: the step must be a positive number")
        try:
            if body == "*":
                start, end = low, high
            elif "-" in body:
                start, end = (_value(v, index) for v in body.split("-", 1))
            else:
                start = end = _value(body, index)
                end = high if step else end
        except ValueError:
            raise TollgateError(f"cron {name} field {field!r} is not a number, range or list") from None
        if not (low <= start <= end <= high):
            raise TollgateError(f"cron {name} field {field!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step or 1))
    if index == 4 and 7 in values:  # Sunday is 0 or 7 in cron, only 0 for robfig
        values = (values - {7}) | {0}
    return values


def _dow_text(field: str) -> str:
    """The day-of-week field as robfig/cron reads it: Sunday only as 0."""
    named_seven = any("7" in part.split("/")[0].split("-") for part in field.split(","))
    if not named_seven:
        return field
    return ",".join(str(v) for v in sorted(_expand(field, 4)))


def to_kfp(cron: str) -> str:
    """A 5-field cron (or @daily and friends) as KFP's 6-field, seconds-first form."""
    text = _DESCRIPTORS.get(cron.strip().lower(), cron.strip())
    fields = text.split()
    if len(fields) == 6:
        raise TollgateError(
            f"cron {cron!r} has six fields; give the usual five (minute hour day month weekday): "
            "Tollgate adds KFP's seconds field itself"
        )
    if len(fields) != 5:
        raise TollgateError(f"cron {cron!r} needs five fields: minute hour day-of-month month day-of-week")
    for index, field in enumerate(fields):
        _expand(field, index)
    fields[4] = _dow_text(fields[4])
    return " ".join(["0", *fields])


def next_runs(kfp_cron: str, after: datetime.datetime, count: int = 3) -> list[datetime.datetime]:
    """The next `count` times, in UTC, that a 6-field KFP cron fires after `after`."""
    _, *fields = kfp_cron.split()
    minutes, hours, days, months, weekdays = (_expand(f, i) for i, f in enumerate(fields))
    # Like cron: with both day fields restricted, either one matching is enough.
    either = fields[2] != "*" and fields[4] != "*"
    found = []
    day = after.astimezone(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    for _ in range(366 * 5):
        dow = (day.weekday() + 1) % 7
        in_month = day.month in months
        by_dom, by_dow = day.day in days, dow in weekdays
        if in_month and ((by_dom or by_dow) if either else (by_dom and by_dow)):
            for hour in sorted(hours):
                for minute in sorted(minutes):
                    moment = day.replace(hour=hour, minute=minute)
                    if moment > after:
                        found.append(moment)
                        if len(found) == count:
                            return found
        day += datetime.timedelta(days=1)
    return found


def describe(cron: str, now: datetime.datetime | None = None) -> str:
    kfp_cron = to_kfp(cron)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    upcoming = ", ".join(t.strftime("%Y-%m-%d %H:%M") for t in next_runs(kfp_cron, now))
    return f"KFP cron (seconds first, read in UTC): {kfp_cron}\nnext runs (UTC): {upcoming or 'never'}"
