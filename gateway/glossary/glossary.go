// Package glossary fixes how names and terms are rendered: a starter list of
// names common in Arabic news, named glossaries from a file, and the terms a
// request brings. Only the terms that occur in an article go into its prompt.
package glossary

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dragoman-news/dragoman/gateway/arabic"
)

// Default is the glossary that applies to every request.
const Default = "default"

// Term is one fixed rendering.
type Term struct {
	Source string `json:"source"`
	Target string `json:"target"`
	folded string // Source under search normalization, when known
}

type entry = Term

// Glossary is a set of named term lists. The zero value is empty.
type Glossary struct {
	sets map[string][]entry
}

//go:embed starter.csv
var starterCSV []byte

// Starter returns the built-in list of heads of state and government,
// capitals and news agencies, as the default glossary.
func Starter() *Glossary {
	g, err := parseCSV(bytes.NewReader(starterCSV))
	if err != nil {
		panic("glossary: starter.csv: " + err.Error()) // a build defect, caught by tests
	}
	return g
}

// Load reads a glossary file: JSON ({"ar": "en"} for the default glossary,
// or {"name": {"ar": "en"}} for named ones) or CSV (arabic,english rows for
// the default glossary, or name,arabic,english rows).
func Load(path string) (*Glossary, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("glossary: %w", err)
	}
	var g *Glossary
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		g, err = parseJSON(b)
	case ".csv":
		g, err = parseCSV(bytes.NewReader(b))
	default:
		return nil, fmt.Errorf("glossary: %s: want a .json or .csv file", path)
	}
	if err != nil {
		return nil, fmt.Errorf("glossary: %s: %w", path, err)
	}
	return g, nil
}

func parseJSON(b []byte) (*Glossary, error) {
	var flat map[string]string
	if err := json.Unmarshal(b, &flat); err == nil {
		g := &Glossary{}
		return g, g.add(Default, flat)
	}
	var named map[string]map[string]string
	if err := json.Unmarshal(b, &named); err != nil {
		return nil, errors.New(`want {"arabic": "english"} or {"name": {"arabic": "english"}}`)
	}
	g := &Glossary{}
	for _, name := range slices.Sorted(maps.Keys(named)) {
		if err := g.add(name, named[name]); err != nil {
			return nil, err
		}
	}
	return g, nil
}

func parseCSV(r io.Reader) (*Glossary, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	g := &Glossary{}
	for i, row := range rows {
		if i == 0 && strings.EqualFold(row[len(row)-1], "english") {
			continue // header
		}
		switch len(row) {
		case 2:
			err = g.add(Default, map[string]string{row[0]: row[1]})
		case 3:
			err = g.add(row[0], map[string]string{row[1]: row[2]})
		default:
			err = fmt.Errorf("line %d: want 2 or 3 fields, got %d", i+1, len(row))
		}
		if err != nil {
			return nil, err
		}
	}
	return g, nil
}

func (g *Glossary) add(name string, terms map[string]string) error {
	name = strings.TrimSpace(name)
	if name == "" {
		return errors.New("a glossary needs a name")
	}
	if g.sets == nil {
		g.sets = map[string][]entry{}
	}
	for _, src := range slices.Sorted(maps.Keys(terms)) {
		e, err := newEntry(src, terms[src])
		if err != nil {
			return fmt.Errorf("glossary %q: %w", name, err)
		}
		g.sets[name] = append(g.sets[name], e)
	}
	return nil
}

func newEntry(src, dst string) (entry, error) {
	src, dst = arabic.Normalize(src), strings.TrimSpace(dst)
	if src == "" || dst == "" || strings.Contains(src, "\n") || strings.ContainsAny(dst, "\n\r") {
		return entry{}, fmt.Errorf("invalid term %q => %q: both sides must be one non-empty line", src, dst)
	}
	return entry{Source: src, Target: dst, folded: arabic.Fold(src)}, nil
}

// Merge returns a glossary holding the sets of all given glossaries; for a
// source term in several, the last one wins.
func Merge(gs ...*Glossary) *Glossary {
	out := &Glossary{sets: map[string][]entry{}}
	for _, g := range gs {
		if g == nil {
			continue
		}
		for name, entries := range g.sets {
			out.sets[name] = append(out.sets[name], entries...)
		}
	}
	return out
}

// Names lists the glossaries, sorted.
func (g *Glossary) Names() []string { return slices.Sorted(maps.Keys(g.sets)) }

// Has reports whether a glossary of that name exists.
func (g *Glossary) Has(name string) bool { _, ok := g.sets[name]; return ok }

// Len is the number of terms in the named glossary.
func (g *Glossary) Len(name string) int { return len(g.sets[name]) }

// ErrUnknownGlossary is returned for a glossary name that does not exist.
var ErrUnknownGlossary = errors.New("glossary: unknown glossary")

// Select returns the terms that occur in text (normalized by
// arabic.Normalize), from the default glossary, the named glossaries and
// extra (the request's own terms), sorted by source. For a source term in
// several, extra wins, then the later name.
func (g *Glossary) Select(text string, names []string, extra map[string]string) ([]Term, error) {
	lists := [][]entry{g.sets[Default]}
	for _, name := range names {
		entries, ok := g.sets[name]
		if !ok {
			return nil, fmt.Errorf("%w %q", ErrUnknownGlossary, name)
		}
		lists = append(lists, entries)
	}
	var own []entry
	for _, src := range slices.Sorted(maps.Keys(extra)) {
		e, err := newEntry(src, extra[src])
		if err != nil {
			return nil, err
		}
		own = append(own, e)
	}
	lists = append(lists, own)

	folded := arabic.FoldNormalized(text)
	chosen := map[string]Term{}
	for _, list := range lists {
		for _, e := range list {
			if occurs(folded, e.folded) {
				chosen[e.folded] = e
			}
		}
	}
	terms := slices.Collect(maps.Values(chosen))
	slices.SortFunc(terms, func(a, b Term) int { return strings.Compare(a.Source, b.Source) })
	return terms, nil
}

// Missing returns the targets of terms that do not appear in text.
func Missing(terms []Term, text string) []string {
	lower := strings.ToLower(text)
	var out []string
	for _, t := range terms {
		if !strings.Contains(lower, strings.ToLower(t.Target)) {
			out = append(out, t.Target)
		}
	}
	return out
}

// occurs reports whether term occurs in text as a whole word, allowing the
// prefixes Arabic glues to words (و ف ب ل ك, and لل for ل + ال). Both are
// in search normalization.
func occurs(text, term string) bool {
	alts := []string{term}
	if rest, ok := strings.CutPrefix(term, "ال"); ok && rest != "" {
		alts = append(alts, "لل"+rest)
	}
	for _, alt := range alts {
		for i := 0; ; {
			j := strings.Index(text[i:], alt)
			if j < 0 {
				break
			}
			start, end := i+j, i+j+len(alt)
			if wordStart(text[:start]) && wordEnd(text[end:]) {
				return true
			}
			_, size := utf8.DecodeRuneInString(text[start:])
			i = start + size
		}
	}
	return false
}

// wordStart reports whether a match may begin after before: at a word
// boundary, or after up to two clitic letters that begin a word.
func wordStart(before string) bool {
	for range 3 {
		r, size := utf8.DecodeLastRuneInString(before)
		if size == 0 || !unicode.IsLetter(r) {
			return true
		}
		if !strings.ContainsRune("وفبلك", r) {
			return false
		}
		before = before[:len(before)-size]
	}
	return false
}

func wordEnd(after string) bool {
	r, size := utf8.DecodeRuneInString(after)
	return size == 0 || !unicode.IsLetter(r)
}

// Within returns the terms whose source occurs in text (normalized by
// arabic.Normalize).
func Within(terms []Term, text string) []Term {
	folded := arabic.FoldNormalized(text)
	var out []Term
	for _, t := range terms {
		f := t.folded
		if f == "" {
			f = arabic.Fold(t.Source)
		}
		if occurs(folded, f) {
			out = append(out, t)
		}
	}
	return out
}

// Fingerprint is a digest of every term of every set. It belongs in cache
// keys that depend on the glossary: editing the glossary file changes it.
func (g *Glossary) Fingerprint() string {
	h := sha256.New()
	for _, name := range g.Names() {
		fmt.Fprintf(h, "%d:%s;", len(name), name)
		for _, e := range g.sets[name] {
			fmt.Fprintf(h, "%d:%s%d:%s;", len(e.Source), e.Source, len(e.Target), e.Target)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
