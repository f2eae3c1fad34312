package console

import (
	"net/http"

	openchime "github.com/openchime/openchime"
)

type phonesData struct {
	Aws, Status, ProductType string
	Statuses, Products       []string
	Numbers                  []*openchime.PhoneNumber
	Orders                   []*openchime.PhoneOrderView
	Next                     string
}

// phoneNumbers shows an AWS account's phone number inventory and orders, as
// they stand on the Service clock.
func (h *Handler) phoneNumbers(w http.ResponseWriter, r *http.Request, v *view) {
	q := r.URL.Query()
	d := phonesData{Aws: r.PathValue("aws"), Status: q.Get("status"), ProductType: q.Get("product-type"),
		Statuses: []string{openchime.PhoneAcquireInProgress, openchime.PhoneAcquireFailed, openchime.PhoneUnassigned, openchime.PhoneAssigned,
			openchime.PhoneReleaseInProgress, openchime.PhoneDeleteInProgress, openchime.PhoneReleaseFailed, openchime.PhoneDeleteFailed},
		Products: []string{openchime.BusinessCalling, openchime.VoiceConnector, openchime.SipMediaApplicationDialIn}}
	ctx := asOwner(r.Context(), d.Aws)
	numbers, next, err := h.Service.ListPhoneNumbers(ctx, openchime.ListPhoneNumbersInput{Status: d.Status, ProductType: d.ProductType,
		Page: openchime.Page{NextToken: q.Get("next-token")}})
	if err != nil {
		h.fail(w, err)
		return
	}
	orders, _, err := h.Service.ListPhoneNumberOrders(ctx, openchime.Page{})
	if err != nil {
		h.fail(w, err)
		return
	}
	d.Numbers, d.Orders = numbers, orders
	if next != "" {
		q.Set("next-token", next)
		d.Next = "?" + q.Encode()
	}
	v.Title, v.Data = "Phone numbers of "+d.Aws, d
	v.Nav = []link{{"AWS account " + d.Aws, Prefix + "aws/" + d.Aws}}
	h.render(w, "phones", v)
}
