package scim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	elimity "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/scim"
)

// users is an in-memory ResourceHandler for github.com/elimity-com/scim,
// a SCIM 2.0 server library we did not write.
type users struct {
	mu   sync.Mutex
	byID map[string]elimity.ResourceAttributes
	next int
}

func (h *users) Create(_ *http.Request, a elimity.ResourceAttributes) (elimity.Resource, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, o := range h.byID {
		if o["userName"] == a["userName"] {
			return elimity.Resource{}, scimerrors.ScimErrorUniqueness
		}
	}
	h.next++
	id := "e" + strconv.Itoa(h.next)
	h.byID[id] = a
	return h.resource(id), nil
}

func (h *users) resource(id string) elimity.Resource {
	a := h.byID[id]
	ext, _ := a["externalId"].(string)
	return elimity.Resource{ID: id, ExternalID: optional.NewString(ext), Attributes: a}
}

func (h *users) Get(_ *http.Request, id string) (elimity.Resource, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.byID[id] == nil {
		return elimity.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	return h.resource(id), nil
}

func (h *users) GetAll(_ *http.Request, p elimity.ListRequestParams) (elimity.Page, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	page := elimity.Page{Resources: []elimity.Resource{}}
	for id, a := range h.byID {
		if p.FilterValidator != nil && p.FilterValidator.PassesFilter(a) != nil {
			continue
		}
		page.Resources = append(page.Resources, h.resource(id))
	}
	page.TotalResults = len(page.Resources)
	return page, nil
}

func (h *users) Replace(_ *http.Request, id string, a elimity.ResourceAttributes) (elimity.Resource, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.byID[id] = a
	return h.resource(id), nil
}

func (h *users) Delete(_ *http.Request, id string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.byID[id] == nil {
		return scimerrors.ScimErrorResourceNotFound(id)
	}
	delete(h.byID, id)
	return nil
}

func (h *users) Patch(_ *http.Request, id string, ops []elimity.PatchOperation) (elimity.Resource, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a := h.byID[id]
	if a == nil {
		return elimity.Resource{}, scimerrors.ScimErrorResourceNotFound(id)
	}
	for _, op := range ops {
		if op.Path == nil {
			continue
		}
		name := op.Path.AttributePath.AttributeName
		if uri := op.Path.AttributePath.URIPrefix; uri != nil && *uri == scim.ChimeSchema {
			ext, _ := a[scim.ChimeSchema].(map[string]interface{})
			if ext == nil {
				ext = map[string]interface{}{}
				a[scim.ChimeSchema] = ext
			}
			ext[name] = op.Value
			continue
		}
		a[name] = op.Value
	}
	return h.resource(id), nil
}

// byUserName returns a copy of the user named name, nil if none.
func (h *users) byUserName(name string) map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, a := range h.byID {
		if a["userName"] == name {
			return copyUser(a)
		}
	}
	return nil
}

func chimeExtension() schema.Schema {
	str := func(name string) schema.CoreAttribute {
		return schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{Name: name}))
	}
	return schema.Schema{ID: scim.ChimeSchema, Name: optional.NewString("Chime"), Attributes: []schema.CoreAttribute{str("licenseType"), str("userType")}}
}

// newElimity starts a SCIM server of github.com/elimity-com/scim for the
// test, with or without our extension schema, and returns its handler and
// base URL.
func newElimity(t *testing.T, withExtension bool) (*users, string) {
	h := &users{byID: map[string]elimity.ResourceAttributes{}}
	var ext []elimity.SchemaExtension
	if withExtension {
		ext = []elimity.SchemaExtension{{Schema: chimeExtension()}}
	}
	srv, err := elimity.NewServer(&elimity.ServerArgs{
		ServiceProviderConfig: &elimity.ServiceProviderConfig{SupportPatch: true, SupportFiltering: true},
		ResourceTypes: []elimity.ResourceType{{
			ID: optional.NewString("User"), Name: "User", Endpoint: "/Users", Schema: schema.CoreUserSchema(),
			SchemaExtensions: ext, Handler: h,
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(http.StripPrefix("/scim", srv))
	t.Cleanup(hs.Close)
	return h, hs.URL + "/scim/v2"
}

func TestSender_ElimityServer(t *testing.T) {
	h, url := newElimity(t, true)
	ctx := context.Background()
	e := newEnv(t, openchime.EnterpriseLWA)
	u := e.user(t, "el@example.com")
	if _, err := e.svc.PutSCIM(ctx, openchime.SCIMConfig{AccountID: e.acct.ID, Endpoint: url, BearerToken: "tok"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "provisioned", func() bool { return h.byUserName("el@example.com") != nil })
	if _, err := e.svc.BatchSuspendUser(ctx, e.acct.ID, []string{u.ID}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "suspended", func() bool { return h.byUserName("el@example.com")["active"] == false })
	typ := openchime.SharedDevice
	if _, err := e.svc.UpdateUser(ctx, e.acct.ID, openchime.UserUpdate{UserID: u.ID, UserType: &typ}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "user type", func() bool {
		ext, _ := h.byUserName("el@example.com")[scim.ChimeSchema].(map[string]interface{})
		return ext["userType"] == "SharedDevice"
	})
	tg, _ := e.svc.Target(ctx, openchime.SCIMTargetID(e.acct.ID))
	if tg.LastError != "" {
		t.Fatalf("target error %q", tg.LastError)
	}
}

// A directory that does not know our extension refuses its attributes with
// 400; the users' core attributes still arrive, and no delivery is lost.
func TestSender_ElimityServerWithoutExtension(t *testing.T) {
	h, url := newElimity(t, false)
	ctx := context.Background()
	e := newEnv(t, openchime.EnterpriseLWA)
	u := e.user(t, "core@example.com")
	if _, err := e.svc.PutSCIM(ctx, openchime.SCIMConfig{AccountID: e.acct.ID, Endpoint: url, BearerToken: "tok"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "provisioned", func() bool { return h.byUserName("core@example.com") != nil })
	basic := openchime.Basic
	if _, err := e.svc.UpdateUser(ctx, e.acct.ID, openchime.UserUpdate{UserID: u.ID, LicenseType: &basic}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.BatchSuspendUser(ctx, e.acct.ID, []string{u.ID}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "suspended", func() bool { return h.byUserName("core@example.com")["active"] == false })
	tid := openchime.SCIMTargetID(e.acct.ID)
	eventually(t, "all delivered", func() bool {
		n, _ := e.svc.DeliveryCounts(ctx, tid)
		return n[openchime.DeliveryPending] == 0
	})
	if n, _ := e.svc.DeliveryCounts(ctx, tid); n[openchime.DeliveryDead] != 0 {
		t.Fatalf("%d deliveries dead-lettered", n[openchime.DeliveryDead])
	}
}
