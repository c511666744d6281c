/* The console's library, part 4: forms with field-level errors, loading and empty states, toasts and
   confirmations. Everything is built with LC.h; nothing parses HTML. */
(function () {
  "use strict";
  var LC = window.LC;
  var h = LC.h;

  LC.loading = function (el) {
    LC.clear(el);
    el.appendChild(h("p", {class: "loading", role: "status", text: LC.t("core.loading")}));
    el.setAttribute("aria-busy", "true");
    return el;
  };
  LC.loaded = function (el) {
    el.removeAttribute("aria-busy");
    var spinner = el.querySelector(":scope > .loading");
    if (spinner) spinner.remove();
    return el;
  };
  LC.empty = function (el, text) {
    LC.clear(el);
    el.removeAttribute("aria-busy");
    el.appendChild(h("p", {class: "empty", text: text || LC.t("core.empty")}));
    return el;
  };

  /* A short message in the live region (screen readers read it); it goes away after a while. */
  LC.toast = function (text, kind) {
    var region = document.getElementById("lc-toasts");
    if (!region) return;
    var item = h("p", {class: ["toast", kind === "error" ? "toast-error" : ""], text: text});
    region.appendChild(item);
    window.setTimeout(function () { item.remove(); }, kind === "error" ? 8000 : 4000);
  };

  /* A modal question; resolves true (confirmed) or false. */
  LC.confirm = function (text, okLabel) {
    return new Promise(function (resolve) {
      var textId = LC.uid("confirm");
      var dialog = h("dialog", {class: "confirm", "aria-labelledby": textId});
      function close(answer) {
        dialog.close();
        dialog.remove();
        resolve(answer);
      }
      var ok = h("button", {type: "button", class: "danger", text: okLabel || LC.t("core.ok"),
                            on: {click: function () { close(true); }}});
      var cancel = h("button", {type: "button", text: LC.t("core.cancel"), on: {click: function () { close(false); }}});
      dialog.addEventListener("cancel", function (event) { event.preventDefault(); close(false); });
      LC.append(dialog, [h("p", {id: textId, text: text}), h("div", {class: "actions"}, ok, cancel)]);
      document.body.appendChild(dialog);
      dialog.showModal();
      cancel.focus();
    });
  };

  /* A button that copies text to the clipboard. */
  LC.copyButton = function (text, label) {
    return h("button", {type: "button", class: "secondary", text: label || LC.t("core.copy"), on: {click: function () {
      var done = function () { LC.toast(LC.t("core.copied")); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
      } else {
        fallbackCopy(text);
        done();
      }
    }}});
  };
  function fallbackCopy(text) {
    var area = h("textarea", {class: "offscreen", "aria-hidden": "true", tabindex: "-1"});
    area.value = text;
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* the text stays visible to copy by hand */ }
    area.remove();
  }

  /* A message banner (role=alert) at the top of an element. */
  LC.banner = function (el, text, kind) {
    var old = el.querySelector(":scope > .banner");
    if (old) old.remove();
    if (!text) return null;
    var banner = h("div", {class: ["banner", kind === "ok" ? "banner-ok" : "banner-error"],
                           role: kind === "ok" ? "status" : "alert", tabindex: "-1"}, text);
    el.insertBefore(banner, el.firstChild);
    return banner;
  };

  function optionList(options) {
    return (options || []).map(function (option) {
      return typeof option === "object" ? option : {value: option, label: String(option)};
    });
  }

  function control(field, id, hintId, errorId) {
    var type = field.type || "text";
    var common = {id: id, name: field.name, required: field.required ? true : undefined,
                  "aria-describedby": [field.hint ? hintId : "", errorId].filter(Boolean).join(" "),
                  autocomplete: field.autocomplete, placeholder: field.placeholder,
                  disabled: field.disabled, readonly: field.readonly, inputmode: field.inputmode,
                  pattern: field.pattern, maxlength: field.maxlength, accept: field.accept, lang: field.lang};
    var el;
    if (type === "select") {
      el = h("select", common, optionList(field.options).map(function (option) {
        return h("option", {value: option.value, text: option.label,
                            selected: String(option.value) === String(field.value === undefined ? "" : field.value)});
      }));
    } else if (type === "textarea") {
      el = h("textarea", Object.assign(common, {rows: field.rows || 3}));
      if (field.value !== undefined && field.value !== null) el.value = field.value;
    } else if (type === "checkbox") {
      el = h("input", Object.assign(common, {type: "checkbox", checked: Boolean(field.value)}));
    } else {
      el = h("input", Object.assign(common, {type: type, min: field.min, max: field.max, step: field.step}));
      if (field.value !== undefined && field.value !== null && type !== "file") el.value = field.value;
    }
    if (field.onInput) el.addEventListener("input", function () { field.onInput(el.value, el); });
    return el;
  }

  function readValue(field, el) {
    var type = field.type || "text";
    if (type === "checkbox") return el.checked;
    if (type === "file") return el.files && el.files[0] ? el.files[0] : null;
    if (type === "number") return el.value === "" ? null : Number(el.value);
    return el.value.trim ? el.value.trim() : el.value;
  }

  /* LC.form({fields: [...], submit: "Save", onSubmit: async (values) => ...}) -> <form>.
     Checks required fields and number bounds itself (all errors at once, in the console's language);
     while onSubmit runs the form is disabled; an LC.ApiError with `field` marks that field (aria-invalid,
     the message under it, focus), any other error goes into a banner at the top. */
  LC.form = function (spec) {
    var form = h("form", {class: ["lc-form", spec.class], novalidate: true});
    var rows = {};
    (spec.fields || []).forEach(function (field) {
      if (field.element) { form.appendChild(field.element); return; }
      var id = LC.uid("f-" + field.name.replace(/[^\w-]/g, "_"));
      var hintId = id + "-hint", errorId = id + "-error";
      var el = control(field, id, hintId, errorId);
      var error = h("p", {class: "field-error", id: errorId, hidden: true});
      var label = h("label", {for: id}, field.label, field.required ? h("span", {class: "req", "aria-hidden": "true", text: " *"}) : null);
      var row = field.type === "checkbox"
        ? h("div", {class: "field field-check"}, el, label, field.hint ? h("p", {class: "hint", id: hintId, text: field.hint}) : null, error)
        : h("div", {class: "field"}, label, field.hint ? h("p", {class: "hint", id: hintId, text: field.hint}) : null, el, error);
      if (field.hidden) row.hidden = true;
      rows[field.name] = {field: field, el: el, error: error, row: row};
      form.appendChild(row);
    });
    var button = h("button", {type: "submit", class: "primary", text: spec.submit || LC.t("core.save")});
    form.appendChild(h("div", {class: "actions"}, button, spec.extra || null));

    function mark(name, message) {
      var row = rows[name];
      row.el.setAttribute("aria-invalid", "true");
      row.error.textContent = message;
      row.error.hidden = false;
    }
    function clearMarks() {
      LC.banner(form, null);
      Object.keys(rows).forEach(function (name) {
        rows[name].el.removeAttribute("aria-invalid");
        rows[name].error.hidden = true;
        rows[name].error.textContent = "";
      });
    }
    /* The form field an API error's `field` names: itself, the longest field whose name starts it
       ("branding" for "branding.logo_text"), or one that lists it in `errorFields`. */
    function rowFor(apiField) {
      if (!apiField) return null;
      if (rows[apiField]) return apiField;
      var best = null;
      Object.keys(rows).forEach(function (name) {
        var listed = (rows[name].field.errorFields || []).some(function (prefix) {
          return apiField === prefix || apiField.indexOf(prefix + ".") === 0 || apiField.indexOf(prefix + "[") === 0;
        });
        var prefixed = apiField.indexOf(name + ".") === 0 || apiField.indexOf(name + "[") === 0;
        if ((listed || prefixed) && (!best || name.length > best.length)) best = name;
      });
      return best;
    }
    form.values = function () {
      var values = {};
      Object.keys(rows).forEach(function (name) { values[name] = readValue(rows[name].field, rows[name].el); });
      return values;
    };
    form.field = function (name) { return rows[name] && rows[name].el; };
    /* Editing a field takes its error away (and the banner once no field is marked): an error stays only
       while it is still true of what is on the screen. */
    Object.keys(rows).forEach(function (name) {
      function unmark() {
        if (rows[name].el.getAttribute("aria-invalid") !== "true") return;
        rows[name].el.removeAttribute("aria-invalid");
        rows[name].error.hidden = true;
        rows[name].error.textContent = "";
        var marked = Object.keys(rows).some(function (other) { return rows[other].el.getAttribute("aria-invalid") === "true"; });
        if (!marked) LC.banner(form, null);
      }
      rows[name].el.addEventListener("input", unmark);
      rows[name].el.addEventListener("change", unmark);
    });
    /* The browser's reset puts a select back on its first option, not on the value the form was built
       with (an invitation's role would become "owner"): back to the spec's values instead. */
    var browserReset = form.reset.bind(form);
    form.reset = function () {
      browserReset();
      clearMarks();
      Object.keys(rows).forEach(function (name) {
        var field = rows[name].field;
        if (field.value !== undefined && field.value !== null && field.type !== "checkbox") rows[name].el.value = field.value;
      });
    };
    form.showError = function (error) {
      var name = error instanceof LC.ApiError ? rowFor(error.field) : null;
      if (name) {
        mark(name, error.message);
        rows[name].el.focus();
      } else {
        var text = error instanceof LC.ApiError || !(error instanceof Error) || !error.message
          ? (error && error.message) || String(error) : error.message;
        LC.banner(form, text).focus();
      }
    };

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.classList.contains("busy")) return;
      clearMarks();
      var values = form.values();
      var first = null;
      Object.keys(rows).forEach(function (name) {
        var field = rows[name].field, value = values[name];
        var message = null;
        if (rows[name].row.hidden) return;
        if (field.required && (value === null || value === "" || value === false)) message = LC.t("core.required");
        else if (field.type === "number" && value !== null && isNaN(value)) message = LC.t("error.invalid_value");
        else if (field.type === "number" && value !== null && field.min !== undefined && value < field.min) message = LC.t("core.too_small", {min: field.min});
        else if (field.type === "number" && value !== null && field.max !== undefined && value > field.max) message = LC.t("core.too_large", {max: field.max});
        if (message) {
          mark(name, message);
          first = first || name;
        }
      });
      if (first) {
        LC.banner(form, LC.t("core.fix_errors"));
        rows[first].el.focus();
        return;
      }
      form.classList.add("busy");
      form.setAttribute("aria-busy", "true");
      var controls = Array.prototype.slice.call(form.elements).filter(function (el) { return !el.disabled; });
      controls.forEach(function (el) { el.disabled = true; });
      Promise.resolve().then(function () { return spec.onSubmit(values, form); }).catch(function (error) {
        return error;
      }).then(function (error) {
        form.classList.remove("busy");
        form.removeAttribute("aria-busy");
        controls.forEach(function (el) { el.disabled = false; });
        if (error instanceof Error || error instanceof LC.ApiError) form.showError(error);
      });
    });
    return form;
  };

  /* Draw now and again when `box` changes width (charts are drawn at the width they are shown at);
     stops listening once the box has left the page. */
  LC.redrawOnResize = function (box, draw) {
    draw();
    var width = box.clientWidth, timer = null;
    function onResize() {
      if (!box.isConnected) { window.removeEventListener('resize', onResize); return; }
      clearTimeout(timer);
      timer = setTimeout(function () { if (box.clientWidth !== width) { width = box.clientWidth; draw(); } }, 150);
    }
    window.addEventListener('resize', onResize);
  };

  /* A CSV export is a chain of pages (a few thousand rows a request, the next page's cursor in
     X-Next-Cursor): followed to the end and saved as one file named `name`. `path` may carry its own query
     (filters). Resolves with the name. */
  LC.downloadCsv = async function (path, name) {
    var parts = ['\ufeff'], cursor = null;
    do {
      var response = await LC.request('GET', LC.query(path, {cursor: cursor}), null, {accept: 'text/csv'});
      var text = await response.text();
      if (text && !/\n$/.test(text)) text += '\r\n';
      parts.push(text);
      var next = response.headers.get('X-Next-Cursor');
      cursor = next && next !== cursor ? next : null;
    } while (cursor);
    var url = URL.createObjectURL(new Blob(parts, {type: 'text/csv;charset=utf-8'}));
    var link = LC.h('a', {href: url, download: name, hidden: true});
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    return name;
  };
})();
