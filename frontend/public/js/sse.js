// Server-Sent Events from a fetch() body. EventSource cannot POST or send an Authorization
// header, so the chat endpoints are read this way. Follows the parsing rules of the HTML
// standard: fields `event` and `data` (several data lines join with "\n"), comment lines
// (": ping") ignored, an event dispatched at each blank line.

export async function* readEvents(body, signal) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const onAbort = () => reader.cancel().catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  let buffer = "";
  let type = "";
  let data = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      // A chunk may end between "\r" and "\n": keep a trailing "\r" until the next chunk says
      // which line ending it was, or an empty line would appear and end the event early.
      let cut;
      while ((cut = nextLineEnd(buffer)) !== null) {
        const [end, next] = cut;
        const line = buffer.slice(0, end);
        buffer = buffer.slice(next);
        if (line === "") {
          if (data.length) yield { event: type || "message", data: data.join("\n") };
          type = "";
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue; // a comment: the server's heartbeat
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        let content = colon === -1 ? "" : line.slice(colon + 1);
        if (content.startsWith(" ")) content = content.slice(1);
        if (field === "event") type = content;
        else if (field === "data") data.push(content);
      }
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // Stopped reading early (or finished): close the connection rather than leave it open.
    reader.cancel().catch(() => {});
  }
}

function nextLineEnd(buffer) {
  for (let i = 0; i < buffer.length; i += 1) {
    const c = buffer[i];
    if (c === "\n") return [i, i + 1];
    if (c === "\r") {
      if (i + 1 === buffer.length) return null; // wait: "\r\n" may be split across chunks
      return [i, buffer[i + 1] === "\n" ? i + 2 : i + 1];
    }
  }
  return null;
}
