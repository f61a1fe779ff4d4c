// The console's little script: the CSRF header on htmx calls, "select all" in the inbox,
// and reading a chosen catalogue file into the form's text box. Every page works without it.
document.addEventListener("htmx:configRequest", (event) => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) event.detail.headers["X-CSRF-Token"] = meta.content;
});
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", () => {
      document.querySelectorAll('input[name="id"]').forEach((box) => { box.checked = all.checked; });
    });
  }
  const file = document.getElementById("catalog-file");
  const text = document.getElementById("document");
  if (file && text) {
    file.addEventListener("change", async () => {
      if (file.files.length) text.value = await file.files[0].text();
    });
  }
});
