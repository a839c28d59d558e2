// Keyboard for the review queues. Each shortcut presses a control that is on the page anyway
// (marked data-key), so the keys do exactly what the buttons and links do, with or without HTMX.
(function () {
  "use strict";
  const KEYS = {
    j: "next", ArrowRight: "next", ArrowDown: "next",
    k: "prev", ArrowLeft: "prev", ArrowUp: "prev",
    Enter: "accept", u: "undo",
  };

  function typing(target) {
    return target instanceof HTMLElement &&
      (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT", "BUTTON", "A", "VIDEO"].includes(target.tagName));
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
    // Enter on a focused button or link already presses it; arrows move the caret in a field.
    if (typing(event.target)) return;
    const name = /^[1-9]$/.test(event.key) ? event.key : KEYS[event.key.length === 1 ? event.key.toLowerCase() : event.key];
    if (!name) return;
    const control = document.querySelector('#queue [data-key="' + name + '"]');
    if (!control) return;
    event.preventDefault();
    control.click();
  });

  // The queue follows its own links and forms with HTMX, swapping #queue in place. An answer that is
  // a queue page is shown even when it is a 400 (a mistyped date, said on the page); any other page
  // (the grid, a file, a 404) replaces the queue as a plain link or form would, never a blank gap.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const detail = event.detail;
    if (!detail.target || detail.target.id !== "queue") return;
    if (typeof detail.serverResponse === "string" && detail.serverResponse.includes('id="queue"')) {
      detail.shouldSwap = true;
      detail.isError = false;
      return;
    }
    const verb = detail.requestConfig && detail.requestConfig.verb;
    if (verb === "get") {
      detail.shouldSwap = false;
      window.location.assign(detail.xhr.responseURL);
      return;
    }
    detail.target = document.querySelector("main");
    detail.selectOverride = "main";
    detail.swapOverride = "outerHTML";
    detail.shouldSwap = true;
    detail.isError = false;
  });

  // After HTMX swaps in the next file, start reading (and tabbing) from its heading.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "queue") {
      const heading = document.querySelector("#queue h1");
      if (heading) heading.focus({ preventScroll: true });
    }
  });
})();
