package openchime

import "context"

// FaultInjector makes chosen requests fail on purpose, so clients can test
// their error handling (package faults holds the rules and implements it).
// The wire layer asks it before an operation runs; a batch operation asks it
// once per user, outside any retry of its transaction (userFaultMemo).
type FaultInjector interface {
	// BeforeRequest delays a request of op by the AWS account awsAccountID
	// on the Chime account accountID ("" when the operation has none), or
	// returns the error that answers it instead of the operation.
	BeforeRequest(ctx context.Context, op, awsAccountID, accountID string) error
	// ForUser returns the failure the batch operation op reports for userID
	// instead of changing the user, or nil.
	ForUser(op, awsAccountID, accountID, userID string) *UserError
	// Clear forgets every rule (Service.Reset).
	Clear()
}
