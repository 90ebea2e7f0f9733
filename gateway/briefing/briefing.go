// Package briefing writes a day's English briefing from the articles the
// store holds: it groups the day's articles into stories (wire copies and
// reports of the same event in other words), ranks the stories by how many
// outlets carry them and how recent they are, merges each story's article
// summaries into one, and writes the day's top line. Only the merges and
// the top line call the model; each article's summary is reused.
package briefing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/arabic"
	"github.com/dragoman-news/dragoman/gateway/neardup"
)

// Store is what a builder needs of the store.
type Store interface {
	ArticlesBetween(ctx context.Context, from, to time.Time, sources []string) ([]gateway.StoredArticle, error)
	SaveBriefing(ctx context.Context, b *gateway.Briefing, variant string, scheduled bool) (bool, error)
	Briefing(ctx context.Context, date, tz, variant string) (*gateway.Briefing, error)
}

// Writer writes story merges and top lines: the model's part.
type Writer interface {
	MergeStory(ctx context.Context, reports []gateway.StoryReport, bullets int) (*gateway.Digest, error)
	TopLine(ctx context.Context, date string, stories []gateway.Digest, bullets int) (*gateway.Digest, error)
}

// Config sets a builder's defaults.
type Config struct {
	MaxStories   int    // stories in a briefing when a request does not say
	StoryBullets int    // bullets of a merged story
	Model        string // reported in the briefing
	Demo         bool
	Concurrency  int // story merges at once
}

// Builder builds briefings.
type Builder struct {
	cfg      Config
	store    Store
	writer   Writer
	notFound error
	now      func() time.Time
}

// Deps are a builder's collaborators.
type Deps struct {
	Store  Store
	Writer Writer
	// NotFound is the error the store returns for a missing briefing.
	NotFound error
	Now      func() time.Time
}

// New returns a builder.
func New(cfg Config, deps Deps) *Builder {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	cfg.Concurrency = max(cfg.Concurrency, 1)
	return &Builder{cfg: cfg, store: deps.Store, writer: deps.Writer, notFound: deps.NotFound, now: deps.Now}
}

// Stored returns the briefing stored for a request's day and options.
func (b *Builder) Stored(ctx context.Context, req Request, defaultTZ string) (*gateway.Briefing, error) {
	if _, _, _, err := b.Normalize(&req, defaultTZ); err != nil {
		return nil, err
	}
	variant := variantOf(req, b.cfg.MaxStories)
	brief, err := b.store.Briefing(ctx, req.Date, req.TZ, variant)
	if errors.Is(err, b.notFound) {
		return nil, gateway.Errorf(gateway.CodeNotFound, "There is no briefing for %s (%s) with these options yet; POST /v1/briefings to write it.", req.Date, req.TZ)
	}
	return brief, err
}

// Request asks for a day's briefing.
type Request struct {
	Date       string   `json:"date"` // YYYY-MM-DD
	TZ         string   `json:"tz"`   // IANA zone; the day runs midnight to midnight there
	MaxStories int      `json:"max_stories,omitempty"`
	Sources    []string `json:"sources,omitempty"` // outlets to include; all when empty
	// Deliver posts the briefing to every configured destination.
	Deliver bool `json:"deliver,omitempty"`
}

// Limits on requests.
const (
	MaxStoriesLimit = 50
	maxSources      = 100
)

// Normalize validates a request, fills in defaults, and returns the day's
// bounds and the variant key under which the briefing is stored.
func (b *Builder) Normalize(req *Request, defaultTZ string) (from, to time.Time, variant string, err error) {
	if req.TZ == "" {
		req.TZ = defaultTZ
	}
	loc, err := time.LoadLocation(req.TZ)
	if err != nil || req.TZ == "" {
		return from, to, "", gateway.FieldError(gateway.CodeInvalidField, "tz", "tz must be an IANA time zone such as Asia/Riyadh or UTC.")
	}
	day, err := time.ParseInLocation(time.DateOnly, req.Date, loc)
	if err != nil {
		return from, to, "", gateway.FieldError(gateway.CodeInvalidField, "date", "date must be a day as YYYY-MM-DD.")
	}
	if req.MaxStories == 0 {
		req.MaxStories = b.cfg.MaxStories
	}
	if req.MaxStories < 1 || req.MaxStories > MaxStoriesLimit {
		return from, to, "", gateway.FieldError(gateway.CodeInvalidField, "max_stories", "max_stories must be between 1 and %d.", MaxStoriesLimit)
	}
	if len(req.Sources) > maxSources {
		return from, to, "", gateway.FieldError(gateway.CodeInvalidField, "sources", "At most %d sources.", maxSources)
	}
	sources := slices.Sorted(slices.Values(req.Sources))
	req.Sources = slices.Compact(sources)
	return day, day.AddDate(0, 0, 1), variantOf(*req, b.cfg.MaxStories), nil
}

// variantOf names a briefing's options: "" for the defaults.
func variantOf(req Request, defaultMax int) string {
	if req.MaxStories == defaultMax && len(req.Sources) == 0 {
		return ""
	}
	return fmt.Sprintf("max=%d;sources=%s", req.MaxStories, strings.Join(req.Sources, "|"))
}

// Build builds and stores the briefing. With scheduled, it is the day's
// scheduled briefing, stored at most once (saved reports whether this call
// stored it).
func (b *Builder) Build(ctx context.Context, req Request, defaultTZ string, scheduled bool) (brief *gateway.Briefing, saved bool, err error) {
	from, to, variant, err := b.Normalize(&req, defaultTZ)
	if err != nil {
		return nil, false, err
	}
	arts, err := b.store.ArticlesBetween(ctx, from.UTC(), to.UTC(), req.Sources)
	if err != nil {
		return nil, false, err
	}
	if len(arts) == 0 {
		return nil, false, gateway.Errorf(gateway.CodeNoArticles, "No articles were published on %s (%s)%s; ingest some first.", req.Date, req.TZ, sourcesNote(req.Sources))
	}
	brief, err = b.write(ctx, req, from, arts)
	if err != nil {
		return nil, false, err
	}
	saved, err = b.store.SaveBriefing(ctx, brief, variant, scheduled)
	return brief, saved, err
}

func sourcesNote(sources []string) string {
	if len(sources) == 0 {
		return ""
	}
	return " from " + strings.Join(sources, ", ")
}

// story is a cluster of articles about one event.
type story struct {
	arts    []gateway.StoredArticle // oldest first
	sources []string
	latest  time.Time
	weight  float64
}

func (b *Builder) write(ctx context.Context, req Request, dayStart time.Time, arts []gateway.StoredArticle) (*gateway.Briefing, error) {
	stories := rank(cluster(arts), dayStart)
	total := len(stories)
	if len(stories) > req.MaxStories {
		stories = stories[:req.MaxStories]
	}

	var mu sync.Mutex
	var usage gateway.Usage
	calls := 0
	count := func(d *gateway.Digest) {
		mu.Lock()
		defer mu.Unlock()
		usage = usage.Add(d.Usage)
		if !d.Cached {
			calls++
		}
	}
	digests := make([]gateway.Digest, len(stories))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.cfg.Concurrency)
	for i, st := range stories {
		reports := st.reports()
		if len(reports) == 1 {
			a := latestOf(st.arts, reports[0].Source)
			digests[i] = gateway.Digest{Headline: a.Headline, Bullets: a.Bullets}
			continue
		}
		g.Go(func() error {
			d, err := b.writer.MergeStory(gctx, reports, b.cfg.StoryBullets)
			if err != nil {
				return err
			}
			count(d)
			digests[i] = *d
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	day := dayStart.Format("Monday, 2 January 2006")
	top, err := b.writer.TopLine(ctx, day, digests, min(max(len(stories), 3), 5))
	if err != nil {
		return nil, err
	}
	count(top)

	out := &gateway.Briefing{
		Date: req.Date, TZ: req.TZ, Title: top.Headline, Bullets: top.Bullets, Articles: len(arts),
		StoriesSeen: total, Sources: req.Sources, GeneratedAt: b.now().UTC(), Model: b.cfg.Model,
		ModelCalls: calls, Usage: usage, Demo: b.cfg.Demo,
	}
	for i, st := range stories {
		bs := gateway.BriefingStory{
			ID: st.arts[0].StoryID, Headline: digests[i].Headline, HeadlineAr: st.arabicHeadline(),
			Bullets: digests[i].Bullets, Weight: st.weight, Latest: st.latest,
		}
		for _, a := range st.arts {
			bs.Sources = append(bs.Sources, gateway.BriefingSource{
				ArticleID: a.ID, Source: sourceName(a), URL: a.URL, Title: a.Title, TitleEn: a.TitleEn, PublishedAt: a.PublishedAt,
			})
		}
		out.Stories = append(out.Stories, bs)
	}
	return out, nil
}

// cluster groups articles into stories: first by the story each near copy
// joined at ingestion, then by average-linkage agglomeration over TF-IDF
// vectors of title and text, merging while two groups report the same
// event (neardup.SameEvent). Titles count three times: they say what the
// article is about in the fewest words.
func cluster(arts []gateway.StoredArticle) [][]gateway.StoredArticle {
	texts := make([][]string, len(arts))
	for i, a := range arts {
		title := neardup.Terms(arabic.Normalize(a.Title))
		texts[i] = append(slices.Concat(title, title, title), neardup.Terms(a.Text)...)
	}
	vecs := neardup.Vectors(texts)

	var groups [][]int
	byStory := map[int64]int{}
	for i, a := range arts {
		g, ok := byStory[a.StoryID]
		if !ok {
			g = len(groups)
			byStory[a.StoryID] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	n := len(groups)
	sim := make([][]float64, n)
	for x := range n {
		sim[x] = make([]float64, n)
		for y := range x {
			var total float64
			for _, i := range groups[x] {
				for _, j := range groups[y] {
					total += neardup.Cosine(vecs[i], vecs[j])
				}
			}
			sim[x][y] = total / float64(len(groups[x])*len(groups[y]))
			sim[y][x] = sim[x][y]
		}
	}
	alive := make([]bool, n)
	for i := range alive {
		alive[i] = true
	}
	for {
		bx, by, best := -1, -1, neardup.SameEvent
		for x := range n {
			if !alive[x] {
				continue
			}
			for y := range x {
				if alive[y] && sim[x][y] >= best {
					bx, by, best = x, y, sim[x][y]
				}
			}
		}
		if bx < 0 {
			break
		}
		nx, ny := float64(len(groups[bx])), float64(len(groups[by]))
		for k := range n {
			if alive[k] && k != bx && k != by {
				sim[by][k] = (nx*sim[bx][k] + ny*sim[by][k]) / (nx + ny)
				sim[k][by] = sim[by][k]
			}
		}
		groups[by] = append(groups[by], groups[bx]...)
		alive[bx] = false
	}
	var out [][]gateway.StoredArticle
	for g, members := range groups {
		if !alive[g] {
			continue
		}
		st := make([]gateway.StoredArticle, len(members))
		for k, i := range members {
			st[k] = arts[i]
		}
		slices.SortFunc(st, func(a, b gateway.StoredArticle) int {
			return cmp.Or(a.PublishedAt.Compare(b.PublishedAt), cmp.Compare(a.ID, b.ID))
		})
		out = append(out, st)
	}
	return out
}

// rank weighs stories: one point per distinct outlet, plus the share of
// the day gone by at its latest article, so that among stories carried by
// as many outlets the most recent comes first.
func rank(clusters [][]gateway.StoredArticle, dayStart time.Time) []story {
	stories := make([]story, len(clusters))
	for i, arts := range clusters {
		st := story{arts: arts}
		seen := map[string]bool{}
		for _, a := range arts {
			if name := sourceName(a); !seen[name] {
				seen[name] = true
				st.sources = append(st.sources, name)
			}
			if a.PublishedAt.After(st.latest) {
				st.latest = a.PublishedAt
			}
		}
		recency := min(max(st.latest.Sub(dayStart).Hours()/24, 0), 0.999)
		st.weight = float64(len(st.sources)) + recency
		stories[i] = st
	}
	slices.SortStableFunc(stories, func(a, b story) int {
		return cmp.Or(cmp.Compare(b.weight, a.weight), cmp.Compare(len(b.arts), len(a.arts)), cmp.Compare(a.arts[0].ID, b.arts[0].ID))
	})
	return stories
}

// reports are what a merge reads: each outlet's latest article's summary,
// oldest first, so that later reports (updates) come last.
func (st story) reports() []gateway.StoryReport {
	var out []gateway.StoryReport
	for _, name := range st.sources {
		a := latestOf(st.arts, name)
		out = append(out, gateway.StoryReport{Source: name, PublishedAt: a.PublishedAt, Headline: a.Headline, Bullets: a.Bullets})
	}
	slices.SortStableFunc(out, func(a, b gateway.StoryReport) int { return a.PublishedAt.Compare(b.PublishedAt) })
	return out
}

// arabicHeadline is the original title of the story's first article.
func (st story) arabicHeadline() string {
	for _, a := range st.arts {
		if a.Title != "" {
			return a.Title
		}
	}
	return ""
}

func latestOf(arts []gateway.StoredArticle, source string) gateway.StoredArticle {
	var out gateway.StoredArticle
	for _, a := range arts {
		if sourceName(a) == source {
			out = a
		}
	}
	return out
}

// sourceName is the outlet of an article: as given, or its URL's host.
func sourceName(a gateway.StoredArticle) string {
	if a.Source != "" {
		return a.Source
	}
	if u, err := url.Parse(a.URL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "unknown"
}
