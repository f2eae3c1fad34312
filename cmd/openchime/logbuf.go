package main

import (
	"context"
	"io"
	"log/slog"
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
}

func (h batchedRequests) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level != slog.LevelInfo || r.Message != "request" {
		if ferr := h.buf.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h batchedRequests) WithAttrs(as []slog.Attr) slog.Handler {
	return batchedRequests{h.Handler.WithAttrs(as), h.buf}
}

func (h batchedRequests) WithGroup(name string) slog.Handler {
	return batchedRequests{h.Handler.WithGroup(name), h.buf}
}
