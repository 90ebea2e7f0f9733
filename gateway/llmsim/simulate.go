package llmsim

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/dragoman-news/dragoman/gateway/arabic"
)

// Simulation turns a chat request into a deterministic answer: a word-by-
// word rendering of the article for translations, and a JSON document of
// the requested shape for everything else. It is no translator, but its
// answers have the properties the gateway checks (Latin script, one output
// paragraph per input paragraph, every number kept, the glossary applied,
// exactly the number of list items asked for), so that the whole API can be
// exercised offline.
type Simulation struct {
	System   string            // the system prompt
	Article  string            // the text between the article markers
	Glossary map[string]string // source => target pairs found in the system prompt
	JSON     bool              // a JSON answer is wanted
	Template map[string]any    // the JSON example in the prompt, if any
	Schema   map[string]any    // the JSON schema sent, if any
}

var (
	spaceBeforePunct = strings.NewReplacer(" ,", ",", " .", ".", " :", ":", " ;", ";", " ?", "?", " !", "!")
	articleStart     = regexp.MustCompile(`(?m)^<<<ARTICLE ([^>\s]+)>>>\n`)
	glossaryLine     = regexp.MustCompile(`(?m)^\s*(\S[^\n=]*?) => (\S[^\n]*?)\s*$`)
	exactlyN         = regexp.MustCompile(`exactly (\d+) (\w+)`)
	lineLabel        = regexp.MustCompile(`^(?:[-*•]\s+|\d+\.\s+|Headline:\s*)+`)
	reportLine       = regexp.MustCompile(`^Report \d+:`)
)

// Parse reads what the simulator needs from a request's messages and
// response format (nil when none was asked for).
func Parse(messages []Message, format *ResponseFormat) Simulation {
	var sim Simulation
	for _, m := range messages {
		switch {
		case m.Role == "system" && sim.System == "":
			sim.System = m.Content
		case m.Role == "user" && sim.Article == "":
			sim.Article = extractArticle(m.Content)
		}
	}
	sim.Glossary = map[string]string{}
	for _, g := range glossaryLine.FindAllStringSubmatch(sim.System, -1) {
		sim.Glossary[g[1]] = g[2]
	}
	if format != nil && format.Type != "text" && format.Type != "" {
		sim.JSON = true
		if format.JSONSchema != nil {
			_ = json.Unmarshal(format.JSONSchema.Schema, &sim.Schema)
		}
	}
	if i := strings.Index(sim.System, "in this form: {"); i >= 0 {
		sim.JSON = true
		example := sim.System[i+len("in this form: "):]
		if end := strings.LastIndex(example, "}"); end >= 0 {
			_ = json.Unmarshal([]byte(example[:end+1]), &sim.Template)
		}
	}
	return sim
}

// extractArticle returns the text between the article markers, or the
// whole message when it has none.
func extractArticle(s string) string {
	m := articleStart.FindStringSubmatchIndex(s)
	if m == nil {
		return s
	}
	nonce := s[m[2]:m[3]]
	body := s[m[1]:]
	if end := strings.LastIndex(body, "\n<<<END ARTICLE "+nonce+">>>"); end >= 0 {
		body = body[:end]
	}
	return body
}

// Translate renders each paragraph of the article word by word.
func (sim Simulation) Translate() string {
	paras := strings.Split(strings.TrimSpace(sim.Article), "\n\n")
	out := make([]string, len(paras))
	for i, p := range paras {
		out[i] = capitalize(sim.renderText(p))
	}
	return strings.Join(out, "\n\n")
}

// Answer is the simulated answer: a JSON document when one is wanted, the
// word-by-word translation otherwise.
func (sim Simulation) Answer() string {
	if sim.JSON {
		return sim.Document()
	}
	return sim.Translate()
}

// Document fills the requested JSON shape from the article's sentences.
func (sim Simulation) Document() string {
	shape := sim.Template
	if props, ok := sim.Schema["properties"].(map[string]any); ok {
		shape = map[string]any{}
		for name, p := range props {
			if p, ok := p.(map[string]any); ok && p["type"] == "array" {
				shape[name] = []any{""}
			} else {
				shape[name] = ""
			}
		}
	}
	if shape == nil {
		shape = map[string]any{"headline": "", "bullets": []any{""}}
	}
	sentences := sim.sentences()
	next := 0
	take := func() string {
		s := sentences[next%len(sentences)]
		if next >= len(sentences) {
			s = fmt.Sprintf("%s (point %d)", strings.TrimSuffix(s, "."), next+1) + "."
		}
		next++
		return s
	}
	doc := map[string]any{}
	names := slices.Sorted(maps.Keys(shape))
	for _, name := range names { // single strings (headlines) first
		if _, list := shape[name].([]any); !list {
			doc[name] = headline(take())
		}
	}
	for _, name := range names {
		if _, list := shape[name].([]any); list {
			items := make([]string, sim.itemCount(name))
			for i := range items {
				items[i] = take()
			}
			doc[name] = items
		}
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

// itemCount finds how many items a list must hold: from the schema, or
// from "exactly N bullets" in the prompt.
func (sim Simulation) itemCount(field string) int {
	if props, ok := sim.Schema["properties"].(map[string]any); ok {
		if p, ok := props[field].(map[string]any); ok {
			if n, ok := p["minItems"].(float64); ok && n > 0 {
				if most, ok := p["maxItems"].(float64); ok && most > n {
					return int(min(most, max(n, 3)))
				}
				return int(n)
			}
		}
	}
	for _, m := range exactlyN.FindAllStringSubmatch(sim.System, -1) {
		if strings.HasPrefix(field, strings.TrimSuffix(m[2], "s")) {
			n, _ := strconv.Atoi(m[1])
			return n
		}
	}
	return 3
}

// sentences are the article's sentences, rendered, each once. Lines that
// label material rather than report it ("Report 2: Reuters, 09:10", a
// "Headline:" prefix, list markers) are cleaned away first.
func (sim Simulation) sentences() []string {
	var out []string
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(sim.Article), "\n") {
		line = strings.TrimSpace(lineLabel.ReplaceAllString(strings.TrimSpace(line), ""))
		if len([]rune(line)) < 25 || reportLine.MatchString(line) {
			continue // date lines, bylines and labels make poor bullets
		}
		for _, s := range arabic.Sentences(line) {
			r := sentence(sim.renderText(strings.TrimSpace(s)))
			if r != "" && !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	if len(out) == 0 {
		out = []string{"The text has no sentence to summarize."}
	}
	return out
}

// sentence caps a rendering at 30 words and ends it with a full stop.
func sentence(s string) string {
	words := strings.Fields(s)
	if len(words) > 30 {
		words = words[:30]
	}
	s = strings.TrimRight(strings.Join(words, " "), " .,;:!?")
	if s == "" {
		return ""
	}
	return capitalize(s) + "."
}

func capitalize(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return s
	}
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

func headline(s string) string {
	words := strings.Fields(strings.TrimSuffix(s, "."))
	if len(words) > 12 {
		words = words[:12]
	}
	return strings.Join(words, " ")
}

// renderText applies the glossary, then renders word by word.
func (sim Simulation) renderText(text string) string {
	// Longest terms first, so that a full name wins over its surname.
	sources := slices.SortedFunc(maps.Keys(sim.Glossary), func(a, b string) int {
		if d := len(b) - len(a); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	for _, src := range sources {
		text = strings.ReplaceAll(text, src, " "+sim.Glossary[src]+" ")
	}
	var words []string
	for _, w := range strings.Fields(text) {
		words = append(words, renderWord(w))
	}
	return strings.TrimSpace(spaceBeforePunct.Replace(strings.Join(words, " ")))
}
