// Command dragoman is the Dragoman gateway: an HTTP service that translates
// and summarizes Arabic news through any OpenAI-compatible chat model, and
// the same pipeline from a terminal.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // briefing time zones work where the system has no zone database

	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/briefing"
	"github.com/dragoman-news/dragoman/gateway/ingest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "dragoman:", err)
		os.Exit(1)
	}
}

// run is the whole program, so that tests can start it on a random port.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprintln(stderr, usageText())
		return errUsage
	}
	cmd, rest := args[1], args[2:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stderr)
	case "translate", "summarize":
		return runTask(ctx, cmd, rest, getenv, stdin, stdout, stderr)
	case "ingest":
		return runIngest(ctx, rest, getenv, stdout, stderr)
	case "brief":
		return runBrief(ctx, rest, getenv, stdout, stderr)
	case "config":
		fmt.Fprint(stdout, markdownTable())
		return nil
	case "version":
		fmt.Fprintln(stdout, "dragoman", version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usageText())
		return nil
	}
	fmt.Fprintf(stderr, "unknown command %q\n\n%s\n", cmd, usageText())
	return errUsage
}

// serve runs the gateway until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, _, err := loadConfig("serve", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close(cfg.ShutdownTimeout)
	runCtx := a.start(ctx)
	if err := a.startJobs(runCtx); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           a.handler(),
		ReadHeaderTimeout: min(cfg.ReadTimeout, 10*time.Second),
		ReadTimeout:       cfg.ReadTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// Requests in flight outlive the signal: Shutdown waits for them.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(runCtx) },
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", append([]any{"addr", ln.Addr().String(), "version", version()}, a.describe()...)...)

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", cfg.ShutdownTimeout)
	shutdownCtx, done := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer done()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// runTask runs translate or summarize on a file or standard input.
func runTask(ctx context.Context, task string, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	var (
		asJSON         bool
		source, target string
		bullets        int
		format         string
	)
	cfg, rest, err := loadConfig(task, args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print the full response as JSON")
		fs.StringVar(&source, "source-lang", "auto", "source language code, or auto")
		fs.StringVar(&target, "target-lang", "en", "target language code")
		fs.StringVar(&format, "format", "text", "input format: text or html")
		if task == "summarize" {
			fs.IntVar(&bullets, "bullets", gateway.DefaultBullets, "number of bullets (1-10)")
		}
	})
	if err != nil {
		return err
	}
	if len(rest) > 1 {
		return fmt.Errorf("%s takes one FILE (or - for standard input), not %d", task, len(rest))
	}
	in := stdin
	if len(rest) == 1 && rest[0] != "-" {
		f, err := os.Open(rest[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	text, err := io.ReadAll(io.LimitReader(in, cfg.MaxArticleBytes+1))
	if err != nil {
		return fmt.Errorf("read article: %w", err)
	}
	a, err := newApp(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer a.close(0)
	ctx, cancel := context.WithTimeout(ctx, cfg.RequestTimeout)
	defer cancel()

	article := gateway.Article{Text: string(text), SourceLang: source, TargetLang: target, Format: format}
	var result any
	var plain string
	if task == "translate" {
		t, err := a.service.Translate(ctx, gateway.TranslateRequest{Article: article}, nil)
		if err != nil {
			return describeError(err)
		}
		result, plain = t, t.Translation+"\n"
	} else {
		s, err := a.service.Summarize(ctx, gateway.SummarizeRequest{Article: article, Bullets: bullets})
		if err != nil {
			return describeError(err)
		}
		result, plain = s, s.Headline+"\n\n- "+strings.Join(s.Bullets, "\n- ")+"\n"
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(result)
	}
	_, err = io.WriteString(stdout, plain)
	return err
}

// runIngest stores article files (see ingest.ParseFile).
func runIngest(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, files, err := loadConfig("ingest", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("ingest takes one or more article files")
	}
	a, err := newApp(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer a.close(0)
	var failed int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		req, err := ingest.ParseFile(string(b))
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		fctx, cancel := context.WithTimeout(ctx, cfg.RequestTimeout)
		art, created, err := a.ingester.Ingest(fctx, req)
		cancel()
		if err != nil {
			failed++
			fmt.Fprintf(stderr, "%s: %v\n", f, describeError(err))
			continue
		}
		status := "stored"
		if !created {
			status = "already stored"
		}
		fmt.Fprintf(stdout, "%s: %s as article %d (story %d): %s\n", f, status, art.ID, art.StoryID, art.TitleEn)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files failed", failed, len(files))
	}
	return nil
}

// runBrief writes a day's briefing and prints it.
func runBrief(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var req briefing.Request
	var format, sources string
	cfg, rest, err := loadConfig("brief", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&req.Date, "date", "", "the day, YYYY-MM-DD (required)")
		fs.StringVar(&req.TZ, "tz", "", "the day's time zone (default DRAGOMAN_BRIEFING_TZ)")
		fs.IntVar(&req.MaxStories, "max-stories", 0, "stories to include (default DRAGOMAN_BRIEFING_MAX_STORIES)")
		fs.StringVar(&sources, "sources", "", "outlets to include, comma-separated (default all)")
		fs.StringVar(&format, "format", "md", "output: md, html or json")
	})
	if err != nil {
		return err
	}
	if req.Date == "" || len(rest) > 0 {
		return fmt.Errorf("brief takes --date YYYY-MM-DD and flags only")
	}
	if sources != "" {
		req.Sources = strings.Split(sources, ",")
	}
	if format != "md" && format != "html" && format != "json" {
		return fmt.Errorf("--format must be md, html or json")
	}
	a, err := newApp(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer a.close(0)
	ctx, cancel := context.WithTimeout(ctx, cfg.RequestTimeout)
	defer cancel()
	b, _, err := a.builder.Build(ctx, req, cfg.BriefingTZ, false)
	if err != nil {
		return describeError(err)
	}
	switch format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(b)
	case "html":
		page, err := briefing.HTML(b)
		if err != nil {
			return err
		}
		_, err = stdout.Write(page)
		return err
	}
	_, err = io.WriteString(stdout, briefing.Markdown(b))
	return err
}

// describeError gives a terminal user the public detail and code.
func describeError(err error) error {
	e := gateway.AsError(err)
	return fmt.Errorf("%s (%s)", e.Detail, e.Code)
}

func newLogger(cfg *config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// version is the module version the binary was built from.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Version == "" {
		return "(devel)"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}
