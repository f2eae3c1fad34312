// Package usermodule is code of an OpenChime user: a tool that reinstates
// suspended Amazon Chime users by email. Its test, reinstate_test.go, shows
// how such code is tested with chimetest instead of a real AWS account.
package usermodule

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"
)

// Result says what Reinstate did.
type Result struct {
	Reinstated []string          // emails of users now Registered
	Skipped    []string          // emails of users that were not suspended
	Failed     map[string]string // email -> error code
}

// Reinstate unsuspends the users of an EnterpriseLWA account with the given
// emails in one BatchUnsuspendUser call.
func Reinstate(ctx context.Context, client *awschime.Client, accountID string, emails []string) (*Result, error) {
	res := &Result{Failed: map[string]string{}}
	idToEmail := map[string]string{}
	var ids []string
	for _, email := range emails {
		out, err := client.ListUsers(ctx, &awschime.ListUsersInput{AccountId: aws.String(accountID), UserEmail: aws.String(email)})
		if err != nil {
			return nil, fmt.Errorf("look up %s: %w", email, err)
		}
		switch {
		case len(out.Users) == 0:
			res.Failed[email] = "NotFound"
		case out.Users[0].UserRegistrationStatus != types.RegistrationStatusSuspended:
			res.Skipped = append(res.Skipped, email)
		default:
			id := aws.ToString(out.Users[0].UserId)
			idToEmail[id] = email
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return res, nil
	}
	out, err := client.BatchUnsuspendUser(ctx, &awschime.BatchUnsuspendUserInput{AccountId: aws.String(accountID), UserIdList: ids})
	if err != nil {
		return nil, fmt.Errorf("unsuspend: %w", err)
	}
	failed := map[string]bool{}
	for _, e := range out.UserErrors {
		failed[aws.ToString(e.UserId)] = true
		res.Failed[idToEmail[aws.ToString(e.UserId)]] = string(e.ErrorCode)
	}
	for _, id := range ids {
		if !failed[id] {
			res.Reinstated = append(res.Reinstated, idToEmail[id])
		}
	}
	return res, nil
}
