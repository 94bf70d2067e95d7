// The console's only script (no inline scripts: the Content-Security-Policy forbids them).
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});

// Prizes are added and removed in place; rows are renumbered so the errors' "prizes.N" match.
function renumber() {
  document.querySelectorAll("#prizes fieldset.prize .n").forEach((n, i) => { n.textContent = i + 1; });
}

document.addEventListener("click", (event) => {
  const target = event.target;
  if (target.id === "add-prize") {
    const template = document.getElementById("prize-template");
    const row = template.content.firstElementChild.cloneNode(true);
    document.getElementById("prizes").appendChild(row);
    renumber();
    row.querySelector("input[data-field=name]").focus();
  } else if (target.classList.contains("remove-prize")) {
    const rows = document.querySelectorAll("#prizes fieldset.prize");
    if (rows.length > 1) {
      target.closest("fieldset.prize").remove();
      renumber();
      document.getElementById("campaign-form").dispatchEvent(new Event("input", { bubbles: true }));
    }
  }
});

// Try it: keep the phone, clear the message after each send, scroll to the newest reply.
document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.target;
  if (form.hasAttribute && form.hasAttribute("data-reset-text") && event.detail.successful) {
    const log = document.getElementById("chat-log");
    log.scrollTop = log.scrollHeight;
  }
});
