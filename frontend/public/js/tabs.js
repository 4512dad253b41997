// Tabs of one browser in step. A tab that asks tells the others (BroadcastChannel): they load
// the quota and the chat list again, and one showing that chat draws it again, which follows
// the new answer live (resume.js). Logging in and out is followed through the storage event
// (auth.js).

import { current, navigate } from "./router.js";
import { chatsChanged, loadProfile } from "./state.js";

const channel = "BroadcastChannel" in window ? new BroadcastChannel("chatbot.tabs") : null;

/** Say that this tab asked in chat `chatId` (`stage`: "asked" when the turn is stored, taking a
 * request; "answered" when its answer ended, perhaps giving the request back). */
export function tellTabs(stage, chatId) {
  channel?.postMessage({ stage, chatId: String(chatId ?? "") });
}

channel?.addEventListener("message", ({ data }) => {
  loadProfile().catch(() => {});
  chatsChanged();
  const showing = current().path === `/chats/${data?.chatId}`;
  if (data?.stage === "asked" && showing && !document.querySelector(".composer .is-stop")) {
    navigate(current().full, { replace: true });
  }
});
