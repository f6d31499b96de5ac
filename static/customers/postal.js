// Postal code -> address on the customer form: ShopGuard's own offline data (Japan
// Post's, bundled), asked by POST so the code never appears in a URL. Fills the address
// only when it is empty; says so, or says the code does not exist.
(function () {
  "use strict";
  function ready() {
    var lookup = document.getElementById("postal-lookup");
    var code = document.getElementById("id_postal_code");
    var address = document.getElementById("id_address");
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (!lookup || !code || !address || !token) {
      return;
    }
    var note = document.createElement("div");
    note.className = "help";
    note.id = "postal-lookup-note";
    note.setAttribute("role", "status");
    code.insertAdjacentElement("afterend", note);
    code.addEventListener("change", function () {
      var body = new URLSearchParams({ code: code.value });
      fetch(lookup.dataset.url, {
        method: "POST",
        body: body,
        headers: { "X-CSRFToken": token.value },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.json().then(function (data) {
            return { ok: response.ok, data: data };
          });
        })
        .then(function (answer) {
          if (!answer.ok) {
            note.textContent = answer.data.error || "";
            return;
          }
          var found = answer.data;
          if (!address.value.trim()) {
            address.value = found.prefecture + found.city + found.town;
            note.textContent = lookup.dataset.filled;
          } else {
            note.textContent = found.prefecture + found.city + found.town;
          }
        });
    });
  }
  document.addEventListener("DOMContentLoaded", ready);
})();
