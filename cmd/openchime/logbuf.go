package main

import (
	"context"
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"
)

// The request log writes a line per request: at 10,000 requests a second, a
// write system call each was a tenth of the server's request path. Request
// lines are gathered and written together, at most logFlushDelay after the
// first of them (or once logFlushBytes are waiting, or at shutdown); every
// other line, and so every warning and error, is written at once, after the
// request lines before it.

const (
	logFlushDelay = 100 * time.Millisecond
	logFlushBytes = 32 << 10
)

// logBuffer is a writer that keeps what it is given until Flush.
type logBuffer struct {
	mu    sync.Mutex
	w     io.Writer
	buf   []byte
	timer *time.Timer // pending flush, nil when buf is empty
}

func newLogBuffer(w io.Writer) *logBuffer { return &logBuffer{w: w} }

// Write keeps p, and writes what is kept once it reaches logFlushBytes.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) >= logFlushBytes {
		return len(p), b.flushLocked()
	}
	if b.timer == nil {
		b.timer = time.AfterFunc(logFlushDelay, func() { b.Flush() })
	}
	return len(p), nil
}

// Flush writes what is kept.
func (b *logBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

func (b *logBuffer) flushLocked() error {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	if cap(b.buf) > 4*logFlushBytes {
		b.buf = nil
	} else {
		b.buf = b.buf[:0]
	}
	return err
}

// batchedRequests is a handler writing into a logBuffer that flushes it
// after every record other than an info-level "request" line.
type batchedRequests struct {
	slog.Handler
	buf *logBuffer
	// json says Handler is a plain slog.JSONHandler writing to buf, with no
	// attributes or groups added: then a request line is written here.
	json bool
}

func (h batchedRequests) Handle(ctx context.Context, r slog.Record) error {
	if h.json && r.Level == slog.LevelInfo && r.Message == "request" {
		var b [512]byte
		if line, ok := appendJSONLine(b[:0], r); ok {
			_, err := h.buf.Write(line)
			return err
		}
	}
	err := h.Handler.Handle(ctx, r)
	if r.Level != slog.LevelInfo || r.Message != "request" {
		if ferr := h.buf.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h batchedRequests) WithAttrs(as []slog.Attr) slog.Handler {
	return batchedRequests{Handler: h.Handler.WithAttrs(as), buf: h.buf}
}

func (h batchedRequests) WithGroup(name string) slog.Handler {
	return batchedRequests{Handler: h.Handler.WithGroup(name), buf: h.buf}
}

// appendJSONLine appends the line slog.JSONHandler writes of r (no source,
// no attributes of its own), when every value is a plain string (printable
// ASCII without quote or backslash), an integer or a float that encoding/json
// writes in decimal: the request line is written at every request, and
// slog's handler boxes its state and calls json.Marshal for a float. Any
// other record is not written (false), and goes to slog.
// TestAppendJSONLine compares the two.
func appendJSONLine(b []byte, r slog.Record) ([]byte, bool) {
	if !plainJSON(r.Message) || r.Time.IsZero() || r.Time.Year() >= 10000 || r.Time.Year() < 0 {
		return b, false
	}
	b = append(b, `{"time":"`...)
	b = r.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"`...)
	b = append(b, r.Level.String()...)
	b = append(b, `","msg":"`...)
	b = append(b, r.Message...)
	b = append(b, '"')
	ok := true
	r.Attrs(func(a slog.Attr) bool {
		if !plainJSON(a.Key) {
			ok = false
			return false
		}
		b = append(b, ',', '"')
		b = append(b, a.Key...)
		b = append(b, '"', ':')
		switch v := a.Value; v.Kind() {
		case slog.KindString:
			if ok = plainJSON(v.String()); ok {
				b = append(append(append(b, '"'), v.String()...), '"')
			}
		case slog.KindInt64:
			b = strconv.AppendInt(b, v.Int64(), 10)
		case slog.KindFloat64:
			// encoding/json writes a float in 'f' form from 1e-6 up to 1e21.
			f := v.Float64()
			if a := math.Abs(f); f != 0 && (a < 1e-6 || a >= 1e21) || math.IsNaN(f) {
				ok = false
			} else {
				b = strconv.AppendFloat(b, f, 'f', -1, 64)
			}
		default:
			ok = false
		}
		return ok
	})
	return append(b, '}', '\n'), ok
}

// plainJSON reports whether s is written into JSON as it is.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
