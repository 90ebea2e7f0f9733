// Package prompts holds the prompt templates and answer schemas sent to the
// model. They are files, embedded at build time, so that they can be read and
// reviewed as text; a file's content hash is part of every cache key that
// depends on it, so that editing a prompt never serves a stale answer.
package prompts

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"text/template"
)

//go:embed *.tmpl *.schema.json
var embedded embed.FS

// Set is a parsed set of prompt files.
type Set struct {
	templates *template.Template
	files     map[string][]byte
}

// Embedded returns the prompts built into the binary.
func Embedded() (*Set, error) { return Load(embedded) }

// Load reads every *.tmpl and *.schema.json file at the root of fsys.
func Load(fsys fs.FS) (*Set, error) {
	names, err := fs.Glob(fsys, "*")
	if err != nil {
		return nil, err
	}
	s := &Set{templates: template.New("").Option("missingkey=error"), files: map[string][]byte{}}
	for _, name := range names {
		isTemplate := path.Ext(name) == ".tmpl"
		if !isTemplate && !strings.HasSuffix(name, ".schema.json") {
			continue
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		s.files[name] = b
		if isTemplate {
			if _, err := s.templates.New(name).Parse(string(b)); err != nil {
				return nil, fmt.Errorf("prompts: %s: %w", name, err)
			}
		}
	}
	return s, nil
}

// Render executes the named template (a {{define}} block) with data.
func (s *Set) Render(name string, data any) (string, error) {
	var b bytes.Buffer
	if err := s.templates.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("prompts: render %s: %w", name, err)
	}
	return b.String(), nil
}

// Schema returns the content of a *.schema.json file.
func (s *Set) Schema(file string) ([]byte, error) {
	b, ok := s.files[file]
	if !ok {
		return nil, fmt.Errorf("prompts: no schema %s", file)
	}
	return b, nil
}

// Hash returns a hex SHA-256 over the names and contents of the given files,
// in sorted order. Put it in the cache key of every answer they shape.
func (s *Set) Hash(files ...string) (string, error) {
	files = slices.Sorted(slices.Values(files))
	h := sha256.New()
	for _, f := range files {
		b, ok := s.files[f]
		if !ok {
			return "", fmt.Errorf("prompts: no file %s", f)
		}
		fmt.Fprintf(h, "%d:%s%d:", len(f), f, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
