package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	openchime "github.com/openchime/openchime"
)

// The control plane, under /_openchime/, creates the states the public API
// cannot (enterprise accounts, users in any status) and resets the server.
// It speaks JSON with AWS-style errors like the API.

// controlPlane holds the control-plane routes on a ServeMux.
type controlPlane struct {
	svc *openchime.Service
	mux *http.ServeMux
}

func newControlPlane(svc *openchime.Service) *controlPlane {
	cp := &controlPlane{svc: svc, mux: http.NewServeMux()}
	cp.mux.HandleFunc("GET /_openchime/health", cp.health)
	cp.mux.HandleFunc("POST /_openchime/accounts", cp.createAccount)
	cp.mux.HandleFunc("GET /_openchime/accounts", cp.listAccounts)
	cp.mux.HandleFunc("POST /_openchime/accounts/{accountId}/users", cp.createUsers)
	cp.mux.HandleFunc("POST /_openchime/reset", cp.reset)
	cp.handleFaults()
	cp.mux.HandleFunc("GET /_openchime/audit", cp.listAudit)
	cp.phoneRoutes()
	cp.handleLifecycle()
	cp.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, openchime.Errorf(openchime.UnknownOperation, "No control-plane route matches %s %s.", r.Method, r.URL.Path))
	})
	return cp
}

// Handle adds a control-plane route; other packages (metrics, console,
// fixtures) extend the control plane through it.
func (cp *controlPlane) Handle(pattern string, h http.Handler) { cp.mux.Handle(pattern, h) }

func (cp *controlPlane) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// ServeMux answers a path it would clean (a dot segment, a doubled
	// slash) with a redirect to the cleaned path: /_openchime/x/../reset
	// would lead a client that follows redirects to another route than the
	// one it named. Such a path names no route, as on the API side (D7).
	if !cleanPath(r.URL.Path) || !cleanPath(r.URL.EscapedPath()) {
		WriteError(w, openchime.Errorf(openchime.UnknownOperation, "No control-plane route matches %s %s: the path has an empty, \".\" or \"..\" segment.", r.Method, r.URL.EscapedPath()))
		return
	}
	c := AccessKeyTenancy(r, cp.svc.DefaultAwsAccountID)
	c.RequestID = w.Header().Get("x-amzn-RequestId") // set by Server, so the audit log names it
	c.Host, c.TLS = r.Host, r.TLS != nil
	ctx := openchime.NewContextWithCaller(r.Context(), c)
	cp.mux.ServeHTTP(w, r.WithContext(ctx))
}

// cleanPath reports whether p is already in the form path.Clean gives
// (a trailing slash aside): no empty, "." or ".." segment.
func cleanPath(p string) bool {
	for _, seg := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return !strings.Contains(p, "//")
}

// DecodeJSON decodes a control-plane request body into v, answering
// BadRequest for anything that is not the expected JSON object.
func DecodeJSON(r *http.Request, v any) error {
	body, err := readBody(r, DefaultMaxBodyBytes*16)
	if err != nil {
		return err
	}
	return decodeJSONBody(body, v)
}

// decodeJSONBody is DecodeJSON of a body already read, for handlers that
// decode it inside a transaction that may run more than once.
func decodeJSONBody(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := checkUTF8(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return decodeOne(dec, v)
}

// WriteJSON writes v as a JSON response with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

func (cp *controlPlane) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"Status": "ok"})
}

type cpAccountInput struct {
	Name           string
	AccountType    string
	AwsAccountId   string
	AccountStatus  string
	DefaultLicense string
	ClaimedDomains []string
}

func (cp *controlPlane) createAccount(w http.ResponseWriter, r *http.Request) {
	var in cpAccountInput
	if err := DecodeJSON(r, &in); err != nil {
		WriteError(w, err)
		return
	}
	if in.AwsAccountId != "" && !awsAccountID.MatchString(in.AwsAccountId) {
		WriteError(w, openchime.Errorf(openchime.BadRequest, "AwsAccountId %q must be 12 digits.", in.AwsAccountId))
		return
	}
	a, err := cp.svc.AdminCreateAccount(r.Context(), openchime.NewAccount{
		AwsAccountID: in.AwsAccountId, Name: in.Name, Type: openchime.AccountType(in.AccountType),
		Status: openchime.AccountStatus(in.AccountStatus), DefaultLicense: openchime.License(in.DefaultLicense),
		ClaimedDomains: in.ClaimedDomains,
	})
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"Account": toAdminAccount(a)})
}

// listAccounts lists the accounts of every AWS account, tombstones included,
// with their deletion time.
func (cp *controlPlane) listAccounts(w http.ResponseWriter, r *http.Request) {
	f := openchime.AccountFilter{AwsAccountID: r.URL.Query().Get("aws-account-id"), IncludeDeleted: true}
	list, err := cp.svc.AdminAccounts(r.Context(), f)
	if err != nil {
		WriteError(w, err)
		return
	}
	out := make([]adminAccount, len(list))
	for i, a := range list {
		out[i] = toAdminAccount(a)
	}
	writeJSON(w, http.StatusOK, map[string]any{"Accounts": out})
}

type cpUserInput struct {
	PrimaryEmail           string
	DisplayName            string
	UserType               string
	LicenseType            string
	UserRegistrationStatus string
}

// maxBulkUsers caps one bulk seeding call.
const maxBulkUsers = 10000

func (cp *controlPlane) createUsers(w http.ResponseWriter, r *http.Request) {
	var in struct {
		cpUserInput
		Users []cpUserInput
	}
	if err := DecodeJSON(r, &in); err != nil {
		WriteError(w, err)
		return
	}
	bulk := in.Users != nil
	list := in.Users
	if !bulk {
		list = []cpUserInput{in.cpUserInput}
	}
	if len(list) == 0 || len(list) > maxBulkUsers {
		WriteError(w, openchime.Errorf(openchime.BadRequest, "Users must hold 1 to %d users (it has %d).", maxBulkUsers, len(list)))
		return
	}
	news := make([]openchime.NewUser, len(list))
	for i, u := range list {
		news[i] = openchime.NewUser{
			PrimaryEmail: u.PrimaryEmail, DisplayName: u.DisplayName, UserType: openchime.UserType(u.UserType),
			LicenseType: openchime.License(u.LicenseType), RegistrationStatus: openchime.RegistrationStatus(u.UserRegistrationStatus),
		}
	}
	users, err := cp.svc.AdminCreateUsers(r.Context(), r.PathValue("accountId"), news)
	if err != nil {
		WriteError(w, err)
		return
	}
	if !bulk {
		writeJSON(w, http.StatusCreated, map[string]any{"User": toUser(users[0], true)})
		return
	}
	out := make([]*User, len(users))
	for i, u := range users {
		out[i] = toUser(u, true)
	}
	writeJSON(w, http.StatusCreated, map[string]any{"Users": out})
}

func (cp *controlPlane) reset(w http.ResponseWriter, r *http.Request) {
	if err := cp.svc.Reset(r.Context()); err != nil {
		WriteError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
