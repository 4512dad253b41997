// Where the API lives. "" means the same origin as this page (what `make run` serves).
// For a static host (GitHub Pages, a CDN), set the API's origin, e.g. "https://api.example.com",
// run `npm run build` in frontend/ (it writes the origin into the page's Content-Security-Policy)
// and add this site's origin to the backend's CHATBOT_CORS_ORIGINS.
export default {
  apiBase: "",
};
