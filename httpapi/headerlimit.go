package httpapi

import (
	"net/http"

	openchime "github.com/openchime/openchime"
)

// Request headers over the limit. net/http refuses headers over
// http.Server.MaxHeaderBytes itself, before any handler runs, with a
// plain-text "431 Request Header Fields Too Large" that no AWS client can
// parse. So the server reads headers up to HeaderReadLimit (twice the
// limit, a bound on memory all the same) and Server.ServeHTTP refuses what
// is over the real limit the AWS way. AWS answers an oversized header
// section with a 400 (S3's RequestHeaderSectionTooLarge, "Your request
// header section exceeds the maximum allowed size"), so this is a 400
// BadRequestException, the model's code for a request it cannot take.

// DefaultMaxHeaderBytes is the default cap on the request line and headers.
const DefaultMaxHeaderBytes = 64 << 10

// HeaderReadLimit is the http.Server.MaxHeaderBytes to pair with a
// Server.MaxHeaderBytes of limit: room to read a header section somewhat
// over the limit, so that it is answered with an AWS-style error.
func HeaderReadLimit(limit int) int { return 2 * limit }

// headerSize is the size of r's request line and header section as sent on
// HTTP/1.1 ("Name: value\r\n" per value); for HTTP/2 it is the same sum,
// close to the header list size of RFC 9113 section 6.5.2 less its 32 bytes
// a field.
func headerSize(r *http.Request) int {
	n := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto) + 2
	n += len("Host: ") + len(r.Host) + 2
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2
		}
	}
	return n + 2
}

func checkHeaderSize(r *http.Request, limit int) error {
	if n := headerSize(r); n > limit {
		return openchime.Errorf(openchime.BadRequest, "The request line and headers are %d bytes, over the limit of %d bytes: send fewer or shorter headers.", n, limit)
	}
	return nil
}
