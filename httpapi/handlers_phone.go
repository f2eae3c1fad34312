package httpapi

import (
	"context"

	openchime "github.com/openchime/openchime"
)

// Telephony operations (decisions D25-D36, D39).

func boolp(b bool) *bool { return &b }

func toPhoneNumber(p *openchime.PhoneNumber) *PhoneNumber {
	w := &PhoneNumber{
		PhoneNumberId:     p.PhoneNumberID(),
		E164PhoneNumber:   p.E164,
		Country:           p.Country,
		Type:              p.Type,
		ProductType:       p.ProductType,
		Status:            p.Status,
		CallingNameStatus: p.CallingNameStatus,
		CreatedTimestamp:  ts(p.CreatedAt),
		UpdatedTimestamp:  ts(p.UpdatedAt),
		DeletionTimestamp: ts(p.DeletionAt),
		Associations:      make([]PhoneNumberAssociation, len(p.Associations)),
		Capabilities: &PhoneNumberCapabilities{
			InboundCall: boolp(p.Capabilities.InboundCall), OutboundCall: boolp(p.Capabilities.OutboundCall),
			InboundSMS: boolp(p.Capabilities.InboundSMS), OutboundSMS: boolp(p.Capabilities.OutboundSMS),
			InboundMMS: boolp(p.Capabilities.InboundMMS), OutboundMMS: boolp(p.Capabilities.OutboundMMS),
		},
	}
	if p.CallingName != "" {
		w.CallingName = &p.CallingName
	}
	for i, a := range p.Associations {
		w.Associations[i] = PhoneNumberAssociation{Name: a.Name, Value: a.Value, AssociatedTimestamp: ts(a.At)}
	}
	return w
}

func toPhoneOrder(o *openchime.PhoneOrderView) *PhoneNumberOrder {
	w := &PhoneNumberOrder{
		PhoneNumberOrderId:  o.ID,
		ProductType:         o.ProductType,
		Status:              o.Status,
		CreatedTimestamp:    ts(o.CreatedAt),
		UpdatedTimestamp:    ts(o.UpdatedAt),
		OrderedPhoneNumbers: make([]OrderedPhoneNumber, len(o.Numbers)),
	}
	for i, n := range o.Numbers {
		w.OrderedPhoneNumbers[i] = OrderedPhoneNumber{E164PhoneNumber: n.E164, Status: n.Status}
	}
	return w
}

func toPhoneErrors(errs []openchime.PhoneNumberError) []PhoneNumberError {
	out := make([]PhoneNumberError, len(errs))
	for i, e := range errs {
		out[i] = PhoneNumberError{PhoneNumberId: e.PhoneNumberID, ErrorCode: string(e.Code), ErrorMessage: e.Message}
	}
	return out
}

func (h *handlers) SearchAvailablePhoneNumbers(ctx context.Context, in *SearchAvailablePhoneNumbersRequest) (*SearchAvailablePhoneNumbersResponse, error) {
	list, next, err := h.svc.SearchAvailablePhoneNumbers(ctx, openchime.SearchInput{
		AreaCode: in.AreaCode, City: in.City, Country: in.Country, State: in.State, TollFreePrefix: in.TollFreePrefix,
		PhoneNumberType: in.PhoneNumberType, Page: page(in.MaxResults, in.NextToken),
	})
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []string{}
	}
	return &SearchAvailablePhoneNumbersResponse{E164PhoneNumbers: list, NextToken: next}, nil
}

func (h *handlers) ListSupportedPhoneNumberCountries(ctx context.Context, in *ListSupportedPhoneNumberCountriesRequest) (*ListSupportedPhoneNumberCountriesResponse, error) {
	list, err := h.svc.ListSupportedPhoneNumberCountries(ctx, in.ProductType)
	if err != nil {
		return nil, err
	}
	out := &ListSupportedPhoneNumberCountriesResponse{PhoneNumberCountries: make([]PhoneNumberCountry, len(list))}
	for i, c := range list {
		out.PhoneNumberCountries[i] = PhoneNumberCountry{CountryCode: c.Country, SupportedPhoneNumberTypes: c.Types}
	}
	return out, nil
}

func (h *handlers) CreatePhoneNumberOrder(ctx context.Context, in *CreatePhoneNumberOrderRequest) (*CreatePhoneNumberOrderResponse, error) {
	o, err := h.svc.CreatePhoneNumberOrder(ctx, in.ProductType, in.E164PhoneNumbers)
	if err != nil {
		return nil, err
	}
	return &CreatePhoneNumberOrderResponse{PhoneNumberOrder: toPhoneOrder(o)}, nil
}

func (h *handlers) GetPhoneNumberOrder(ctx context.Context, in *GetPhoneNumberOrderRequest) (*GetPhoneNumberOrderResponse, error) {
	o, err := h.svc.GetPhoneNumberOrder(ctx, in.PhoneNumberOrderId)
	if err != nil {
		return nil, err
	}
	return &GetPhoneNumberOrderResponse{PhoneNumberOrder: toPhoneOrder(o)}, nil
}

func (h *handlers) ListPhoneNumberOrders(ctx context.Context, in *ListPhoneNumberOrdersRequest) (*ListPhoneNumberOrdersResponse, error) {
	list, next, err := h.svc.ListPhoneNumberOrders(ctx, page(in.MaxResults, in.NextToken))
	if err != nil {
		return nil, err
	}
	out := &ListPhoneNumberOrdersResponse{PhoneNumberOrders: make([]PhoneNumberOrder, len(list)), NextToken: next}
	for i, o := range list {
		out.PhoneNumberOrders[i] = *toPhoneOrder(o)
	}
	return out, nil
}

func (h *handlers) GetPhoneNumber(ctx context.Context, in *GetPhoneNumberRequest) (*GetPhoneNumberResponse, error) {
	p, err := h.svc.GetPhoneNumber(ctx, in.PhoneNumberId)
	if err != nil {
		return nil, err
	}
	return &GetPhoneNumberResponse{PhoneNumber: toPhoneNumber(p)}, nil
}

func (h *handlers) ListPhoneNumbers(ctx context.Context, in *ListPhoneNumbersRequest) (*ListPhoneNumbersResponse, error) {
	list, next, err := h.svc.ListPhoneNumbers(ctx, openchime.ListPhoneNumbersInput{
		Status: in.Status, ProductType: in.ProductType, FilterName: in.FilterName, FilterValue: in.FilterValue,
		Page: page(in.MaxResults, in.NextToken),
	})
	if err != nil {
		return nil, err
	}
	out := &ListPhoneNumbersResponse{PhoneNumbers: make([]PhoneNumber, len(list)), NextToken: next}
	for i, p := range list {
		out.PhoneNumbers[i] = *toPhoneNumber(p)
	}
	return out, nil
}

func (h *handlers) UpdatePhoneNumber(ctx context.Context, in *UpdatePhoneNumberRequest) (*UpdatePhoneNumberResponse, error) {
	p, err := h.svc.UpdatePhoneNumber(ctx, openchime.PhoneNumberUpdate{ID: in.PhoneNumberId, ProductType: in.ProductType, CallingName: in.CallingName})
	if err != nil {
		return nil, err
	}
	return &UpdatePhoneNumberResponse{PhoneNumber: toPhoneNumber(p)}, nil
}

func (h *handlers) BatchUpdatePhoneNumber(ctx context.Context, in *BatchUpdatePhoneNumberRequest) (*BatchUpdatePhoneNumberResponse, error) {
	items := make([]openchime.PhoneNumberUpdate, len(in.UpdatePhoneNumberRequestItems))
	for i, it := range in.UpdatePhoneNumberRequestItems {
		items[i] = openchime.PhoneNumberUpdate{ID: it.PhoneNumberId, ProductType: it.ProductType, CallingName: it.CallingName}
	}
	errs, err := h.svc.BatchUpdatePhoneNumber(ctx, items)
	if err != nil {
		return nil, err
	}
	return &BatchUpdatePhoneNumberResponse{PhoneNumberErrors: toPhoneErrors(errs)}, nil
}

func (h *handlers) DeletePhoneNumber(ctx context.Context, in *DeletePhoneNumberRequest) (*struct{}, error) {
	return &struct{}{}, h.svc.DeletePhoneNumber(ctx, in.PhoneNumberId)
}

func (h *handlers) BatchDeletePhoneNumber(ctx context.Context, in *BatchDeletePhoneNumberRequest) (*BatchDeletePhoneNumberResponse, error) {
	errs, err := h.svc.BatchDeletePhoneNumber(ctx, in.PhoneNumberIds)
	if err != nil {
		return nil, err
	}
	return &BatchDeletePhoneNumberResponse{PhoneNumberErrors: toPhoneErrors(errs)}, nil
}

func (h *handlers) RestorePhoneNumber(ctx context.Context, in *RestorePhoneNumberRequest) (*RestorePhoneNumberResponse, error) {
	p, err := h.svc.RestorePhoneNumber(ctx, in.PhoneNumberId)
	if err != nil {
		return nil, err
	}
	return &RestorePhoneNumberResponse{PhoneNumber: toPhoneNumber(p)}, nil
}

func (h *handlers) AssociatePhoneNumberWithUser(ctx context.Context, in *AssociatePhoneNumberWithUserRequest) (*AssociatePhoneNumberWithUserResponse, error) {
	return &AssociatePhoneNumberWithUserResponse{}, h.svc.AssociatePhoneNumberWithUser(ctx, in.AccountId, in.UserId, in.E164PhoneNumber)
}

func (h *handlers) DisassociatePhoneNumberFromUser(ctx context.Context, in *DisassociatePhoneNumberFromUserRequest) (*DisassociatePhoneNumberFromUserResponse, error) {
	return &DisassociatePhoneNumberFromUserResponse{}, h.svc.DisassociatePhoneNumberFromUser(ctx, in.AccountId, in.UserId)
}

func (h *handlers) GetGlobalSettings(ctx context.Context, in *GetGlobalSettingsRequest) (*GetGlobalSettingsResponse, error) {
	g, err := h.svc.GetGlobalSettings(ctx)
	if err != nil {
		return nil, err
	}
	// Both structures always, CdrBucket only when set (decision D36).
	return &GetGlobalSettingsResponse{
		BusinessCalling: &BusinessCallingSettings{CdrBucket: optional(g.BusinessCallingCdrBucket)},
		VoiceConnector:  &VoiceConnectorSettings{CdrBucket: optional(g.VoiceConnectorCdrBucket)},
	}, nil
}

func (h *handlers) UpdateGlobalSettings(ctx context.Context, in *UpdateGlobalSettingsRequest) (*struct{}, error) {
	var bc, vc *string
	if in.BusinessCalling != nil {
		bc = in.BusinessCalling.CdrBucket
	}
	if in.VoiceConnector != nil {
		vc = in.VoiceConnector.CdrBucket
	}
	return &struct{}{}, h.svc.UpdateGlobalSettings(ctx, bc, vc)
}

func (h *handlers) GetPhoneNumberSettings(ctx context.Context, in *GetPhoneNumberSettingsRequest) (*GetPhoneNumberSettingsResponse, error) {
	ps, err := h.svc.GetPhoneNumberSettings(ctx)
	if err != nil {
		return nil, err
	}
	out := &GetPhoneNumberSettingsResponse{CallingNameUpdatedTimestamp: ts(ps.UpdatedAt)}
	if !ps.UpdatedAt.IsZero() {
		out.CallingName = &ps.CallingName
	}
	return out, nil
}

func (h *handlers) UpdatePhoneNumberSettings(ctx context.Context, in *UpdatePhoneNumberSettingsRequest) (*struct{}, error) {
	return &struct{}{}, h.svc.UpdatePhoneNumberSettings(ctx, *in.CallingName)
}

func (h *handlers) CreateMeetingDialOut(ctx context.Context, in *CreateMeetingDialOutRequest) (*CreateMeetingDialOutResponse, error) {
	id, err := h.svc.CreateMeetingDialOut(ctx, in.MeetingId, in.FromPhoneNumber, in.ToPhoneNumber, in.JoinToken)
	if err != nil {
		return nil, err
	}
	return &CreateMeetingDialOutResponse{TransactionId: id}, nil
}
