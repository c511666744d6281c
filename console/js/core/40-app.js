/* The console's library, part 5: the shell (header, navigation, program picker, language switch), the
   hash router, and start-up (config, resuming the tab's session, /admin/me, the programs). Pages only
   call LC.route(); start-up waits for DOMContentLoaded, when every page file has registered. */
(function () {
  "use strict";
  var LC = window.LC;
  var h = LC.h;
  var routes = [];
  var current = null;  // {route, params}
  var renderToken = 0;

  LC.me = null;
  LC.programs = [];
  LC.program = null;

  LC.can = function (permission) {
    if (!permission) return true;
    return Boolean(LC.me && (LC.me.permissions || []).indexOf(permission) >= 0);
  };

  /* A cashier: the till and nothing else (no program to read). Their home is the till page. */
  LC.tillOnly = function () {
    return LC.can("till:write") && !LC.can("programs:read");
  };

  /* LC.route("#/customers/:id", {title: "customers.title", permission: "cards:read", render: async (main, params) => {}})
     Options: nav (false hides it from the navigation; routes with parameters never show there), order
     (position in the navigation), public (no sign-in needed: the sign-in pages). The router writes the
     page's one <h1> from `title` (LC.heading(text) changes it) and moves focus there. */
  LC.route = function (pattern, options) {
    var names = [];
    var source = pattern.replace(/^#/, "").replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:(\w+)/g, function (all, name) {
      names.push(name);
      return "([^/]+)";
    });
    routes.push(Object.assign({pattern: pattern, regex: new RegExp("^" + source + "$"), names: names,
                               order: 100}, options));
  };

  LC.go = function (hash) {
    if (window.location.hash === hash) render();
    else window.location.hash = hash;
  };

  function match(hash) {
    var path = hash.replace(/^#/, "") || "/";
    for (var i = 0; i < routes.length; i++) {
      var found = routes[i].regex.exec(path);
      if (found) {
        var params = {};
        routes[i].names.forEach(function (name, j) { params[name] = decodeURIComponent(found[j + 1]); });
        return {route: routes[i], params: params};
      }
    }
    return null;
  }

  LC.heading = function (text) {
    var heading = document.querySelector("#main h1");
    if (heading) heading.textContent = text;
    document.title = text + " · " + LC.t("core.app");
  };

  function render() {
    var main = document.getElementById("main");
    var hash = window.location.hash;
    if (hash && hash.indexOf("#/") !== 0) {
      if (current || main.querySelector(".page")) return;  // an in-page anchor on a page already drawn
      hash = "#/";
    }
    if ((!hash || hash === "#/") && LC.auth.signedIn() && LC.tillOnly()) {
      window.location.replace("#/till");  // a cashier lands on the till (hashchange draws it)
      return;
    }
    var found = match(hash || "#/");
    var token = ++renderToken;
    if (found && !found.route.public && !LC.auth.signedIn()) {
      LC.afterSignIn = hash;
      found = match("#/sign-in");
    }
    current = found;
    LC.clear(main);
    main.removeAttribute("aria-busy");
    markNav();
    var title = found ? LC.t(found.route.title) : LC.t("core.not_found");
    var heading = h("h1", {tabindex: "-1", text: title});
    main.appendChild(heading);
    document.title = title + " · " + LC.t("core.app");
    document.body.classList.toggle("signed-out", !LC.auth.signedIn());
    if (!found) {
      main.appendChild(h("p", {}, h("a", {href: "#/", text: LC.t("nav.home")})));
    } else if (!found.route.public && !LC.can(found.route.permission)) {
      main.appendChild(h("p", {class: "notice", text: LC.t("core.not_allowed")}));
    } else if (found.route.needsProgram && !LC.program) {
      main.appendChild(h("p", {class: "notice"}, LC.t("core.no_program") + " ",
                         LC.can("programs:write") ? h("a", {href: "#/wizard", text: LC.t("core.create_program")}) : null));
    } else {
      var body = h("div", {class: "page"});
      main.appendChild(body);
      Promise.resolve().then(function () { return found.route.render(body, found.params); }).catch(function (error) {
        if (token !== renderToken) return;
        LC.loaded(body);
        LC.banner(body, (error && error.message) || String(error));
      });
    }
    if (LC.moveFocus !== false) heading.focus();
    LC.moveFocus = true;
    closeMenu();
  }
  LC.render = render;
  /* Whether the page drawn by `render` is still the one on screen (an answer arriving late is dropped). */
  LC.current = function () { return current; };

  // The shell.
  function navItems() {
    return routes.filter(function (route) {
      return !route.public && route.nav !== false && route.names.length === 0 && LC.can(route.permission) &&
        !(route.pattern === "#/" && LC.tillOnly());
    }).sort(function (a, b) { return a.order - b.order; });
  }

  LC.navRoutes = navItems;

  function buildNav() {
    var list = LC.clear(document.getElementById("lc-nav-list"));
    if (!LC.auth.signedIn()) return;
    navItems().forEach(function (route) {
      list.appendChild(h("li", {}, h("a", {href: route.pattern, "data-route": route.pattern, text: LC.t(route.navTitle || route.title)})));
    });
    markNav();
  }

  function markNav() {
    var hash = window.location.hash || "#/";
    Array.prototype.forEach.call(document.querySelectorAll("#lc-nav-list a"), function (link) {
      var route = link.getAttribute("data-route");
      var active = hash === route || (route !== "#/" && hash.indexOf(route + "/") === 0);
      if (active) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    });
  }

  function closeMenu() {
    var toggle = document.getElementById("lc-menu");
    if (toggle) toggle.setAttribute("aria-expanded", "false");
    document.body.classList.remove("menu-open");
  }

  function buildPicker() {
    var holder = LC.clear(document.getElementById("lc-program"));
    if (!LC.auth.signedIn() || LC.programs.length < 2) return;
    var id = LC.uid("program");
    var select = h("select", {id: id, on: {change: function () { LC.selectProgram(select.value); render(); }}},
      LC.programs.map(function (program) {
        return h("option", {value: program.id, text: program.name, selected: LC.program && program.id === LC.program.id});
      }));
    LC.append(holder, [h("label", {for: id, class: "visually-hidden", text: LC.t("core.program")}), select]);
  }

  function buildHeader() {
    var header = document.getElementById("lc-header");
    LC.clear(header);
    var menu = h("button", {type: "button", id: "lc-menu", class: "menu-toggle", "aria-expanded": "false",
                            "aria-controls": "lc-nav", text: LC.t("core.menu"), on: {click: function () {
      var open = menu.getAttribute("aria-expanded") !== "true";
      menu.setAttribute("aria-expanded", String(open));
      document.body.classList.toggle("menu-open", open);
    }}});
    var langId = LC.uid("lang");
    var lang = LC.languageSelect(langId);
    LC.append(header, [
      h("a", {class: "brand", href: "#/", text: LC.t("core.app")}),
      h("div", {class: "header-tools"},
        h("div", {id: "lc-program", class: "program-picker"}),
        h("div", {class: "lang"}, h("label", {for: langId, class: "visually-hidden", text: LC.t("core.language")}), lang),
        LC.auth.signedIn() ? menu : null),
      h("nav", {id: "lc-nav", "aria-label": LC.t("core.nav")}, h("ul", {id: "lc-nav-list"}))
    ]);
    buildNav();
    buildPicker();
  }
  LC.refreshShell = buildHeader;

  /* A <select> of the console's languages, each named in itself; choosing one switches the console. */
  LC.languageSelect = function (id) {
    var select = h("select", {id: id, on: {change: function () { LC.setLang(select.value); }}},
      LC.languages.map(function (code) {
        return h("option", {value: code, lang: code, text: code === "ru" ? "Русский" : "English", selected: code === LC.lang});
      }));
    return select;
  };

  LC.selectProgram = function (id) {
    LC.program = LC.programs.filter(function (p) { return p.id === id; })[0] || LC.programs[0] || null;
    try { if (LC.program) window.localStorage.setItem("lc.program", LC.program.id); } catch (e) { /* this tab only */ }
    buildPicker();
    return LC.program;
  };

  /* Read the merchant's programs again (after the wizard creates one or the design page saves). */
  LC.loadPrograms = function (selectId) {
    if (!LC.can("programs:read")) {
      LC.programs = [];
      LC.program = null;
      return Promise.resolve([]);
    }
    return LC.api("GET", "/admin/programs?limit=100").then(function (answer) {
      LC.programs = (answer && answer.items) || [];
      var saved = null;
      try { saved = window.localStorage.getItem("lc.program"); } catch (e) { saved = null; }
      LC.selectProgram(selectId || (LC.program && LC.program.id) || saved);
      return LC.programs;
    });
  };

  /* Called by the sign-in page once Cognito has answered with tokens. */
  LC.signedIn = function () {
    return LC.api("GET", "/admin/me").then(function (me) {
      LC.me = me;
      return LC.loadPrograms();
    }).then(function () {
      buildHeader();
      var next = LC.afterSignIn && LC.afterSignIn.indexOf("#/sign-in") !== 0 ? LC.afterSignIn : "#/";
      LC.afterSignIn = null;
      if (!LC.programs.length && LC.can("programs:write") && next === "#/") next = "#/wizard";
      LC.go(next);
    });
  };

  LC.onSignedOut = function (message) {
    LC.me = null;
    LC.programs = [];
    LC.program = null;
    buildHeader();
    if (window.location.hash && window.location.hash.indexOf("#/sign-in") !== 0) LC.afterSignIn = window.location.hash;
    LC.go("#/sign-in");
    if (message) LC.toast(message, "error");
  };

  LC.onLangChange = function () {
    buildHeader();
    LC.moveFocus = false;
    render();
    var lang = document.querySelector("#lc-header .lang select");
    if (lang) lang.focus();
  };

  function start() {
    buildHeader();
    var main = document.getElementById("main");
    // The skip link moves focus to the page's heading without touching the route in the address bar
    var skip = document.querySelector(".skip");
    if (skip) skip.addEventListener("click", function (event) {
      event.preventDefault();
      (main.querySelector("h1") || main).focus();
    });
    LC.loading(main);
    fetch("/console/config.json", {cache: "no-store"}).then(function (response) {
      if (!response.ok) throw new Error(LC.t("core.network"));
      return response.json();
    }).then(function (config) {
      LC.config = config;
      if (!LC.auth.hasSession()) return null;
      return LC.auth.refresh().then(function () {
        return LC.api("GET", "/admin/me");
      }).then(function (me) {
        LC.me = me;
        return LC.loadPrograms();
      }).catch(function () { LC.auth.forget(); return null; });
    }).then(function () {
      buildHeader();
      window.addEventListener("hashchange", function () { render(); });
      LC.moveFocus = false;  // a fresh load starts at the top (the skip link first); navigation moves focus
      if (LC.auth.signedIn() && !LC.programs.length && LC.can("programs:write") &&
          (!window.location.hash || window.location.hash === "#/")) {
        LC.go("#/wizard");
      } else {
        render();
      }
    }).catch(function (error) {
      LC.clear(main);
      main.removeAttribute("aria-busy");
      main.appendChild(h("h1", {text: LC.t("core.app")}));
      LC.banner(main, error.message || String(error));
    });
  }

  LC.texts({
    ru: {"nav.home": "Главная", "core.no_program": "Программы пока нет.", "core.create_program": "Создать программу"},
    en: {"nav.home": "Home", "core.no_program": "There is no program yet.", "core.create_program": "Create a program"}
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else window.setTimeout(start, 0);
})();
