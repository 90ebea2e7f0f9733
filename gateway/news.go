package gateway

import "time"

// StoredArticle is an article kept by the store: the Arabic original, its
// translation and summary, and where it came from.
type StoredArticle struct {
	ID      int64  `json:"id"`
	StoryID int64  `json:"story_id"`
	Source  string `json:"source,omitempty"` // the outlet, e.g. "Al Jazeera"
	URL     string `json:"url,omitempty"`
	// CanonicalURL identifies the article for de-duplication.
	CanonicalURL string   `json:"canonical_url,omitempty"`
	Title        string   `json:"title,omitempty"` // as published, in the source language
	TitleEn      string   `json:"title_en"`        // in English
	Language     string   `json:"language"`
	Text         string   `json:"text"` // normalized original
	Translation  string   `json:"translation"`
	Headline     string   `json:"headline"`
	Bullets      []string `json:"bullets"`
	// DuplicateOf is the earlier article this one is a near copy of (a
	// syndicated wire story), or 0.
	DuplicateOf int64     `json:"duplicate_of,omitempty"`
	PublishedAt time.Time `json:"published_at"`
	IngestedAt  time.Time `json:"ingested_at"`
	Model       string    `json:"model"`
	Usage       Usage     `json:"usage"`
	Timings     Timings   `json:"timings"`
	// ContentHash is the SHA-256 of the normalized text.
	ContentHash string `json:"content_hash"`
	// SimHash fingerprints the text for near-duplicate search.
	SimHash uint64 `json:"-"`
}

// Timings are how long the steps of an ingestion took, in milliseconds.
type Timings struct {
	FetchMS     int64 `json:"fetch_ms,omitempty"`
	TranslateMS int64 `json:"translate_ms"`
	SummarizeMS int64 `json:"summarize_ms"`
	TotalMS     int64 `json:"total_ms"`
}

// ArticleQuery selects stored articles, newest first.
type ArticleQuery struct {
	From, To time.Time // published in [From, To); zero means unbounded
	Source   string
	Search   string // words in the translation, headline, title or original
	Limit    int
	Cursor   string // from the previous page
}

// Briefing is one day's English briefing.
type Briefing struct {
	Date        string          `json:"date"` // YYYY-MM-DD
	TZ          string          `json:"tz"`
	Title       string          `json:"title"`
	Bullets     []string        `json:"bullets"`
	Stories     []BriefingStory `json:"stories"`
	Articles    int             `json:"articles"`      // articles of the day considered
	StoriesSeen int             `json:"stories_total"` // stories before max_stories
	Sources     []string        `json:"sources,omitempty"`
	GeneratedAt time.Time       `json:"generated_at"`
	Model       string          `json:"model"`
	ModelCalls  int             `json:"model_calls"`
	Usage       Usage           `json:"usage"`
	Demo        bool            `json:"demo,omitempty"`
}

// BriefingStory is one event, told by one or more articles.
type BriefingStory struct {
	ID         int64            `json:"id"`
	Headline   string           `json:"headline"`
	HeadlineAr string           `json:"headline_ar,omitempty"`
	Bullets    []string         `json:"bullets"`
	Weight     float64          `json:"weight"`
	Latest     time.Time        `json:"latest"`
	Sources    []BriefingSource `json:"sources"`
}

// BriefingSource is an article behind a story.
type BriefingSource struct {
	ArticleID   int64     `json:"article_id"`
	Source      string    `json:"source"`
	URL         string    `json:"url,omitempty"`
	Title       string    `json:"title,omitempty"`
	TitleEn     string    `json:"title_en,omitempty"`
	PublishedAt time.Time `json:"published_at"`
}

// ArticlePrint is what near-duplicate search needs of a stored article.
type ArticlePrint struct {
	ID      int64
	StoryID int64
	SimHash uint64
}

// Delivery is a message (or a few, in order) posted to a chat or webhook:
// a command's answer, or a briefing.
type Delivery struct {
	ID          int64  `json:"id"`
	Key         string `json:"key"` // what makes it unique: the command or briefing and the destination
	Kind        string `json:"kind"`
	Platform    string `json:"platform"`
	Destination string `json:"destination"` // a description without secrets
	Parts       int    `json:"parts"`
	PartsSent   int    `json:"parts_sent"`
	// Status is pending, delivered or failed.
	Status    string    `json:"status"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)
