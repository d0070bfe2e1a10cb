// arcbench report: draws grids on demand, sorts and filters the task tables. No network, no libraries.
(function () {
  "use strict";

  // A grid is data-grid="012|340": one character per cell (0-9, or x for a value outside ARC's palette).
  function drawGrid(el) {
    if (el.dataset.drawn) return;
    var rows = el.dataset.grid.split("|");
    var ncol = 0;
    rows.forEach(function (r) { ncol = Math.max(ncol, r.length); });
    var big = Math.max(rows.length, ncol);
    var size = big > 20 ? 8 : big > 10 ? 11 : 15;
    el.style.gridTemplateColumns = "repeat(" + ncol + ", " + size + "px)";
    el.style.gridAutoRows = size + "px";
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) {
      for (var c = 0; c < r.length; c++) {
        var d = document.createElement("div");
        var v = r.charAt(c);
        d.className = "cell c" + (/[0-9]/.test(v) ? v : "x");
        frag.appendChild(d);
      }
    });
    el.appendChild(frag);
    el.dataset.drawn = "1";
  }

  function drawAll(root) {
    root.querySelectorAll(".grid[data-grid]").forEach(drawGrid);
  }

  // Grids inside a task are drawn when the task is opened, so a run of hundreds of tasks opens quickly.
  document.querySelectorAll("details.task").forEach(function (d) {
    d.addEventListener("toggle", function () { if (d.open) drawAll(d); });
    if (d.open) drawAll(d);
  });
  document.querySelectorAll(".grid[data-grid]").forEach(function (g) {
    if (!g.closest("details.task")) drawGrid(g);
  });

  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) return;
    var el = document.getElementById(id);
    if (el && el.tagName === "DETAILS") {
      el.open = true;
      drawAll(el);
      el.scrollIntoView();
    }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();

  function sortValue(td, numeric) {
    var v = td.dataset.v;
    if (numeric) return v === undefined || v === "" ? null : parseFloat(v);
    return (v === undefined ? td.textContent : v).toLowerCase();
  }

  document.querySelectorAll(".tasktable").forEach(function (box) {
    var table = box.querySelector("table.tasks");
    var tbody = table.tBodies[0];
    var search = box.querySelector("input.search");
    var checks = box.querySelectorAll("input.status");
    var count = box.querySelector(".count");
    var section = box.closest("section.run") || document;

    function apply() {
      var q = search.value.trim().toLowerCase();
      var allowed = {};
      checks.forEach(function (c) { allowed[c.value] = c.checked; });
      var shown = 0;
      Array.prototype.forEach.call(tbody.rows, function (tr) {
        var ok = allowed[tr.dataset.status] !== false && tr.dataset.id.toLowerCase().indexOf(q) >= 0;
        tr.hidden = !ok;
        var detail = document.getElementById(tr.dataset.target);
        if (detail) detail.hidden = !ok;
        if (ok) shown++;
      });
      count.textContent = shown + " of " + tbody.rows.length + " tasks shown";
    }
    search.addEventListener("input", apply);
    checks.forEach(function (c) { c.addEventListener("change", apply); });

    table.querySelectorAll("th[data-key]").forEach(function (th) {
      th.addEventListener("click", function () {
        var idx = th.cellIndex;
        var numeric = th.dataset.type === "num";
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        table.querySelectorAll("th[data-key]").forEach(function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(tbody.rows);
        rows.sort(function (a, b) {
          var x = sortValue(a.cells[idx], numeric), y = sortValue(b.cells[idx], numeric);
          if (x === y) return 0;
          if (x === null) return 1;  // missing values last, whatever the direction
          if (y === null) return -1;
          return (x < y ? -1 : 1) * dir;
        });
        rows.forEach(function (r) { tbody.appendChild(r); });
      });
    });

    var expand = section.querySelector("button.expand");
    var collapse = section.querySelector("button.collapse");
    if (expand) expand.addEventListener("click", function () {
      section.querySelectorAll("details.task:not([hidden])").forEach(function (d) { d.open = true; drawAll(d); });
    });
    if (collapse) collapse.addEventListener("click", function () {
      section.querySelectorAll("details.task").forEach(function (d) { d.open = false; });
    });
    apply();
  });
})();
