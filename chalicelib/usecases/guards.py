"""What protects the public routes from scripts: rate limits per client address, per program and per
POS key (chalicelib.core.limits, counted in chalicelib.store.ratelimits), and the optional one-time
code that proves a phone before it gets a card.

DynamoDB requests this adds: POST /join: 2 UpdateItems (per address, per program), plus 1 when the
answer is a refusal (already enrolled, a wrong code); with phone confirmation, the code request adds
1 UpdateItem (codes per phone) and 1 PutItem, and the confirmation 1 GetItem, 1 UpdateItem and 1
DeleteItem. A card link: 1 UpdateItem, plus 1 on a miss. A signed POS request: 1 UpdateItem, plus 1
when a card number is not a card of the program."""
from datetime import datetime

from chalicelib import log
from chalicelib.core import limits as rules_of_limits
from chalicelib.core import texts
from chalicelib.errors import AppError, InvalidInput, RateLimited
from chalicelib.store import codes, ids, ratelimits
from chalicelib.store.records import Program


class CodeNotSent(AppError):
    status = 503
    code = "code_not_sent"


def limits_of(program: Program) -> rules_of_limits.Limits:
    return rules_of_limits.from_stored(program.limits)


# --- enrollment ----------------------------------------------------------------------------------

def before_join(program: Program, address: str, now: datetime) -> None:
    """Count an enrollment attempt from `address`, or RateLimited (then nothing else happens)."""
    limits = limits_of(program)
    moment = now.timestamp()
    ratelimits.take("join", f"{program.program_id}#{address}", limits.join_per_address, moment,
                    misses=limits.join_refusals_per_address)
    ratelimits.take("join", program.program_id, limits.join_per_program, moment)


def refused(program: Program, address: str, now: datetime) -> None:
    """A refusal that tells the caller something about a phone (already enrolled, a wrong code)."""
    ratelimits.miss("join", f"{program.program_id}#{address}", now.timestamp())


def send_code(program: Program, phone: str, locale: str, now: datetime) -> int:
    """Text a fresh one-time code to `phone`; returns the seconds it is valid. Members and strangers
    are treated alike: whether the phone already has a card is told only after the right code."""
    from chalicelib.channels import sms  # lazy: +27 ms on `import app` (measured), for the few programs that text codes

    try:
        ratelimits.take("code", f"{program.program_id}#{phone}", rules_of_limits.CODES_PER_PHONE, now.timestamp())
    except RateLimited as error:
        error.message = "A code was sent to this number several times already: use the last one or try later."
        raise
    code = ids.random_digits(rules_of_limits.CODE_DIGITS, first_nonzero=False)
    codes.issue(program.program_id, phone, code, now, rules_of_limits.CODE_SECONDS)
    text = texts.text("code_sms", locale, program=program.name, code=code)
    try:
        sms.send(phone, text)
    except sms.SmsError as error:
        log.error("code_not_sent", program_id=program.program_id, reason=str(error))
        raise CodeNotSent("The text message could not be sent just now: try again in a minute.") from None
    log.info("code_sent", program_id=program.program_id)
    return rules_of_limits.CODE_SECONDS


def confirm(program: Program, address: str, phone: str, code: object, now: datetime) -> None:
    """Nothing if `code` is the phone's live code (used up by this call), else InvalidInput."""
    if isinstance(code, str) and code.strip().isascii() and code.strip().isdigit() and \
            codes.redeem(program.program_id, phone, code.strip(), now, rules_of_limits.CODE_ATTEMPTS):
        return
    refused(program, address, now)
    raise InvalidInput("The code is wrong or has expired: check the text message, or ask for a new code.",
                       code="invalid_code", field="code")


# --- card links ----------------------------------------------------------------------------------

def before_card_link(address: str, now: datetime) -> None:
    ratelimits.take("link", address, rules_of_limits.CARD_LINKS_PER_ADDRESS, now.timestamp(),
                    misses=rules_of_limits.CARD_LINK_MISSES_PER_ADDRESS)


def card_link_missed(address: str, now: datetime) -> None:
    ratelimits.miss("link", address, now.timestamp())


# --- POS keys ------------------------------------------------------------------------------------

def before_pos_request(program: Program, key_id: str, now: datetime) -> None:
    limits = limits_of(program)
    ratelimits.take("pos", key_id, limits.pos_requests_per_key, now.timestamp(),
                    misses=limits.pos_lookup_misses_per_key)


def pos_lookup_missed(key_id: str, now: datetime) -> None:
    ratelimits.miss("pos", key_id, now.timestamp())
