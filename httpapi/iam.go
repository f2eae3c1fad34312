package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/iampolicy"
)

// IAM policy enforcement. A credentials entry with Policies has each of its
// requests evaluated by iampolicy as IAM evaluates a user's identity-based
// policies. Chime's admin actions define no resource type in the Service
// Authorization Reference ("Actions, resources, and condition keys for
// Amazon Chime", https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonchime.html:
// its resource types are meeting, app-instance, channel and the other Chime
// SDK ones; no account or user), so every operation here is
// authorized on the resource "*", as IAM does for such actions: a statement
// naming an account ARN does not apply to them.

// The modes of IAM.Mode (serve --iam).
const (
	IAMEnforce = "enforce" // a denied request is answered 403 AccessDeniedException
	IAMSoft    = "soft"    // a denied request is served, logged and counted
	IAMOff     = "off"     // Policies are ignored
)

// IAM says how the Policies of credentials are enforced.
type IAM struct {
	// Mode is IAMEnforce, IAMSoft or IAMOff; empty, or any other value, is
	// IAMEnforce (a mistake denies rather than allows).
	Mode string
	// Now is aws:CurrentTime's clock (time.Now when nil); serve gives the
	// Service's clock, so a frozen --clock freezes it too.
	Now func() time.Time
	// Logger receives soft-mode decisions (slog.Default when nil).
	Logger *slog.Logger
	// Observer, when set, counts every decision.
	Observer IAMObserver
}

// IAMObserver is told of each policy decision: the mode and the result
// ("allow", "implicit_deny" or "explicit_deny").
type IAMObserver interface {
	ObserveIAM(mode, result string)
}

func (iam *IAM) defaults() {
	if iam.Mode != IAMSoft && iam.Mode != IAMOff {
		iam.Mode = IAMEnforce
	}
	if iam.Now == nil {
		iam.Now = time.Now
	}
	if iam.Logger == nil {
		iam.Logger = slog.Default()
	}
}

// keyEntry is a credentials entry as the authenticator keeps it.
type keyEntry struct {
	Credential
	arn string // the principal, arn:aws:iam::<AwsAccountId>:user/<AccessKeyId>
}

// principalARN is the IAM user an entry stands for. A credentials entry
// names no user, so the access key id is the user name: the ARN then says
// which entry a denial is about.
func principalARN(c Credential) string {
	return "arn:aws:iam::" + c.AwsAccountId + ":user/" + c.AccessKeyId
}

// authorize evaluates a verified request to service's op (chime, or
// cloudtrail for LookupEvents) by c, signed for region, against c's Policies.
func (iam *IAM) authorize(r *http.Request, service, op string, c *keyEntry, region string) error {
	req := iampolicy.Request{
		Service: service, Action: op, Resource: "*",
		CurrentTime:      iam.Now(),
		SecureTransport:  r.TLS != nil,
		PrincipalAccount: c.AwsAccountId,
		PrincipalArn:     c.arn,
		Username:         c.AccessKeyId,
		RequestedRegion:  region,
	}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		req.SourceIP = ap.Addr().Unmap()
	}
	d := iampolicy.Evaluate(c.Policies, &req)
	if iam.Observer != nil {
		iam.Observer.ObserveIAM(iam.Mode, d.Result.String())
	}
	if d.Result == iampolicy.Allow {
		if iam.Mode == IAMSoft && iam.Logger.Enabled(r.Context(), slog.LevelDebug) {
			iam.Logger.Debug("iam: allowed", "mode", iam.Mode, "access_key", c.AccessKeyId, "op", op,
				"statement", fmt.Sprintf("Policies[%d].Statement[%d]", d.Policy, d.Statement), "sid", d.Sid)
		}
		return nil
	}
	// AWS's wording of the two denials ("Access denied error messages",
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html), e.g. "User: arn:aws:iam::123456789012:user/jenkins
	// is not authorized to perform: ecr:GetAuthorizationToken on resource:
	// * because no identity-based policy allows the
	// ecr:GetAuthorizationToken action".
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s:%s on resource: %s because no identity-based policy allows the %s:%s action", c.arn, service, op, req.Resource, service, op)
	if d.Result == iampolicy.ExplicitDeny {
		msg = fmt.Sprintf("User: %s is not authorized to perform: %s:%s on resource: %s with an explicit deny in an identity-based policy", c.arn, service, op, req.Resource)
	}
	if iam.Mode == IAMSoft {
		attrs := []any{"mode", iam.Mode, "decision", d.Result.String(), "access_key", c.AccessKeyId, "op", op, "message", msg}
		if d.Result == iampolicy.ExplicitDeny {
			attrs = append(attrs, "statement", fmt.Sprintf("Policies[%d].Statement[%d]", d.Policy, d.Statement), "sid", d.Sid)
		}
		iam.Logger.Warn("iam: request allowed by --iam soft, which enforcement would deny", attrs...)
		return nil
	}
	return openchime.Errorf(openchime.AccessDenied, "%s", msg)
}
