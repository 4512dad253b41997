// Turns any failure into a sentence a person understands. Status codes, stack traces and the
// API's English `detail` never reach the screen from here (field messages from sign-up are the
// one exception, shown next to their field through translateServerMessage).

import { SessionExpired } from "./api.js";
import { ApiError, NetworkError } from "./http.js";
import { formatReset, has, t } from "./i18n.js";

export function describeError(error) {
  if (error instanceof NetworkError) return t("errors.network");
  if (error instanceof SessionExpired) return t("auth.expired");
  if (!(error instanceof ApiError)) return t("errors.unknown");
  if (error.code === "daily_quota_exceeded") {
    return t("errors.quota", {
      limit: error.body.limit ?? "",
      time: error.body.resets_at ? formatReset(error.body.resets_at) : "",
    });
  }
  if (error.code === "stream_cut") return t("errors.stream");
  if (error.code === "personal_data" && has(`errors.personal_data.${error.body.kind}`))
    return t(`errors.personal_data.${error.body.kind}`);
  if (has(`errors.${error.code}`)) return t(`errors.${error.code}`);
  if (error.status === 404) return t("errors.not_found");
  if (error.status >= 500) return t("errors.server");
  return t("errors.unknown");
}

/** A failed turn's `error_code` (stored with the turn) as a short reason. */
export function describeTurnError(code) {
  return has(`errors.${code}`) ? t(`errors.${code}`) : t("errors.unknown");
}
