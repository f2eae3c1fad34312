package openchime

import (
	"strings"
	"testing"
)

func TestTarget_Wants(t *testing.T) {
	e := &AuditEvent{AwsAccountID: "111111111111", Operation: "BatchSuspendUser", AccountID: "acct", UserIDs: []string{"u"}}
	for _, c := range []struct {
		name string
		t    Target
		want bool
	}{
		{"webhook, every event", Target{Type: WebhookTarget, Webhook: &WebhookConfig{}}, true},
		{"webhook, its operation", Target{Type: WebhookTarget, Webhook: &WebhookConfig{Events: []string{"CreateUser", "BatchSuspendUser"}}}, true},
		{"webhook, other operations", Target{Type: WebhookTarget, Webhook: &WebhookConfig{Events: []string{"CreateUser"}}}, false},
		{"webhook, its AWS account", Target{Type: WebhookTarget, Webhook: &WebhookConfig{AwsAccountID: "111111111111"}}, true},
		{"webhook, another AWS account", Target{Type: WebhookTarget, Webhook: &WebhookConfig{AwsAccountID: "222222222222"}}, false},
		{"SCIM of the account", Target{Type: SCIMTarget, SCIM: &SCIMConfig{AccountID: "acct"}}, true},
		{"SCIM of another account", Target{Type: SCIMTarget, SCIM: &SCIMConfig{AccountID: "other"}}, false},
	} {
		if got := c.t.wants(e); got != c.want {
			t.Errorf("%s: wants = %v, want %v", c.name, got, c.want)
		}
	}
	// A SCIM target needs users, or an account deletion.
	scim := Target{Type: SCIMTarget, SCIM: &SCIMConfig{AccountID: "acct"}}
	if scim.wants(&AuditEvent{Operation: "UpdateAccount", AccountID: "acct"}) {
		t.Error("SCIM target wants an account change without users")
	}
	if !scim.wants(&AuditEvent{Operation: "DeleteAccount", AccountID: "acct"}) {
		t.Error("SCIM target does not want DeleteAccount")
	}
}

// Keys sort in the order they were taken, even when the clock stands still
// or steps back.
func TestService_OutboxKeyOrder(t *testing.T) {
	s := &Service{}
	s.outboxLast.Store(1 << 62) // a clock far ahead, as after a step back
	prev := ""
	for i := range 1000 {
		k := s.outboxKey("00000000-0000-0000-0000-000000000000")
		if k <= prev {
			t.Fatalf("key %d %q sorts before %q", i, k, prev)
		}
		if len(k) != outboxKeyLen+36 || !strings.HasSuffix(k, ".00000000-0000-0000-0000-000000000000") {
			t.Fatalf("key %q", k)
		}
		prev = k
	}
}
