package httpapi

import (
	"net/http"

	openchime "github.com/openchime/openchime"
)

// Control-plane routes of the telephony inventory (decision D42).
func (cp *controlPlane) phoneRoutes() {
	cp.mux.HandleFunc("POST /_openchime/phone-numbers", cp.seedPhoneNumber)
	cp.mux.HandleFunc("PATCH /_openchime/phone-numbers/{id}", cp.patchPhoneNumber)
	cp.mux.HandleFunc("POST /_openchime/phone-number-orders/{id}/complete", cp.completeOrder)
	cp.mux.HandleFunc("PUT /_openchime/aws-accounts/{id}", cp.putAwsAccount)
	cp.mux.HandleFunc("POST /_openchime/meetings", cp.createMeeting)
	cp.mux.HandleFunc("GET /_openchime/meetings/{id}/dial-outs", cp.listDialOuts)
	cp.mux.HandleFunc("GET /_openchime/config", cp.getConfig)
	cp.mux.HandleFunc("PUT /_openchime/config", cp.putConfig)
}

type cpAssociation struct {
	Name  string
	Value string
}

func associations(list []cpAssociation) []openchime.PhoneAssociation {
	if list == nil {
		return nil
	}
	out := make([]openchime.PhoneAssociation, len(list))
	for i, a := range list {
		out[i] = openchime.PhoneAssociation{Name: a.Name, Value: a.Value}
	}
	return out
}

func (cp *controlPlane) seedPhoneNumber(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AwsAccountId, E164PhoneNumber, ProductType, Status, CallingName string
		Associations                                                    []cpAssociation
	}
	if err := DecodeJSON(r, &in); err != nil {
		WriteError(w, err)
		return
	}
	p, err := cp.svc.AdminSeedPhoneNumber(r.Context(), openchime.SeedPhoneNumber{
		AwsAccountId: in.AwsAccountId, E164PhoneNumber: in.E164PhoneNumber, ProductType: in.ProductType,
		Status: in.Status, CallingName: in.CallingName, Associations: associations(in.Associations),
	})
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"PhoneNumber": toPhoneNumber(p)})
}

func (cp *controlPlane) patchPhoneNumber(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Status            *string
		CallingNameStatus *string
		Associations      []cpAssociation
	}
	if err := DecodeJSON(r, &in); err != nil {
		WriteError(w, err)
		return
	}
	p, err := cp.svc.AdminPatchPhoneNumber(r.Context(), r.PathValue("id"), openchime.PhoneNumberPatch{
		Status: in.Status, CallingNameStatus: in.CallingNameStatus, Associations: associations(in.Associations),
	})
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"PhoneNumber": toPhoneNumber(p)})
}

func (cp *controlPlane) completeOrder(w http.ResponseWriter, r *http.Request) {
	var in struct{ Failed []string }
	if err := DecodeJSON(r, &in); err != nil {
		WriteError(w, err)
		return
	}
	o, err := cp.svc.AdminCompleteOrder(r.Context(), r.PathValue("id"), in.Failed)
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"PhoneNumberOrder": toPhoneOrder(o)})
}

func (cp *controlPlane) putAwsAccount(w http.ResponseWriter, r *http.Request) {
	var in struct {
		PhoneNumbersRestricted bool
		Limits                 struct{ PhoneNumbers int }
	}
	if err := DecodeJSON(r, &in); err != nil {
		WriteError(w, err)
		return
	}
	id := r.PathValue("id")
	if !awsAccountID.MatchString(id) {
		WriteError(w, openchime.Errorf(openchime.BadRequest, "AWS account id %q must be 12 digits.", id))
		return
	}
	st, err := cp.svc.AdminPutAwsAccount(r.Context(), openchime.AwsAccountSettings{
		AwsAccountID: id, PhoneNumbersRestricted: in.PhoneNumbersRestricted, MaxPhoneNumbers: in.Limits.PhoneNumbers,
	})
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"AwsAccountId": st.AwsAccountID,
		"PhoneNumbersRestricted": st.PhoneNumbersRestricted, "Limits": map[string]int{"PhoneNumbers": st.MaxPhoneNumbers}})
}

func (cp *controlPlane) createMeeting(w http.ResponseWriter, r *http.Request) {
	var in struct {
		MeetingId, AwsAccountId string
		JoinTokens              []string
	}
	if err := DecodeJSON(r, &in); err != nil {
		WriteError(w, err)
		return
	}
	m, err := cp.svc.AdminCreateMeeting(r.Context(), openchime.Meeting{MeetingID: in.MeetingId, AwsAccountID: in.AwsAccountId, JoinTokens: in.JoinTokens})
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"MeetingId": m.MeetingID, "JoinTokens": m.JoinTokens})
}

func (cp *controlPlane) listDialOuts(w http.ResponseWriter, r *http.Request) {
	list, err := cp.svc.AdminDialOuts(r.Context(), r.PathValue("id"))
	if err != nil {
		WriteError(w, err)
		return
	}
	out := make([]map[string]any, len(list))
	for i, d := range list {
		out[i] = map[string]any{"TransactionId": d.TransactionID, "MeetingId": d.MeetingID, "FromPhoneNumber": d.FromPhoneNumber,
			"ToPhoneNumber": d.ToPhoneNumber, "AwsAccountId": d.AwsAccountID, "CreatedTimestamp": ts(d.CreatedAt)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"DialOuts": out})
}

func (cp *controlPlane) getConfig(w http.ResponseWriter, r *http.Request) {
	c, err := cp.svc.ConfigSnapshot(r.Context())
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// putConfig merges the given fields, telephony and collaboration, into the
// configuration (decision D43) in one transaction, so concurrent PUTs of
// different fields all land.
func (cp *controlPlane) putConfig(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r, DefaultMaxBodyBytes*16)
	if err != nil {
		WriteError(w, err)
		return
	}
	c, err := cp.svc.UpdateConfig(r.Context(), func(c *openchime.Config) error {
		return decodeJSONBody(body, c) // absent fields keep their values
	})
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}
