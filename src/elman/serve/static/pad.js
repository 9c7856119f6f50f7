// Pictures to send: a drawing pad (white ink on black, as the digit images are), digits of the
// built-in 5 x 7 font written on it, and the arrays of a .npy file read in the browser.

import {RouteError} from "./api.js";
import {h} from "./draw.js";

// elman.data.digit_images.FONT: 5 x 7 dots per digit, "#" ink (a test compares the two).
export const FONT = {
  0: [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."],
  1: ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."],
  2: [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"],
  3: ["#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."],
  4: ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."],
  5: ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."],
  6: ["..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."],
  7: ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."],
  8: [".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."],
  9: [".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."],
};
export const CELL = 28;          // a digit image: 28 x 28 pixels, the font at 4 pixels a dot
const DOT = 4;

// A canvas of width x height pixels, shown `scale` times larger: draw with a mouse, pen or
// finger; write("371") puts the font's digits in a row; pixels() -> rows of grey 0..255.
export function pad({id, width, height, scale, label}) {
  const canvas = h("canvas", {id, width, height, class: "pad", role: "img", "aria-label": label,
                              style: {width: `${width * scale}px`}});
  const ctx = canvas.getContext("2d", {willReadFrequently: true});
  const clear = () => {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, width, height);
  };
  const at = e => {
    const box = canvas.getBoundingClientRect();
    return [(e.clientX - box.left) / box.width * width, (e.clientY - box.top) / box.height * height];
  };
  let last = null;
  canvas.addEventListener("pointerdown", e => {
    canvas.setPointerCapture(e.pointerId);
    last = at(e);
  });
  canvas.addEventListener("pointermove", e => {
    if (!last) return;
    const next = at(e);
    Object.assign(ctx, {strokeStyle: "#fff", lineWidth: Math.max(2, Math.min(width, height) / 10),
                        lineCap: "round", lineJoin: "round"});
    ctx.beginPath();
    ctx.moveTo(...last);
    ctx.lineTo(...next);
    ctx.stroke();
    last = next;
  });
  for (const end of ["pointerup", "pointercancel"]) canvas.addEventListener(end, () => { last = null; });

  // The digits of `text` left to right, each in a cell of 28 x 28, the row centred.
  const write = text => {
    const digits = [...text.replace(/\s+/g, "")];
    const room = Math.floor(width / CELL);
    if (!digits.length || digits.some(d => !(d in FONT)) || digits.length > room) {
      throw new RouteError(`digits: expected 1 to ${room} digits 0-9 (a ${width} x ${height} `
        + `canvas), got ${JSON.stringify(text)}`, "digits");
    }
    clear();
    ctx.fillStyle = "#fff";
    const gap = (width - digits.length * CELL) / (digits.length + 1), top = Math.floor((height - CELL) / 2);
    digits.forEach((d, k) => {
      const left = Math.round(gap * (k + 1) + CELL * k) + (CELL - 5 * DOT) / 2;
      FONT[d].forEach((row, y) => [...row].forEach((c, x) => {
        if (c === "#") ctx.fillRect(left + x * DOT, top + y * DOT, DOT, DOT);
      }));
    });
  };
  const pixels = () => {
    const rgba = ctx.getImageData(0, 0, width, height).data;
    const grey = i => Math.round((rgba[4 * i] + rgba[4 * i + 1] + rgba[4 * i + 2]) / 3);
    return Array.from({length: height}, (_, y) => Array.from({length: width}, (_, x) => grey(y * width + x)));
  };
  const blob = () => new Promise(resolve => canvas.toBlob(resolve, "image/png"));
  // An image (a File or Blob) drawn over the whole canvas; false when the browser cannot read it.
  const show = async file => {
    try {
      const image = await createImageBitmap(file);
      clear();
      ctx.drawImage(image, 0, 0, width, height);
      return true;
    } catch {
      return false;
    }
  };
  clear();
  return {canvas, clear, write, pixels, blob, show};
}

// Accept files dropped on `target` (and keep the browser from opening them): onFiles([File]).
export function droppable(target, onFiles) {
  target.addEventListener("dragover", e => {
    e.preventDefault();
    target.classList.add("over");
  });
  target.addEventListener("dragleave", () => target.classList.remove("over"));
  target.addEventListener("drop", e => {
    e.preventDefault();
    target.classList.remove("over");
    if (e.dataTransfer.files.length) onFiles([...e.dataTransfer.files]);
  });
}

const TYPES = {u1: Uint8Array, i1: Int8Array, u2: Uint16Array, i2: Int16Array, u4: Uint32Array,
               i4: Int32Array, u8: BigUint64Array, i8: BigInt64Array, f4: Float32Array,
               f8: Float64Array, b1: Uint8Array};

// A .npy file (an ArrayBuffer) -> {shape, dtype ("u1", "f4", ...), values: nested lists of
// its numbers}, as saved (C order, little-endian, no pickled objects).
export function readNpy(buffer, name) {
  const fail = got => new RouteError(`clip: expected a .npy array of numbers (C order, `
    + `little-endian), got ${JSON.stringify(name)}: ${got}`, "clip");
  const bytes = new Uint8Array(buffer);
  if (bytes.length < 10 || String.fromCharCode(...bytes.slice(1, 6)) !== "NUMPY" || bytes[0] !== 0x93) {
    throw fail("no .npy header");
  }
  const view = new DataView(buffer);
  const [size, start] = bytes[6] === 1 ? [view.getUint16(8, true), 10] : [view.getUint32(8, true), 12];
  const header = new TextDecoder().decode(bytes.slice(start, start + size));
  const descr = /'descr':\s*'([<|>=])([a-z]\d+)'/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !shape || !(descr[2] in TYPES) || descr[1] === ">") {
    throw fail(`dtype ${descr ? descr[1] + descr[2] : "unknown"}`);
  }
  if (/'fortran_order':\s*True/.test(header)) throw fail("Fortran order");
  const dims = shape[1].split(",").map(s => s.trim()).filter(Boolean).map(Number);
  const count = dims.reduce((a, b) => a * b, 1), Type = TYPES[descr[2]], offset = start + size;
  if (buffer.byteLength - offset < count * Type.BYTES_PER_ELEMENT) throw fail("fewer values than its shape");
  const flat = new Type(buffer.slice(offset, offset + count * Type.BYTES_PER_ELEMENT));
  const nest = (depth, at) => (depth === dims.length ? Number(flat[at])
    : Array.from({length: dims[depth]}, (_, i) => nest(depth + 1,
      at + i * dims.slice(depth + 1).reduce((a, b) => a * b, 1))));
  return {shape: dims, dtype: descr[2], values: nest(0, 0)};
}
