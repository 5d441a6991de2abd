// Shipcast dashboard: what JavaScript adds to pages that work without it. Times in the
// viewer's zone, Copy buttons, and new events appearing in the events list.

(() => {
  const format = new Intl.DateTimeFormat(undefined, {
    dateStyle: "medium",
    timeStyle: "medium",
  });

  /** Shows every <time datetime> under `root` in local time; the title keeps the UTC value. */
  function localizeTimes(root) {
    for (const element of root.querySelectorAll("time[datetime]")) {
      const date = new Date(element.getAttribute("datetime"));
      if (!Number.isNaN(date.getTime())) element.textContent = format.format(date);
    }
  }

  /** Copy buttons: shown only when there is a script to run them. */
  function enableCopyButtons(root) {
    for (const button of root.querySelectorAll("button.copy[data-copy]")) {
      button.hidden = false;
      button.addEventListener("click", async () => {
        const field = document.getElementById(button.dataset.copy);
        if (!field) return;
        let copied = false;
        try {
          await navigator.clipboard.writeText(field.value);
          copied = true;
        } catch {
          // Not a secure context, or no permission: select the text and copy the old way.
          field.select();
          copied = document.execCommand("copy");
        }
        button.textContent = copied ? "Copied" : "Press Ctrl+C";
        setTimeout(() => {
          button.textContent = "Copy";
        }, 2000);
      });
    }
  }

  /** The events list asks every few seconds for events newer than its top row. */
  function liveEvents() {
    const table = document.querySelector("table[data-live]");
    if (!table) return;
    const body = table.tBodies[0];
    const status = document.querySelector(".live-status");
    let added = 0;
    let failures = 0;
    const newest = () => body.querySelector("tr[data-id]")?.dataset.id;
    async function poll() {
      const after = newest();
      const url = new URL(table.dataset.live, location.href);
      // With no row yet, anything is newer than the smallest id.
      url.searchParams.set("after", after ?? "evt_00000000000000000000000000");
      try {
        const response = await fetch(url, { credentials: "same-origin", redirect: "manual" });
        if (response.type === "opaqueredirect" || response.status === 401) {
          location.reload(); // the session ended: the page says so
          return;
        }
        if (!response.ok) throw new Error(String(response.status));
        failures = 0;
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        const rows = [...page.querySelectorAll("tbody tr[data-id]")];
        for (const row of rows.reverse()) {
          const imported = document.importNode(row, true);
          imported.classList.add("new");
          localizeTimes(imported);
          body.insertBefore(imported, body.firstChild);
        }
        if (rows.length > 0) {
          added += rows.length;
          if (status) status.textContent = ` ${added} new since this page was loaded.`;
        }
      } catch {
        failures += 1;
      }
      setTimeout(poll, failures > 0 ? Math.min(30_000, 3_000 * 2 ** failures) : 3_000);
    }
    setTimeout(poll, 3_000);
  }

  localizeTimes(document);
  enableCopyButtons(document);
  liveEvents();
})();
