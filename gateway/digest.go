package gateway

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dragoman-news/dragoman/cache"
)

// StoryReport is one article's summary, as a story merge reads it.
type StoryReport struct {
	Source      string
	PublishedAt time.Time
	Headline    string
	Bullets     []string
}

// Digest is a headline with bullets, written by the model from summaries.
type Digest struct {
	Headline string   `json:"headline"`
	Bullets  []string `json:"bullets"`
	Usage    Usage    `json:"usage"`
	Cached   bool     `json:"cached"`
}

// MergeStory writes one story from the summaries of the articles that tell
// it (oldest first), with the given number of bullets.
func (s *Service) MergeStory(ctx context.Context, reports []StoryReport, bullets int) (*Digest, error) {
	var b strings.Builder
	for i, r := range reports {
		fmt.Fprintf(&b, "Report %d: %s, %s\nHeadline: %s\n", i+1, r.Source, r.PublishedAt.UTC().Format("2006-01-02 15:04 UTC"), r.Headline)
		for _, bullet := range r.Bullets {
			fmt.Fprintf(&b, "- %s\n", bullet)
		}
		b.WriteString("\n")
	}
	return s.compose(ctx, "story", strings.TrimSpace(b.String()), bullets, "")
}

// TopLine writes the title and top bullets of a day's briefing from its
// stories' headlines and first bullets, most important first.
func (s *Service) TopLine(ctx context.Context, date string, stories []Digest, bullets int) (*Digest, error) {
	var b strings.Builder
	for i, st := range stories {
		fmt.Fprintf(&b, "%d. %s\n", i+1, st.Headline)
		if len(st.Bullets) > 0 {
			fmt.Fprintf(&b, "   %s\n", st.Bullets[0])
		}
	}
	return s.compose(ctx, "topline", strings.TrimSpace(b.String()), bullets, date)
}

// compose runs a JSON task over English text: the answer is a headline and
// exactly the bullets asked for, checked like a summary and cached.
func (s *Service) compose(ctx context.Context, task, text string, bullets int, title string) (*Digest, error) {
	if err := s.Ready(); err != nil {
		return nil, err
	}
	if bullets < MinBullets || bullets > MaxBullets {
		return nil, FieldError(CodeInvalidField, "bullets", "bullets must be between %d and %d.", MinBullets, MaxBullets)
	}
	key := cache.NewKey(cache.Parts{
		Task: task, Text: text, Options: map[string]string{"bullets": strconv.Itoa(bullets), "title": title},
		Model: s.cfg.SummaryModel, PromptHash: s.composeHash,
	})
	d, src, err := cached(ctx, s, key, false, "digest", func(ctx context.Context, _ func(StreamEvent)) (*Digest, error) {
		english, _ := LookupLanguage("en")
		doc, usage, err := s.askBullets(ctx, task, task, promptData{
			Source: english.Name, Target: english.Name, Nonce: nonce(text), Text: text, Bullets: bullets, Title: title,
		})
		if err != nil {
			return nil, err
		}
		return &Digest{Headline: doc.Headline, Bullets: doc.Bullets, Usage: usage}, nil
	}, nil)
	if err != nil {
		return nil, err
	}
	if src != cache.Computed {
		d.Cached, d.Usage = true, Usage{}
	}
	return d, nil
}
