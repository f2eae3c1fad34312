// Command openchime runs the OpenChime server and its tools.
//
//	openchime serve [flags]    run the server (the default command)
//	openchime migrate --db ... apply the database migrations and exit
//	openchime snapshot save|load [--db DB] FILE   export or restore the whole state
//	openchime verify --db DB   read the whole database and check it (verify.go)
//	openchime repair --db log:DIR  cut a damaged log at its last good frame (repair.go)
//	openchime bench [flags]    seed an account and measure the workload (bench.go)
//	openchime version          print the version and VCS revision (version.go)
//	openchime healthcheck      exit 0 when the local server is ready (healthcheck.go)
//	openchime help             list the commands
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
)

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
		printVersion()
		return nil
	case "healthcheck":
		return runHealthcheck(ctx, args, os.Stdout)
	case "help", "-h", "--help":
		printHelp(os.Stdout)
		return nil
	}
	return fmt.Errorf("unknown command %q; `openchime help` lists the commands", cmd)
}

// commands are the subcommands, with what each does, for `openchime help`.
var commands = []struct{ name, args, does string }{
	{"serve", "[flags]", "run the server (the default: a bare `openchime` serves on 127.0.0.1:4580)"},
	{"migrate", "--db DB", "apply the database migrations and exit"},
	{"snapshot", "save|load [--db DB] FILE", "export the whole state to FILE, or restore it from FILE"},
	{"verify", "--db DB", "read the whole database and check it"},
	{"repair", "--db log:DIR", "cut a damaged log store at its last good frame"},
	{"bench", "[flags]", "seed an account and measure the workload"},
	{"version", "", "print the version and the VCS revision built"},
	{"healthcheck", "[--url URL]", "exit 0 when the server at OPENCHIME_ADDR answers /_openchime/ready (the container's HEALTHCHECK)"},
	{"help", "", "print this list"},
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "usage: openchime [COMMAND] [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s %s\t%s\n", c.name, c.args, c.does)
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(w, "`openchime COMMAND -h` lists the flags of COMMAND.")
}
