package chat

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dragoman-news/dragoman/gateway"
)

// Reply is a result to post in a chat, before any platform's formatting.
// All its text is untrusted (model output, article text): renderers escape
// it. Links are the only markup, and only http(s) ones are kept.
type Reply struct {
	Title    string
	Sections []Section
	Footer   string
}

// Section is one block of a reply: a story, a translation, a summary.
type Section struct {
	Heading string
	Arabic  string // a line in Arabic, shown on its own line, isolated
	Text    string // paragraphs separated by blank lines
	Bullets []string
	Links   []Link
}

// Link is a source link.
type Link struct {
	Text, URL string
}

func translationReply(t *gateway.Translation) Reply {
	return Reply{
		Title:    "Translation",
		Sections: []Section{{Text: t.Translation}},
		Footer:   footer(t.Model, t.Cached, t.Demo),
	}
}

func summaryReply(s *gateway.Summary) Reply {
	return Reply{
		Title:    s.Headline,
		Sections: []Section{{Bullets: s.Bullets}},
		Footer:   footer(s.Model, s.Cached, s.Demo),
	}
}

func articleReply(a *gateway.StoredArticle, translate bool) Reply {
	sec := Section{Heading: a.TitleEn, Arabic: a.Title, Links: sourceLinks(a.Source, a.URL)}
	if translate {
		sec.Text = a.Translation
	} else {
		sec.Bullets = a.Bullets
	}
	return Reply{Title: a.Headline, Sections: []Section{sec}, Footer: footer(a.Model, false, false)}
}

func briefingReply(b *gateway.Briefing) Reply {
	r := Reply{
		Title:  b.Title,
		Footer: fmt.Sprintf("%s · %d articles, %d stories · %s", b.Date, b.Articles, b.StoriesSeen, footer(b.Model, false, b.Demo)),
	}
	r.Sections = append(r.Sections, Section{Bullets: b.Bullets})
	for _, st := range b.Stories {
		sec := Section{Heading: st.Headline, Arabic: st.HeadlineAr, Bullets: st.Bullets}
		for _, s := range st.Sources {
			sec.Links = append(sec.Links, Link{Text: s.Source + " " + s.PublishedAt.In(zone(b.TZ)).Format("15:04"), URL: s.URL})
		}
		r.Sections = append(r.Sections, sec)
	}
	return r
}

func sourceLinks(source, u string) []Link {
	if u == "" {
		return nil
	}
	return []Link{{Text: firstNonEmpty(source, "Source"), URL: u}}
}

func footer(model string, cached, demo bool) string {
	parts := []string{"Dragoman"}
	if model != "" {
		parts = append(parts, model)
	}
	if cached {
		parts = append(parts, "cached")
	}
	if demo {
		parts = append(parts, "demo answer from the built-in simulator")
	}
	return strings.Join(parts, " · ")
}

func zone(tz string) *time.Location {
	if loc, err := time.LoadLocation(tz); err == nil {
		return loc
	}
	return time.UTC
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// safeURL keeps http(s) URLs only.
func safeURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

// isolate wraps a line in first-strong isolates, so that Arabic keeps its
// direction without reordering the text around it.
func isolate(s string) string { return "\u2068" + s + "\u2069" }

var bareURL = regexp.MustCompile(`(?i)\b(https?|ftp|www)(://|\.)`)

// defang breaks URLs in untrusted text so that no platform turns them into
// links; the reader still sees where they point.
func defang(s string) string { return bareURL.ReplaceAllString(s, "$1\u200b$2") }

var mention = regexp.MustCompile(`(?i)@(everyone|here|channel|all|group)\b`)

// unmention breaks the mentions that notify a whole channel.
func unmention(s string) string { return mention.ReplaceAllString(s, "@\u200b$1") }

// split cuts text into pieces of at most limit bytes, preferring to cut
// between paragraphs, then lines, then words; a piece never ends inside a
// UTF-8 character or an HTML entity.
func split(text string, limit int) []string {
	var out []string
	for len(text) > limit {
		cut := strings.LastIndex(text[:limit], "\n\n")
		if cut <= 0 {
			cut = strings.LastIndex(text[:limit], "\n")
		}
		if cut <= 0 {
			cut = strings.LastIndex(text[:limit], " ")
		}
		if cut <= 0 {
			cut = limit
			for cut > 0 && !utf8.RuneStart(text[cut]) {
				cut--
			}
			if amp := strings.LastIndex(text[:cut], "&"); amp > cut-10 && amp > 0 && !strings.Contains(text[amp:cut], ";") {
				cut = amp
			}
		}
		out = append(out, strings.TrimRight(text[:cut], " \n"))
		text = strings.TrimLeft(text[cut:], " \n")
	}
	if strings.TrimSpace(text) != "" || len(out) == 0 {
		out = append(out, text)
	}
	return out
}
