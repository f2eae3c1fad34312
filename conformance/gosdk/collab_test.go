package gosdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"
)

// The collab.* scenarios: bots, rooms, memberships, retention and redaction
// in an Enterprise account of this client's own, whose claimed domain is the
// default of its bots' addresses (D19).

// collab is the state the collab.* scenarios hand to one another.
type collab struct {
	account, bot, room string
	members            []string // two Registered users seeded by the control plane
}

// cpMessage is a room message as the control plane lists it; a redacted one
// has Content null.
type cpMessage struct {
	MessageId string
	Content   *string
	Redacted  bool
}

func (s *suite) collabDomain() string { return clientName + ".example" }

// controlGet reads a control-plane route into out.
func (s *suite) controlGet(path string, out any) error {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodGet, s.endpoint+path, nil)
	if err != nil {
		return err
	}
	if s.adminToken != "" {
		req.Header.Set("Authorization", "Bearer "+s.adminToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("control plane GET %s: HTTP %d", path, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (s *suite) collabBot() error {
	domain := s.collabDomain()
	accountID, err := s.controlAccount("collab", "EnterpriseLWA", map[string]any{"ClaimedDomains": []string{domain}})
	if err != nil {
		return err
	}
	var seeded struct{ Users []struct{ UserId string } }
	if err := s.control("/_openchime/accounts/"+accountID+"/users", map[string]any{"Users": []map[string]string{
		{"PrimaryEmail": "m0." + s.tag + "@" + domain, "UserRegistrationStatus": "Registered"},
		{"PrimaryEmail": "m1." + s.tag + "@" + domain, "UserRegistrationStatus": "Registered"},
	}}, &seeded); err != nil {
		return err
	}
	if len(seeded.Users) != 2 {
		return fmt.Errorf("control plane seeded %d users, want 2", len(seeded.Users))
	}
	s.collab.account = accountID
	s.collab.members = []string{seeded.Users[0].UserId, seeded.Users[1].UserId}
	a := &s.collab.account

	out, err := s.c.CreateBot(s.ctx, &awschime.CreateBotInput{AccountId: a, DisplayName: aws.String("helper")})
	if err != nil {
		return err
	}
	if st := httpStatus(out.ResultMetadata); st != 201 {
		return fmt.Errorf("CreateBot: HTTP %d, want 201", st)
	}
	b := out.Bot
	token := aws.ToString(b.SecurityToken)
	if aws.ToString(b.DisplayName) != "helper (Bot)" || aws.ToString(b.BotEmail) != "helper-chimebot@"+domain || len(token) != 40 ||
		aws.ToBool(b.Disabled) || aws.ToString(b.BotId) == "" {
		return fmt.Errorf("new bot = %q %q token %d chars Disabled=%v, want 'helper (Bot)', helper-chimebot@%s, 40 chars, false",
			aws.ToString(b.DisplayName), aws.ToString(b.BotEmail), len(token), aws.ToBool(b.Disabled), domain)
	}
	s.collab.bot = aws.ToString(b.BotId)
	up, err := s.c.UpdateBot(s.ctx, &awschime.UpdateBotInput{AccountId: a, BotId: &s.collab.bot, Disabled: aws.Bool(true)})
	if err != nil {
		return err
	}
	if !aws.ToBool(up.Bot.Disabled) {
		return errors.New("UpdateBot Disabled=true returned a bot that is not Disabled")
	}
	re, err := s.c.RegenerateSecurityToken(s.ctx, &awschime.RegenerateSecurityTokenInput{AccountId: a, BotId: &s.collab.bot})
	if err != nil {
		return err
	}
	if t := aws.ToString(re.Bot.SecurityToken); len(t) != 40 || t == token {
		return fmt.Errorf("RegenerateSecurityToken returned a %d-character token (same as before: %v), want a new 40-character one", len(t), t == token)
	}
	// The endpoint must answer the verification challenge (D44); conformance.sh runs one.
	url := os.Getenv("OPENCHIME_BOT_ENDPOINT")
	if url == "" {
		url = "https://" + domain + "/events"
	}
	put, err := s.c.PutEventsConfiguration(s.ctx, &awschime.PutEventsConfigurationInput{AccountId: a, BotId: &s.collab.bot, OutboundEventsHTTPSEndpoint: &url})
	if err != nil {
		return err
	}
	if st := httpStatus(put.ResultMetadata); st != 201 {
		return fmt.Errorf("PutEventsConfiguration: HTTP %d, want 201", st)
	}
	got, err := s.c.GetEventsConfiguration(s.ctx, &awschime.GetEventsConfigurationInput{AccountId: a, BotId: &s.collab.bot})
	if err != nil {
		return err
	}
	if ec := got.EventsConfiguration; ec == nil || aws.ToString(ec.BotId) != s.collab.bot || aws.ToString(ec.OutboundEventsHTTPSEndpoint) != url || ec.LambdaFunctionArn != nil {
		return fmt.Errorf("GetEventsConfiguration = %+v, want BotId %s and only OutboundEventsHTTPSEndpoint %s", ec, s.collab.bot, url)
	}
	return nil
}

func (s *suite) collabRoom() error {
	if err := s.need(s.collab.account); err != nil {
		return err
	}
	a, token := &s.collab.account, aws.String("room-"+s.tag)
	out, err := s.c.CreateRoom(s.ctx, &awschime.CreateRoomInput{AccountId: a, Name: aws.String("standup"), ClientRequestToken: token})
	if err != nil {
		return err
	}
	if st := httpStatus(out.ResultMetadata); st != 201 {
		return fmt.Errorf("CreateRoom: HTTP %d, want 201", st)
	}
	r := out.Room
	creator := "arn:aws:iam::" + awsAccountID + ":root"
	if aws.ToString(r.Name) != "standup" || aws.ToString(r.AccountId) != *a || aws.ToString(r.CreatedBy) != creator || aws.ToString(r.RoomId) == "" {
		return fmt.Errorf("new room = %+v, want Name standup in %s created by %s", r, *a, creator)
	}
	again, err := s.c.CreateRoom(s.ctx, &awschime.CreateRoomInput{AccountId: a, Name: aws.String("standup"), ClientRequestToken: token})
	if err != nil {
		return err
	}
	if aws.ToString(again.Room.RoomId) != aws.ToString(r.RoomId) {
		return fmt.Errorf("CreateRoom with the same ClientRequestToken gave room %s, want %s", aws.ToString(again.Room.RoomId), aws.ToString(r.RoomId))
	}
	s.collab.room = aws.ToString(r.RoomId)
	up, err := s.c.UpdateRoom(s.ctx, &awschime.UpdateRoomInput{AccountId: a, RoomId: &s.collab.room, Name: aws.String("retro")})
	if err != nil {
		return err
	}
	if aws.ToString(up.Room.Name) != "retro" {
		return fmt.Errorf("UpdateRoom returned Name %q, want retro", aws.ToString(up.Room.Name))
	}
	g, err := s.c.GetRoom(s.ctx, &awschime.GetRoomInput{AccountId: a, RoomId: &s.collab.room})
	if err != nil {
		return err
	}
	if aws.ToString(g.Room.RoomId) != s.collab.room || aws.ToString(g.Room.Name) != "retro" {
		return fmt.Errorf("GetRoom = %+v, want %s named retro", g.Room, s.collab.room)
	}
	return nil
}

// membershipIDs lists the room's members as "id/role".
func (s *suite) membershipIDs() ([]string, error) {
	out, err := s.c.ListRoomMemberships(s.ctx, &awschime.ListRoomMembershipsInput{AccountId: &s.collab.account, RoomId: &s.collab.room})
	if err != nil {
		return nil, err
	}
	var got []string
	for _, m := range out.RoomMemberships {
		if m.Member == nil {
			return nil, errors.New("ListRoomMemberships: a membership without a Member")
		}
		got = append(got, aws.ToString(m.Member.MemberId)+"/"+string(m.Role))
	}
	return got, nil
}

func (s *suite) collabMembership() error {
	if err := s.need(s.collab.room); err != nil {
		return err
	}
	a, r, m0 := &s.collab.account, &s.collab.room, s.collab.members[0]
	out, err := s.c.CreateRoomMembership(s.ctx, &awschime.CreateRoomMembershipInput{AccountId: a, RoomId: r, MemberId: &m0, Role: types.RoomMembershipRoleMember})
	if err != nil {
		return err
	}
	if st := httpStatus(out.ResultMetadata); st != 201 {
		return fmt.Errorf("CreateRoomMembership: HTTP %d, want 201", st)
	}
	m := out.RoomMembership
	email := "m0." + s.tag + "@" + s.collabDomain()
	if aws.ToString(m.RoomId) != *r || m.Role != types.RoomMembershipRoleMember || m.Member == nil || aws.ToString(m.Member.MemberId) != m0 ||
		m.Member.MemberType != types.MemberTypeUser || aws.ToString(m.Member.Email) != email {
		return fmt.Errorf("new membership = %+v (member %+v), want user %s (MemberType User, %s) as Member of %s", m, m.Member, m0, email, *r)
	}
	up, err := s.c.UpdateRoomMembership(s.ctx, &awschime.UpdateRoomMembershipInput{AccountId: a, RoomId: r, MemberId: &m0, Role: types.RoomMembershipRoleAdministrator})
	if err != nil {
		return err
	}
	if up.RoomMembership.Role != types.RoomMembershipRoleAdministrator {
		return fmt.Errorf("UpdateRoomMembership returned Role %s, want Administrator", up.RoomMembership.Role)
	}
	got, err := s.membershipIDs()
	if err != nil {
		return err
	}
	if want := []string{m0 + "/Administrator"}; !slices.Equal(got, want) {
		return fmt.Errorf("ListRoomMemberships = %v, want %v", got, want)
	}
	return nil
}

func (s *suite) collabBatchPartial() error {
	if err := s.need(s.collab.room); err != nil {
		return err
	}
	m0, m1 := s.collab.members[0], s.collab.members[1]
	out, err := s.c.BatchCreateRoomMembership(s.ctx, &awschime.BatchCreateRoomMembershipInput{
		AccountId: &s.collab.account, RoomId: &s.collab.room, MembershipItemList: []types.MembershipItem{
			{MemberId: &m1, Role: types.RoomMembershipRoleMember}, {MemberId: aws.String(unknownID), Role: types.RoomMembershipRoleMember},
		},
	})
	if err != nil {
		return err
	}
	if st := httpStatus(out.ResultMetadata); st != 201 {
		return fmt.Errorf("BatchCreateRoomMembership: HTTP %d, want 201", st)
	}
	if len(out.Errors) != 1 || aws.ToString(out.Errors[0].MemberId) != unknownID || out.Errors[0].ErrorCode != types.ErrorCodeNotFound ||
		aws.ToString(out.Errors[0].ErrorMessage) == "" {
		return fmt.Errorf("Errors = %+v, want exactly one NotFound for %s with a message", out.Errors, unknownID)
	}
	got, err := s.membershipIDs()
	if err != nil {
		return err
	}
	slices.Sort(got)
	want := []string{m0 + "/Administrator", m1 + "/Member"}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return fmt.Errorf("ListRoomMemberships after the batch = %v, want %v", got, want)
	}
	return nil
}

func (s *suite) collabRetention() error {
	if err := s.need(s.collab.account); err != nil {
		return err
	}
	// 60 days: the other clients move the shared clock at most 4 x 72 h, so
	// a message posted now stays inside the period.
	out, err := s.c.PutRetentionSettings(s.ctx, &awschime.PutRetentionSettingsInput{AccountId: &s.collab.account, RetentionSettings: &types.RetentionSettings{
		RoomRetentionSettings: &types.RoomRetentionSettings{RetentionDays: aws.Int32(60)},
	}})
	if err != nil {
		return err
	}
	if st := httpStatus(out.ResultMetadata); st != 204 {
		return fmt.Errorf("PutRetentionSettings: HTTP %d, want 204", st)
	}
	g, err := s.c.GetRetentionSettings(s.ctx, &awschime.GetRetentionSettingsInput{AccountId: &s.collab.account})
	if err != nil {
		return err
	}
	if g.RetentionSettings == nil || g.RetentionSettings.RoomRetentionSettings == nil ||
		aws.ToInt32(g.RetentionSettings.RoomRetentionSettings.RetentionDays) != 60 || g.InitiateDeletionTimestamp == nil {
		return fmt.Errorf("GetRetentionSettings = %+v InitiateDeletionTimestamp=%v, want RoomRetentionSettings.RetentionDays 60 and a timestamp",
			g.RetentionSettings, g.InitiateDeletionTimestamp)
	}
	return nil
}

func (s *suite) collabRedaction() error {
	if err := s.need(s.collab.room); err != nil {
		return err
	}
	path := "/_openchime/accounts/" + s.collab.account + "/rooms/" + s.collab.room + "/messages"
	var posted struct{ Message struct{ MessageId string } }
	if err := s.control(path, map[string]string{"SenderId": s.collab.members[0], "Content": "oops"}, &posted); err != nil {
		return err
	}
	id := posted.Message.MessageId
	out, err := s.c.RedactRoomMessage(s.ctx, &awschime.RedactRoomMessageInput{AccountId: &s.collab.account, RoomId: &s.collab.room, MessageId: &id})
	if err != nil {
		return err
	}
	if st := httpStatus(out.ResultMetadata); st != 200 {
		return fmt.Errorf("RedactRoomMessage: HTTP %d, want 200", st)
	}
	var listed struct{ Messages []cpMessage }
	if err := s.controlGet(path, &listed); err != nil {
		return err
	}
	i := slices.IndexFunc(listed.Messages, func(m cpMessage) bool { return m.MessageId == id })
	if i < 0 || !listed.Messages[i].Redacted || listed.Messages[i].Content != nil {
		return fmt.Errorf("the message after RedactRoomMessage = %+v, want it Redacted with Content null", listed.Messages)
	}
	return nil
}

func (s *suite) collabTeamForbidden() error {
	accountID, err := s.controlAccount("collab-team", "Team", nil)
	if err != nil {
		return err
	}
	_, err = s.c.ListRooms(s.ctx, &awschime.ListRoomsInput{AccountId: &accountID})
	return wantError(err, "ForbiddenException", "Forbidden")
}

func (s *suite) collabCleanup() error {
	if err := s.need(s.collab.room, s.collab.bot); err != nil {
		return err
	}
	a, r := &s.collab.account, &s.collab.room
	dm, err := s.c.DeleteRoomMembership(s.ctx, &awschime.DeleteRoomMembershipInput{AccountId: a, RoomId: r, MemberId: &s.collab.members[1]})
	if err != nil {
		return err
	}
	if st := httpStatus(dm.ResultMetadata); st != 204 {
		return fmt.Errorf("DeleteRoomMembership: HTTP %d, want 204", st)
	}
	dr, err := s.c.DeleteRoom(s.ctx, &awschime.DeleteRoomInput{AccountId: a, RoomId: r})
	if err != nil {
		return err
	}
	if st := httpStatus(dr.ResultMetadata); st != 204 {
		return fmt.Errorf("DeleteRoom: HTTP %d, want 204", st)
	}
	_, err = s.c.GetRoom(s.ctx, &awschime.GetRoomInput{AccountId: a, RoomId: r})
	if err := wantError(err, "NotFoundException", "NotFound"); err != nil {
		return fmt.Errorf("GetRoom of a deleted room: %w", err)
	}
	de, err := s.c.DeleteEventsConfiguration(s.ctx, &awschime.DeleteEventsConfigurationInput{AccountId: a, BotId: &s.collab.bot})
	if err != nil {
		return err
	}
	if st := httpStatus(de.ResultMetadata); st != 204 {
		return fmt.Errorf("DeleteEventsConfiguration: HTTP %d, want 204", st)
	}
	return nil
}
