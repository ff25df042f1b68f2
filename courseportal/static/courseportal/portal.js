/* Keeps a pending submission's status current without reloading the page.
 *
 * An element with data-pending="true" and data-poll-url is replaced by the server-rendered HTML at
 * that URL, again and again, until the fresh copy says data-pending="false". No framework: the
 * server renders the block the same way for the first page load and for every poll.
 *
 * The server may hold a request until the result is stored (a long poll); the block then says
 * data-poll-after-ms="0" and the next request goes out at once. Otherwise it says how long to wait
 * (every 2 s by default); errors back off up to 30 s.
 */
(function () {
  "use strict";

  var INTERVAL_MS = 2000;
  var MAX_BACKOFF_MS = 30000;

  function follow(block) {
    var url = block.getAttribute("data-poll-url");
    var delay = INTERVAL_MS;

    function refresh() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" }, cache: "no-store" })
        .then(function (response) {
          if (!response.ok) { throw new Error("status " + response.status); }
          return response.text();
        })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html.trim();
          var fresh = holder.firstElementChild;
          if (!fresh) { throw new Error("empty status block"); }
          block.replaceWith(fresh);
          block = fresh;
          delay = INTERVAL_MS;
          if (fresh.getAttribute("data-pending") === "true") { window.setTimeout(refresh, pollAfter(fresh)); }
        })
        .catch(function () {
          // The server restarting or a flaky network: try again, less often.
          delay = Math.min(delay * 2, MAX_BACKOFF_MS);
          window.setTimeout(refresh, delay);
        });
    }

    window.setTimeout(refresh, pollAfter(block));
  }

  function pollAfter(block) {
    var after = parseInt(block.getAttribute("data-poll-after-ms"), 10);
    return isNaN(after) || after < 0 ? INTERVAL_MS : after;
  }

  function start() {
    var blocks = document.querySelectorAll("[data-poll-url][data-pending='true']");
    Array.prototype.forEach.call(blocks, follow);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
