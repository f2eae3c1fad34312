package openchime

import (
	"context"
	"slices"
	"strings"
	"time"
)

// SeedPhoneNumber describes a number the control plane puts straight into an
// inventory (ported numbers, decision D42).
type SeedPhoneNumber struct {
	AwsAccountId    string
	E164PhoneNumber string
	ProductType     string
	Status          string
	CallingName     string
	Associations    []PhoneAssociation
}

var phoneStatuses = []string{PhoneAcquireInProgress, PhoneAcquireFailed, PhoneUnassigned, PhoneAssigned,
	PhoneReleaseInProgress, PhoneDeleteInProgress, PhoneReleaseFailed, PhoneDeleteFailed}

var associationNames = []string{"AccountId", "UserId", "VoiceConnectorId", "VoiceConnectorGroupId", "SipRuleId"}

// AdminSeedPhoneNumber adds a number to an AWS account's inventory.
func (s *Service) AdminSeedPhoneNumber(ctx context.Context, in SeedPhoneNumber) (*PhoneNumber, error) {
	e164, ok := NormalizePhoneID(in.E164PhoneNumber)
	if !ok {
		return nil, Errorf(BadRequest, "E164PhoneNumber %q is not an E.164 number.", in.E164PhoneNumber)
	}
	aws := in.AwsAccountId
	if aws == "" {
		aws = s.awsAccount(ctx)
	}
	if in.ProductType == "" {
		in.ProductType = BusinessCalling
	}
	if !slices.Contains([]string{BusinessCalling, VoiceConnector, SipMediaApplicationDialIn}, in.ProductType) {
		return nil, Errorf(BadRequest, "ProductType %q is not one of BusinessCalling, VoiceConnector, SipMediaApplicationDialIn.", in.ProductType)
	}
	if in.Status == "" {
		in.Status = PhoneUnassigned // decision D43
	}
	if !slices.Contains(phoneStatuses, in.Status) {
		return nil, Errorf(BadRequest, "Status %q is not a phone number status (%s).", in.Status, strings.Join(phoneStatuses, ", "))
	}
	now := s.now()
	country, typ := numberKind(e164)
	p := &PhoneNumber{E164: e164, AwsAccountID: aws, Country: country, Type: typ, ProductType: in.ProductType,
		Status: in.Status, Capabilities: capabilitiesFor(typ), Associations: []PhoneAssociation{},
		CallingName: in.CallingName, CallingNameStatus: "Unassigned", CreatedAt: now, UpdatedAt: now}
	if in.CallingName != "" {
		p.CallingNameStatus = "UpdateSucceeded"
	}
	if err := setAssociations(p, in.Associations, now); err != nil {
		return nil, err
	}
	err := s.Store.Update(ctx, func(tx Tx) error {
		if p.Status == PhoneDeleteInProgress {
			cfg, err := s.phoneConfig(ctx, tx)
			if err != nil {
				return err
			}
			p.DeletionAt, p.PurgeDue = now, now.Add(cfg.deletionRetention())
		}
		if _, err := s.heldNumber(ctx, tx, e164); err == nil {
			return Errorf(Conflict, "The phone number %s is already held.", e164)
		} else if !IsCode(err, NotFound) {
			return err
		}
		return s.putNumber(ctx, tx, p)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func setAssociations(p *PhoneNumber, list []PhoneAssociation, now time.Time) error {
	if list == nil {
		return nil
	}
	for i := range list {
		if !slices.Contains(associationNames, list[i].Name) || list[i].Value == "" {
			return Errorf(BadRequest, "Associations[%d] needs a Name among %s and a Value.", i, strings.Join(associationNames, ", "))
		}
		if list[i].At.IsZero() {
			list[i].At = now
		}
	}
	p.Associations = list
	// Assigned exactly when associated (decision D31).
	switch {
	case len(list) > 0 && p.Status == PhoneUnassigned:
		p.Status = PhoneAssigned
	case len(list) == 0 && p.Status == PhoneAssigned:
		p.Status = PhoneUnassigned
	}
	return nil
}

// PhoneNumberPatch changes a number through the control plane; nil fields
// stay.
type PhoneNumberPatch struct {
	Status            *string
	CallingNameStatus *string
	Associations      []PhoneAssociation
}

// AdminPatchPhoneNumber sets a number's status, calling-name status or
// associations, whichever AWS account holds it.
func (s *Service) AdminPatchPhoneNumber(ctx context.Context, id string, patch PhoneNumberPatch) (*PhoneNumber, error) {
	e164, ok := NormalizePhoneID(id)
	if !ok {
		return nil, phoneNotFound(id)
	}
	var p *PhoneNumber
	err := s.Store.Update(ctx, func(tx Tx) (err error) {
		if p, err = s.heldNumber(ctx, tx, e164); err != nil {
			return err
		}
		now := s.now()
		if patch.Status != nil {
			if !slices.Contains(phoneStatuses, *patch.Status) {
				return Errorf(BadRequest, "Status %q is not a phone number status.", *patch.Status)
			}
			p.Status = *patch.Status
			if p.Status == PhoneDeleteInProgress && p.DeletionAt.IsZero() {
				cfg, err := s.phoneConfig(ctx, tx)
				if err != nil {
					return err
				}
				p.DeletionAt, p.PurgeDue = now, now.Add(cfg.deletionRetention())
			}
		}
		if patch.CallingNameStatus != nil {
			if !slices.Contains([]string{"Unassigned", "UpdateInProgress", "UpdateSucceeded", "UpdateFailed"}, *patch.CallingNameStatus) {
				return Errorf(BadRequest, "CallingNameStatus %q is not valid.", *patch.CallingNameStatus)
			}
			p.CallingNameStatus, p.CallingNameDue = *patch.CallingNameStatus, time.Time{}
		}
		if err := setAssociations(p, patch.Associations, now); err != nil {
			return err
		}
		p.UpdatedAt = now
		return s.putNumber(ctx, tx, p)
	})
	return p, err
}

// AdminCompleteOrder finishes an order now; the listed numbers fail.
func (s *Service) AdminCompleteOrder(ctx context.Context, id string, failed []string) (*PhoneOrderView, error) {
	fail := map[string]bool{}
	for _, f := range failed {
		e164, ok := NormalizePhoneID(f)
		if !ok {
			return nil, Errorf(BadRequest, "%q is not an E.164 number.", f)
		}
		fail[e164] = true
	}
	var o PhoneOrder
	err := s.Store.Update(ctx, func(tx Tx) error {
		o = PhoneOrder{} // the callback may run again: decode into a clean value
		r, err := getDoc(ctx, tx, kindPhoneOrder, id, &o)
		if IsCode(err, NotFound) {
			return Errorf(NotFound, "The phone number order %s was not found.", id)
		}
		if err != nil {
			return err
		}
		if status, _, _ := o.State(s.now()); status != "Processing" {
			return Errorf(BadRequest, "The order %s is already %s.", id, status)
		}
		now := s.now()
		for i, n := range o.Numbers {
			if fail[n.E164] {
				o.Numbers[i].Fails = true
			}
			var p PhoneNumber
			if _, err := getDoc(ctx, tx, kindPhoneNumber, n.E164, &p); err == nil && p.OrderID == o.ID {
				p.AcquireDue, p.AcquireFails = now, o.Numbers[i].Fails
				if err := s.putNumber(ctx, tx, &p); err != nil {
					return err
				}
			}
		}
		o.DueAt = now
		return putDoc(ctx, tx, kindPhoneOrder, o.ID, o.AwsAccountID, r.CreatedAt, &o)
	})
	if err != nil {
		return nil, err
	}
	return s.viewOrder(&o), nil
}

// AdminPutAwsAccount sets an AWS account's restriction flag and limits.
func (s *Service) AdminPutAwsAccount(ctx context.Context, st AwsAccountSettings) (AwsAccountSettings, error) {
	if st.MaxPhoneNumbers < 0 {
		return st, Errorf(BadRequest, "MaxPhoneNumbers must not be negative.")
	}
	err := s.Store.Update(ctx, func(tx Tx) error {
		return putDoc(ctx, tx, kindAwsAccount, st.AwsAccountID, st.AwsAccountID, s.now(), &st)
	})
	return st, err
}

// AdminCreateMeeting registers a meeting and its join tokens (decision D39).
func (s *Service) AdminCreateMeeting(ctx context.Context, m Meeting) (*Meeting, error) {
	if m.MeetingID == "" {
		m.MeetingID = s.IDs.UUID()
	}
	m.MeetingID = strings.ToLower(m.MeetingID)
	if m.AwsAccountID == "" {
		m.AwsAccountID = s.awsAccount(ctx)
	}
	if len(m.JoinTokens) == 0 {
		m.JoinTokens = []string{strings.ReplaceAll(s.IDs.UUID(), "-", "")}
	}
	m.CreatedAt = s.now()
	err := s.Store.Update(ctx, func(tx Tx) error {
		return putDoc(ctx, tx, kindMeeting, m.MeetingID, m.AwsAccountID, m.CreatedAt, &m)
	})
	return &m, err
}

// AdminDialOuts lists the dial-outs recorded for a meeting.
func (s *Service) AdminDialOuts(ctx context.Context, meetingID string) ([]DialOut, error) {
	var out []DialOut
	err := s.Store.View(ctx, func(tx ReadTx) error {
		out = nil // the callback may run again
		list, err := tx.Resources(ctx, ResourceFilter{Kind: kindDialOut, Scope: strings.ToLower(meetingID)})
		for _, r := range list {
			var d DialOut
			if err := decodeDoc(r, &d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return err
	})
	return out, err
}
