// Progressive enhancement of the portal's pages; everything works without it.
// Expandable rows open in place, order statuses update themselves while codes are being
// made, an order form submits once, and the error summary takes the focus.
(function () {
  "use strict";

  function expandableRows() {
    document.querySelectorAll("button.expander[aria-controls]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        var region = document.getElementById(button.getAttribute("aria-controls"));
        var open = button.getAttribute("aria-expanded") !== "true";
        button.setAttribute("aria-expanded", open ? "true" : "false");
        region.hidden = !open;
        if (open && button.dataset.summaryUrl && !region.dataset.loaded) {
          loadSummary(button.dataset.summaryUrl, region);
        }
      });
    });
  }

  // The order's own page holds its summary; the row shows that part of it.
  function loadSummary(url, region) {
    var cell = region.querySelector("td");
    cell.textContent = "Loading…";
    fetch(url, { credentials: "same-origin" }).then(function (response) {
      return response.text();
    }).then(function (html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      var summary = page.getElementById("order-summary");
      if (!summary) { throw new Error("no summary"); }
      // after saving the PO number, back here with this row open
      var back = new URLSearchParams(location.search);
      back.set("open", region.id.replace(/^order-(\d+)-summary$/, "$1"));
      back.delete("saved");
      summary.querySelectorAll("input[name=return_to]").forEach(function (input) {
        input.value = location.pathname + "?" + back.toString() + "#" + region.id;
      });
      cell.replaceChildren.apply(cell, Array.from(summary.childNodes));
      region.dataset.loaded = "true";
    }).catch(function () {
      cell.textContent = "The order's summary could not be loaded. Reload the page to try again.";
    });
  }

  function pollOrderStatuses() {
    var table = document.querySelector("[data-poll-orders]");
    if (!table) { return; }
    var url = table.getAttribute("data-poll-orders");
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (response.status >= 400 && response.status < 500) { return "stop"; }
          return response.ok ? response.json() : null;
        })
        .then(function (answer) {
          if (answer === "stop") { return; }  // signed out, or no longer allowed
          if (!answer) { return setTimeout(poll, 5000); }
          var generating = 0;
          answer.orders.forEach(function (order) {
            var cell = document.querySelector('[data-order-status="' + order.id + '"]');
            if (!cell) { return; }
            if (order.status === "fulfilled" && !cell.classList.contains("status--fulfilled")) {
              cell.textContent = "Fulfilled";
              cell.className = "status status--fulfilled";
              announce("Order " + order.id + " is fulfilled: its vouchers can be downloaded.");
              var region = document.getElementById("order-" + order.id + "-summary");
              var button = document.querySelector('[aria-controls="order-' + order.id + '-summary"]');
              if (region && button && region.dataset.loaded) {
                delete region.dataset.loaded;
                if (!region.hidden) { loadSummary(button.dataset.summaryUrl, region); }
              }
              refreshWhenFulfilled();
            }
            if (order.status !== "fulfilled") { generating += 1; }
          });
          if (generating) { setTimeout(poll, 1500); }
        })
        .catch(function () { setTimeout(poll, 5000); });
    }
    setTimeout(poll, 1000);
  }

  // Screen readers hear what changed by itself.
  function announce(text) {
    var announcer = document.getElementById("status-announcer");
    if (announcer) { announcer.textContent = text; }
  }

  // An order's own page: once its codes exist, show what it shows for a fulfilled order.
  function refreshWhenFulfilled() {
    var part = document.querySelector("[data-refresh-when-fulfilled]");
    if (!part) { return; }
    if (part.contains(document.activeElement) && document.activeElement !== document.body) {
      return setTimeout(refreshWhenFulfilled, 2000);  // never under someone's typing
    }
    fetch(location.href, { credentials: "same-origin" }).then(function (response) {
      return response.text();
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(part.id);
      if (fresh) { part.replaceChildren.apply(part, Array.from(fresh.childNodes)); }
    });
  }

  // A second click while the first is on its way sends nothing more (the server also
  // places one order per form, whatever arrives).
  function submitOnce() {
    document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.dataset.sent) { event.preventDefault(); return; }
        form.dataset.sent = "true";
      });
    });
    // back to this page (history, or a stopped request): the form may be sent again
    window.addEventListener("pageshow", function () {
      document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
        delete form.dataset.sent;
      });
    });
  }

  function billingContactToggle() {
    document.querySelectorAll("[data-hidden-when-checked]").forEach(function (block) {
      var box = document.getElementById(block.getAttribute("data-hidden-when-checked"));
      if (!box) { return; }
      function sync() { block.hidden = box.checked; }
      box.addEventListener("change", sync);
      sync();
    });
  }

  function focusErrorSummary() {
    var summary = document.querySelector("[data-focus]");
    if (summary) { summary.focus(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    expandableRows();
    pollOrderStatuses();
    submitOnce();
    billingContactToggle();
    focusErrorSummary();
  });
}());
