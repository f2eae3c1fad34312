"""The OpenChime conformance scenarios (conformance/SCENARIOS.md) for the
Python-driven clients: boto3 and the AWS CLI v1/v2.

A client is an adapter with:
  call(op, params) -> dict         the output, PascalCase keys as on the wire
                                   (raises ApiError on an error response)
  list_user_pages(account, size)   -> list of pages, each a list of user dicts,
                                   following the client's own pagination
  with_secret(secret)              -> the same adapter signing with another
                                   secret (for the SigV4 negative check)
  last_status                      the HTTP status of the last call, or None
                                   when the client does not show it
The scenarios are the same for every adapter and mirror the Go and JS suites.

Environment: OPENCHIME_ENDPOINT, OPENCHIME_RESULTS, and for the SigV4 pass
OPENCHIME_PASS=sigv4 (runs SIGV4_SCENARIOS, reported as sigv4.<name>),
OPENCHIME_ACCESS_KEY_ID / OPENCHIME_SECRET_ACCESS_KEY (the signing
credentials) and OPENCHIME_ADMIN_TOKEN (the control plane's Bearer token).
"""

import json
import os
import threading
import time
import urllib.error
import urllib.request

AWS_ACCOUNT_ID = "123456789012"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"

# With --auth none the access key is the tenancy; with --auth sigv4 the
# server's credentials file maps the key to AWS_ACCOUNT_ID.
ACCESS_KEY_ID = os.environ.get("OPENCHIME_ACCESS_KEY_ID") or AWS_ACCOUNT_ID
SECRET_ACCESS_KEY = os.environ.get("OPENCHIME_SECRET_ACCESS_KEY") or "conformance-secret"
ADMIN_TOKEN = os.environ.get("OPENCHIME_ADMIN_TOKEN", "")
SIGV4_PASS = os.environ.get("OPENCHIME_PASS") == "sigv4"

# Each client searches and orders in its own area code: the clients run side
# by side against one server, and a number is held by one AWS account only.
AREA_CODES = {"gosdk": "206", "boto3": "212", "cli-v1": "312", "cli-v2": "415", "js": "503"}
CALLING_NAME = "Conformance"

# The scenarios the SigV4 pass repeats, signed for real, plus sigv4.wrong_secret.
SIGV4_SCENARIOS = ["lwa.seed", "lwa.suspend", "lwa.unsuspend_mixed", "lwa.list_paginated", "error.not_found",
                   "phone.search", "phone.order"]


class ApiError(Exception):
    """A modelled error as the client surfaced it: the exception shape name,
    the body's Code (None when the client does not expose it) and message."""

    def __init__(self, shape, code, message):
        super().__init__(f"{shape} Code={code!r} Message={message!r}")
        self.shape, self.code, self.message = shape, code, message


class Fail(Exception):
    pass


def want_error(fn, shape, code, code_readable=True):
    try:
        fn()
    except ApiError as e:
        if e.shape != shape or (code_readable and e.code != code) or not e.message:
            raise Fail(f"got {e}, want {shape} Code={code!r} and a message")
        return
    raise Fail(f"call succeeded, want {shape}")


def control(endpoint, path, body, method="POST"):
    """Calls the control plane: POST with a JSON body, or GET when body is None."""
    headers = {"Content-Type": "application/json"}
    if ADMIN_TOKEN:
        headers["Authorization"] = "Bearer " + ADMIN_TOKEN
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(endpoint + path, data=data, method="GET" if body is None else method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            data = resp.read()
            return json.loads(data) if data else {}
    except urllib.error.HTTPError as e:
        raise Fail(f"control plane {path}: HTTP {e.code} {e.read().decode(errors='replace')}")


class Suite:
    def __init__(self, client_name, endpoint, adapter, code_readable=True):
        self.name = client_name
        self.endpoint = endpoint.rstrip("/")
        self.c = adapter
        # The CLI prints only the exception name and message, not the body's
        # Code member, so for it Code is not checked.
        self.code_readable = code_readable
        self.tag = f"{client_name.replace('-', '')}{time.time_ns() % 10**9}"
        self.alice = f"alice.{self.tag}@example.com"
        self.bob = f"bob.{self.tag}@example.com"
        self.team_id = self.alice_id = self.bob_id = self.lwa_id = None
        self.lwa_users = []
        self.area_code = AREA_CODES.get(client_name, "919")
        self.found = []
        self.number = self.phone_account = self.phone_user = None
        self.collab_id = self.bot_id = self.room_id = None
        self.members = []
        # Each client's Enterprise account claims its own domain, the default
        # of its bots' addresses (D19).
        self.domain = f"{client_name}.example"

    def call(self, op, **params):
        return self.c.call(op, params)

    def err(self, fn, shape, code):
        want_error(fn, shape, code, self.code_readable)

    def need(self, *vals):
        if not all(vals):
            raise Fail("skipped: an earlier scenario did not produce the state this one needs")

    def user_by_email(self, account, email):
        users = self.call("ListUsers", AccountId=account, UserEmail=email).get("Users", [])
        if len(users) != 1:
            raise Fail(f"ListUsers user-email={email} returned {len(users)} users, want 1")
        return users[0]

    def get_user(self, account, user):
        return self.call("GetUser", AccountId=account, UserId=user)["User"]

    def want_statuses(self, account, want):
        # One ListUsers rather than a GetUser per user: the CLIs pay a process
        # start per call. Only used on EnterpriseLWA, where suspended users
        # stay listed.
        listed = {u["UserId"]: u.get("UserRegistrationStatus") for u in self.call("ListUsers", AccountId=account).get("Users", [])}
        for uid, status in want.items():
            if listed.get(uid) != status:
                raise Fail(f"user {uid} is {listed.get(uid)}, want {status}")

    # --- Team account lifecycle -------------------------------------------

    def team_create(self):
        a = self.call("CreateAccount", Name=f"conf-{self.tag}-team")["Account"]
        if not a.get("AccountId"):
            raise Fail("CreateAccount returned no AccountId")
        got = (a.get("AccountType"), a.get("AccountStatus"), a.get("DefaultLicense"), a.get("SupportedLicenses"),
               a.get("AwsAccountId"), bool(a.get("CreatedTimestamp")))
        if got != ("Team", "Active", "Pro", ["Basic", "Pro"], AWS_ACCOUNT_ID, True):
            raise Fail(f"new Team account = {a}, want Team/Active/Pro/[Basic, Pro], AwsAccountId, CreatedTimestamp")
        g = self.call("GetAccount", AccountId=a["AccountId"])["Account"]
        if g.get("Name") != a["Name"]:
            raise Fail(f"GetAccount Name = {g.get('Name')!r}, want {a['Name']!r}")
        self.team_id = a["AccountId"]

    def team_invite(self):
        self.need(self.team_id)
        out = self.call("InviteUsers", AccountId=self.team_id, UserEmailList=[self.alice, self.bob, self.alice])
        invites = out.get("Invites", [])
        if len(invites) != 2:
            raise Fail(f"got {len(invites)} invites for 2 distinct addresses (one listed twice), want 2")
        if sorted(inv.get("EmailAddress") for inv in invites) != sorted([self.alice, self.bob]):
            raise Fail(f"invites {invites}, want one each for {self.alice} and {self.bob}")
        for inv in invites:
            if (inv.get("Status"), inv.get("EmailStatus")) != ("Pending", "Sent") or not inv.get("InviteId"):
                raise Fail(f"invite {inv}, want Pending/Sent with an InviteId")

    def team_invited_user(self):
        self.need(self.team_id)
        for email in (self.alice, self.bob):
            u = self.user_by_email(self.team_id, email)
            if (u.get("UserRegistrationStatus"), u.get("UserInvitationStatus")) != ("Unregistered", "Pending"):
                raise Fail(f"invited user {email} is {u.get('UserRegistrationStatus')}/{u.get('UserInvitationStatus')}, want Unregistered/Pending")
            if email == self.alice:
                self.alice_id = u["UserId"]
            else:
                self.bob_id = u["UserId"]

    def team_register(self):
        self.need(self.team_id, self.alice_id)
        control(self.endpoint, f"/_openchime/accounts/{self.team_id}/users/{self.alice_id}/register", {})
        u = self.get_user(self.team_id, self.alice_id)
        if (u.get("UserRegistrationStatus"), u.get("UserInvitationStatus")) != ("Registered", "Accepted") or not u.get("RegisteredOn"):
            raise Fail(f"registered user = {u}, want Registered/Accepted with RegisteredOn")

    def team_update_user(self):
        self.need(self.team_id, self.alice_id)
        u = self.call("UpdateUser", AccountId=self.team_id, UserId=self.alice_id, LicenseType="Basic").get("User") or {}
        if u.get("LicenseType") != "Basic":
            raise Fail(f"UpdateUser returned {u}, want LicenseType Basic")
        if self.get_user(self.team_id, self.alice_id).get("LicenseType") != "Basic":
            raise Fail("GetUser after UpdateUser: LicenseType is not Basic")

    def team_update_account(self):
        self.need(self.team_id)
        name = f"conf-{self.tag}-renamed"
        a = self.call("UpdateAccount", AccountId=self.team_id, Name=name, DefaultLicense="Basic").get("Account") or {}
        if a.get("Name") != name or a.get("DefaultLicense") != "Basic":
            raise Fail(f"UpdateAccount returned {a}, want Name {name} and DefaultLicense Basic")
        if self.call("GetAccount", AccountId=self.team_id)["Account"].get("Name") != name:
            raise Fail("GetAccount after UpdateAccount: name unchanged")

    def team_update_account_bad_license(self):
        self.need(self.team_id)
        self.err(lambda: self.call("UpdateAccount", AccountId=self.team_id, DefaultLicense="Plus"), "BadRequestException", "BadRequest")

    def team_invite_active_failed(self):
        self.need(self.team_id)
        invites = self.call("InviteUsers", AccountId=self.team_id, UserEmailList=[self.alice]).get("Invites", [])
        if len(invites) != 1 or invites[0].get("Status") != "Failed":
            raise Fail(f"inviting an active user gave {invites}, want one Invite with Status Failed")

    def team_delete_unprocessable(self):
        self.need(self.team_id)
        self.err(lambda: self.call("DeleteAccount", AccountId=self.team_id), "UnprocessableEntityException", "Unprocessable")
        self.call("GetAccount", AccountId=self.team_id)

    def team_remove(self):
        self.need(self.team_id, self.alice_id)
        out = self.call("BatchSuspendUser", AccountId=self.team_id, UserIdList=[self.alice_id])
        if out.get("UserErrors") != []:
            raise Fail(f"UserErrors = {out.get('UserErrors')}, want []")
        try:
            self.err(lambda: self.get_user(self.team_id, self.alice_id), "NotFoundException", "NotFound")
        except Fail as e:
            raise Fail(f"GetUser of a removed Team user: {e}")
        users = self.call("ListUsers", AccountId=self.team_id).get("Users", [])
        if any(u["UserId"] == self.alice_id for u in users):
            raise Fail("ListUsers still lists the removed user")

    def team_reinvite(self):
        self.need(self.team_id, self.alice_id)
        invites = self.call("InviteUsers", AccountId=self.team_id, UserEmailList=[self.alice]).get("Invites", [])
        if len(invites) != 1 or invites[0].get("Status") != "Pending":
            raise Fail(f"re-invite gave {invites}, want one Pending invite")
        u = self.user_by_email(self.team_id, self.alice)
        if (u["UserId"], u.get("UserRegistrationStatus"), u.get("UserInvitationStatus")) != (self.alice_id, "Unregistered", "Pending"):
            raise Fail(f"re-invited user = {u}, want the same id {self.alice_id} Unregistered/Pending")

    def team_delete(self):
        self.need(self.team_id)
        ids = [u["UserId"] for u in self.call("ListUsers", AccountId=self.team_id).get("Users", [])]
        if ids:
            out = self.call("BatchSuspendUser", AccountId=self.team_id, UserIdList=ids)
            if out.get("UserErrors"):
                raise Fail(f"removing the remaining users: UserErrors {out['UserErrors']}")
        try:
            self.call("DeleteAccount", AccountId=self.team_id)
        except ApiError as e:
            raise Fail(f"DeleteAccount after removing every user: {e}")
        try:
            self.err(lambda: self.call("GetAccount", AccountId=self.team_id), "NotFoundException", "NotFound")
        except Fail as e:
            raise Fail(f"GetAccount of a deleted account: {e}")

    # --- EnterpriseLWA account ----------------------------------------------

    def lwa_seed(self):
        acc = control(self.endpoint, "/_openchime/accounts",
                      {"Name": f"conf-{self.tag}-lwa", "AccountType": "EnterpriseLWA", "AwsAccountId": AWS_ACCOUNT_ID})["Account"]
        users = [{"PrimaryEmail": f"u{i}.{self.tag}@example.com", "UserRegistrationStatus": "Registered"} for i in range(5)]
        seeded = control(self.endpoint, f"/_openchime/accounts/{acc['AccountId']}/users", {"Users": users})["Users"]
        a = self.call("GetAccount", AccountId=acc["AccountId"])["Account"]
        if a.get("AccountType") != "EnterpriseLWA":
            raise Fail(f"seeded account type {a.get('AccountType')}, want EnterpriseLWA")
        if len(seeded) != 5:
            raise Fail(f"control plane seeded {len(seeded)} users, want 5")
        self.lwa_id = acc["AccountId"]
        self.lwa_users = [u["UserId"] for u in seeded]

    def lwa_suspend(self):
        self.need(self.lwa_id)
        u = self.lwa_users
        out = self.call("BatchSuspendUser", AccountId=self.lwa_id, UserIdList=[u[0], u[1]])
        if out.get("UserErrors") != []:
            raise Fail(f"UserErrors = {out.get('UserErrors')}, want []")
        self.want_statuses(self.lwa_id, {u[0]: "Suspended", u[1]: "Suspended", u[2]: "Registered"})

    def want_one_not_found(self, out):
        errs = out.get("UserErrors")
        if not (isinstance(errs, list) and len(errs) == 1 and errs[0].get("UserId") == UNKNOWN_ID
                and errs[0].get("ErrorCode") == "NotFound" and errs[0].get("ErrorMessage")):
            raise Fail(f"UserErrors = {errs}, want exactly one NotFound for {UNKNOWN_ID} with a message")

    def lwa_unsuspend_mixed(self):
        self.need(self.lwa_id)
        u = self.lwa_users
        self.want_one_not_found(self.call("BatchUnsuspendUser", AccountId=self.lwa_id, UserIdList=[u[0], UNKNOWN_ID, u[0], u[2]]))
        self.want_statuses(self.lwa_id, {u[0]: "Registered", u[1]: "Suspended", u[2]: "Registered"})

    def lwa_list_paginated(self):
        self.need(self.lwa_id)
        pages = self.c.list_user_pages(self.lwa_id, 2)
        ids = [u["UserId"] for p in pages for u in p]
        # Users seeded in one call share a creation time, so they are listed
        # by id (decision D6): compare as sets, and check no id repeats.
        if len(pages) != 3 or any(len(p) > 2 for p in pages) or sorted(ids) != sorted(self.lwa_users) or len(set(ids)) != len(ids):
            raise Fail(f"paginated listing: pages {[len(p) for p in pages]}, ids {ids}; want 3 pages of at most 2 with {self.lwa_users}")

    def lwa_user_errors_partial(self):
        self.need(self.lwa_id)
        u = self.lwa_users
        self.want_one_not_found(self.call("BatchSuspendUser", AccountId=self.lwa_id, UserIdList=[u[3], UNKNOWN_ID]))
        self.want_statuses(self.lwa_id, {u[3]: "Suspended", u[4]: "Registered"})

    def lwa_invite_forbidden(self):
        self.need(self.lwa_id)
        self.err(lambda: self.call("InviteUsers", AccountId=self.lwa_id, UserEmailList=[f"x.{self.tag}@example.com"]),
                 "ForbiddenException", "Forbidden")

    # --- request-level errors -----------------------------------------------

    def error_not_found(self):
        self.err(lambda: self.call("GetAccount", AccountId=UNKNOWN_ID), "NotFoundException", "NotFound")

    def error_bad_request(self):
        self.err(lambda: self.call("CreateAccount", Name="n" * 101), "BadRequestException", "BadRequest")

    def error_conflict(self):
        acc = control(self.endpoint, "/_openchime/accounts",
                      {"Name": f"conf-{self.tag}-directory", "AccountType": "EnterpriseDirectory", "AwsAccountId": AWS_ACCOUNT_ID})["Account"]
        email = f"taken.{self.tag}@example.com"
        control(self.endpoint, f"/_openchime/accounts/{acc['AccountId']}/users", {"PrimaryEmail": email, "UserRegistrationStatus": "Registered"})
        self.err(lambda: self.call("CreateUser", AccountId=acc["AccountId"], Email=email, UserType="PrivateUser"),
                 "ConflictException", "Conflict")

    def error_forbidden_suspended(self):
        acc = control(self.endpoint, "/_openchime/accounts",
                      {"Name": f"conf-{self.tag}-suspended", "AccountType": "EnterpriseLWA",
                       "AwsAccountId": AWS_ACCOUNT_ID, "AccountStatus": "Suspended"})["Account"]
        self.err(lambda: self.call("BatchSuspendUser", AccountId=acc["AccountId"], UserIdList=[UNKNOWN_ID]),
                 "ForbiddenException", "Forbidden")


    # --- telephony (AWS-account inventory; each client its own area code) --

    def status_is(self, want, what):
        got = getattr(self.c, "last_status", None)
        if got is not None and got != want:
            raise Fail(f"{what}: HTTP {got}, want {want}")

    def get_number(self):
        return self.call("GetPhoneNumber", PhoneNumberId=self.number)["PhoneNumber"]

    def phone_search(self):
        nums = self.call("SearchAvailablePhoneNumbers", AreaCode=self.area_code, MaxResults=5).get("E164PhoneNumbers", [])
        prefix = f"+1{self.area_code}55501"
        if len(nums) != 5 or any(not (n.startswith(prefix) and len(n) == 12) for n in nums) or nums != sorted(nums):
            raise Fail(f"search area code {self.area_code} gave {nums}, want 5 sorted numbers {prefix}XX")
        self.found = nums

    def phone_order(self):
        self.need(self.found)
        number = self.found[0]
        o = self.call("CreatePhoneNumberOrder", ProductType="BusinessCalling", E164PhoneNumbers=[number])["PhoneNumberOrder"]
        self.status_is(201, "CreatePhoneNumberOrder")
        if (o.get("Status"), o.get("ProductType"), o.get("OrderedPhoneNumbers")) != (
                "Processing", "BusinessCalling", [{"E164PhoneNumber": number, "Status": "Processing"}]) or not o.get("PhoneNumberOrderId"):
            raise Fail(f"new order = {o}, want Processing BusinessCalling with {number} Processing and an id")
        # Poll as a caller would; the order completes PhoneNumberOrderDelay
        # after it was placed (0 by default: the first read shows it done).
        for _ in range(40):
            g = self.call("GetPhoneNumberOrder", PhoneNumberOrderId=o["PhoneNumberOrderId"])["PhoneNumberOrder"]
            if g.get("Status") != "Processing":
                break
            time.sleep(0.25)
        if g.get("Status") != "Successful" or g.get("OrderedPhoneNumbers") != [{"E164PhoneNumber": number, "Status": "Acquired"}]:
            raise Fail(f"order after polling = {g}, want Successful with {number} Acquired")
        self.number = number
        p = self.get_number()
        if (p.get("PhoneNumberId"), p.get("E164PhoneNumber"), p.get("Status"), p.get("ProductType"), p.get("Type")) != (
                "%2B" + number[1:], number, "Unassigned", "BusinessCalling", "Local"):
            raise Fail(f"ordered number = {p}, want id %2B{number[1:]}, Unassigned, BusinessCalling, Local")

    def phone_order_toll_free(self):
        # Nobody holds toll-free numbers in this suite, so the only reason to
        # refuse is the product type.
        self.err(lambda: self.call("CreatePhoneNumberOrder", ProductType="BusinessCalling", E164PhoneNumbers=["+18335550100"]),
                 "BadRequestException", "BadRequest")

    def phone_assign(self):
        self.need(self.number)
        acc = control(self.endpoint, "/_openchime/accounts",
                      {"Name": f"conf-{self.tag}-phone", "AccountType": "EnterpriseLWA", "AwsAccountId": AWS_ACCOUNT_ID})["Account"]
        user = control(self.endpoint, f"/_openchime/accounts/{acc['AccountId']}/users",
                       {"Users": [{"PrimaryEmail": f"caller.{self.tag}@example.com", "UserRegistrationStatus": "Registered"}]})["Users"][0]
        self.phone_account, self.phone_user = acc["AccountId"], user["UserId"]
        self.call("AssociatePhoneNumberWithUser", AccountId=self.phone_account, UserId=self.phone_user, E164PhoneNumber=self.number)
        u = self.get_user(self.phone_account, self.phone_user)
        if u.get("PrimaryProvisionedNumber") != self.number:
            raise Fail(f"GetUser PrimaryProvisionedNumber = {u.get('PrimaryProvisionedNumber')!r}, want {self.number}")
        p = self.get_number()
        assoc = {(a.get("Name"), a.get("Value")) for a in p.get("Associations", [])}
        if p.get("Status") != "Assigned" or ("UserId", self.phone_user) not in assoc:
            raise Fail(f"assigned number = {p}, want Assigned with a UserId association")

    def phone_delete_assigned(self):
        self.need(self.number, self.phone_user)
        self.err(lambda: self.call("DeletePhoneNumber", PhoneNumberId=self.number), "BadRequestException", "PhoneNumberAssociationsExist")
        if self.get_number().get("Status") != "Assigned":
            raise Fail("the refused delete changed the number")

    def phone_calling_name(self):
        self.need(self.number)
        p = self.call("UpdatePhoneNumber", PhoneNumberId=self.number, CallingName=CALLING_NAME)["PhoneNumber"]
        if (p.get("CallingName"), p.get("CallingNameStatus")) != (CALLING_NAME, "UpdateInProgress"):
            raise Fail(f"UpdatePhoneNumber returned {p}, want CallingName {CALLING_NAME} UpdateInProgress")
        # The name settles 72 h later on the server clock: move the clock
        # rather than wait. Other clients only ever move it forward too.
        control(self.endpoint, "/_openchime/clock", {"Advance": "72h"})
        p = self.get_number()
        if (p.get("CallingName"), p.get("CallingNameStatus")) != (CALLING_NAME, "UpdateSucceeded"):
            raise Fail(f"72h later the number is {p}, want CallingName {CALLING_NAME} UpdateSucceeded")

    def phone_unassign(self):
        self.need(self.number, self.phone_user)
        self.call("DisassociatePhoneNumberFromUser", AccountId=self.phone_account, UserId=self.phone_user)
        u = self.get_user(self.phone_account, self.phone_user)
        if u.get("PrimaryProvisionedNumber"):
            raise Fail(f"GetUser after disassociating: PrimaryProvisionedNumber {u['PrimaryProvisionedNumber']!r}")
        p = self.get_number()
        if p.get("Status") != "Unassigned" or p.get("Associations"):
            raise Fail(f"disassociated number = {p}, want Unassigned with no associations")

    def phone_delete(self):
        self.need(self.number)
        self.call("DeletePhoneNumber", PhoneNumberId=self.number)
        self.status_is(204, "DeletePhoneNumber")
        p = self.get_number()
        if p.get("Status") != "DeleteInProgress" or not p.get("DeletionTimestamp"):
            raise Fail(f"deleted number = {p}, want DeleteInProgress with a DeletionTimestamp")

    def phone_restore(self):
        self.need(self.number)
        p = self.call("RestorePhoneNumber", PhoneNumberId=self.number)["PhoneNumber"]
        if p.get("Status") != "Unassigned" or p.get("DeletionTimestamp") or p.get("CallingName") != CALLING_NAME:
            raise Fail(f"restored number = {p}, want Unassigned, no DeletionTimestamp, CallingName {CALLING_NAME}")

    # --- collaboration: bots, rooms, memberships, retention, redaction ----

    def collab_bot(self):
        acc = control(self.endpoint, "/_openchime/accounts",
                      {"Name": f"conf-{self.tag}-collab", "AccountType": "EnterpriseLWA", "AwsAccountId": AWS_ACCOUNT_ID,
                       "ClaimedDomains": [self.domain]})["Account"]
        users = [{"PrimaryEmail": f"m{i}.{self.tag}@{self.domain}", "UserRegistrationStatus": "Registered"} for i in range(2)]
        self.members = [u["UserId"] for u in control(self.endpoint, f"/_openchime/accounts/{acc['AccountId']}/users", {"Users": users})["Users"]]
        self.collab_id = acc["AccountId"]
        b = self.call("CreateBot", AccountId=self.collab_id, DisplayName="helper")["Bot"]
        self.status_is(201, "CreateBot")
        token = b.get("SecurityToken") or ""
        if (b.get("DisplayName"), b.get("BotEmail"), len(token), b.get("Disabled")) != (
                "helper (Bot)", f"helper-chimebot@{self.domain}", 40, False) or not b.get("BotId"):
            raise Fail(f"new bot = {b}, want DisplayName 'helper (Bot)', BotEmail helper-chimebot@{self.domain}, a 40-character SecurityToken, not Disabled")
        self.bot_id = b["BotId"]
        b = self.call("UpdateBot", AccountId=self.collab_id, BotId=self.bot_id, Disabled=True)["Bot"]
        if b.get("Disabled") is not True:
            raise Fail(f"UpdateBot Disabled=true returned {b}")
        b = self.call("RegenerateSecurityToken", AccountId=self.collab_id, BotId=self.bot_id)["Bot"]
        if len(b.get("SecurityToken") or "") != 40 or b["SecurityToken"] == token:
            raise Fail(f"RegenerateSecurityToken returned token {b.get('SecurityToken')!r}, want a new 40-character one")
        # The endpoint must answer the verification challenge (D44): conformance.sh
        # runs one; without it, a name that never resolves fails PutEventsConfiguration.
        url = os.environ.get("OPENCHIME_BOT_ENDPOINT") or f"https://{self.domain}/events"
        self.call("PutEventsConfiguration", AccountId=self.collab_id, BotId=self.bot_id, OutboundEventsHTTPSEndpoint=url)
        self.status_is(201, "PutEventsConfiguration")
        ec = self.call("GetEventsConfiguration", AccountId=self.collab_id, BotId=self.bot_id).get("EventsConfiguration") or {}
        if (ec.get("BotId"), ec.get("OutboundEventsHTTPSEndpoint"), ec.get("LambdaFunctionArn")) != (self.bot_id, url, None):
            raise Fail(f"GetEventsConfiguration = {ec}, want BotId {self.bot_id} and only OutboundEventsHTTPSEndpoint {url}")

    def collab_room(self):
        self.need(self.collab_id)
        token = f"room-{self.tag}"
        r = self.call("CreateRoom", AccountId=self.collab_id, Name="standup", ClientRequestToken=token)["Room"]
        self.status_is(201, "CreateRoom")
        if (r.get("Name"), r.get("AccountId"), r.get("CreatedBy")) != ("standup", self.collab_id, f"arn:aws:iam::{AWS_ACCOUNT_ID}:root") or not r.get("RoomId"):
            raise Fail(f"new room = {r}, want Name standup in {self.collab_id} created by arn:aws:iam::{AWS_ACCOUNT_ID}:root")
        again = self.call("CreateRoom", AccountId=self.collab_id, Name="standup", ClientRequestToken=token)["Room"]
        if again.get("RoomId") != r["RoomId"]:
            raise Fail(f"CreateRoom with the same ClientRequestToken gave room {again.get('RoomId')}, want {r['RoomId']}")
        self.room_id = r["RoomId"]
        u = self.call("UpdateRoom", AccountId=self.collab_id, RoomId=self.room_id, Name="retro")["Room"]
        if u.get("Name") != "retro":
            raise Fail(f"UpdateRoom returned {u}, want Name retro")
        g = self.call("GetRoom", AccountId=self.collab_id, RoomId=self.room_id)["Room"]
        if (g.get("RoomId"), g.get("Name")) != (self.room_id, "retro"):
            raise Fail(f"GetRoom = {g}, want {self.room_id} named retro")

    def collab_membership(self):
        self.need(self.room_id, self.members)
        m0 = self.members[0]
        m = self.call("CreateRoomMembership", AccountId=self.collab_id, RoomId=self.room_id, MemberId=m0, Role="Member")["RoomMembership"]
        self.status_is(201, "CreateRoomMembership")
        mem = m.get("Member") or {}
        if (m.get("RoomId"), m.get("Role"), mem.get("MemberId"), mem.get("MemberType"), mem.get("Email")) != (
                self.room_id, "Member", m0, "User", f"m0.{self.tag}@{self.domain}"):
            raise Fail(f"new membership = {m}, want user {m0} (MemberType User, its email) as Member of {self.room_id}")
        m = self.call("UpdateRoomMembership", AccountId=self.collab_id, RoomId=self.room_id, MemberId=m0, Role="Administrator")["RoomMembership"]
        if m.get("Role") != "Administrator":
            raise Fail(f"UpdateRoomMembership returned {m}, want Role Administrator")
        listed = self.call("ListRoomMemberships", AccountId=self.collab_id, RoomId=self.room_id).get("RoomMemberships", [])
        if [((x.get("Member") or {}).get("MemberId"), x.get("Role")) for x in listed] != [(m0, "Administrator")]:
            raise Fail(f"ListRoomMemberships = {listed}, want only {m0} as Administrator")

    def collab_batch_partial(self):
        self.need(self.room_id, self.members)
        m1 = self.members[1]
        out = self.call("BatchCreateRoomMembership", AccountId=self.collab_id, RoomId=self.room_id,
                        MembershipItemList=[{"MemberId": m1, "Role": "Member"}, {"MemberId": UNKNOWN_ID, "Role": "Member"}])
        self.status_is(201, "BatchCreateRoomMembership")
        errs = out.get("Errors")
        if not (isinstance(errs, list) and len(errs) == 1 and errs[0].get("MemberId") == UNKNOWN_ID
                and errs[0].get("ErrorCode") == "NotFound" and errs[0].get("ErrorMessage")):
            raise Fail(f"Errors = {errs}, want exactly one NotFound for {UNKNOWN_ID} with a message")
        listed = self.call("ListRoomMemberships", AccountId=self.collab_id, RoomId=self.room_id).get("RoomMemberships", [])
        if sorted((x.get("Member") or {}).get("MemberId") for x in listed) != sorted(self.members):
            raise Fail(f"ListRoomMemberships after the batch = {listed}, want both seeded users")

    def collab_retention(self):
        self.need(self.collab_id)
        # 60 days: the other clients move the shared clock at most 4 x 72 h,
        # so a message posted now stays inside the period.
        self.call("PutRetentionSettings", AccountId=self.collab_id, RetentionSettings={"RoomRetentionSettings": {"RetentionDays": 60}})
        self.status_is(204, "PutRetentionSettings")
        g = self.call("GetRetentionSettings", AccountId=self.collab_id)
        days = ((g.get("RetentionSettings") or {}).get("RoomRetentionSettings") or {}).get("RetentionDays")
        if days != 60 or not g.get("InitiateDeletionTimestamp"):
            raise Fail(f"GetRetentionSettings = {g}, want RoomRetentionSettings.RetentionDays 60 and an InitiateDeletionTimestamp")

    def collab_redaction(self):
        self.need(self.room_id, self.members)
        path = f"/_openchime/accounts/{self.collab_id}/rooms/{self.room_id}/messages"
        msg = control(self.endpoint, path, {"SenderId": self.members[0], "Content": "oops"})["Message"]
        out = self.call("RedactRoomMessage", AccountId=self.collab_id, RoomId=self.room_id, MessageId=msg["MessageId"])
        self.status_is(200, "RedactRoomMessage")
        if out:
            raise Fail(f"RedactRoomMessage returned {out}, want an empty body")
        got = [m for m in control(self.endpoint, path, None)["Messages"] if m.get("MessageId") == msg["MessageId"]]
        if len(got) != 1 or got[0].get("Redacted") is not True or got[0].get("Content") is not None:
            raise Fail(f"the message after RedactRoomMessage = {got}, want Redacted with Content null")

    def collab_team_forbidden(self):
        acc = control(self.endpoint, "/_openchime/accounts",
                      {"Name": f"conf-{self.tag}-collab-team", "AccountType": "Team", "AwsAccountId": AWS_ACCOUNT_ID})["Account"]
        self.err(lambda: self.call("ListRooms", AccountId=acc["AccountId"]), "ForbiddenException", "Forbidden")

    def collab_cleanup(self):
        self.need(self.room_id, self.bot_id, self.members)
        self.call("DeleteRoomMembership", AccountId=self.collab_id, RoomId=self.room_id, MemberId=self.members[1])
        self.status_is(204, "DeleteRoomMembership")
        self.call("DeleteRoom", AccountId=self.collab_id, RoomId=self.room_id)
        self.status_is(204, "DeleteRoom")
        try:
            self.err(lambda: self.call("GetRoom", AccountId=self.collab_id, RoomId=self.room_id), "NotFoundException", "NotFound")
        except Fail as e:
            raise Fail(f"GetRoom of a deleted room: {e}")
        self.call("DeleteEventsConfiguration", AccountId=self.collab_id, BotId=self.bot_id)
        self.status_is(204, "DeleteEventsConfiguration")

    # --- SigV4 pass only ----------------------------------------------------

    def sigv4_wrong_secret(self):
        bad = self.c.with_secret("not-the-" + SECRET_ACCESS_KEY)
        try:
            bad.call("GetAccount", {"AccountId": UNKNOWN_ID})
        except ApiError as e:
            if e.shape.removeprefix("untyped ") != "InvalidSignatureException" or not e.message:
                raise Fail(f"got {e}, want InvalidSignatureException with a message")
            return
        raise Fail("a request signed with the wrong secret succeeded")

    SCENARIOS = [
        ("team.create", team_create),
        ("team.invite", team_invite),
        ("team.invited_user", team_invited_user),
        ("team.register", team_register),
        ("team.update_user", team_update_user),
        ("team.update_account", team_update_account),
        ("team.update_account_bad_license", team_update_account_bad_license),
        ("team.invite_active_failed", team_invite_active_failed),
        ("team.delete_unprocessable", team_delete_unprocessable),
        ("team.remove", team_remove),
        ("team.reinvite", team_reinvite),
        ("team.delete", team_delete),
        ("lwa.seed", lwa_seed),
        ("lwa.suspend", lwa_suspend),
        ("lwa.unsuspend_mixed", lwa_unsuspend_mixed),
        ("lwa.list_paginated", lwa_list_paginated),
        ("lwa.user_errors_partial", lwa_user_errors_partial),
        ("lwa.invite_forbidden", lwa_invite_forbidden),
        ("error.not_found", error_not_found),
        ("error.bad_request", error_bad_request),
        ("error.conflict", error_conflict),
        ("error.forbidden_suspended", error_forbidden_suspended),
        ("phone.search", phone_search),
        ("phone.order", phone_order),
        ("phone.order_toll_free", phone_order_toll_free),
        ("phone.assign", phone_assign),
        ("phone.delete_assigned", phone_delete_assigned),
        ("phone.calling_name", phone_calling_name),
        ("phone.unassign", phone_unassign),
        ("phone.delete", phone_delete),
        ("phone.restore", phone_restore),
        ("collab.bot", collab_bot),
        ("collab.room", collab_room),
        ("collab.membership", collab_membership),
        ("collab.batch_partial", collab_batch_partial),
        ("collab.retention", collab_retention),
        ("collab.redaction", collab_redaction),
        ("collab.team_forbidden", collab_team_forbidden),
        ("collab.cleanup", collab_cleanup),
    ]

    def selected(self):
        """The (reported name, group, fn) list of this pass: every scenario,
        or in the SigV4 pass the SIGV4_SCENARIOS as sigv4.<name> plus
        sigv4.wrong_secret."""
        if not SIGV4_PASS:
            return [(name, name.split(".")[0], fn) for name, fn in self.SCENARIOS]
        by_name = dict(self.SCENARIOS)
        out = [("sigv4." + n, n.split(".")[0], by_name[n]) for n in SIGV4_SCENARIOS]
        return out + [("sigv4.wrong_secret", "sigv4", Suite.sigv4_wrong_secret)]

    def run(self, parallel_groups=False):
        """Runs every scenario, appends a JSON line per scenario to
        $OPENCHIME_RESULTS (when set), prints a line each, returns the number
        of failures. Scenarios run in order within a group (the prefix before
        the dot: team, lwa, error, phone, collab); the groups share no state, so with
        parallel_groups they run side by side, which the CLIs, paying a
        process start per call, use to keep CI time down."""
        results = os.environ.get("OPENCHIME_RESULTS")
        lock = threading.Lock()
        failures = []

        def run_group(group):
            for name, fn in group:
                try:
                    fn(self)
                    line = {"client": self.name, "scenario": name, "ok": True}
                except (Fail, ApiError) as e:
                    line = {"client": self.name, "scenario": name, "ok": False, "detail": str(e)}
                except Exception as e:  # a client-side surprise is a failure too
                    line = {"client": self.name, "scenario": name, "ok": False, "detail": f"{type(e).__name__}: {e}"}
                with lock:
                    if not line["ok"]:
                        failures.append(name)
                    print(("PASS " if line["ok"] else "FAIL ") + name + ("" if line["ok"] else ": " + line["detail"]), flush=True)
                    if results:
                        with open(results, "a") as f:
                            f.write(json.dumps(line) + "\n")

        groups = {}
        for name, group, fn in self.selected():
            groups.setdefault(group, []).append((name, fn))
        if not parallel_groups:
            for g in groups.values():
                run_group(g)
            return len(failures)
        threads = [threading.Thread(target=run_group, args=(g,)) for g in groups.values()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return len(failures)
