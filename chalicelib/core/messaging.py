"""When a message to a customer may go out: quiet hours in the program's time zone and a weekly cap.
Pure: the caller passes the local time and the times of what was already sent."""
from dataclasses import dataclass
from datetime import datetime, time, timedelta


@dataclass(frozen=True)
class Verdict:
    action: str  # 'send', 'delay' (until `not_before`), 'skip'
    reason: str | None = None
    not_before: datetime | None = None


def _parse(hhmm: str) -> time:
    hours, minutes = hhmm.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(local: datetime, quiet: tuple[str, str] | None) -> bool:
    if not quiet:
        return False
    start, end = _parse(quiet[0]), _parse(quiet[1])
    now = local.time()
    return (start <= now or now < end) if start > end else (start <= now < end)


def quiet_end(local: datetime, quiet: tuple[str, str]) -> datetime:
    """The first local moment after `local` when the quiet hours are over."""
    end = _parse(quiet[1])
    candidate = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return candidate if candidate > local else candidate + timedelta(days=1)


def decide(local: datetime, sent: list[datetime], *, quiet: tuple[str, str] | None, max_per_week: int | None,
           service: bool = False) -> Verdict:
    """Service messages (a warning that points expire) ignore the cap but still wait out the night."""
    if quiet and in_quiet_hours(local, quiet):
        return Verdict("delay", "quiet_hours", quiet_end(local, quiet))
    if not service and max_per_week is not None:
        recent = [moment for moment in sent if moment > local - timedelta(days=7)]
        if len(recent) >= max_per_week:
            return Verdict("skip", "frequency_cap")
    return Verdict("send")
