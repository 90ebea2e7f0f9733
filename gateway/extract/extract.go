// Package extract finds the readable text of an HTML page or fragment: the
// article, without navigation, scripts or boilerplate, with its paragraphs.
package extract

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	readability "codeberg.org/readeck/go-readability/v2"
	"codeberg.org/readeck/go-readability/v2/render"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Document is what was read out of an HTML page.
type Document struct {
	Title     string
	Byline    string
	SiteName  string
	Language  string
	Published time.Time // zero when the page does not say
	// Canonical is the page's <link rel="canonical">, resolved; "" if none.
	Canonical string
	// Text is the readable text, paragraphs separated by line breaks.
	Text string
}

// ErrNoText is returned when a page has no readable text.
var ErrNoText = errors.New("extract: no readable text in the HTML")

// minReadable is the length under which readability's choice is distrusted
// for a fragment: on short input it can pick a single block and drop the rest.
const minReadable = 200

// HTML extracts the readable text of src. pageURL, if known, resolves
// relative links; it may be nil.
func HTML(src []byte, pageURL *url.URL) (Document, error) {
	root, err := html.Parse(bytes.NewReader(src))
	if err != nil {
		return Document{}, fmt.Errorf("extract: parse HTML: %w", err)
	}
	doc := Document{Canonical: canonical(root, pageURL)}
	parser := readability.NewParser()
	if article, err := parser.ParseDocument(root, pageURL); err == nil && article.Node != nil {
		doc.Title = strings.TrimSpace(article.Title())
		doc.Byline = strings.TrimSpace(article.Byline())
		doc.SiteName = strings.TrimSpace(article.SiteName())
		doc.Language = strings.TrimSpace(article.Language())
		doc.Text = strings.TrimSpace(render.InnerText(article.Node))
		if t, err := article.PublishedTime(); err == nil {
			doc.Published = t
		}
	}
	whole := innerText(root) // after readability: it removes nodes
	// Readability is built for whole pages. For a fragment, or when it
	// keeps much less than the body holds without any page furniture to
	// remove, the body's own text is the better answer.
	if len([]rune(doc.Text)) < minReadable && len([]rune(whole)) > len([]rune(doc.Text)) && !hasFurniture(src) {
		doc.Text = whole
	}
	if doc.Text == "" {
		doc.Text = whole
	}
	if strings.TrimSpace(doc.Text) == "" {
		return Document{}, ErrNoText
	}
	return doc, nil
}

// canonical finds <link rel="canonical" href="…"> and resolves it.
func canonical(root *html.Node, base *url.URL) string {
	var href string
	var walk func(*html.Node) bool
	walk = func(n *html.Node) bool {
		if n.Type == html.ElementNode && n.DataAtom == atom.Link {
			var rel, h string
			for _, a := range n.Attr {
				switch strings.ToLower(a.Key) {
				case "rel":
					rel = strings.ToLower(a.Val)
				case "href":
					h = strings.TrimSpace(a.Val)
				}
			}
			if rel == "canonical" && h != "" {
				href = h
				return true
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if walk(c) {
				return true
			}
		}
		return false
	}
	walk(root)
	if href == "" {
		return ""
	}
	u, err := url.Parse(href)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if !u.IsAbs() {
		return ""
	}
	return u.String()
}

// innerText renders the body of a parsed document, skipping elements that
// never hold article text.
func innerText(root *html.Node) string {
	var strip []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Iframe, atom.Svg, atom.Head:
				strip = append(strip, n)
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	for _, n := range strip {
		if n.Parent != nil {
			n.Parent.RemoveChild(n)
		}
	}
	return strings.TrimSpace(render.InnerText(root))
}

// hasFurniture reports page structure that readability exists to remove.
func hasFurniture(src []byte) bool {
	lower := bytes.ToLower(src)
	for _, tag := range []string{"<nav", "<header", "<footer", "<aside", "<menu"} {
		if bytes.Contains(lower, []byte(tag)) {
			return true
		}
	}
	return false
}
