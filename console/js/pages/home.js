/* Home: the selected program's join link (copy, QR, posters) and shortcuts to the other pages. */
(function () {
  "use strict";
  var LC = window.LC;
  var h = LC.h;

  LC.texts({
    ru: {
      "home.title": "Главная",
      "home.platform": "Это консоль владельцев бизнеса. Оператор платформы работает через командную строку и API.",
      "home.no_merchant": "Ваша учётная запись не привязана к бизнесу.",
      "home.join_link": "Ссылка для вступления",
      "home.join_hint": "Поделитесь ссылкой или распечатайте плакат с QR-кодом для кассы.",
      "home.qr": "QR-код ссылки для вступления",
      "home.poster_a4": "Плакат A4",
      "home.poster_a5": "Плакат A5",
      "home.shortcuts": "Разделы",
      "home.new_program": "Создать ещё одну программу"
    },
    en: {
      "home.title": "Home",
      "home.platform": "This console is for business owners. The platform's operator works with the command line and the API.",
      "home.no_merchant": "Your account belongs to no business.",
      "home.join_link": "Join link",
      "home.join_hint": "Share the link or print the poster with its QR code for the counter.",
      "home.qr": "QR code of the join link",
      "home.poster_a4": "A4 poster",
      "home.poster_a5": "A5 poster",
      "home.shortcuts": "Sections",
      "home.new_program": "Create another program"
    }
  });

  LC.joinLink = function (program) {
    var base = (LC.config && LC.config.public_base_url) || window.location.origin;
    return base.replace(/\/$/, "") + "/join/" + program.slug;
  };

  /* The join link with its copy button, QR and poster links (home and the wizard's last step). */
  LC.joinPanel = function (program) {
    var link = LC.joinLink(program);
    var poster = "/console/poster/" + encodeURIComponent(program.slug) + "?lang=" + LC.lang + "&size=";
    return h("section", {class: "panel join-panel", "aria-labelledby": "join-link-title"},
      h("h2", {id: "join-link-title", text: LC.t("home.join_link")}),
      h("p", {class: "muted", text: LC.t("home.join_hint")}),
      h("p", {}, h("a", {href: link, class: "join-link", target: "_blank", rel: "noopener", text: link})),
      h("div", {class: "actions"}, LC.copyButton(link),
        h("a", {href: poster + "a4", target: "_blank", rel: "noopener", text: LC.t("home.poster_a4")}),
        h("a", {href: poster + "a5", target: "_blank", rel: "noopener", text: LC.t("home.poster_a5")})),
      LC.qr(link, LC.t("home.qr")));
  };

  LC.route("#/", {title: "home.title", order: 0, render: function (page) {
    if (LC.me && !LC.me.merchant) {
      page.appendChild(h("p", {class: "notice", text: LC.me.role === "platform" ? LC.t("home.platform") : LC.t("home.no_merchant")}));
      return;
    }
    if (!LC.program) {
      page.appendChild(h("p", {class: "notice"}, LC.t("core.no_program") + " ",
        LC.can("programs:write") ? h("a", {href: "#/wizard", text: LC.t("core.create_program")}) : null));
      return;
    }
    LC.heading(LC.program.name);
    page.appendChild(LC.joinPanel(LC.program));
    var links = LC.navRoutes().filter(function (route) { return route.pattern !== "#/"; });
    if (links.length) {
      page.appendChild(h("section", {class: "panel", "aria-labelledby": "home-shortcuts"},
        h("h2", {id: "home-shortcuts", text: LC.t("home.shortcuts")}),
        h("ul", {class: "shortcuts"}, links.map(function (route) {
          return h("li", {}, h("a", {href: route.pattern, text: LC.t(route.navTitle || route.title)}));
        }))));
    }
  }});
})();
