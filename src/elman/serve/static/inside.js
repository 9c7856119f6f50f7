// Inside the RNN: the unrolled network with the run's real sizes (GET /v1/NAME/architecture),
// a text coloured by one unit's activation (route "activations") and ||dL/da_t|| against t
// (route "gradients").

import {ask, getJSON} from "./api.js";
import {diverging, format, h, lineChart, s, textForm} from "./draw.js";

const STEPS = 3, DOTS = 16, COLUMN = 230, ROW = 78;
const SAMPLE = 'He said "look (there)", and\nthe cat sat on the mat (by the door).\n'
  + 'A small dog likes "a bright lamp" at night.';

const times = b => b.join("×");

// The vectors of one step, bottom to top: x, every recurrent layer, the outputs.
function vectors(rows) {
  return rows.map(r => ({name: r.layer, width: (r.a_t || r.z_t).at(-1), recurrent: r.W_R !== null, row: r,
                         everyStep: r.layer === "x" || r.W_R !== null || (r.a_t && r.a_t.length === 3)}));
}

function units(svg, cx, cy, n, cls) {
  const shown = Math.min(n, DOTS), gap = 10, x0 = cx - (shown - 1) * gap / 2;
  for (let i = 0; i < shown; i++) svg.append(s("circle", {cx: x0 + i * gap, cy, r: 4, class: cls}));
  if (n > DOTS) svg.append(s("text", {x: x0 + shown * gap, y: cy + 4, class: "tick", text: "…"}));
}

// The network unrolled over STEPS steps: a row of unit dots per vector, W_F arrows up,
// W_R arrows right; every label is the run's own shape.
function unrolled(arch) {
  const vs = vectors(arch.rows);
  const width = 150 + COLUMN * STEPS, height = 60 + ROW * (vs.length - 1);
  const svg = s("svg", {viewBox: `0 0 ${width} ${height}`, role: "img", class: "unrolled",
                        "aria-label": `${arch.name} unrolled over ${STEPS} steps`},
  s("defs", {}, s("marker", {id: "arrow", viewBox: "0 0 8 8", refX: 7, refY: 4, markerWidth: 6, markerHeight: 6,
                             orient: "auto-start-reverse"}, s("path", {d: "M0,0 L8,4 L0,8 z", class: "arrowhead"}))));
  const y = i => height - 30 - ROW * i, x = t => 120 + COLUMN * t + COLUMN / 2;
  vs.forEach((v, i) => {
    svg.append(s("text", {x: 4, y: y(i) - 4, class: "layer-name", text: v.name === "x" ? "input x" : v.name}),
      s("text", {x: 4, y: y(i) + 12, class: "tick", text: `${v.width} units`}));
    for (let t = 0; t < STEPS; t++) {
      if (!v.everyStep && t < STEPS - 1) continue;
      units(svg, x(t), y(i), v.width, v.recurrent ? "unit" : v.name === "x" ? "input" : "output");
      if (i > 0) {
        svg.append(s("line", {x1: x(t), y1: y(i - 1) - 8, x2: x(t), y2: y(i) + 8, class: "edge", "marker-end": "url(#arrow)"}));
        if (t === (v.everyStep ? 0 : STEPS - 1)) svg.append(s("text", {x: x(t) + 6, y: (y(i - 1) + y(i)) / 2 + 4,
                                                                      class: "shape", text: `W_F ${times(v.row.W_F)}`}));
      }
      if (v.recurrent && t > 0) {
        svg.append(s("line", {x1: x(t - 1) + 90, y1: y(i), x2: x(t) - 90, y2: y(i), class: "edge recurrent", "marker-end": "url(#arrow)"}));
        if (t === 1) svg.append(s("text", {x: (x(0) + x(1)) / 2, y: y(i) - 8, class: "shape", "text-anchor": "middle",
                                         text: `W_R ${times(v.row.W_R)}, b ${times(v.row.b)}`}));
      }
    }
  });
  for (let t = 0; t < STEPS; t++) {
    svg.append(s("text", {x: x(t), y: height - 6, class: "axis", "text-anchor": "middle", text: ["t − 1", "t", "t + 1"][t]}));
  }
  return svg;
}

function sizes(arch) {
  const head = ["layer", "W_F", "W_R", "b", "z_t", "a_t", "params"];
  const cell = v => (v === null ? "" : Array.isArray(v) ? `(${v.join(", ")})` : v.toLocaleString("en"));
  return h("div", {class: "tables"},
    h("div", {class: "scroll"}, h("table", {class: "sizes"}, h("caption", {text: "sizes (batch of 1)"}),
      h("tr", {}, head.map(k => h("th", {scope: "col", text: k}))),
      arch.rows.map(r => h("tr", {"data-layer": r.layer}, head.map(k => h("td", {class: k === "params" ? "number" : null,
                                                                              text: cell(r[k])})))))),
    h("table", {class: "counts"}, h("caption", {text: "parameters"}),
      Object.entries(arch.counts).map(([kind, n]) => h("tr", {},
        h("th", {scope: "row", text: kind}), h("td", {class: "number", text: n.toLocaleString("en")}))),
      h("tr", {class: "total", "data-total": arch.total}, h("th", {scope: "row", text: "total"}),
        h("td", {class: "number", text: arch.total.toLocaleString("en")}))));
}

export async function architecture(run, routes, show, section) {
  const arch = await getJSON(`/v1/${encodeURIComponent(run.name)}/architecture`);
  const first = arch.rows.find(r => r.W_R);
  section.append(h("p", {class: "help", text: `${arch.cell} cell: a layer of H units stacks G = `
    + `${first.z_t.at(-1) / first.a_t.at(-1)} blocks of H rows in W_F, W_R and b, `
    + "z_t = W_F a_t (the layer below) + W_R a_(t−1) + b, and a_t follows from z_t"}),
  h("div", {class: "scroll"}, unrolled(arch)), sizes(arch));
}

const scaleOf = (out, unit) => Math.max(...out.activations.map(a => Math.abs(a[unit]))) || 1;

// The text, one span per token, coloured by the unit's activation over its largest |a| here
// (blue: negative, white: 0, red: positive).
function coloured(out, unit, words) {
  const scale = scaleOf(out, unit);
  return out.tokens.flatMap((token, t) => {
    const a = out.activations[t][unit];
    const span = h("span", {class: "tok", "data-a": a, title: `${JSON.stringify(token)}: ${format(a)}`,
                            style: {background: diverging(a / scale)}, text: token === "\n" ? "↵" : token});
    if (token === "\n") return [span, h("br")];
    return words && t > 0 ? [" ", span] : [span];
  });
}

export async function activations(run, routes, show, section) {
  const id = `${run.name}-act`;
  const words = run.config.task.level === "word";
  const layer = h("select", {id: `${id}-layer`}, run.hidden_sizes.map((n, l) =>
    h("option", {value: l + 1, text: `layer ${l + 1} (${n} units)`, selected: l === run.hidden_sizes.length - 1})));
  const unit = h("select", {id: `${id}-unit`});
  const text = h("p", {class: "coloured", "aria-describedby": `${id}-key`});
  const ranking = h("div", {class: "ranking"});
  const key = h("p", {class: "note", id: `${id}-key`});
  let out = null;
  const paint = () => {
    const u = Number(unit.value), scale = format(scaleOf(out, u));
    text.replaceChildren(...coloured(out, u, words));
    key.textContent = `each ${words ? "word" : "character"} on the colour of unit ${u}'s activation after `
      + `reading it: blue −${scale}, white 0, red +${scale}`;
  };
  unit.addEventListener("change", paint);
  const input = textForm(section, show, {id: `${id}-in`, label: "A text", value: SAMPLE, button: "Show",
                                         multiline: true}, async value => {
    out = await ask(routes.activations, value, {layer: Number(layer.value)});
    const width = out.activations[0].length;
    const best = Object.values(out.features).find(f => f.units.length);
    unit.replaceChildren(...Array.from({length: width}, (_, u) => h("option", {value: u, text: `unit ${u}`})));
    unit.value = best ? best.units[0][0] : 0;
    ranking.replaceChildren(h("table", {class: "rank"}, h("caption", {text: "units that track a feature of this text"}),
      h("tr", {}, h("th", {scope: "col", text: "feature"}), h("th", {scope: "col", text: "best units (correlation)"})),
      Object.entries(out.features).map(([name, f]) => h("tr", {"data-feature": name},
        h("th", {scope: "row", text: name}),
        h("td", {}, f.units.length ? f.units.slice(0, 3).map(([u, r]) => h("button", {
          type: "button", class: "unit", "data-unit": u, "data-r": r, text: `unit ${u} (${r.toFixed(2)})`,
          onclick: () => {
            unit.value = u;
            paint();
          }})) : "constant in this text")))));
    paint();
  });
  layer.addEventListener("change", () => input.form.requestSubmit());
  input.form.prepend(h("div", {class: "row"}, h("label", {for: layer.id, text: "Layer"}), layer,
    h("label", {for: unit.id, text: "Unit"}), unit));
  section.append(key, text, ranking);
}

export async function gradients(run, routes, show, section) {
  const chart = h("div", {class: "chart-box"});
  textForm(section, show, {id: `${run.name}-grad-in`, label: "A text (the loss is that of its last token)",
                           value: "The captain likes a quiet river and the cat watches the red door at night.",
                           button: "Backpropagate", multiline: true}, async value => {
    const out = await ask(routes.gradients, value);
    const xs = out.norms[0].map((_, t) => t);
    const lines = out.norms.map((ys, l) => ({name: `layer ${l + 1}`, xs, ys, cls: `c${l}`}));
    const top = out.norms.at(-1), ratio = top[0] / top.at(-1);
    const verdict = !(ratio > 0) ? "" : ratio < 1e-2 ? "vanishing" : ratio > 1e2 ? "exploding" : "neither vanishing nor exploding";
    chart.replaceChildren(lineChart({lines, log: true, title: "||dL/da_t|| against t",
                                     xLabel: `t (the ${top.length} tokens before the last one)`, yLabel: "||dL/da_t||"}),
    h("p", {class: "note verdict", "data-ratio": ratio, text: `L = ${format(out.loss)} nats (the last token, `
      + `${JSON.stringify(out.tokens.at(-1))}); at the first token the top layer's gradient is ${format(ratio)} `
      + `times that at the last one: ${verdict}`}));
  });
  section.append(chart);
}
