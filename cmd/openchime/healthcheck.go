package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// runHealthcheck is `openchime healthcheck`: it GETs /_openchime/ready of
// the server this environment configures and fails unless it answers 200.
// It is the container image's HEALTHCHECK, which has no curl (the image is
// FROM scratch): it reads the same OPENCHIME_ADDR and OPENCHIME_TLS_CERT as
// serve, so `docker run -e OPENCHIME_ADDR=...` moves both together.
func runHealthcheck(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("openchime healthcheck", flag.ContinueOnError)
	url := fs.String("url", "", "the server's base URL (default: from OPENCHIME_ADDR and OPENCHIME_TLS_CERT, as serve reads them; a wildcard address is probed on 127.0.0.1)")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("healthcheck: unexpected arguments: %v", fs.Args())
	}
	if *url == "" {
		var err error
		if *url, err = localURL(envOr("OPENCHIME_ADDR", DefaultConfig().Addr), os.Getenv("OPENCHIME_TLS_CERT") != ""); err != nil {
			return fmt.Errorf("healthcheck: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url+"/_openchime/ready", nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	// The probe checks its own server, whose certificate is for the names
	// clients use, not for 127.0.0.1: it does not verify it.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s: %s", req.URL, resp.Status, body)
	}
	fmt.Fprintf(stdout, "%s: ready\n", req.URL)
	return nil
}

// localURL is the URL a process on the same host reaches a server listening
// on addr at: a wildcard host (0.0.0.0, ::, empty) is probed on 127.0.0.1.
func localURL(addr string, tls bool) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("OPENCHIME_ADDR %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port), nil
}
