/* The console's library, part 3: our API. LC.api sends the ID token as a Bearer token, renews it once
   on a 401 and tries again, and turns the contract's error body into an LC.ApiError. */
(function () {
  "use strict";
  var LC = window.LC;

  /* An answer that is not 2xx: {status, code, field, message}; message is in the console's language
     when the code is one the console knows (error.<code>), else the API's own. */
  function ApiError(status, code, field, message) {
    this.name = "ApiError";
    this.status = status;
    this.code = code || "error";
    this.field = field || null;
    this.apiMessage = message || "";
    var key = "error." + this.code;
    this.message = LC.has(key) ? LC.t(key) : (message || LC.t("error.internal_error"));
  }
  ApiError.prototype = Object.create(Error.prototype);
  LC.ApiError = ApiError;

  function send(method, path, body, options) {
    var headers = {"Accept": options.accept || "application/json"};
    var token = LC.auth.idToken();
    if (token) headers.Authorization = "Bearer " + token;
    var payload;
    if (body instanceof Blob) {
      payload = body;
      headers["Content-Type"] = options.contentType || body.type || "application/octet-stream";
    } else if (body !== undefined && body !== null) {
      payload = JSON.stringify(body);
      headers["Content-Type"] = "application/json";
    }
    return fetch(path, {method: method, headers: headers, body: payload, credentials: "same-origin",
                        cache: "no-store"})
      .catch(function () { throw new ApiError(0, "network", null, LC.t("core.network")); });
  }

  function failure(response) {
    return response.text().then(function (text) {
      var error = {};
      try { error = (JSON.parse(text) || {}).error || {}; } catch (e) { error = {}; }
      return new ApiError(response.status, error.code || (response.status === 401 ? "unauthorized" : "error"),
                          error.field, error.message);
    });
  }

  /* The answer of a request, renewing the token once on a 401. options.raw: the Response itself. */
  function request(method, path, body, options) {
    options = options || {};
    return send(method, path, body, options).then(function (response) {
      if (response.status !== 401 || !LC.auth.hasSession()) return response;
      return LC.auth.refresh().then(function () { return send(method, path, body, options); },
                                    function () { return response; });
    }).then(function (response) {
      if (response.status === 401) {
        return failure(response).then(function (error) {
          LC.auth.ended();
          throw error;
        });
      }
      if (!response.ok) return failure(response).then(function (error) { throw error; });
      return response;
    });
  }
  LC.request = request;

  /* LC.api("GET", "/admin/programs") -> the parsed JSON, or null for an empty answer (204). */
  LC.api = function (method, path, body, options) {
    return request(method, path, body, options).then(function (response) {
      if (response.status === 204) return null;
      return response.text().then(function (text) { return text ? JSON.parse(text) : null; });
    });
  };

  /* Fetch a file with the token (exports) and hand it to the browser as a download. */
  LC.download = function (path, filename) {
    return request("GET", path, null, {accept: "*/*"}).then(function (response) {
      return response.blob();
    }).then(function (blob) {
      var url = URL.createObjectURL(blob);
      var link = LC.h("a", {href: url, download: filename, hidden: true});
      document.body.appendChild(link);
      link.click();
      link.remove();
      window.setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
      return true;
    });
  };

  /* Append ?a=1&b=2 to a path, leaving out empty values. */
  LC.query = function (path, params) {
    var parts = [];
    Object.keys(params || {}).forEach(function (name) {
      var value = params[name];
      if (value === undefined || value === null || value === "") return;
      parts.push(encodeURIComponent(name) + "=" + encodeURIComponent(value));
    });
    return parts.length ? path + (path.indexOf("?") >= 0 ? "&" : "?") + parts.join("&") : path;
  };

  /* A QR code as an <img> (the server draws the SVG; the text goes in a POST body, never a URL). */
  LC.qr = function (text, label) {
    var img = LC.h("img", {class: "qr", alt: label || "", width: 200, height: 200});
    fetch("/console/qr", {method: "POST", headers: {"Content-Type": "application/json"},
                          body: JSON.stringify({text: text}), cache: "no-store"})
      .then(function (response) { return response.ok ? response.blob() : null; })
      .then(function (blob) { if (blob) img.src = URL.createObjectURL(blob); })
      .catch(function () { /* the text beside it still works */ });
    return img;
  };
})();
