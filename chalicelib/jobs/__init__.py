"""Scheduled work, runnable from EventBridge schedules and from `cli run-job NAME --date DAY`.

JOBS maps a job's name to a function taking the day (a date) it runs for; the capabilities that
bring jobs (points expiry, birthdays, win-back, outbox) register them here.
"""
JOBS: dict = {}
