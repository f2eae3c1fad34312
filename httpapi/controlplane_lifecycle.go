package httpapi

import (
	"net/http"

	openchime "github.com/openchime/openchime"
)

// Control-plane routes of the account and user lifecycle: the steps that
// happen outside the API on the real service (an invitee accepting, a domain
// being claimed or released) and a view of the fields the API never shows.

func (cp *controlPlane) handleLifecycle() {
	cp.mux.HandleFunc("GET /_openchime/accounts/{accountId}/users/{userId}", cp.getUser)
	cp.mux.HandleFunc("POST /_openchime/accounts/{accountId}/users/{userId}/register", cp.registerUser)
	cp.mux.HandleFunc("PUT /_openchime/accounts/{accountId}/claimed-domains", cp.setClaimedDomains)
}

// adminAccount is an account as the control plane shows it: the wire account
// plus the claimed domains and, for a tombstone, its deletion time.
type adminAccount struct {
	*Account
	ClaimedDomains   []string   `json:",omitempty"`
	DeletedTimestamp *Timestamp `json:",omitempty"`
}

func toAdminAccount(a *openchime.Account) adminAccount {
	return adminAccount{Account: toAccount(a), ClaimedDomains: a.ClaimedDomains, DeletedTimestamp: ts(a.DeletedAt)}
}

// adminUser is a user as the control plane shows it: the wire user with its
// PIN, plus what the API keeps to itself.
type adminUser struct {
	*User
	CreatedTimestamp    *Timestamp `json:",omitempty"`
	RemovedTimestamp    *Timestamp `json:",omitempty"` // removed from a Team account (decision D4)
	LastLogoutTimestamp *Timestamp `json:",omitempty"` // the last LogoutUser
	UserSettings        *UserSettings
}

func toAdminUser(u *openchime.User) adminUser {
	return adminUser{
		User:                toUser(u, true),
		CreatedTimestamp:    ts(u.CreatedAt),
		RemovedTimestamp:    ts(u.RemovedAt),
		LastLogoutTimestamp: ts(u.LastLogoutAt),
		UserSettings: &UserSettings{Telephony: &TelephonySettings{
			InboundCalling: boolp(u.Settings.InboundCalling), OutboundCalling: boolp(u.Settings.OutboundCalling), SMS: boolp(u.Settings.SMS),
		}},
	}
}

// getUser returns any user, removed ones and those of deleted accounts too.
func (cp *controlPlane) getUser(w http.ResponseWriter, r *http.Request) {
	u, err := cp.svc.AdminGetUser(r.Context(), r.PathValue("accountId"), r.PathValue("userId"))
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"User": toAdminUser(u)})
}

// registerUser accepts the user's invitation (the "Register" transition).
func (cp *controlPlane) registerUser(w http.ResponseWriter, r *http.Request) {
	u, err := cp.svc.AdminRegisterUser(r.Context(), r.PathValue("accountId"), r.PathValue("userId"))
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"User": toAdminUser(u)})
}

// setClaimedDomains replaces the domains an Enterprise account claims; an
// empty list releases them all, after which DeleteAccount can delete it.
func (cp *controlPlane) setClaimedDomains(w http.ResponseWriter, r *http.Request) {
	var in struct{ ClaimedDomains []string }
	if err := DecodeJSON(r, &in); err != nil {
		WriteError(w, err)
		return
	}
	if in.ClaimedDomains == nil {
		WriteError(w, openchime.Errorf(openchime.BadRequest, "ClaimedDomains is required: the full list of claimed domains, [] to release them all."))
		return
	}
	a, err := cp.svc.AdminSetClaimedDomains(r.Context(), r.PathValue("accountId"), in.ClaimedDomains)
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"Account": toAdminAccount(a)})
}
