// Progressive enhancement only: the forms work without it.
(function () {
  "use strict";
  var tz = document.getElementById("timezone");
  if (tz && tz.dataset.auto === "1" && window.Intl) {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && Array.prototype.some.call(tz.options, function (o) { return o.value === zone; })) {
      tz.value = zone;
    }
  }

  var keywords = document.getElementById("keywords");
  var exclude = document.getElementById("exclude");
  var list = document.getElementById("preview-list");
  var status = document.getElementById("preview-status");
  var count = document.getElementById("preview-count");
  var broad = document.getElementById("broad-hint");
  var quiet = document.getElementById("quiet-hint");
  var ambiguous = document.getElementById("ambiguous-hint");
  var near = document.getElementById("near");
  var nearList = document.getElementById("near-list");
  if (!keywords || !list || !status) return;
  var timer = null;
  var seq = 0;

  // papers holding words of an interest without the interest: never sent, shown with the
  // words found so the subscriber sees how papers word it
  function showNear(missed) {
    if (!near || !nearList) return;
    nearList.textContent = "";
    near.hidden = !missed.length;
    missed.forEach(function (m) {
      var li = document.createElement("li");
      li.textContent = m.title;
      m.found.forEach(function (f) {
        var why = document.createElement("span");
        why.className = "why";
        why.textContent = "has " + f.words.map(function (w) { return "\u201C" + w + "\u201D"; })
          .join(", ") + " of " + f.interest;
        li.appendChild(why);
      });
      nearList.appendChild(li);
    });
  }

  function show(data) {
    list.textContent = "";
    showNear(data.error ? [] : (data.near || []));
    if (broad) broad.textContent = data.broad || "";
    if (quiet) quiet.textContent = data.quiet || "";
    if (ambiguous) ambiguous.textContent = data.ambiguous || "";
    if (count) {
      var n = data.papers.length;
      count.textContent = data.error ? "" : "This week: " + (n >= data.top ? n + "+" : n) +
        (n === 1 ? " matching paper" : " matching papers") +
        (data.papers.length ? " (see the preview)" : "");
    }
    if (data.error) { status.textContent = data.error; return; }
    if (!data.papers.length) {
      status.textContent = "No paper of the last " + data.days + " days matches yet.";
      return;
    }
    status.textContent = data.papers.length + " best matches of the last " + data.days + " days:";
    data.papers.forEach(function (p) {
      var li = document.createElement("li");
      li.textContent = p.title;
      // where it comes from: Hugging Face's upvotes, or an arXiv-only paper's categories
      var from = p.upvotes !== null && p.upvotes !== undefined ? "\u25B2 " + p.upvotes
        : (p.categories && p.categories.length ? "arXiv " + p.categories.join(", ") : "");
      if (from) {
        var source = document.createElement("span");
        source.className = "source";
        source.textContent = from;
        li.appendChild(source);
      }
      if (p.matched && p.matched.length) {
        var why = document.createElement("span");
        why.className = "why";
        why.textContent = "matched: " + p.matched.join(", ");
        li.appendChild(why);
      }
      list.appendChild(li);
    });
  }

  function update() {
    var q = keywords.value.trim();
    if (!q) {
      list.textContent = "";
      showNear([]);
      if (count) count.textContent = "";
      status.textContent = "Type some interests to see a preview.";
      return;
    }
    var mine = ++seq;
    var params = new URLSearchParams({ keywords: q, exclude: exclude ? exclude.value : "" });
    status.textContent = "Looking…";
    fetch("/preview?" + params.toString(), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) { if (mine === seq) show(data); })
      .catch(function () {
        if (mine !== seq) return;
        showNear([]);
        status.textContent = "Preview unavailable right now.";
      });
  }

  function later() { clearTimeout(timer); timer = setTimeout(update, 300); }
  keywords.addEventListener("input", later);
  if (exclude) exclude.addEventListener("input", later);
  if (keywords.value.trim()) update();
})();
