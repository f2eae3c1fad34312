package openchime

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Room is a chat room of an Enterprise account (decision D22).
type Room struct {
	ID                 string
	AccountID          string
	Name               string
	CreatedBy          string
	ClientRequestToken string
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// MemberType is what kind of member a room membership holds.
type MemberType string

// The member types of the model.
const (
	MemberUser    MemberType = "User"
	MemberBot     MemberType = "Bot"
	MemberWebhook MemberType = "Webhook"
)

// RoomRole is a member's role in a room.
type RoomRole string

// The roles of the model.
const (
	RoleAdministrator RoomRole = "Administrator"
	RoleMember        RoomRole = "Member"
)

// Member is a user, bot or webhook as a room shows it.
type Member struct {
	ID        string
	Type      MemberType
	Email     string
	FullName  string
	AccountID string
}

// RoomMembership is a member's place in a room.
type RoomMembership struct {
	RoomID    string
	Member    Member
	Role      RoomRole
	InvitedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// MembershipItem is one entry of BatchCreateRoomMembership.
type MembershipItem struct {
	MemberID string
	Role     RoomRole
}

// MemberError is the failure of one item of BatchCreateRoomMembership.
type MemberError struct {
	MemberID string
	Code     Code
	Message  string
}

// maxRoomName is the inferred cap on room names (decision D22).
const maxRoomName = 256

func roomNotFound(accountID, roomID string) error {
	return Errorf(NotFound, "The requested room %s was not found in account %s.", roomID, accountID)
}

func membershipID(roomID, memberID string) string { return roomID + "/" + memberID }
func memberRoomID(memberID, roomID string) string { return memberID + "/" + roomID }

// roomOf returns the room of the account, NotFound for a room of another one.
func roomOf(ctx context.Context, tx ReadTx, accountID, roomID string) (*Room, error) {
	var r Room
	_, err := getDoc(ctx, tx, kindRoom, roomID, &r)
	if IsCode(err, NotFound) || (err == nil && r.AccountID != accountID) {
		return nil, roomNotFound(accountID, roomID)
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func putRoom(ctx context.Context, tx Tx, r *Room) error {
	return putDoc(ctx, tx, kindRoom, r.ID, r.AccountID, r.CreatedAt, r)
}

func checkRoomName(name string) error {
	if strings.TrimSpace(name) == "" {
		return Errorf(BadRequest, "Name must contain a non-space character.")
	}
	if n := utf8.RuneCountInString(name); n > maxRoomName {
		return Errorf(BadRequest, "Name must be at most %d characters (it has %d).", maxRoomName, n)
	}
	return nil
}

// CreateRoom creates a room. The same ClientRequestToken in the same account
// returns the original room while it exists, if Name matches (decision D22).
func (s *Service) CreateRoom(ctx context.Context, accountID, name, clientRequestToken string) (*Room, error) {
	var room *Room
	err := s.Store.Update(ctx, func(tx Tx) error {
		if _, err := s.enterpriseAccount(ctx, tx, accountID, true); err != nil {
			return err
		}
		if err := checkRoomName(name); err != nil {
			return err
		}
		tokenID := accountID + "/" + clientRequestToken
		if clientRequestToken != "" {
			var prior struct{ RoomID string }
			_, err := getDoc(ctx, tx, kindRoomToken, tokenID, &prior)
			if err == nil {
				// A token binds while its room lives; DeleteRoom drops it,
				// and a token whose room is gone anyway is free again.
				r, err := roomOf(ctx, tx, accountID, prior.RoomID)
				if err == nil {
					if r.Name != name {
						return Errorf(BadRequest, "ClientRequestToken %s was already used to create room %s with a different Name.", clientRequestToken, r.ID)
					}
					room = r
					return nil
				}
				if !IsCode(err, NotFound) {
					return err
				}
			} else if !IsCode(err, NotFound) {
				return err
			}
		}
		cc, err := s.collabConfig(ctx, tx)
		if err != nil {
			return err
		}
		limit := cc.rooms()
		if n, err := readCount(ctx, tx, "rooms", accountID); err != nil {
			return err
		} else if n >= limit {
			return Errorf(ResourceLimitExceeded, "Account %s already has the maximum of %d rooms.", accountID, limit)
		}
		now := s.now()
		room = &Room{
			ID: s.IDs.UUID(), AccountID: accountID, Name: name, CreatedBy: s.principalARN(ctx),
			ClientRequestToken: clientRequestToken, CreatedAt: now, UpdatedAt: now,
		}
		if clientRequestToken != "" {
			if err := putDoc(ctx, tx, kindRoomToken, tokenID, accountID, now, map[string]string{"RoomID": room.ID}); err != nil {
				return err
			}
		}
		if err := addCount(ctx, tx, "rooms", accountID, 1); err != nil {
			return err
		}
		if err := putRoom(ctx, tx, room); err != nil {
			return err
		}
		return s.audit(ctx, tx, "CreateRoom", accountID, collabChange(kindRoom, room.ID, nil, room))
	})
	if err != nil {
		return nil, err
	}
	return room, nil
}

// GetRoom returns a room of the account.
func (s *Service) GetRoom(ctx context.Context, accountID, roomID string) (*Room, error) {
	var r *Room
	err := s.Store.View(ctx, func(tx ReadTx) error {
		if _, err := s.enterpriseAccount(ctx, tx, accountID, false); err != nil {
			return err
		}
		var err error
		r, err = roomOf(ctx, tx, accountID, roomID)
		return err
	})
	return r, err
}

// ListRoomsInput filters ListRooms.
type ListRoomsInput struct {
	AccountID string
	MemberID  string // only rooms where this user or bot is a member
	Page
}

// ListRooms lists the account's rooms in creation order; with MemberID, the
// rooms of that member, an unknown one giving an empty list (decision D22).
// The default page is 99 (decision D35, inferred for rooms).
func (s *Service) ListRooms(ctx context.Context, in ListRoomsInput) ([]*Room, string, error) {
	var rooms []*Room
	var next string
	err := s.Store.View(ctx, func(tx ReadTx) error {
		if _, err := s.enterpriseAccount(ctx, tx, in.AccountID, false); err != nil {
			return err
		}
		if in.MemberID == "" {
			var err error
			rooms, next, err = listPage[Room](ctx, tx, kindRoom, in.AccountID, in.Page, 99, "rooms\x00"+in.AccountID)
			return err
		}
		// The member-room index is ordered by (room CreatedAt, member/room
		// id), which for one member is the rooms' own order (D43).
		type memberRoom struct{ RoomID, AccountID string }
		refs, nxt, err := listPage[memberRoom](ctx, tx, kindMemberRoom, in.MemberID, in.Page, 99,
			"rooms\x00"+in.AccountID+"\x00"+in.MemberID)
		if err != nil {
			return err
		}
		next = nxt
		rooms = make([]*Room, 0, len(refs))
		for _, ref := range refs {
			if ref.AccountID != in.AccountID {
				continue
			}
			r, err := roomOf(ctx, tx, in.AccountID, ref.RoomID)
			if err != nil {
				return err
			}
			rooms = append(rooms, r)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return rooms, next, nil
}

// UpdateRoom renames a room; an empty name changes nothing (decision D22).
func (s *Service) UpdateRoom(ctx context.Context, accountID, roomID, name string) (*Room, error) {
	var r *Room
	err := s.Store.Update(ctx, func(tx Tx) error {
		if _, err := s.enterpriseAccount(ctx, tx, accountID, true); err != nil {
			return err
		}
		var err error
		if r, err = roomOf(ctx, tx, accountID, roomID); err != nil {
			return err
		}
		if name == "" {
			return nil
		}
		if err := checkRoomName(name); err != nil {
			return err
		}
		before := *r
		r.Name, r.UpdatedAt = name, s.now()
		if err := putRoom(ctx, tx, r); err != nil {
			return err
		}
		return s.audit(ctx, tx, "UpdateRoom", accountID, collabChange(kindRoom, r.ID, &before, r))
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DeleteRoom deletes a room with its memberships, its idempotency token and
// its messages (decision D22).
func (s *Service) DeleteRoom(ctx context.Context, accountID, roomID string) error {
	var evs botEventList
	err := s.Store.Update(ctx, func(tx Tx) error {
		evs = evs[:0]
		if _, err := s.enterpriseAccount(ctx, tx, accountID, true); err != nil {
			return err
		}
		r, err := roomOf(ctx, tx, accountID, roomID)
		if err != nil {
			return err
		}
		members, _, err := listDocs[RoomMembership](ctx, tx, ResourceFilter{Kind: kindMembership, Scope: roomID})
		if err != nil {
			return err
		}
		now := s.now()
		for _, m := range members {
			if err := deleteMembership(ctx, tx, roomID, m.Member.ID); err != nil {
				return err
			}
			if err := s.membershipEvent(ctx, tx, &evs, BotEventRemove, m, now); err != nil {
				return err
			}
		}
		msgs, err := tx.Resources(ctx, ResourceFilter{Kind: kindMessage, Scope: roomID})
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if err := tx.DeleteResource(ctx, kindMessage, m.ID); err != nil {
				return err
			}
		}
		if r.ClientRequestToken != "" {
			if err := tx.DeleteResource(ctx, kindRoomToken, accountID+"/"+r.ClientRequestToken); err != nil {
				return err
			}
		}
		if err := addCount(ctx, tx, "rooms", accountID, -1); err != nil {
			return err
		}
		if err := tx.DeleteResource(ctx, kindRoom, roomID); err != nil {
			return err
		}
		return s.audit(ctx, tx, "DeleteRoom", accountID, collabChange(kindRoom, roomID, r, nil))
	})
	if err == nil {
		s.sendBotEvents(evs)
	}
	return err
}

// deleteMembership deletes an existing membership, its index entry, and
// counts it out.
func deleteMembership(ctx context.Context, tx Tx, roomID, memberID string) error {
	if err := addCount(ctx, tx, "members", roomID, -1); err != nil {
		return err
	}
	if err := addCount(ctx, tx, "member-rooms", memberID, -1); err != nil {
		return err
	}
	if err := tx.DeleteResource(ctx, kindMemberRoom, memberRoomID(memberID, roomID)); err != nil {
		return err
	}
	return tx.DeleteResource(ctx, kindMembership, membershipID(roomID, memberID))
}

// removeMemberEverywhere deletes every membership of a member (a bot the
// control plane deletes).
func removeMemberEverywhere(ctx context.Context, tx Tx, memberID string) error {
	refs, _, err := listDocs[struct{ RoomID string }](ctx, tx, ResourceFilter{Kind: kindMemberRoom, Scope: memberID})
	if err != nil {
		return err
	}
	for _, ref := range refs {
		if err := deleteMembership(ctx, tx, ref.RoomID, memberID); err != nil {
			return err
		}
	}
	return nil
}

// membership returns the membership, or nil when memberID is not a member.
func membership(ctx context.Context, tx ReadTx, roomID, memberID string) (*RoomMembership, error) {
	var m RoomMembership
	_, err := getDoc(ctx, tx, kindMembership, membershipID(roomID, memberID), &m)
	if IsCode(err, NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// putMembership writes a membership and its member-room index entry, which
// carries the room's creation time so a member's rooms list in room order.
func putMembership(ctx context.Context, tx Tx, room *Room, m *RoomMembership) error {
	if err := putDoc(ctx, tx, kindMembership, membershipID(room.ID, m.Member.ID), room.ID, m.CreatedAt, m); err != nil {
		return err
	}
	return putDoc(ctx, tx, kindMemberRoom, memberRoomID(m.Member.ID, room.ID), m.Member.ID, room.CreatedAt,
		map[string]string{"RoomID": room.ID, "AccountID": room.AccountID})
}

// insertMembership writes a new membership and counts it in.
func insertMembership(ctx context.Context, tx Tx, room *Room, m *RoomMembership) error {
	if err := addCount(ctx, tx, "members", room.ID, 1); err != nil {
		return err
	}
	if err := addCount(ctx, tx, "member-rooms", m.Member.ID, 1); err != nil {
		return err
	}
	return putMembership(ctx, tx, room, m)
}

// resolveMember finds the user or bot memberID of the account (decision D23):
// a user visible to GetUser, or a bot; else NotFound. bot is nil for a user.
func resolveMember(ctx context.Context, tx ReadTx, accountID, memberID string) (Member, *Bot, error) {
	return resolveMemberIn(ctx, tx, accountID, memberID, nil)
}

// resolveMemberIn is resolveMember with the account's users already read,
// keyed by id, users being nil when they are not (see usersByID).
func resolveMemberIn(ctx context.Context, tx ReadTx, accountID, memberID string, users map[string]*User) (Member, *Bot, error) {
	var u *User
	var err error
	if users != nil {
		if u = users[memberID]; u == nil || u.Removed() {
			err = userNotFound(accountID, memberID)
		}
	} else {
		u, err = visibleUser(ctx, tx, accountID, memberID)
	}
	if err == nil {
		return Member{ID: u.ID, Type: MemberUser, Email: u.PrimaryEmail, FullName: u.DisplayName, AccountID: accountID}, nil, nil
	}
	if !IsCode(err, NotFound) {
		return Member{}, nil, err
	}
	b, err := botOf(ctx, tx, accountID, memberID)
	if err == nil {
		// Decision D43: a bot member's FullName is its API display name.
		return Member{ID: b.ID, Type: MemberBot, Email: b.Email, FullName: b.APIDisplayName(), AccountID: accountID}, b, nil
	}
	if IsCode(err, NotFound) {
		return Member{}, nil, Errorf(NotFound, "Member %s is neither a user nor a bot of account %s.", memberID, accountID)
	}
	return Member{}, nil, err
}

// refreshMember shows a membership's member as it is now (a renamed user);
// a member that no longer resolves keeps the snapshot taken when added.
func refreshMember(ctx context.Context, tx ReadTx, m *RoomMembership) error {
	if m.Member.Type == MemberWebhook {
		return nil
	}
	cur, _, err := resolveMember(ctx, tx, m.Member.AccountID, m.Member.ID)
	if err == nil {
		m.Member = cur
		return nil
	}
	if IsCode(err, NotFound) {
		return nil
	}
	return err
}

// roomCounter tracks the limits of one room across a batch.
type roomCounter struct {
	members int
}

// addMember applies the rules of decision D23 to one new membership. users
// are the account's users already read (nil: read the member's).
func (s *Service) addMember(ctx context.Context, tx Tx, room *Room, rc *roomCounter, users map[string]*User, memberID string, role RoomRole, now time.Time) (*RoomMembership, error) {
	member, bot, err := resolveMemberIn(ctx, tx, room.AccountID, memberID, users)
	if err != nil {
		return nil, err
	}
	if role == "" {
		role = RoleMember
	}
	if role != RoleMember && role != RoleAdministrator {
		return nil, Errorf(BadRequest, "Role %q is not one of Administrator, Member.", role)
	}
	if prior, err := membership(ctx, tx, room.ID, memberID); err != nil {
		return nil, err
	} else if prior != nil {
		return nil, Errorf(Conflict, "Member %s is already a member of room %s.", memberID, room.ID)
	}
	if bot != nil {
		if role == RoleAdministrator {
			return nil, Errorf(BadRequest, "A bot can only be a Member of a room, not an Administrator.")
		}
		if bot.Disabled {
			return nil, Errorf(BadRequest, "Bot %s is stopped (Disabled) and cannot be added to a room.", bot.ID)
		}
		if c, err := eventsConfig(ctx, tx, bot.ID); err != nil {
			return nil, err
		} else if c == nil {
			return nil, Errorf(BadRequest, "Bot %s has no events configuration; put one before adding it to a room.", bot.ID)
		}
	}
	cc, err := s.collabConfig(ctx, tx)
	if err != nil {
		return nil, err
	}
	if limit := cc.membersPerRoom(); rc.members >= limit {
		return nil, Errorf(ResourceLimitExceeded, "Room %s already has the maximum of %d members.", room.ID, limit)
	}
	limit := cc.roomsPerMember()
	if n, err := readCount(ctx, tx, "member-rooms", memberID); err != nil {
		return nil, err
	} else if n >= limit {
		return nil, Errorf(ResourceLimitExceeded, "Member %s is already in the maximum of %d rooms.", memberID, limit)
	}
	m := &RoomMembership{RoomID: room.ID, Member: member, Role: role, InvitedBy: s.principalARN(ctx), CreatedAt: now, UpdatedAt: now}
	if err := insertMembership(ctx, tx, room, m); err != nil {
		return nil, err
	}
	rc.members++
	return m, nil
}

// roomForMembers loads the room of a membership write and counts its members.
func (s *Service) roomForMembers(ctx context.Context, tx Tx, accountID, roomID string) (*Room, *roomCounter, error) {
	if _, err := s.enterpriseAccount(ctx, tx, accountID, true); err != nil {
		return nil, nil, err
	}
	room, err := roomOf(ctx, tx, accountID, roomID)
	if err != nil {
		return nil, nil, err
	}
	n, err := readCount(ctx, tx, "members", roomID)
	if err != nil {
		return nil, nil, err
	}
	return room, &roomCounter{members: n}, nil
}

// CreateRoomMembership adds a user or bot to a room (decision D23).
func (s *Service) CreateRoomMembership(ctx context.Context, accountID, roomID, memberID string, role RoomRole) (*RoomMembership, error) {
	var m *RoomMembership
	var evs botEventList
	err := s.Store.Update(ctx, func(tx Tx) error {
		evs = evs[:0]
		room, rc, err := s.roomForMembers(ctx, tx, accountID, roomID)
		if err != nil {
			return err
		}
		now := s.now()
		if m, err = s.addMember(ctx, tx, room, rc, nil, memberID, role, now); err != nil {
			return err
		}
		if err := s.membershipEvent(ctx, tx, &evs, BotEventInvite, m, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, "CreateRoomMembership", accountID, membershipChange(nil, m))
	})
	if err != nil {
		return nil, err
	}
	s.sendBotEvents(evs)
	return m, nil
}

// prefetchMembers reads, all at once, what addMember reads of each member
// of a batch: the users, then the records of the membership, the member's
// room count and, for those that are not users, the bot and its events
// configuration. A store without batch reads reads the users one by one,
// as addMember would have.
func (s *Service) prefetchMembers(ctx context.Context, tx Tx, room *Room, items []MembershipItem) (map[string]*User, error) {
	ids := make([]string, 0, len(items))
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		if !seen[it.MemberID] {
			seen[it.MemberID] = true
			ids = append(ids, it.MemberID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	users, err := usersByID(ctx, tx, room.AccountID, ids)
	if err != nil {
		return nil, err
	}
	keys := make([]ResourceKey, 0, 2*len(ids))
	for _, id := range ids {
		keys = append(keys, ResourceKey{Kind: kindMembership, ID: membershipID(room.ID, id)},
			ResourceKey{Kind: kindCollabCount, ID: "member-rooms/" + id})
		if u := users[id]; u == nil || u.Removed() {
			keys = append(keys, ResourceKey{Kind: kindBot, ID: id}, ResourceKey{Kind: kindEventsConfig, ID: id})
		}
	}
	return users, prefetchResources(ctx, tx, keys)
}

// BatchCreateRoomMembership adds many members in one transaction, in request
// order, each distinct MemberId once (decisions D17, D24). Per-item failures
// are returned, never nil; a blank MemberId fails the whole request.
func (s *Service) BatchCreateRoomMembership(ctx context.Context, accountID, roomID string, items []MembershipItem) ([]MemberError, error) {
	errs := []MemberError{}
	faults := s.perUserFaults("BatchCreateRoomMembership", s.awsAccount(ctx), accountID, len(items))
	var evs botEventList
	err := s.Store.Update(ctx, func(tx Tx) error {
		errs = errs[:0]
		evs = evs[:0]
		room, rc, err := s.roomForMembers(ctx, tx, accountID, roomID)
		if err != nil {
			return err
		}
		for i, it := range items {
			if strings.TrimSpace(it.MemberID) == "" {
				return Errorf(BadRequest, "MembershipItemList[%d] has no MemberId; every item needs one.", i+1)
			}
		}
		users, err := s.prefetchMembers(ctx, tx, room, items)
		if err != nil {
			return err
		}
		now := s.now()
		seen := make(map[string]bool, len(items))
		var changes []AuditChange
		for i, it := range items {
			if seen[it.MemberID] {
				continue
			}
			seen[it.MemberID] = true
			// Fault rules with an ErrorCode target batch items (D42), asked
			// once per request however often the transaction runs.
			if ue := faults.forUser(i, it.MemberID); ue != nil {
				errs = append(errs, MemberError{MemberID: it.MemberID, Code: ue.Code, Message: ue.Message})
				continue
			}
			m, err := s.addMember(ctx, tx, room, rc, users, it.MemberID, it.Role, now)
			switch ErrorCode(err) {
			case "":
				changes = append(changes, membershipChange(nil, m))
				if err := s.membershipEvent(ctx, tx, &evs, BotEventInvite, m, now); err != nil {
					return err
				}
			case NotFound, BadRequest, Conflict, ResourceLimitExceeded:
				errs = append(errs, MemberError{MemberID: it.MemberID, Code: ErrorCode(err), Message: ErrorMessage(err)})
			default:
				return err
			}
		}
		return s.audit(ctx, tx, "BatchCreateRoomMembership", accountID, changes...)
	})
	if err != nil {
		return nil, err
	}
	s.sendBotEvents(evs)
	return errs, nil
}

// ListRoomMemberships lists a room's memberships in the order they were
// created; the default page is 99 (decision D35, inferred for rooms).
func (s *Service) ListRoomMemberships(ctx context.Context, accountID, roomID string, p Page) ([]*RoomMembership, string, error) {
	var list []*RoomMembership
	var next string
	err := s.Store.View(ctx, func(tx ReadTx) error {
		if _, err := s.enterpriseAccount(ctx, tx, accountID, false); err != nil {
			return err
		}
		if _, err := roomOf(ctx, tx, accountID, roomID); err != nil {
			return err
		}
		var err error
		list, next, err = listPage[RoomMembership](ctx, tx, kindMembership, roomID, p, 99, "memberships\x00"+roomID)
		if err != nil {
			return err
		}
		for _, m := range list {
			if err := refreshMember(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return list, next, nil
}

func notMember(roomID, memberID string) error {
	return Errorf(NotFound, "Member %s is not a member of room %s.", memberID, roomID)
}

// UpdateRoomMembership changes the role of a user member; an empty role
// changes nothing (decision D23).
func (s *Service) UpdateRoomMembership(ctx context.Context, accountID, roomID, memberID string, role RoomRole) (*RoomMembership, error) {
	var m *RoomMembership
	err := s.Store.Update(ctx, func(tx Tx) error {
		if _, err := s.enterpriseAccount(ctx, tx, accountID, true); err != nil {
			return err
		}
		room, err := roomOf(ctx, tx, accountID, roomID)
		if err != nil {
			return err
		}
		if m, err = membership(ctx, tx, roomID, memberID); err != nil {
			return err
		} else if m == nil {
			return notMember(roomID, memberID)
		}
		if m.Member.Type != MemberUser {
			return Errorf(BadRequest, "Only the role of a user member can change; %s is a %s.", memberID, m.Member.Type)
		}
		if err := refreshMember(ctx, tx, m); err != nil {
			return err
		}
		if role == "" || role == m.Role {
			return nil
		}
		before := *m
		m.Role, m.UpdatedAt = role, s.now()
		if err := putMembership(ctx, tx, room, m); err != nil {
			return err
		}
		return s.audit(ctx, tx, "UpdateRoomMembership", accountID, membershipChange(&before, m))
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// DeleteRoomMembership removes a member, stopped bots included (D23).
func (s *Service) DeleteRoomMembership(ctx context.Context, accountID, roomID, memberID string) error {
	var evs botEventList
	err := s.Store.Update(ctx, func(tx Tx) error {
		evs = evs[:0]
		if _, err := s.enterpriseAccount(ctx, tx, accountID, true); err != nil {
			return err
		}
		if _, err := roomOf(ctx, tx, accountID, roomID); err != nil {
			return err
		}
		m, err := membership(ctx, tx, roomID, memberID)
		if err != nil {
			return err
		} else if m == nil {
			return notMember(roomID, memberID)
		}
		if err := deleteMembership(ctx, tx, roomID, memberID); err != nil {
			return err
		}
		if err := s.membershipEvent(ctx, tx, &evs, BotEventRemove, m, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, "DeleteRoomMembership", accountID, membershipChange(m, nil))
	})
	if err == nil {
		s.sendBotEvents(evs)
	}
	return err
}

// AdminAddWebhook adds a webhook member to a room: webhooks exist only
// through the control plane, at most WebhooksPerRoom per room (D23, D41).
// Its incoming webhook is the URL that posts as it (D44).
func (s *Service) AdminAddWebhook(ctx context.Context, accountID, roomID, name string) (*RoomMembership, *IncomingWebhook, error) {
	if strings.TrimSpace(name) == "" {
		return nil, nil, Errorf(BadRequest, "Name must contain a non-space character.")
	}
	var m *RoomMembership
	var h *IncomingWebhook
	err := s.Store.Update(ctx, func(tx Tx) error {
		if _, err := adminAccount(ctx, tx, accountID); err != nil {
			return err
		}
		room, err := roomOf(ctx, tx, accountID, roomID)
		if err != nil {
			return err
		}
		members, _, err := listDocs[RoomMembership](ctx, tx, ResourceFilter{Kind: kindMembership, Scope: roomID})
		if err != nil {
			return err
		}
		hooks := 0
		for _, o := range members {
			if o.Member.Type == MemberWebhook {
				hooks++
			}
		}
		cc, err := s.collabConfig(ctx, tx)
		if err != nil {
			return err
		}
		if limit := cc.webhooks(); hooks >= limit {
			return Errorf(ResourceLimitExceeded, "Room %s already has the maximum of %d webhooks.", roomID, limit)
		}
		if limit := cc.membersPerRoom(); len(members) >= limit {
			return Errorf(ResourceLimitExceeded, "Room %s already has the maximum of %d members.", roomID, limit)
		}
		now := s.now()
		m = &RoomMembership{
			RoomID: roomID, Role: RoleMember, InvitedBy: s.principalARN(ctx), CreatedAt: now, UpdatedAt: now,
			Member: Member{ID: s.IDs.UUID(), Type: MemberWebhook, FullName: name, AccountID: accountID},
		}
		if err := insertMembership(ctx, tx, room, m); err != nil {
			return err
		}
		if h, err = s.memberWebhook(ctx, tx, accountID, m.Member.ID, roomID, "", now); err != nil {
			return err
		}
		return s.audit(ctx, tx, "AdminAddWebhook", accountID, membershipChange(nil, m))
	})
	if err != nil {
		return nil, nil, err
	}
	return m, h, nil
}
