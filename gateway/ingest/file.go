package ingest

import (
	"fmt"
	"strings"
)

// ParseFile reads an article file: header lines ("source: …", "url: …",
// "title: …", "published_at: …"), a blank line, then the article's text.
func ParseFile(content string) (Request, error) {
	head, body, ok := strings.Cut(strings.ReplaceAll(content, "\r\n", "\n"), "\n\n")
	if !ok {
		return Request{}, fmt.Errorf("no blank line between the header and the text")
	}
	r := Request{Text: strings.TrimSpace(body)}
	for line := range strings.SplitSeq(head, "\n") {
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "source":
			r.Source = v
		case "url":
			r.URL = v
		case "title":
			r.Title = v
		case "published_at":
			r.PublishedAt = v
		default:
			return Request{}, fmt.Errorf("unknown header %q (want source, url, title or published_at)", k)
		}
	}
	return r, nil
}
