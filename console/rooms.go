package console

import (
	"net/http"

	openchime "github.com/openchime/openchime"
)

// room shows one room and its members.
func (h *Handler) room(w http.ResponseWriter, r *http.Request, v *view) {
	a := h.loadAccount(w, r)
	if a == nil {
		return
	}
	ctx := asOwner(r.Context(), a.AwsAccountID)
	room, err := h.Service.GetRoom(ctx, a.ID, r.PathValue("room"))
	if err != nil {
		h.fail(w, err)
		return
	}
	var members []*openchime.RoomMembership
	token := ""
	for {
		page, next, err := h.Service.ListRoomMemberships(ctx, a.ID, room.ID, openchime.Page{MaxResults: 99, NextToken: token})
		if err != nil {
			h.fail(w, err)
			return
		}
		members = append(members, page...)
		if token = next; token == "" || len(members) >= 1000 {
			break
		}
	}
	v.Title, v.Data = room.Name, map[string]any{"Room": room, "Members": members}
	v.Nav = []link{{"AWS account " + a.AwsAccountID, Prefix + "aws/" + a.AwsAccountID}, {a.Name, Prefix + "accounts/" + a.ID}}
	h.render(w, "room", v)
}
