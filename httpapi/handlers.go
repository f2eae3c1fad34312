package httpapi

import (
	"context"
	"time"

	openchime "github.com/openchime/openchime"
)

// handlers maps the wire types of the operations to the Service. It
// implements every operation of the model: the check below fails to compile
// when the model gains one that has no method here.
type handlers struct {
	svc *openchime.Service
}

var _ Handlers = (*handlers)(nil)

// page is the Service's page of a list operation's max-results and
// next-token (an absent max-results is 0, the Service's default).
func page(maxResults *int, next string) openchime.Page {
	if maxResults == nil {
		return openchime.Page{NextToken: next}
	}
	return openchime.Page{MaxResults: *maxResults, NextToken: next}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toAccount(a *openchime.Account) *Account {
	licenses := make([]string, len(a.SupportedLicenses))
	for i, l := range a.SupportedLicenses {
		licenses[i] = string(l)
	}
	groups := make([]SigninDelegateGroup, len(a.SigninDelegateGroups))
	for i, g := range a.SigninDelegateGroups {
		groups[i] = SigninDelegateGroup{GroupName: g}
	}
	return &Account{
		AwsAccountId:         a.AwsAccountID,
		AccountId:            a.ID,
		Name:                 a.Name,
		AccountType:          string(a.Type),
		CreatedTimestamp:     ts(a.CreatedAt),
		DefaultLicense:       string(a.DefaultLicense),
		SupportedLicenses:    licenses,
		AccountStatus:        string(a.Status),
		SigninDelegateGroups: groups,
	}
}

// toUser renders a user; withPIN is false in listings, which the service's
// examples show without the personal PIN.
func toUser(u *openchime.User, withPIN bool) *User {
	// One allocation for the user and what its pointers point to.
	one := new(struct {
		user    User
		meta    AlexaForBusinessMetadata
		enabled bool
		stamps  [2]Timestamp
	})
	stamps := one.stamps[:0]
	fillUser(&one.user, &one.meta, &one.enabled, &stamps, u, withPIN)
	return &one.user
}

// toUsers renders users. The pointers of a page (metadata, flags,
// timestamps) point into a few shared arrays rather than several
// allocations per user: a 100-user page was 500 allocations (issue 6).
func toUsers(list []*openchime.User, withPIN bool) []User {
	out := make([]User, len(list))
	meta := make([]AlexaForBusinessMetadata, len(list))
	enabled := make([]bool, len(list))
	// Appends never outgrow the capacity, so the pointers stay valid.
	stamps := make([]Timestamp, 0, 2*len(list))
	for i, u := range list {
		fillUser(&out[i], &meta[i], &enabled[i], &stamps, u, withPIN)
	}
	return out
}

// fillUser renders u into dst, its metadata into meta and enabled, and its
// (at most two) timestamps appended to stamps, which has room for them.
func fillUser(dst *User, meta *AlexaForBusinessMetadata, enabled *bool, stamps *[]Timestamp, u *openchime.User, withPIN bool) {
	stamp := func(t time.Time) *Timestamp {
		if t.IsZero() {
			return nil
		}
		*stamps = append(*stamps, Timestamp(t))
		return &(*stamps)[len(*stamps)-1]
	}
	*enabled = u.AlexaForBusiness.Enabled
	*meta = AlexaForBusinessMetadata{
		IsAlexaForBusinessEnabled: enabled,
		AlexaForBusinessRoomArn:   u.AlexaForBusiness.RoomArn,
	}
	*dst = User{
		UserId:                   u.ID,
		AccountId:                u.AccountID,
		PrimaryEmail:             u.PrimaryEmail,
		PrimaryProvisionedNumber: u.ProvisionedNumber,
		DisplayName:              u.DisplayName,
		LicenseType:              string(u.LicenseType),
		UserType:                 string(u.UserType),
		UserRegistrationStatus:   string(u.RegistrationStatus),
		UserInvitationStatus:     string(u.InvitationStatus),
		RegisteredOn:             stamp(u.RegisteredOn),
		InvitedOn:                stamp(u.InvitedOn),
		AlexaForBusinessMetadata: meta,
	}
	if withPIN {
		dst.PersonalPIN = u.PersonalPIN
	}
}

func toUserErrors(errs []openchime.UserError) []UserError {
	out := make([]UserError, len(errs))
	for i, e := range errs {
		out[i] = UserError{UserId: e.UserID, ErrorCode: string(e.Code), ErrorMessage: e.Message}
	}
	return out
}

func (h *handlers) CreateAccount(ctx context.Context, in *CreateAccountRequest) (*CreateAccountResponse, error) {
	a, err := h.svc.CreateAccount(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	return &CreateAccountResponse{Account: toAccount(a)}, nil
}

func (h *handlers) GetAccount(ctx context.Context, in *GetAccountRequest) (*GetAccountResponse, error) {
	a, err := h.svc.GetAccount(ctx, in.AccountId)
	if err != nil {
		return nil, err
	}
	return &GetAccountResponse{Account: toAccount(a)}, nil
}

func (h *handlers) ListAccounts(ctx context.Context, in *ListAccountsRequest) (*ListAccountsResponse, error) {
	list, next, err := h.svc.ListAccounts(ctx, openchime.ListAccountsInput{
		Name: in.Name, UserEmail: in.UserEmail,
		Page: page(in.MaxResults, in.NextToken),
	})
	if err != nil {
		return nil, err
	}
	out := &ListAccountsResponse{Accounts: make([]Account, len(list)), NextToken: next}
	for i, a := range list {
		out.Accounts[i] = *toAccount(a)
	}
	return out, nil
}

func (h *handlers) GetUser(ctx context.Context, in *GetUserRequest) (*GetUserResponse, error) {
	u, err := h.svc.GetUser(ctx, in.AccountId, in.UserId)
	if err != nil {
		return nil, err
	}
	return &GetUserResponse{User: toUser(u, true)}, nil
}

func (h *handlers) ListUsers(ctx context.Context, in *ListUsersRequest) (*ListUsersResponse, error) {
	list, next, err := h.svc.ListUsers(ctx, openchime.ListUsersInput{
		AccountID: in.AccountId, UserEmail: in.UserEmail, UserType: openchime.UserType(in.UserType),
		Page: page(in.MaxResults, in.NextToken),
	})
	if err != nil {
		return nil, err
	}
	return &ListUsersResponse{Users: toUsers(list, false), NextToken: next}, nil
}

func (h *handlers) BatchSuspendUser(ctx context.Context, in *BatchSuspendUserRequest) (*BatchSuspendUserResponse, error) {
	errs, err := h.svc.BatchSuspendUser(ctx, in.AccountId, in.UserIdList)
	if err != nil {
		return nil, err
	}
	return &BatchSuspendUserResponse{UserErrors: toUserErrors(errs)}, nil
}

func (h *handlers) BatchUnsuspendUser(ctx context.Context, in *BatchUnsuspendUserRequest) (*BatchUnsuspendUserResponse, error) {
	errs, err := h.svc.BatchUnsuspendUser(ctx, in.AccountId, in.UserIdList)
	if err != nil {
		return nil, err
	}
	return &BatchUnsuspendUserResponse{UserErrors: toUserErrors(errs)}, nil
}
