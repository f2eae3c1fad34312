package console

import "net/http"

// notFound answers a path under Prefix that no console page has: a small
// HTML page with the console's header and a link home, rather than Go's
// plain "404 page not found". The console is read in a browser, so an HTML
// page serves it better than the control plane's JSON error; it shows no
// data, so it needs no session.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	// render sets these too, but after WriteHeader they would be dropped.
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNotFound)
	h.render(w, "notfound", &view{Base: Prefix, Title: "Page not found", Data: r.Method + " " + r.URL.Path})
}
