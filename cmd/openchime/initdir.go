package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	openchime "github.com/openchime/openchime"
)

// Init hooks (--init-dir): once the server listens, every fixture
// (*.json, *.yaml, *.yml) in the folder is loaded and every executable *.sh
// is run, in one name order, the first failure stopping the start.
//
// The layout is LocalStack's (docs.localstack.cloud/references/init-hooks):
// a folder's own files in alphanumerical order first, then its subfolders in
// name order, depth first; so LocalStack's whole init folder can be given,
// its ready.d is run, and its boot.d, start.d and shutdown.d are skipped
// with a warning (OpenChime has no such stages: a hook needs the server up).
// Unlike LocalStack, which goes on after a failed script, a failure stops
// the start, as the issue asks: a half-seeded server should not look ready.

// initOtherStages are LocalStack's stage folders that --init-dir does not
// run.
var initOtherStages = map[string]bool{"boot.d": true, "start.d": true, "shutdown.d": true}

// initHook is one file --init-dir runs.
type initHook struct {
	Path    string
	Fixture bool // a fixture to load; else a script to run
}

// initHooks lists the hooks under dir in the order they run and warns of
// files it skips.
func initHooks(dir string, logger *slog.Logger) ([]initHook, error) {
	var hooks []initHook
	var walk func(string) error
	walk = func(d string) error {
		entries, err := os.ReadDir(d)
		if err != nil {
			return err
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
		var subdirs []string
		for _, e := range entries {
			p := filepath.Join(d, e.Name())
			info, err := os.Stat(p) // follows symlinks, as mounted files often are
			if err != nil {
				return err
			}
			if info.IsDir() {
				if d == dir && initOtherStages[e.Name()] {
					logger.Warn("init hook folder skipped", "dir", p, "why", "only ready.d and plain files run: OpenChime runs hooks once it is ready")
					continue
				}
				subdirs = append(subdirs, p)
				continue
			}
			switch strings.ToLower(filepath.Ext(e.Name())) {
			case ".json", ".yaml", ".yml":
				hooks = append(hooks, initHook{Path: p, Fixture: true})
			case ".sh":
				if info.Mode()&0o111 == 0 {
					logger.Warn("init hook skipped", "file", p, "why", "not executable (chmod +x)")
					continue
				}
				hooks = append(hooks, initHook{Path: p})
			default:
				logger.Warn("init hook skipped", "file", p, "why", "neither a fixture (.json, .yaml, .yml) nor a script (.sh)")
			}
		}
		for _, s := range subdirs {
			if err := walk(s); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(dir); err != nil {
		return nil, fmt.Errorf("--init-dir: %w", err)
	}
	return hooks, nil
}

// initOutputMax bounds the output of a script kept for the log.
const initOutputMax = 64 << 10

// runInitHooks runs the hooks of dir against the server at endpoint (svc
// loads the fixtures in-process, so they need no admin token); it logs each
// result and returns the first error.
func runInitHooks(ctx context.Context, dir, endpoint string, svc *openchime.Service, logger *slog.Logger) error {
	hooks, err := initHooks(dir, logger)
	if err != nil {
		return err
	}
	start := time.Now()
	for _, h := range hooks {
		t := time.Now()
		if h.Fixture {
			res, err := loadFixtureFile(ctx, svc, h.Path, "--init-dir")
			if err != nil {
				logger.Error("init fixture failed", "file", h.Path, "err", err)
				return err
			}
			logger.Info("init fixture loaded", "file", h.Path, "created", res.Created, "unchanged", res.Unchanged, "ms", time.Since(t).Milliseconds())
			continue
		}
		out, err := runInitScript(ctx, h.Path, endpoint)
		if err != nil {
			logger.Error("init script failed", "file", h.Path, "err", err, "output", out)
			return fmt.Errorf("--init-dir: %s: %w; its output:\n%s", h.Path, err, out)
		}
		logger.Info("init script done", "file", h.Path, "ms", time.Since(t).Milliseconds(), "output", out)
	}
	logger.Info("init hooks done", "dir", dir, "hooks", len(hooks), "ms", time.Since(start).Milliseconds())
	return nil
}

// runInitScript runs one script in its own folder with OPENCHIME_ENDPOINT
// set, and returns its output (stdout and stderr, the first 64 KiB).
func runInitScript(ctx context.Context, path, endpoint string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, abs)
	cmd.Dir = filepath.Dir(abs)
	cmd.Env = append(os.Environ(), "OPENCHIME_ENDPOINT="+endpoint)
	out := &cappedBuffer{max: initOutputMax}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second // a child left holding the output does not hang the start
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() >= 0 {
		err = fmt.Errorf("exit status %d", exit.ExitCode())
	}
	return strings.TrimRight(out.String(), "\n"), err
}

// cappedBuffer keeps the first max bytes written to it and counts the rest.
type cappedBuffer struct {
	bytes.Buffer
	max     int
	dropped int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	keep := min(len(p), b.max-b.Len())
	b.Buffer.Write(p[:keep])
	b.dropped += len(p) - keep
	return len(p), nil
}

func (b *cappedBuffer) String() string {
	if b.dropped > 0 {
		return b.Buffer.String() + fmt.Sprintf("\n[%d more bytes not kept]", b.dropped)
	}
	return b.Buffer.String()
}

// validateInitDir checks that --init-dir names a folder, so a typo stops the
// start before the server opens its store.
func validateInitDir(dir string) error {
	if dir == "" {
		return nil
	}
	info, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("--init-dir %s does not exist", dir)
		}
		return fmt.Errorf("--init-dir: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("--init-dir %s is not a folder", dir)
	}
	return nil
}
