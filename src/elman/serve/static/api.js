// Talking to elman serve: JSON routes, multipart uploads and server-sent events over fetch.

// A 4xx or 5xx answer: its message, and the field it names (null when none).
export class RouteError extends Error {
  constructor(message, field = null) {
    super(message);
    this.field = field;
  }
}

async function answer(response) {
  const body = await response.json();
  if (!response.ok) throw new RouteError(body.error || `HTTP ${response.status}`, body.field);
  return body;
}

export async function getJSON(path) {
  return answer(await fetch(path));
}

export async function postJSON(path, body) {
  return answer(await fetch(path, {
    method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body),
  }));
}

// One input through a batch route: {"inputs": [input], ...params} -> outputs[0].
export async function ask(route, input, params = {}) {
  return (await postJSON(route.path, {inputs: [input], ...params})).outputs[0];
}

export async function upload(path, files, params = {}) {
  const form = new FormData();
  for (const [name, blob] of files) form.append("file", blob, name);
  const query = new URLSearchParams(params).toString();
  return answer(await fetch(query ? `${path}?${query}` : path, {method: "POST", body: form}));
}

// POST a stream route and call onEvent(data) for every `data:` event as it arrives;
// resolves with the number of events at `event: end`, rejects at `event: error`.
export async function stream(path, body, onEvent) {
  const response = await fetch(path, {
    method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body),
  });
  if (!response.ok) await answer(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const {value, done} = await reader.read();
    if (done) throw new RouteError("the stream ended without its end event");
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const event = parseEvent(buffer.slice(0, cut));
      buffer = buffer.slice(cut + 2);
      if (event.type === "end") return event.data.events;
      if (event.type === "error") throw new RouteError(event.data.error);
      onEvent(event.data);
    }
  }
}

function parseEvent(text) {
  let type = "message", data = "";
  for (const line of text.split("\n")) {
    if (line.startsWith("event: ")) type = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
  return {type, data: JSON.parse(data)};
}
