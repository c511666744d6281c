"""Scheduled work, runnable from EventBridge schedules and from `cli run-job NAME --date DAY`.

JOBS maps a job's name to a function taking the day (a date) it runs for; the capabilities that
bring jobs (points expiry, birthdays, win-back, outbox) register them here.
"""


def _tier_review(day):
    from chalicelib.jobs import tiers

    return tiers.run(day)


def _outbox(day):
    from chalicelib.jobs import outbox

    return outbox.run(day)


def _trigger(name):
    def run(day):  # None: each program's own local day
        from chalicelib.jobs import triggers

        return triggers.run(name, day)

    return run


def _analytics(day):
    from chalicelib.jobs import analytics

    return analytics.run(day)


def _campaigns(day):
    from chalicelib.usecases import campaigns

    return campaigns.run_due()


JOBS: dict = {"campaigns": _campaigns, "tier_review": _tier_review, "outbox": _outbox,
              "expire_points": _trigger("expire_points"), "birthdays": _trigger("birthdays"),
              "winback": _trigger("winback"), "analytics": _analytics}
