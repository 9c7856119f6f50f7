// Pictures in: the caption of an image (drawn, written in the digit font, chosen or dropped)
// through an upload route, and the label of a clip of frames (a drawn digit read row by row
// or moving across the frames, or a .npy clip) through a batch route.

import {ask, RouteError, upload} from "./api.js";
import {format, h} from "./draw.js";
import {CELL, droppable, pad, readNpy} from "./pad.js";

// A number field for a route's param, or null when the route has no such param.
function paramField(route, id, name, label, attrs = {}) {
  if (!(name in (route.params || {}))) return null;
  return h("span", {class: "field"}, h("label", {for: id, text: label}),
    h("input", {id, name, type: "number", value: route.params[name], ...attrs}));
}

// "Write" (digits of the font), "Clear" and the action's button under a pad; run(formData) on
// the action and once at the start with `first` written.
function padControls(section, show, board, {id, first, button, extra = []}, run) {
  const digits = h("input", {id: `${id}-digits`, value: first, size: 6, inputmode: "numeric",
                             autocomplete: "off"});
  const write = h("button", {type: "button", text: "Write"});
  const clear = h("button", {type: "button", class: "secondary", text: "Clear"});
  const submit = h("button", {type: "submit", text: button});
  const form = h("form", {class: "controls", novalidate: true},   // errors on the status line
    h("span", {class: "field"}, h("label", {for: digits.id, text: "Digits in the font"}), digits),
    write, clear, extra, submit);
  const go = async () => {
    submit.disabled = true;
    show("working…");
    try {
      await run(new FormData(form));
      show("");
    } catch (e) {
      show(e.message, true);
    } finally {
      submit.disabled = false;
    }
  };
  write.addEventListener("click", () => {
    try {
      board.write(digits.value);
      show("");
    } catch (e) {
      show(e.message, true);
    }
  });
  clear.addEventListener("click", () => board.clear());
  form.addEventListener("submit", e => {
    e.preventDefault();
    go();
  });
  section.append(h("p", {class: "note", text: "Draw on the black canvas with a mouse, pen or "
    + "finger, or write digits of the built-in font into it."}), board.canvas, form);
  board.write(first);
  go();
}

export async function caption(run, routes, show, section) {
  const route = routes.caption, task = run.config.task, id = `${run.name}-caption`;
  const {width, height} = task;
  const board = pad({id: `${id}-pad`, width, height, scale: Math.max(1, Math.floor(384 / width)),
                     label: "the image to caption"});
  const result = h("p", {class: "output caption", "aria-label": "caption"});
  const source = h("p", {class: "note source"});
  const beam = paramField(route, `${id}-beam`, "beam", "Beam width", {min: 1});
  const send = async (named, params) => {
    const out = (await upload(route.path, [named], params)).outputs[0];
    result.textContent = out.caption || "(an empty caption)";
    result.dataset.caption = out.caption;
    source.textContent = `the caption of ${named[0]}`;
  };
  const params = () => (beam ? {beam: beam.querySelector("input").value} : {});
  padControls(section, show, board, {id, first: "371", button: "Caption the canvas", extra: [beam]},
    async () => send(["canvas.png", await board.blob()], params()));

  const files = h("input", {id: `${id}-file`, type: "file", accept: "image/*"});
  const pick = async file => {
    show("working…");
    try {
      await board.show(file);      // a file the browser cannot draw still goes to the server
      await send([file.name, file], params());
      show("");
    } catch (e) {
      show(e.message, true);
    }
  };
  files.addEventListener("change", () => files.files.length && pick(files.files[0]));
  droppable(section, found => pick(found[0]));
  section.append(h("div", {class: "row"}, h("label", {for: files.id, text: "Or an image file (or drop "
    + "one here)"}), files), result, source);
}

// The drawing as the run reads it: one image (rows or pixels of it) for a run of sequential
// images; for a run of moving digits, a clip of `frames` frames (size x size) in which the
// drawing, shrunk to half, moves `speed` pixels a frame towards `direction`, turning back at
// the edges as elman.data.clips.move does.
const DIRECTIONS = {right: [0, 1], left: [0, -1], down: [1, 0], up: [-1, 0]};

function shrink(image) {
  return Array.from({length: image.length / 2}, (_, y) => Array.from({length: image[0].length / 2},
    (_, x) => (image[2 * y][2 * x] + image[2 * y][2 * x + 1] + image[2 * y + 1][2 * x]
               + image[2 * y + 1][2 * x + 1]) / 4));
}

function movingClip(image, {size, frames, direction, speed}) {
  const group = shrink(image), gh = group.length, gw = group[0].length;
  let v = DIRECTIONS[direction].map(d => d * speed);
  let pos = [Math.floor((size - gh) / 2), Math.floor((size - gw) / 2)];
  const clip = [];
  for (let t = 0; t < frames; t++) {
    if (t) {
      const next = [pos[0] + v[0], pos[1] + v[1]];
      if (!(next[0] >= 0 && next[0] <= size - gh && next[1] >= 0 && next[1] <= size - gw)) v = v.map(d => -d);
      pos = [pos[0] + v[0], pos[1] + v[1]];
    }
    clip.push(Array.from({length: size}, (_, y) => Array.from({length: size}, (_, x) => {
      const [gy, gx] = [y - pos[0], x - pos[1]];
      return gy >= 0 && gy < gh && gx >= 0 && gx < gw ? Math.round(group[gy][gx]) : 0;
    })));
  }
  return clip;
}

// One frame (rows of grey, or of [grey] or [r, g, b]: 0..1, or 0..255 when a value is over 1)
// as a small canvas.
function thumbnail(frame, label) {
  const height = frame.length, width = frame[0].length;
  const canvas = h("canvas", {width, height, class: "frame", role: "img", "aria-label": label});
  const ctx = canvas.getContext("2d"), image = ctx.createImageData(width, height);
  const max = frame.flat(2).reduce((a, b) => Math.max(a, b), 1);
  frame.forEach((row, y) => row.forEach((px, x) => {
    const rgb = Array.isArray(px) ? (px.length >= 3 ? px.slice(0, 3) : [px[0], px[0], px[0]]) : [px, px, px];
    image.data.set([...rgb.map(c => (max > 1 ? c : 255 * c)), 255], 4 * (y * width + x));
  }));
  ctx.putImageData(image, 0, 0);
  return canvas;
}

// Pixels 0..255 (nested lists) as the run reads uint8 pixels: divided by 255. JSON has no
// uint8, and the route reads numbers that are not uint8 as they are.
const unit = a => (Array.isArray(a) ? a.map(unit) : a / 255);

function answer(out, clip, frames, result) {
  result.dataset.output = JSON.stringify(out);
  if (out.labels) {
    frames.replaceChildren(...out.labels.map((label, t) => h("li", {"data-label": label},
      thumbnail(clip[t], `frame ${t + 1}`), h("span", {class: "tag", text: label}))));
    result.textContent = `a label per frame: ${out.labels.join(" ")}`;
    return;
  }
  frames.replaceChildren();
  result.replaceChildren(h("span", {class: "output", text: out.label}),
    h("span", {class: "p", text: ` ${format(100 * out.probability, 3)}%`}));
}

export async function frames(run, routes, show, section) {
  const route = routes.label, task = run.config.task, id = `${run.name}-frames`;
  const moving = task.clips === "moving";
  const group = moving ? task.digits_per_clip : 1;
  const board = pad({id: `${id}-pad`, width: CELL * group, height: CELL, scale: 6,
                     label: "the digit to label"});
  const result = h("p", {class: "label", "aria-label": "label"});
  const strip = h("ol", {class: "frames", "aria-label": "the frames sent and their labels"});
  const direction = h("select", {id: `${id}-direction`, name: "direction"},
    Object.keys(DIRECTIONS).map(d => h("option", {value: d, text: d})));
  const extra = moving ? [h("span", {class: "field"}, h("label", {for: direction.id, text: "Moving"}), direction),
    h("span", {class: "field"}, h("label", {for: `${id}-count`, text: "Frames"}),
      h("input", {id: `${id}-count`, name: "frames", type: "number", min: 2, max: 200,
                  value: task.frames_max}))] : [];
  const send = async clip => answer(await ask(route, clip), clip, strip, result);
  padControls(section, show, board, {id, first: "7", button: "Label it", extra}, async form => {
    const image = board.pixels();
    if (!moving) return send(unit(image));
    const count = Number(form.get("frames"));
    if (!Number.isInteger(count) || count < 2) {
      throw new RouteError(`frames: expected an integer >= 2, got ${JSON.stringify(form.get("frames"))}`,
        "frames");
    }
    return send(unit(movingClip(image, {size: task.frame_size, frames: count,
                                        direction: form.get("direction"), speed: 2})));
  });
  section.append(h("p", {class: "note", text: moving
    ? `The drawing is sent as a clip of ${task.frame_size} x ${task.frame_size} frames in which it moves `
      + "(pixels 0 to 1)." : "The drawing is sent as one image (pixels 0 to 1); the run reads it row by "
      + "row (or pixel by pixel)."}));

  const files = h("input", {id: `${id}-file`, type: "file", accept: ".npy"});
  const pick = async file => {
    show("working…");
    try {
      const {dtype, values} = readNpy(await file.arrayBuffer(), file.name);
      await send(dtype === "u1" ? unit(values) : values);
      show("");
    } catch (e) {
      show(e.message, true);
    }
  };
  files.addEventListener("change", () => files.files.length && pick(files.files[0]));
  droppable(section, found => pick(found[0]));
  section.append(h("div", {class: "row"}, h("label", {for: files.id, text: "Or a clip: a .npy file "
    + "(T x H x W or T x H x W x C; one H x W image for a run of sequential images)"}), files),
  result, strip);
}
