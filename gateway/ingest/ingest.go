// Package ingest brings articles into the store: from text, HTML or a URL,
// and from RSS and Atom feeds. Each article is translated and summarized
// once: an article already stored (same canonical URL or same text) is
// returned, not paid for again, and a near copy of a stored article (a
// syndicated wire story) joins that article's story.
package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/arabic"
	"github.com/dragoman-news/dragoman/gateway/extract"
	"github.com/dragoman-news/dragoman/gateway/neardup"
	"github.com/dragoman-news/dragoman/gateway/webfetch"
)

// Store is what ingestion needs of the store.
type Store interface {
	Article(ctx context.Context, id int64) (*gateway.StoredArticle, error)
	ArticleByKey(ctx context.Context, contentHash, canonicalURL string) (*gateway.StoredArticle, error)
	IdempotencyKey(ctx context.Context, key string) (articleID int64, requestHash string, err error)
	InsertArticle(ctx context.Context, a *gateway.StoredArticle, idemKey, requestHash string) (*gateway.StoredArticle, bool, error)
	RecentPrints(ctx context.Context, since time.Time) ([]gateway.ArticlePrint, error)
	Texts(ctx context.Context, ids []int64) (map[int64]string, error)
	ListArticles(ctx context.Context, q gateway.ArticleQuery) ([]gateway.StoredArticle, string, error)
}

// Translator is the pipeline.
type Translator interface {
	Translate(ctx context.Context, req gateway.TranslateRequest, stream func(gateway.StreamEvent)) (*gateway.Translation, error)
	Summarize(ctx context.Context, req gateway.SummarizeRequest) (*gateway.Summary, error)
}

// Fetcher fetches pages and feeds.
type Fetcher interface {
	Get(ctx context.Context, rawURL, accept string) (*webfetch.Page, error)
}

// Ingester ingests articles.
type Ingester struct {
	store      Store
	translator Translator
	fetch      Fetcher
	now        func() time.Time
	notFound   error // the store's errors
	badCursor  error
	bullets    int
	maxBytes   int
}

// Deps are an ingester's collaborators.
type Deps struct {
	Store      Store
	Translator Translator
	Fetcher    Fetcher
	// NotFound and BadCursor are the store's errors for a missing row and
	// a cursor it did not make.
	NotFound, BadCursor error
	Now                 func() time.Time
}

// Config sets an ingester's defaults and limits.
type Config struct {
	Bullets         int // summary bullets when a request gives none
	MaxArticleBytes int
}

// New returns an ingester.
func New(cfg Config, deps Deps) *Ingester {
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	return &Ingester{store: deps.Store, translator: deps.Translator, fetch: deps.Fetcher, now: now,
		notFound: deps.NotFound, badCursor: deps.BadCursor, bullets: cfg.Bullets, maxBytes: cfg.MaxArticleBytes}
}

// Request asks to ingest one article. Text or HTML is the article, with URL
// as where it was published; with neither, URL is fetched.
type Request struct {
	Text        string `json:"text,omitempty"`
	HTML        string `json:"html,omitempty"`
	URL         string `json:"url,omitempty"`
	Title       string `json:"title,omitempty"`
	Source      string `json:"source,omitempty"`
	PublishedAt string `json:"published_at,omitempty"` // RFC 3339
	Bullets     int    `json:"bullets,omitempty"`
	// IdempotencyKey, from the Idempotency-Key header, makes a retried
	// request return what the first one created.
	IdempotencyKey string `json:"-"`
}

// nearCopyWindow is how far apart in time a copy and its original may be.
const nearCopyWindow = 3 * 24 * time.Hour

// Ingest stores an article, translated and summarized. It returns the
// stored article and whether it was created (false: it existed already).
func (in *Ingester) Ingest(ctx context.Context, req Request) (*gateway.StoredArticle, bool, error) {
	start := in.now()
	published, err := in.validate(&req)
	if err != nil {
		return nil, false, err
	}
	reqHash := requestHash(req)
	if req.IdempotencyKey != "" {
		id, hash, err := in.store.IdempotencyKey(ctx, req.IdempotencyKey)
		switch {
		case err == nil && hash != reqHash:
			return nil, false, gateway.FieldError(gateway.CodeIdempotencyKeyReused, "Idempotency-Key",
				"This Idempotency-Key was used with a different request.")
		case err == nil:
			a, err := in.store.Article(ctx, id)
			return a, false, err
		case !errors.Is(err, in.notFound):
			return nil, false, err
		}
	}

	doc, timings, err := in.document(ctx, &req)
	if err != nil {
		return nil, false, err
	}
	text := arabic.Normalize(doc.Text)
	if text == "" {
		return nil, false, gateway.FieldError(gateway.CodeEmptyText, "text", "The article has no text once formatting is removed.")
	}
	title := arabic.Normalize(firstNonEmpty(req.Title, doc.Title))
	if published.IsZero() {
		published = doc.Published
	}
	if published.IsZero() {
		published = start
	}
	a := &gateway.StoredArticle{
		Source: strings.TrimSpace(firstNonEmpty(req.Source, doc.SiteName)), URL: strings.TrimSpace(firstNonEmpty(req.URL, doc.URL)),
		CanonicalURL: Canonical(firstNonEmpty(doc.Canonical, req.URL, doc.URL)), Title: title, Text: text,
		ContentHash: contentHash(text), PublishedAt: published.UTC(),
	}
	if existing, err := in.store.ArticleByKey(ctx, a.ContentHash, a.CanonicalURL); err == nil {
		return existing, false, nil
	} else if !errors.Is(err, in.notFound) {
		return nil, false, err
	}

	if err := in.translate(ctx, a, req.Bullets, &timings); err != nil {
		return nil, false, err
	}
	if err := in.findStory(ctx, a); err != nil {
		return nil, false, err
	}
	a.IngestedAt = in.now().UTC()
	timings.TotalMS = a.IngestedAt.Sub(start).Milliseconds()
	a.Timings = timings
	return in.store.InsertArticle(ctx, a, req.IdempotencyKey, reqHash)
}

func (in *Ingester) validate(req *Request) (time.Time, error) {
	for field, v := range map[string]string{"text": req.Text, "html": req.HTML, "url": req.URL, "title": req.Title, "source": req.Source} {
		if !utf8.ValidString(v) {
			return time.Time{}, gateway.FieldError(gateway.CodeInvalidUTF8, field, "The %s is not valid UTF-8.", field)
		}
	}
	switch {
	case req.Text != "" && req.HTML != "":
		return time.Time{}, gateway.FieldError(gateway.CodeInvalidField, "html", "Send text or html, not both.")
	case req.Text == "" && req.HTML == "" && req.URL == "":
		return time.Time{}, gateway.FieldError(gateway.CodeMissingField, "text", "Send the article as text, html, or a url to fetch.")
	case len(req.Text)+len(req.HTML) > in.maxBytes:
		return time.Time{}, gateway.FieldError(gateway.CodeTextTooLong, "text", "The article is over %d bytes (DRAGOMAN_MAX_ARTICLE_BYTES).", in.maxBytes)
	case len(req.Title) > 1000 || len(req.Source) > 200 || len(req.URL) > 2000:
		return time.Time{}, gateway.FieldError(gateway.CodeInvalidField, "title", "title, source or url is too long (1000, 200 and 2000 bytes at most).")
	case len(req.IdempotencyKey) > 200:
		return time.Time{}, gateway.FieldError(gateway.CodeInvalidField, "Idempotency-Key", "The Idempotency-Key is over 200 bytes.")
	}
	if req.URL != "" {
		if _, err := webfetch.Check(req.URL); err != nil {
			return time.Time{}, gateway.Wrap(gateway.CodeURLForbidden, err, "The url must be an http or https URL.")
		}
	}
	if req.Bullets == 0 {
		req.Bullets = in.bullets
	}
	if req.Bullets < gateway.MinBullets || req.Bullets > gateway.MaxBullets {
		return time.Time{}, gateway.FieldError(gateway.CodeInvalidField, "bullets", "bullets must be between %d and %d.", gateway.MinBullets, gateway.MaxBullets)
	}
	if req.PublishedAt == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, req.PublishedAt)
	if err != nil {
		return time.Time{}, gateway.FieldError(gateway.CodeInvalidField, "published_at", "published_at must be an RFC 3339 time, such as 2025-11-04T09:10:00+03:00.")
	}
	return t, nil
}

// document is an article's text and what its page says of it.
type document struct {
	extract.Document
	URL string // where the article was fetched from
}

// document gets the article's text: as given, from its HTML, or fetched.
func (in *Ingester) document(ctx context.Context, req *Request) (document, gateway.Timings, error) {
	var t gateway.Timings
	switch {
	case req.Text != "":
		return document{Document: extract.Document{Text: req.Text}}, t, nil
	case req.HTML != "":
		d, err := htmlDocument([]byte(req.HTML), parseURL(req.URL))
		return document{Document: d}, t, err
	}
	start := in.now()
	page, err := in.fetch.Get(ctx, req.URL, "text/html,application/xhtml+xml,text/plain;q=0.8")
	t.FetchMS = in.now().Sub(start).Milliseconds()
	if err != nil {
		return document{}, t, fetchError(err)
	}
	if len(page.Body) > in.maxBytes {
		return document{}, t, gateway.FieldError(gateway.CodeTextTooLong, "url", "The page is over %d bytes (DRAGOMAN_MAX_ARTICLE_BYTES).", in.maxBytes)
	}
	d := document{URL: page.URL.String()}
	if strings.HasPrefix(strings.ToLower(page.ContentType), "text/plain") {
		d.Text = string(page.Body)
		return d, t, nil
	}
	d.Document, err = htmlDocument(page.Body, page.URL)
	d.URL = page.URL.String()
	return d, t, err
}

func htmlDocument(src []byte, pageURL *url.URL) (extract.Document, error) {
	d, err := extract.HTML(src, pageURL)
	if errors.Is(err, extract.ErrNoText) {
		return d, gateway.FieldError(gateway.CodeEmptyText, "html", "The page has no readable text.")
	}
	if err != nil {
		return d, gateway.Wrap(gateway.CodeInvalidField, err, "The HTML could not be read.")
	}
	return d, nil
}

// fetchError sorts a fetch failure: a refused address is the caller's
// mistake (400); anything else is the remote site's (502).
func fetchError(err error) error {
	var status *webfetch.StatusError
	switch {
	case errors.Is(err, webfetch.ErrForbidden):
		return gateway.Wrap(gateway.CodeURLForbidden, err, "The url points at an address the gateway may not fetch (loopback, private or link-local); set DRAGOMAN_ALLOW_PRIVATE_URLS=true for a private deployment.")
	case errors.As(err, &status):
		return gateway.Wrap(gateway.CodeFetchFailed, err, fmt.Sprintf("Fetching the url failed with status %d.", status.Status))
	case errors.Is(err, webfetch.ErrTooLarge):
		return gateway.Wrap(gateway.CodeFetchFailed, err, "The page at the url is larger than the gateway reads.")
	}
	return gateway.Wrap(gateway.CodeFetchFailed, err, "Fetching the url failed.")
}

// translate translates and summarizes, in parallel. The title goes first
// in the text sent, so that its translation comes out of the same call.
func (in *Ingester) translate(ctx context.Context, a *gateway.StoredArticle, bullets int, t *gateway.Timings) error {
	text := a.Text
	titled := a.Title != "" && arabic.Paragraphs(a.Text)[0] != a.Title
	if titled {
		text = a.Title + "\n\n" + a.Text
	}
	var tr *gateway.Translation
	var sum *gateway.Summary
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		start := in.now()
		var err error
		tr, err = in.translator.Translate(gctx, gateway.TranslateRequest{Article: gateway.Article{Text: text}}, nil)
		t.TranslateMS = in.now().Sub(start).Milliseconds()
		return err
	})
	g.Go(func() error {
		start := in.now()
		var err error
		sum, err = in.translator.Summarize(gctx, gateway.SummarizeRequest{Article: gateway.Article{Text: a.Text, Title: a.Title}, Bullets: bullets})
		t.SummarizeMS = in.now().Sub(start).Milliseconds()
		return err
	})
	if err := g.Wait(); err != nil {
		return err
	}
	a.Translation, a.TitleEn = tr.Translation, sum.Headline
	if a.Title != "" {
		first, rest, _ := strings.Cut(tr.Translation, "\n\n")
		a.TitleEn = first
		if titled {
			a.Translation = rest
		}
	}
	a.Language, a.Model = tr.SourceLang, tr.Model
	a.Headline, a.Bullets = sum.Headline, sum.Bullets
	a.Usage = tr.Usage.Add(sum.Usage)
	return nil
}

// findStory links a near copy of a recent article to that article's story.
func (in *Ingester) findStory(ctx context.Context, a *gateway.StoredArticle) error {
	shingles := neardup.Shingles(neardup.Words(a.Text))
	a.SimHash = neardup.SimHash(shingles)
	prints, err := in.store.RecentPrints(ctx, a.PublishedAt.Add(-nearCopyWindow))
	if err != nil {
		return err
	}
	var ids []int64
	byID := map[int64]gateway.ArticlePrint{}
	for _, p := range prints {
		if neardup.Distance(p.SimHash, a.SimHash) <= neardup.CandidateDistance {
			ids = append(ids, p.ID)
			byID[p.ID] = p
		}
	}
	if len(ids) == 0 {
		return nil
	}
	texts, err := in.store.Texts(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids { // oldest first: the original, where there is one
		if neardup.NearCopy(shingles, neardup.Shingles(neardup.Words(texts[id]))) {
			a.DuplicateOf, a.StoryID = id, byID[id].StoryID
			return nil
		}
	}
	return nil
}

// Canonical is the form of a URL that identifies an article: lower-case
// scheme and host, no default port, no fragment, no tracking parameters,
// sorted query, no trailing slash.
func Canonical(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return ""
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if (u.Scheme == "http" && u.Port() == "80") || (u.Scheme == "https" && u.Port() == "443") {
		u.Host = u.Hostname()
	}
	u.Fragment, u.User = "", nil
	q := u.Query()
	for k := range q {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "utm_") || lk == "fbclid" || lk == "gclid" || lk == "ocid" || lk == "ref" {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	if u.Path != "/" {
		u.Path = strings.TrimSuffix(u.Path, "/")
	}
	u.RawPath = ""
	return u.String()
}

func contentHash(normalized string) string {
	sum := sha256.Sum256([]byte(normalized))
	return hex.EncodeToString(sum[:])
}

func requestHash(r Request) string {
	b, _ := json.Marshal(r)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func parseURL(raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return nil
	}
	return u
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// Article returns a stored article.
func (in *Ingester) Article(ctx context.Context, id int64) (*gateway.StoredArticle, error) {
	a, err := in.store.Article(ctx, id)
	if errors.Is(err, in.notFound) {
		return nil, gateway.Errorf(gateway.CodeNotFound, "There is no article %d.", id)
	}
	return a, err
}

// Page sizes of List.
const (
	DefaultPage = 50
	MaxPage     = 200
)

// List returns a page of stored articles, newest first, and the cursor of
// the next page ("" on the last).
func (in *Ingester) List(ctx context.Context, q gateway.ArticleQuery) ([]gateway.StoredArticle, string, error) {
	if q.Limit == 0 {
		q.Limit = DefaultPage
	}
	if q.Limit < 1 || q.Limit > MaxPage {
		return nil, "", gateway.FieldError(gateway.CodeInvalidField, "limit", "limit must be between 1 and %d.", MaxPage)
	}
	if !utf8.ValidString(q.Search) || !utf8.ValidString(q.Source) || len(q.Search) > 500 {
		return nil, "", gateway.FieldError(gateway.CodeInvalidField, "q", "q must be valid UTF-8, at most 500 bytes.")
	}
	arts, next, err := in.store.ListArticles(ctx, q)
	if errors.Is(err, in.badCursor) {
		return nil, "", gateway.FieldError(gateway.CodeInvalidField, "cursor", "The cursor is not one this server gave.")
	}
	if arts == nil {
		arts = []gateway.StoredArticle{}
	}
	return arts, next, err
}
