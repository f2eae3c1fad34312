// Package console is OpenChime's admin console: server-rendered pages under
// /_openchime/ui/ that show and change accounts, users and resources through
// the same openchime.Service the API uses, so the rules are identical.
//
// When the control plane needs an admin token, the console asks for it once
// and keeps a signed session in a Secure, HttpOnly, SameSite=Strict cookie;
// every form that changes state carries a CSRF token derived from the
// session. With no admin token (auth none on loopback) it opens directly.
package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	openchime "github.com/openchime/openchime"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Prefix is where the console is served.
const Prefix = "/_openchime/ui/"

const sessionCookie = "openchime_console"

// Handler serves the console.
type Handler struct {
	Service *openchime.Service
	// AdminToken, when set, must be entered once to open the console.
	AdminToken string
	// SecureCookies marks the session cookie Secure (set it behind TLS).
	SecureCookies bool
	Logger        *slog.Logger
	// Stats returns request and error counts by operation for the live
	// panel; the server sets it from the counters /metrics exports.
	Stats func() []Stat

	key   []byte // signs sessions and CSRF tokens
	pages map[string]*template.Template
	mux   *http.ServeMux
}

// New returns a console for svc. With an admin token, the signing key is
// derived from it so that every node behind one load balancer accepts the
// same sessions; without one it is random per process.
func New(svc *openchime.Service, adminToken string) *Handler {
	h := &Handler{Service: svc, AdminToken: adminToken, Logger: slog.Default()}
	if adminToken != "" {
		sum := sha256.Sum256([]byte("openchime-console\x00" + adminToken))
		h.key = sum[:]
	} else {
		h.key = make([]byte, 32)
		rand.Read(h.key)
	}
	funcs := template.FuncMap{"fmtTime": fmtTime}
	h.pages = map[string]*template.Template{}
	for _, page := range []string{"login", "home", "aws", "account", "user", "audit", "operator", "phones", "room", "notfound"} {
		h.pages[page] = template.Must(template.New(page).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+page+".html"))
	}
	static, _ := fs.Sub(assets, "static")
	h.mux = http.NewServeMux()
	h.mux.Handle("GET "+Prefix+"static/", http.StripPrefix(Prefix+"static/", http.FileServer(http.FS(static))))
	h.mux.HandleFunc("GET "+Prefix+"login", h.loginPage)
	h.mux.HandleFunc("POST "+Prefix+"login", h.login)
	h.mux.HandleFunc("GET "+Prefix+"{$}", h.auth(h.home))
	h.mux.HandleFunc("POST "+Prefix+"accounts", h.auth(h.createAccount))
	h.mux.HandleFunc("GET "+Prefix+"aws/{aws}", h.auth(h.awsAccount))
	h.mux.HandleFunc("GET "+Prefix+"aws/{aws}/phone-numbers", h.auth(h.phoneNumbers))
	h.mux.HandleFunc("GET "+Prefix+"accounts/{id}/rooms/{room}", h.auth(h.room))
	h.mux.HandleFunc("GET "+Prefix+"accounts/{id}", h.auth(h.account))
	h.mux.HandleFunc("POST "+Prefix+"accounts/{id}/batch", h.auth(h.batch))
	h.mux.HandleFunc("POST "+Prefix+"accounts/{id}/users", h.auth(h.addUsers))
	h.mux.HandleFunc("GET "+Prefix+"accounts/{id}/users/{uid}", h.auth(h.user))
	h.mux.HandleFunc("POST "+Prefix+"accounts/{id}/invite", h.auth(h.invite))
	h.mux.HandleFunc("GET "+Prefix+"audit", h.auth(h.auditPage))
	h.mux.HandleFunc("GET "+Prefix+"operator", h.auth(h.operator))
	h.mux.HandleFunc("POST "+Prefix+"faults", h.auth(h.addFault))
	h.mux.HandleFunc("POST "+Prefix+"clock", h.auth(h.setClock))
	h.mux.HandleFunc("POST "+Prefix+"faults/{id}/delete", h.auth(h.removeFault))
	h.mux.HandleFunc("GET "+Prefix+"stats", h.auth(h.stats))
	h.mux.HandleFunc("POST "+Prefix+"accounts/{id}/delete", h.auth(h.deleteAccount))
	h.mux.HandleFunc("POST "+Prefix+"accounts/{id}/users/{uid}/license", h.auth(h.updateLicense))
	h.mux.HandleFunc("POST "+Prefix+"accounts/{id}/users/{uid}/reset-pin", h.auth(h.resetPIN))
	h.mux.HandleFunc(Prefix, h.notFound) // every other path and method under Prefix
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self'")
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) sign(parts ...string) string {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(m.Sum(nil))
}

// session returns the id of a valid session cookie, or "".
func (h *Handler) session(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	id, mac, ok := strings.Cut(c.Value, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(h.sign("session", id))) {
		return ""
	}
	return id
}

// newSession sets a new session cookie. It is Secure whenever the console is
// served over TLS (or SecureCookies is set): on plain-HTTP loopback a Secure
// cookie would not come back from every browser.
func (h *Handler) newSession(w http.ResponseWriter, r *http.Request) string {
	b := make([]byte, 18)
	rand.Read(b)
	id := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id + "." + h.sign("session", id), Path: Prefix,
		HttpOnly: true, Secure: h.SecureCookies || r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: 12 * 3600})
	return id
}

func (h *Handler) csrf(session string) string { return h.sign("csrf", session) }

// auth runs next with a session: it sends to the login page when the admin
// token is required and there is none, opens a session directly otherwise,
// and refuses a state-changing form without its CSRF token.
func (h *Handler) auth(next func(w http.ResponseWriter, r *http.Request, v *view)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sid := h.session(r)
		if sid == "" {
			if h.AdminToken != "" {
				if r.Method != http.MethodGet {
					http.Error(w, "Forbidden: sign in first.", http.StatusForbidden)
					return
				}
				http.Redirect(w, r, Prefix+"login", http.StatusSeeOther)
				return
			}
			sid = h.newSession(w, r)
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := r.ParseForm(); err != nil {
				http.Error(w, "Bad request: "+err.Error(), http.StatusBadRequest)
				return
			}
			if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(h.csrf(sid))) != 1 {
				http.Error(w, "Forbidden: the form's CSRF token is missing or wrong; reload the page and try again.", http.StatusForbidden)
				return
			}
		}
		next(w, r, &view{Base: Prefix, CSRF: h.csrf(sid)})
	}
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	if h.AdminToken == "" {
		http.Redirect(w, r, Prefix, http.StatusSeeOther)
		return
	}
	h.render(w, "login", &view{Base: Prefix, Title: "Sign in"})
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if h.AdminToken == "" || subtle.ConstantTimeCompare([]byte(r.PostFormValue("token")), []byte(h.AdminToken)) != 1 {
		w.WriteHeader(http.StatusForbidden)
		h.render(w, "login", &view{Base: Prefix, Title: "Sign in", Flash: &flash{Text: "Wrong admin token.", Error: true}})
		return
	}
	h.newSession(w, r)
	http.Redirect(w, r, Prefix, http.StatusSeeOther)
}

// view is what every page template gets.
type view struct {
	Base  string
	Title string
	CSRF  string
	Nav   []link
	Flash *flash
	Data  any
}

type link struct{ Name, URL string }

type flash struct {
	Text  string
	Error bool
}

func (h *Handler) render(w http.ResponseWriter, page string, v *view) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	var b strings.Builder
	if err := h.pages[page].ExecuteTemplate(&b, page+".html", v); err != nil {
		h.Logger.Error("console template", "page", page, "err", err)
		http.Error(w, "The page could not be rendered.", http.StatusInternalServerError)
		return
	}
	w.Write([]byte(b.String()))
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// asOwner returns a context acting as the AWS account that owns the Chime
// account, so the Service's tenancy rules apply as for an API caller.
func asOwner(ctx context.Context, aws string) context.Context {
	return openchime.NewContextWithCaller(ctx, openchime.Caller{AwsAccountID: aws, AccessKeyID: "console"})
}

func (h *Handler) fail(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	switch openchime.ErrorCode(err) {
	case openchime.NotFound:
		status = http.StatusNotFound
	case openchime.ServiceFailure:
		status = http.StatusInternalServerError
		h.Logger.Error("console", "err", err)
	}
	w.WriteHeader(status)
	h.render(w, "home", &view{Base: Prefix, Title: "Error", Flash: &flash{Text: openchime.ErrorMessage(err), Error: true},
		Data: homeData{Types: accountTypes, DefaultAws: h.Service.DefaultAwsAccountID}})
}

var accountTypes = []string{"Team", "EnterpriseLWA", "EnterpriseDirectory", "EnterpriseOIDC"}

type awsRow struct {
	ID              string
	Active, Deleted int
}

type homeData struct {
	AwsAccounts []awsRow
	Types       []string
	DefaultAws  string
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request, v *view) {
	list, err := h.Service.AdminAccounts(r.Context(), openchime.AccountFilter{IncludeDeleted: true})
	if err != nil {
		h.fail(w, err)
		return
	}
	rows := map[string]*awsRow{}
	for _, a := range list {
		row := rows[a.AwsAccountID]
		if row == nil {
			row = &awsRow{ID: a.AwsAccountID}
			rows[a.AwsAccountID] = row
		}
		if a.Deleted() {
			row.Deleted++
		} else {
			row.Active++
		}
	}
	data := homeData{Types: accountTypes, DefaultAws: h.Service.DefaultAwsAccountID}
	for _, row := range rows {
		data.AwsAccounts = append(data.AwsAccounts, *row)
	}
	sort.Slice(data.AwsAccounts, func(i, j int) bool { return data.AwsAccounts[i].ID < data.AwsAccounts[j].ID })
	v.Title, v.Data = "AWS accounts", data
	h.render(w, "home", v)
}

func (h *Handler) createAccount(w http.ResponseWriter, r *http.Request, v *view) {
	aws := strings.TrimSpace(r.PostFormValue("aws"))
	if aws == "" {
		aws = h.Service.DefaultAwsAccountID
	}
	a, err := h.Service.AdminCreateAccount(r.Context(), openchime.NewAccount{
		AwsAccountID: aws, Name: r.PostFormValue("name"), Type: openchime.AccountType(r.PostFormValue("type")),
	})
	if err != nil {
		h.fail(w, err)
		return
	}
	http.Redirect(w, r, Prefix+"accounts/"+url.PathEscape(a.ID), http.StatusSeeOther)
}

const pageSize = 50

type awsData struct {
	Aws, Name, Type, Status string
	Types, Statuses         []string
	Accounts                []*openchime.Account
	Prev, Next              string
}

func (h *Handler) awsAccount(w http.ResponseWriter, r *http.Request, v *view) {
	q := r.URL.Query()
	d := awsData{Aws: r.PathValue("aws"), Name: q.Get("name"), Type: q.Get("type"), Status: q.Get("status"),
		Types: accountTypes, Statuses: []string{"Active", "Suspended"}}
	list, err := h.Service.AdminAccounts(r.Context(), openchime.AccountFilter{AwsAccountID: d.Aws, IncludeDeleted: true})
	if err != nil {
		h.fail(w, err)
		return
	}
	var matched []*openchime.Account
	for _, a := range list {
		if (d.Name == "" || strings.Contains(strings.ToLower(a.Name), strings.ToLower(d.Name))) &&
			(d.Type == "" || string(a.Type) == d.Type) && (d.Status == "" || string(a.Status) == d.Status) {
			matched = append(matched, a)
		}
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	if offset < 0 || offset > len(matched) {
		offset = 0
	}
	end := min(offset+pageSize, len(matched))
	d.Accounts = matched[offset:end]
	pageURL := func(off int) string {
		q.Set("offset", strconv.Itoa(off))
		return "?" + q.Encode()
	}
	if offset > 0 {
		d.Prev = pageURL(max(0, offset-pageSize))
	}
	if end < len(matched) {
		d.Next = pageURL(end)
	}
	v.Title, v.Data = "Chime accounts of "+d.Aws, d
	h.render(w, "aws", v)
}

type batchResult struct {
	Op      string
	Changed int
	Errors  []openchime.UserError
}

type accountData struct {
	Account                                *openchime.Account
	Users                                  []*openchime.User
	Email, Status, UserType, License, Next string
	Statuses, UserTypes, Licenses          []string
	Result                                 *batchResult
	Bots                                   []*openchime.Bot
	Rooms                                  []*openchime.Room
}

// loadAccount returns a live account, or writes a 404 page.
func (h *Handler) loadAccount(w http.ResponseWriter, r *http.Request) *openchime.Account {
	a, err := h.Service.AdminAccount(r.Context(), r.PathValue("id"))
	if err == nil && a.Deleted() {
		err = openchime.Errorf(openchime.NotFound, "Account %s was deleted.", a.ID)
	}
	if err != nil {
		h.fail(w, err)
		return nil
	}
	return a
}

func (h *Handler) account(w http.ResponseWriter, r *http.Request, v *view) {
	h.renderAccount(w, r, v, nil)
}

// renderAccount shows an account and one page of its users; status and
// licence filters apply to the pages of the Service's listing.
func (h *Handler) renderAccount(w http.ResponseWriter, r *http.Request, v *view, result *batchResult) {
	a := h.loadAccount(w, r)
	if a == nil {
		return
	}
	q := r.URL.Query()
	d := accountData{Account: a, Email: q.Get("email"), Status: q.Get("status"), UserType: q.Get("type"), License: q.Get("license"),
		Statuses:  []string{"Registered", "Suspended", "Unregistered"},
		UserTypes: []string{"PrivateUser", "SharedDevice"}, Licenses: []string{"Basic", "Plus", "Pro", "ProTrial"}, Result: result}
	ctx := asOwner(r.Context(), a.AwsAccountID)
	token := q.Get("next")
	for len(d.Users) < pageSize {
		users, next, err := h.Service.ListUsers(ctx, openchime.ListUsersInput{AccountID: a.ID, UserEmail: d.Email,
			UserType: openchime.UserType(d.UserType), Page: openchime.Page{MaxResults: 100, NextToken: token}})
		if err != nil {
			h.fail(w, err)
			return
		}
		for _, u := range users {
			if (d.Status == "" || string(u.RegistrationStatus) == d.Status) && (d.License == "" || string(u.LicenseType) == d.License) {
				d.Users = append(d.Users, u)
			}
		}
		token = next
		if next == "" {
			break
		}
	}
	if token != "" {
		q.Set("next", token)
		d.Next = "?" + q.Encode()
	}
	if a.Type != openchime.Team {
		// Bots and rooms exist only on Enterprise accounts (decision D14).
		var err error
		if d.Bots, _, err = h.Service.ListBots(ctx, a.ID, openchime.Page{}); err != nil && !openchime.IsCode(err, openchime.Forbidden) {
			h.fail(w, err)
			return
		}
		if d.Rooms, _, err = h.Service.ListRooms(ctx, openchime.ListRoomsInput{AccountID: a.ID}); err != nil && !openchime.IsCode(err, openchime.Forbidden) {
			h.fail(w, err)
			return
		}
	}
	v.Title, v.Data = a.Name, d
	v.Nav = []link{{"AWS account " + a.AwsAccountID, Prefix + "aws/" + a.AwsAccountID}}
	h.render(w, "account", v)
}

// batch suspends or unsuspends the selected users and shows each per-user
// error exactly as UserErrors carries it.
func (h *Handler) batch(w http.ResponseWriter, r *http.Request, v *view) {
	a := h.loadAccount(w, r)
	if a == nil {
		return
	}
	ids := r.PostForm["user"]
	for _, line := range strings.Split(r.PostFormValue("ids"), "\n") {
		if s := strings.TrimSpace(line); s != "" {
			ids = append(ids, s)
		}
	}
	if len(ids) == 0 || len(ids) > 50 {
		v.Flash = &flash{Text: "Select between 1 and 50 users.", Error: true}
		h.renderAccount(w, r, v, nil)
		return
	}
	ctx := asOwner(r.Context(), a.AwsAccountID)
	var errs []openchime.UserError
	var err error
	op := r.PostFormValue("action")
	switch op {
	case "suspend":
		op = "BatchSuspendUser"
		errs, err = h.Service.BatchSuspendUser(ctx, a.ID, ids)
	case "unsuspend":
		op = "BatchUnsuspendUser"
		errs, err = h.Service.BatchUnsuspendUser(ctx, a.ID, ids)
	default:
		v.Flash = &flash{Text: "Unknown action.", Error: true}
		h.renderAccount(w, r, v, nil)
		return
	}
	if err != nil {
		v.Flash = &flash{Text: op + " failed: " + openchime.ErrorMessage(err), Error: true}
		h.renderAccount(w, r, v, nil)
		return
	}
	h.renderAccount(w, r, v, &batchResult{Op: op, Changed: len(distinctCount(ids)) - len(errs), Errors: errs})
}

func distinctCount(ids []string) map[string]bool {
	m := map[string]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func (h *Handler) addUsers(w http.ResponseWriter, r *http.Request, v *view) {
	a := h.loadAccount(w, r)
	if a == nil {
		return
	}
	var news []openchime.NewUser
	for _, line := range strings.Split(r.PostFormValue("emails"), "\n") {
		if s := strings.TrimSpace(line); s != "" {
			news = append(news, openchime.NewUser{PrimaryEmail: s,
				RegistrationStatus: openchime.RegistrationStatus(r.PostFormValue("status")),
				LicenseType:        openchime.License(r.PostFormValue("license"))})
		}
	}
	if len(news) == 0 {
		v.Flash = &flash{Text: "Give at least one email.", Error: true}
		h.renderAccount(w, r, v, nil)
		return
	}
	if _, err := h.Service.AdminCreateUsers(r.Context(), a.ID, news); err != nil {
		v.Flash = &flash{Text: openchime.ErrorMessage(err), Error: true}
		h.renderAccount(w, r, v, nil)
		return
	}
	http.Redirect(w, r, Prefix+"accounts/"+url.PathEscape(a.ID), http.StatusSeeOther)
}

func (h *Handler) user(w http.ResponseWriter, r *http.Request, v *view) {
	a := h.loadAccount(w, r)
	if a == nil {
		return
	}
	h.renderUser(w, r, v, a)
}

func (h *Handler) renderUser(w http.ResponseWriter, r *http.Request, v *view, a *openchime.Account) {
	u, err := h.Service.GetUser(asOwner(r.Context(), a.AwsAccountID), a.ID, r.PathValue("uid"))
	if err != nil {
		h.fail(w, err)
		return
	}
	events, _, err := h.Service.ListAudit(r.Context(), openchime.AuditFilter{AccountID: a.ID, UserID: u.ID, Page: openchime.Page{MaxResults: 50}})
	if err != nil {
		h.fail(w, err)
		return
	}
	v.Title, v.Data = u.PrimaryEmail, map[string]any{"User": u, "Licenses": a.SupportedLicenses, "Events": events}
	v.Nav = []link{{"AWS account " + a.AwsAccountID, Prefix + "aws/" + a.AwsAccountID}, {a.Name, Prefix + "accounts/" + a.ID}}
	h.render(w, "user", v)
}

// invite runs InviteUsers (Team accounts) and shows the invitations.
func (h *Handler) invite(w http.ResponseWriter, r *http.Request, v *view) {
	a := h.loadAccount(w, r)
	if a == nil {
		return
	}
	var emails []string
	for _, line := range strings.Split(r.PostFormValue("emails"), "\n") {
		if s := strings.TrimSpace(line); s != "" {
			emails = append(emails, s)
		}
	}
	invites, err := h.Service.InviteUsers(asOwner(r.Context(), a.AwsAccountID), a.ID, emails, openchime.PrivateUser)
	if err != nil {
		v.Flash = &flash{Text: "InviteUsers failed: " + openchime.ErrorMessage(err), Error: true}
	} else {
		var parts []string
		for _, in := range invites {
			parts = append(parts, in.Email+": "+string(in.Status))
		}
		v.Flash = &flash{Text: "Invitations: " + strings.Join(parts, ", ")}
	}
	h.renderAccount(w, r, v, nil)
}

func (h *Handler) deleteAccount(w http.ResponseWriter, r *http.Request, v *view) {
	a := h.loadAccount(w, r)
	if a == nil {
		return
	}
	if err := h.Service.DeleteAccount(asOwner(r.Context(), a.AwsAccountID), a.ID); err != nil {
		v.Flash = &flash{Text: "DeleteAccount failed: " + openchime.ErrorMessage(err), Error: true}
		h.renderAccount(w, r, v, nil)
		return
	}
	http.Redirect(w, r, Prefix+"aws/"+url.PathEscape(a.AwsAccountID), http.StatusSeeOther)
}

func (h *Handler) updateLicense(w http.ResponseWriter, r *http.Request, v *view) {
	a := h.loadAccount(w, r)
	if a == nil {
		return
	}
	lic := openchime.License(r.PostFormValue("license"))
	_, err := h.Service.UpdateUser(asOwner(r.Context(), a.AwsAccountID), a.ID, openchime.UserUpdate{UserID: r.PathValue("uid"), LicenseType: &lic})
	h.afterUserAction(w, r, v, a, "UpdateUser", err)
}

func (h *Handler) resetPIN(w http.ResponseWriter, r *http.Request, v *view) {
	a := h.loadAccount(w, r)
	if a == nil {
		return
	}
	_, err := h.Service.ResetPersonalPIN(asOwner(r.Context(), a.AwsAccountID), a.ID, r.PathValue("uid"))
	h.afterUserAction(w, r, v, a, "ResetPersonalPIN", err)
}

func (h *Handler) afterUserAction(w http.ResponseWriter, r *http.Request, v *view, a *openchime.Account, op string, err error) {
	if err != nil {
		v.Flash = &flash{Text: op + " failed: " + openchime.ErrorMessage(err), Error: true}
	} else {
		v.Flash = &flash{Text: op + " done."}
	}
	h.renderUser(w, r, v, a)
}
