package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	openchime "github.com/openchime/openchime"
)

func TestMain_AuditFileAndMetrics(t *testing.T) {
	auditPath := filepath.Join(t.TempDir(), "audit.jsonl")
	m, stop := startMain(t, "--addr", "127.0.0.1:0", "--db", ":memory:", "--audit-file", auditPath, "--log-level", "error")
	defer stop()
	ctx := context.Background()
	url := "http://" + m.Listener.Addr().String()
	client := awschime.New(awschime.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})
	out, err := client.CreateAccount(ctx, &awschime.CreateAccountInput{Name: aws.String("audited")})
	if err != nil {
		t.Fatal(err)
	}
	reqID, _ := awsmw.GetRequestIDMetadata(out.ResultMetadata)

	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `openchime_requests_total{operation="CreateAccount",status="201"} 1`; !strings.Contains(string(raw), want) {
		t.Errorf("/metrics lacks %q", want)
	}

	stop() // the audit file is complete once the server has stopped
	data, err := os.ReadFile(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var e openchime.AuditEvent
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &e) != nil || e.RequestID != reqID || e.Operation != "CreateAccount" {
		t.Fatalf("audit file=%q, want one CreateAccount event of request %s", data, reqID)
	}
}
