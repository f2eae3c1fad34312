package httpapi

import (
	"net"
	"net/http"
	"strings"

	openchime "github.com/openchime/openchime"
)

// BrowserGuard keeps web pages the user visits from driving a server that
// checks no signature, and answers CORS for the browser apps that may.
//
// With Refuse set (--auth none) it refuses, with 403 AccessDeniedException:
//   - a request whose Host is not a loopback name or address nor one of
//     Hosts: a DNS-rebinding page reaches a loopback server under its own
//     name, and that name is what the browser sends as Host;
//   - a request carrying an Origin that is neither one of Origins nor the
//     server's own origin (scheme and Host of the request, where the admin
//     console runs): a cross-site form or fetch carries the page's Origin.
//
// SDKs and the CLI send no Origin and a loopback or configured Host, so they
// pass. Without Refuse (--auth sigv4) nothing is refused here: a page can
// neither sign a request nor read the admin token, and the Host of a server
// on a non-loopback address is whatever name its clients use; the listed
// Origins still get CORS answers there, so a browser app signing with the
// JavaScript SDK can call it.
//
// A CORS preflight (OPTIONS with Access-Control-Request-Method) from a
// listed origin is answered here with 204; from any other origin, 403.
type BrowserGuard struct {
	Next    http.Handler
	Origins []string // exact origins, e.g. "http://localhost:3000"; "*" allows any
	Hosts   []string // host names or addresses besides loopback; "*" allows any
	Refuse  bool
}

// corsRequestHeaders are the request headers the AWS SDKs for JavaScript
// send; amz-sdk-* (amz-sdk-invocation-id, amz-sdk-request) is a prefix.
var corsRequestHeaders = map[string]bool{
	"authorization": true, "content-type": true, "x-amz-date": true, "x-amz-content-sha256": true,
	"x-amz-user-agent": true, "x-amz-security-token": true, "x-amz-target": true,
}

const (
	corsMethods = "GET, HEAD, POST, PUT, PATCH, DELETE"
	corsExpose  = "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, Date"
)

func (g *BrowserGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.Refuse && !g.hostAllowed(r.Host) {
		WriteError(w, openchime.Errorf(openchime.AccessDenied,
			"Host %q is not a loopback name or address: with --auth none this server answers only requests to loopback names, so that a DNS-rebinding web page cannot reach it. Add the host to --allowed-hosts (OPENCHIME_ALLOWED_HOSTS) to serve it.", r.Host))
		return
	}
	origin := r.Header.Get("Origin")
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	if origin == "" {
		g.Next.ServeHTTP(w, r)
		return
	}
	listed := g.originListed(origin)
	if !listed && (preflight || (g.Refuse && !sameOrigin(origin, r))) {
		WriteError(w, openchime.Errorf(openchime.AccessDenied,
			"Origin %q is not allowed: a web page of another origin may not call this server. Add the origin to --cors-origins (OPENCHIME_CORS_ORIGINS) to let a browser app call it.", origin))
		return
	}
	if listed {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Expose-Headers", corsExpose)
		if preflight {
			h.Add("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", corsMethods)
			if allowed := allowedHeaders(r.Header.Get("Access-Control-Request-Headers")); allowed != "" {
				h.Set("Access-Control-Allow-Headers", allowed)
			}
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	g.Next.ServeHTTP(w, r)
}

// allowedHeaders returns those of the requested headers that the SDKs send.
func allowedHeaders(requested string) string {
	var out []string
	for _, name := range strings.Split(requested, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if corsRequestHeaders[name] || strings.HasPrefix(name, "amz-sdk-") {
			out = append(out, name)
		}
	}
	return strings.Join(out, ", ")
}

func (g *BrowserGuard) originListed(origin string) bool {
	origin = strings.TrimSuffix(origin, "/")
	for _, o := range g.Origins {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// sameOrigin reports whether origin is the origin the request was sent to,
// the console's own. Host is checked first, so a rebinding page's own
// origin does not get this far.
func sameOrigin(origin string, r *http.Request) bool {
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	return r.Host != "" && strings.EqualFold(origin, scheme+r.Host)
}

func (g *BrowserGuard) hostAllowed(hostport string) bool {
	if hostport == "" {
		return true // HTTP/1.0 without Host: no browser sends that
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true // RFC 6761: browsers resolve these to loopback themselves
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return true
	}
	for _, h := range g.Hosts {
		if h == "*" || strings.EqualFold(strings.Trim(h, "[]"), host) {
			return true
		}
	}
	return false
}
