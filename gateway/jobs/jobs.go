// Package jobs runs Dragoman's background work on River, a job engine with
// a SQLite driver (and a PostgreSQL one for replicas at scale): the daily
// briefing, feed polling and ingestion, and cache sweeping. Jobs are
// durable: a job a crash interrupts is rescued and run again after a
// restart, and every job is idempotent, so running one twice does no harm.
// This is the only package that imports River.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/briefing"
	"github.com/dragoman-news/dragoman/gateway/chat"
	"github.com/dragoman-news/dragoman/gateway/ingest"
)

// Config sets the schedules.
type Config struct {
	// BriefingAt is the time of day ("07:00") the scheduled briefing is
	// written, in BriefingTZ; "" turns it off.
	BriefingAt string
	BriefingTZ string
	// DaysBack is which day the scheduled briefing covers: 1 is yesterday.
	DaysBack int
	// CatchUpDays is how many past runs a restart may make up for.
	CatchUpDays int

	Feeds        []ingest.Feed
	FeedInterval time.Duration
	CacheSweep   time.Duration

	Workers      int
	JobTimeout   time.Duration
	RescueAfter  time.Duration // a running job older than this is taken for dead and run again
	PollInterval time.Duration
}

// Briefer builds briefings.
type Briefer interface {
	Build(ctx context.Context, req briefing.Request, defaultTZ string, scheduled bool) (*gateway.Briefing, bool, error)
}

// Feeds fetches feeds and ingests their items.
type Feeds interface {
	FetchFeed(ctx context.Context, f ingest.Feed) ([]ingest.Item, error)
	IngestItem(ctx context.Context, it ingest.Item) (*gateway.StoredArticle, bool, error)
}

// Store is what the jobs read and write beyond their work.
type Store interface {
	ScheduledRun(ctx context.Context, date, tz string) (bool, error)
	FeedItemDone(ctx context.Context, feed, key string) (bool, error)
	MarkFeedItem(ctx context.Context, feed, key string, articleID int64, failure error) error
	DeleteExpiredCache(ctx context.Context) (int64, error)
	CreateDelivery(ctx context.Context, d gateway.Delivery, target []byte, parts [][]byte) (int64, bool, error)
	DeliveryWork(ctx context.Context, id int64) (*gateway.Delivery, []byte, [][]byte, error)
	UpdateDelivery(ctx context.Context, id int64, partsSent int, status, lastError string, attempt bool) error
}

// Replier runs chat commands.
type Replier interface {
	Reply(ctx context.Context, cmd chat.Command) chat.Reply
}

// Sender posts a delivery's parts.
type Sender interface {
	Send(ctx context.Context, t chat.Target, id string, index int, part []byte) error
}

// Deps are the jobs' collaborators.
type Deps struct {
	DB      *sql.DB // the store's writer connection: River's tables live in the same file
	Briefer Briefer
	Feeds   Feeds
	Store   Store
	Chat    Replier
	Sender  Sender
	// Destinations receive every scheduled briefing.
	Destinations []chat.Target
	Logger       *slog.Logger
	Now          func() time.Time
}

// Migrate creates or updates River's tables.
func Migrate(ctx context.Context, db *sql.DB) error {
	m, err := rivermigrate.New(riversqlite.New(db), nil)
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	return nil
}

// Runner runs the jobs.
type Runner struct {
	client *river.Client[*sql.Tx]
	deps   Deps
}

// Start migrates River's tables and starts working jobs until Stop.
func Start(ctx context.Context, cfg Config, deps Deps) (*Runner, error) {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if err := Migrate(ctx, deps.DB); err != nil {
		return nil, err
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &buildWorker{deps: deps, tz: cfg.BriefingTZ})
	river.AddWorker(workers, &scheduleWorker{deps: deps, cfg: cfg})
	river.AddWorker(workers, &pollWorker{deps: deps})
	river.AddWorker(workers, &ingestWorker{deps: deps})
	river.AddWorker(workers, &sweepWorker{deps: deps})
	river.AddWorker(workers, &commandWorker{deps: deps})
	river.AddWorker(workers, &deliverWorker{deps: deps})

	var periodic []*river.PeriodicJob
	if cfg.BriefingAt != "" {
		at, err := ParseDaily(cfg.BriefingAt, cfg.BriefingTZ)
		if err != nil {
			return nil, err
		}
		periodic = append(periodic, river.NewPeriodicJob(at, func() (river.JobArgs, *river.InsertOpts) {
			return scheduleArgs{}, nil
		}, &river.PeriodicJobOpts{ID: "schedule_briefings", RunOnStart: true}))
	}
	if len(cfg.Feeds) > 0 {
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(cfg.FeedInterval), func() (river.JobArgs, *river.InsertOpts) {
			return pollArgs{Feeds: cfg.Feeds}, nil
		}, &river.PeriodicJobOpts{ID: "poll_feeds", RunOnStart: true}))
	}
	periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(cfg.CacheSweep), func() (river.JobArgs, *river.InsertOpts) {
		return sweepArgs{}, nil
	}, &river.PeriodicJobOpts{ID: "sweep_cache"}))

	client, err := river.NewClient(riversqlite.New(deps.DB), &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: max(cfg.Workers, 1)}},
		Workers:              workers,
		PeriodicJobs:         periodic,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		FetchPollInterval:    cfg.PollInterval,
		// A job inserted here is fetched after the cooldown: River's 100 ms
		// default, paid twice by a chat command (the command, then its
		// delivery), was most of a chat answer's wait beyond the model.
		// A fetch is one query on a local file.
		FetchCooldown: 10 * time.Millisecond,
		MaxAttempts:   10,
		Logger:        deps.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	if err := client.Start(ctx); err != nil {
		return nil, fmt.Errorf("jobs: start: %w", err)
	}
	return &Runner{client: client, deps: deps}, nil
}

// Stop finishes the jobs running (within ctx) and stops.
func (r *Runner) Stop(ctx context.Context) error { return r.client.Stop(ctx) }

// Daily is a schedule: every day at one time of day in one zone.
type Daily struct {
	Hour, Minute int
	Loc          *time.Location
}

// ParseDaily reads "HH:MM" in a zone.
func ParseDaily(at, tz string) (Daily, error) {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return Daily{}, fmt.Errorf("jobs: time zone %q: %w", tz, err)
	}
	h, m, ok := strings.Cut(at, ":")
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hour < 0 || hour > 23 || minute < 0 || minute > 59 {
		return Daily{}, fmt.Errorf("jobs: time of day %q: want HH:MM", at)
	}
	return Daily{Hour: hour, Minute: minute, Loc: loc}, nil
}

// Next is the first run after t.
func (d Daily) Next(t time.Time) time.Time {
	t = t.In(d.Loc)
	next := time.Date(t.Year(), t.Month(), t.Day(), d.Hour, d.Minute, 0, 0, d.Loc)
	if !next.After(t) {
		next = time.Date(t.Year(), t.Month(), t.Day()+1, d.Hour, d.Minute, 0, 0, d.Loc)
	}
	return next
}

// Due lists the days whose scheduled briefing should exist by now: the
// runs of the last catchUp days whose time has come, each covering the day
// daysBack before it, most recent first.
func (d Daily) Due(now time.Time, daysBack, catchUp int) []string {
	now = now.In(d.Loc)
	var out []string
	for k := range max(catchUp, 1) {
		run := time.Date(now.Year(), now.Month(), now.Day()-k, d.Hour, d.Minute, 0, 0, d.Loc)
		if run.After(now) {
			continue
		}
		out = append(out, run.AddDate(0, 0, -daysBack).Format(time.DateOnly))
	}
	return out
}

// scheduleArgs asks which scheduled briefings are due, and queues them.
type scheduleArgs struct{}

func (scheduleArgs) Kind() string { return "schedule_briefings" }

type scheduleWorker struct {
	river.WorkerDefaults[scheduleArgs]
	deps Deps
	cfg  Config
}

func (w *scheduleWorker) Work(ctx context.Context, job *river.Job[scheduleArgs]) error {
	at, err := ParseDaily(w.cfg.BriefingAt, w.cfg.BriefingTZ)
	if err != nil {
		return river.JobCancel(err)
	}
	client := river.ClientFromContext[*sql.Tx](ctx)
	for _, date := range at.Due(w.deps.Now(), w.cfg.DaysBack, w.cfg.CatchUpDays) {
		done, err := w.deps.Store.ScheduledRun(ctx, date, w.cfg.BriefingTZ)
		if err != nil {
			return err
		}
		if done {
			continue
		}
		if _, err := client.Insert(ctx, buildArgs{Date: date, TZ: w.cfg.BriefingTZ}, &river.InsertOpts{
			UniqueOpts: river.UniqueOpts{ByArgs: true},
		}); err != nil {
			return err
		}
	}
	return nil
}

// buildArgs builds the scheduled briefing of one day.
type buildArgs struct {
	Date string `json:"date"`
	TZ   string `json:"tz"`
}

func (buildArgs) Kind() string { return "build_briefing" }

type buildWorker struct {
	river.WorkerDefaults[buildArgs]
	deps Deps
	tz   string
}

func (w *buildWorker) Work(ctx context.Context, job *river.Job[buildArgs]) error {
	b, saved, err := w.deps.Briefer.Build(ctx, briefing.Request{Date: job.Args.Date, TZ: job.Args.TZ}, w.tz, true)
	switch {
	case gateway.CodeOf(err) == gateway.CodeNoArticles:
		w.deps.Logger.Info("scheduled briefing skipped: no articles", "date", job.Args.Date, "tz", job.Args.TZ)
		return nil
	case err != nil:
		return err
	case saved:
		w.deps.Logger.Info("scheduled briefing written", "date", b.Date, "tz", b.TZ, "stories", len(b.Stories), "model_calls", b.ModelCalls)
		_, err := deliverBriefing(ctx, river.ClientFromContext[*sql.Tx](ctx), w.deps, b, w.deps.Destinations)
		return err
	default:
		w.deps.Logger.Info("scheduled briefing was already written", "date", b.Date, "tz", b.TZ)
	}
	return nil
}

// pollArgs polls the feeds and queues their new items.
type pollArgs struct {
	Feeds []ingest.Feed `json:"feeds"`
}

func (pollArgs) Kind() string { return "poll_feeds" }

type pollWorker struct {
	river.WorkerDefaults[pollArgs]
	deps Deps
}

func (w *pollWorker) Work(ctx context.Context, job *river.Job[pollArgs]) error {
	client := river.ClientFromContext[*sql.Tx](ctx)
	var failed []error
	for _, f := range job.Args.Feeds {
		items, err := w.deps.Feeds.FetchFeed(ctx, f)
		if err != nil {
			// One broken feed must not stop the others; the next poll retries.
			w.deps.Logger.Warn("feed poll failed", "feed", f.URL, "error", err)
			failed = append(failed, err)
			continue
		}
		queued := 0
		for _, it := range items {
			done, err := w.deps.Store.FeedItemDone(ctx, it.Feed, it.Key)
			if err != nil {
				return err
			}
			if done {
				continue
			}
			res, err := client.Insert(ctx, ingestArgs{Item: it, Feed: it.Feed, Key: it.Key}, &river.InsertOpts{
				UniqueOpts: river.UniqueOpts{ByArgs: true},
			})
			if err != nil {
				return err
			}
			if !res.UniqueSkippedAsDuplicate {
				queued++
			}
		}
		w.deps.Logger.Info("feed polled", "feed", f.URL, "items", len(items), "queued", queued)
	}
	if len(failed) == len(job.Args.Feeds) && len(failed) > 0 {
		return errors.Join(failed...)
	}
	return nil
}

// ingestArgs ingests one feed item; it is unique by feed and key.
type ingestArgs struct {
	Feed string      `json:"feed" river:"unique"`
	Key  string      `json:"key" river:"unique"`
	Item ingest.Item `json:"item"`
}

func (ingestArgs) Kind() string { return "ingest_item" }

type ingestWorker struct {
	river.WorkerDefaults[ingestArgs]
	deps Deps
}

func (w *ingestWorker) Work(ctx context.Context, job *river.Job[ingestArgs]) error {
	it := job.Args.Item
	if done, err := w.deps.Store.FeedItemDone(ctx, it.Feed, it.Key); err != nil || done {
		return err
	}
	a, created, err := w.deps.Feeds.IngestItem(ctx, it)
	if err != nil {
		_ = w.deps.Store.MarkFeedItem(ctx, it.Feed, it.Key, 0, err)
		w.deps.Logger.Warn("feed item failed", "feed", it.Feed, "link", it.Link, "attempt", job.Attempt, "error", err)
		if permanent(err) {
			return river.JobCancel(err)
		}
		return err
	}
	if err := w.deps.Store.MarkFeedItem(ctx, it.Feed, it.Key, a.ID, nil); err != nil {
		return err
	}
	w.deps.Logger.Info("feed item ingested", "feed", it.Feed, "article_id", a.ID, "created", created)
	return nil
}

// permanent reports failures that a retry would only repeat: the item
// itself is unusable.
func permanent(err error) bool {
	switch gateway.CodeOf(err) {
	case gateway.CodeEmptyText, gateway.CodeNotArabic, gateway.CodeURLForbidden, gateway.CodeMissingField,
		gateway.CodeTextTooLong, gateway.CodeInvalidField, gateway.CodeInvalidUTF8:
		return true
	}
	return false
}

// sweepArgs deletes expired cache entries from the store.
type sweepArgs struct{}

func (sweepArgs) Kind() string { return "sweep_cache" }

type sweepWorker struct {
	river.WorkerDefaults[sweepArgs]
	deps Deps
}

func (w *sweepWorker) Work(ctx context.Context, job *river.Job[sweepArgs]) error {
	n, err := w.deps.Store.DeleteExpiredCache(ctx)
	if err == nil && n > 0 {
		w.deps.Logger.Info("expired cache entries deleted", "count", n)
	}
	return err
}
