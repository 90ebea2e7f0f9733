package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/dragoman-news/dragoman/gateway"
	"github.com/dragoman-news/dragoman/gateway/arabic"
)

// Feed is an RSS or Atom feed to poll.
type Feed struct {
	Name string // the outlet; "" takes the feed's own title
	URL  string
}

// ParseFeeds reads DRAGOMAN_FEEDS: comma-separated URLs, each optionally
// named ("Al Jazeera=https://…").
func ParseFeeds(s string) ([]Feed, error) {
	var out []Feed
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		var f Feed
		if name, u, ok := strings.Cut(entry, "="); ok && !strings.Contains(name, "://") {
			f = Feed{Name: strings.TrimSpace(name), URL: strings.TrimSpace(u)}
		} else {
			f = Feed{URL: entry}
		}
		if Canonical(f.URL) == "" || !(strings.HasPrefix(f.URL, "http://") || strings.HasPrefix(f.URL, "https://")) {
			return nil, fmt.Errorf("feed %q: want an http(s) URL", entry)
		}
		out = append(out, f)
	}
	return out, nil
}

// Item is one entry of a feed.
type Item struct {
	Feed      string    `json:"feed"`   // the feed's URL
	Source    string    `json:"source"` // the outlet
	Key       string    `json:"key"`    // the item's GUID, or link, or a hash of its title
	Link      string    `json:"link"`
	Title     string    `json:"title"`
	Published time.Time `json:"published"`
	// Content is the item's HTML, when the feed carries the article.
	Content string `json:"content,omitempty"`
}

// FetchFeed fetches and parses a feed.
func (in *Ingester) FetchFeed(ctx context.Context, f Feed) ([]Item, error) {
	page, err := in.fetch.Get(ctx, f.URL, "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8")
	if err != nil {
		return nil, fetchError(err)
	}
	parsed, err := gofeed.NewParser().ParseString(string(page.Body))
	if err != nil {
		return nil, gateway.Wrap(gateway.CodeFetchFailed, err, "The feed could not be parsed.")
	}
	source := f.Name
	if source == "" {
		source = strings.TrimSpace(parsed.Title)
	}
	var items []Item
	for _, it := range parsed.Items {
		item := Item{Feed: f.URL, Source: source, Link: strings.TrimSpace(it.Link), Title: strings.TrimSpace(it.Title)}
		if it.PublishedParsed != nil {
			item.Published = it.PublishedParsed.UTC()
		} else if it.UpdatedParsed != nil {
			item.Published = it.UpdatedParsed.UTC()
		}
		item.Content = it.Content
		if item.Content == "" {
			item.Content = it.Description
		}
		item.Key = firstNonEmpty(strings.TrimSpace(it.GUID), Canonical(item.Link))
		if item.Key == "" {
			sum := sha256.Sum256([]byte(item.Title + "\n" + item.Published.String()))
			item.Key = hex.EncodeToString(sum[:])
		}
		items = append(items, item)
	}
	return items, nil
}

// minFeedText is the Arabic letters a feed item's own content needs to be
// taken as the article; less is a teaser, and the link is fetched.
const minFeedText = 400

// IngestItem ingests a feed item: from its own content when the feed
// carries the whole article, from its link otherwise.
func (in *Ingester) IngestItem(ctx context.Context, it Item) (*gateway.StoredArticle, bool, error) {
	req := Request{URL: it.Link, Title: it.Title, Source: it.Source}
	if !it.Published.IsZero() {
		req.PublishedAt = it.Published.Format(time.RFC3339)
	}
	if arabic.CountLetters(it.Content).Arabic >= minFeedText {
		req.HTML = it.Content
	}
	if req.URL == "" && req.HTML == "" {
		return nil, false, gateway.Errorf(gateway.CodeMissingField, "The feed item has neither a link nor content.")
	}
	return in.Ingest(ctx, req)
}
