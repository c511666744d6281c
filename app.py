"""Wiring only: the Chalice app, its blueprints, the schedules and the middleware every request passes through.

Admin tokens are checked inside the admin blueprint rather than by an API Gateway authorizer: that
keeps the contract's JSON error bodies (an authorizer answers its own 401/403 shapes) and saves a
second Lambda and its cold start on every admin call. See the README's architecture section.
"""
from typing import Any

from chalice import Chalice

from chalicelib.api import (
    admin,
    admin_reads,
    audit,
    console,
    design,
    erasure,
    experiments,
    google,
    intake,
    integrations,
    join,
    locations,
    lookups,
    member_export,
    moysklad,
    offers,
    openapi,
    passkit,
    pos,
    profile,
    staff,
    surveys,
    telegram,
    telegram_app,
    till,
)
from chalicelib.api.middleware import contract_http
from chalicelib.jobs import schedules

app = Chalice(app_name="loyalty")
# Chalice base64-encodes answers of these types and refuses (400) one whose request's Accept matches
# none of them: "image/*" lets an image fetcher that asks for any image have the logo. API Gateway's own
# binary media types are "*/*" (infra/template.py), so it turns every base64 answer back into bytes,
# whatever the client's Accept starts with (tests/infra/test_binary.py).
app.api.binary_types.extend(["application/vnd.apple.pkpass", "image/png", "image/*"])
# The console's script and stylesheet go out gzipped (bytes) when the browser accepts it: API Gateway's
# REST API compresses nothing unless told (infra/template.py sets no MinimumCompressionSize).
app.api.binary_types.extend(["application/javascript", "text/css"])
app.register_middleware(contract_http, "http")
app.register_blueprint(join.bp)
app.register_blueprint(admin.bp)
app.register_blueprint(staff.bp)
app.register_blueprint(design.bp)
app.register_blueprint(admin_reads.bp)
app.register_blueprint(lookups.bp)
app.register_blueprint(pos.bp)
app.register_blueprint(integrations.bp)
app.register_blueprint(moysklad.bp)
app.register_blueprint(passkit.bp)
app.register_blueprint(google.bp)
app.register_blueprint(telegram.bp)
app.register_blueprint(intake.bp)  # issue 15: integrations' settings, web forms, imports
app.register_blueprint(profile.bp)  # issue 16, part H3: the customer's profile page and its bonus
app.register_blueprint(surveys.bp)  # issue 16, surveys: the survey page and the owner's report
app.register_blueprint(openapi.bp)
app.register_blueprint(console.bp)
app.register_blueprint(schedules.bp)
app.register_blueprint(offers.bp)  # part H2 "offers": /admin/cards/{card_id}/offers
app.register_blueprint(experiments.bp)  # issue 17: experiments, their reports and exports, ROMI by month
app.register_blueprint(locations.bp)  # issue 18: a program's locations (stores)
app.register_blueprint(till.bp)  # issue 18: the cashier's till page
app.register_blueprint(telegram_app.bp)  # issue 18: the card inside Telegram (Mini App)
app.register_blueprint(audit.bp)  # issue 19: the audit trail
app.register_blueprint(member_export.bp)  # issue 19: a member's data, for the owner and the member
app.register_blueprint(erasure.bp)  # issue 19: erasing a member


def outbox_stream(event: dict[str, Any], context: object) -> object:
    """The outbox table's stream (declared in infra/template.py): deliver the items just written within
    seconds, instead of waiting for the minute schedule (which still catches up after failures)."""
    from chalicelib.jobs import outbox  # lazy: +2.7 ms on import app, whose API never delivers the outbox

    keys = [(record["dynamodb"]["Keys"]["queue"]["S"], record["dynamodb"]["Keys"]["item_key"]["S"])
            for record in event.get("Records", []) if record.get("eventName") in ("INSERT", "MODIFY")]
    return outbox.deliver_announced(keys)
