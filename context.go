package openchime

import "context"

// Caller is who makes a request: the AWS account every read and write is
// scoped to, and the access key it signed with.
type Caller struct {
	AwsAccountID string
	AccessKeyID  string
	RequestID    string
	// Host is the host (and port) the request was sent to, and TLS whether
	// it came over TLS: the base of the incoming-webhook URLs the request
	// hands out (decision D44).
	Host string
	TLS  bool
}

type callerKey struct{}

// NewContextWithCaller returns a context that carries c.
func NewContextWithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFromContext returns the caller of ctx, and false when there is none.
func CallerFromContext(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}
