package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	openchime "github.com/openchime/openchime"
)

// timeoutErr is a net.Error that timed out, as a deadline on a socket gives.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// mustConnectError returns the error pgconn gives when nothing listens on
// the address: a real *pgconn.ConnectError.
func mustConnectError(t *testing.T) error {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = pgconn.Connect(ctx, "postgres://u@"+addr+"/db?sslmode=disable")
	var ce *pgconn.ConnectError
	if !errors.As(err, &ce) {
		t.Fatalf("connect to %s: %v (%T), want a *pgconn.ConnectError", addr, err, err)
	}
	return err
}

// mustClosedConnError returns the error pgconn gives for a query on a
// connection it has closed: SafeToRetry, nothing was sent.
func mustClosedConnError(t *testing.T) error {
	t.Helper()
	client, server := net.Pipe()
	server.Close()
	cfg, err := pgconn.ParseConfig("postgres://u@127.0.0.1/db")
	if err != nil {
		t.Fatal(err)
	}
	c, err := pgconn.Construct(&pgconn.HijackedConn{Conn: client, Frontend: pgproto3.NewFrontend(client, client),
		Config: cfg, TxStatus: 'I', ParameterStatuses: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c.Close(ctx)
	_, err = c.Exec(ctx, "select 1").ReadAll()
	if !pgconn.SafeToRetry(err) {
		t.Fatalf("query on a closed connection: %v (%T), want SafeToRetry", err, err)
	}
	return err
}

func pgErr(code string) error { return &pgconn.PgError{Severity: "ERROR", Code: code, Message: "m"} }

// TestClassification pins what each way the database can fail means for a
// request: its code (and so its HTTP status), whether a statement's failure
// may be retried, and whether a COMMIT's may be.
func TestClassification(t *testing.T) {
	connReset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	closed := mustClosedConnError(t)
	const (
		none   openchime.Code = "" // not an openchime error: passed on as it is
		unavai                = openchime.ServiceUnavailable
	)
	for _, tc := range []struct {
		name string
		err  error
		// code of mapErr, and whether retryable; code of mapCommitErr, and
		// whether retryableCommit.
		code        openchime.Code
		retry       bool
		commitCode  openchime.Code
		commitRetry bool
		commitMsg   string
	}{
		{"unique violation", pgErr(uniqueViolation), openchime.Conflict, false, openchime.Conflict, false, ""},
		{"undefined table", pgErr(undefinedTable), none, false, none, false, ""},
		{"serialization failure", pgErr(serializationFailure), unavai, true, unavai, true, msgConflict},
		{"deadlock", pgErr(deadlockDetected), unavai, true, unavai, true, msgConflict},
		{"connection failure 08006", pgErr("08006"), unavai, true, unavai, false, msgUnknown},
		{"connection exception 08000", pgErr("08000"), unavai, true, unavai, false, msgUnknown},
		{"too many connections 53300", pgErr("53300"), unavai, true, unavai, false, msgUnknown},
		{"out of memory 53200", pgErr("53200"), unavai, true, unavai, false, msgUnknown},
		{"admin shutdown 57P01", &pgconn.PgError{Severity: "FATAL", Code: adminShutdown}, unavai, true, unavai, false, msgUnknown},
		{"crash shutdown 57P02", pgErr(crashShutdown), unavai, true, unavai, false, msgUnknown},
		{"cannot connect now 57P03", pgErr(cannotConnectNow), unavai, true, unavai, false, msgUnknown},
		{"read-only transaction 25006", pgErr(readOnlyTransaction), unavai, true, unavai, false, msgUnknown},
		{"io error 58030", pgErr(ioError), unavai, true, unavai, false, msgUnknown},
		{"connect error", mustConnectError(t), unavai, true, unavai, false, msgUnknown},
		{"connection reset", fmt.Errorf("receive message failed: %w", connReset), unavai, true, unavai, false, msgUnknown},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, unavai, true, unavai, false, msgUnknown},
		{"bare ECONNREFUSED", syscall.ECONNREFUSED, unavai, true, unavai, false, msgUnknown},
		{"broken pipe", fmt.Errorf("write: %w", syscall.EPIPE), unavai, true, unavai, false, msgUnknown},
		{"unexpected EOF", fmt.Errorf("receive message failed: %w", io.ErrUnexpectedEOF), unavai, true, unavai, false, msgUnknown},
		{"EOF", io.EOF, unavai, true, unavai, false, msgUnknown},
		{"net timeout", &net.OpError{Op: "read", Net: "tcp", Err: timeoutErr{}}, unavai, true, unavai, false, msgUnknown},
		{"deadline exceeded", fmt.Errorf("begin: %w", context.DeadlineExceeded), unavai, true, unavai, false, msgUnknown},
		// SafeToRetry, but pgx also says so when COMMIT was sent (see retryableCommit).
		{"closed connection (SafeToRetry)", closed, unavai, true, unavai, false, msgUnknown},
		{"failed to deallocate cached statements", fmt.Errorf("failed to deallocate cached statement(s): %w", closed), unavai, true, unavai, false, msgUnknown},
		{"failed to deallocate, reset", fmt.Errorf("failed to deallocate cached statement(s): %w", connReset), unavai, true, unavai, false, msgUnknown},
		{"driver.ErrBadConn", driver.ErrBadConn, unavai, true, unavai, false, msgUnknown},
		{"sql.ErrConnDone", sql.ErrConnDone, unavai, true, unavai, false, msgUnknown},
		{"context canceled", context.Canceled, none, false, none, false, ""},
		{"context canceled in pgx", fmt.Errorf("timeout: %w", context.Canceled), none, false, none, false, ""},
		{"commit rolled back", pgx.ErrTxCommitRollback, none, false, none, false, ""},
		{"domain error", openchime.Errorf(openchime.NotFound, "no"), openchime.NotFound, false, openchime.NotFound, false, ""},
		{"other error", errors.New("decode supported_licenses: bad"), none, false, none, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code := func(err error) openchime.Code {
				var e *openchime.Error
				if errors.As(err, &e) {
					return e.Code
				}
				return none
			}
			if got := code(mapErr(tc.err)); got != tc.code {
				t.Errorf("mapErr code=%q, want %q (%v)", got, tc.code, mapErr(tc.err))
			}
			if got := retryable(tc.err); got != tc.retry {
				t.Errorf("retryable=%v, want %v", got, tc.retry)
			}
			got := mapCommitErr(tc.err)
			if c := code(got); c != tc.commitCode {
				t.Errorf("mapCommitErr code=%q, want %q (%v)", c, tc.commitCode, got)
			}
			if tc.commitMsg != "" && openchime.ErrorMessage(got) != tc.commitMsg {
				t.Errorf("mapCommitErr message=%q, want %q", openchime.ErrorMessage(got), tc.commitMsg)
			}
			if r := retryableCommit(tc.err); r != tc.commitRetry {
				t.Errorf("retryableCommit=%v, want %v", r, tc.commitRetry)
			}
			if tc.code == unavai && !errors.Is(mapErr(tc.err), tc.err) {
				t.Errorf("mapErr lost the cause")
			}
		})
	}
}

// fakeServer speaks just enough of the PostgreSQL protocol, simple and
// extended (pgx's pipelines: Parse, Describe, Bind, Execute, Sync), for pgx
// to connect, BEGIN, write and COMMIT, and fails as its fields say, so that
// Store.run's retries can be checked without a database.
type fakeServer struct {
	addr                    string
	begins, commits, writes atomic.Int32
	// onBegin, onCommit and onWrite (the held-back write of resources,
	// sent with COMMIT) are called with the count so far (1 for the first);
	// they return "" to answer normally, "close" to drop the connection
	// without answering, or a SQLSTATE to answer with.
	onBegin, onCommit, onWrite func(n int32) string
	wg                         sync.WaitGroup
}

func startFake(t *testing.T, onBegin, onCommit, onWrite func(int32) string) *fakeServer {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{addr: l.Addr().String(), onBegin: onBegin, onCommit: onCommit, onWrite: onWrite}
	var conns sync.Map
	t.Cleanup(func() {
		l.Close()
		conns.Range(func(c, _ any) bool { c.(net.Conn).Close(); return true })
		f.wg.Wait()
	})
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Store(c, true)
			f.wg.Add(1)
			go func() { defer f.wg.Done(); defer c.Close(); f.serve(c) }()
		}
	}()
	return f
}

// arrayParam finds the parameters of a statement ($1::text[], ...), so that
// Describe can tell pgx their types.
var arrayParam = regexp.MustCompile(`\$(\d+)::(text|bigint)\[\]`)

func (f *fakeServer) serve(c net.Conn) {
	b := pgproto3.NewBackend(c, c)
	if _, err := b.ReceiveStartupMessage(); err != nil {
		return
	}
	b.Send(&pgproto3.AuthenticationOk{})
	for k, v := range map[string]string{"server_version": "15.0", "standard_conforming_strings": "on", "client_encoding": "UTF8"} {
		b.Send(&pgproto3.ParameterStatus{Name: k, Value: v})
	}
	b.Send(&pgproto3.BackendKeyData{ProcessID: 1, SecretKey: []byte{0, 0, 0, 1}})
	b.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	if b.Flush() != nil {
		return
	}
	status := byte('I')
	// run answers one statement: alive is false when the connection is to
	// be dropped, failed when an error was sent.
	run := func(sqlText string) (alive, failed bool) {
		sqlText = strings.ToLower(sqlText)
		var action, tag string
		switch {
		case strings.HasPrefix(sqlText, "begin"):
			action, tag = f.onBegin(f.begins.Add(1)), "BEGIN"
		case strings.HasPrefix(sqlText, "commit"):
			action, tag = f.onCommit(f.commits.Add(1)), "COMMIT"
			if status == 'E' {
				tag = "ROLLBACK"
			}
		case strings.HasPrefix(sqlText, "rollback"):
			tag = "ROLLBACK"
		case strings.Contains(sqlText, "into resources"):
			action, tag = f.onWrite(f.writes.Add(1)), "INSERT 0 1"
		case strings.HasPrefix(sqlText, "insert"):
			tag = "INSERT 0 1"
		}
		switch action {
		case "":
			switch tag {
			case "":
				b.Send(&pgproto3.EmptyQueryResponse{})
			case "BEGIN":
				status = 'T'
			case "COMMIT", "ROLLBACK":
				status = 'I'
			}
			if tag != "" {
				b.Send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
			}
			return true, false
		case "close":
			return false, false
		}
		severity := "ERROR"
		if strings.HasPrefix(action, "57P") {
			severity = "FATAL"
		}
		b.Send(&pgproto3.ErrorResponse{Severity: severity, Code: action, Message: "fake " + action})
		if severity == "FATAL" {
			b.Flush()
			return false, true
		}
		if tag != "COMMIT" && status != 'I' {
			status = 'E'
		} else {
			status = 'I'
		}
		return true, true
	}
	statements := map[string]string{}
	var portal string
	skipping := false // after an error, until Sync
	for {
		msg, err := b.Receive()
		if err != nil {
			return
		}
		switch m := msg.(type) {
		case *pgproto3.Query:
			if alive, _ := run(m.String); !alive {
				return
			}
			b.Send(&pgproto3.ReadyForQuery{TxStatus: status})
			if b.Flush() != nil {
				return
			}
		case *pgproto3.Sync:
			skipping = false
			b.Send(&pgproto3.ReadyForQuery{TxStatus: status})
			if b.Flush() != nil {
				return
			}
		case *pgproto3.Parse:
			if !skipping {
				statements[m.Name] = m.Query
				b.Send(&pgproto3.ParseComplete{})
			}
		case *pgproto3.Describe:
			if skipping {
				continue
			}
			if m.ObjectType == 'S' {
				pd := &pgproto3.ParameterDescription{}
				for _, p := range arrayParam.FindAllStringSubmatch(statements[m.Name], -1) {
					oid := uint32(1009) // text[]
					if p[2] == "bigint" {
						oid = 1016
					}
					pd.ParameterOIDs = append(pd.ParameterOIDs, oid)
				}
				b.Send(pd)
			}
			b.Send(&pgproto3.NoData{})
		case *pgproto3.Bind:
			if !skipping {
				portal = statements[m.PreparedStatement]
				b.Send(&pgproto3.BindComplete{})
			}
		case *pgproto3.Execute:
			if skipping {
				continue
			}
			alive, failed := run(portal)
			if !alive {
				return
			}
			skipping = failed
		default:
			return // Terminate, or a message this fake does not speak
		}
	}
}

func (f *fakeServer) store(t *testing.T) *Store {
	pool, err := openPool("postgres://u@"+f.addr+"/db?sslmode=disable", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(pool)
	t.Cleanup(func() { s.Close() })
	s.MaxAttempts, s.BaseBackoff, s.MaxBackoff = 5, time.Millisecond, 5*time.Millisecond
	return s
}

func ok(int32) string { return "" }

// TestStore_Run_Retries checks when run runs a transaction again: after a
// failure at BEGIN (sent with the first statement), whatever it is; after
// an error reply to a write held back until the commit's round trip, which
// proves COMMIT did not run; but never after the connection was lost during
// that round trip, which may have committed.
func TestStore_Run_Retries(t *testing.T) {
	saved := unavailableFor
	unavailableFor = 700 * time.Millisecond
	t.Cleanup(func() { unavailableFor = saved })
	ctx := context.Background()
	// A statement (sent with BEGIN), then a resource write held back and
	// sent with COMMIT.
	write := func(t *tx) error {
		if err := t.Q.Exec(ctx, "INSERT INTO t VALUES (1)"); err != nil {
			return t.Wrap("insert", err)
		}
		return t.PutResource(ctx, &openchime.Resource{Kind: "k", ID: "1", Scope: "s", Data: []byte("{}")})
	}

	for _, tc := range []struct {
		name             string
		onBegin          func(int32) string
		onCommit         func(int32) string
		onWrite          func(int32) string // nil: ok
		wantCode         openchime.Code     // "" for success
		wantMsg          string
		begins, commits  int32 // exactly
		minBegins        int32 // at least, when not exact
		wantCommitsAtMin int32
	}{
		{name: "OK", onBegin: ok, onCommit: ok, begins: 1, commits: 1},
		{name: "ConnectionLostAtBegin", onBegin: func(n int32) string {
			if n <= 2 {
				return "close"
			}
			return ""
		}, onCommit: ok, begins: 3, commits: 1},
		{name: "AdminShutdownAtBegin", onBegin: func(n int32) string {
			if n == 1 {
				return adminShutdown
			}
			return ""
		}, onCommit: ok, begins: 2, commits: 1},
		{name: "ReadOnlyAtBegin", onBegin: func(n int32) string {
			if n == 1 {
				return readOnlyTransaction
			}
			return ""
		}, onCommit: ok, begins: 2, commits: 1},
		{name: "SerializationFailureAtCommit", onBegin: ok, onCommit: func(n int32) string {
			if n == 1 {
				return serializationFailure
			}
			return ""
		}, begins: 2, commits: 2},
		{name: "ConnectionLostAtCommit", onBegin: ok, onCommit: func(int32) string { return "close" },
			wantCode: openchime.ServiceUnavailable, wantMsg: msgUnknown, begins: 1, commits: 1},
		{name: "AdminShutdownAtCommit", onBegin: ok, onCommit: func(int32) string { return adminShutdown },
			wantCode: openchime.ServiceUnavailable, wantMsg: msgUnknown, begins: 1, commits: 1},
		{name: "SerializationFailureAtHeldBackWrite", onBegin: ok, onCommit: ok, onWrite: func(n int32) string {
			if n == 1 {
				return serializationFailure
			}
			return ""
		}, begins: 2, commits: 1},
		{name: "ReadOnlyAtHeldBackWrite", onBegin: ok, onCommit: ok, onWrite: func(n int32) string {
			if n == 1 {
				return readOnlyTransaction
			}
			return ""
		}, begins: 2, commits: 1},
		{name: "UniqueViolationAtHeldBackWrite", onBegin: ok, onCommit: ok, onWrite: func(int32) string { return uniqueViolation },
			wantCode: openchime.Conflict, begins: 1, commits: 0},
		{name: "ConnectionLostAtHeldBackWrite", onBegin: ok, onCommit: ok, onWrite: func(int32) string { return "close" },
			wantCode: openchime.ServiceUnavailable, wantMsg: msgUnknown, begins: 1, commits: 0},
		{name: "DownForGood", onBegin: func(int32) string { return "close" }, onCommit: ok,
			wantCode: openchime.ServiceUnavailable, wantMsg: msgUnavailable, minBegins: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			onWrite := tc.onWrite
			if onWrite == nil {
				onWrite = ok
			}
			f := startFake(t, tc.onBegin, tc.onCommit, onWrite)
			s := f.store(t)
			start := time.Now()
			err := s.run(ctx, readWrite, write)
			took := time.Since(start)
			if got := openchime.ErrorCode(err); got != tc.wantCode {
				t.Fatalf("run: code %q (%v), want %q", got, err, tc.wantCode)
			}
			if tc.wantMsg != "" && openchime.ErrorMessage(err) != tc.wantMsg {
				t.Errorf("run: message %q, want %q", openchime.ErrorMessage(err), tc.wantMsg)
			}
			b, c := f.begins.Load(), f.commits.Load()
			if tc.minBegins > 0 {
				if b < tc.minBegins {
					t.Errorf("%d BEGINs, want at least %d", b, tc.minBegins)
				}
				if took < unavailableFor || took > unavailableFor+2*time.Second {
					t.Errorf("gave up after %v, want just over %v", took, unavailableFor)
				}
			} else if b != tc.begins || c != tc.commits {
				t.Errorf("%d BEGINs and %d COMMITs, want %d and %d", b, c, tc.begins, tc.commits)
			}
		})
	}
}
