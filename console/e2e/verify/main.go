// Command verify checks through the AWS SDK for Go that the browser test
// changed exactly the users it meant to: it reads the result file written by
// console.test.mjs and compares every user's registration status.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"
)

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var r struct {
		Endpoint, Account     string
		Registered, Suspended []string
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	c := awschime.New(awschime.Options{Region: "us-east-1", BaseEndpoint: aws.String(r.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("123456789012", "x", "")})
	failed := 0
	check := func(ids []string, want types.RegistrationStatus) {
		for _, id := range ids {
			out, err := c.GetUser(context.Background(), &awschime.GetUserInput{AccountId: &r.Account, UserId: aws.String(id)})
			switch {
			case err != nil:
				fmt.Printf("FAIL user %s: %v\n", id, err)
				failed++
			case out.User.UserRegistrationStatus != want:
				fmt.Printf("FAIL user %s is %s, want %s\n", id, out.User.UserRegistrationStatus, want)
				failed++
			default:
				fmt.Printf("ok   user %s is %s\n", id, want)
			}
		}
	}
	check(r.Registered, types.RegistrationStatusRegistered)
	check(r.Suspended, types.RegistrationStatusSuspended)
	if failed > 0 {
		os.Exit(1)
	}
}
