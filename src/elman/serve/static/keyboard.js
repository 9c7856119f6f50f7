// The keyboard: next-token suggestions while typing, through a session route (the server keeps
// the recurrent state, so only what was typed since the last request is sent), and a
// "Continue" button that streams sampled tokens from the stream route "generate".

import {postJSON, stream} from "./api.js";
import {format, h} from "./draw.js";

const VISIBLE = {" ": "␣", "\n": "↵", "\t": "⇥"};
const SHOWN = 5;

// The part of the text the model can read now: every character, or for a word model the
// words before the one being typed.
function complete(text, words) {
  if (!words) return text;
  const cut = Math.max(text.lastIndexOf(" "), text.lastIndexOf("\n"));
  return cut < 0 ? "" : text.slice(0, cut + 1);
}

class Session {
  constructor(route, k) {
    this.route = route;
    this.k = k;
    this.id = null;
    this.read = "";           // the text the server's state has read
    this.next = [];
  }

  close() {
    if (this.id) fetch(`${this.route.path}/${this.id}`, {method: "DELETE"});
    this.id = null;
    this.read = "";
    this.next = [];
  }

  // Bring the server's state to `text`: send what was added, or start again after an edit.
  async feed(text, words) {
    if (text === this.read) return 0;
    if (!text.startsWith(this.read) || !this.id) this.close();
    const input = text.slice(this.read.length);
    if (!input || (words && !input.trim())) {
      this.read = text;
      return 0;
    }
    const body = await postJSON(this.route.path, {input, session: this.id, k: this.k});
    this.id = body.session;
    this.read = text;
    this.next = body.output.next;
    return input.length;
  }
}

export async function keyboard(run, routes, show, section) {
  const words = run.config.task.level === "word";
  const unit = words ? "word" : "character";
  const session = new Session(routes.session, words ? 50 : SHOWN);
  const id = `${run.name}-keys`;
  const box = h("textarea", {id, rows: 4, spellcheck: "false", autocomplete: "off",
                             placeholder: words ? "Hey, I will be late to the" : "The cat sat on"});
  const list = h("ul", {class: "suggestions", "aria-label": `next ${unit}s`});
  const sent = h("p", {class: "note sent"});
  const streamed = h("p", {class: "note streamed", "data-tokens": "0"});
  const generate = routes.generate && routes.generate.kind === "stream" ? routes.generate : null;
  const button = generate ? h("button", {type: "button", text: "Continue"}) : null;
  let busy = false, again = false;

  function pick(token) {
    box.value = words ? complete(box.value, true) + token + " " : box.value + token;
    box.focus();
    sync();
  }

  function render() {
    const partial = words ? box.value.slice(complete(box.value, true).length).toLowerCase() : "";
    const shown = session.next.filter(([t]) => t.toLowerCase().startsWith(partial)).slice(0, SHOWN);
    list.replaceChildren(...shown.map(([token, p]) => h("li", {},
      h("button", {type: "button", class: "suggestion", "data-token": token, "data-p": p,
                   "aria-label": `${VISIBLE[token] ? JSON.stringify(token) : token}, ${format(100 * p, 2)}%`,
                   onclick: () => pick(token)},
        h("span", {class: "token", text: VISIBLE[token] || token}),
        h("span", {class: "p", text: `${format(100 * p, 2)}%`})))));
  }

  async function sync() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        const n = await session.feed(complete(box.value, words), words);
        if (n) sent.textContent = `sent the last ${n} character${n > 1 ? "s" : ""}; the server `
          + `holds the state of the ${session.read.length - n} before them`;
      } while (again);
      render();
      show("");
    } catch (e) {
      if (e.field === "session") session.close();
      show(e.message, true);
    } finally {
      busy = false;
    }
  }

  async function proceed() {
    button.disabled = true;
    let count = 0;
    show("streaming…");
    try {
      await stream(generate.path, {input: box.value, length: words ? 30 : 120, temperature: 0.8}, event => {
        box.value += event.token;
        streamed.dataset.tokens = String(++count);
        streamed.textContent = `${count} ${unit}s streamed`;
      });
      show("");
    } catch (e) {
      show(e.message, true);
    } finally {
      button.disabled = false;
      sync();
    }
  }

  box.addEventListener("input", sync);
  if (button) button.addEventListener("click", proceed);
  section.append(h("label", {for: id, text: `Type: the likeliest next ${unit}s follow every keystroke`}), box,
    h("div", {class: "row"}, list, button), sent, streamed);
  window.addEventListener("hashchange", () => session.close(), {once: true});
}
