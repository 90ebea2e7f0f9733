package briefing

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/dragoman-news/dragoman/gateway"
)

// Markdown renders a briefing as Markdown. Text from the model or the
// articles is escaped, so that it cannot add links, images or markup; only
// the sources' http(s) URLs become links.
func Markdown(b *gateway.Briefing) string {
	var w strings.Builder
	fmt.Fprintf(&w, "# %s\n\n", mdEscape(b.Title))
	fmt.Fprintf(&w, "_%s · %s · %d articles, %d stories_\n\n", dayName(b), b.TZ, b.Articles, b.StoriesSeen)
	for _, bullet := range b.Bullets {
		fmt.Fprintf(&w, "- %s\n", mdEscape(bullet))
	}
	for i, st := range b.Stories {
		fmt.Fprintf(&w, "\n## %d. %s\n\n", i+1, mdEscape(st.Headline))
		if st.HeadlineAr != "" {
			// Its own line, isolated, so that bidi reordering stays inside it.
			fmt.Fprintf(&w, "\u2067%s\u2069\n\n", mdEscape(st.HeadlineAr))
		}
		for _, bullet := range st.Bullets {
			fmt.Fprintf(&w, "- %s\n", mdEscape(bullet))
		}
		w.WriteString("\nSources: ")
		for j, s := range st.Sources {
			if j > 0 {
				w.WriteString(" · ")
			}
			label := mdEscape(s.Source) + " " + s.PublishedAt.In(zone(b.TZ)).Format("15:04")
			if u := safeURL(s.URL); u != "" {
				fmt.Fprintf(&w, "[%s](%s)", label, strings.NewReplacer("(", "%28", ")", "%29", " ", "%20").Replace(u))
			} else {
				w.WriteString(label)
			}
		}
		w.WriteString("\n")
	}
	if b.Demo {
		w.WriteString("\n_Written by the built-in simulator (demo mode)._\n")
	}
	return w.String()
}

var mdSpecial = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`,
	"#", `\#`, "<", `\<`, ">", `\>`, "|", `\|`, "!", `\!`, "~", `\~`, "\n", " ",
)

func mdEscape(s string) string { return mdSpecial.Replace(s) }

// safeURL passes http(s) URLs only.
func safeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

func zone(tz string) *time.Location {
	if loc, err := time.LoadLocation(tz); err == nil {
		return loc
	}
	return time.UTC
}

func dayName(b *gateway.Briefing) string {
	d, err := time.Parse(time.DateOnly, b.Date)
	if err != nil {
		return b.Date
	}
	return d.Format("Monday, 2 January 2006")
}

//go:embed briefing.html.tmpl
var pageTemplate string

var page = template.Must(template.New("briefing").Funcs(template.FuncMap{
	"time": func(t time.Time, tz string) string { return t.In(zone(tz)).Format("15:04") },
	"safe": safeURL,
}).Parse(pageTemplate))

// HTML renders a briefing as a page: English, left to right, with each
// story's Arabic headline right to left in its own block and every source
// linked. html/template escapes all text.
func HTML(b *gateway.Briefing) ([]byte, error) {
	var buf bytes.Buffer
	err := page.Execute(&buf, struct {
		*gateway.Briefing
		Day string
	}{b, dayName(b)})
	if err != nil {
		return nil, fmt.Errorf("briefing: render HTML: %w", err)
	}
	return buf.Bytes(), nil
}
