"""The search that keeps personal data out of the run's logs (tests/log_capture.py) finds what it must
and only that: a scan that found nothing because it could find nothing would prove nothing."""
import json

from chalicelib import log, metrics
from tests import log_capture


def test_the_scan_finds_phones_emails_and_names_the_run_created():
    lines = [
        '{"event":"card_enrolled","card_id":"c_9x"}',
        '{"event":"sms_failed","error":"bad number +79161234567"}',
        '{"event":"lookup","value":"79161234567"}',
        '{"event":"email_bounced","to":"anna.petrova@example.ru"}',
        '{"event":"receipt_error","error":"card of Anna Petrova not found"}',
        '{"event":"ok","ts":1764179161234567,"count":3}',  # a phone's digits inside a longer number: no hit
    ]
    found = log_capture.scan(lines, names={"Anna Petrova"}, phones={"+79161234567"},
                             emails={"anna.petrova@example.ru"})
    assert [line for _, line in found] == lines[1:5]
    assert "Anna Petrova" in found[3][0] and "+79161234567" in found[0][0]


def test_ids_counts_and_words_are_not_personal_data():
    lines = ['{"event":"receipt_recorded","card_id":"c_AnnaX1","number":"2000000000017","points":120}',
             '{"event":"job_done","job":"retention","erased":2,"path":"/admin/cards/{card_id}/erase"}']
    assert log_capture.scan(lines, names={"Anna", "Test"}, phones={"+79160000001"}) == []


def test_the_runs_logs_and_metrics_are_collected():
    before = len(log_capture.LINES)
    log.info("log_capture_probe", card_id="c_probe")
    metrics.emit({"LogCaptureProbe": 1}, Program="p_probe")
    fresh = log_capture.LINES[before:]
    assert any(json.loads(line).get("event") == "log_capture_probe" for line in fresh if line.startswith("{"))
    assert any("LogCaptureProbe" in line for line in fresh)


def test_a_local_stacks_output_counts_except_its_banner():
    before = len(log_capture.LINES)
    log_capture.add_output("\n".join([
        "local DynamoDB on 127.0.0.1:8001: 0 items restored from .local/",
        "=" * 72, " The loyalty platform runs at http://127.0.0.1:8000", "=" * 72,
        "     -d '{\"name\":\"Anna\",\"phone\":\"+79160000001\",\"consent\":true}'",
        " Ctrl-C stops everything (the data is kept in .local/).",
        '127.0.0.1 - - [29/Nov/2026 21:00:00] "GET /c/{card_id}/data.json" 200']))
    kept = log_capture.LINES[before:]
    del log_capture.LINES[before:]  # the example's lines are not the run's
    assert kept == ["local DynamoDB on 127.0.0.1:8001: 0 items restored from .local/",
                    '127.0.0.1 - - [29/Nov/2026 21:00:00] "GET /c/{card_id}/data.json" 200']
