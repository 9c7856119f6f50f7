// The page of elman serve: the runs served (GET /v1/models) and, for the chosen run, the views
// its routes allow. A view is chosen by the names and kinds of the routes it needs, never by
// the name of a task; the routes no view uses get a plain form.

import {getJSON} from "./api.js";
import {h} from "./draw.js";
import {activations, architecture, gradients} from "./inside.js";
import {keyboard} from "./keyboard.js";
import {classify, form, predict, reply, tag, translate} from "./labels.js";
import {caption, frames} from "./pictures.js";
import {backtest, music, transcribe} from "./signals.js";

// needs: "name:kind" of every route the view reads; build(run, routes, show) fills the view.
const VIEWS = [
  {id: "keyboard", title: "Keyboard", needs: ["session:session"], uses: ["generate"], build: keyboard},
  {id: "classify", title: "Label and probability per class", needs: ["classify:batch"], build: classify},
  {id: "tag", title: "A tag under every word", needs: ["tag:batch"], build: tag},
  {id: "translate", title: "Translation and attention", needs: ["translate:batch"], build: translate},
  {id: "predict", title: "Answers", needs: ["predict:batch"], build: predict},
  {id: "reply", title: "Suggested replies", needs: ["reply:batch"], build: reply},
  {id: "caption", title: "A caption for an image", needs: ["caption:upload"], build: caption},
  {id: "frames", title: "A label for a clip of frames", needs: ["label:batch"], build: frames},
  {id: "transcribe", title: "Spoken digits", needs: ["transcribe:upload"], build: transcribe},
  {id: "backtest", title: "Forecast, truth and baselines", needs: ["backtest:batch"], build: backtest},
  {id: "music", title: "Music", needs: ["generate:batch", "render:batch"], build: music},
  {id: "architecture", title: "Inside: the unrolled network", needs: [], build: architecture},
  {id: "activations", title: "Inside: what a unit tracks", needs: ["activations:batch"], build: activations},
  {id: "gradients", title: "Inside: gradients back in time", needs: ["gradients:batch"], build: gradients},
];

const state = {models: [], current: null};

function routesOf(model) {
  const routes = {};
  for (const r of model.routes) routes[r.path.slice(r.path.lastIndexOf("/") + 1)] = r;
  return routes;
}

function offered(view, routes) {
  return view.needs.every(need => {
    const [name, kind] = need.split(":");
    return routes[name] && routes[name].kind === kind;
  });
}

function viewSection(id, title, help) {
  const heading = h("h3", {id: `${id}-title`, text: title});
  const status = h("p", {class: "status", role: "status", "aria-live": "polite"});
  const section = h("section", {class: "view", id, "aria-labelledby": heading.id}, heading,
    help ? h("p", {class: "help", text: help}) : null, status);
  // show(message, error): a line under the heading for what is happening or what went wrong
  const show = (message, error = false) => {
    status.textContent = message || "";
    status.classList.toggle("error", error);
    status.setAttribute("role", error ? "alert" : "status");
  };
  return {section, show};
}

async function fill(view, run, routes, show, section) {
  try {
    await view.build(run, routes, show, section);
  } catch (e) {
    show(e.message, true);
  }
}

function renderRun(model) {
  const main = document.getElementById("run");
  const routes = routesOf(model);
  const used = new Set();
  main.replaceChildren(h("h2", {id: "run-title", tabindex: "-1", text: model.name}), h("p", {class: "facts"},
    `${model.task} · ${model.cell} · widths ${model.hidden_sizes.join(", ")} · `
    + `${model.parameters.toLocaleString("en")} parameters`
    + (model.vocabulary ? ` · vocabulary ${model.vocabulary.toLocaleString("en")}` : "")));
  for (const view of VIEWS.filter(v => offered(v, routes))) {
    view.needs.concat(view.uses || []).forEach(n => used.add(n.split(":")[0]));
    const help = view.needs.length ? routes[view.needs[0].split(":")[0]].help : null;
    const {section, show} = viewSection(`${model.name}-${view.id}`, view.title, help);
    section.dataset.view = view.id;
    main.append(section);
    fill(view, model, routes, show, section);
  }
  for (const [name, route] of Object.entries(routes).filter(([n]) => !used.has(n))) {
    const {section, show} = viewSection(`${model.name}-route-${name}`, `Route ${name}`, route.help);
    section.dataset.view = `route-${name}`;
    main.append(section);
    fill({build: form}, model, route, show, section);
  }
  document.title = `${model.name} · elman serve`;
}

function choose() {
  const name = decodeURIComponent(location.hash.slice(1));
  const model = state.models.find(m => m.name === name) || state.models[0];
  if (!model || model === state.current) return;
  state.current = model;
  for (const link of document.querySelectorAll("#runs a")) {
    if (link.dataset.run === model.name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  renderRun(model);
}

async function boot() {
  const nav = document.getElementById("runs");
  try {
    state.models = (await getJSON("/v1/models")).models;
  } catch (e) {
    nav.replaceChildren(h("p", {class: "status error", role: "alert", text: e.message}));
    return;
  }
  nav.replaceChildren(h("ul", {}, state.models.map(m => h("li", {},
    h("a", {href: `#${encodeURIComponent(m.name)}`, "data-run": m.name},
      h("span", {class: "name", text: m.name}), h("span", {class: "task", text: m.task}))))));
  window.addEventListener("hashchange", () => {
    choose();
    document.getElementById("run-title").focus();
  });
  choose();
}

boot();
