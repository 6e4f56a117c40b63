// Small behaviours of the portal, kept out of the pages so that the Content-Security-Policy
// can forbid inline script.
"use strict";

// <input type="checkbox" data-select-all>: ticks or clears every ids box of its form.
document.addEventListener("click", (event) => {
  const box = event.target.closest("input[data-select-all]");
  if (!box) return;
  const scope = box.closest("form") || document;
  for (const c of scope.querySelectorAll("input[name=ids]")) c.checked = box.checked;
});

// <form data-confirm="…">: asks before an action that cannot be undone.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
}, true);
