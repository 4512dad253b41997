// A chat one view has just read, handed to the next so it can draw at once instead of reading it
// again behind a spinner: a new chat's page turns into the chat's page in place when its first
// answer is done.

let held = null;

export function handOver(chat) {
  held = chat;
}

/** The chat handed over for `id`, once; null for any other. */
export function takeOver(id) {
  const chat = held;
  held = null;
  return chat && String(chat.id) === String(id) ? chat : null;
}
