package httpapi

import (
	"context"

	openchime "github.com/openchime/openchime"
)

// The wire side of the account and user lifecycle (issue 3). Each method
// converts the wire types; the rules are in openchime.Service
// (service_lifecycle.go).

func optionalLicense(s string) *openchime.License {
	if s == "" {
		return nil
	}
	l := openchime.License(s)
	return &l
}

func optionalUserType(s string) *openchime.UserType {
	if s == "" {
		return nil
	}
	t := openchime.UserType(s)
	return &t
}

func (h *handlers) UpdateAccount(ctx context.Context, in *UpdateAccountRequest) (*UpdateAccountResponse, error) {
	a, err := h.svc.UpdateAccount(ctx, in.AccountId, openchime.AccountUpdate{
		Name: optional(in.Name), DefaultLicense: optionalLicense(in.DefaultLicense),
	})
	if err != nil {
		return nil, err
	}
	return &UpdateAccountResponse{Account: toAccount(a)}, nil
}

func (h *handlers) DeleteAccount(ctx context.Context, in *DeleteAccountRequest) (*DeleteAccountResponse, error) {
	if err := h.svc.DeleteAccount(ctx, in.AccountId); err != nil {
		return nil, err
	}
	return &DeleteAccountResponse{}, nil
}

func (h *handlers) GetAccountSettings(ctx context.Context, in *GetAccountSettingsRequest) (*GetAccountSettingsResponse, error) {
	st, err := h.svc.GetAccountSettings(ctx, in.AccountId)
	if err != nil {
		return nil, err
	}
	return &GetAccountSettingsResponse{AccountSettings: &AccountSettings{
		DisableRemoteControl: &st.DisableRemoteControl, EnableDialOut: &st.EnableDialOut,
	}}, nil
}

func (h *handlers) UpdateAccountSettings(ctx context.Context, in *UpdateAccountSettingsRequest) (*UpdateAccountSettingsResponse, error) {
	err := h.svc.UpdateAccountSettings(ctx, in.AccountId, openchime.AccountSettingsUpdate{
		DisableRemoteControl: in.AccountSettings.DisableRemoteControl, EnableDialOut: in.AccountSettings.EnableDialOut,
	})
	if err != nil {
		return nil, err
	}
	return &UpdateAccountSettingsResponse{}, nil
}

func (h *handlers) AssociateSigninDelegateGroupsWithAccount(ctx context.Context, in *AssociateSigninDelegateGroupsWithAccountRequest) (*AssociateSigninDelegateGroupsWithAccountResponse, error) {
	names := make([]string, len(in.SigninDelegateGroups))
	for i, g := range in.SigninDelegateGroups {
		names[i] = g.GroupName
	}
	if err := h.svc.AssociateSigninDelegateGroups(ctx, in.AccountId, names); err != nil {
		return nil, err
	}
	return &AssociateSigninDelegateGroupsWithAccountResponse{}, nil
}

func (h *handlers) DisassociateSigninDelegateGroupsFromAccount(ctx context.Context, in *DisassociateSigninDelegateGroupsFromAccountRequest) (*DisassociateSigninDelegateGroupsFromAccountResponse, error) {
	if err := h.svc.DisassociateSigninDelegateGroups(ctx, in.AccountId, in.GroupNames); err != nil {
		return nil, err
	}
	return &DisassociateSigninDelegateGroupsFromAccountResponse{}, nil
}

func (h *handlers) InviteUsers(ctx context.Context, in *InviteUsersRequest) (*InviteUsersResponse, error) {
	invites, err := h.svc.InviteUsers(ctx, in.AccountId, in.UserEmailList, openchime.UserType(in.UserType))
	if err != nil {
		return nil, err
	}
	out := &InviteUsersResponse{Invites: make([]Invite, len(invites))}
	for i, v := range invites {
		out.Invites[i] = Invite{InviteId: v.ID, Status: string(v.Status), EmailAddress: v.Email, EmailStatus: string(v.EmailStatus)}
	}
	return out, nil
}

func (h *handlers) CreateUser(ctx context.Context, in *CreateUserRequest) (*CreateUserResponse, error) {
	u, err := h.svc.CreateUser(ctx, in.AccountId, openchime.CreateUserInput{
		Username: in.Username, Email: in.Email, UserType: openchime.UserType(in.UserType),
	})
	if err != nil {
		return nil, err
	}
	return &CreateUserResponse{User: toUser(u, true)}, nil
}

// toUserUpdate maps one UpdateUser body (or BatchUpdateUser item).
func toUserUpdate(userID, license, userType string, a4b *AlexaForBusinessMetadata) openchime.UserUpdate {
	up := openchime.UserUpdate{UserID: userID, LicenseType: optionalLicense(license), UserType: optionalUserType(userType)}
	if a4b != nil {
		up.AlexaForBusiness = &openchime.AlexaForBusinessUpdate{Enabled: a4b.IsAlexaForBusinessEnabled, RoomArn: optional(a4b.AlexaForBusinessRoomArn)}
	}
	return up
}

func (h *handlers) UpdateUser(ctx context.Context, in *UpdateUserRequest) (*UpdateUserResponse, error) {
	u, err := h.svc.UpdateUser(ctx, in.AccountId, toUserUpdate(in.UserId, in.LicenseType, in.UserType, in.AlexaForBusinessMetadata))
	if err != nil {
		return nil, err
	}
	return &UpdateUserResponse{User: toUser(u, true)}, nil
}

func (h *handlers) BatchUpdateUser(ctx context.Context, in *BatchUpdateUserRequest) (*BatchUpdateUserResponse, error) {
	items := make([]openchime.UserUpdate, len(in.UpdateUserRequestItems))
	for i, it := range in.UpdateUserRequestItems {
		items[i] = toUserUpdate(it.UserId, it.LicenseType, it.UserType, it.AlexaForBusinessMetadata)
	}
	errs, err := h.svc.BatchUpdateUser(ctx, in.AccountId, items)
	if err != nil {
		return nil, err
	}
	return &BatchUpdateUserResponse{UserErrors: toUserErrors(errs)}, nil
}

func (h *handlers) LogoutUser(ctx context.Context, in *LogoutUserRequest) (*LogoutUserResponse, error) {
	if err := h.svc.LogoutUser(ctx, in.AccountId, in.UserId); err != nil {
		return nil, err
	}
	return &LogoutUserResponse{}, nil
}

func (h *handlers) ResetPersonalPIN(ctx context.Context, in *ResetPersonalPINRequest) (*ResetPersonalPINResponse, error) {
	u, err := h.svc.ResetPersonalPIN(ctx, in.AccountId, in.UserId)
	if err != nil {
		return nil, err
	}
	return &ResetPersonalPINResponse{User: toUser(u, true)}, nil
}

func (h *handlers) GetUserSettings(ctx context.Context, in *GetUserSettingsRequest) (*GetUserSettingsResponse, error) {
	st, err := h.svc.GetUserSettings(ctx, in.AccountId, in.UserId)
	if err != nil {
		return nil, err
	}
	return &GetUserSettingsResponse{UserSettings: &UserSettings{Telephony: &TelephonySettings{
		InboundCalling: boolp(st.InboundCalling), OutboundCalling: boolp(st.OutboundCalling), SMS: boolp(st.SMS),
	}}}, nil
}

// UpdateUserSettings replaces the three telephony permissions, which the
// model requires together (the generated validator has checked that all
// three are present, so the pointers are not nil).
func (h *handlers) UpdateUserSettings(ctx context.Context, in *UpdateUserSettingsRequest) (*struct{}, error) {
	t := in.UserSettings.Telephony
	err := h.svc.UpdateUserSettings(ctx, in.AccountId, in.UserId, openchime.UserSettingsUpdate{
		InboundCalling: t.InboundCalling, OutboundCalling: t.OutboundCalling, SMS: t.SMS,
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}
