package httpapi

import (
	"net/http"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/faults"
)

// Fault injection over the control plane: the wire form of
// faults.Rule, with durations as Go duration strings ("200ms").

// FaultRule is the control-plane form of faults.Rule.
type FaultRule struct {
	Id           string     `json:",omitempty"`
	Operation    string     `json:",omitempty"`
	AwsAccountId string     `json:",omitempty"`
	AccountId    string     `json:",omitempty"`
	UserId       string     `json:",omitempty"`
	Exception    string     `json:",omitempty"`
	ErrorCode    string     `json:",omitempty"`
	Message      string     `json:",omitempty"`
	Latency      string     `json:",omitempty"`
	Probability  *float64   `json:",omitempty"`
	Count        int        `json:",omitempty"`
	ExpiresAt    *Timestamp `json:",omitempty"`
	TTL          string     `json:",omitempty"`
	Fired        int
}

func toFaultRule(r faults.Rule) FaultRule {
	p := r.Probability
	out := FaultRule{
		Id: r.ID, Operation: r.Operation, AwsAccountId: r.AwsAccountID, AccountId: r.AccountID, UserId: r.UserID,
		ErrorCode: string(r.ErrorCode), Message: r.Message, Probability: &p, Count: r.Count,
		ExpiresAt: ts(r.ExpiresAt), Fired: r.Fired,
	}
	if r.Exception != "" {
		out.Exception = r.Exception.ExceptionShape()
	}
	if r.Latency > 0 {
		out.Latency = r.Latency.String()
	}
	if r.TTL > 0 {
		out.TTL = r.TTL.String()
	}
	return out
}

func (in *FaultRule) domain() (faults.Rule, error) {
	r := faults.Rule{
		Operation: in.Operation, AwsAccountID: in.AwsAccountId, AccountID: in.AccountId, UserID: in.UserId,
		Exception: openchime.Code(in.Exception), ErrorCode: openchime.Code(in.ErrorCode), Message: in.Message,
		Count: in.Count,
	}
	if in.Id != "" || in.Fired != 0 {
		return r, openchime.Errorf(openchime.BadRequest, "Id and Fired are set by the server; leave them out.")
	}
	if in.Operation != "" && !knownOperation(in.Operation) {
		return r, openchime.Errorf(openchime.BadRequest, "Operation %q is not a Chime operation name (e.g. BatchUnsuspendUser).", in.Operation)
	}
	var err error
	if in.Latency != "" {
		if r.Latency, err = time.ParseDuration(in.Latency); err != nil {
			return r, openchime.Errorf(openchime.BadRequest, "Latency %q is not a duration such as 200ms or 2s.", in.Latency)
		}
	}
	if in.TTL != "" {
		if r.TTL, err = time.ParseDuration(in.TTL); err != nil {
			return r, openchime.Errorf(openchime.BadRequest, "TTL %q is not a duration such as 30s or 5m.", in.TTL)
		}
	}
	if in.ExpiresAt != nil {
		if in.TTL != "" {
			return r, openchime.Errorf(openchime.BadRequest, "Give ExpiresAt or TTL, not both.")
		}
		r.ExpiresAt = time.Time(*in.ExpiresAt)
	}
	if in.Probability != nil {
		if *in.Probability <= 0 || *in.Probability > 1 {
			return r, openchime.Errorf(openchime.BadRequest, "Probability must be greater than 0 and at most 1 (it is %v).", *in.Probability)
		}
		r.Probability = *in.Probability
	}
	return r, nil
}

func knownOperation(name string) bool {
	for _, op := range operations {
		if op.Name == name {
			return true
		}
	}
	return false
}

func (cp *controlPlane) handleFaults() {
	cp.mux.HandleFunc("POST /_openchime/faults", cp.addFault)
	cp.mux.HandleFunc("GET /_openchime/faults", cp.listFaults)
	cp.mux.HandleFunc("DELETE /_openchime/faults", cp.clearFaults)
	cp.mux.HandleFunc("DELETE /_openchime/faults/{id}", cp.removeFault)
}

func (cp *controlPlane) faultSet() (*faults.Set, error) {
	set := faults.Of(cp.svc)
	if set == nil {
		return nil, openchime.Errorf(openchime.NotImplemented, "Fault injection is not enabled on this server.")
	}
	return set, nil
}

func (cp *controlPlane) addFault(w http.ResponseWriter, r *http.Request) {
	var in FaultRule
	if err := DecodeJSON(r, &in); err != nil {
		WriteError(w, err)
		return
	}
	rule, err := in.domain()
	if err == nil {
		var f *faults.Set
		if f, err = cp.faultSet(); err == nil {
			rule, err = f.Add(rule)
		}
	}
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"Fault": toFaultRule(rule)})
}

func (cp *controlPlane) listFaults(w http.ResponseWriter, r *http.Request) {
	f, err := cp.faultSet()
	if err != nil {
		WriteError(w, err)
		return
	}
	list := f.List()
	out := make([]FaultRule, len(list))
	for i, rule := range list {
		out[i] = toFaultRule(rule)
	}
	writeJSON(w, http.StatusOK, map[string]any{"Faults": out})
}

func (cp *controlPlane) removeFault(w http.ResponseWriter, r *http.Request) {
	f, err := cp.faultSet()
	if err == nil && !f.Remove(r.PathValue("id")) {
		err = openchime.Errorf(openchime.NotFound, "No fault rule has id %s.", r.PathValue("id"))
	}
	if err != nil {
		WriteError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (cp *controlPlane) clearFaults(w http.ResponseWriter, r *http.Request) {
	f, err := cp.faultSet()
	if err != nil {
		WriteError(w, err)
		return
	}
	f.Clear()
	w.WriteHeader(http.StatusNoContent)
}
