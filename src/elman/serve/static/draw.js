// Elements and plain SVG charts: a line chart, a heatmap and colour scales. No library.

const SVG = "http://www.w3.org/2000/svg";

function fill(node, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "style") Object.assign(node.style, value);     // no style attribute: CSP
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

// h("p", {class: "note", text: "..."}, child, ...): an HTML element.
export function h(tag, attrs, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

// s("rect", {x: 1, ...}, child, ...): an SVG element.
export function s(tag, attrs, ...children) {
  return fill(document.createElementNS(SVG, tag), attrs, children);
}

export function format(x, digits = 3) {
  if (x === null || x === undefined) return "-";
  if (x !== 0 && (Math.abs(x) >= 1e5 || Math.abs(x) < 1e-3)) return x.toExponential(2);
  return Number(x.toPrecision(digits)).toString();
}

// A diverging colour: -1 blue, 0 white, +1 red (values clipped to [-1, 1]).
export function diverging(v) {
  const t = Math.max(-1, Math.min(1, v));
  const [r, g, b] = t >= 0 ? [255, 255 - 160 * t, 255 - 160 * t] : [255 + 190 * t, 255 + 120 * t, 255];
  return `rgb(${r | 0}, ${g | 0}, ${b | 0})`;
}

// A sequential colour: 0 white to 1 dark blue.
export function sequential(v) {
  const t = Math.max(0, Math.min(1, v));
  return `rgb(${(255 - 225 * t) | 0}, ${(255 - 170 * t) | 0}, ${(255 - 90 * t) | 0})`;
}

function ticks(lo, hi, n = 5) {
  if (hi === lo) return [lo];
  const step = 10 ** Math.floor(Math.log10((hi - lo) / n));
  const nice = [1, 2, 5, 10].map(m => m * step).find(m => (hi - lo) / m <= n) || step * 10;
  const out = [];
  for (let v = Math.ceil(lo / nice) * nice; v <= hi + 1e-9 * nice; v += nice) out.push(v);
  return out;
}

// Lines [{name, xs, ys, cls}] on shared axes; log: a log10 y axis (values <= 0 left out).
// Each line's path carries data-name and data-points; the legend names every line.
export function lineChart({lines, title, xLabel, yLabel, log = false, width = 720, height = 300,
                           marks = []}) {
  const m = {left: 64, right: 16, top: 16, bottom: 44};
  const ty = log ? v => (v > 0 ? Math.log10(v) : null) : v => v;
  const xs = lines.flatMap(l => l.xs), ys = lines.flatMap(l => l.ys.map(ty)).filter(v => v !== null && isFinite(v));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const X = x => m.left + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (width - m.left - m.right);
  const Y = y => height - m.bottom - (y - y0) / (y1 - y0) * (height - m.top - m.bottom);
  const svg = s("svg", {viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "chart"},
    s("title", {text: title}));
  for (const v of ticks(y0, y1)) {
    svg.append(s("line", {x1: m.left, x2: width - m.right, y1: Y(v), y2: Y(v), class: "grid"}),
      s("text", {x: m.left - 6, y: Y(v) + 4, class: "tick", "text-anchor": "end",
                 text: log ? `1e${Math.round(v)}` : format(v)}));
  }
  for (const v of ticks(x0, x1, 8)) {
    svg.append(s("text", {x: X(v), y: height - m.bottom + 16, class: "tick", "text-anchor": "middle", text: format(v)}));
  }
  for (const mark of marks) {
    svg.append(s("line", {x1: X(mark.x), x2: X(mark.x), y1: m.top, y2: height - m.bottom, class: "mark"}),
      s("text", {x: X(mark.x) + 4, y: m.top + 12, class: "tick", text: mark.label}));
  }
  svg.append(s("text", {x: (width + m.left) / 2, y: height - 6, class: "axis", "text-anchor": "middle", text: xLabel}),
    s("text", {x: 14, y: (height - m.bottom) / 2, class: "axis", "text-anchor": "middle",
               transform: `rotate(-90 14 ${(height - m.bottom) / 2})`, text: yLabel}));
  lines.forEach((line, i) => {
    const points = line.xs.map((x, j) => [x, ty(line.ys[j])]).filter(([, y]) => y !== null && isFinite(y));
    const d = points.map(([x, y], j) => `${j ? "L" : "M"}${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join("");
    svg.append(s("path", {d, class: `line ${line.cls || `c${i}`}`, "data-name": line.name,
                          "data-points": points.length}));
  });
  const legend = h("ul", {class: "legend"},
    lines.map((line, i) => h("li", {}, h("span", {class: `swatch ${line.cls || `c${i}`}`}), line.name)));
  return h("figure", {class: "chart"}, svg, legend);
}

// A grid of cells coloured by values [row][col] in [0, 1], rows and cols labelled.
export function heatmap({values, rows, cols, title, cell = 30}) {
  const left = 8 + 8 * Math.max(...rows.map(r => r.length)), top = 8 + 8 * Math.max(...cols.map(c => c.length));
  const width = left + cell * cols.length + 8, height = top + cell * rows.length + 8;
  const svg = s("svg", {viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title,
                        class: "heatmap", style: {maxWidth: `${width}px`}}, s("title", {text: title}));
  cols.forEach((c, j) => svg.append(s("text", {class: "tick", "text-anchor": "start",
    transform: `translate(${left + cell * j + cell / 2 + 4} ${top - 6}) rotate(-60)`, text: c})));
  rows.forEach((r, i) => {
    svg.append(s("text", {x: left - 6, y: top + cell * i + cell / 2 + 4, class: "tick", "text-anchor": "end", text: r}));
    values[i].forEach((v, j) => svg.append(s("rect", {
      x: left + cell * j, y: top + cell * i, width: cell - 1, height: cell - 1, fill: sequential(v),
      "data-value": v}, s("title", {text: `${r} <- ${cols[j]}: ${format(v)}`}))));
  });
  return svg;
}

// Run work() when form is submitted, its button disabled meanwhile, "working…" and then nothing
// or the error on the view's status line; returns the function that does it.
export function onSubmit(form, submit, show, work) {
  const go = async () => {
    submit.disabled = true;
    show("working…");
    try {
      await work();
      show("");
    } catch (e) {
      show(e.message, true);
    } finally {
      submit.disabled = false;
    }
  };
  form.addEventListener("submit", event => {
    event.preventDefault();
    go();
  });
  return go;
}

// A form of one labelled input and a button: run(value) on submit and (auto) once at the start
// with the initial value; "working…", then nothing or the error, on the view's status line.
export function textForm(section, show, {id, label, value, button = "Run", multiline = false, auto = true},
                         run) {
  const input = h(multiline ? "textarea" : "input", {id, rows: multiline ? 3 : null, spellcheck: "false"});
  input.value = value;
  const submit = h("button", {type: "submit", text: button});
  const form = h("form", {class: "ask"}, h("label", {for: id, text: label}), h("div", {class: "row"}, input, submit));
  const go = onSubmit(form, submit, show, () => run(input.value));
  section.append(form);
  if (auto) go();
  return input;
}
