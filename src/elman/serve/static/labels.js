// Labels and sequences: a label with the probability of every class, a tag under every word,
// a translation with its attention, an answer, suggested replies; and a plain form for any
// other batch route.

import {ask, postJSON} from "./api.js";
import {format, h, heatmap, textForm} from "./draw.js";

export async function classify(run, routes, show, section) {
  const result = h("table", {class: "probabilities"});
  textForm(section, show, {id: `${run.name}-classify-in`, label: "A text", value: "a good film with a bad ending",
                           button: "Classify"}, async text => {
    const out = await ask(routes.classify, text);
    const rows = Object.entries(out.probabilities).sort((a, b) => b[1] - a[1]);
    result.replaceChildren(h("caption", {text: `label: ${out.label}`}), ...rows.map(([label, p]) =>
      h("tr", {"data-label": label, "data-p": p, class: label === out.label ? "chosen" : null},
        h("th", {scope: "row", text: label}),
        h("td", {class: "bar"}, h("span", {style: {width: `${100 * p}%`}})),
        h("td", {class: "number", text: `${(100 * p).toFixed(1)}%`}))));
  });
  section.append(result);
}

export async function tag(run, routes, show, section) {
  const result = h("ol", {class: "tagged", "aria-label": "words and their tags"});
  textForm(section, show, {id: `${run.name}-tag-in`, label: "A sentence", value: "the cat sat on the mat",
                           button: "Tag"}, async text => {
    const words = text.split(/\s+/).filter(Boolean);
    const tags = await ask(routes.tag, words);
    result.replaceChildren(...words.map((word, i) => h("li", {},
      h("span", {class: "word", text: word}), h("span", {class: "tag", text: tags[i]}))));
  });
  section.append(result);
}

export async function translate(run, routes, show, section) {
  const result = h("div", {class: "translation"});
  textForm(section, show, {id: `${run.name}-translate-in`, label: "A sentence", value: "i am cold .",
                           button: "Translate"}, async text => {
    const out = await ask(routes.translate, text);
    const rows = out.tokens.concat(["</s>"]).slice(0, (out.attention || []).length);
    result.replaceChildren(h("p", {class: "output", lang: "fr", text: out.translation}),
      out.attention ? heatmap({values: out.attention, rows, cols: out.source,
                               title: "attention: output token (row) over source token (column)"})
        : h("p", {class: "note", text: "this model has no attention"}));
  });
  section.append(result);
}

export async function predict(run, routes, show, section) {
  const result = h("p", {class: "output"});
  textForm(section, show, {id: `${run.name}-predict-in`, label: routes.predict.input, value: "",
                           button: "Answer", auto: false}, async text => {
    result.textContent = await ask(routes.predict, text);
  });
  section.append(result);
}

// Any other batch route: the input as text (or JSON, for lists and numbers), the answer as JSON.
export async function form(run, route, show, section) {
  section.append(h("p", {class: "note"}, h("code", {text: `POST ${route.path}`}), ` · input: ${route.input}`));
  if (route.kind !== "batch") return;
  const result = h("pre", {class: "json"});
  const input = h("textarea", {id: `${route.path}-in`, rows: 2, spellcheck: "false"});
  const submit = h("button", {type: "submit", text: "Send"});
  const box = h("form", {class: "ask"}, h("label", {for: input.id, text: "Input (text, or JSON for lists and numbers)"}),
    h("div", {class: "row"}, input, submit));
  box.addEventListener("submit", async event => {
    event.preventDefault();
    let value = input.value;
    try {
      value = JSON.parse(value);
    } catch {
      // not JSON: the text itself
    }
    try {
      result.textContent = JSON.stringify(await postJSON(route.path, {inputs: [value]}), null, 1);
      show("");
    } catch (e) {
      show(e.message, true);
    }
  });
  section.append(box, result);
}

// Suggested replies (as Smart Reply): a message in, the route's replies as chips with their
// scores; choosing one adds the message and the reply to the conversation.
export async function reply(run, routes, show, section) {
  const route = routes.reply, id = `${run.name}-reply`;
  const log = h("ol", {class: "conversation", "aria-label": "conversation", "aria-live": "polite"});
  const chips = h("ul", {class: "suggestions", "aria-label": "suggested replies"});
  const k = "k" in (route.params || {}) ? h("input", {id: `${id}-k`, type: "number", min: 1,
                                                       value: route.params.k}) : null;
  const input = textForm(section, show, {id: `${id}-in`, label: "A message", value: "hello there",
                                         button: "Suggest replies"}, async text => {
    const out = await ask(route, text, k ? {k: Number(k.value)} : {});
    chips.replaceChildren(...out.replies.map(r => h("li", {},
      h("button", {type: "button", class: "suggestion chip", "data-text": r.text, "data-score": r.score,
                   "aria-label": `${r.text}, score ${format(r.score)}`, onclick: () => choose(text, r.text)},
        h("span", {class: "token", text: r.text}), h("span", {class: "p", text: format(r.score)})))));
  });
  function choose(message, text) {
    log.append(h("li", {class: "message"}, h("span", {class: "who", text: "message: "}), message),
      h("li", {class: "reply"}, h("span", {class: "who", text: "reply: "}), text));
    chips.replaceChildren();
    input.value = "";
    input.focus();
  }
  if (k) {
    input.form.querySelector("button").before(h("label", {for: k.id, class: "inline", text: "replies"}), k);
    input.form.noValidate = true;                     // the server's errors on the status line
  }
  section.append(h("div", {class: "row"}, chips), log);
}
