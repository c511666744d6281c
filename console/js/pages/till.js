/* The till (#/till): a cashier (or an owner, a manager) at a location finds a customer's card (typed, or
   scanned from the wallet card with the phone's camera), sells with or without points, and refunds one of
   today's receipts. The API is /admin/till/* (the POS API's answers). One receipt id per sale, made when
   the sale is confirmed the first time and sent again on every retry: a double tap or a lost answer never
   sells twice. The camera reads the QR with the browser's BarcodeDetector, else with the vendored jsQR
   (console/vendor/jsqr.js, loaded only here, only then). */
(function () {
  "use strict";
  var LC = window.LC;
  var h = LC.h;
  var PLACE_KEY = "lc.till.place";
  var SCAN_EVERY_MS = 120;
  var active = null;  // the camera being read: {stream, timer}

  LC.texts({
    ru: {
      "till.title": "Касса",
      "till.nav": "Касса",
      "till.place": "Точка",
      "till.no_location": "Нет открытой точки: вам не назначена ни одна открытая точка. Обратитесь к владельцу.",
      "till.program_without_locations": "{program} (без точек)",
      "till.card_number": "Номер карты",
      "till.card_hint": "12 цифр с карты клиента или отсканируйте QR-код",
      "till.find": "Найти",
      "till.scan": "Сканировать",
      "till.stop_scan": "Остановить камеру",
      "till.scanning": "Наведите камеру на QR-код карты клиента.",
      "till.no_camera": "Камера недоступна: введите номер карты.",
      "till.camera_denied": "Нет доступа к камере: разрешите его в браузере или введите номер карты.",
      "till.video": "Изображение с камеры",
      "till.customer": "Клиент",
      "till.no_name": "Без имени",
      "till.balance": "Баланс",
      "till.available": "Можно списать",
      "till.tier": "Уровень",
      "till.blocked": "Карта заблокирована: баллы не начисляются и не списываются.",
      "till.total": "Сумма покупки",
      "till.redeem": "Списать баллов",
      "till.redeem_hint": "Не больше {max}",
      "till.earn_hint": "Клиент получит {earn}",
      "till.clamped": "Уменьшено до {max}: больше списать нельзя.",
      "till.confirm": "Провести",
      "till.retry_hint": "Ответа не было: нажмите «Провести» ещё раз — покупка не задвоится.",
      "till.sold": "Покупка проведена",
      "till.earned": "Начислено",
      "till.redeemed": "Списано",
      "till.new_balance": "Новый баланс",
      "till.next": "Следующий клиент",
      "till.sale_without_card": "Продажа без карты",
      "till.refund": "Возврат",
      "till.refund_title": "Возврат: покупки за сегодня",
      "till.no_receipts": "Сегодня покупок на этой точке нет.",
      "till.refund_amount": "Сумма возврата",
      "till.refund_of": "Вернуть {amount}?",
      "till.refund_button": "Вернуть",
      "till.refunded": "Возврат проведён: списано {reversed}, возвращено {returned}, баланс {balance}.",
      "till.refunded_part": "возвращено {amount}",
      "till.refunded_all": "возвращена полностью",
      "till.close": "Закрыть",
      "till.receipt_line": "{time} · {card} · {total}"
    },
    en: {
      "till.title": "Till",
      "till.nav": "Till",
      "till.place": "Location",
      "till.no_location": "No open location: you are assigned to no open location. Ask the owner.",
      "till.program_without_locations": "{program} (no locations)",
      "till.card_number": "Card number",
      "till.card_hint": "The 12 digits of the customer's card, or scan its QR code",
      "till.find": "Find",
      "till.scan": "Scan",
      "till.stop_scan": "Stop the camera",
      "till.scanning": "Point the camera at the QR code of the customer's card.",
      "till.no_camera": "No camera available: type the card number.",
      "till.camera_denied": "No access to the camera: allow it in the browser or type the card number.",
      "till.video": "Camera picture",
      "till.customer": "Customer",
      "till.no_name": "No name",
      "till.balance": "Balance",
      "till.available": "Can be spent",
      "till.tier": "Tier",
      "till.blocked": "This card is blocked: no points are earned or spent.",
      "till.total": "Purchase total",
      "till.redeem": "Points to spend",
      "till.redeem_hint": "At most {max}",
      "till.earn_hint": "The customer earns {earn}",
      "till.clamped": "Lowered to {max}: no more can be spent.",
      "till.confirm": "Confirm",
      "till.retry_hint": "No answer came: press Confirm again; the sale will not be recorded twice.",
      "till.sold": "Sale recorded",
      "till.earned": "Earned",
      "till.redeemed": "Spent",
      "till.new_balance": "New balance",
      "till.next": "Next customer",
      "till.sale_without_card": "Sale without a card",
      "till.refund": "Refund",
      "till.refund_title": "Refund: today's sales",
      "till.no_receipts": "No sales at this location today.",
      "till.refund_amount": "Amount to refund",
      "till.refund_of": "Refund {amount}?",
      "till.refund_button": "Refund",
      "till.refunded": "Refund recorded: {reversed} taken back, {returned} given back, balance {balance}.",
      "till.refunded_part": "{amount} refunded",
      "till.refunded_all": "fully refunded",
      "till.close": "Close",
      "till.receipt_line": "{time} · {card} · {total}"
    }
  });

  /* A new id for a sale or a refund (the API's idempotency key). */
  function newId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function fractionDigits(currency) {
    return new Intl.NumberFormat("en", {style: "currency", currency: currency || "RUB"}).resolvedOptions().maximumFractionDigits;
  }

  /* "1 250,50" or "1250.5" -> minor units (null when it is not an amount). */
  function toMinor(text, currency) {
    var clean = String(text || "").replace(/[\s\u00a0]/g, "").replace(",", ".");
    if (!/^\d+(\.\d{0,2})?$/.test(clean)) return null;
    return Math.round(parseFloat(clean) * Math.pow(10, fractionDigits(currency)));
  }

  function toMajor(minor, currency) {
    var digits = fractionDigits(currency);
    return (minor / Math.pow(10, digits)).toFixed(digits).replace(/\.0+$/, "");
  }

  function stopCamera() {
    if (!active) return;
    window.clearTimeout(active.timer);
    active.stream.getTracks().forEach(function (track) { track.stop(); });
    active = null;
  }
  window.addEventListener("hashchange", stopCamera);

  /* The vendored jsQR, loaded once, next to console.js and under its version. */
  var jsQRLoading = null;
  function loadJsQR() {
    if (window.jsQR) return Promise.resolve(window.jsQR);
    if (jsQRLoading) return jsQRLoading;
    var own = document.querySelector('script[src*="/console/assets/"][src$="/console.js"]');
    var src = own ? own.getAttribute("src").replace(/console\.js$/, "jsqr.js") : null;
    jsQRLoading = new Promise(function (resolve, reject) {
      if (!src) { reject(new Error("no console script")); return; }
      var script = h("script", {src: src, async: true});
      script.addEventListener("load", function () { resolve(window.jsQR); });
      script.addEventListener("error", function () { jsQRLoading = null; reject(new Error(LC.t("core.network"))); });
      document.head.appendChild(script);
    });
    return jsQRLoading;
  }

  /* A reader of video frames: the browser's BarcodeDetector when it reads QR codes, else jsQR. */
  function qrReader() {
    var native = window.BarcodeDetector && window.BarcodeDetector.getSupportedFormats
      ? window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        return formats.indexOf("qr_code") >= 0 ? new window.BarcodeDetector({formats: ["qr_code"]}) : null;
      }).catch(function () { return null; })
      : Promise.resolve(null);
    return native.then(function (detector) {
      if (detector) {
        return function (video) {
          return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
        };
      }
      return loadJsQR().then(function (jsQR) {
        var canvas = document.createElement("canvas");
        var context = canvas.getContext("2d", {willReadFrequently: true});
        return function (video) {
          var width = video.videoWidth, height = video.videoHeight;
          if (!width || !height) return Promise.resolve(null);
          var scale = Math.min(1, 640 / width);
          canvas.width = Math.round(width * scale);
          canvas.height = Math.round(height * scale);
          context.drawImage(video, 0, 0, canvas.width, canvas.height);
          var image = context.getImageData(0, 0, canvas.width, canvas.height);
          var code = jsQR(image.data, image.width, image.height, {inversionAttempts: "attemptBoth"});
          return Promise.resolve(code ? code.data : null);
        };
      });
    });
  }

  /* Open the back camera in `box` and call found(text) with the first QR code read. */
  function scan(box, status, found) {
    stopCamera();
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status.textContent = LC.t("till.no_camera");
      return;
    }
    var video = h("video", {class: "till-video", playsinline: true, muted: true, autoplay: true,
                            "aria-label": LC.t("till.video")});
    video.muted = true;
    var stop = h("button", {type: "button", class: "till-big", text: LC.t("till.stop_scan"), on: {click: function () {
      stopCamera();
      LC.clear(box);
      status.textContent = "";
    }}});
    LC.append(LC.clear(box), [video, stop]);
    status.textContent = LC.t("till.scanning");
    var reading = qrReader();
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false}).then(function (stream) {
      var mine = {stream: stream, timer: null};
      active = mine;
      video.srcObject = stream;
      var played = video.play();
      if (played && played.catch) played.catch(function () { /* autoplay refused: the frames still come */ });
      return reading.then(function (read) {
        function tick() {
          if (active !== mine) return;
          read(video).then(function (text) {
            if (active !== mine) return;
            if (text) {
              stopCamera();
              LC.clear(box);
              status.textContent = "";
              found(text);
            } else {
              mine.timer = window.setTimeout(tick, SCAN_EVERY_MS);
            }
          }).catch(function () { if (active === mine) mine.timer = window.setTimeout(tick, SCAN_EVERY_MS); });
        }
        tick();
      });
    }).catch(function (error) {
      stopCamera();
      LC.clear(box);
      status.textContent = error && (error.name === "NotAllowedError" || error.name === "SecurityError")
        ? LC.t("till.camera_denied") : LC.t("till.no_camera");
    });
  }

  function placeKey(place) {
    return place.id ? "l:" + place.id : "p:" + place.program_id;
  }

  function placeQuery(place) {
    return place.id ? {location_id: place.id} : {program_id: place.program_id};
  }

  function places(till) {
    var list = till.locations.map(function (location) {
      return Object.assign({label: location.name + (location.address ? " · " + location.address : "")}, location);
    });
    till.programs_without_locations.forEach(function (program) {
      list.push(Object.assign({id: null, label: LC.t("till.program_without_locations", {program: program.program_name})},
                              program));
    });
    return list;
  }

  function fact(label, value, name) {
    return h("div", {class: "till-fact"}, h("span", {class: "muted", text: label}),
             h("strong", {text: value, "data-fact": name}));
  }

  /* The sale of one card (or none): total, points, Confirm; the answer. */
  function saleForm(place, card, holder, reset, onSold) {
    var currency = place.currency;
    var saleId = null;  // made on the first Confirm, reused on every retry of this sale
    var quote = null;
    var hint = h("p", {class: "hint till-quote", "aria-live": "polite"});
    var retry = h("p", {class: "notice", hidden: true, text: LC.t("till.retry_hint")});
    var totalId = LC.uid("till-total"), redeemId = LC.uid("till-redeem");
    var total = h("input", {id: totalId, name: "total", inputmode: "decimal", autocomplete: "off", class: "till-input",
                            required: true});
    var redeem = h("input", {id: redeemId, name: "redeem", type: "number", inputmode: "numeric", min: 0, step: 1,
                             value: "0", class: "till-input"});
    var clamped = h("p", {class: "hint till-clamped", id: redeemId + "-clamped", "aria-live": "polite", hidden: true});
    redeem.setAttribute("aria-describedby", redeemId + "-clamped");
    var redeemRow = h("div", {class: "field", hidden: !card}, h("label", {for: redeemId, text: LC.t("till.redeem")}),
                      redeem, clamped);
    var quoteToken = 0, quoteTimer = null;

    /* The points asked, within 0..max_redeem: a value above the most allowed is lowered to it, and the
       field says so (never silently). */
    function points() {
      var asked = Math.max(0, Math.floor(Number(redeem.value || 0)) || 0);
      if (quote && asked > quote.max_redeem) {
        redeem.value = String(quote.max_redeem);
        clamped.textContent = LC.t("till.clamped", {max: LC.number(quote.max_redeem)});
        clamped.hidden = false;
        return quote.max_redeem;
      }
      return asked;
    }

    /* The quote for the total and the points being spent: "At most N" as soon as the total is typed, and
       the earn of the receipt as it would be paid (POST /admin/till/quote with `redeem`). */
    function askQuote() {
      window.clearTimeout(quoteTimer);
      var minor = toMinor(total.value, currency);
      if (!card || minor === null) { hint.textContent = ""; return; }
      var token = ++quoteToken;
      var spend = quote && quote.total === minor ? points() : 0;
      var body = Object.assign(placeQuery(place), {card: card.card_number, total: minor});
      if (spend > 0) body.redeem = spend;
      LC.api("POST", "/admin/till/quote", body)
        .then(function (answer) {
          if (token !== quoteToken) return;
          quote = Object.assign({total: minor}, answer);
          redeem.max = String(answer.max_redeem);
          points();  // a new total may allow fewer points: lowered, and said
          redeemRow.hidden = answer.max_redeem <= 0;
          var now = Math.max(0, Math.floor(Number(redeem.value || 0)) || 0), earn = null;  // as points() reads it
          if (now <= 0) earn = answer.earn;
          else if (now === spend) earn = answer.earn_with_redeem;
          else if (now === answer.max_redeem) earn = answer.earn_with_max_redeem;
          else later();  // other points than asked with: asked again with them (no earn shown meanwhile)
          hint.textContent = [answer.max_redeem > 0 ? LC.t("till.redeem_hint", {max: LC.number(answer.max_redeem)}) : "",
                              earn === null ? "" : LC.t("till.earn_hint", {earn: LC.number(earn)})]
            .filter(Boolean).join(" · ");
        }).catch(function (error) { if (token === quoteToken) hint.textContent = error.message; });
    }
    function later() {
      window.clearTimeout(quoteTimer);
      quoteTimer = window.setTimeout(askQuote, 300);
    }
    total.addEventListener("input", function () { quote = null; later(); });
    total.addEventListener("change", askQuote);
    total.addEventListener("blur", askQuote);
    redeem.addEventListener("input", function () { clamped.hidden = true; later(); });
    redeem.addEventListener("change", function () { points(); askQuote(); });

    var form = LC.form({
      class: "till-sale",
      fields: [{element: h("div", {class: "field"},
                           h("label", {for: totalId}, LC.t("till.total") + " (" + currency + ")",
                             h("span", {class: "req", "aria-hidden": "true", text: " *"})), total)},
               {element: redeemRow}, {element: hint}, {element: retry}],
      submit: LC.t("till.confirm"),
      onSubmit: function () {
        var minor = toMinor(total.value, currency);
        if (minor === null) throw new LC.ApiError(400, "invalid_value", "total", LC.t("error.invalid_value"));
        var spend = card ? points() : 0;
        saleId = saleId || newId();
        var body = Object.assign(placeQuery(place), {receipt_id: saleId, total: minor});
        if (card) body.card = card.card_number;
        if (spend > 0) body.redeem = spend;
        retry.hidden = true;
        return LC.api("POST", "/admin/till/receipts", body).then(function (answer) {
          if (onSold) onSold(answer);
          showSold(answer);
        }, function (error) {
          // no answer, or a busy card: the same id goes again on the next Confirm
          retry.hidden = !(error.status === 0 || error.status >= 500 || error.code === "conflict_retry");
          if (error.field === "total" || error.field === "redeem") {
            throw new LC.ApiError(error.status, error.code, null, error.message);
          }
          throw error;
        });
      }
    });

    function showSold(answer) {
      LC.clear(holder);
      holder.appendChild(h("section", {class: "panel till-answer", "aria-live": "polite"},
        h("h2", {text: LC.t("till.sold")}),
        h("div", {class: "till-facts"},
          fact(LC.t("till.earned"), LC.number(answer.earned), "earned"),
          fact(LC.t("till.redeemed"), LC.number(answer.redeemed), "redeemed"),
          answer.balance === null || answer.balance === undefined ? null
            : fact(LC.t("till.new_balance"), LC.number(answer.balance), "balance")),
        h("div", {class: "actions"}, h("button", {type: "button", class: "primary till-big", text: LC.t("till.next"),
                                                  on: {click: reset}}))));
      holder.querySelector("h2").setAttribute("tabindex", "-1");
      holder.querySelector("h2").focus();
    }

    LC.append(LC.clear(holder), form);
    total.focus();
  }

  function cardPanel(card) {
    return h("section", {class: "panel till-card", "aria-live": "polite"},
      h("h2", {text: card.name || LC.t("till.no_name")}),
      h("p", {class: "muted", text: card.card_number.replace(/(\d{4})(?=\d)/g, "$1 ")}),
      card.status !== "active" ? h("p", {class: "notice", text: LC.t("till.blocked")}) : null,
      h("div", {class: "till-facts"},
        fact(LC.t("till.balance"), LC.number(card.balance), "balance"),
        fact(LC.t("till.available"), LC.number(card.available), "available"),
        fact(LC.t("till.tier"), card.tier_name || card.tier, "tier")));
  }

  /* Today's receipts at the place, each with its Refund. */
  function refunds(place, holder) {
    LC.loading(holder);
    return LC.api("GET", LC.query("/admin/till/receipts", Object.assign(placeQuery(place), {limit: 50})))
      .then(function (page) {
        LC.loaded(LC.clear(holder));
        var close = h("button", {type: "button", class: "till-big", text: LC.t("till.close"),
                                 on: {click: function () { LC.clear(holder); }}});
        var heading = h("h2", {tabindex: "-1", text: LC.t("till.refund_title")});
        holder.appendChild(heading);
        heading.focus();  // the list is below the card: bring it into view
        if (!page.items.length) {
          LC.empty(holder, LC.t("till.no_receipts"));
          holder.appendChild(close);
          return;
        }
        holder.appendChild(h("ul", {class: "till-receipts"}, page.items.map(function (item) {
          return receiptRow(place, item, holder);
        })));
        holder.appendChild(close);
      });
  }

  function receiptRow(place, item, holder) {
    var left = item.total - item.refunded_amount;
    var when = new Intl.DateTimeFormat(LC.lang, {timeStyle: "short"}).format(new Date(item.created_at));
    var card = item.card_last4 ? "•••• " + item.card_last4 : LC.t("till.sale_without_card");
    var line = LC.t("till.receipt_line", {time: when, card: card, total: LC.money(item.total, place.currency)});
    var state = item.refunded_amount <= 0 ? null : h("span", {class: "muted", text: left <= 0 ? LC.t("till.refunded_all")
      : LC.t("till.refunded_part", {amount: LC.money(item.refunded_amount, place.currency)})});
    var row = h("li", {class: "panel till-receipt", "data-receipt": item.receipt_id}, h("p", {}, line, " ", state));
    if (left <= 0) return row;
    var amountId = LC.uid("till-refund");
    var amount = h("input", {id: amountId, inputmode: "decimal", autocomplete: "off", class: "till-input",
                             value: toMajor(left, place.currency)});
    var refundId = null;  // one per refund of this receipt, reused on a retry
    var button = h("button", {type: "button", class: "danger till-big", text: LC.t("till.refund_button"), on: {click: function () {
      var minor = toMinor(amount.value, place.currency);
      if (minor === null || minor <= 0 || minor > left) {
        amount.setAttribute("aria-invalid", "true");
        amount.focus();
        return;
      }
      amount.removeAttribute("aria-invalid");
      LC.confirm(LC.t("till.refund_of", {amount: LC.money(minor, place.currency)}), LC.t("till.refund_button"))
        .then(function (yes) {
          if (!yes) return null;
          refundId = refundId || newId();
          button.disabled = true;
          return LC.api("POST", "/admin/till/refunds", Object.assign(placeQuery(place), {
            refund_id: refundId, receipt_id: item.receipt_id, amount: minor
          })).then(function (answer) {
            refundId = null;
            LC.toast(LC.t("till.refunded", {reversed: LC.number(answer.points_reversed),
                                            returned: LC.number(answer.points_returned),
                                            balance: answer.balance === null ? "—" : LC.number(answer.balance)}));
            return refunds(place, holder);
          });
        }).catch(function (error) {
          button.disabled = false;
          LC.toast(error.message, "error");
        });
    }}});
    LC.append(row, h("div", {class: "till-refund-row"},
      h("div", {class: "field"}, h("label", {for: amountId, text: LC.t("till.refund_amount")}), amount), button));
    return row;
  }

  function drawTill(page, place) {
    var status = h("p", {class: "muted till-status", "aria-live": "polite"});
    var camera = h("div", {class: "till-camera"});
    var cardBox = h("div", {class: "till-card-box"});
    var saleBox = h("div", {class: "till-sale-box"});
    var refundBox = h("section", {class: "till-refunds"});
    var numberId = LC.uid("till-number");
    var number = h("input", {id: numberId, name: "card", inputmode: "numeric", autocomplete: "off", class: "till-input",
                             "aria-describedby": numberId + "-hint", maxlength: 64});

    function reset() {
      stopCamera();
      number.value = "";
      LC.clear(cardBox);
      LC.clear(camera);
      status.textContent = "";
      saleForm(place, null, saleBox, reset);
      number.focus();
    }

    function lookUp(text) {
      var raw = String(text || "").trim();
      if (!raw) { number.focus(); return; }
      number.value = raw;
      status.textContent = "";
      LC.loading(cardBox);
      var path = "/admin/till/cards/" + encodeURIComponent(raw.replace(/[\s-]/g, ""));  // as typed: "4821 7730 9152"
      LC.api("GET", LC.query(path, placeQuery(place))).then(function (card) {
        LC.loaded(LC.clear(cardBox));
        number.value = card.card_number.replace(/(\d{4})(?=\d)/g, "$1 ");
        cardBox.appendChild(cardPanel(card));
        saleForm(place, card, saleBox, reset, function (answer) {  // the card as it is after the sale
          if (answer.balance === null || answer.balance === undefined) return;
          LC.clear(cardBox).appendChild(cardPanel(Object.assign({}, card, {
            balance: answer.balance, available: answer.available === null || answer.available === undefined
              ? card.available : answer.available})));
        });
      }).catch(function (error) {
        LC.loaded(LC.clear(cardBox));
        status.textContent = error.message;
        number.setAttribute("aria-invalid", "true");
        number.focus();
      });
    }
    number.addEventListener("input", function () { number.removeAttribute("aria-invalid"); });
    number.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); lookUp(number.value); }
    });

    var find = h("section", {class: "panel till-find"},
      h("div", {class: "field"}, h("label", {for: numberId, text: LC.t("till.card_number")}),
        h("p", {class: "hint", id: numberId + "-hint", text: LC.t("till.card_hint")}), number),
      h("div", {class: "actions till-actions"},
        h("button", {type: "button", class: "primary till-big till-scan", text: LC.t("till.scan"), on: {click: function () {
          scan(camera, status, lookUp);
        }}}),
        h("button", {type: "button", class: "till-big", text: LC.t("till.find"), on: {click: function () { lookUp(number.value); }}}),
        h("button", {type: "button", class: "till-big", text: LC.t("till.refund"), on: {click: function () {
          reset();  // a refund is its own errand: the sale on screen goes
          refunds(place, refundBox).catch(function (error) { LC.banner(refundBox, error.message); });
        }}})),
      status, camera);
    LC.append(page, [find, cardBox, saleBox, refundBox]);
    saleForm(place, null, saleBox, reset);
    number.focus();
  }

  LC.route("#/till", {title: "till.title", navTitle: "till.nav", permission: "till:write", order: 5, render: function (page) {
    stopCamera();
    LC.loading(page);
    return LC.api("GET", "/admin/till").then(function (till) {
      LC.loaded(LC.clear(page));
      var list = places(till);
      if (!list.length) {
        page.appendChild(h("p", {class: "notice", text: LC.t("till.no_location")}));
        return;
      }
      var saved = null;
      try { saved = window.localStorage.getItem(PLACE_KEY); } catch (e) { saved = null; }
      var chosen = list.filter(function (place) { return placeKey(place) === saved; })[0] || list[0];
      var body = h("div", {class: "till"});
      if (list.length > 1) {
        var pickId = LC.uid("till-place");
        var pick = h("select", {id: pickId, class: "till-input", on: {change: function () {
          var next = list.filter(function (place) { return placeKey(place) === pick.value; })[0];
          try { window.localStorage.setItem(PLACE_KEY, pick.value); } catch (e) { /* this visit only */ }
          stopCamera();
          LC.clear(body);
          drawTill(body, next);
        }}}, list.map(function (place) {
          return h("option", {value: placeKey(place), text: place.label, selected: place === chosen});
        }));
        page.appendChild(h("div", {class: "field till-place"}, h("label", {for: pickId, text: LC.t("till.place")}), pick));
      } else {
        page.appendChild(h("p", {class: "till-place muted", text: LC.t("till.place") + ": " + chosen.label}));
      }
      page.appendChild(body);
      drawTill(body, chosen);
    });
  }});
})();
