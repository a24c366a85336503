// The living plan: every item edits in place through the plan API.
// Saves send the version the user started from in If-Match; a 412 shows
// the stored value beside what the user typed, and keeps the typing.
(function () {
  "use strict";

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function send(url, method, body, version) {
    const headers = {
      "Content-Type": "application/json",
      "Accept": "application/json",
      "X-CSRFToken": csrfToken(),
    };
    if (version !== undefined) headers["If-Match"] = '"' + version + '"';
    const response = await fetch(url, {
      method: method,
      headers: headers,
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    let data = {};
    try { data = await response.json(); } catch (error) { data = {}; }
    return { status: response.status, data: data };
  }

  // The words a user sees beside a field, not the API's name for it.
  function fieldLabel(form, field) {
    const input = form && form.querySelector("[name=\"" + CSS.escape(field) + "\"]");
    const label = input && (input.closest("label") || (input.id && form.querySelector("label[for=\"" + CSS.escape(input.id) + "\"]")));
    if (label) {
      const copy = label.cloneNode(true);
      copy.querySelectorAll("input, select, textarea, .req, [data-status]").forEach((node) => node.remove());
      const text = copy.textContent.replace(/\s+/g, " ").trim();
      if (text) return text;
    }
    const words = field.replace(/_/g, " ");
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  function errorText(data, form) {
    if (data.detail) return data.detail;
    return Object.entries(data)
      .map(([field, messages]) => {
        const text = [].concat(messages).join(" ");
        return field === "non_field_errors" ? text : fieldLabel(form, field) + ": " + text;
      })
      .join("; ") || "Could not save.";
  }

  // Read a form's fields into the JSON the API takes.
  function formValues(form) {
    const values = {};
    form.querySelectorAll("input[name], select[name], textarea[name]").forEach((field) => {
      if (field.type === "checkbox") {
        values[field.name] = field.checked;
      } else if (field.multiple) {
        values[field.name] = Array.from(field.selectedOptions).map((option) => Number(option.value));
      } else if (field.value === "" && (field.tagName === "SELECT" || field.type === "date" || field.type === "number")) {
        values[field.name] = null;
      } else {
        values[field.name] = field.value;
      }
    });
    return values;
  }

  function shownValue(form, name) {
    const field = form.querySelector("[name='" + name + "']");
    if (!field) return "";
    if (field.type === "checkbox") return field.checked ? "Yes" : "No";
    if (field.tagName === "SELECT") {
      return Array.from(field.selectedOptions).map((option) => option.textContent.trim()).join(", ");
    }
    return field.value;
  }

  // Swap one section for a fresh copy of it, without reloading the page.
  async function refreshSections(names) {
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    const html = await response.text();
    const fresh = new DOMParser().parseFromString(html, "text/html");
    names.forEach((name) => {
      const current = document.querySelector("[data-section='" + name + "']");
      const replacement = fresh.querySelector("[data-section='" + name + "']");
      if (current && replacement) current.replaceWith(replacement);
    });
  }

  function openEditor(item) {
    const view = item.querySelector(":scope > .item-view");
    const editor = item.querySelector(":scope > [data-editor]");
    if (!view || !editor) return;
    view.hidden = true;
    editor.hidden = false;
    const first = editor.querySelector("input, textarea, select");
    if (first) first.focus();
  }

  function closeEditor(item) {
    item.querySelector(":scope > .item-view").hidden = false;
    const editor = item.querySelector(":scope > [data-editor]");
    editor.hidden = true;
    editor.querySelector("[data-conflict]").hidden = true;
  }

  function showConflict(item, editor, data) {
    const box = editor.querySelector("[data-conflict]");
    const current = data.current;
    box.replaceChildren();
    const heading = document.createElement("p");
    heading.textContent = data.detail;
    box.appendChild(heading);
    if (current) {
      const list = document.createElement("dl");
      Object.keys(current.display).forEach((name) => {
        const theirs = current.display[name];
        const yours = shownValue(editor, name);
        if (String(theirs) === String(yours)) return;
        const label = editor.querySelector("[name='" + name + "']").closest("label").firstChild.textContent.trim();
        const term = document.createElement("dt");
        term.textContent = label;
        const theirsLine = document.createElement("dd");
        theirsLine.className = "theirs";
        theirsLine.textContent = "Saved by someone else: " + theirs;
        const yoursLine = document.createElement("dd");
        yoursLine.className = "yours";
        yoursLine.textContent = "Yours (not saved): " + yours;
        list.append(term, theirsLine, yoursLine);
      });
      box.appendChild(list);
      // Saving again is now a deliberate choice to replace their version.
      item.dataset.version = current.version;
      const hint = document.createElement("p");
      hint.className = "small";
      hint.textContent = "Save again to replace their version with yours, or Cancel and reload to keep theirs.";
      box.appendChild(hint);
    }
    box.hidden = false;
  }

  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  // The currencies whose amounts have other than 2 decimals (KWD 3, JPY 0).
  const minorDigitsNode = document.getElementById("minor-digits");
  const MINOR_DIGITS = minorDigitsNode ? JSON.parse(minorDigitsNode.textContent) : {};

  // Write a saved value the way the page first rendered it: amounts with
  // thousands separators and every decimal of their currency ("1,200.00"
  // in USD, "1,234.500" in KWD, "5,000" in JPY), dates as "4 Jan 2027".
  function shownSaved(node, raw, text, fields) {
    if (node.dataset.format === "amount" && raw !== null && raw !== "") {
      const amount = Number(raw);
      const digits = MINOR_DIGITS[fields.currency] ?? 2;
      return amount.toLocaleString("en-US", {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      });
    }
    if (node.dataset.format === "date") {
      if (!raw) return node.dataset.empty || "";
      const [year, month, day] = raw.split("-").map(Number);
      return day + " " + MONTHS[month - 1] + " " + year;
    }
    return text;
  }

  function applySaved(item, data) {
    item.dataset.version = data.version;
    Object.entries(data.display).forEach(([name, text]) => {
      item.querySelectorAll(":scope > .item-view [data-show='" + name + "']").forEach((node) => {
        node.textContent = shownSaved(node, data.fields[name], text, data.fields);
      });
    });
  }

  async function saveItem(item, editor) {
    const status = editor.querySelector("[data-status]");
    status.textContent = "Saving…";
    const result = await send(item.dataset.url, "PATCH", formValues(editor), item.dataset.version);
    if (result.status === 200) {
      applySaved(item, result.data);
      status.textContent = "";
      closeEditor(item);
      flash(item, "Saved");
      return;
    }
    status.textContent = "";
    if (result.status === 412) {
      showConflict(item, editor, result.data);
      return;
    }
    status.textContent = errorText(result.data, editor);
    status.classList.add("error");
  }

  function flash(node, text) {
    const note = document.createElement("span");
    note.className = "flash";
    note.textContent = text;
    node.querySelector(":scope > .item-view").appendChild(note);
    window.setTimeout(() => note.remove(), 2500);
  }

  async function validateCheckpoint(row, form) {
    const status = form.querySelector("[data-status]");
    const result = await send(row.dataset.url, "POST", formValues(form), row.dataset.version);
    if (result.status === 200) {
      await refreshSections(["pursuits", "totals", "history"]);
      return;
    }
    status.textContent = result.status === 412 ? result.data.detail : errorText(result.data, form);
  }

  async function advancePursuit(form, direction) {
    const item = form.closest("[data-item]");
    const message = form.querySelector("[data-gate-message]");
    const body = formValues(form);
    body.direction = direction;
    const result = await send(form.dataset.url, "POST", body, item.dataset.version);
    if (result.status === 200) {
      await refreshSections(["pursuits", "totals", "history"]);
      return;
    }
    message.textContent = errorText(result.data, form);
    message.hidden = false;
  }

  async function createItem(form) {
    const status = form.querySelector("[data-status]");
    const result = await send(form.dataset.url, "POST", formValues(form));
    if (result.status === 201) {
      await refreshSections([form.dataset.section, "totals", "alignments", "history"]);
      return;
    }
    status.textContent = errorText(result.data, form);
  }

  async function postComment(form) {
    const result = await send(form.dataset.url, "POST", formValues(form));
    if (result.status !== 201) return;
    const feed = document.querySelector("[data-comments]");
    const empty = feed.querySelector("[data-empty]");
    if (empty) empty.remove();
    const entry = document.createElement("li");
    const author = document.createElement("strong");
    author.textContent = result.data.author;
    const when = document.createElement("span");
    when.className = "muted small";
    when.textContent = " just now";
    entry.append(author, when, document.createElement("br"), result.data.body);
    feed.prepend(entry);
    form.reset();
  }

  async function startNextPlan(button) {
    const result = await send(button.dataset.url, "POST", {});
    if (result.status === 201) {
      window.location.assign("/plans/" + result.data.id + "/");
      return;
    }
    window.alert(errorText(result.data));
  }

  async function reopenPlan(button) {
    const result = await send(button.dataset.url, "PATCH", { status: "active" }, button.dataset.version);
    if (result.status === 200) {
      window.location.reload();
      return;
    }
    window.alert(errorText(result.data));
  }

  document.addEventListener("click", (event) => {
    const target = event.target;
    if (!(target instanceof Element)) return;
    if (target.matches("[data-reopen]")) {
      reopenPlan(target);
    } else if (target.matches("[data-edit]")) {
      openEditor(target.closest("[data-item]"));
    } else if (target.matches("[data-cancel]")) {
      closeEditor(target.closest("[data-item]"));
    } else if (target.matches("[data-validate-open]")) {
      const form = target.parentElement.querySelector("[data-validate]");
      form.hidden = false;
      target.hidden = true;
      form.querySelector("textarea").focus();
    } else if (target.matches("[data-back]")) {
      advancePursuit(target.closest("[data-advance]"), "back");
    } else if (target.matches("[data-next-plan]")) {
      startNextPlan(target);
    }
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.matches("[data-editor]")) {
      event.preventDefault();
      saveItem(form.closest("[data-item]"), form);
    } else if (form.matches("[data-validate]")) {
      event.preventDefault();
      validateCheckpoint(form.closest("[data-checkpoint]"), form);
    } else if (form.matches("[data-advance]")) {
      event.preventDefault();
      advancePursuit(form, "forward");
    } else if (form.matches("[data-create]")) {
      event.preventDefault();
      createItem(form);
    } else if (form.matches("[data-comment]")) {
      event.preventDefault();
      postComment(form);
    }
  });
})();
