"""A local stand-in for the Telegram Bot API (sendMessage, sendPhoto, setChatMenuButton,
getChatMenuButton), for `make dev` and the tests: it checks the bot token in the path, answers like
Telegram, and keeps what was sent (GET /standin/sent) and the menu buttons set (GET /standin/menu).
`PUT /standin/slow {"seconds", "count"}` makes the next sends late: taken, but answered after a delay.

It also plays Telegram's side of a Mini App (issue 18):
- GET /standin/telegram-web-app.js: a minimal `window.Telegram.WebApp` of our own (initData and
  initDataUnsafe from the URL's `#tgWebAppData=`, themeParams, colorScheme, ready(), expand(),
  requestContact(callback)), speaking to the parent window with postMessage as Telegram's web client does
  (`web_app_request_phone`, then `phone_requested` {status}, then the custom method `getRequestedContact`
  for the signed contact string, as Telegram's own script fetches it);
- GET /standin/client?user_id=&first_name=&phone=&lang=[&app=<url>]: a Telegram client for one user: it
  shows the chat's menu button (the one set for that chat, else the bot's default, else `app`), opens
  the Mini App in an iframe with `#tgWebAppData=<initData signed with this stand-in's bot token>`, and
  answers the Mini App's contact request with a contact string signed the same way.

    python -m chalicelib.channels.telegram_standin --port 8004 --token 1:local-bot-token
"""
import argparse
import contextlib
import json
import secrets
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote

from chalicelib import http_standin
from chalicelib.core import telegram_webapp

WEBAPP_VERSION = "8.0"
THEME = {"bg_color": "#ffffff", "text_color": "#000000", "hint_color": "#707579", "link_color": "#3390ec",
         "button_color": "#3390ec", "button_text_color": "#ffffff", "secondary_bg_color": "#f4f4f5"}


# A stand-in answers every case of the service it imitates in one place (hence C901).
def make_handler(token: str, sent: list[dict[str, Any]],  # noqa: C901
                 menus: dict[str, dict[str, Any]] | None = None) -> type[BaseHTTPRequestHandler]:
    slow: list[float] = []
    buttons: dict[str, dict[str, Any]] = {} if menus is None else menus  # chat id (or "default") -> its button

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the caller stopped waiting
                self.wfile.write(raw)

        def do_PUT(self) -> None:
            if self.path == "/standin/slow":  # the next `count` sends are taken, then answered after `seconds`
                spec = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                slow.extend([float(spec.get("seconds", 10))] * int(spec.get("count", 1)))
                return self._answer(200, {"ok": True})
            self._answer(404, {"ok": False, "description": "Not Found"})

        def _page(self, body: str, kind: str) -> None:
            raw = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(raw)

        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            if path == "/standin/sent":
                return self._answer(200, {"sent": sent})
            if path == "/standin/menu":
                return self._answer(200, {"menus": buttons})
            if path == "/standin/telegram-web-app.js":
                return self._page(WEB_APP_JS, "text/javascript")
            if path == "/standin/client":
                return self._page(client_page(token, buttons, dict(parse_qsl(query))), "text/html")
            self._answer(404, {"ok": False, "description": "Not Found"})

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = self.path.strip("/").split("/")
            if len(parts) != 2 or parts[0] != f"bot{token}":
                return self._answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            method = parts[1]
            if method == "sendMessage":
                data = json.loads(raw or b"{}")
                record = {"method": method, "chat_id": data.get("chat_id"), "text": data.get("text"),
                          "reply_markup": data.get("reply_markup")}
            elif method in ("setChatMenuButton", "getChatMenuButton"):
                data = json.loads(raw or b"{}")
                chat = str(data.get("chat_id", "default"))
                if method == "getChatMenuButton":
                    return self._answer(200, {"ok": True, "result": buttons.get(chat) or buttons.get("default")
                                              or {"type": "commands"}})
                button = data.get("menu_button") or {"type": "default"}
                if button.get("type") == "web_app" and not str((button.get("web_app") or {}).get("url", "")) \
                        .startswith(("https://", "http://")):
                    return self._answer(400, {"ok": False, "error_code": 400,
                                              "description": "Bad Request: invalid web app url"})
                buttons[chat] = button
                record = {"method": method, "chat_id": data.get("chat_id"), "menu_button": button}
            elif method == "sendPhoto":
                kind = self.headers.get("Content-Type", "")
                record = {"method": method, "multipart": kind.startswith("multipart/form-data"),
                          "png": b"\x89PNG" in raw, "bytes": len(raw)}
            else:
                return self._answer(404, {"ok": False, "description": "Not Found: method not found"})
            sent.append(record)
            print(f"Telegram stand-in: {method} {record.get('chat_id', '')}", flush=True)
            if slow:  # Telegram has it, but the answer is late (the sender's read timeout fires)
                time.sleep(slow.pop(0))
            self._answer(200, {"ok": True, "result": {"message_id": len(sent)}})

    return Handler


def serve(port: int, token: str) -> tuple[ThreadingHTTPServer, list]:
    sent: list[dict[str, Any]] = []
    return http_standin.start(port, make_handler(token, sent)), sent


# --- the Mini App's side of Telegram ---------------------------------------------------------------

def signed_init_data(token: str, user: dict[str, Any], now: float) -> str:
    """initData as Telegram's client passes it to a Mini App opened from the menu button."""
    fields = {"query_id": f"AAH{secrets.token_urlsafe(12)}", "user": json.dumps(user, separators=(",", ":")),
              "auth_date": str(int(now)), "signature": secrets.token_urlsafe(64)}
    return telegram_webapp.sign(fields, token)


def signed_contact(token: str, user_id: int, phone: str, first_name: str, now: float) -> str:
    """What `WebApp.requestContact()` hands the Mini App once the user shares the phone."""
    contact = {"user_id": user_id, "phone_number": phone, "first_name": first_name}
    return telegram_webapp.sign({"contact": json.dumps(contact, separators=(",", ":")),
                                 "auth_date": str(int(now))}, token)


def client_page(token: str, menus: dict[str, dict[str, Any]], query: dict[str, str]) -> str:
    user_id = int(query["user_id"]) if query.get("user_id", "").isdigit() else 100001
    first_name = query.get("first_name") or "Anna"
    lang = query.get("lang") or "ru"
    phone = "".join(ch for ch in query.get("phone", "") if ch.isdigit()) or "79160000099"
    now = time.time()
    user = {"id": user_id, "first_name": first_name, "language_code": lang, "allows_write_to_pm": True}
    button = menus.get(str(user_id)) or menus.get("default")
    if (button is None or button.get("type") != "web_app") and query.get("app"):
        button = {"type": "web_app", "text": "Mini App", "web_app": {"url": query["app"]}}
    app_url = (button or {}).get("web_app", {}).get("url") if button and button.get("type") == "web_app" else None
    launch = "&".join([f"tgWebAppData={quote(signed_init_data(token, user, now), safe='')}",
                       f"tgWebAppVersion={WEBAPP_VERSION}", "tgWebAppPlatform=web",
                       f"tgWebAppThemeParams={quote(json.dumps(THEME), safe='')}"])
    settings = {"app": f"{app_url}#{launch}" if app_url else None, "button": (button or {}).get("text", ""),
                "contact": signed_contact(token, user_id, phone, first_name, now), "phone": f"+{phone}"}
    return CLIENT_HTML.replace("__SETTINGS__", json.dumps(settings).replace("<", "\\u003c"))


CLIENT_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Telegram stand-in client</title><link rel="icon" href="data:,">
<style>
 body { margin: 0; font: 15px/1.4 sans-serif; background: #e7ebf0; display: flex; flex-direction: column;
        height: 100vh; }
 header { background: #3390ec; color: #fff; padding: .6rem .8rem; font-weight: 600; }
 #chat { flex: 1; padding: .8rem; overflow: auto; }
 footer { display: flex; gap: .5rem; padding: .5rem; background: #fff; }
 footer button { padding: .6rem .9rem; border: 0; border-radius: .6rem; background: #3390ec; color: #fff;
                 font-weight: 600; }
 #app { position: fixed; inset: 2.4rem 0 0 0; background: #fff; display: flex; flex-direction: column; }
 #app iframe { flex: 1; border: 0; width: 100%; }
 #ask { position: fixed; inset: auto 0 0 0; background: #fff; padding: 1rem; box-shadow: 0 -4px 16px #0003; }
 [hidden] { display: none !important; }
</style></head>
<body>
<header>Telegram (local stand-in) · bot</header>
<div id="chat"><p id="no-menu" hidden>The bot set no menu button for this chat: send
<code>/start J&lt;slug&gt;</code> to the webhook, run <code>python -m chalicelib.cli telegram-menu</code>,
or add <code>&amp;app=&lt;url&gt;</code>.</p></div>
<footer><button type="button" id="menu-button" hidden></button></footer>
<div id="app" hidden><button type="button" id="close-app">✕</button>
 <iframe id="frame" title="Mini App"></iframe></div>
<div id="ask" hidden role="dialog" aria-labelledby="ask-text"><p id="ask-text"></p>
 <button type="button" id="share">Share</button> <button type="button" id="cancel">Cancel</button></div>
<script>
(function () {
  "use strict";
  var settings = __SETTINGS__;
  var button = document.getElementById("menu-button"), frame = document.getElementById("frame");
  var ask = document.getElementById("ask");
  if (settings.app) { button.textContent = settings.button || "Mini App"; button.hidden = false; }
  else { document.getElementById("no-menu").hidden = false; }
  button.addEventListener("click", function () {
    frame.src = settings.app; document.getElementById("app").hidden = false; });
  document.getElementById("close-app").addEventListener("click", function () {
    document.getElementById("app").hidden = true; frame.src = "about:blank"; });
  function answer(type, data) {
    frame.contentWindow.postMessage(JSON.stringify({eventType: type, eventData: data}), "*"); }
  window.addEventListener("message", function (event) {
    if (event.source !== frame.contentWindow) { return; }
    var message; try { message = JSON.parse(event.data); } catch (e) { return; }
    if (message.eventType === "web_app_request_phone") {
      document.getElementById("ask-text").textContent =
        "Share your phone number " + settings.phone + " with the bot?";
      ask.hidden = false;
    } else if (message.eventType === "web_app_invoke_custom_method") {  // as Telegram: the contact, once shared
      var call = message.eventData || {};
      answer("custom_method_invoked", call.method === "getRequestedContact" && shared
        ? {req_id: call.req_id, result: settings.contact} : {req_id: call.req_id, error: "METHOD_NOT_FOUND"});
    } else if (message.eventType === "web_app_close") {
      document.getElementById("app").hidden = true;
    }
  });
  var shared = false;
  document.getElementById("share").addEventListener("click", function () {
    ask.hidden = true; shared = true; answer("phone_requested", {status: "sent"}); });
  document.getElementById("cancel").addEventListener("click", function () {
    ask.hidden = true; answer("phone_requested", {status: "cancelled"}); });
}());
</script>
</body></html>
"""

WEB_APP_JS = """/* A minimal Telegram.WebApp for the local stand-in (not Telegram's script): what the Mini App uses. */
(function () {
  "use strict";
  var launch = new URLSearchParams(window.location.hash.slice(1));
  var initData = launch.get("tgWebAppData") || "";
  var unsafe = {};
  new URLSearchParams(initData).forEach(function (value, key) {
    if (key === "user" || key === "receiver" || key === "chat") {
      try { unsafe[key] = JSON.parse(value); } catch (e) { unsafe[key] = null; }
    } else { unsafe[key] = value; }
  });
  var theme = {};
  try { theme = JSON.parse(launch.get("tgWebAppThemeParams") || "{}"); } catch (e) { theme = {}; }
  Object.keys(theme).forEach(function (key) {
    document.documentElement.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), theme[key]);
  });
  var waiting = [], calls = {}, nextCall = 0;
  function send(type, data) {
    if (window.parent !== window) {
      window.parent.postMessage(JSON.stringify({eventType: type, eventData: data || {}}), "*");
    }
  }
  window.addEventListener("message", function (event) {
    if (event.source !== window.parent) { return; }
    var message; try { message = JSON.parse(event.data); } catch (e) { return; }
    var data = message.eventData || {};
    if (message.eventType === "phone_requested" && waiting.length) {
      var callback = waiting.shift();
      if (data.status !== "sent") { callback(false, {status: data.status}); return; }
      invoke("getRequestedContact", function (error, contact) {  // Telegram's way to the signed contact
        var fields = {};
        new URLSearchParams(contact || "").forEach(function (value, key) {
          try { fields[key] = key === "contact" ? JSON.parse(value) : value; } catch (e) { fields[key] = null; }
        });
        callback(true, contact ? {status: "sent", response: contact, responseUnsafe: fields} : {status: "sent"});
      });
    } else if (message.eventType === "custom_method_invoked" && calls[data.req_id]) {
      var done = calls[data.req_id];
      delete calls[data.req_id];
      done(data.error || null, data.result || null);
    }
  });
  function invoke(method, done) {
    nextCall += 1;
    var id = "req" + nextCall;
    calls[id] = done;
    send("web_app_invoke_custom_method", {req_id: id, method: method, params: {}});
  }
  window.Telegram = {WebApp: {
    initData: initData, initDataUnsafe: unsafe, version: launch.get("tgWebAppVersion") || "6.0",
    platform: launch.get("tgWebAppPlatform") || "unknown", themeParams: theme,
    colorScheme: theme.bg_color && parseInt(theme.bg_color.slice(1, 3), 16) < 128 ? "dark" : "light",
    ready: function () { send("web_app_ready"); },
    expand: function () { send("web_app_expand"); },
    close: function () { send("web_app_close"); },
    requestContact: function (callback) { waiting.push(callback || function () {}); send("web_app_request_phone"); }
  }};
}());
"""


def main() -> None:
    parser = argparse.ArgumentParser(description="local Telegram Bot API stand-in")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    args = parser.parse_args()
    server, _ = serve(args.port, args.token)
    http_standin.run_until_interrupted(server)


if __name__ == "__main__":
    main()
