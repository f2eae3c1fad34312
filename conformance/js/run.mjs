// Runs the OpenChime conformance scenarios (conformance/SCENARIOS.md) through
// the AWS SDK for JavaScript v3 against $OPENCHIME_ENDPOINT; one JSON line per
// scenario is appended to $OPENCHIME_RESULTS when set. Exit status 1 on any
// failure.
import { appendFileSync, readFileSync } from "node:fs";
import {
  ChimeClient,
  CreateAccountCommand,
  CreateUserCommand,
  GetAccountCommand,
  UpdateAccountCommand,
  DeleteAccountCommand,
  InviteUsersCommand,
  ListUsersCommand,
  GetUserCommand,
  UpdateUserCommand,
  BatchSuspendUserCommand,
  BatchUnsuspendUserCommand,
  SearchAvailablePhoneNumbersCommand,
  CreatePhoneNumberOrderCommand,
  GetPhoneNumberOrderCommand,
  GetPhoneNumberCommand,
  AssociatePhoneNumberWithUserCommand,
  UpdatePhoneNumberCommand,
  DisassociatePhoneNumberFromUserCommand,
  DeletePhoneNumberCommand,
  RestorePhoneNumberCommand,
  CreateBotCommand,
  UpdateBotCommand,
  RegenerateSecurityTokenCommand,
  PutEventsConfigurationCommand,
  GetEventsConfigurationCommand,
  DeleteEventsConfigurationCommand,
  CreateRoomCommand,
  UpdateRoomCommand,
  GetRoomCommand,
  DeleteRoomCommand,
  ListRoomsCommand,
  CreateRoomMembershipCommand,
  UpdateRoomMembershipCommand,
  BatchCreateRoomMembershipCommand,
  ListRoomMembershipsCommand,
  DeleteRoomMembershipCommand,
  PutRetentionSettingsCommand,
  GetRetentionSettingsCommand,
  RedactRoomMessageCommand,
  paginateListUsers,
} from "@aws-sdk/client-chime";

const CLIENT = "js";
const AWS_ACCOUNT_ID = "123456789012";
const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";
// This client's own area code: the five clients run side by side against one
// server, and a number is held by one AWS account only.
const AREA_CODE = "503";
const CALLING_NAME = "Conformance";
// With --auth none the access key is the tenancy; with --auth sigv4 the
// server's credentials file maps OPENCHIME_ACCESS_KEY_ID to AWS_ACCOUNT_ID.
const ACCESS_KEY_ID = process.env.OPENCHIME_ACCESS_KEY_ID || AWS_ACCOUNT_ID;
const SECRET_ACCESS_KEY = process.env.OPENCHIME_SECRET_ACCESS_KEY || "conformance-secret";
const ADMIN_TOKEN = process.env.OPENCHIME_ADMIN_TOKEN || "";
// The scenarios the SigV4 pass (OPENCHIME_PASS=sigv4) repeats, signed for
// real and reported as sigv4.<name>, plus sigv4.wrong_secret.
const SIGV4_SCENARIOS = ["lwa.seed", "lwa.suspend", "lwa.unsuspend_mixed", "lwa.list_paginated", "error.not_found",
  "phone.search", "phone.order"];

const endpoint = (process.env.OPENCHIME_ENDPOINT || "").replace(/\/+$/, "");
if (!endpoint) {
  console.error("OPENCHIME_ENDPOINT is unset: start a server (see .ci/conformance.sh) and point this at it");
  process.exit(2);
}
const version = JSON.parse(
  readFileSync(new URL("./node_modules/@aws-sdk/client-chime/package.json", import.meta.url)),
).version;
console.log(`@aws-sdk/client-chime ${version}, node ${process.version}`);

const newClient = (secretAccessKey) => new ChimeClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey },
  maxAttempts: 1,
});
const client = newClient(SECRET_ACCESS_KEY);
const send = (Command, input) => client.send(new Command(input));

class Fail extends Error {}

// wantError checks that the call fails with the typed exception `shape`
// whose body Code member is `code`, with a message.
async function wantError(promise, shape, code) {
  try {
    await promise;
  } catch (err) {
    if (err.name !== shape || err.Code !== code || !err.message) {
      throw new Fail(`got ${err.name} Code=${JSON.stringify(err.Code)} message=${JSON.stringify(err.message)}, want ${shape} Code=${code} and a message`);
    }
    return;
  }
  throw new Fail(`call succeeded, want ${shape}`);
}

// control calls the control plane: POST with a JSON body, or GET when body
// is undefined.
async function control(path, body) {
  const resp = await fetch(endpoint + path, {
    method: body === undefined ? "GET" : "POST",
    headers: { "Content-Type": "application/json", ...(ADMIN_TOKEN ? { Authorization: `Bearer ${ADMIN_TOKEN}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await resp.text();
  if (!resp.ok) throw new Fail(`control plane ${path}: HTTP ${resp.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

const tag = `js${Date.now() % 1e9}`;
const alice = `alice.${tag}@example.com`;
const bob = `bob.${tag}@example.com`;
const st = {
  teamId: "", aliceId: "", bobId: "", lwaId: "", lwaUsers: [], found: [], number: "", phoneAccount: "", phoneUser: "",
  collabId: "", botId: "", roomId: "", members: [],
};
// This client's Enterprise account claims its own domain, the default of its
// bots' addresses (D19).
const DOMAIN = `${CLIENT}.example`;
const wantStatus = (out, want, what) => {
  if (out.$metadata.httpStatusCode !== want) throw new Fail(`${what}: HTTP ${out.$metadata.httpStatusCode}, want ${want}`);
};
const membershipIds = async () =>
  ((await send(ListRoomMembershipsCommand, { AccountId: st.collabId, RoomId: st.roomId })).RoomMemberships ?? [])
    .map((m) => `${m.Member?.MemberId}/${m.Role}`);

function need(...vals) {
  if (!vals.every(Boolean)) throw new Fail("skipped: an earlier scenario did not produce the state this one needs");
}
const show = (v) => JSON.stringify(v);

async function userByEmail(account, email) {
  const out = await send(ListUsersCommand, { AccountId: account, UserEmail: email });
  const users = out.Users ?? [];
  if (users.length !== 1) throw new Fail(`ListUsers user-email=${email} returned ${users.length} users, want 1`);
  return users[0];
}
const getUser = async (account, user) => (await send(GetUserCommand, { AccountId: account, UserId: user })).User;
async function wantStatuses(account, want) {
  for (const [id, status] of Object.entries(want)) {
    const got = (await getUser(account, id)).UserRegistrationStatus;
    if (got !== status) throw new Fail(`user ${id} is ${got}, want ${status}`);
  }
}
function wantOneNotFound(out) {
  const e = out.UserErrors;
  if (!Array.isArray(e) || e.length !== 1 || e[0].UserId !== UNKNOWN_ID || e[0].ErrorCode !== "NotFound" || !e[0].ErrorMessage) {
    throw new Fail(`UserErrors = ${show(e)}, want exactly one NotFound for ${UNKNOWN_ID} with a message`);
  }
}

const scenarios = {
  "team.create": async () => {
    const a = (await send(CreateAccountCommand, { Name: `conf-${tag}-team` })).Account;
    if (!a?.AccountId) throw new Fail("CreateAccount returned no AccountId");
    if (a.AccountType !== "Team" || a.AccountStatus !== "Active" || a.DefaultLicense !== "Pro" ||
        show(a.SupportedLicenses) !== show(["Basic", "Pro"]) || a.AwsAccountId !== AWS_ACCOUNT_ID ||
        !(a.CreatedTimestamp instanceof Date)) {
      throw new Fail(`new Team account = ${show(a)}, want Team/Active/Pro/[Basic,Pro], AwsAccountId, CreatedTimestamp`);
    }
    const g = (await send(GetAccountCommand, { AccountId: a.AccountId })).Account;
    if (g.Name !== a.Name) throw new Fail(`GetAccount Name = ${g.Name}, want ${a.Name}`);
    st.teamId = a.AccountId;
  },
  "team.invite": async () => {
    need(st.teamId);
    const invites = (await send(InviteUsersCommand, { AccountId: st.teamId, UserEmailList: [alice, bob, alice] })).Invites ?? [];
    if (invites.length !== 2) throw new Fail(`got ${invites.length} invites for 2 distinct addresses (one listed twice), want 2`);
    if (show(invites.map((i) => i.EmailAddress).sort()) !== show([alice, bob].sort())) {
      throw new Fail(`invites ${show(invites)}, want one each for ${alice} and ${bob}`);
    }
    for (const inv of invites) {
      if (inv.Status !== "Pending" || inv.EmailStatus !== "Sent" || !inv.InviteId) {
        throw new Fail(`invite ${show(inv)}, want Pending/Sent with an InviteId`);
      }
    }
  },
  "team.invited_user": async () => {
    need(st.teamId);
    for (const email of [alice, bob]) {
      const u = await userByEmail(st.teamId, email);
      if (u.UserRegistrationStatus !== "Unregistered" || u.UserInvitationStatus !== "Pending") {
        throw new Fail(`invited user ${email} is ${u.UserRegistrationStatus}/${u.UserInvitationStatus}, want Unregistered/Pending`);
      }
      if (email === alice) st.aliceId = u.UserId;
      else st.bobId = u.UserId;
    }
  },
  "team.register": async () => {
    need(st.teamId, st.aliceId);
    await control(`/_openchime/accounts/${st.teamId}/users/${st.aliceId}/register`, {});
    const u = await getUser(st.teamId, st.aliceId);
    if (u.UserRegistrationStatus !== "Registered" || u.UserInvitationStatus !== "Accepted" || !(u.RegisteredOn instanceof Date)) {
      throw new Fail(`registered user = ${show(u)}, want Registered/Accepted with RegisteredOn`);
    }
  },
  "team.update_user": async () => {
    need(st.teamId, st.aliceId);
    const u = (await send(UpdateUserCommand, { AccountId: st.teamId, UserId: st.aliceId, LicenseType: "Basic" })).User;
    if (u?.LicenseType !== "Basic") throw new Fail(`UpdateUser returned ${show(u)}, want LicenseType Basic`);
    if ((await getUser(st.teamId, st.aliceId)).LicenseType !== "Basic") throw new Fail("GetUser after UpdateUser: LicenseType is not Basic");
  },
  "team.update_account": async () => {
    need(st.teamId);
    const name = `conf-${tag}-renamed`;
    const a = (await send(UpdateAccountCommand, { AccountId: st.teamId, Name: name, DefaultLicense: "Basic" })).Account;
    if (a?.Name !== name || a?.DefaultLicense !== "Basic") throw new Fail(`UpdateAccount returned ${show(a)}, want Name ${name} and DefaultLicense Basic`);
    if ((await send(GetAccountCommand, { AccountId: st.teamId })).Account.Name !== name) throw new Fail("GetAccount after UpdateAccount: name unchanged");
  },
  "team.update_account_bad_license": async () => {
    need(st.teamId);
    await wantError(send(UpdateAccountCommand, { AccountId: st.teamId, DefaultLicense: "Plus" }), "BadRequestException", "BadRequest");
  },
  "team.invite_active_failed": async () => {
    need(st.teamId);
    const invites = (await send(InviteUsersCommand, { AccountId: st.teamId, UserEmailList: [alice] })).Invites ?? [];
    if (invites.length !== 1 || invites[0].Status !== "Failed") throw new Fail(`inviting an active user gave ${show(invites)}, want one Invite with Status Failed`);
  },
  "team.delete_unprocessable": async () => {
    need(st.teamId);
    await wantError(send(DeleteAccountCommand, { AccountId: st.teamId }), "UnprocessableEntityException", "Unprocessable");
    await send(GetAccountCommand, { AccountId: st.teamId });
  },
  "team.remove": async () => {
    need(st.teamId, st.aliceId);
    const out = await send(BatchSuspendUserCommand, { AccountId: st.teamId, UserIdList: [st.aliceId] });
    if (show(out.UserErrors) !== "[]") throw new Fail(`UserErrors = ${show(out.UserErrors)}, want []`);
    try {
      await wantError(getUser(st.teamId, st.aliceId), "NotFoundException", "NotFound");
    } catch (e) {
      throw new Fail(`GetUser of a removed Team user: ${e.message}`);
    }
    const users = (await send(ListUsersCommand, { AccountId: st.teamId })).Users ?? [];
    if (users.some((u) => u.UserId === st.aliceId)) throw new Fail("ListUsers still lists the removed user");
  },
  "team.reinvite": async () => {
    need(st.teamId, st.aliceId);
    const invites = (await send(InviteUsersCommand, { AccountId: st.teamId, UserEmailList: [alice] })).Invites ?? [];
    if (invites.length !== 1 || invites[0].Status !== "Pending") throw new Fail(`re-invite gave ${show(invites)}, want one Pending invite`);
    const u = await userByEmail(st.teamId, alice);
    if (u.UserId !== st.aliceId || u.UserRegistrationStatus !== "Unregistered" || u.UserInvitationStatus !== "Pending") {
      throw new Fail(`re-invited user = ${show(u)}, want the same id ${st.aliceId} Unregistered/Pending`);
    }
  },
  "team.delete": async () => {
    need(st.teamId);
    const ids = ((await send(ListUsersCommand, { AccountId: st.teamId })).Users ?? []).map((u) => u.UserId);
    if (ids.length) {
      const out = await send(BatchSuspendUserCommand, { AccountId: st.teamId, UserIdList: ids });
      if (out.UserErrors?.length) throw new Fail(`removing the remaining users: UserErrors ${show(out.UserErrors)}`);
    }
    try {
      await send(DeleteAccountCommand, { AccountId: st.teamId });
    } catch (e) {
      throw new Fail(`DeleteAccount after removing every user: ${e.name}: ${e.message}`);
    }
    try {
      await wantError(send(GetAccountCommand, { AccountId: st.teamId }), "NotFoundException", "NotFound");
    } catch (e) {
      throw new Fail(`GetAccount of a deleted account: ${e.message}`);
    }
  },
  "lwa.seed": async () => {
    const acc = (await control("/_openchime/accounts", { Name: `conf-${tag}-lwa`, AccountType: "EnterpriseLWA", AwsAccountId: AWS_ACCOUNT_ID })).Account;
    const users = [0, 1, 2, 3, 4].map((i) => ({ PrimaryEmail: `u${i}.${tag}@example.com`, UserRegistrationStatus: "Registered" }));
    const seeded = (await control(`/_openchime/accounts/${acc.AccountId}/users`, { Users: users })).Users;
    const a = (await send(GetAccountCommand, { AccountId: acc.AccountId })).Account;
    if (a.AccountType !== "EnterpriseLWA") throw new Fail(`seeded account type ${a.AccountType}, want EnterpriseLWA`);
    if (seeded.length !== 5) throw new Fail(`control plane seeded ${seeded.length} users, want 5`);
    st.lwaId = acc.AccountId;
    st.lwaUsers = seeded.map((u) => u.UserId);
  },
  "lwa.suspend": async () => {
    need(st.lwaId);
    const u = st.lwaUsers;
    const out = await send(BatchSuspendUserCommand, { AccountId: st.lwaId, UserIdList: [u[0], u[1]] });
    if (show(out.UserErrors) !== "[]") throw new Fail(`UserErrors = ${show(out.UserErrors)}, want []`);
    await wantStatuses(st.lwaId, { [u[0]]: "Suspended", [u[1]]: "Suspended", [u[2]]: "Registered" });
  },
  "lwa.unsuspend_mixed": async () => {
    need(st.lwaId);
    const u = st.lwaUsers;
    wantOneNotFound(await send(BatchUnsuspendUserCommand, { AccountId: st.lwaId, UserIdList: [u[0], UNKNOWN_ID, u[0], u[2]] }));
    await wantStatuses(st.lwaId, { [u[0]]: "Registered", [u[1]]: "Suspended", [u[2]]: "Registered" });
  },
  "lwa.list_paginated": async () => {
    need(st.lwaId);
    const pages = [];
    for await (const page of paginateListUsers({ client, pageSize: 2 }, { AccountId: st.lwaId })) pages.push(page.Users ?? []);
    const ids = pages.flat().map((u) => u.UserId);
    // Users seeded in one call share a creation time, so they are listed by
    // id (decision D6): compare as sets, and check no id repeats.
    if (pages.length !== 3 || pages.some((p) => p.length > 2) || show([...ids].sort()) !== show([...st.lwaUsers].sort()) ||
        new Set(ids).size !== ids.length) {
      throw new Fail(`paginated listing: pages ${show(pages.map((p) => p.length))}, ids ${show(ids)}; want 3 pages of at most 2 with ${show(st.lwaUsers)}`);
    }
  },
  "lwa.user_errors_partial": async () => {
    need(st.lwaId);
    const u = st.lwaUsers;
    wantOneNotFound(await send(BatchSuspendUserCommand, { AccountId: st.lwaId, UserIdList: [u[3], UNKNOWN_ID] }));
    await wantStatuses(st.lwaId, { [u[3]]: "Suspended", [u[4]]: "Registered" });
  },
  "lwa.invite_forbidden": async () => {
    need(st.lwaId);
    await wantError(send(InviteUsersCommand, { AccountId: st.lwaId, UserEmailList: [`x.${tag}@example.com`] }), "ForbiddenException", "Forbidden");
  },
  "error.not_found": async () => {
    await wantError(send(GetAccountCommand, { AccountId: UNKNOWN_ID }), "NotFoundException", "NotFound");
  },
  "error.bad_request": async () => {
    await wantError(send(CreateAccountCommand, { Name: "n".repeat(101) }), "BadRequestException", "BadRequest");
  },
  "error.conflict": async () => {
    const acc = (await control("/_openchime/accounts", { Name: `conf-${tag}-directory`, AccountType: "EnterpriseDirectory", AwsAccountId: AWS_ACCOUNT_ID })).Account;
    const email = `taken.${tag}@example.com`;
    await control(`/_openchime/accounts/${acc.AccountId}/users`, { PrimaryEmail: email, UserRegistrationStatus: "Registered" });
    await wantError(send(CreateUserCommand, { AccountId: acc.AccountId, Email: email, UserType: "PrivateUser" }), "ConflictException", "Conflict");
  },
  "error.forbidden_suspended": async () => {
    const acc = (await control("/_openchime/accounts", {
      Name: `conf-${tag}-suspended`, AccountType: "EnterpriseLWA", AwsAccountId: AWS_ACCOUNT_ID, AccountStatus: "Suspended",
    })).Account;
    await wantError(send(BatchSuspendUserCommand, { AccountId: acc.AccountId, UserIdList: [UNKNOWN_ID] }), "ForbiddenException", "Forbidden");
  },
  "phone.search": async () => {
    const nums = (await send(SearchAvailablePhoneNumbersCommand, { AreaCode: AREA_CODE, MaxResults: 5 })).E164PhoneNumbers ?? [];
    const prefix = `+1${AREA_CODE}55501`;
    if (nums.length !== 5 || nums.some((n) => !n.startsWith(prefix) || n.length !== 12) || show(nums) !== show([...nums].sort())) {
      throw new Fail(`search area code ${AREA_CODE} gave ${show(nums)}, want 5 sorted numbers ${prefix}XX`);
    }
    st.found = nums;
  },
  "phone.order": async () => {
    need(st.found.length);
    const number = st.found[0];
    const out = await send(CreatePhoneNumberOrderCommand, { ProductType: "BusinessCalling", E164PhoneNumbers: [number] });
    if (out.$metadata.httpStatusCode !== 201) throw new Fail(`CreatePhoneNumberOrder: HTTP ${out.$metadata.httpStatusCode}, want 201`);
    const o = out.PhoneNumberOrder;
    if (o?.Status !== "Processing" || o.ProductType !== "BusinessCalling" || !o.PhoneNumberOrderId ||
        show(o.OrderedPhoneNumbers) !== show([{ E164PhoneNumber: number, Status: "Processing" }])) {
      throw new Fail(`new order = ${show(o)}, want Processing BusinessCalling with ${number} Processing and an id`);
    }
    // Poll as a caller would; the order completes PhoneNumberOrderDelay after
    // it was placed (0 by default: the first read shows it done).
    let g;
    for (let i = 0; i < 40; i++) {
      g = (await send(GetPhoneNumberOrderCommand, { PhoneNumberOrderId: o.PhoneNumberOrderId })).PhoneNumberOrder;
      if (g.Status !== "Processing") break;
      await new Promise((r) => setTimeout(r, 250));
    }
    if (g.Status !== "Successful" || show(g.OrderedPhoneNumbers) !== show([{ E164PhoneNumber: number, Status: "Acquired" }])) {
      throw new Fail(`order after polling = ${show(g)}, want Successful with ${number} Acquired`);
    }
    st.number = number;
    const p = await getNumber();
    if (p.PhoneNumberId !== "%2B" + number.slice(1) || p.E164PhoneNumber !== number || p.Status !== "Unassigned" ||
        p.ProductType !== "BusinessCalling" || p.Type !== "Local") {
      throw new Fail(`ordered number = ${show(p)}, want id %2B${number.slice(1)}, Unassigned, BusinessCalling, Local`);
    }
  },
  "phone.order_toll_free": async () => {
    // Nobody holds toll-free numbers in this suite, so the only reason to
    // refuse is the product type.
    await wantError(send(CreatePhoneNumberOrderCommand, { ProductType: "BusinessCalling", E164PhoneNumbers: ["+18335550100"] }), "BadRequestException", "BadRequest");
  },
  "phone.assign": async () => {
    need(st.number);
    const acc = (await control("/_openchime/accounts", { Name: `conf-${tag}-phone`, AccountType: "EnterpriseLWA", AwsAccountId: AWS_ACCOUNT_ID })).Account;
    const user = (await control(`/_openchime/accounts/${acc.AccountId}/users`, {
      Users: [{ PrimaryEmail: `caller.${tag}@example.com`, UserRegistrationStatus: "Registered" }],
    })).Users[0];
    st.phoneAccount = acc.AccountId;
    st.phoneUser = user.UserId;
    await send(AssociatePhoneNumberWithUserCommand, { AccountId: st.phoneAccount, UserId: st.phoneUser, E164PhoneNumber: st.number });
    const u = await getUser(st.phoneAccount, st.phoneUser);
    if (u.PrimaryProvisionedNumber !== st.number) throw new Fail(`GetUser PrimaryProvisionedNumber = ${u.PrimaryProvisionedNumber}, want ${st.number}`);
    const p = await getNumber();
    if (p.Status !== "Assigned" || !(p.Associations ?? []).some((a) => a.Name === "UserId" && a.Value === st.phoneUser)) {
      throw new Fail(`assigned number = ${show(p)}, want Assigned with a UserId association`);
    }
  },
  "phone.delete_assigned": async () => {
    need(st.number, st.phoneUser);
    await wantError(send(DeletePhoneNumberCommand, { PhoneNumberId: st.number }), "BadRequestException", "PhoneNumberAssociationsExist");
    if ((await getNumber()).Status !== "Assigned") throw new Fail("the refused delete changed the number");
  },
  "phone.calling_name": async () => {
    need(st.number);
    let p = (await send(UpdatePhoneNumberCommand, { PhoneNumberId: st.number, CallingName: CALLING_NAME })).PhoneNumber;
    if (p?.CallingName !== CALLING_NAME || p.CallingNameStatus !== "UpdateInProgress") {
      throw new Fail(`UpdatePhoneNumber returned ${show(p)}, want CallingName ${CALLING_NAME} UpdateInProgress`);
    }
    // The name settles 72 h later on the server clock: move the clock rather
    // than wait. Other clients only ever move it forward too.
    await control("/_openchime/clock", { Advance: "72h" });
    p = await getNumber();
    if (p.CallingName !== CALLING_NAME || p.CallingNameStatus !== "UpdateSucceeded") {
      throw new Fail(`72h later the number is ${show(p)}, want CallingName ${CALLING_NAME} UpdateSucceeded`);
    }
  },
  "phone.unassign": async () => {
    need(st.number, st.phoneUser);
    await send(DisassociatePhoneNumberFromUserCommand, { AccountId: st.phoneAccount, UserId: st.phoneUser });
    const u = await getUser(st.phoneAccount, st.phoneUser);
    if (u.PrimaryProvisionedNumber) throw new Fail(`GetUser after disassociating: PrimaryProvisionedNumber ${u.PrimaryProvisionedNumber}`);
    const p = await getNumber();
    if (p.Status !== "Unassigned" || (p.Associations ?? []).length) throw new Fail(`disassociated number = ${show(p)}, want Unassigned with no associations`);
  },
  "phone.delete": async () => {
    need(st.number);
    const out = await send(DeletePhoneNumberCommand, { PhoneNumberId: st.number });
    if (out.$metadata.httpStatusCode !== 204) throw new Fail(`DeletePhoneNumber: HTTP ${out.$metadata.httpStatusCode}, want 204`);
    const p = await getNumber();
    if (p.Status !== "DeleteInProgress" || !(p.DeletionTimestamp instanceof Date)) {
      throw new Fail(`deleted number = ${show(p)}, want DeleteInProgress with a DeletionTimestamp`);
    }
  },
  "phone.restore": async () => {
    need(st.number);
    const p = (await send(RestorePhoneNumberCommand, { PhoneNumberId: st.number })).PhoneNumber;
    if (p?.Status !== "Unassigned" || p.DeletionTimestamp || p.CallingName !== CALLING_NAME) {
      throw new Fail(`restored number = ${show(p)}, want Unassigned, no DeletionTimestamp, CallingName ${CALLING_NAME}`);
    }
  },
  "collab.bot": async () => {
    const acc = (await control("/_openchime/accounts", {
      Name: `conf-${tag}-collab`, AccountType: "EnterpriseLWA", AwsAccountId: AWS_ACCOUNT_ID, ClaimedDomains: [DOMAIN],
    })).Account;
    const users = [0, 1].map((i) => ({ PrimaryEmail: `m${i}.${tag}@${DOMAIN}`, UserRegistrationStatus: "Registered" }));
    st.members = (await control(`/_openchime/accounts/${acc.AccountId}/users`, { Users: users })).Users.map((u) => u.UserId);
    st.collabId = acc.AccountId;
    const out = await send(CreateBotCommand, { AccountId: st.collabId, DisplayName: "helper" });
    wantStatus(out, 201, "CreateBot");
    let b = out.Bot;
    const token = b?.SecurityToken ?? "";
    if (b?.DisplayName !== "helper (Bot)" || b.BotEmail !== `helper-chimebot@${DOMAIN}` || token.length !== 40 || b.Disabled !== false || !b.BotId) {
      throw new Fail(`new bot = ${show(b)}, want DisplayName 'helper (Bot)', BotEmail helper-chimebot@${DOMAIN}, a 40-character SecurityToken, not Disabled`);
    }
    st.botId = b.BotId;
    b = (await send(UpdateBotCommand, { AccountId: st.collabId, BotId: st.botId, Disabled: true })).Bot;
    if (b?.Disabled !== true) throw new Fail(`UpdateBot Disabled=true returned ${show(b)}`);
    b = (await send(RegenerateSecurityTokenCommand, { AccountId: st.collabId, BotId: st.botId })).Bot;
    if ((b?.SecurityToken ?? "").length !== 40 || b.SecurityToken === token) {
      throw new Fail(`RegenerateSecurityToken returned token ${show(b?.SecurityToken)}, want a new 40-character one`);
    }
    const url = process.env.OPENCHIME_BOT_ENDPOINT || `https://${DOMAIN}/events`; // must answer the challenge (D44)
    wantStatus(await send(PutEventsConfigurationCommand, { AccountId: st.collabId, BotId: st.botId, OutboundEventsHTTPSEndpoint: url }),
      201, "PutEventsConfiguration");
    const ec = (await send(GetEventsConfigurationCommand, { AccountId: st.collabId, BotId: st.botId })).EventsConfiguration;
    if (ec?.BotId !== st.botId || ec.OutboundEventsHTTPSEndpoint !== url || ec.LambdaFunctionArn !== undefined) {
      throw new Fail(`GetEventsConfiguration = ${show(ec)}, want BotId ${st.botId} and only OutboundEventsHTTPSEndpoint ${url}`);
    }
  },
  "collab.room": async () => {
    need(st.collabId);
    const token = `room-${tag}`;
    const out = await send(CreateRoomCommand, { AccountId: st.collabId, Name: "standup", ClientRequestToken: token });
    wantStatus(out, 201, "CreateRoom");
    const r = out.Room;
    const creator = `arn:aws:iam::${AWS_ACCOUNT_ID}:root`;
    if (r?.Name !== "standup" || r.AccountId !== st.collabId || r.CreatedBy !== creator || !r.RoomId) {
      throw new Fail(`new room = ${show(r)}, want Name standup in ${st.collabId} created by ${creator}`);
    }
    const again = (await send(CreateRoomCommand, { AccountId: st.collabId, Name: "standup", ClientRequestToken: token })).Room;
    if (again?.RoomId !== r.RoomId) throw new Fail(`CreateRoom with the same ClientRequestToken gave room ${again?.RoomId}, want ${r.RoomId}`);
    st.roomId = r.RoomId;
    const u = (await send(UpdateRoomCommand, { AccountId: st.collabId, RoomId: st.roomId, Name: "retro" })).Room;
    if (u?.Name !== "retro") throw new Fail(`UpdateRoom returned ${show(u)}, want Name retro`);
    const g = (await send(GetRoomCommand, { AccountId: st.collabId, RoomId: st.roomId })).Room;
    if (g?.RoomId !== st.roomId || g.Name !== "retro") throw new Fail(`GetRoom = ${show(g)}, want ${st.roomId} named retro`);
  },
  "collab.membership": async () => {
    need(st.roomId, st.members.length);
    const m0 = st.members[0];
    const out = await send(CreateRoomMembershipCommand, { AccountId: st.collabId, RoomId: st.roomId, MemberId: m0, Role: "Member" });
    wantStatus(out, 201, "CreateRoomMembership");
    const m = out.RoomMembership;
    if (m?.RoomId !== st.roomId || m.Role !== "Member" || m.Member?.MemberId !== m0 || m.Member.MemberType !== "User" ||
        m.Member.Email !== `m0.${tag}@${DOMAIN}`) {
      throw new Fail(`new membership = ${show(m)}, want user ${m0} (MemberType User, its email) as Member of ${st.roomId}`);
    }
    const up = (await send(UpdateRoomMembershipCommand, { AccountId: st.collabId, RoomId: st.roomId, MemberId: m0, Role: "Administrator" })).RoomMembership;
    if (up?.Role !== "Administrator") throw new Fail(`UpdateRoomMembership returned ${show(up)}, want Role Administrator`);
    const got = await membershipIds();
    if (show(got) !== show([`${m0}/Administrator`])) throw new Fail(`ListRoomMemberships = ${show(got)}, want only ${m0} as Administrator`);
  },
  "collab.batch_partial": async () => {
    need(st.roomId, st.members.length);
    const [m0, m1] = st.members;
    const out = await send(BatchCreateRoomMembershipCommand, {
      AccountId: st.collabId, RoomId: st.roomId,
      MembershipItemList: [{ MemberId: m1, Role: "Member" }, { MemberId: UNKNOWN_ID, Role: "Member" }],
    });
    wantStatus(out, 201, "BatchCreateRoomMembership");
    const e = out.Errors;
    if (!Array.isArray(e) || e.length !== 1 || e[0].MemberId !== UNKNOWN_ID || e[0].ErrorCode !== "NotFound" || !e[0].ErrorMessage) {
      throw new Fail(`Errors = ${show(e)}, want exactly one NotFound for ${UNKNOWN_ID} with a message`);
    }
    const got = (await membershipIds()).sort();
    const want = [`${m0}/Administrator`, `${m1}/Member`].sort();
    if (show(got) !== show(want)) throw new Fail(`ListRoomMemberships after the batch = ${show(got)}, want ${show(want)}`);
  },
  "collab.retention": async () => {
    need(st.collabId);
    // 60 days: the other clients move the shared clock at most 4 x 72 h, so
    // a message posted now stays inside the period.
    wantStatus(await send(PutRetentionSettingsCommand, {
      AccountId: st.collabId, RetentionSettings: { RoomRetentionSettings: { RetentionDays: 60 } },
    }), 204, "PutRetentionSettings");
    const g = await send(GetRetentionSettingsCommand, { AccountId: st.collabId });
    if (g.RetentionSettings?.RoomRetentionSettings?.RetentionDays !== 60 || !(g.InitiateDeletionTimestamp instanceof Date)) {
      throw new Fail(`GetRetentionSettings = ${show(g)}, want RoomRetentionSettings.RetentionDays 60 and an InitiateDeletionTimestamp`);
    }
  },
  "collab.redaction": async () => {
    need(st.roomId, st.members.length);
    const path = `/_openchime/accounts/${st.collabId}/rooms/${st.roomId}/messages`;
    const msg = (await control(path, { SenderId: st.members[0], Content: "oops" })).Message;
    const out = await send(RedactRoomMessageCommand, { AccountId: st.collabId, RoomId: st.roomId, MessageId: msg.MessageId });
    wantStatus(out, 200, "RedactRoomMessage");
    const got = (await control(path)).Messages.filter((m) => m.MessageId === msg.MessageId);
    if (got.length !== 1 || got[0].Redacted !== true || got[0].Content !== null) {
      throw new Fail(`the message after RedactRoomMessage = ${show(got)}, want Redacted with Content null`);
    }
  },
  "collab.team_forbidden": async () => {
    const acc = (await control("/_openchime/accounts", { Name: `conf-${tag}-collab-team`, AccountType: "Team", AwsAccountId: AWS_ACCOUNT_ID })).Account;
    await wantError(send(ListRoomsCommand, { AccountId: acc.AccountId }), "ForbiddenException", "Forbidden");
  },
  "collab.cleanup": async () => {
    need(st.roomId, st.botId, st.members.length);
    wantStatus(await send(DeleteRoomMembershipCommand, { AccountId: st.collabId, RoomId: st.roomId, MemberId: st.members[1] }), 204, "DeleteRoomMembership");
    wantStatus(await send(DeleteRoomCommand, { AccountId: st.collabId, RoomId: st.roomId }), 204, "DeleteRoom");
    try {
      await wantError(send(GetRoomCommand, { AccountId: st.collabId, RoomId: st.roomId }), "NotFoundException", "NotFound");
    } catch (e) {
      throw new Fail(`GetRoom of a deleted room: ${e.message}`);
    }
    wantStatus(await send(DeleteEventsConfigurationCommand, { AccountId: st.collabId, BotId: st.botId }), 204, "DeleteEventsConfiguration");
  },
};

const getNumber = async () => (await send(GetPhoneNumberCommand, { PhoneNumberId: st.number })).PhoneNumber;

// sigv4WrongSecret signs with the right key and a wrong secret: the server
// must refuse with a 403 InvalidSignatureException, which the Chime model does
// not define, so the SDK surfaces it as a generic ChimeServiceException.
async function sigv4WrongSecret() {
  try {
    await newClient(`not-the-${SECRET_ACCESS_KEY}`).send(new GetAccountCommand({ AccountId: UNKNOWN_ID }));
  } catch (err) {
    if (err.name !== "InvalidSignatureException" || err.$metadata?.httpStatusCode !== 403 || !err.message) {
      throw new Fail(`got ${err.name} HTTP ${err.$metadata?.httpStatusCode} ${JSON.stringify(err.message)}, want a 403 InvalidSignatureException with a message`);
    }
    return;
  }
  throw new Fail("a request signed with the wrong secret succeeded");
}

let run = Object.entries(scenarios);
if (process.env.OPENCHIME_PASS === "sigv4") {
  run = SIGV4_SCENARIOS.map((name) => {
    if (!scenarios[name]) throw new Error(`SIGV4_SCENARIOS names ${name}, which is not a scenario`);
    return [`sigv4.${name}`, scenarios[name]];
  });
  run.push(["sigv4.wrong_secret", sigv4WrongSecret]);
}

let failures = 0;
for (const [name, fn] of run) {
  const line = { client: CLIENT, scenario: name, ok: true };
  try {
    await fn();
  } catch (e) {
    line.ok = false;
    line.detail = e instanceof Fail ? e.message : `${e.name}: ${e.message}`;
    failures++;
  }
  console.log(`${line.ok ? "PASS" : "FAIL"} ${name}${line.ok ? "" : ": " + line.detail}`);
  if (process.env.OPENCHIME_RESULTS) appendFileSync(process.env.OPENCHIME_RESULTS, JSON.stringify(line) + "\n");
}
process.exit(failures ? 1 : 0);
