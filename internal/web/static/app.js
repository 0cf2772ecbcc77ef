// Tandem: small progressive enhancements. Every page works without this
// file; it adds a copy button, confirmations before destructive actions
// and client-side sorting of report tables.
(function () {
  "use strict";

  // Copy buttons: <button class="js-copy" data-copy="input-id" hidden>.
  document.querySelectorAll(".js-copy").forEach(function (btn) {
    var target = document.getElementById(btn.getAttribute("data-copy"));
    if (!target || !navigator.clipboard) { return; }
    btn.hidden = false;
    btn.addEventListener("click", function () {
      navigator.clipboard.writeText(target.value).then(function () {
        btn.textContent = "Copied";
      }, function () {
        target.select();
      });
    });
  });

  // Confirm before submitting: <button data-confirm="Sentence?">.
  document.querySelectorAll("[data-confirm]").forEach(function (btn) {
    btn.addEventListener("click", function (ev) {
      if (!window.confirm(btn.getAttribute("data-confirm"))) { ev.preventDefault(); }
    });
  });

  // Sortable tables: headers of table.js-sortable become buttons that sort
  // the rows by the cells' data-sort value (numbers) or text.
  document.querySelectorAll("table.js-sortable").forEach(function (table) {
    var tbody = table.tBodies[0];
    if (!tbody || tbody.rows.length < 2) { return; }
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, col) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "th-sort";
      // Links in a header (a glossary term) stay beside the button, since
      // a button may not contain a link.
      Array.prototype.slice.call(th.childNodes).forEach(function (n) {
        if (n.nodeName !== "A") { btn.appendChild(n); }
      });
      th.insertBefore(btn, th.firstChild);
      btn.addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(tbody.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[col]), y = key(b.cells[col]);
          if (x.num !== null && y.num !== null) { return asc ? x.num - y.num : y.num - x.num; }
          if (x.num !== null) { return -1; }
          if (y.num !== null) { return 1; }
          return asc ? x.text.localeCompare(y.text) : y.text.localeCompare(x.text);
        });
        rows.forEach(function (r) { tbody.appendChild(r); });
      });
    });
  });

  function key(cell) {
    if (!cell) { return { num: null, text: "" }; }
    var s = cell.getAttribute("data-sort");
    var text = cell.textContent.trim();
    if (s === null && /^-?[\d,.]+$/.test(text)) { s = text.replace(/,/g, ""); }
    var n = s === null || s === "" ? NaN : parseFloat(s);
    return { num: isNaN(n) ? null : n, text: text };
  }
})();
