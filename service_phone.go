package openchime

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

func phoneNotFound(id string) error {
	return Errorf(NotFound, "The phone number %s was not found in this AWS account.", id)
}

// AwsAccountSettings are the control-plane settings of one AWS account
// (decision D28 and the per-account limits of D41).
type AwsAccountSettings struct {
	AwsAccountID           string
	PhoneNumbersRestricted bool
	MaxPhoneNumbers        int `json:",omitempty"`
}

func (s *Service) awsSettings(ctx context.Context, tx ReadTx, aws string) (AwsAccountSettings, error) {
	st := AwsAccountSettings{AwsAccountID: aws}
	_, err := getDoc(ctx, tx, kindAwsAccount, aws, &st)
	if IsCode(err, NotFound) {
		return st, nil
	}
	return st, err
}

// checkRestricted answers AccessDenied for an AWS account restricted from
// phone numbers (decision D28).
func (s *Service) checkRestricted(ctx context.Context, tx ReadTx, aws string) error {
	st, err := s.awsSettings(ctx, tx, aws)
	if err != nil {
		return err
	}
	if st.PhoneNumbersRestricted {
		return Errorf(AccessDenied, "Service is restricted for AWSAccountId %s", aws)
	}
	return nil
}

// heldNumber returns the number (any tenant's) as it stands now, or NotFound
// when nobody holds it.
func (s *Service) heldNumber(ctx context.Context, tx ReadTx, e164 string) (*PhoneNumber, error) {
	var p PhoneNumber
	if _, err := getDoc(ctx, tx, kindPhoneNumber, e164, &p); err != nil {
		return nil, err
	}
	e, ok := p.effective(s.now())
	if !ok {
		return nil, phoneNotFound(e164)
	}
	return e, nil
}

// ownNumber returns one of the caller's numbers by any accepted id form;
// another tenant's number is NotFound, exactly as one that does not exist
// (decision D13).
func (s *Service) ownNumber(ctx context.Context, tx ReadTx, id string) (*PhoneNumber, error) {
	e164, ok := NormalizePhoneID(id)
	if !ok {
		return nil, phoneNotFound(id)
	}
	p, err := s.heldNumber(ctx, tx, e164)
	if IsCode(err, NotFound) || (err == nil && p.AwsAccountID != s.awsAccount(ctx)) {
		return nil, phoneNotFound(id)
	}
	return p, err
}

func (s *Service) putNumber(ctx context.Context, tx Tx, p *PhoneNumber) error {
	return putDoc(ctx, tx, kindPhoneNumber, p.E164, p.AwsAccountID, p.CreatedAt, p)
}

// SearchInput filters SearchAvailablePhoneNumbers.
type SearchInput struct {
	AreaCode, City, Country, State, TollFreePrefix, PhoneNumberType string
	Page
}

var areaCodePattern = regexp.MustCompile(`^[2-9][0-9]{2}$`)

// SearchAvailablePhoneNumbers searches the synthetic pool (decision D26).
func (s *Service) SearchAvailablePhoneNumbers(ctx context.Context, in SearchInput) ([]string, string, error) {
	country := in.Country
	if country == "" {
		country = "US"
	}
	var candidates []string
	if country != "US" {
		if in.PhoneNumberType == "" || in.AreaCode != "" || in.City != "" || in.State != "" || in.TollFreePrefix != "" {
			return nil, "", Errorf(BadRequest, "A search outside the US takes PhoneNumberType and no other filter.")
		}
		// Whether the country and type are offered is checked in the
		// transaction, which reads the configuration. No synthetic pool
		// outside the NANP by default: the search is empty.
	} else {
		switch {
		case in.AreaCode == "" && in.City == "" && in.State == "" && in.TollFreePrefix == "":
			return nil, "", Errorf(BadRequest, "A US search needs at least one of AreaCode, City, State or TollFreePrefix.")
		case in.City != "" && in.State == "":
			return nil, "", Errorf(BadRequest, "City needs State.")
		case in.TollFreePrefix != "" && (in.AreaCode != "" || in.City != "" || in.State != ""):
			return nil, "", Errorf(BadRequest, "TollFreePrefix cannot be combined with AreaCode, City or State.")
		case in.TollFreePrefix != "" && in.PhoneNumberType == "Local":
			return nil, "", Errorf(BadRequest, "PhoneNumberType Local cannot be combined with TollFreePrefix.")
		case in.AreaCode != "" && !areaCodePattern.MatchString(in.AreaCode):
			return nil, "", Errorf(BadRequest, "AreaCode %q must be three digits, the first 2-9.", in.AreaCode)
		}
		var codes []string
		switch {
		case in.TollFreePrefix != "":
			if in.TollFreePrefix != "800" { // 800 is never available (D26)
				codes = []string{in.TollFreePrefix}
			}
		case in.AreaCode != "":
			codes = []string{in.AreaCode}
			if in.State != "" {
				if _, ok := stateAreaCodes[strings.ToUpper(in.State)]; !ok {
					return nil, "", Errorf(BadRequest, "State %q is not a US state code.", in.State)
				}
			}
		default:
			state := strings.ToUpper(in.State)
			stateCodes, ok := stateAreaCodes[state]
			if !ok {
				return nil, "", Errorf(BadRequest, "State %q is not a US state code.", in.State)
			}
			codes = stateCodes
			if in.City != "" {
				if c, ok := cityAreaCodes[state+"/"+strings.ToLower(in.City)]; ok {
					codes = c
				}
			}
		}
		if in.PhoneNumberType == "TollFree" && in.TollFreePrefix == "" {
			codes = nil
		}
		for _, npa := range codes {
			for line := 100; line <= 199; line++ {
				candidates = append(candidates, fmt.Sprintf("+1%s555%04d", npa, line))
			}
		}
		sort.Strings(candidates)
	}
	limit := in.MaxResults
	if limit <= 0 {
		limit = 10
	}
	scope := "search\x00" + strings.Join([]string{country, in.AreaCode, in.City, in.State, in.TollFreePrefix, in.PhoneNumberType}, "\x00")
	var after string
	if in.NextToken != "" {
		c, err := decodeToken(scope, in.NextToken)
		if err != nil {
			return nil, "", err
		}
		after = c.ID
	}
	var out []string
	next := ""
	err := s.Store.View(ctx, func(tx ReadTx) error {
		out = out[:0]
		if country != "US" {
			cfg, err := s.phoneConfig(ctx, tx)
			if err != nil {
				return err
			}
			supported := false
			for _, product := range []string{BusinessCalling, VoiceConnector, SipMediaApplicationDialIn} {
				supported = supported || cfg.supports(product, country, in.PhoneNumberType)
			}
			if !supported {
				return Errorf(BadRequest, "Phone numbers of country %s and type %s are not offered.", country, in.PhoneNumberType)
			}
		}
		if err := s.checkRestricted(ctx, tx, s.awsAccount(ctx)); err != nil {
			return err
		}
		for _, n := range candidates {
			if n <= after {
				continue
			}
			if _, err := s.heldNumber(ctx, tx, n); err == nil {
				continue // held by some tenant
			} else if !IsCode(err, NotFound) {
				return err
			}
			if len(out) == limit {
				next = encodeToken(scope, Cursor{ID: out[len(out)-1]})
				break
			}
			out = append(out, n)
		}
		return nil
	})
	return out, next, err
}

// ListSupportedPhoneNumberCountries lists the D27 table for a product.
func (s *Service) ListSupportedPhoneNumberCountries(ctx context.Context, product string) ([]CountryTypes, error) {
	var cfg *PhoneConfig
	err := s.Store.View(ctx, func(tx ReadTx) (err error) {
		if err := s.checkRestricted(ctx, tx, s.awsAccount(ctx)); err != nil {
			return err
		}
		cfg, err = s.phoneConfig(ctx, tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return cfg.SupportedCountriesFor(product), nil
}

// PhoneOrderView is an order as it stands at the time it was read.
type PhoneOrderView struct {
	ID          string
	ProductType string
	Status      string
	Numbers     []OrderedNumberStatus
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (s *Service) viewOrder(o *PhoneOrder) *PhoneOrderView {
	status, numbers, updated := o.State(s.now())
	return &PhoneOrderView{ID: o.ID, ProductType: o.ProductType, Status: status, Numbers: numbers, CreatedAt: o.CreatedAt, UpdatedAt: updated}
}

// inventoryCount counts the numbers an AWS account holds now.
func (s *Service) inventoryCount(ctx context.Context, tx ReadTx, aws string) (int, error) {
	list, err := tx.Resources(ctx, ResourceFilter{Kind: kindPhoneNumber, Scope: aws})
	if err != nil {
		return 0, err
	}
	n := 0
	now := s.now()
	for _, r := range list {
		var p PhoneNumber
		if decodeDoc(r, &p) == nil {
			if _, ok := p.effective(now); ok {
				n++
			}
		}
	}
	return n, nil
}

func numberLimit(cfg *PhoneConfig, st AwsAccountSettings) int {
	if st.MaxPhoneNumbers > 0 {
		return st.MaxPhoneNumbers
	}
	return cfg.MaxPhoneNumbers
}

// checkProduct applies the product rules of CreatePhoneNumberOrder and
// UpdatePhoneNumber (toll-free is not BusinessCalling, outside the US only
// SipMediaApplicationDialIn) and the D27 table.
func checkProduct(cfg *PhoneConfig, product, e164 string) error {
	country, typ := numberKind(e164)
	switch {
	case typ == "TollFree" && product == BusinessCalling:
		return Errorf(BadRequest, "Toll-free number %s cannot have product type BusinessCalling.", e164)
	case country != "US" && product != SipMediaApplicationDialIn:
		return Errorf(BadRequest, "Number %s is outside the US; only SipMediaApplicationDialIn can use it.", e164)
	case !cfg.supports(product, country, typ):
		return Errorf(BadRequest, "%s numbers of country %s and type %s are not offered.", product, country, typ)
	}
	return nil
}

// CreatePhoneNumberOrder orders numbers (decision D29): the request is checked
// whole, the order answers Processing, and the numbers enter the inventory at
// once as AcquireInProgress until the order completes.
func (s *Service) CreatePhoneNumberOrder(ctx context.Context, product string, numbers []string) (*PhoneOrderView, error) {
	if len(numbers) == 0 {
		return nil, Errorf(BadRequest, "E164PhoneNumbers must list at least one number.")
	}
	aws := s.awsAccount(ctx)
	now := s.now()
	var list []string
	seen := map[string]bool{}
	for _, n := range numbers {
		e164, ok := NormalizePhoneID(n)
		if !ok {
			return nil, Errorf(BadRequest, "%q is not an E.164 phone number.", n)
		}
		if !seen[e164] {
			seen[e164] = true
			list = append(list, e164)
		}
	}
	order := &PhoneOrder{ID: s.IDs.UUID(), AwsAccountID: aws, ProductType: product, CreatedAt: now, UpdatedAt: now}
	err := s.Store.Update(ctx, func(tx Tx) error {
		order.Numbers = order.Numbers[:0]
		cfg, err := s.phoneConfig(ctx, tx)
		if err != nil {
			return err
		}
		order.DueAt = now.Add(time.Duration(cfg.PhoneNumberOrderDelay))
		st, err := s.awsSettings(ctx, tx, aws)
		if err != nil {
			return err
		}
		if st.PhoneNumbersRestricted {
			return Errorf(AccessDenied, "Service is restricted for AWSAccountId %s", aws)
		}
		for _, e164 := range list {
			if err := checkProduct(cfg, product, e164); err != nil {
				return err
			}
			if _, err := s.heldNumber(ctx, tx, e164); err == nil {
				return Errorf(BadRequest, "The phone number %s is not available.", e164)
			} else if !IsCode(err, NotFound) {
				return err
			}
		}
		if limit := numberLimit(cfg, st); limit > 0 {
			n, err := s.inventoryCount(ctx, tx, aws)
			if err != nil {
				return err
			}
			if n+len(list) > limit {
				return Errorf(ResourceLimitExceeded, "The order would hold %d phone numbers; the limit is %d.", n+len(list), limit)
			}
		}
		for _, e164 := range list {
			fails := !inSyntheticPool(e164)
			order.Numbers = append(order.Numbers, OrderedNumber{E164: e164, Fails: fails})
			country, typ := numberKind(e164)
			p := &PhoneNumber{E164: e164, AwsAccountID: aws, Country: country, Type: typ, ProductType: product,
				Status: PhoneAcquireInProgress, Capabilities: capabilitiesFor(typ), Associations: []PhoneAssociation{},
				CallingNameStatus: "Unassigned", CreatedAt: now, UpdatedAt: now, AcquireDue: order.DueAt,
				AcquireFails: fails, OrderID: order.ID}
			if err := s.putNumber(ctx, tx, p); err != nil {
				return err
			}
		}
		return putDoc(ctx, tx, kindPhoneOrder, order.ID, aws, now, order)
	})
	if err != nil {
		return nil, err
	}
	// The answer to the create call always says Processing (D40).
	v := &PhoneOrderView{ID: order.ID, ProductType: product, Status: "Processing", CreatedAt: now, UpdatedAt: now}
	for _, n := range order.Numbers {
		v.Numbers = append(v.Numbers, OrderedNumberStatus{n.E164, "Processing"})
	}
	return v, nil
}

// GetPhoneNumberOrder returns one of the caller's orders.
func (s *Service) GetPhoneNumberOrder(ctx context.Context, id string) (*PhoneOrderView, error) {
	var o PhoneOrder
	err := s.Store.View(ctx, func(tx ReadTx) error {
		_, err := getDoc(ctx, tx, kindPhoneOrder, id, &o)
		if IsCode(err, NotFound) || (err == nil && o.AwsAccountID != s.awsAccount(ctx)) {
			return Errorf(NotFound, "The phone number order %s was not found.", id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.viewOrder(&o), nil
}

// ListPhoneNumberOrders lists the caller's orders in creation order (D29, D35).
func (s *Service) ListPhoneNumberOrders(ctx context.Context, p Page) ([]*PhoneOrderView, string, error) {
	aws := s.awsAccount(ctx)
	var orders []*PhoneOrder
	var next string
	err := s.Store.View(ctx, func(tx ReadTx) (err error) {
		orders, next, err = listPage[PhoneOrder](ctx, tx, kindPhoneOrder, aws, p, 99, "phone-orders\x00"+aws)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out := make([]*PhoneOrderView, len(orders))
	for i, o := range orders {
		out[i] = s.viewOrder(o)
	}
	return out, next, nil
}

// GetPhoneNumber returns one of the caller's numbers as it stands now.
func (s *Service) GetPhoneNumber(ctx context.Context, id string) (*PhoneNumber, error) {
	var p *PhoneNumber
	err := s.Store.View(ctx, func(tx ReadTx) (err error) {
		p, err = s.ownNumber(ctx, tx, id)
		return err
	})
	return p, err
}

// ListPhoneNumbersInput filters ListPhoneNumbers (decision D35).
type ListPhoneNumbersInput struct {
	Status, ProductType, FilterName, FilterValue string
	Page
}

// ListPhoneNumbers lists the caller's numbers, every status included unless
// filtered, in creation order.
func (s *Service) ListPhoneNumbers(ctx context.Context, in ListPhoneNumbersInput) ([]*PhoneNumber, string, error) {
	if (in.FilterName == "") != (in.FilterValue == "") {
		return nil, "", Errorf(BadRequest, "filter-name and filter-value must be given together.")
	}
	aws := s.awsAccount(ctx)
	scope := "phone-numbers\x00" + aws + "\x00" + in.Status + "\x00" + in.ProductType + "\x00" + in.FilterName + "\x00" + in.FilterValue
	limit, after, err := pageBoundsDefault(in.Page, scope, 99)
	if err != nil {
		return nil, "", err
	}
	var rs []*Resource
	err = s.Store.View(ctx, func(tx ReadTx) (err error) {
		rs, err = tx.Resources(ctx, ResourceFilter{Kind: kindPhoneNumber, Scope: aws, After: after})
		return err
	})
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	var out []*PhoneNumber
	next := ""
	for _, r := range rs {
		var raw PhoneNumber
		if err := decodeDoc(r, &raw); err != nil {
			return nil, "", err
		}
		p, ok := raw.effective(now)
		if !ok || (in.Status != "" && p.Status != in.Status) || (in.ProductType != "" && p.ProductType != in.ProductType) {
			continue
		}
		if in.FilterName != "" && !hasAssociation(p, in.FilterName, in.FilterValue) {
			continue
		}
		if len(out) == limit {
			last := out[len(out)-1]
			next = encodeToken(scope, Cursor{last.CreatedAt, last.E164})
			break
		}
		out = append(out, p)
	}
	return out, next, nil
}

func hasAssociation(p *PhoneNumber, name, value string) bool {
	for _, a := range p.Associations {
		if a.Name == name && a.Value == value {
			return true
		}
	}
	return false
}

// PhoneNumberUpdate is one UpdatePhoneNumber: exactly one of the two fields.
type PhoneNumberUpdate struct {
	ID          string
	ProductType string  // "" = unchanged
	CallingName *string // nil = unchanged, "" clears
}

// applyUpdate applies one update to a number (decision D34).
func applyUpdate(cfg *PhoneConfig, p *PhoneNumber, u PhoneNumberUpdate, now time.Time) error {
	if (u.ProductType == "") == (u.CallingName == nil) {
		return Errorf(BadRequest, "Give exactly one of ProductType and CallingName.")
	}
	if u.ProductType != "" {
		if u.ProductType == p.ProductType {
			return nil
		}
		if p.Status != PhoneUnassigned {
			return Errorf(BadRequest, "The product type of %s can change only while it is Unassigned (it is %s).", p.E164, p.Status)
		}
		if err := checkProduct(cfg, u.ProductType, p.E164); err != nil {
			return err
		}
		p.ProductType, p.UpdatedAt = u.ProductType, now
		return nil
	}
	if p.CallingNameStatus == "UpdateInProgress" {
		return Errorf(Conflict, "A calling-name change of %s is still in progress; it completes at %s.", p.E164, p.CallingNameDue.Format(time.RFC3339))
	}
	p.CallingName, p.CallingNameStatus, p.UpdatedAt = *u.CallingName, "UpdateInProgress", now
	p.CallingNameDue = now.Add(cfg.callingNameDelay())
	return nil
}

// UpdatePhoneNumber changes a number's product type or calling name.
func (s *Service) UpdatePhoneNumber(ctx context.Context, u PhoneNumberUpdate) (*PhoneNumber, error) {
	var p *PhoneNumber
	err := s.Store.Update(ctx, func(tx Tx) (err error) {
		if p, err = s.ownNumber(ctx, tx, u.ID); err != nil {
			return err
		}
		cfg, err := s.phoneConfig(ctx, tx)
		if err != nil {
			return err
		}
		if err := applyUpdate(cfg, p, u, s.now()); err != nil {
			return err
		}
		return s.putNumber(ctx, tx, p)
	})
	return p, err
}

// PhoneNumberError is the failure of one number inside a batch.
type PhoneNumberError struct {
	PhoneNumberID string
	Code          Code
	Message       string
}

// BatchUpdatePhoneNumber applies the updates in order, each on its own, in
// one transaction (decision D34).
func (s *Service) BatchUpdatePhoneNumber(ctx context.Context, items []PhoneNumberUpdate) ([]PhoneNumberError, error) {
	if len(items) == 0 {
		return nil, Errorf(BadRequest, "UpdatePhoneNumberRequestItems must hold at least one item.")
	}
	return batchNumbers(ctx, s, items, func(it PhoneNumberUpdate) string { return it.ID }, []Code{NotFound, BadRequest, Conflict},
		func(tx Tx, cfg *PhoneConfig, it PhoneNumberUpdate, now time.Time) error {
			p, err := s.ownNumber(ctx, tx, it.ID)
			if err != nil {
				return err
			}
			if err := applyUpdate(cfg, p, it, now); err != nil {
				return err
			}
			return s.putNumber(ctx, tx, p)
		})
}

// batchNumbers runs step on each item, in order, in one transaction
// (decision D34): an item failing with one of itemCodes is reported in the
// answer under its id and the others still apply; any other failure aborts
// the whole batch. The items' numbers are read first, all at once, so the
// steps' reads of them cost no round trip where the store prefetches.
func batchNumbers[T any](ctx context.Context, s *Service, items []T, itemID func(T) string, itemCodes []Code,
	step func(tx Tx, cfg *PhoneConfig, it T, now time.Time) error) ([]PhoneNumberError, error) {
	errs := []PhoneNumberError{}
	err := s.Store.Update(ctx, func(tx Tx) error {
		errs = errs[:0]
		now := s.now()
		cfg, err := s.phoneConfig(ctx, tx)
		if err != nil {
			return err
		}
		keys := make([]ResourceKey, 0, len(items))
		for _, it := range items {
			if e164, ok := NormalizePhoneID(itemID(it)); ok {
				keys = append(keys, ResourceKey{Kind: kindPhoneNumber, ID: e164})
			}
		}
		if err := prefetchResources(ctx, tx, keys); err != nil {
			return err
		}
		for _, it := range items {
			err := step(tx, cfg, it, now)
			if c := ErrorCode(err); err != nil && slices.Contains(itemCodes, c) {
				errs = append(errs, PhoneNumberError{itemID(it), c, ErrorMessage(err)})
			} else if err != nil {
				return err
			}
		}
		return nil
	})
	return errs, err
}

// deleteNumber moves a number to the deletion queue (decision D32).
func (s *Service) deleteNumber(ctx context.Context, tx Tx, cfg *PhoneConfig, id string, now time.Time) error {
	p, err := s.ownNumber(ctx, tx, id)
	if err != nil {
		return err
	}
	switch p.Status {
	case PhoneDeleteInProgress:
		return nil
	case PhoneAcquireFailed:
		return tx.DeleteResource(ctx, kindPhoneNumber, p.E164)
	case PhoneAssigned:
		return &Error{Code: PhoneNumberAssociationsExist, Message: fmt.Sprintf("The phone number %s is associated; disassociate it before deleting it.", p.E164)}
	case PhoneUnassigned, PhoneDeleteFailed:
		p.Status, p.DeletionAt, p.UpdatedAt = PhoneDeleteInProgress, now, now
		p.PurgeDue = now.Add(cfg.deletionRetention())
		return s.putNumber(ctx, tx, p)
	}
	return Errorf(BadRequest, "The phone number %s cannot be deleted while it is %s.", p.E164, p.Status)
}

// DeletePhoneNumber moves a number to the deletion queue.
func (s *Service) DeletePhoneNumber(ctx context.Context, id string) error {
	return s.Store.Update(ctx, func(tx Tx) error {
		cfg, err := s.phoneConfig(ctx, tx)
		if err != nil {
			return err
		}
		return s.deleteNumber(ctx, tx, cfg, id, s.now())
	})
}

// BatchDeletePhoneNumber deletes numbers, with per-id errors.
func (s *Service) BatchDeletePhoneNumber(ctx context.Context, ids []string) ([]PhoneNumberError, error) {
	return batchNumbers(ctx, s, ids, func(id string) string { return id }, []Code{NotFound, BadRequest, PhoneNumberAssociationsExist},
		func(tx Tx, cfg *PhoneConfig, id string, now time.Time) error {
			return s.deleteNumber(ctx, tx, cfg, id, now)
		})
}

// RestorePhoneNumber brings a number back from the deletion queue (D32).
func (s *Service) RestorePhoneNumber(ctx context.Context, id string) (*PhoneNumber, error) {
	var p *PhoneNumber
	err := s.Store.Update(ctx, func(tx Tx) (err error) {
		if p, err = s.ownNumber(ctx, tx, id); err != nil {
			return err
		}
		if p.Status != PhoneDeleteInProgress && p.Status != PhoneDeleteFailed {
			return Errorf(BadRequest, "The phone number %s is %s, not in the deletion queue.", p.E164, p.Status)
		}
		st, err := s.awsSettings(ctx, tx, p.AwsAccountID)
		if err != nil {
			return err
		}
		cfg, err := s.phoneConfig(ctx, tx)
		if err != nil {
			return err
		}
		if limit := numberLimit(cfg, st); limit > 0 {
			n, err := s.inventoryCount(ctx, tx, p.AwsAccountID)
			if err != nil {
				return err
			}
			// The queued number counts already; restoring it must fit.
			if n > limit {
				return Errorf(ResourceLimitExceeded, "The inventory holds %d phone numbers; the limit is %d.", n, limit)
			}
		}
		p.Status, p.DeletionAt, p.PurgeDue, p.UpdatedAt = PhoneUnassigned, time.Time{}, time.Time{}, s.now()
		p.Associations = []PhoneAssociation{}
		return s.putNumber(ctx, tx, p)
	})
	return p, err
}

// AssociatePhoneNumberWithUser makes the number the user's primary number
// (decision D33).
func (s *Service) AssociatePhoneNumberWithUser(ctx context.Context, accountID, userID, number string) error {
	return s.Store.Update(ctx, func(tx Tx) error {
		aws := s.awsAccount(ctx)
		if err := s.checkRestricted(ctx, tx, aws); err != nil {
			return err
		}
		a, u, err := s.userForWrite(ctx, tx, accountID, userID)
		if err != nil {
			return err
		}
		before := u.Clone()
		p, err := s.ownNumber(ctx, tx, number)
		if err != nil {
			return err
		}
		if u.ProvisionedNumber == p.E164 && hasAssociation(p, "UserId", u.ID) {
			return nil
		}
		switch {
		case p.ProductType != BusinessCalling:
			return Errorf(BadRequest, "Only BusinessCalling numbers can be assigned to users; %s is %s.", p.E164, p.ProductType)
		case p.Status != PhoneUnassigned:
			return Errorf(BadRequest, "The phone number %s is %s, not Unassigned.", p.E164, p.Status)
		case u.ProvisionedNumber != "":
			return Errorf(BadRequest, "User %s already has the number %s; disassociate it first.", u.ID, u.ProvisionedNumber)
		}
		now := s.now()
		p.Status, p.UpdatedAt = PhoneAssigned, now
		p.Associations = []PhoneAssociation{{Name: "AccountId", Value: a.ID, At: now}, {Name: "UserId", Value: u.ID, At: now}}
		u.ProvisionedNumber = p.E164
		if err := s.putNumber(ctx, tx, p); err != nil {
			return err
		}
		return s.putUser(ctx, tx, "AssociatePhoneNumberWithUser", before, u)
	})
}

// DisassociatePhoneNumberFromUser removes the user's primary number.
func (s *Service) DisassociatePhoneNumberFromUser(ctx context.Context, accountID, userID string) error {
	return s.Store.Update(ctx, func(tx Tx) error {
		a, u, err := s.userForWrite(ctx, tx, accountID, userID)
		if err != nil {
			return err
		}
		before := u.Clone()
		if err := s.releaseUserNumber(ctx, tx, u, s.now()); err != nil || before.ProvisionedNumber == "" {
			return err
		}
		return s.audit(ctx, tx, "DisassociatePhoneNumberFromUser", a.ID, UserChange(before, u))
	})
}

// releaseUserNumber unassigns the user's number, if any, and saves both. A
// Team user removed from the account and the users of a deleted account
// release their numbers this way (decision D33).
func (s *Service) releaseUserNumber(ctx context.Context, tx Tx, u *User, now time.Time) error {
	if u.ProvisionedNumber == "" {
		return nil
	}
	var raw PhoneNumber
	_, err := getDoc(ctx, tx, kindPhoneNumber, u.ProvisionedNumber, &raw)
	if err != nil && !IsCode(err, NotFound) {
		return err
	}
	if err == nil {
		if p, ok := raw.effective(now); ok && hasAssociation(p, "UserId", u.ID) {
			p.Associations, p.Status, p.UpdatedAt = []PhoneAssociation{}, PhoneUnassigned, now
			if err := s.putNumber(ctx, tx, p); err != nil {
				return err
			}
		}
	}
	u.ProvisionedNumber = ""
	return tx.PutUser(ctx, u)
}

// GlobalSettings are the AWS account's call-detail-record buckets.
type GlobalSettings struct {
	BusinessCallingCdrBucket string
	VoiceConnectorCdrBucket  string
}

// GetGlobalSettings returns the caller's global settings.
func (s *Service) GetGlobalSettings(ctx context.Context) (GlobalSettings, error) {
	return awsAccountDoc[GlobalSettings](ctx, s, kindGlobalSetting)
}

// awsAccountDoc reads the caller's AWS-account-wide document of the kind;
// before the first update it is the zero value.
func awsAccountDoc[T any](ctx context.Context, s *Service, kind string) (T, error) {
	var v T
	err := s.Store.View(ctx, func(tx ReadTx) error {
		var zero T
		v = zero // the callback may run again
		_, err := getDoc(ctx, tx, kind, s.awsAccount(ctx), &v)
		if IsCode(err, NotFound) {
			return nil
		}
		return err
	})
	return v, err
}

var s3BucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// UpdateGlobalSettings sets the buckets; nil leaves one unchanged, "" clears
// it (decision D36).
func (s *Service) UpdateGlobalSettings(ctx context.Context, businessCalling, voiceConnector *string) error {
	for _, b := range []*string{businessCalling, voiceConnector} {
		if b != nil && *b != "" && !s3BucketName.MatchString(*b) {
			return Errorf(BadRequest, "CdrBucket %q is not a valid S3 bucket name (3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit).", *b)
		}
	}
	aws := s.awsAccount(ctx)
	return s.Store.Update(ctx, func(tx Tx) error {
		var g GlobalSettings
		r, err := getDoc(ctx, tx, kindGlobalSetting, aws, &g)
		created := s.now()
		if err == nil {
			created = r.CreatedAt
		} else if !IsCode(err, NotFound) {
			return err
		}
		if businessCalling != nil {
			g.BusinessCallingCdrBucket = *businessCalling
		}
		if voiceConnector != nil {
			g.VoiceConnectorCdrBucket = *voiceConnector
		}
		return putDoc(ctx, tx, kindGlobalSetting, aws, aws, created, &g)
	})
}

// PhoneNumberSettings is the AWS account's default outbound calling name.
type PhoneNumberSettings struct {
	CallingName string
	UpdatedAt   time.Time
}

// GetPhoneNumberSettings returns the caller's default calling name; {} before
// any update.
func (s *Service) GetPhoneNumberSettings(ctx context.Context) (PhoneNumberSettings, error) {
	return awsAccountDoc[PhoneNumberSettings](ctx, s, kindPhoneSettings)
}

// UpdatePhoneNumberSettings sets the default calling name, at most one change
// per cooldown (decision D36).
func (s *Service) UpdatePhoneNumberSettings(ctx context.Context, name string) error {
	aws := s.awsAccount(ctx)
	return s.Store.Update(ctx, func(tx Tx) error {
		var ps PhoneNumberSettings
		r, err := getDoc(ctx, tx, kindPhoneSettings, aws, &ps)
		now := s.now()
		created := now
		if err == nil {
			created = r.CreatedAt
			if ps.CallingName == name {
				return nil // the same value: no change, the timer is not reset
			}
			cfg, err := s.phoneConfig(ctx, tx)
			if err != nil {
				return err
			}
			if now.Before(ps.UpdatedAt.Add(cfg.callingNameCooldown())) {
				return Errorf(BadRequest, "The default calling name can be updated once every 7 days")
			}
		} else if !IsCode(err, NotFound) {
			return err
		}
		ps.CallingName, ps.UpdatedAt = name, now
		return putDoc(ctx, tx, kindPhoneSettings, aws, aws, created, &ps)
	})
}

// Meeting is a Chime SDK meeting registered through the control plane for
// strict dial-out checks (decision D39).
type Meeting struct {
	MeetingID    string
	AwsAccountID string
	JoinTokens   []string
	CreatedAt    time.Time
}

// DialOut is one recorded CreateMeetingDialOut.
type DialOut struct {
	TransactionID   string
	MeetingID       string
	FromPhoneNumber string
	ToPhoneNumber   string
	AwsAccountID    string
	CreatedAt       time.Time
}

// CreateMeetingDialOut places a (recorded) call into a meeting (decision D39).
func (s *Service) CreateMeetingDialOut(ctx context.Context, meetingID, from, to, joinToken string) (string, error) {
	aws := s.awsAccount(ctx)
	d := &DialOut{TransactionID: s.IDs.UUID(), MeetingID: strings.ToLower(meetingID), AwsAccountID: aws, CreatedAt: s.now()}
	var ok bool
	if d.FromPhoneNumber, ok = NormalizePhoneID(from); !ok {
		return "", Errorf(BadRequest, "FromPhoneNumber %q is not an E.164 number.", from)
	}
	if d.ToPhoneNumber, ok = NormalizePhoneID(to); !ok {
		return "", Errorf(BadRequest, "ToPhoneNumber %q is not an E.164 number.", to)
	}
	err := s.Store.Update(ctx, func(tx Tx) error {
		if err := s.checkRestricted(ctx, tx, aws); err != nil {
			return err
		}
		p, err := s.heldNumber(ctx, tx, d.FromPhoneNumber)
		if err != nil && !IsCode(err, NotFound) {
			return err
		}
		if err != nil || p.AwsAccountID != aws || (p.Status != PhoneUnassigned && p.Status != PhoneAssigned) {
			return Errorf(AccessDenied, "The From number does not belong to the customer")
		}
		cfg, err := s.phoneConfig(ctx, tx)
		if err != nil {
			return err
		}
		if cfg.StrictMeetings {
			var m Meeting
			if _, err := getDoc(ctx, tx, kindMeeting, d.MeetingID, &m); err != nil || m.AwsAccountID != aws {
				return Errorf(BadRequest, "Meeting %s is not registered.", meetingID)
			}
			if !slices.Contains(m.JoinTokens, joinToken) {
				return Errorf(BadRequest, "The JoinToken is not valid for meeting %s.", meetingID)
			}
		}
		if max := cfg.MaxDialOutsPerMeeting; max > 0 {
			list, err := tx.Resources(ctx, ResourceFilter{Kind: kindDialOut, Scope: d.MeetingID})
			if err != nil {
				return err
			}
			if len(list) >= max {
				return Errorf(ResourceLimitExceeded, "Meeting %s has reached its limit of %d dial-outs.", meetingID, max)
			}
		}
		return putDoc(ctx, tx, kindDialOut, d.TransactionID, d.MeetingID, d.CreatedAt, d)
	})
	if err != nil {
		return "", err
	}
	return d.TransactionID, nil
}

// pageBoundsDefault is pageBounds with an operation's own default page size.
func pageBoundsDefault(p Page, scope string, def int) (int, *Cursor, error) {
	if p.MaxResults <= 0 {
		p.MaxResults = def
	}
	return pageBounds(p, scope)
}

// releaseAccountNumbers unassigns every number associated with the account's
// users when the account is deleted (decision D33). It walks the AWS
// account's inventory, which is small, rather than the users.
func (s *Service) releaseAccountNumbers(ctx context.Context, tx Tx, a *Account, now time.Time) error {
	list, err := tx.Resources(ctx, ResourceFilter{Kind: kindPhoneNumber, Scope: a.AwsAccountID})
	if err != nil {
		return err
	}
	for _, r := range list {
		var raw PhoneNumber
		if err := decodeDoc(r, &raw); err != nil {
			return err
		}
		p, ok := raw.effective(now)
		if !ok || !hasAssociation(p, "AccountId", a.ID) {
			continue
		}
		for _, as := range p.Associations {
			if as.Name != "UserId" {
				continue
			}
			u, err := tx.User(ctx, a.ID, as.Value)
			if IsCode(err, NotFound) {
				continue // the association outlived its user
			}
			if err != nil {
				return err // not a half release: the transaction fails whole
			}
			u.ProvisionedNumber = ""
			if err := tx.PutUser(ctx, u); err != nil {
				return err
			}
		}
		p.Associations, p.Status, p.UpdatedAt = []PhoneAssociation{}, PhoneUnassigned, now
		if err := s.putNumber(ctx, tx, p); err != nil {
			return err
		}
	}
	return nil
}
