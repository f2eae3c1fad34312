// Command openchime runs the OpenChime server and its tools.
//
//	openchime serve [flags]    run the server (the default command)
//	openchime migrate --db ... apply the database migrations and exit
//	openchime snapshot save|load [--db DB] FILE   export or restore the whole state
//	openchime verify --db DB   read the whole database and check it (verify.go)
//	openchime repair --db log:DIR  cut a damaged log at its last good frame (repair.go)
//	openchime bench [flags]    seed an account and measure the workload (bench.go)
//	openchime version          print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "openchime:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	cmd := "serve"
	// A first argument that is a flag belongs to serve, the default
	// command, except -h and --help, which ask for the list of commands.
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] != "" && args[0][0] != '-') {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		m := NewMain()
		if err := m.ParseFlags(args); err != nil {
			return err
		}
		return m.Run(ctx)
	case "migrate":
		return runMigrate(ctx, args)
	case "snapshot":
		return runSnapshot(ctx, args, os.Stdin, os.Stdout)
	case "verify":
		return runVerify(ctx, args, os.Stdout)
	case "repair":
		return runRepair(args, os.Stdout)
	case "bench":
		return runBench(ctx, args)
	case "version":
		fmt.Println("openchime", Version)
		return nil
	case "help", "-h", "--help":
		fmt.Println("usage: openchime [serve|migrate|snapshot|verify|repair|bench|version] [flags]; openchime COMMAND -h lists its flags")
		return nil
	}
	return fmt.Errorf("unknown command %q (try: serve, migrate, snapshot, verify, repair, bench, version)", cmd)
}
