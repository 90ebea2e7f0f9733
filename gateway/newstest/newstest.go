// Package newstest loads the news day in testdata/day: Arabic articles of
// 4 November 2025, with a wire story reprinted by several outlets and
// updated later, reports of the same events in other words, and unrelated
// stories. Tests, benchmarks and the demo data use it.
package newstest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dragoman-news/dragoman/gateway/ingest"
)

// Article is one file of the day: its name and the request that ingests it.
type Article struct {
	Name string
	ingest.Request
}

// Day loads every article of testdata/day, found from dir upwards.
func Day(dir string) ([]Article, error) {
	root, err := findTestdata(dir)
	if err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(root, "day", "*.txt"))
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	var out []Article
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		req, err := ingest.ParseFile(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		a := Article{Name: strings.TrimSuffix(filepath.Base(f), ".txt"), Request: req}
		out = append(out, a)
	}
	return out, nil
}

func findTestdata(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(filepath.Join(d, "testdata", "day")); err == nil && fi.IsDir() {
			return filepath.Join(d, "testdata"), nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no testdata/day above %s", dir)
		}
	}
}
