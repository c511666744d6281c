"""Structured logs: each request's lines carry that request's own fields, even when requests are served
at once on threads of one process (the local server, threaded tests)."""
import json
import threading

from chalicelib import log


def test_requests_on_threads_do_not_share_their_log_fields(caplog):
    ready = threading.Barrier(2)

    def serve(path):
        log.clear()
        log.bind(path=path)
        ready.wait()  # both requests have bound their fields before either logs
        log.info("ledger_gave_up")
        log.clear()

    threads = [threading.Thread(target=serve, args=(path,)) for path in ("/pos/receipts", "/admin/cards/{card_id}")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = [json.loads(r.getMessage()) for r in caplog.records if "ledger_gave_up" in r.getMessage()]
    assert sorted(line["path"] for line in lines) == ["/admin/cards/{card_id}", "/pos/receipts"]


def test_personal_fields_never_reach_a_line(caplog):
    log.info("card_enrolled", card_id="c_1", phone="+79160000001", customer_name="Anna")
    [line] = [json.loads(r.getMessage()) for r in caplog.records if "card_enrolled" in r.getMessage()]
    assert line["card_id"] == "c_1" and "phone" not in line and "customer_name" not in line


def test_addresses_and_phones_in_outside_messages_are_scrubbed(caplog):
    """A provider's error text names the person (SES lists the addresses it refused): the line keeps the
    error without them."""
    log.warning("outbox_retry", reason="MessageRejected: Email address is not verified: anna.p@mail.ru, "
                                       "sms to +79161234567 refused")
    [line] = [json.loads(r.getMessage()) for r in caplog.records if "outbox_retry" in r.getMessage()]
    assert line["reason"] == "MessageRejected: Email address is not verified: [email], sms to [phone] refused"
