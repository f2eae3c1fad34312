package httpapi

import (
	"context"

	openchime "github.com/openchime/openchime"
)

// Wire mapping of the Enterprise collaboration operations: bots and events
// configuration, rooms and memberships, retention and redaction. The rules
// live in the Service (service_bots.go, service_rooms.go,
// service_retention.go).

func toBot(b *openchime.Bot) *Bot {
	disabled := b.Disabled
	return &Bot{
		BotId:            b.ID,
		UserId:           b.ID, // decision D18: BotId = UserId
		DisplayName:      b.APIDisplayName(),
		BotType:          "ChatBot",
		Disabled:         &disabled,
		CreatedTimestamp: ts(b.CreatedAt),
		UpdatedTimestamp: ts(b.UpdatedAt),
		BotEmail:         b.Email,
		SecurityToken:    b.SecurityToken,
	}
}

func toEventsConfiguration(c *openchime.EventsConfiguration) *EventsConfiguration {
	return &EventsConfiguration{
		BotId:                       c.BotID,
		OutboundEventsHTTPSEndpoint: c.OutboundEventsHTTPSEndpoint,
		LambdaFunctionArn:           c.LambdaFunctionArn,
	}
}

func toRoom(r *openchime.Room) *Room {
	return &Room{
		RoomId:           r.ID,
		Name:             r.Name,
		AccountId:        r.AccountID,
		CreatedBy:        r.CreatedBy,
		CreatedTimestamp: ts(r.CreatedAt),
		UpdatedTimestamp: ts(r.UpdatedAt),
	}
}

func toRoomMembership(m *openchime.RoomMembership) *RoomMembership {
	return &RoomMembership{
		RoomId: m.RoomID,
		Member: &Member{
			MemberId:   m.Member.ID,
			MemberType: string(m.Member.Type),
			Email:      m.Member.Email,
			FullName:   m.Member.FullName,
			AccountId:  m.Member.AccountID,
		},
		Role:             string(m.Role),
		InvitedBy:        m.InvitedBy,
		UpdatedTimestamp: ts(m.UpdatedAt),
	}
}

func (h *handlers) CreateBot(ctx context.Context, in *CreateBotRequest) (*CreateBotResponse, error) {
	b, err := h.svc.CreateBot(ctx, in.AccountId, in.DisplayName, in.Domain)
	if err != nil {
		return nil, err
	}
	return &CreateBotResponse{Bot: toBot(b)}, nil
}

func (h *handlers) GetBot(ctx context.Context, in *GetBotRequest) (*GetBotResponse, error) {
	b, err := h.svc.GetBot(ctx, in.AccountId, in.BotId)
	if err != nil {
		return nil, err
	}
	return &GetBotResponse{Bot: toBot(b)}, nil
}

func (h *handlers) ListBots(ctx context.Context, in *ListBotsRequest) (*ListBotsResponse, error) {
	list, next, err := h.svc.ListBots(ctx, in.AccountId, page(in.MaxResults, in.NextToken))
	if err != nil {
		return nil, err
	}
	out := &ListBotsResponse{Bots: make([]Bot, len(list)), NextToken: next}
	for i, b := range list {
		out.Bots[i] = *toBot(b)
	}
	return out, nil
}

func (h *handlers) UpdateBot(ctx context.Context, in *UpdateBotRequest) (*UpdateBotResponse, error) {
	b, err := h.svc.UpdateBot(ctx, in.AccountId, in.BotId, in.Disabled)
	if err != nil {
		return nil, err
	}
	return &UpdateBotResponse{Bot: toBot(b)}, nil
}

func (h *handlers) RegenerateSecurityToken(ctx context.Context, in *RegenerateSecurityTokenRequest) (*RegenerateSecurityTokenResponse, error) {
	b, err := h.svc.RegenerateSecurityToken(ctx, in.AccountId, in.BotId)
	if err != nil {
		return nil, err
	}
	return &RegenerateSecurityTokenResponse{Bot: toBot(b)}, nil
}

func (h *handlers) PutEventsConfiguration(ctx context.Context, in *PutEventsConfigurationRequest) (*PutEventsConfigurationResponse, error) {
	c, err := h.svc.PutEventsConfiguration(ctx, in.AccountId, in.BotId, openchime.EventsConfiguration{
		OutboundEventsHTTPSEndpoint: in.OutboundEventsHTTPSEndpoint, LambdaFunctionArn: in.LambdaFunctionArn,
	})
	if err != nil {
		return nil, err
	}
	return &PutEventsConfigurationResponse{EventsConfiguration: toEventsConfiguration(c)}, nil
}

func (h *handlers) GetEventsConfiguration(ctx context.Context, in *GetEventsConfigurationRequest) (*GetEventsConfigurationResponse, error) {
	c, err := h.svc.GetEventsConfiguration(ctx, in.AccountId, in.BotId)
	if err != nil {
		return nil, err
	}
	return &GetEventsConfigurationResponse{EventsConfiguration: toEventsConfiguration(c)}, nil
}

func (h *handlers) DeleteEventsConfiguration(ctx context.Context, in *DeleteEventsConfigurationRequest) (*struct{}, error) {
	if err := h.svc.DeleteEventsConfiguration(ctx, in.AccountId, in.BotId); err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

func (h *handlers) CreateRoom(ctx context.Context, in *CreateRoomRequest) (*CreateRoomResponse, error) {
	r, err := h.svc.CreateRoom(ctx, in.AccountId, in.Name, in.ClientRequestToken)
	if err != nil {
		return nil, err
	}
	return &CreateRoomResponse{Room: toRoom(r)}, nil
}

func (h *handlers) GetRoom(ctx context.Context, in *GetRoomRequest) (*GetRoomResponse, error) {
	r, err := h.svc.GetRoom(ctx, in.AccountId, in.RoomId)
	if err != nil {
		return nil, err
	}
	return &GetRoomResponse{Room: toRoom(r)}, nil
}

func (h *handlers) ListRooms(ctx context.Context, in *ListRoomsRequest) (*ListRoomsResponse, error) {
	list, next, err := h.svc.ListRooms(ctx, openchime.ListRoomsInput{
		AccountID: in.AccountId, MemberID: in.MemberId, Page: page(in.MaxResults, in.NextToken),
	})
	if err != nil {
		return nil, err
	}
	out := &ListRoomsResponse{Rooms: make([]Room, len(list)), NextToken: next}
	for i, r := range list {
		out.Rooms[i] = *toRoom(r)
	}
	return out, nil
}

func (h *handlers) UpdateRoom(ctx context.Context, in *UpdateRoomRequest) (*UpdateRoomResponse, error) {
	r, err := h.svc.UpdateRoom(ctx, in.AccountId, in.RoomId, in.Name)
	if err != nil {
		return nil, err
	}
	return &UpdateRoomResponse{Room: toRoom(r)}, nil
}

func (h *handlers) DeleteRoom(ctx context.Context, in *DeleteRoomRequest) (*struct{}, error) {
	if err := h.svc.DeleteRoom(ctx, in.AccountId, in.RoomId); err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

func (h *handlers) CreateRoomMembership(ctx context.Context, in *CreateRoomMembershipRequest) (*CreateRoomMembershipResponse, error) {
	m, err := h.svc.CreateRoomMembership(ctx, in.AccountId, in.RoomId, in.MemberId, openchime.RoomRole(in.Role))
	if err != nil {
		return nil, err
	}
	return &CreateRoomMembershipResponse{RoomMembership: toRoomMembership(m)}, nil
}

func (h *handlers) BatchCreateRoomMembership(ctx context.Context, in *BatchCreateRoomMembershipRequest) (*BatchCreateRoomMembershipResponse, error) {
	items := make([]openchime.MembershipItem, len(in.MembershipItemList))
	for i, it := range in.MembershipItemList {
		items[i] = openchime.MembershipItem{MemberID: it.MemberId, Role: openchime.RoomRole(it.Role)}
	}
	errs, err := h.svc.BatchCreateRoomMembership(ctx, in.AccountId, in.RoomId, items)
	if err != nil {
		return nil, err
	}
	// Decision D17: Errors is always present, [] when empty.
	out := &BatchCreateRoomMembershipResponse{Errors: make([]MemberError, len(errs))}
	for i, e := range errs {
		out.Errors[i] = MemberError{MemberId: e.MemberID, ErrorCode: string(e.Code), ErrorMessage: e.Message}
	}
	return out, nil
}

func (h *handlers) ListRoomMemberships(ctx context.Context, in *ListRoomMembershipsRequest) (*ListRoomMembershipsResponse, error) {
	list, next, err := h.svc.ListRoomMemberships(ctx, in.AccountId, in.RoomId, page(in.MaxResults, in.NextToken))
	if err != nil {
		return nil, err
	}
	out := &ListRoomMembershipsResponse{RoomMemberships: make([]RoomMembership, len(list)), NextToken: next}
	for i, m := range list {
		out.RoomMemberships[i] = *toRoomMembership(m)
	}
	return out, nil
}

func (h *handlers) UpdateRoomMembership(ctx context.Context, in *UpdateRoomMembershipRequest) (*UpdateRoomMembershipResponse, error) {
	m, err := h.svc.UpdateRoomMembership(ctx, in.AccountId, in.RoomId, in.MemberId, openchime.RoomRole(in.Role))
	if err != nil {
		return nil, err
	}
	return &UpdateRoomMembershipResponse{RoomMembership: toRoomMembership(m)}, nil
}

func (h *handlers) DeleteRoomMembership(ctx context.Context, in *DeleteRoomMembershipRequest) (*struct{}, error) {
	if err := h.svc.DeleteRoomMembership(ctx, in.AccountId, in.RoomId, in.MemberId); err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// toRetentionSettings renders settings; a kind that is off reads back as {}
// (decisions D37, D43).
func toRetentionSettings(r *openchime.RetentionSettings) *RetentionSettings {
	return &RetentionSettings{
		RoomRetentionSettings:         &RoomRetentionSettings{RetentionDays: r.RoomRetentionDays},
		ConversationRetentionSettings: &ConversationRetentionSettings{RetentionDays: r.ConversationRetentionDays},
	}
}

func (h *handlers) GetRetentionSettings(ctx context.Context, in *GetRetentionSettingsRequest) (*GetRetentionSettingsResponse, error) {
	r, err := h.svc.GetRetentionSettings(ctx, in.AccountId)
	if err != nil {
		return nil, err
	}
	return &GetRetentionSettingsResponse{RetentionSettings: toRetentionSettings(r), InitiateDeletionTimestamp: ts(r.InitiateDeletion)}, nil
}

func (h *handlers) PutRetentionSettings(ctx context.Context, in *PutRetentionSettingsRequest) (*PutRetentionSettingsResponse, error) {
	var rs openchime.RetentionSettings
	if in.RetentionSettings.RoomRetentionSettings != nil {
		rs.RoomRetentionDays = in.RetentionSettings.RoomRetentionSettings.RetentionDays
	}
	if in.RetentionSettings.ConversationRetentionSettings != nil {
		rs.ConversationRetentionDays = in.RetentionSettings.ConversationRetentionSettings.RetentionDays
	}
	r, err := h.svc.PutRetentionSettings(ctx, in.AccountId, rs)
	if err != nil {
		return nil, err
	}
	// The operation answers 204 (decision D37); the body is built anyway
	// for callers of Handlers that are not the HTTP server.
	return &PutRetentionSettingsResponse{RetentionSettings: toRetentionSettings(r), InitiateDeletionTimestamp: ts(r.InitiateDeletion)}, nil
}

func (h *handlers) RedactRoomMessage(ctx context.Context, in *RedactRoomMessageRequest) (*RedactRoomMessageResponse, error) {
	if err := h.svc.RedactRoomMessage(ctx, in.AccountId, in.RoomId, in.MessageId); err != nil {
		return nil, err
	}
	return &RedactRoomMessageResponse{}, nil
}

func (h *handlers) RedactConversationMessage(ctx context.Context, in *RedactConversationMessageRequest) (*RedactConversationMessageResponse, error) {
	if err := h.svc.RedactConversationMessage(ctx, in.AccountId, in.ConversationId, in.MessageId); err != nil {
		return nil, err
	}
	return &RedactConversationMessageResponse{}, nil
}
