"""A MoySklad till (Касса МойСклад) stand-in: plays a cashier's sale to a member and a return through our
LoyaltyAPI routes, as the real till would call them, printing each request and answer.

    python -m chalicelib.cli moysklad-till --demo --phone +79161234567
    python -m chalicelib.cli moysklad-till --base-url https://…/moysklad/ms_… --token mst_… --phone …

`--demo` reads the local stack's `.local/demo.json` (`LOCAL_DIR`) (written by `make dev`) and creates a connection with
its owner token first. The steps: find the customer by phone (search); register them if the search finds
none (with the code flow when the program confirms phones: 412/28001, /counterparty/verify, CHECKED);
the balance (detail); the receipt's calculation (recalc, spending points if asked); the spending code when
the answer says `needVerification`; the sale; the balance; a return of the whole sale; the balance again.
It speaks HTTP with the standard library only, and tests hand it the test client instead (`Transport`)."""
from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from chalicelib.config import settings

# (method, path relative to the base URL, JSON body or None, headers) -> (status, JSON answer or None)
Transport = Callable[[str, str, Any, dict[str, str]], tuple[int, Any]]

STORE = {"meta": {"href": "https://api.moysklad.ru/api/remap/1.2/entity/retailstore/"
                          "2b5eb22f-139e-11e6-9464-e4de00000073", "id": "2b5eb22f-139e-11e6-9464-e4de00000073"},
         "name": "Магазин №1"}


def http_transport(base_url: str, timeout: float = 10.0) -> Transport:
    """Requests to a running server (the local stack, or a deployment)."""
    def send(method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        request = urllib.request.Request(base_url.rstrip("/") + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (an http(s) URL we were given)
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        return status, json.loads(raw) if raw.strip() else None
    return send


@dataclass
class Till:
    """One till of one shop, calling our base URL with its token."""

    send: Transport
    token: str
    out: Callable[[str], None] = print
    store: dict[str, Any] = field(default_factory=lambda: STORE)

    def call(self, method: str, path: str, body: Any = None, expect: tuple[int, ...] = (200, 201)) -> Any:
        headers = {"Content-Type": "application/json", "Lognex-Discount-API-Auth-Token": self.token}
        status, answer = self.send(method, path, body, headers)
        self.out(f"> {method} {path}" + (f"\n  {json.dumps(body, ensure_ascii=False)}" if body is not None else ""))
        self.out(f"< {status}" + (f"\n  {json.dumps(answer, ensure_ascii=False)}" if answer is not None else ""))
        if status not in expect:
            raise TillError(status, answer)
        return answer

    # --- the requests, as MoySklad documents them ---------------------------------------------------

    def search(self, text: str) -> list[dict[str, Any]]:
        store_id = self.store["meta"]["id"]
        rows: list[dict[str, Any]] = self.call("GET", f"/counterparty?search={urllib.parse.quote(text)}"
                                                      f"&retailStoreId={store_id}")["rows"]
        return rows

    def register(self, name: str, phone: str, code_reader: Callable[[str], str] | None = None) -> None:
        """POST /counterparty; on 412/28001 the code flow, then the customer again as CHECKED."""
        customer = {"retailStore": self.store, "meta": {"href": "", "id": str(uuid.uuid4())}, "name": name,
                    "phone": phone, "statusCheck": "UNCHECKED"}
        headers = {"Content-Type": "application/json", "Lognex-Discount-API-Auth-Token": self.token}
        status, answer = self.send("POST", "/counterparty", customer, headers)
        self.out(f"> POST /counterparty\n  {json.dumps(customer, ensure_ascii=False)}\n< {status}"
                 + (f"\n  {json.dumps(answer, ensure_ascii=False)}" if answer is not None else ""))
        if status == 201:
            return
        if status != 412 or answer["errors"][0]["code"] != 28001:
            raise TillError(status, answer)
        sent = self.call("POST", "/counterparty/verify", {k: v for k, v in customer.items() if k != "statusCheck"})
        typed = code_reader(sent["messageForCashier"]) if code_reader else sent["verificationCode"]
        if typed != sent["verificationCode"]:
            raise TillError(0, "the customer's code does not match")
        self.out("  (the cashier typed the code the customer read out: it matches)")
        self.call("POST", "/counterparty", {**customer, "statusCheck": "CHECKED"})

    def balance(self, agent: dict[str, Any]) -> int:
        detail = self.call("POST", "/counterparty/detail", {"retailStore": self.store, **agent})
        return int(detail["bonusProgram"]["agentBonusBalance"])

    def recalc(self, agent: dict[str, Any], positions: list[dict[str, Any]], spend: int | None) -> dict[str, Any]:
        body: dict[str, Any] = {"retailStore": self.store, "agent": agent, "positions": positions,
                                "bonusProgram": {"transactionType": "SPENDING" if spend else "EARNING"}}
        if spend:
            body["preferredBonusToSpend"] = spend
        answer: dict[str, Any] = self.call("POST", "/retaildemand/recalc", body)
        return answer

    def spending_code(self, agent: dict[str, Any]) -> str:
        answer = self.call("POST", "/retaildemand/verify", {"retailStore": self.store,
                                                             "counterpartyId": agent["meta"]["id"],
                                                             "phone": agent.get("phone")})
        return str(answer["verificationCode"])

    def sell(self, sale_id: str, number: str, agent: dict[str, Any], calculated: dict[str, Any]) -> None:
        positions = [{k: p[k] for k in ("assortment", "quantity", "price", "discountPercent", "discountedPrice")}
                     for p in calculated["positions"]]
        paid = round(sum(p["discountedPrice"] * p["quantity"] for p in positions), 2)
        bonus = calculated["bonusProgram"]
        self.call("POST", "/retaildemand", {
            "retailStore": self.store, "name": number, "moment": datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "meta": {"href": f"https://api.moysklad.ru/api/remap/1.2/entity/retaildemand/{sale_id}", "id": sale_id},
            "agent": agent, "positions": positions,
            "bonusProgram": {"bonusValueToSpend": bonus["bonusValueToSpend"],
                             "bonusValueToEarn": bonus["bonusValueToEarn"]},
            "cashSum": 0, "noCashSum": paid})

    def give_back(self, return_id: str, sale_id: str, number: str, agent: dict[str, Any],
                  positions: list[dict[str, Any]]) -> None:
        self.call("POST", "/retailsalesreturn", {
            "retailStore": self.store, "name": number, "moment": datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "meta": {"href": "", "id": return_id},
            "demand": {"meta": {"href": f"https://api.moysklad.ru/api/remap/1.2/entity/retaildemand/{sale_id}",
                                "id": sale_id}},
            "agent": {"id": agent["meta"]["id"], "href": agent["meta"]["href"]},
            "positions": positions, "cashSum": 0,
            "noCashSum": round(sum(p["discountedPrice"] * p["quantity"] for p in positions), 2)})


class TillError(Exception):
    def __init__(self, status: int, answer: Any):
        super().__init__(f"{status}: {json.dumps(answer, ensure_ascii=False)}")
        self.status, self.answer = status, answer


@dataclass(frozen=True)
class Story:
    """What the scenario saw: the balance before the sale, after it and after the return."""

    before: int
    after_sale: int
    after_return: int | None
    recalc: dict[str, Any]


def sale_and_return(till: Till, *, phone: str, name: str = "Покупатель", positions: list[dict[str, Any]],
                    spend: int | None = None, give_back: bool = True) -> Story:
    """A cashier's whole sale to a member and its return."""
    till.out("# 1. find the customer by phone")
    rows = till.search(phone)
    if not rows:
        till.out("# not a member yet: register them at the till")
        till.register(name, phone)
        rows = till.search(phone)
    row = rows[0]
    agent: dict[str, Any] = {"meta": {"href": f"https://api.moysklad.ru/api/remap/1.2/entity/counterparty/{row['id']}",
                      "id": row["id"]},
             **{k: row[k] for k in ("name", "discountCardNumber", "phone") if k in row}}
    till.out("# 2. the balance")
    before = till.balance(agent)
    till.out("# 3. the receipt's calculation")
    calculated = till.recalc(agent, positions, spend)
    if calculated.get("needVerification"):
        till.out("# 4. the program asks for the customer's code before points are spent")
        till.spending_code(agent)
        till.out("  (the customer read out the code; the till compared it)")
    sale_id = str(uuid.uuid4())
    till.out("# 5. the sale")
    till.sell(sale_id, "00001", agent, calculated)
    after_sale = till.balance(agent)
    after_return = None
    if give_back:
        till.out("# 6. the customer brings everything back")
        returned = [{k: p[k] for k in ("assortment", "quantity", "price", "discountPercent", "discountedPrice")}
                    for p in calculated["positions"]]
        till.give_back(str(uuid.uuid4()), sale_id, "00001", agent, returned)
        after_return = till.balance(agent)
    till.out(f"# balance: {before} before, {after_sale} after the sale"
             + (f", {after_return} after the return" if after_return is not None else ""))
    return Story(before, after_sale, after_return, calculated)


def position(price: str, quantity: str, product: str | None = None) -> dict[str, Any]:
    product_id = product or str(uuid.uuid4())
    return {"assortment": {"meta": {"href": f"https://api.moysklad.ru/api/remap/1.2/entity/product/{product_id}",
                                    "id": product_id}},
            "quantity": float(quantity), "price": float(price)}


# --- the command line (python -m chalicelib.cli moysklad-till) -------------------------------------------

def add_parser(sub: Any) -> None:
    till = sub.add_parser("moysklad-till", help="play a MoySklad till's sale and return against our LoyaltyAPI")
    till.add_argument("--demo", action="store_true",
                      help="the local stack: read .local/demo.json and create a MoySklad connection first")
    till.add_argument("--base-url", help="the connection's base URL (…/moysklad/<connection id>)")
    till.add_argument("--token", help="the connection's token (Lognex-Discount-API-Auth-Token)")
    till.add_argument("--phone", required=True, help="the customer's phone (registered at the till if unknown)")
    till.add_argument("--name", default="Покупатель МойСклад", help="the name to register a new customer with")
    till.add_argument("--item", action="append", metavar="PRICE:QTY",
                      help="a position, roubles and quantity (default 450.00:2 and 129.90:1)")
    till.add_argument("--spend", type=int, help="points the customer wants to spend")
    till.add_argument("--no-return", action="store_true", help="stop after the sale")
    till.set_defaults(func=run)


def _demo_connection(path: Path) -> tuple[str, str]:
    demo = json.loads(path.read_text(encoding="utf-8"))
    request = urllib.request.Request(
        f"{demo['api']}/admin/programs/{demo['program_id']}/integrations/moysklad", method="POST",
        data=json.dumps({"label": "moysklad-till simulator"}).encode(),
        headers={"Authorization": f"Bearer {demo['admin_token']}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (the local stack's URL)
        created = json.loads(response.read())
    print(f"# connection {created['connection_id']}: base URL {created['base_url']}")
    return str(created["base_url"]), str(created["token"])


def run(args: argparse.Namespace) -> int:
    if args.demo:
        base_url, token = _demo_connection(Path(settings().local_dir) / "demo.json")
    elif args.base_url and args.token:
        base_url, token = args.base_url, args.token
    else:
        raise SystemExit("give --base-url and --token, or --demo for the local stack (make dev)")
    items = args.item or ["450.00:2", "129.90:1"]
    positions = [position(*item.split(":", 1)) for item in items]
    try:
        sale_and_return(Till(http_transport(base_url), token), phone=args.phone, name=args.name,
                        positions=positions, spend=args.spend, give_back=not args.no_return)
    except TillError as error:
        raise SystemExit(f"the till stopped: {error}") from None
    return 0
