"""How long a program keeps its members' data (issue 19): the `retention` setting, checked like every
setting, and the arithmetic of what is due on a day. Pure: the day and the time are passed in.

The setting: `{"inactive_months": 1..120 | null, "messages_months": 1..120 | null}`, or null (keep for
ever). A member inactive for `inactive_months` (no purchase since their last one, or since joining for a
member who never bought) is erased; message records older than `messages_months` are deleted.

When is a member due? Their last activity day is their last purchase day, or the day they joined
(program-local). A member whose last activity was on 15 January and the setting is 6 months is kept
through 15 July and erased by the run of 16 July: `due_through(16 July, 6)` is 15 January, the last
activity day the run erases through.
"""
import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chalicelib.core import validation as v

MONTHS_MIN, MONTHS_MAX = 1, 120
FIELDS = ("inactive_months", "messages_months")


@dataclass(frozen=True)
class Retention:
    inactive_months: int | None = None  # None: members are kept however long they are inactive
    messages_months: int | None = None  # None: message records are kept for ever

    @property
    def keeps_everything(self) -> bool:
        return self.inactive_months is None and self.messages_months is None


FOREVER = Retention()


def from_stored(stored: object) -> Retention:
    """The program's stored setting (None or an object of FIELDS) as a Retention."""
    if not isinstance(stored, dict):
        return FOREVER
    values = {name: stored.get(name) for name in FIELDS}
    return Retention(**{name: value if isinstance(value, int) and not isinstance(value, bool) else None
                        for name, value in values.items()})


def to_stored(retention: Retention) -> dict[str, int | None] | None:
    """What the program item holds: None when nothing is deleted (the program keeps everything)."""
    return None if retention.keeps_everything else to_view(retention)


def to_view(retention: Retention) -> dict[str, int | None]:
    return {"inactive_months": retention.inactive_months, "messages_months": retention.messages_months}


def parse(data: object, base: Retention | None = None) -> Retention:
    """A PATCH's or a new program's `retention`: null keeps everything; in an object, a field left out keeps
    its current value, null switches that deletion off, and a number is months (MONTHS_MIN..MONTHS_MAX)."""
    if data is None:
        return FOREVER
    fields = v.require_object(data, "retention")
    v.reject_unknown(fields, FIELDS, prefix="retention")
    current = base or FOREVER
    values = {}
    for name in FIELDS:
        if name not in fields:
            values[name] = getattr(current, name)
            continue
        values[name] = v.read_int(fields, name, prefix="retention", minimum=MONTHS_MIN, maximum=MONTHS_MAX)
    return Retention(**values)


def months_before(day: date, months: int) -> date:
    """The same day of the month `months` months earlier, or that month's last day (31 August less 6
    months is 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def due_through(today: date, months: int) -> date:
    """The last activity day a run on `today` erases through: the members whose last activity day is on or
    before it have been inactive for more than `months` months: their day plus `months` (that month's last
    day when it has no such day) was yesterday or earlier. Yesterday at a month's end takes that whole month
    `months` back (31 March less 1 month: every day of February); otherwise the same day (29 March less 1
    month: 28 February, whose month is up on 28 March)."""
    yesterday = today - timedelta(days=1)
    if (yesterday + timedelta(days=1)).month != yesterday.month:  # the last day of its month
        first = months_before(yesterday.replace(day=1), months)
        return first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return months_before(yesterday, months)


def joined_before(through: date, zone: ZoneInfo) -> str:
    """The UTC time (as the cards' `created_key` text starts) at which the program-local day after `through`
    began: a member who joined before it joined on `through` or earlier."""
    start = datetime.combine(through + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC).isoformat(timespec="microseconds")


def messages_before(now: datetime, months: int) -> str:
    """Message records made before this UTC time (as their keys start) are older than `months` months."""
    moment = now.astimezone(UTC)
    day = months_before(moment.date(), months)
    return datetime.combine(day, moment.timetz()).isoformat(timespec="microseconds")


def days_after(done_through: date, through: date) -> list[date]:
    """The days after `done_through` up to `through` (none when it is not later)."""
    return [done_through + timedelta(days=n) for n in range(1, (through - done_through).days + 1)]
