// Package scim pushes a Chime account's users to a SCIM 2.0 directory
// (RFC 7643, RFC 7644): the outbox's Sender for SCIM targets.
//
// Each delivery names the users a change touched; for each, the sender
// makes the directory match the user's state in the store now (a state
// sync, so a delivery repeated after a crash, or one overtaken by a later
// change, leaves the directory right):
//
//   - a user not yet in the directory (a Team invitee once the invitation
//     is accepted): GET /Users?filter=userName eq "<email>"
//     adopts an existing entry, else POST /Users creates it (a 409 adopts);
//   - a known user: PATCH of active (Suspended → false), displayName and the
//     extension's licenseType and userType; a 404 forgets the id and creates
//     the user again;
//   - a removed user (and every user of a deleted account): DELETE /Users/{id}
//     or PATCH active false, per OnRemove.
//
// 401 and 403 stop the target until its configuration changes; 429 and 5xx
// are retried; any other 4xx dead-letters the delivery. A directory without
// PATCH (501, 405) gets PUT of the whole user; one that refuses the Chime
// extension with 400 gets the core attributes without it.
package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/outbox"
)

// Schema URNs.
const (
	UserSchema      = "urn:ietf:params:scim:schemas:core:2.0:User"
	ChimeSchema     = "urn:openchime:params:scim:schemas:extension:chime:2.0:User"
	PatchOpSchema   = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	ListSchema      = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	ContentType     = "application/scim+json"
	maxErrorBodyLen = 200
)

// Sender sends SCIM deliveries.
type Sender struct {
	Service *openchime.Service
	Client  *http.Client // nil: http.DefaultClient
	Logger  *slog.Logger // DryRun logs here; nil: slog.Default()

	noExtension sync.Map // target id → true: its directory refused the Chime extension
}

// statusError is a SCIM answer that was not the one expected.
type statusError struct {
	method, path string
	status       int
	body         string
	retryAfter   time.Duration
}

func (e *statusError) Error() string {
	return fmt.Sprintf("SCIM %s %s answered %d %s", e.method, e.path, e.status, e.body)
}

// MultiRequest marks the Sender as one whose delivery takes many requests,
// each bounded by outbox.RequestTimeout.
func (s *Sender) MultiRequest() {}

var _ outbox.MultiRequest = (*Sender)(nil)

// errLeaseLost stops an attempt when another node took over the target.
var errLeaseLost = errors.New("another node took over this target")

// Send makes the directory match the state of the users the delivery names.
func (s *Sender) Send(ctx context.Context, t *openchime.Target, d *openchime.Delivery) outbox.Result {
	var e openchime.AuditEvent
	if err := json.Unmarshal(d.Event, &e); err != nil {
		return outbox.Result{Err: fmt.Errorf("decode event: %w", err), Permanent: true}
	}
	c := &call{s: s, t: t, ctx: ctx}
	users := e.UserIDs
	a, err := s.Service.AdminAccount(ctx, t.SCIM.AccountID)
	if err != nil && !openchime.IsCode(err, openchime.NotFound) {
		return outbox.Result{Err: err}
	}
	deleted := a == nil || a.Deleted()
	if deleted {
		known, err := s.Service.SCIMUserIDs(ctx, t.ID)
		if err != nil {
			return outbox.Result{Err: err}
		}
		users = users[:0:0]
		for id := range known {
			users = append(users, id)
		}
	}
	for _, id := range users {
		if err := c.syncUser(id, deleted); err != nil {
			return result(err)
		}
	}
	return outbox.Result{}
}

func result(err error) outbox.Result {
	var se *statusError
	if errors.As(err, &se) {
		switch {
		case se.status == http.StatusUnauthorized || se.status == http.StatusForbidden:
			return outbox.Result{Err: err, Stop: true}
		case se.status == http.StatusTooManyRequests || se.status >= 500:
			return outbox.Result{Err: err, RetryAfter: se.retryAfter}
		default:
			return outbox.Result{Err: err, Permanent: true}
		}
	}
	return outbox.Result{Err: err}
}

type call struct {
	s   *Sender
	t   *openchime.Target
	ctx context.Context
}

// syncUser makes the directory's entry of the Chime user match its state.
func (c *call) syncUser(userID string, accountDeleted bool) error {
	cfg := c.t.SCIM
	u, err := c.s.Service.AdminGetUser(c.ctx, cfg.AccountID, userID)
	if err != nil && !openchime.IsCode(err, openchime.NotFound) {
		return err
	}
	scimID, err := c.s.Service.SCIMUserID(c.ctx, c.t.ID, userID)
	if err != nil {
		return err
	}
	if u == nil || u.Removed() || accountDeleted {
		if scimID == "" && u != nil {
			if scimID, err = c.find(u); err != nil {
				return err
			}
		}
		if scimID == "" {
			return nil // never provisioned: nothing to remove
		}
		return c.remove(userID, scimID)
	}
	if scimID == "" {
		if !provisionable(u) {
			return nil // invited, not yet accepted: not a directory user yet
		}
		if scimID, err = c.find(u); err != nil {
			return err
		}
		if scimID == "" {
			return c.create(u)
		}
		if err := c.s.Service.SetSCIMUserID(c.ctx, c.t.ID, u.ID, scimID); err != nil {
			return err
		}
	}
	err = c.patch(scimID, u)
	var se *statusError
	if errors.As(err, &se) && se.status == http.StatusNotFound {
		// Deleted in the directory meanwhile: create it again.
		if err := c.s.Service.SetSCIMUserID(c.ctx, c.t.ID, u.ID, ""); err != nil {
			return err
		}
		return c.create(u)
	}
	return err
}

// provisionable reports whether u belongs in the directory: a Team user
// invited belongs there once the invitation is accepted.
func provisionable(u *openchime.User) bool {
	return u.InvitationStatus != openchime.InvitePending && u.InvitationStatus != openchime.InviteFailed
}

// active is the SCIM active of a Chime user.
func active(u *openchime.User) bool {
	return !u.Removed() && u.RegistrationStatus != openchime.Suspended
}

// UserResource is the SCIM User of a Chime user; with ext, it carries the
// Chime extension.
func UserResource(u *openchime.User, ext bool) map[string]any {
	m := map[string]any{
		"schemas":    []string{UserSchema},
		"userName":   u.PrimaryEmail,
		"externalId": u.ID,
		"emails":     []map[string]any{{"value": u.PrimaryEmail, "type": "work", "primary": true}},
		"active":     active(u),
	}
	if ext {
		m["schemas"] = []string{UserSchema, ChimeSchema}
		m[ChimeSchema] = map[string]any{"licenseType": string(u.LicenseType), "userType": string(u.UserType)}
	}
	if u.DisplayName != "" {
		m["displayName"] = u.DisplayName
	}
	return m
}

// withoutExtension retries a request the directory refused with 400 when it
// carried the Chime extension, without it: a directory that does not know
// the extension (RFC 7643 lets a service provider support only the schemas
// it declares) still gets the core attributes, and the Sender remembers not
// to send the extension to that target again (until the process restarts).
func (c *call) withoutExtension(err error, send func(ext bool) error) error {
	var se *statusError
	if !errors.As(err, &se) || se.status != http.StatusBadRequest || !c.ext() {
		return err
	}
	c.s.noExtension.Store(c.t.ID, true)
	logger := c.s.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.Warn("scim: the directory refused the Chime extension; licenseType and userType are not sent to it", "target", c.t.ID, "err", err)
	return send(false)
}

// ext reports whether the target's directory takes the Chime extension, as
// far as this process knows.
func (c *call) ext() bool {
	_, refused := c.s.noExtension.Load(c.t.ID)
	return !refused
}

func (c *call) create(u *openchime.User) error {
	var out struct{ ID string }
	post := func(ext bool) error { return c.do(http.MethodPost, "/Users", UserResource(u, ext), &out) }
	err := c.withoutExtension(post(c.ext()), post)
	var se *statusError
	if errors.As(err, &se) && se.status == http.StatusConflict {
		// It exists after all (made meanwhile): adopt it.
		id, err := c.find(u)
		if err != nil || id == "" {
			return cmpErr(err, se)
		}
		if err := c.s.Service.SetSCIMUserID(c.ctx, c.t.ID, u.ID, id); err != nil {
			return err
		}
		return c.patch(id, u)
	}
	if err != nil {
		return err
	}
	if c.t.SCIM.DryRun {
		return nil
	}
	if out.ID == "" {
		return &statusError{method: "POST", path: "/Users", status: http.StatusCreated, body: "without an id"}
	}
	return c.s.Service.SetSCIMUserID(c.ctx, c.t.ID, u.ID, out.ID)
}

func cmpErr(err error, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

// find returns the SCIM id of the directory's user named by u's email, "" if none.
func (c *call) find(u *openchime.User) (string, error) {
	filter := `userName eq "` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(u.PrimaryEmail) + `"`
	var out struct {
		Resources []struct {
			ID       string `json:"id"`
			UserName string `json:"userName"`
		} `json:"Resources"`
	}
	if err := c.do(http.MethodGet, "/Users?filter="+strings.ReplaceAll(url.QueryEscape(filter), "+", "%20"), nil, &out); err != nil {
		return "", err
	}
	// userName is case-insensitive (RFC 7643 4.1.1); a directory that
	// ignores the filter lists everyone, so the name is checked here.
	for _, r := range out.Resources {
		if strings.EqualFold(r.UserName, u.PrimaryEmail) {
			return r.ID, nil
		}
	}
	return "", nil
}

// patch replaces the attributes OpenChime owns.
func (c *call) patch(id string, u *openchime.User) error {
	send := func(ext bool) error {
		ops := []map[string]any{{"op": "replace", "path": "active", "value": active(u)}}
		if ext {
			ops = append(ops,
				map[string]any{"op": "replace", "path": ChimeSchema + ":licenseType", "value": string(u.LicenseType)},
				map[string]any{"op": "replace", "path": ChimeSchema + ":userType", "value": string(u.UserType)})
		}
		if u.DisplayName != "" {
			ops = append(ops, map[string]any{"op": "replace", "path": "displayName", "value": u.DisplayName})
		}
		err := c.do(http.MethodPatch, "/Users/"+url.PathEscape(id), map[string]any{"schemas": []string{PatchOpSchema}, "Operations": ops}, nil)
		var se *statusError
		if errors.As(err, &se) && (se.status == http.StatusNotImplemented || se.status == http.StatusMethodNotAllowed) {
			// PATCH is optional (RFC 7644 3.5.2, the ServiceProviderConfig's
			// patch.supported): replace the whole user instead.
			return c.do(http.MethodPut, "/Users/"+url.PathEscape(id), UserResource(u, ext), nil)
		}
		return err
	}
	return c.withoutExtension(send(c.ext()), send)
}

func (c *call) remove(userID, scimID string) error {
	path := "/Users/" + url.PathEscape(scimID)
	var err error
	if c.t.SCIM.OnRemove == openchime.OnRemoveDelete {
		err = c.do(http.MethodDelete, path, nil, nil)
	} else {
		err = c.do(http.MethodPatch, path, map[string]any{"schemas": []string{PatchOpSchema},
			"Operations": []map[string]any{{"op": "replace", "path": "active", "value": false}}}, nil)
	}
	var se *statusError
	if errors.As(err, &se) && se.status == http.StatusNotFound {
		err = nil // gone already
	}
	if err != nil || c.t.SCIM.DryRun {
		return err
	}
	if c.t.SCIM.OnRemove == openchime.OnRemoveDelete {
		return c.s.Service.SetSCIMUserID(c.ctx, c.t.ID, userID, "")
	}
	return nil
}

// do sends one SCIM request and decodes a 2xx answer into out (when not nil);
// any other status is a *statusError.
func (c *call) do(method, path string, body any, out any) error {
	var rd io.Reader
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	if !outbox.Progress(c.ctx) {
		return errLeaseLost
	}
	if c.t.SCIM.DryRun && method != http.MethodGet {
		// A dry run reads the directory but changes nothing in it.
		logger := c.s.Logger
		if logger == nil {
			logger = slog.Default()
		}
		logger.Info("scim dry run: would send", "target", c.t.ID, "method", method, "path", path, "body", string(raw))
		return nil
	}
	ctx, cancel := context.WithTimeout(c.ctx, outbox.RequestTimeout(c.ctx))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.t.SCIM.Endpoint, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", ContentType)
	if body != nil {
		req.Header.Set("Content-Type", ContentType)
	}
	req.Header.Set("Authorization", "Bearer "+c.t.SCIM.BearerToken)
	client := c.s.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		se := &statusError{method: method, path: path, status: resp.StatusCode, body: string(data[:min(len(data), maxErrorBodyLen)])}
		se.retryAfter = outbox.RetryAfter(resp, time.Now())
		return se
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("SCIM %s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}
