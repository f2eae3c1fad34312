package scim

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	openchime "github.com/openchime/openchime"
)

var _ openchime.SCIMReconciler = (*Sender)(nil)

// dirUser is what reconciliation reads of a directory user.
type dirUser struct {
	ID         string         `json:"id"`
	UserName   string         `json:"userName"`
	ExternalID string         `json:"externalId"`
	Active     *bool          `json:"active"`
	Display    string         `json:"displayName"`
	Chime      map[string]any `json:"urn:openchime:params:scim:schemas:extension:chime:2.0:User"`
}

// Reconcile lists the directory's users and repairs the drift both ways the
// mapping allows: a Chime user missing there is created (or adopted by its
// userName); one whose active, displayName, licenseType or userType differ
// is patched; an entry of a removed Chime user (or of a Chime user that no
// longer exists, known by the stored map or its externalId) is deleted or
// deactivated per OnRemove. Entries OpenChime never provisioned are left
// alone. With DryRun it reads the directory and changes nothing.
func (s *Sender) Reconcile(ctx context.Context, t *openchime.Target) (*openchime.SCIMReconcileReport, error) {
	c := &call{s: s, t: t, ctx: ctx}
	dir, err := c.listAll()
	if err != nil {
		return nil, err
	}
	byID, byName := map[string]*dirUser{}, map[string]*dirUser{}
	for _, u := range dir {
		byID[u.ID], byName[strings.ToLower(u.UserName)] = u, u // userName is case-insensitive
	}
	mapped, err := s.Service.SCIMUserIDs(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	a, err := s.Service.AdminAccount(ctx, t.SCIM.AccountID)
	if err != nil {
		return nil, err
	}
	users, err := s.Service.AdminUsers(ctx, t.SCIM.AccountID)
	if err != nil {
		return nil, err
	}
	rep := &openchime.SCIMReconcileReport{DryRun: t.SCIM.DryRun}
	chime := map[string]bool{}
	for _, u := range users {
		chime[u.ID] = true
		d := byID[mapped[u.ID]]
		if d == nil {
			if d = byName[strings.ToLower(u.PrimaryEmail)]; d != nil && d.ExternalID != "" && d.ExternalID != u.ID {
				d = nil // another account's user of the same name
			}
		}
		gone := u.Removed() || a.Deleted()
		switch {
		case gone && d == nil:
		case gone:
			if t.SCIM.OnRemove == openchime.OnRemoveDeactivate && (d.Active != nil && !*d.Active) {
				continue
			}
			if err := c.remove(u.ID, d.ID); err != nil {
				return rep, err
			}
			rep.Removed = append(rep.Removed, u.ID)
		case d == nil && !provisionable(u):
		case d == nil:
			if mapped[u.ID] != "" && !t.SCIM.DryRun {
				if err := s.Service.SetSCIMUserID(ctx, t.ID, u.ID, ""); err != nil {
					return rep, err
				}
			}
			if err := c.create(u); err != nil {
				return rep, err
			}
			rep.Created = append(rep.Created, u.ID)
		default:
			if mapped[u.ID] != d.ID {
				if !t.SCIM.DryRun {
					if err := s.Service.SetSCIMUserID(ctx, t.ID, u.ID, d.ID); err != nil {
						return rep, err
					}
				}
				rep.Adopted = append(rep.Adopted, u.ID)
			}
			if !matches(d, u, c.ext()) {
				if err := c.patch(d.ID, u); err != nil {
					return rep, err
				}
				rep.Updated = append(rep.Updated, u.ID)
			}
		}
	}
	// Entries of Chime users that no longer exist (known by the map).
	for userID, scimID := range mapped {
		if chime[userID] {
			continue
		}
		if d := byID[scimID]; d != nil {
			if err := c.remove(userID, scimID); err != nil {
				return rep, err
			}
			rep.Removed = append(rep.Removed, userID)
		}
	}
	return rep, nil
}

// matches reports whether the directory's entry already says what u is
// (with ext, the Chime extension's attributes too).
func matches(d *dirUser, u *openchime.User, ext bool) bool {
	return d.Active != nil && *d.Active == active(u) &&
		(u.DisplayName == "" || d.Display == u.DisplayName) &&
		(!ext || d.Chime["licenseType"] == string(u.LicenseType) && d.Chime["userType"] == string(u.UserType))
}

// listAll pages through GET /Users.
func (c *call) listAll() ([]*dirUser, error) {
	var out []*dirUser
	for start := 1; ; {
		var page struct {
			TotalResults int        `json:"totalResults"`
			ItemsPerPage int        `json:"itemsPerPage"`
			Resources    []*dirUser `json:"Resources"`
		}
		if err := c.do(http.MethodGet, "/Users?startIndex="+strconv.Itoa(start)+"&count=100", nil, &page); err != nil {
			return nil, err
		}
		out = append(out, page.Resources...)
		start += len(page.Resources)
		if len(page.Resources) == 0 || start > page.TotalResults {
			return out, nil
		}
		if len(out) > 1_000_000 {
			return nil, fmt.Errorf("SCIM directory lists more than a million users")
		}
	}
}
