// Contact details in text that will be public. The server refuses resident registration and card
// numbers outright; an email address or a phone number is often written on purpose, so the web
// app only asks once before sending it to a public archive.

const EMAIL = /[^\s@<>()]+@[^\s@<>()]+\.[^\s@<>().]{2,}/u;
// Korean mobile and landline numbers as people write them: 010-1234-5678, 01012345678,
// 02) 123 4567, +82 10 1234 5678, +82-2-123-4567. Not inside a longer run of digits.
const PHONE =
  /(?<![\d+])(?:\+82[\s.-]?(?:0?)|0)(?:1[016789]|2|[3-6][1-5]|70)[\s.)-]{0,2}\d{3,4}[\s.-]?\d{4}(?!\d)/u;

/** "email", "phone" or null: the first kind of contact detail found in `text`. */
export function findContactDetails(text) {
  const normal = text.normalize("NFKC");
  if (EMAIL.test(normal)) return "email";
  if (PHONE.test(normal)) return "phone";
  return null;
}
