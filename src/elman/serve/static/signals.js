// Signals: a forecast beside its history, the truth and the baselines; a generated piece as a
// piano roll with an audio player; spoken digits from a WAV file or the microphone.

import {ask, upload} from "./api.js";
import {format, h, lineChart, onSubmit, s} from "./draw.js";

function field(id, name, label, attrs) {
  return h("span", {class: "field"}, h("label", {for: id, text: label}), h("input", {id, name, ...attrs}));
}

// A form of several fields and a button: run({name: value}) on submit and once at the start.
function controls(section, show, fields, button, run) {
  const submit = h("button", {type: "submit", text: button});
  const form = h("form", {class: "controls"}, fields, submit);
  const go = onSubmit(form, submit, show, () => run(Object.fromEntries(new FormData(form))));
  section.append(form);
  go();
}

// Times as numbers: numbers as they are, dates as fractional years.
function years(times) {
  return times.map(t => (typeof t === "string" ? 1970 + Date.parse(t) / 31557600000 : t));
}

export async function backtest(run, routes, show, section) {
  const id = `${run.name}-backtest`;
  const chart = h("div", {class: "chart-box"});
  const origin = h("select", {id: `${id}-origin`, name: "origin"},
    h("option", {value: "valid", text: "where validation starts"}),
    h("option", {value: "end", text: "after the last value"}));
  const fields = [h("span", {class: "field"}, h("label", {for: origin.id, text: "From"}), origin),
    field(`${id}-steps`, "steps", "Steps", {type: "number", min: 1, max: 500, value: 24})];
  controls(section, show, fields, "Forecast", async ({origin, steps}) => {
    const out = await ask(routes.backtest, origin, {steps: Number(steps)});
    const ahead = years(out.times), past = years(out.history.times);
    const keep = Math.min(past.length, Math.max(60, 3 * ahead.length));
    const lines = [{name: `${out.name} (history)`, xs: past.slice(-keep), ys: out.history.values.slice(-keep), cls: "history"}];
    if (out.truth.length) lines.push({name: "truth", xs: ahead.slice(0, out.truth.length), ys: out.truth, cls: "truth"});
    out.forecasters.forEach((f, i) => lines.push({name: f.name, xs: ahead, ys: f.values, cls: `f${i}`}));
    const scores = h("table", {class: "scores"}, h("caption", {text: out.truth.length
      ? `errors over the ${out.truth.length} values with a truth` : "no truth after the end of the series"}),
    h("tr", {}, h("th", {scope: "col", text: "forecaster"}), h("th", {scope: "col", text: "RMSE"}),
      h("th", {scope: "col", text: "MAE"})),
    out.forecasters.map(f => h("tr", {"data-name": f.name, "data-rmse": f.rmse},
      h("th", {scope: "row", text: f.name}), h("td", {class: "number", text: format(f.rmse, 4)}),
      h("td", {class: "number", text: format(f.mae, 4)}))));
    chart.replaceChildren(lineChart({lines, title: `${out.name}: forecast of ${ahead.length} values`,
      xLabel: "time", yLabel: out.name, marks: [{x: ahead[0], label: "forecast starts"}]}), scores);
  });
  section.append(chart);
}

// A piano roll: one bar per held note (consecutive steps of one pitch joined).
function pianoRoll(piece) {
  const pitches = piece.flat();
  const lo = Math.min(...pitches, 60) - 2, hi = Math.max(...pitches, 72) + 2;
  const cell = {w: Math.max(4, Math.min(16, 720 / piece.length)), h: Math.max(3, Math.min(8, 320 / (hi - lo + 1)))};
  const width = 40 + cell.w * piece.length, height = cell.h * (hi - lo + 1) + 8;
  const svg = s("svg", {viewBox: `0 0 ${width} ${height}`, role: "img", class: "roll",
                        "aria-label": `piano roll of ${piece.length} steps`});
  for (let p = lo; p <= hi; p++) {
    const y = height - 4 - cell.h * (p - lo + 1);
    if (p % 12 === 0) svg.append(s("text", {x: 2, y: y + cell.h, class: "tick", text: `C${p / 12 - 1}`}));
    if ([1, 3, 6, 8, 10].includes(p % 12)) svg.append(s("rect", {x: 40, y, width: width - 40, height: cell.h, class: "black-key"}));
  }
  let notes = 0;
  piece.forEach((step, t) => step.forEach(p => {
    if (t > 0 && piece[t - 1].includes(p)) return;
    let end = t + 1;
    while (end < piece.length && piece[end].includes(p)) end++;
    notes++;
    svg.append(s("rect", {x: 40 + cell.w * t, y: height - 4 - cell.h * (p - lo + 1), width: cell.w * (end - t) - 1,
                          height: cell.h - 1, class: "note", "data-pitch": p, "data-start": t, "data-end": end},
    s("title", {text: `pitch ${p}, steps ${t}-${end - 1}`})));
  }));
  svg.dataset.notes = notes;
  return svg;
}

export async function music(run, routes, show, section) {
  const id = `${run.name}-music`;
  const out = h("div", {class: "piece"});
  const fields = [field(`${id}-opening`, "opening", "Opening chord (MIDI pitches)", {value: "60 64 67", size: 10}),
    field(`${id}-length`, "length", "Steps", {type: "number", min: 1, max: 256, value: 48}),
    field(`${id}-temperature`, "temperature", "Temperature", {type: "number", min: 0.05, step: 0.05, value: 0.8}),
    field(`${id}-seed`, "seed", "Seed", {type: "number", min: 0, value: 1}),
    field(`${id}-tempo`, "tempo", "Tempo (steps per minute)", {type: "number", min: 30, max: 600, value: 180})];
  controls(section, show, fields, "Generate", async values => {
    const opening = values.opening.split(/[\s,]+/).filter(Boolean).map(Number);
    const piece = await ask(routes.generate, opening, {length: Number(values.length),
      temperature: Number(values.temperature), seed: values.seed === "" ? null : Number(values.seed)});
    const sound = await ask(routes.render, piece, {tempo: Number(values.tempo)});
    out.replaceChildren(pianoRoll(piece),
      h("audio", {controls: true, src: `data:audio/wav;base64,${sound.wav}`, "data-seconds": sound.seconds,
                  "aria-label": "the piece, rendered"}),
      h("p", {class: "note", text: `${piece.length} steps, ${format(sound.seconds)} s at ${values.tempo} steps per minute`}));
  });
  section.append(out);
}

// Samples (Float32Array) -> a 16-bit mono WAV file.
function wavBlob(samples, rate) {
  const view = new DataView(new ArrayBuffer(44 + 2 * samples.length));
  const text = (at, t) => [...t].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)));
  text(0, "RIFF");
  view.setUint32(4, 36 + 2 * samples.length, true);
  text(8, "WAVEfmt ");
  [[16, 16, 4], [20, 1, 2], [22, 1, 2], [24, rate, 4], [28, 2 * rate, 4], [32, 2, 2], [34, 16, 2]]
    .forEach(([at, v, n]) => (n === 4 ? view.setUint32(at, v, true) : view.setUint16(at, v, true)));
  text(36, "data");
  view.setUint32(40, 2 * samples.length, true);
  samples.forEach((v, i) => view.setInt16(44 + 2 * i, Math.max(-1, Math.min(1, v)) * 32767, true));
  return new Blob([view], {type: "audio/wav"});
}

// Two seconds from the microphone, as a WAV file.
async function record(seconds = 2) {
  const media = await navigator.mediaDevices.getUserMedia({audio: true});
  const recorder = new MediaRecorder(media), chunks = [];
  recorder.addEventListener("dataavailable", e => chunks.push(e.data));
  const stopped = new Promise(resolve => recorder.addEventListener("stop", resolve));
  recorder.start();
  await new Promise(resolve => setTimeout(resolve, 1000 * seconds));
  recorder.stop();
  await stopped;
  media.getTracks().forEach(t => t.stop());
  const context = new AudioContext();
  const audio = await context.decodeAudioData(await new Blob(chunks).arrayBuffer());
  context.close();
  return wavBlob(audio.getChannelData(0), audio.sampleRate);
}

export async function transcribe(run, routes, show, section) {
  const id = `${run.name}-wav`;
  const result = h("ul", {class: "heard", "aria-label": "what the model heard"});
  const files = h("input", {id, type: "file", accept: ".wav,audio/wav", multiple: true});
  const hear = async named => {
    show("working…");
    try {
      const out = (await upload(routes.transcribe.path, named)).outputs;
      result.replaceChildren(...out.map((o, i) => h("li", {"data-output": JSON.stringify(o)},
        h("span", {class: "file", text: named[i][0]}),
        h("span", {class: "output", text: typeof o === "string" ? o || "(nothing)" : o.digit}),
        typeof o === "string" ? null : h("span", {class: "p", text: `${(100 * o.probability).toFixed(1)}%`}))));
      show("");
    } catch (e) {
      show(e.message, true);
    }
  };
  files.addEventListener("change", () => hear([...files.files].map(f => [f.name, f])));
  const row = h("div", {class: "row"}, h("label", {for: id, text: "WAV files"}), files);
  if (navigator.mediaDevices && window.MediaRecorder) {
    const mic = h("button", {type: "button", text: "Record 2 s from the microphone"});
    mic.addEventListener("click", async () => {
      mic.disabled = true;
      show("recording…");
      try {
        await hear([["microphone.wav", await record()]]);
      } catch (e) {
        show(`the microphone: ${e.message}`, true);
      } finally {
        mic.disabled = false;
      }
    });
    row.append(mic);
  }
  section.append(row, result);
}
