/* Workspace Disk Admin: the little script the pages need. Everything works without it;
 * it adds focus management after htmx swaps, quiet live announcements, the theme switch,
 * copy buttons, and our own inline messages instead of the browser's validation bubbles.
 * No inline script or style anywhere (strict CSP): behaviour hangs off data attributes.
 */
(function () {
  "use strict";

  /* Theme switch: automatic -> light -> dark -> automatic. */
  var THEMES = ["auto", "light", "dark"];
  var ICONS = { auto: "auto", light: "sun", dark: "moon" };

  function currentTheme() {
    return document.documentElement.dataset.theme || "auto";
  }

  function showTheme(button) {
    var theme = currentTheme();
    button.querySelector(".theme-label").textContent = button.dataset["label" + theme[0].toUpperCase() + theme.slice(1)];
    var use = button.querySelector("use");
    if (use) use.setAttribute("href", use.getAttribute("href").replace(/#i-.*$/, "#i-" + ICONS[theme]));
  }

  function setUpThemeSwitch() {
    var button = document.getElementById("theme-switch");
    if (!button) return;
    button.hidden = false;
    showTheme(button);
    button.addEventListener("click", function () {
      var next = THEMES[(THEMES.indexOf(currentTheme()) + 1) % THEMES.length];
      if (next === "auto") delete document.documentElement.dataset.theme;
      else document.documentElement.dataset.theme = next;
      try {
        if (next === "auto") localStorage.removeItem("theme");
        else localStorage.setItem("theme", next);
      } catch (e) { /* not kept across pages, still applied now */ }
      showTheme(button);
    });
  }

  /* Copy buttons for ids. */
  function setUpCopyButtons(root) {
    root.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
      if (!navigator.clipboard) return;
      button.hidden = false;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.copy[data-copy]");
    if (!button || !navigator.clipboard) return;
    navigator.clipboard.writeText(button.dataset.copy).then(function () {
      button.classList.add("copied");
      announce(button.dataset.copied);
      setTimeout(function () { button.classList.remove("copied"); }, 1500);
    }, function () { /* clipboard refused: nothing to undo */ });
  });

  /* One polite live region per page for short announcements. */
  function announce(text) {
    var region = document.getElementById("announcer");
    if (!region) {
      region = document.createElement("div");
      region.id = "announcer";
      region.className = "visually-hidden";
      region.setAttribute("role", "status");
      document.body.appendChild(region);
    }
    region.textContent = "";
    setTimeout(function () { region.textContent = text; }, 50);
  }

  /* The polled status fragments (a request's, a batch's): announce only changes of state and
     progress milestones (a batch's: and failures), never the rows a batch's table redraws.
     The fragment carries its sentence in data-announce; the live region sits outside it. */
  var LIVE_FRAGMENTS = ["request-status", "batch-status"];

  function liveFragment() {
    for (var i = 0; i < LIVE_FRAGMENTS.length; i++) {
      var fragment = document.getElementById(LIVE_FRAGMENTS[i]);
      if (fragment) return fragment;
    }
    return null;
  }

  var lastAnnouncement = null;

  function announceStatus(fragment) {
    var region = document.getElementById("status-announcer");
    if (!region || !fragment || !fragment.dataset.announce) return;
    var text = fragment.dataset.announce;
    if (lastAnnouncement === null) { lastAnnouncement = text; return; }
    if (text !== lastAnnouncement) {
      lastAnnouncement = text;
      region.textContent = text;
    }
  }

  /* Audit filters: folded away on a phone unless a filter is in force. */
  function setUpFilterPanels() {
    document.querySelectorAll("details.filter-panel").forEach(function (panel) {
      if (window.matchMedia("(max-width: 40rem)").matches && !panel.hasAttribute("data-active")) {
        panel.open = false;
      }
    });
  }

  /* The add-disk form: no browser bubbles. A field the browser finds invalid is sent to the
     server's live validation instead, so the one message (rules.py) shows inline. */
  function setUpDiskForm(root) {
    root.querySelectorAll("form.disk-form").forEach(function (form) {
      if (form.dataset.enhanced) return;
      form.dataset.enhanced = "true";
      form.setAttribute("novalidate", "");
      form.addEventListener("submit", function (event) {
        var submitter = event.submitter;
        if (submitter && submitter.hasAttribute("formnovalidate")) return;
        var invalid = Array.prototype.filter.call(form.elements, function (field) {
          return field.willValidate && !field.checkValidity() && field.offsetParent !== null;
        });
        if (!invalid.length) return;
        event.preventDefault();
        invalid.forEach(function (field) {
          field.setAttribute("aria-invalid", "true");
          if (window.htmx && field.hasAttribute("hx-post")) window.htmx.trigger(field, "validate");
        });
        invalid[0].focus();
      });
    });
  }

  /* After an htmx swap: keep focus somewhere sensible and the list in view. */
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.target;
    if (!target || !target.querySelectorAll) return;
    setUpCopyButtons(target);
    setUpDiskForm(document);
    var status = liveFragment();
    if (status && (target === status || target.id === status.id)) announceStatus(status);
    if (target.hasAttribute && target.hasAttribute("data-swap-focus")) {
      var active = document.activeElement;
      if (!active || active === document.body || !document.contains(active)) {
        target.focus({ preventScroll: true });
      }
      var top = target.getBoundingClientRect().top;
      if (top < 0) target.scrollIntoView({ block: "start" });
    }
  });

  /* Leaving the page while a poll is in flight makes the browser abort it, and htmx logs
     every abort as an error. A page that is going away is not an error: silence those. */
  var inFlight = new Set();
  document.addEventListener("htmx:beforeSend", function (event) { inFlight.add(event.detail.xhr); });
  document.addEventListener("htmx:afterRequest", function (event) { inFlight.delete(event.detail.xhr); });
  window.addEventListener("beforeunload", function () {
    inFlight.forEach(function (xhr) { xhr.onabort = null; xhr.onerror = null; });
  });

  /* A failed htmx request (the server down, or an error page) would otherwise change nothing
     on screen: say so, in the page's language (the JavaScript catalog, /jsi18n/). */
  var gettext = window.gettext || function (text) { return text; };
  var interpolate = window.interpolate || function (text) { return text; };
  document.addEventListener("htmx:sendError", function () {
    announce(gettext("The server did not answer. Check the connection and try again."));
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    announce(interpolate(gettext("The server answered with an error (HTTP %(status)s). Try again, or reload the page."), { status: status }, true));
  });

  document.addEventListener("DOMContentLoaded", function () {
    setUpThemeSwitch();
    setUpCopyButtons(document);
    setUpFilterPanels();
    setUpDiskForm(document);
    announceStatus(liveFragment());
  });
})();
